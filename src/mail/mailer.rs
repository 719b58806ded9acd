//! `Mailer`: hands one message to the SMTP server in `SMTP_URL` (rustls for TLS), or
//! writes it to the log when `SMTP_URL` is unset so that development needs no mail server.

use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use secrecy::{ExposeSecret, SecretString};
use std::time::Duration;

/// A stuck server must not hold the worker (and its claimed messages) for long.
const SMTP_TIMEOUT: Duration = Duration::from_secs(20);

pub struct Mailer {
    from: Mailbox,
    transport: Transport,
}

enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    Log,
}

/// One message as the worker hands it over.
pub struct Outgoing<'a> {
    pub recipient: &'a str,
    pub subject: &'a str,
    pub text: &'a str,
    pub html: &'a str,
}

/// Why a message was not sent: worth trying again later, or never going to work.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    Transient(String),
    #[error("{0}")]
    Permanent(String),
}

impl Mailer {
    /// Sends through `smtp_url` (already checked by `config`), or to the log without one.
    pub fn new(smtp_url: Option<&SecretString>, mail_from: &str) -> anyhow::Result<Self> {
        let from = mail_from.parse().map_err(|e| anyhow::anyhow!("invalid MAIL_FROM: {e}"))?;
        let transport = match smtp_url {
            Some(url) => Transport::Smtp(
                AsyncSmtpTransport::<Tokio1Executor>::from_url(url.expose_secret())
                    // The error names the part that is wrong, never the URL (it may hold a password).
                    .map_err(|e| anyhow::anyhow!("invalid SMTP_URL: {e}"))?
                    .timeout(Some(SMTP_TIMEOUT))
                    .build(),
            ),
            None => {
                tracing::warn!(
                    "SMTP_URL is not set: emails, reset links included, are written to this log instead of \
                     sent; set SMTP_URL in production"
                );
                Transport::Log
            }
        };
        Ok(Self { from, transport })
    }

    pub async fn send(&self, email: &Outgoing<'_>) -> Result<(), SendError> {
        let to: Mailbox = email.recipient.parse().map_err(|e| {
            SendError::Permanent(format!("the recipient address {:?} is invalid: {e}", email.recipient))
        })?;
        let transport = match &self.transport {
            Transport::Smtp(transport) => transport,
            Transport::Log => {
                // The development mail channel: the whole text, so its links can be followed.
                let note = "email (not sent: SMTP_URL is unset)";
                tracing::info!(to = %to, subject = email.subject, body = email.text, "{note}");
                return Ok(());
            }
        };
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(email.subject)
            // Not every relay adds one, and mail without it looks like spam.
            .message_id(None)
            .multipart(MultiPart::alternative_plain_html(email.text.to_owned(), email.html.to_owned()))
            .map_err(|e| SendError::Permanent(format!("the message could not be built: {e}")))?;
        transport.send(message).await.map(drop).map_err(|e| {
            // A 5xx answer (no such mailbox, say) will not change on a retry.
            if e.is_permanent() {
                SendError::Permanent(e.to_string())
            } else {
                SendError::Transient(e.to_string())
            }
        })
    }
}
