//! The emails that tell an owner their second factor changed: turned off (by them or by
//! an administrator) or a recovery code used.

use crate::db::{Conn, DbError};
use crate::mail::Outbox;
use crate::mail::compose::{APP_NAME, Composed};
use askama::Template;

#[derive(Debug, Clone, Copy)]
pub enum Notice {
    Disabled,
    ResetByAdmin,
    RecoveryCodeUsed { left: i64 },
}

#[derive(Template)]
#[template(path = "emails/two_factor_notice.txt")]
struct NoticeText<'a> {
    app: &'a str,
    username: &'a str,
    what: &'a str,
    when: &'a str,
    reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/two_factor_notice.html")]
struct NoticeHtml<'a> {
    app: &'a str,
    username: &'a str,
    what: &'a str,
    when: &'a str,
    reset_link: &'a str,
}

fn compose(username: &str, notice: Notice, reset_link: &str) -> askama::Result<Composed> {
    let when = format!("{} UTC", crate::db::now().format("%Y-%m-%d %H:%M"));
    let (kind, subject, what) = match notice {
        Notice::Disabled => (
            "two_factor_disabled",
            format!("Two-factor authentication was turned off for your {APP_NAME} account"),
            "two-factor authentication was turned off from your account settings".to_owned(),
        ),
        Notice::ResetByAdmin => (
            "two_factor_reset",
            format!("An administrator turned off two-factor authentication on your {APP_NAME} account"),
            "an administrator turned off two-factor authentication".to_owned(),
        ),
        Notice::RecoveryCodeUsed { left } => (
            "recovery_code_used",
            format!("A recovery code was used to sign in to your {APP_NAME} account"),
            format!("a recovery code was used to sign in ({left} left)"),
        ),
    };
    let args = (APP_NAME, username, what.as_str(), when.as_str(), reset_link);
    Ok(Composed {
        kind,
        subject,
        text: NoticeText { app: args.0, username: args.1, what: args.2, when: args.3, reset_link: args.4 }
            .render()?,
        html: NoticeHtml { app: args.0, username: args.1, what: args.2, when: args.3, reset_link: args.4 }
            .render()?,
    })
}

/// Queues the notice in the caller's transaction (the caller wakes the outbox after it).
pub fn send(
    conn: &mut Conn,
    outbox: &Outbox,
    username: &str,
    email: &str,
    notice: Notice,
) -> anyhow::Result<()> {
    let composed = compose(username, notice, &outbox.link("/password-reset"))?;
    outbox.enqueue(conn, email, &composed).map_err(|e: DbError| anyhow::Error::from(e))
}
