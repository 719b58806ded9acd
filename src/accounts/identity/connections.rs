//! The connections page's use cases: the linked providers, and disconnecting one unless
//! it is the account's last way to log in.

use crate::accounts::ClientInfo;
use crate::accounts::audit::{self, Action, Event};
use crate::db::identities::Linked;
use crate::db::{self, Db, DbError};
use crate::domain::UserId;

pub async fn list(db: &Db, user: UserId) -> Result<Vec<Linked>, DbError> {
    db.run(move |conn| db::identities::of(conn, user).map_err(DbError::from)).await
}

#[derive(Debug, PartialEq, Eq)]
pub enum Disconnected {
    Done,
    /// Not linked: nothing to do.
    NotLinked,
    /// No password, no other provider and no passkey: refused.
    LastWayIn,
}

/// Under the account's lock, so two disconnects at once cannot both leave it with none;
/// audited in the same transaction.
pub async fn disconnect(
    db: &Db,
    user: UserId,
    provider: &str,
    client: ClientInfo,
) -> Result<Disconnected, DbError> {
    let provider = provider.to_owned();
    db.transaction(move |conn| {
        db::users::lock_credentials(conn, user)?;
        let linked = db::identities::of(conn, user)?;
        let Some(gone) = linked.iter().find(|l| l.provider == provider) else {
            return Ok(Disconnected::NotLinked);
        };
        // What is left once every identity of this provider is gone.
        let others = linked.iter().filter(|l| l.provider != provider).count();
        let passkeys = db::passkeys::count(conn, user)?;
        if !crate::accounts::passkeys::manage::keeps_a_way_in(conn, user, passkeys, others)? {
            return Ok(Disconnected::LastWayIn);
        }
        db::identities::delete(conn, user, &provider)?;
        let event = Event {
            subject: &provider,
            details: &gone.email,
            ..Event::by(user, Action::IdentityUnlinked, &client)
        };
        audit::record(conn, &event)?;
        Ok(Disconnected::Done)
    })
    .await
}
