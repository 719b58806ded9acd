//! The audit log's filters, shared by the page and its CSV export: parsed from the query
//! string (bad values get 400), turned into a database filter, and back into links.

use crate::accounts::audit_log::{self, Filter, Party};
use crate::db::Db;
use crate::domain::UserId;
use crate::web::AppError;
use chrono::{NaiveDate, TimeDelta};
use serde::Deserialize;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditQuery {
    /// An account id (the CONTRACT's filter, and the rows' links).
    pub user: String,
    /// A username, as an admin types it; `user` wins when both are given.
    pub name: String,
    /// `actor`, `target`, or either (empty).
    #[serde(rename = "as")]
    pub role: String,
    pub action: String,
    /// Dates, `YYYY-MM-DD`, both included.
    pub from: String,
    pub to: String,
    pub page: String,
}

/// The filters as given, checked: what the form shows again and the links carry on.
pub struct Filters {
    pub user: String,
    pub name: String,
    user_id: Option<UserId>,
    pub role: &'static str,
    pub action: String,
    pub from: String,
    pub to: String,
    from_date: Option<NaiveDate>,
    to_date: Option<NaiveDate>,
}

impl Filters {
    pub fn parse(query: &AuditQuery) -> Result<Self, AppError> {
        let bad = |what: &str| AppError::BadRequest(what.to_owned());
        let role = match query.role.as_str() {
            "" => "",
            "actor" => "actor",
            "target" => "target",
            _ => return Err(bad("`as` must be actor or target")),
        };
        let date = |raw: &str| match raw.trim() {
            "" => Ok(None),
            raw => NaiveDate::parse_from_str(raw, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| bad("Dates must be written YYYY-MM-DD")),
        };
        let user_id = match query.user.trim() {
            "" => None,
            raw => match raw.parse::<i64>() {
                Ok(id) if id >= 1 => Some(UserId(id)),
                _ => return Err(bad("The user filter must be an account id")),
            },
        };
        let name = query.name.trim();
        if name.len() > 64 || query.action.len() > 64 {
            return Err(bad("The username and the action are at most 64 characters"));
        }
        Ok(Self {
            user: query.user.trim().to_owned(),
            name: name.to_owned(),
            user_id,
            role,
            action: query.action.trim().to_owned(),
            from_date: date(&query.from)?,
            to_date: date(&query.to)?,
            from: query.from.trim().to_owned(),
            to: query.to.trim().to_owned(),
        })
    }

    /// The database filter, or `None` when the account named exists nowhere (nothing matches).
    pub async fn resolve(&self, db: &Db) -> Result<Option<Filter>, AppError> {
        let account = match (self.user_id, self.name.as_str()) {
            (Some(id), _) => Some(id),
            (None, "") => None,
            (None, name) => match audit_log::find_account(db, name.to_owned()).await? {
                Some(id) => Some(id),
                None => return Ok(None),
            },
        };
        let account = account.map(|id| match self.role {
            "actor" => Party::Actor(id),
            "target" => Party::Target(id),
            _ => Party::Either(id),
        });
        let midnight = |day: NaiveDate| day.and_hms_opt(0, 0, 0);
        Ok(Some(Filter {
            action: Some(self.action.clone()).filter(|a| !a.is_empty()),
            account,
            from: self.from_date.and_then(midnight),
            until: self.to_date.and_then(|d| d.checked_add_signed(TimeDelta::days(1))).and_then(midnight),
        }))
    }

    /// The query parameters that reproduce these filters (plus `page`).
    pub fn params(&self, page: String) -> Vec<(&'static str, String)> {
        vec![
            ("user", self.user.clone()),
            ("name", if self.user.is_empty() { self.name.clone() } else { String::new() }),
            ("as", self.role.to_owned()),
            ("action", self.action.clone()),
            ("from", self.from.clone()),
            ("to", self.to.clone()),
            ("page", page),
        ]
    }

    /// How the page names the account filtered by: its username and id, or what was typed.
    pub fn account_label(&self, found: Option<String>) -> Option<String> {
        match (self.user_id, found) {
            (Some(_), Some(name)) => Some(name),
            (Some(id), None) => Some(format!("#{id}")),
            (None, Some(name)) => Some(name),
            (None, None) if self.name.is_empty() => None,
            (None, None) => Some(format!("“{}” (no such account)", self.name)),
        }
    }

    pub fn is_filtered(&self) -> bool {
        !(self.user.is_empty()
            && self.name.is_empty()
            && self.action.is_empty()
            && self.from.is_empty()
            && self.to.is_empty())
    }
}
