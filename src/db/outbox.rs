//! Queries on `email_outbox`: queue a message, claim what is due, record each attempt.

use super::Conn;
use super::schema::email_outbox;
use chrono::NaiveDateTime;
use diesel::prelude::*;

pub const PENDING: &str = "pending";
pub const SENT: &str = "sent";
pub const FAILED: &str = "failed";
/// A failed message replaced by a new one (a reset email retried with a fresh link).
pub const SUPERSEDED: &str = "superseded";
/// What a sent message's bodies become: a reset link is kept only until it is sent.
pub const BODY_REMOVED: &str = "[sent; body removed]";

#[derive(Insertable)]
#[diesel(table_name = email_outbox)]
pub struct NewMessage<'a> {
    pub created_at: NaiveDateTime,
    pub kind: &'a str,
    pub recipient: &'a str,
    pub subject: &'a str,
    pub body_text: &'a str,
    pub body_html: &'a str,
    pub status: &'a str,
    pub attempts: i32,
    pub next_attempt_at: NaiveDateTime,
}

/// A message claimed for sending.
#[derive(Queryable, Debug)]
pub struct Claimed {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body_text: String,
    pub body_html: String,
    pub attempts: i32,
}

/// A message that failed for good, as the admin page lists it.
#[derive(Queryable, Debug)]
pub struct FailedMessage {
    pub id: i64,
    pub created_at: NaiveDateTime,
    pub recipient: String,
    pub subject: String,
    pub attempts: i32,
    pub last_error: Option<String>,
}

type ClaimedColumns = (
    email_outbox::id,
    email_outbox::recipient,
    email_outbox::subject,
    email_outbox::body_text,
    email_outbox::body_html,
    email_outbox::attempts,
);
const CLAIMED: ClaimedColumns = (
    email_outbox::id,
    email_outbox::recipient,
    email_outbox::subject,
    email_outbox::body_text,
    email_outbox::body_html,
    email_outbox::attempts,
);

pub fn insert(conn: &mut Conn, message: &NewMessage<'_>) -> QueryResult<()> {
    diesel::insert_into(email_outbox::table).values(message).execute(conn).map(drop)
}

/// Up to `limit` pending messages due by `now`, leased until `lease_until` so that no
/// other worker takes them while this one sends.
pub fn claim_due(
    conn: &mut Conn,
    now: NaiveDateTime,
    lease_until: NaiveDateTime,
    limit: i64,
) -> QueryResult<Vec<Claimed>> {
    let due = email_outbox::table
        .filter(email_outbox::status.eq(PENDING))
        .filter(email_outbox::next_attempt_at.le(now))
        .order((email_outbox::next_attempt_at.asc(), email_outbox::id.asc()))
        .limit(limit)
        .select(email_outbox::id);
    let lease = |ids: Vec<i64>| {
        diesel::update(email_outbox::table.filter(email_outbox::id.eq_any(ids)))
            .set(email_outbox::next_attempt_at.eq(lease_until))
            .returning(CLAIMED)
    };
    match conn {
        // Rows another instance holds are skipped rather than waited for; the lease is
        // written before the locks go, so once they go the rows are no longer due.
        Conn::Postgres(pg) => pg.transaction(|pg| {
            let ids: Vec<i64> = due.for_update().skip_locked().load(pg)?;
            if ids.is_empty() { Ok(Vec::new()) } else { lease(ids).get_results(pg) }
        }),
        // SQLite has one writer at a time: taking the write lock first (IMMEDIATE) makes
        // the read and the lease one step, without the deferred lock upgrade's BUSY errors.
        Conn::Sqlite(lite) => lite.immediate_transaction(|lite| {
            let ids: Vec<i64> = due.load(lite)?;
            if ids.is_empty() { Ok(Vec::new()) } else { lease(ids).get_results(lite) }
        }),
    }
}

