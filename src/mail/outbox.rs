//! The outbox: messages are queued in the transaction that caused them and the worker is
//! woken once that transaction commits; failed ones are listed and retried by admins.

use super::Composed;
use crate::accounts::ClientInfo;
use crate::accounts::audit::{self, Action, Event};
use crate::config::PublicUrl;
use crate::db::{self, Conn, Db, DbError, outbox::FailedMessage};
use crate::domain::UserId;
use std::sync::Arc;
use tokio::sync::Notify;

/// What a use case needs to queue an email: where links point, and the worker to wake.
#[derive(Clone)]
pub struct Outbox {
    public_url: PublicUrl,
    wake: Arc<Notify>,
}

impl Outbox {
    pub fn new(public_url: PublicUrl) -> Self {
        Self { public_url, wake: Arc::new(Notify::new()) }
    }

    /// `path` (starting with `/`) on the public site, for links in emails.
    pub fn link(&self, path: &str) -> String {
        format!("{}{path}", self.public_url.as_str())
    }

    /// Queues `email` for `recipient`. Call inside the transaction that caused it, and
    /// [`Outbox::wake`] after it commits.
    pub fn enqueue(&self, conn: &mut Conn, recipient: &str, email: &Composed) -> Result<(), DbError> {
        let now = db::now();
        db::outbox::insert(
            conn,
            &db::outbox::NewMessage {
                created_at: now,
                kind: email.kind,
                recipient,
                subject: &email.subject,
                body_text: &email.text,
                body_html: &email.html,
                status: db::outbox::PENDING,
                attempts: 0,
                next_attempt_at: now,
            },
        )?;
        Ok(())
    }

    /// Tells the worker there is something to send now rather than at its next poll.
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub(super) fn wakeup(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}

/// At most this many failed messages are listed: past that, the mail setup is the problem.
const FAILED_LISTED: i64 = 200;

pub async fn failed_messages(db: &Db) -> Result<Vec<FailedMessage>, DbError> {
    db.run(|conn| db::outbox::failed(conn, FAILED_LISTED).map_err(DbError::from)).await
}

/// Puts a failed message back in the queue, for an admin; its recipient, or `None` when
/// there is no failed message with that id.
pub async fn retry_failed(
    db: &Db,
    outbox: &Outbox,
    admin: UserId,
    id: i64,
    client: ClientInfo,
) -> Result<Option<String>, DbError> {
    let recipient = db
        .transaction::<_, DbError>(move |conn| {
            let Some(recipient) = db::outbox::retry(conn, id, db::now())? else { return Ok(None) };
            let subject = format!("email #{id} to {recipient}");
            let event = Event {
                action: Action::EmailRetried,
                actor: Some(admin),
                target: None,
                subject: &subject,
                details: "",
                client: &client,
            };
            audit::record(conn, &event)?;
            Ok(Some(recipient))
        })
        .await?;
    if recipient.is_some() {
        outbox.wake();
    }
    Ok(recipient)
}
