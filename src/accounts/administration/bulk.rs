//! One action on many accounts: each account goes through the same use case as a single
//! action (its own transaction, lock, safety rules and audit entry), and whatever a rule
//! refuses is skipped and reported, never half-done.

use super::{AdminError, Outcome, revoke_sessions, set_active};
use crate::accounts::ClientInfo;
use crate::db::{self, Db, DbError};
use crate::domain::UserId;
use std::collections::HashMap;

/// At most this many accounts per request (a page of the list holds 25).
pub const MAX_ACCOUNTS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkAction {
    Deactivate,
    Reactivate,
    EndSessions,
}

impl BulkAction {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw {
            "deactivate" => Some(Self::Deactivate),
            "reactivate" => Some(Self::Reactivate),
            "revoke-sessions" => Some(Self::EndSessions),
            _ => None,
        }
    }
}

/// An account the action left alone, and why (the sentence a single action would say).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub account: UserId,
    /// Its username, when it had one as the action began.
    pub username: Option<String>,
    pub reason: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub done: Vec<Outcome>,
    pub skipped: Vec<Skipped>,
}

pub const OWN_SESSIONS: &str = "Your own sessions are not ended by a bulk action.";
pub const GONE: &str = "There is no such account (any more).";

/// Applies `action` to each of `targets` in turn (ascending, each once). Stops only when
/// the actor is no longer an active admin, or on an unexpected error; what was done
/// before stays done, each with its audit entry.
pub async fn bulk(
    db: &Db,
    actor: UserId,
    mut targets: Vec<UserId>,
    action: BulkAction,
    client: ClientInfo,
) -> Result<Report, AdminError> {
    targets.sort_unstable();
    targets.dedup();
    let ids: Vec<i64> = targets.iter().map(|id| id.0).collect();
    let names: HashMap<i64, String> = db
        .run(move |conn| db::users::usernames_of(conn, &ids).map_err(DbError::from))
        .await?
        .into_iter()
        .collect();
    let mut report = Report::default();
    for target in targets {
        let done = match action {
            BulkAction::Deactivate => set_active(db, actor, target, false, client.clone()).await,
            BulkAction::Reactivate => set_active(db, actor, target, true, client.clone()).await,
            // Ending one's own sessions would log the admin out halfway through the list.
            BulkAction::EndSessions if target == actor => Err(AdminError::Refused(OWN_SESSIONS.into())),
            BulkAction::EndSessions => revoke_sessions(db, actor, target, client.clone()).await,
        };
        let skip =
            |reason: String| Skipped { account: target, username: names.get(&target.0).cloned(), reason };
        match done {
            Ok(outcome) if outcome.changed() => report.done.push(outcome),
            Ok(unchanged) => report.skipped.push(skip(unchanged.to_string())),
            Err(AdminError::Refused(reason)) => report.skipped.push(skip(reason)),
            Err(AdminError::NotFound) => report.skipped.push(skip(GONE.into())),
            Err(
                e @ (AdminError::NotAdmin | AdminError::ConfirmationMismatch | AdminError::Unexpected(_)),
            ) => {
                return Err(e);
            }
        }
    }
    Ok(report)
}
