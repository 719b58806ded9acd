//! Queries on `audit_events`: insert and read, nothing else (the table refuses the rest).
//! Reads come filtered (action, account, dates) in pages or, for exports, keyset batches.

use super::Conn;
use super::schema::audit_events;
use crate::domain::UserId;
use chrono::NaiveDateTime;
use diesel::prelude::*;

type Backend = <Conn as Connection>::Backend;

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

/// Which entries a filtered read returns; the parts combine.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub action: Option<String>,
    pub account: Option<Party>,
    /// From this moment on (inclusive).
    pub from: Option<NaiveDateTime>,
    /// Before this moment (exclusive).
    pub until: Option<NaiveDateTime>,
}

/// An account an entry names, and in which role.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    Either(UserId),
    Actor(UserId),
    Target(UserId),
}

fn filtered(filter: &Filter) -> audit_events::BoxedQuery<'static, Backend> {
    let mut query = audit_events::table.into_boxed();
    if let Some(action) = &filter.action {
        query = query.filter(audit_events::action.eq(action.clone()));
    }
    query = match filter.account {
        Some(Party::Either(UserId(id))) => {
            query.filter(audit_events::actor_id.eq(id).or(audit_events::target_id.eq(id)))
        }
        Some(Party::Actor(UserId(id))) => query.filter(audit_events::actor_id.eq(id)),
        Some(Party::Target(UserId(id))) => query.filter(audit_events::target_id.eq(id)),
        None => query,
    };
    if let Some(from) = filter.from {
        query = query.filter(audit_events::created_at.ge(from));
    }
    if let Some(until) = filter.until {
        query = query.filter(audit_events::created_at.lt(until));
    }
    query
}

/// A page of the matching entries, newest first. The page's ids are found first and its
/// rows fetched after (a "deferred join"): skipping to a deep page then walks the id
/// index alone, not a million rows' worth of the table.
pub fn filtered_page(
    conn: &mut Conn,
    filter: &Filter,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let ids: Vec<i64> = filtered(filter)
        .order(audit_events::id.desc())
        .offset(offset)
        .limit(limit)
        .select(audit_events::id)
        .load(conn)?;
    audit_events::table.filter(audit_events::id.eq_any(ids)).order(audit_events::id.desc()).load(conn)
}

pub fn filtered_count(conn: &mut Conn, filter: &Filter) -> QueryResult<i64> {
    filtered(filter).count().get_result(conn)
}

/// Up to `limit` matching entries older than entry `before` (all when `None`), newest
/// first: a keyset step, as cheap for the millionth row as for the first.
pub fn batch_before(
    conn: &mut Conn,
    filter: &Filter,
    before: Option<i64>,
    limit: i64,
) -> QueryResult<Vec<AuditRow>> {
    let mut query = filtered(filter);
    if let Some(before) = before {
        query = query.filter(audit_events::id.lt(before));
    }
    query.order(audit_events::id.desc()).limit(limit).load(conn)
}
