//! The admin panel: the overview, accounts (the list, one account's page, its actions and
//! bulk actions), the audit log and its export; plus the query-string parsing they share.

pub mod account;
pub mod actions;
pub mod audit;
pub mod audit_csv;
pub mod bulk;
pub mod overview;
mod pager;
mod present;
pub mod users;

use crate::web::AppError;
pub use pager::Pager;

/// The `page` query parameter: absent or empty is the first page; anything but a whole
/// number from 1 is refused (a page past the end is shown as the last one).
pub fn parse_page(raw: &str) -> Result<i64, AppError> {
    if raw.is_empty() {
        return Ok(1);
    }
    match raw.parse::<u32>() {
        Ok(page) if page >= 1 => Ok(i64::from(page)),
        _ => Err(AppError::BadRequest("The page must be a whole number from 1".into())),
    }
}

/// `path` with the query parameters whose values aren't empty, url-encoded.
pub fn with_query(path: &str, params: &[(&str, String)]) -> String {
    let kept: Vec<(&str, &str)> =
        params.iter().filter(|(_, v)| !v.is_empty()).map(|(k, v)| (*k, v.as_str())).collect();
    match serde_urlencoded::to_string(&kept) {
        Ok(query) if !query.is_empty() => format!("{path}?{query}"),
        _ => path.to_owned(),
    }
}

/// Page 1 is a list's plain URL.
pub fn page_param(page: i64) -> String {
    if page > 1 { page.to_string() } else { String::new() }
}

/// How the panel shows a time: UTC, to the minute.
pub fn when(at: chrono::NaiveDateTime) -> String {
    format!("{} UTC", at.format("%Y-%m-%d %H:%M"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_are_whole_numbers_from_one() {
        assert_eq!(parse_page("").ok(), Some(1));
        assert_eq!(parse_page("3").ok(), Some(3));
        for bad in ["0", "-1", "x", "1.5", "99999999999"] {
            assert!(parse_page(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn query_strings_keep_only_the_parameters_that_are_set() {
        assert_eq!(with_query("/admin", &[("q", String::new()), ("page", "2".into())]), "/admin?page=2");
        assert_eq!(with_query("/admin", &[("q", "a&b %".into())]), "/admin?q=a%26b+%25");
        assert_eq!(with_query("/admin", &[("q", String::new())]), "/admin");
    }
}
