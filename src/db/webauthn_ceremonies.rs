//! Queries on `webauthn_ceremonies`: a ceremony's state between its start and its finish,
//! bound to a browser, one per browser and purpose, taken once.

use super::Conn;
use super::schema::webauthn_ceremonies as ceremonies;
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Insertable)]
#[diesel(table_name = ceremonies)]
pub struct NewCeremony<'a> {
    pub browser_hash: &'a str,
    pub purpose: &'a str,
    pub user_id: Option<i64>,
    pub name: &'a str,
    pub state: &'a str,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

#[derive(Queryable, Debug)]
pub struct Taken {
    pub user_id: Option<i64>,
    pub name: String,
    pub state: String,
}

/// Starts a ceremony, replacing the browser's earlier one of the same purpose (a second
/// tab, a retry): only the latest challenge can be answered.
pub fn replace(conn: &mut Conn, row: &NewCeremony<'_>) -> QueryResult<()> {
    diesel::delete(
        ceremonies::table
            .filter(ceremonies::browser_hash.eq(row.browser_hash))
            .filter(ceremonies::purpose.eq(row.purpose)),
    )
    .execute(conn)?;
    diesel::insert_into(ceremonies::table).values(row).execute(conn).map(drop)
}

/// Deletes the browser's live ceremony of `purpose` and returns it: whoever deletes it
/// first finishes it, so a challenge is answered once, on any instance.
pub fn take(
    conn: &mut Conn,
    browser_hash: &str,
    purpose: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Taken>> {
    diesel::delete(
        ceremonies::table
            .filter(ceremonies::browser_hash.eq(browser_hash))
            .filter(ceremonies::purpose.eq(purpose))
            .filter(ceremonies::expires_at.gt(now)),
    )
    .returning((ceremonies::user_id, ceremonies::name, ceremonies::state))
    .get_result(conn)
    .optional()
}

pub fn delete_expired(conn: &mut Conn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(ceremonies::table.filter(ceremonies::expires_at.le(now))).execute(conn)
}
