//! Queries on `audit_events`: insert and read, nothing else (the table refuses the rest).

use super::Conn;
use super::schema::audit_events;
use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Insertable)]
#[diesel(table_name = audit_events)]
pub struct NewAuditEvent<'a> {
    pub created_at: NaiveDateTime,
    pub action: &'a str,
    pub actor_id: Option<i64>,
    pub target_id: Option<i64>,
    pub subject: &'a str,
    pub details: &'a str,
    pub ip: &'a str,
    pub user_agent: &'a str,
}

#[derive(Queryable, Debug, Clone)]
pub struct AuditRow {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub action: String,
    pub actor_id: Option<i64>,
    pub target_id: Option<i64>,
    pub subject: String,
    pub details: String,
    pub ip: String,
    pub user_agent: String,
}

pub fn insert(conn: &mut Conn, event: &NewAuditEvent<'_>) -> QueryResult<()> {
    diesel::insert_into(audit_events::table).values(event).execute(conn).map(drop)
}

/// Newest first; with `account`, only entries naming it as actor or target.
pub fn page(conn: &mut Conn, account: Option<UserId>, offset: i64, limit: i64) -> QueryResult<Vec<AuditRow>> {
    let mut query = audit_events::table.into_boxed();
    if let Some(UserId(id)) = account {
        query = query.filter(audit_events::actor_id.eq(id).or(audit_events::target_id.eq(id)));
    }
    query.order(audit_events::id.desc()).offset(offset).limit(limit).load(conn)
}

pub fn count(conn: &mut Conn, account: Option<UserId>) -> QueryResult<i64> {
    let mut query = audit_events::table.into_boxed();
    if let Some(UserId(id)) = account {
        query = query.filter(audit_events::actor_id.eq(id).or(audit_events::target_id.eq(id)));
    }
    query.count().get_result(conn)
}
