//! Every email the app sends, as a pair of Askama templates (plain text and HTML).

use askama::Template;

/// The name every email signs with.
pub const APP_NAME: &str = "gatehouse";

/// A message ready for the outbox: what it is, its subject, and both bodies.
#[derive(Debug, Clone)]
pub struct Composed {
    /// What caused it (`password_reset`, `password_changed`), for the outbox row.
    pub kind: &'static str,
    pub subject: String,
    pub text: String,
    pub html: String,
}

#[derive(Template)]
#[template(path = "emails/password_reset.txt")]
struct ResetText<'a> {
    app: &'a str,
    username: &'a str,
    link: &'a str,
    valid_minutes: i64,
}

#[derive(Template)]
#[template(path = "emails/password_reset.html")]
struct ResetHtml<'a> {
    app: &'a str,
    username: &'a str,
    link: &'a str,
    valid_minutes: i64,
}

/// The reset link, on a line of its own in the text part so that it survives copying.
/// The `kind` of reset emails in the outbox: retrying one issues a fresh link.
pub const PASSWORD_RESET: &str = "password_reset";

pub fn password_reset(username: &str, link: &str, valid_minutes: i64) -> askama::Result<Composed> {
    Ok(Composed {
        kind: PASSWORD_RESET,
        subject: format!("Reset your {APP_NAME} password"),
        text: ResetText { app: APP_NAME, username, link, valid_minutes }.render()?,
        html: ResetHtml { app: APP_NAME, username, link, valid_minutes }.render()?,
    })
}

#[derive(Template)]
#[template(path = "emails/password_changed.txt")]
struct ChangedText<'a> {
    app: &'a str,
    username: &'a str,
    when: &'a str,
    how: &'a str,
    reset_link: &'a str,
}

#[derive(Template)]
#[template(path = "emails/password_changed.html")]
struct ChangedHtml<'a> {
    app: &'a str,
    username: &'a str,
    when: &'a str,
    how: &'a str,
    reset_link: &'a str,
}

/// How a password came to change, in the words of the notification.
#[derive(Debug, Clone, Copy)]
pub enum ChangedBy {
    ResetLink,
    AccountSettings,
}

/// Tells the owner their password changed, with a way back in if it was not them.
pub fn password_changed(
    username: &str,
    at: chrono::NaiveDateTime,
    by: ChangedBy,
    reset_link: &str,
) -> askama::Result<Composed> {
    let when = format!("{} UTC", at.format("%Y-%m-%d %H:%M"));
    let how = match by {
        ChangedBy::ResetLink => "with a password reset link",
        ChangedBy::AccountSettings => "from your account settings",
    };
    Ok(Composed {
        kind: "password_changed",
        subject: format!("Your {APP_NAME} password was changed"),
        text: ChangedText { app: APP_NAME, username, when: &when, how, reset_link }.render()?,
        html: ChangedHtml { app: APP_NAME, username, when: &when, how, reset_link }.render()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_reset_link_stands_alone_on_its_line_in_the_text_part() {
        let link = "https://accounts.example.com/password-reset/abc_DEF-123";
        let email = password_reset("ann", link, 60);
        assert!(email.is_ok_and(|e| e.text.lines().any(|line| line == link)));
    }

    #[test]
    fn the_html_part_escapes_what_it_shows() {
        let email = password_changed("<b>x</b>", chrono::NaiveDateTime::MIN, ChangedBy::ResetLink, "/r");
        assert!(email.is_ok_and(|e| !e.html.contains("<b>x") && e.text.contains("<b>x</b>")));
    }
}
