//! How the panel shows what the audit log stores: details as before → after pairs, and
//! user agents as "Firefox 128 on Linux".

pub use crate::accounts::session_list::describe_device;

/// One part of an entry's details: `key: before -> after`, `key: value`, or plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Detail {
    pub key: String,
    pub before: Option<String>,
    pub value: String,
}

/// Splits details as the use cases write them (`role: user -> editor; 2 sessions ended`)
/// into parts; text in no such shape stays one plain part.
pub fn details(raw: &str) -> Vec<Detail> {
    raw.split("; ")
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| {
            let Some((key, rest)) = part.split_once(": ").filter(|(k, _)| is_key(k)) else {
                return Detail { key: String::new(), before: None, value: part.to_owned() };
            };
            let (before, value) = match rest.split_once(" -> ") {
                Some((before, after)) => (Some(before.to_owned()), after.to_owned()),
                None => (None, rest.to_owned()),
            };
            Detail { key: key.to_owned(), before, value }
        })
        .collect()
}

/// Keys are short words (`role`, `active`, `email`), not sentences with a colon in them.
fn is_key(key: &str) -> bool {
    !key.is_empty() && key.len() <= 32 && key.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shown(raw: &str) -> Vec<String> {
        details(raw)
            .into_iter()
            .map(|d| match d.before {
                Some(before) => format!("{}: {before} → {}", d.key, d.value),
                None if d.key.is_empty() => d.value,
                None => format!("{}: {}", d.key, d.value),
            })
            .collect()
    }

    #[test]
    fn splits_details_into_before_and_after_pairs() {
        assert_eq!(shown("role: user -> editor"), ["role: user → editor"]);
        assert_eq!(
            shown("active: true -> false; 1 session ended"),
            ["active: true → false", "1 session ended"]
        );
        assert_eq!(
            shown("email: a@b.example; roles: admin,editor"),
            ["email: a@b.example", "roles: admin,editor"]
        );
        assert_eq!(shown("wrong password or unknown user"), ["wrong password or unknown user"]);
        assert_eq!(shown("Note this: a sentence"), ["Note this: a sentence"]);
        assert!(shown("").is_empty());
    }
}
