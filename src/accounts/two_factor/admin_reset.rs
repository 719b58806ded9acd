//! An administrator turns an account's second factor off (a lost phone and no recovery
//! codes): audited, every remembered device and pending sign-in forgotten, the owner emailed.

use super::notices::{self, Notice};
use crate::accounts::ClientInfo;
use crate::accounts::audit::{self, Action, Event};
use crate::db::{self, Db};
use crate::domain::UserId;
use crate::mail::Outbox;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reset {
    Done { username: String },
    WasOff { username: String },
    NoSuchAccount,
}

pub async fn reset_by_admin(
    db: &Db,
    outbox: &Outbox,
    admin: UserId,
    target: UserId,
    client: ClientInfo,
) -> anyhow::Result<Reset> {
    let queue = outbox.clone();
    let reset = db
        .transaction::<_, anyhow::Error>(move |conn| {
            let Some(owner) = db::users::profile(conn, target)? else { return Ok(Reset::NoSuchAccount) };
            let was_on = db::two_factor::is_enabled(conn, target)?;
            db::two_factor::delete(conn, target)?;
            db::sign_ins::forget_devices(conn, target)?;
            if !was_on {
                return Ok(Reset::WasOff { username: owner.username });
            }
            let event = Event {
                action: Action::TwoFactorResetByAdmin,
                actor: Some(admin),
                target: Some(target),
                subject: &owner.username,
                details: "two-factor authentication turned off by an administrator",
                client: &client,
            };
            audit::record(conn, &event)?;
            notices::send(conn, &queue, &owner.username, &owner.email, Notice::ResetByAdmin)?;
            Ok(Reset::Done { username: owner.username })
        })
        .await?;
    if matches!(reset, Reset::Done { .. }) {
        outbox.wake();
    }
    Ok(reset)
}
