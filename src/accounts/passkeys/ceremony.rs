//! A ceremony's state between start and finish, in a database row (never the cookie):
//! bound to the browser, 5 minutes, taken once, on whichever instance the finish lands.

use super::PasskeyError;
use crate::accounts::token::SecretToken;
use crate::db::webauthn_ceremonies::NewCeremony;
use crate::db::{self, Conn};
use crate::domain::UserId;
use chrono::TimeDelta;
use serde::Serialize;
use serde::de::DeserializeOwned;

pub const LIFETIME: TimeDelta = TimeDelta::minutes(5);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Purpose {
    Register,
    Login,
    SecondFactor,
}

impl Purpose {
    fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Login => "login",
            Self::SecondFactor => "second-factor",
        }
    }
}

/// What was started, for whom, and webauthn-rs' state (which holds the challenge).
pub struct Started<'a, S> {
    pub purpose: Purpose,
    pub user: Option<UserId>,
    pub name: &'a str,
    pub state: &'a S,
}

/// Keeps the state for this browser, replacing its earlier ceremony of the same purpose.
pub fn keep<S: Serialize>(
    conn: &mut Conn,
    browser: &SecretToken,
    started: &Started<'_, S>,
) -> Result<(), PasskeyError> {
    let now = db::now();
    let state = serde_json::to_string(started.state)?;
    db::webauthn_ceremonies::replace(
        conn,
        &NewCeremony {
            browser_hash: &browser.digest(),
            purpose: started.purpose.as_str(),
            user_id: started.user.map(|u| u.0),
            name: started.name,
            state: &state,
            created_at: now,
            expires_at: now + LIFETIME,
        },
    )?;
    Ok(())
}

/// A ceremony taken back: whom it was for, its name, its state.
pub struct Taken<S> {
    pub user: Option<UserId>,
    pub name: String,
    pub state: S,
}

/// Takes this browser's live ceremony of `purpose` (deleting it: single use), or
/// [`PasskeyError::NoCeremony`].
pub fn take<S: DeserializeOwned>(
    conn: &mut Conn,
    browser: &SecretToken,
    purpose: Purpose,
) -> Result<Taken<S>, PasskeyError> {
    let row = db::webauthn_ceremonies::take(conn, &browser.digest(), purpose.as_str(), db::now())?;
    let row = row.ok_or(PasskeyError::NoCeremony)?;
    Ok(Taken { user: row.user_id.map(UserId), name: row.name, state: serde_json::from_str(&row.state)? })
}
