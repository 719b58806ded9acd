//! A provider's identity that belongs to an account: the one session-start path, with
//! its second step, its deactivated and unverified refusals, and its audit entries.

use super::Outcome;
use crate::accounts::ClientInfo;
use crate::accounts::audit::{self, Action, Event};
use crate::accounts::sessions::{self, Proof, SessionKind, StartError};
use crate::accounts::two_factor::sign_in::{self as second_factor, SecondStep};
use crate::db::{self, Conn, DbError};
use crate::domain::UserId;

/// A session for `user` through the one session-start path, with the credentials version
/// read now under the same lock; a deactivated account is refused and audited.
pub(crate) fn start_for(
    conn: &mut Conn,
    user: UserId,
    provider: &str,
    client: &ClientInfo,
    require_verified_email: bool,
) -> Result<Outcome, DbError> {
    match db::users::lock_credentials(conn, user)? {
        Some((version, true)) => {
            let proof = Proof { user, credentials_version: version, require_verified_email };
            let kind = SessionKind::Browser { remember: false };
            // A provider proves who, like a password: an account with 2FA on still owes its
            // second step (remembered devices are not honoured on this path).
            let started = match second_factor::hold(conn, proof, kind, &SecondStep::default())? {
                Some(pending) => sessions::check_current(conn, proof).map(|()| Err(pending)),
                None => sessions::start(conn, proof, kind, client, db::now()).map(Ok),
            };
            match started {
                Ok(Ok(started)) => Ok(Outcome::LoggedIn { user, token: started.token }),
                Ok(Err(pending)) => Ok(Outcome::SecondFactor { pending }),
                Err(StartError::CredentialsChanged) => Ok(Outcome::Deactivated),
                Err(StartError::EmailUnverified) => Ok(Outcome::EmailUnverified),
                Err(StartError::Db(e)) => Err(e),
            }
        }
        _ => {
            let event = Event {
                action: Action::LoginFailed,
                actor: None,
                target: Some(user),
                subject: provider,
                details: "account deactivated",
                client,
            };
            audit::record(conn, &event)?;
            Ok(Outcome::Deactivated)
        }
    }
}
