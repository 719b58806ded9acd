//! The passkeys page's use cases: the account's passkeys, and deleting one (confirmed,
//! and never the account's last way to log in).

use super::{Confirmation, PasskeyError, confirm};
use crate::accounts::audit::{self, Action, Event};
use crate::accounts::{ClientInfo, PasswordHasher};
use crate::config::Limits;
use crate::db::passkeys::Listed;
use crate::db::{self, Conn, Db, DbError};
use crate::domain::UserId;

/// The account's passkeys, and whether it has a password (else a fresh sign-in confirms).
pub struct Overview {
    pub passkeys: Vec<Listed>,
    pub has_password: bool,
}

pub async fn overview(db: &Db, user: UserId) -> Result<Overview, DbError> {
    db.run(move |conn| {
        let passkeys = db::passkeys::list(conn, user)?;
        Ok(Overview { passkeys, has_password: db::identities::has_password(conn, user)? })
    })
    .await
}

#[derive(Debug, PartialEq, Eq)]
pub enum Deleted {
    Done {
        name: String,
    },
    /// Not one of the account's passkeys.
    NotFound,
    /// No password, no provider, no other passkey: refused.
    LastWayIn,
}

/// Whether the account keeps a way to log in with `passkeys` passkeys and `providers`
/// linked providers left: one of them, or a password. Every removal of a way in asks.
pub fn keeps_a_way_in(
    conn: &mut Conn,
    user: UserId,
    passkeys: i64,
    providers: usize,
) -> Result<bool, DbError> {
    Ok(passkeys > 0 || providers > 0 || db::identities::has_password(conn, user)?)
}

/// Deletes passkey `id` of `who.user`, after the confirmation; under the account's lock,
/// so two deletes at once cannot both leave it with no way in.
pub async fn delete(
    db: &Db,
    hasher: &PasswordHasher,
    limits: &Limits,
    who: Confirmation,
    id: i64,
    client: ClientInfo,
) -> Result<Deleted, PasskeyError> {
    let user = who.user;
    let owned = db
        .run(move |conn| Ok::<_, DbError>(db::passkeys::list(conn, user)?.into_iter().any(|p| p.id == id)))
        .await?;
    if !owned {
        return Ok(Deleted::NotFound);
    }
    confirm(db, hasher, limits, &who).await?;
    db.transaction(move |conn| {
        db::users::lock_credentials(conn, user)?;
        let Some(row) = db::passkeys::list(conn, user)?.into_iter().find(|p| p.id == id) else {
            return Ok(Deleted::NotFound);
        };
        let passkeys_left = db::passkeys::count(conn, user)? - 1;
        let providers = db::identities::of(conn, user)?.len();
        if !keeps_a_way_in(conn, user, passkeys_left, providers)? {
            return Ok(Deleted::LastWayIn);
        }
        db::passkeys::delete(conn, user, id)?;
        let details = format!("name: {}", row.name);
        audit::record(
            conn,
            &Event { details: &details, ..Event::by(user, Action::PasskeyDeleted, &client) },
        )?;
        Ok(Deleted::Done { name: row.name })
    })
    .await
}
