//! Emails for admins: what failed for good, and sending one again. A reset email is
//! never resent as it was: its link has most likely expired, so a fresh one is issued.

use super::ClientInfo;
use super::audit::{self, Action, Event};
use super::password_reset::{self, Issued, Pacing};
use crate::db::{self, Conn, Db, DbError, outbox::FailedMessage};
use crate::domain::UserId;
use crate::mail::{Outbox, compose};

/// At most this many failed messages are listed: past that, the mail setup is the problem.
const FAILED_LISTED: i64 = 200;

pub async fn failed_messages(db: &Db) -> Result<Vec<FailedMessage>, DbError> {
    db.run(|conn| db::outbox::failed(conn, FAILED_LISTED).map_err(DbError::from)).await
}

/// What became of a failed message an admin sent again.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Retried {
    /// Back in the queue as it was.
    Queued {
        recipient: String,
    },
    /// A reset email: replaced by a new one with a fresh link.
    Reissued {
        recipient: String,
    },
    /// A reset email that cannot be reissued (why, for the admin); it stays failed.
    NotReissued {
        recipient: String,
        reason: &'static str,
    },
    NotFound,
}

pub async fn retry_failed(
    db: &Db,
    outbox: &Outbox,
    admin: UserId,
    id: i64,
    client: ClientInfo,
) -> anyhow::Result<Retried> {
    let queue = outbox.clone();
    let retried = db
        .transaction::<_, anyhow::Error>(move |conn| {
            let Some((kind, recipient)) = db::outbox::failed_one(conn, id)? else {
                return Ok(Retried::NotFound);
            };
            let retried = match kind.as_str() {
                compose::PASSWORD_RESET => reissue_reset(conn, &queue, id, recipient)?,
                _ => {
                    db::outbox::retry(conn, id, db::now())?;
                    Retried::Queued { recipient }
                }
            };
            record(conn, admin, id, &retried, &client)?;
            Ok(retried)
        })
        .await?;
    if matches!(retried, Retried::Queued { .. } | Retried::Reissued { .. }) {
        outbox.wake();
    }
    Ok(retried)
}

fn reissue_reset(conn: &mut Conn, outbox: &Outbox, id: i64, recipient: String) -> anyhow::Result<Retried> {
    let Some(account) = db::users::find_by_email(conn, &recipient)? else {
        return Ok(Retried::NotReissued { recipient, reason: "no account has this address any more" });
    };
    match password_reset::issue(conn, outbox, &account, db::now(), Pacing::Resend)? {
        Issued::Sent => {
            db::outbox::supersede(conn, id)?;
            Ok(Retried::Reissued { recipient })
        }
        other => Ok(Retried::NotReissued { recipient, reason: other.describe() }),
    }
}

fn record(
    conn: &mut Conn,
    admin: UserId,
    id: i64,
    retried: &Retried,
    client: &ClientInfo,
) -> Result<(), DbError> {
    let (recipient, details) = match retried {
        Retried::Queued { recipient } => (recipient.as_str(), "queued again"),
        Retried::Reissued { recipient } => (recipient.as_str(), "reset email reissued with a fresh link"),
        Retried::NotReissued { recipient, reason } => (recipient.as_str(), *reason),
        Retried::NotFound => return Ok(()),
    };
    let subject = format!("email #{id} to {recipient}");
    let event = Event {
        action: Action::EmailRetried,
        actor: Some(admin),
        target: None,
        subject: &subject,
        details,
        client,
    };
    audit::record(conn, &event)
}
