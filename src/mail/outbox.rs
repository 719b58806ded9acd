//! The outbox: messages are queued in the transaction that caused them and the worker is
//! woken once that transaction commits. Bodies are sealed at rest (they carry reset and
//! confirmation links), bound to their recipient.

use super::Composed;
use crate::config::PublicUrl;
use crate::crypto::{OpenError, Sealer};
use crate::db::{self, Conn, DbError};
use std::sync::Arc;
use tokio::sync::Notify;

/// What a use case needs to queue an email: where links point, and the worker to wake.
#[derive(Clone)]
pub struct Outbox {
    public_url: PublicUrl,
    sealer: Sealer,
    wake: Arc<Notify>,
}

impl Outbox {
    /// `sealer`: for [`crate::crypto::Purpose::OutboxBody`].
    pub fn new(public_url: PublicUrl, sealer: Sealer) -> Self {
        Self { public_url, sealer, wake: Arc::new(Notify::new()) }
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
                body_text: &self.sealer.seal(email.text.as_bytes(), recipient.as_bytes()),
                body_html: &self.sealer.seal(email.html.as_bytes(), recipient.as_bytes()),
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

    /// A stored body as it is to be sent. Rows queued before bodies were sealed are sent
    /// as they are.
    pub(super) fn open_body(&self, stored: &str, recipient: &str) -> Result<String, OpenError> {
        if !Sealer::is_sealed(stored) {
            return Ok(stored.to_owned());
        }
        let bytes = self.sealer.open(stored, recipient.as_bytes())?;
        String::from_utf8(bytes).map_err(|_| OpenError)
    }

    pub(super) fn wakeup(&self) -> Arc<Notify> {
        self.wake.clone()
    }
}
