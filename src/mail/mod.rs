//! Email: composing messages from templates, the outbox they wait in, and the worker and
//! mailer that deliver them (over SMTP, or to the log when `SMTP_URL` is unset).

pub mod address_emails;
pub mod compose;
pub mod mailer;
pub mod outbox;
pub mod worker;

pub use compose::Composed;
pub use mailer::Mailer;
pub use outbox::Outbox;
