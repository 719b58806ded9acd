//! The emails about an account's address: confirm it, confirm a new one, and the notice
//! (with a revert link) that goes to the old one. Paired templates, like `compose`.

use super::compose::{APP_NAME, Composed};
use askama::Template;
use chrono::TimeDelta;

/// What every one of these emails shows.
pub struct AddressMail<'a> {
    pub username: &'a str,
    /// The address the email is about (the new one, in a change notice).
    pub address: &'a str,
    pub link: &'a str,
    pub valid_for: TimeDelta,
}

struct Fields<'a> {
    app: &'a str,
    username: &'a str,
    address: &'a str,
    link: &'a str,
    valid_for: String,
}

macro_rules! pair {
    ($text:ident, $text_path:literal, $html:ident, $html_path:literal) => {
        #[derive(Template)]
        #[template(path = $text_path)]
        struct $text<'a> {
            m: &'a Fields<'a>,
        }

        #[derive(Template)]
        #[template(path = $html_path)]
        struct $html<'a> {
            m: &'a Fields<'a>,
        }
    };
}

pair!(VerifyText, "emails/email_verification.txt", VerifyHtml, "emails/email_verification.html");
pair!(ChangeText, "emails/email_change_confirm.txt", ChangeHtml, "emails/email_change_confirm.html");
pair!(NoticeText, "emails/email_change_notice.txt", NoticeHtml, "emails/email_change_notice.html");

fn fields<'a>(mail: &AddressMail<'a>) -> Fields<'a> {
    Fields {
        app: APP_NAME,
        username: mail.username,
        address: mail.address,
        link: mail.link,
        valid_for: describe(mail.valid_for),
    }
}

/// "24 hours", "60 minutes", "7 days".
fn describe(span: TimeDelta) -> String {
    match (span.num_days(), span.num_hours(), span.num_minutes()) {
        (days, hours, _) if days >= 2 && hours % 24 == 0 => format!("{days} days"),
        (_, hours, minutes) if hours >= 2 && minutes % 60 == 0 => format!("{hours} hours"),
        (_, _, minutes) => format!("{minutes} minutes"),
    }
}

/// To the address to be confirmed, with the link that confirms it.
pub fn verification(mail: &AddressMail<'_>) -> askama::Result<Composed> {
    let m = fields(mail);
    Ok(Composed {
        kind: "email_verification",
        subject: format!("Confirm your {APP_NAME} email address"),
        text: VerifyText { m: &m }.render()?,
        html: VerifyHtml { m: &m }.render()?,
    })
}

/// To the new address of a change, with the link that makes it the account's.
pub fn change_confirmation(mail: &AddressMail<'_>) -> askama::Result<Composed> {
    let m = fields(mail);
    Ok(Composed {
        kind: "email_change_confirm",
        subject: format!("Confirm your new {APP_NAME} email address"),
        text: ChangeText { m: &m }.render()?,
        html: ChangeHtml { m: &m }.render()?,
    })
}

/// To the old address of a change, with the link that undoes it.
pub fn change_notice(mail: &AddressMail<'_>) -> askama::Result<Composed> {
    let m = fields(mail);
    Ok(Composed {
        kind: "email_change_notice",
        subject: format!("Your {APP_NAME} email address is being changed"),
        text: NoticeText { m: &m }.render()?,
        html: NoticeHtml { m: &m }.render()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lifetimes_read_naturally() {
        assert_eq!(describe(TimeDelta::hours(24)), "24 hours");
        assert_eq!(describe(TimeDelta::hours(1)), "60 minutes");
        assert_eq!(describe(TimeDelta::days(7)), "7 days");
    }

    #[test]
    fn each_link_stands_alone_on_its_line_and_the_html_is_escaped() {
        let link = "https://accounts.example.com/verify-email/abc_DEF-123";
        let mail = AddressMail {
            username: "<b>x</b>",
            address: "a@example.com",
            link,
            valid_for: TimeDelta::hours(24),
        };
        for email in [verification(&mail), change_confirmation(&mail), change_notice(&mail)] {
            assert!(email.is_ok_and(|e| e.text.lines().any(|l| l == link) && !e.html.contains("<b>x")));
        }
    }
}
