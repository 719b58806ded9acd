//! Page links for the admin's long lists: first, previous, numbers around the current
//! page with ellipses for the gaps, next, last.

/// Page numbers shown on each side of the current one.
const AROUND: i64 = 2;

pub struct Pager {
    pub page: i64,
    pub pages: i64,
    pub first: Option<String>,
    pub prev: Option<String>,
    pub next: Option<String>,
    pub last: Option<String>,
    pub links: Vec<PageLink>,
}

/// A numbered link, or (`gap`) the ellipsis standing for the pages left out.
pub struct PageLink {
    pub number: i64,
    pub href: String,
    pub current: bool,
    pub gap: bool,
}

impl Pager {
    /// `link` makes the URL of a page.
    pub fn new(page: i64, pages: i64, link: impl Fn(i64) -> String) -> Self {
        let links = numbers(page, pages)
            .into_iter()
            .map(|n| match n {
                Some(number) => PageLink { number, href: link(number), current: number == page, gap: false },
                None => PageLink { number: 0, href: String::new(), current: false, gap: true },
            })
            .collect();
        Self {
            page,
            pages,
            first: (page > 1).then(|| link(1)),
            prev: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
            last: (page < pages).then(|| link(pages)),
            links,
        }
    }
}

/// The page numbers to show, `None` for a gap: the first, the last, and those within
/// [`AROUND`] of `page`. A gap of one page shows that page instead of an ellipsis.
fn numbers(page: i64, pages: i64) -> Vec<Option<i64>> {
    let mut wanted: Vec<i64> = vec![1, pages];
    wanted.extend((page - AROUND..=page + AROUND).filter(|n| (1..=pages).contains(n)));
    wanted.sort_unstable();
    wanted.dedup();
    let mut out = Vec::with_capacity(wanted.len() + 2);
    let mut previous = 0;
    for n in wanted {
        match n - previous {
            1 => {}
            2 => out.push(Some(n - 1)),
            _ => out.push(None),
        }
        out.push(Some(n));
        previous = n;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::numbers;

    fn shown(page: i64, pages: i64) -> String {
        let parts: Vec<String> =
            numbers(page, pages).into_iter().map(|n| n.map_or("…".into(), |n| n.to_string())).collect();
        parts.join(" ")
    }

    #[test]
    fn shows_the_ends_and_the_neighbourhood_with_ellipses_between() {
        assert_eq!(shown(1, 1), "1");
        assert_eq!(shown(1, 2), "1 2");
        assert_eq!(shown(1, 4001), "1 2 3 … 4001");
        assert_eq!(shown(2000, 4001), "1 … 1998 1999 2000 2001 2002 … 4001");
        assert_eq!(shown(4001, 4001), "1 … 3999 4000 4001");
        // A gap of exactly one page shows the page.
        assert_eq!(shown(5, 9), "1 2 3 4 5 6 7 8 9");
        assert_eq!(shown(5, 10), "1 2 3 4 5 6 7 … 10");
    }
}
