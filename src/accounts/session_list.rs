//! The account's own sessions: listed with a readable device, ended one at a time or all
//! but the one asking.

use super::ClientInfo;
use super::audit::{self, Action, Event};
use crate::db::{self, Db, DbError};
use crate::domain::{SessionRecordId, UserId};
use chrono::NaiveDateTime;

/// One live session as its owner sees it.
#[derive(Debug, Clone)]
pub struct SessionSummary {
    pub id: SessionRecordId,
    pub device: String,
    pub ip: String,
    pub started: NaiveDateTime,
    pub last_seen: NaiveDateTime,
    pub current: bool,
    /// A login through the JSON API rather than a browser's cookie.
    pub api: bool,
}

/// The account's live sessions, most recently used first; `current` is marked.
pub async fn list(db: &Db, user: UserId, current: SessionRecordId) -> Result<Vec<SessionSummary>, DbError> {
    let rows =
        db.run(move |conn| db::sessions::list_of(conn, user, db::now()).map_err(DbError::from)).await?;
    Ok(rows
        .into_iter()
        .map(|row| SessionSummary {
            id: SessionRecordId(row.id),
            device: describe_device(&row.user_agent),
            ip: row.ip,
            started: row.created_at,
            last_seen: row.last_seen_at,
            current: row.id == current.0,
            api: row.kind == super::sessions::SessionKind::API,
        })
        .collect())
}

/// Ends one of the account's own sessions; `false` when it has none with that id.
pub async fn revoke(
    db: &Db,
    user: UserId,
    session: SessionRecordId,
    client: ClientInfo,
) -> Result<bool, DbError> {
    db.transaction(move |conn| {
        if db::sessions::delete_of(conn, user, session)? == 0 {
            return Ok(false);
        }
        let details = format!("session {session}");
        audit::record(
            conn,
            &Event { details: &details, ..Event::by(user, Action::SessionRevoked, &client) },
        )?;
        Ok(true)
    })
    .await
}

/// Ends every session of the account but `keep`; how many ended.
pub async fn revoke_others(
    db: &Db,
    user: UserId,
    keep: SessionRecordId,
    client: ClientInfo,
) -> Result<usize, DbError> {
    db.transaction(move |conn| {
        let ended = db::sessions::delete_all_of_except(conn, user, keep)?;
        let details = format!("ended {ended} session(s)");
        let event = Event { details: &details, ..Event::by(user, Action::OtherSessionsRevoked, &client) };
        audit::record(conn, &event)?;
        Ok(ended)
    })
    .await
}

/// "Firefox 128 on Linux" from a user agent string, as far as it can be told.
pub fn describe_device(user_agent: &str) -> String {
    const UNKNOWN: &str = woothee::woothee::VALUE_UNKNOWN;
    let known = |value: &str| !value.is_empty() && value != UNKNOWN;
    if user_agent.trim().is_empty() {
        return "Unknown device".into();
    }
    let Some(parsed) = woothee::parser::Parser::new().parse(user_agent) else {
        return "Unknown browser".into();
    };
    // Versions are numbers, except where a library's name stands in for one.
    let major = parsed.version.split('.').next().filter(|v| v.starts_with(|c: char| c.is_ascii_digit()));
    let major = major.unwrap_or_default();
    let browser = match (known(parsed.name), major.is_empty()) {
        (false, _) => "Unknown browser".to_owned(),
        (true, true) => parsed.name.to_owned(),
        (true, false) => format!("{} {major}", parsed.name),
    };
    if known(parsed.os) { format!("{browser} on {}", parsed.os) } else { browser }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn summarises_common_user_agents() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(describe_device(firefox), "Firefox 128 on Linux");
        let chrome = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                      Chrome/126.0.0.0 Safari/537.36";
        assert_eq!(describe_device(chrome), "Chrome 126 on Windows 10");
        let iphone = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 \
                      (KHTML, like Gecko) Version/17.5 Mobile/15E148 Safari/604.1";
        assert_eq!(describe_device(iphone), "Safari 17 on iPhone");
    }

    #[test]
    fn says_so_when_it_cannot_tell() {
        assert_eq!(describe_device(""), "Unknown device");
        assert_eq!(describe_device("xyzzy"), "Unknown browser");
        assert_eq!(describe_device("curl/8.5.0"), "HTTP Library");
    }
}
