//! The connections page's use cases: the linked providers, and disconnecting one unless
//! it is the account's last way to log in.

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

/// Under the account's lock, so two disconnects at once cannot both leave it with none.
pub async fn disconnect(db: &Db, user: UserId, provider: &str) -> Result<Disconnected, DbError> {
    let provider = provider.to_owned();
    db.transaction(move |conn| {
        db::users::lock_credentials(conn, user)?;
        let linked = db::identities::of(conn, user)?;
        if !linked.iter().any(|l| l.provider == provider) {
            return Ok(Disconnected::NotLinked);
        }
        let passkeys = db::passkeys::count(conn, user)?;
        if !crate::accounts::passkeys::manage::keeps_a_way_in(conn, user, passkeys, linked.len() - 1)? {
            return Ok(Disconnected::LastWayIn);
        }
        db::identities::delete(conn, user, &provider)?;
        Ok(Disconnected::Done)
    })
    .await
}