pub fn mark_sent(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(email_outbox::table.find(id))
        .set((
            email_outbox::status.eq(SENT),
            email_outbox::sent_at.eq(now),
            email_outbox::attempts.eq(email_outbox::attempts + 1),
            email_outbox::last_error.eq(None::<String>),
            email_outbox::body_text.eq(BODY_REMOVED),
            email_outbox::body_html.eq(BODY_REMOVED),
        ))
        .execute(conn)
        .map(drop)
}

/// Records a failed attempt: tried again at `retry_at`, or failed for good when `None`.
pub fn record_failure(
    conn: &mut Conn,
    id: i64,
    attempts: i32,
    error: &str,
    retry_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(email_outbox::table.find(id))
        .set((
            email_outbox::status.eq(if retry_at.is_some() { PENDING } else { FAILED }),
            email_outbox::attempts.eq(attempts),
            email_outbox::last_error.eq(error),
            email_outbox::next_attempt_at.eq(retry_at.unwrap_or(now)),
        ))
        .execute(conn)
        .map(drop)
}

/// Gives back claimed messages that were not attempted (the worker is stopping).
pub fn release(conn: &mut Conn, ids: &[i64], now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(email_outbox::table.filter(email_outbox::id.eq_any(ids)))
        .filter(email_outbox::status.eq(PENDING))
        .set(email_outbox::next_attempt_at.eq(now))
        .execute(conn)
        .map(drop)
}

/// Failed messages, newest first.
pub fn failed(conn: &mut Conn, limit: i64) -> QueryResult<Vec<FailedMessage>> {
    email_outbox::table
        .filter(email_outbox::status.eq(FAILED))
        .order(email_outbox::id.desc())
        .limit(limit)
        .select((
            email_outbox::id,
            email_outbox::created_at,
            email_outbox::recipient,
            email_outbox::subject,
            email_outbox::attempts,
            email_outbox::last_error,
        ))
        .load(conn)
}

/// `(kind, recipient)` of the failed message `id`.
pub fn failed_one(conn: &mut Conn, id: i64) -> QueryResult<Option<(String, String)>> {
    email_outbox::table
        .find(id)
        .filter(email_outbox::status.eq(FAILED))
        .select((email_outbox::kind, email_outbox::recipient))
        .first(conn)
        .optional()
}

/// Marks a failed message as replaced by a newer one, and drops its bodies.
pub fn supersede(conn: &mut Conn, id: i64) -> QueryResult<usize> {
    diesel::update(email_outbox::table.find(id).filter(email_outbox::status.eq(FAILED)))
        .set((
            email_outbox::status.eq(SUPERSEDED),
            email_outbox::body_text.eq(BODY_REMOVED),
            email_outbox::body_html.eq(BODY_REMOVED),
        ))
        .execute(conn)
}

/// Puts a failed message back in the queue with a fresh set of attempts; its recipient,
/// or `None` when there is no failed message with that id.
pub fn retry(conn: &mut Conn, id: i64, now: NaiveDateTime) -> QueryResult<Option<String>> {
    diesel::update(email_outbox::table.find(id).filter(email_outbox::status.eq(FAILED)))
        .set((
            email_outbox::status.eq(PENDING),
            email_outbox::attempts.eq(0),
            email_outbox::next_attempt_at.eq(now),
        ))
        .returning(email_outbox::recipient)
        .get_result(conn)
        .optional()
}

/// Deletes sent messages older than `before`; their bodies are gone already.
pub fn delete_sent_before(conn: &mut Conn, before: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        email_outbox::table.filter(email_outbox::status.eq(SENT)).filter(email_outbox::created_at.lt(before)),
    )
    .execute(conn)
}

/// Messages still to send (due or waiting for a retry): the metrics' outbox depth.
pub fn pending_count(conn: &mut Conn) -> QueryResult<i64> {
    email_outbox::table.filter(email_outbox::status.eq(PENDING)).count().get_result(conn)
}
