//! Registration: every field checked at once, uniqueness included, then one transaction.

use super::audit::{self, Action, Event};
use super::email_verification;
use super::throttle::{self, Bucket};
use super::{ClientInfo, PasswordHasher};
use crate::config::Limits;
use crate::db::{self, Conn, Db, DbError};
use crate::domain::{Email, Password, Role, SecretField, UserId, Username};
use crate::mail::Outbox;

/// The form as typed; nothing here has been checked yet.
#[derive(Debug, Default, Clone, serde::Deserialize)]
#[serde(default)]
pub struct RegistrationInput {
    pub username: String,
    pub email: String,
    pub password: SecretField,
    pub confirm_password: SecretField,
}

/// One message per field that was refused.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct FieldErrors {
    pub username: Option<String>,
    pub email: Option<String>,
    pub password: Option<String>,
    pub confirm_password: Option<String>,
}

impl FieldErrors {
    fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RegistrationError {
    #[error("the registration form has errors")]
    Invalid(FieldErrors),
    #[error("too many registrations from this address")]
    Throttled { retry_after_secs: u64 },
    #[error(transparent)]
    Unexpected(#[from] anyhow::Error),
}

impl From<DbError> for RegistrationError {
    fn from(e: DbError) -> Self {
        Self::Unexpected(e.into())
    }
}

pub const USERNAME_TAKEN: &str = "That username is already taken.";
pub const EMAIL_TAKEN: &str = "An account with that email already exists.";
pub const PASSWORDS_DIFFER: &str = "The two passwords do not match.";

/// Creates the account and, in the same transaction, queues the link that confirms its
/// address.
pub async fn register(
    db: &Db,
    hasher: &PasswordHasher,
    outbox: &Outbox,
    limits: &Limits,
    input: RegistrationInput,
    client: ClientInfo,
) -> Result<UserId, RegistrationError> {
    let (bucket, policy) = (Bucket::register_ip(&client.ip), limits.register_ip);
    // Every attempt counts, valid or not: this limits probing as well as sign-ups.
    let admitted = db
        .transaction::<_, DbError>(move |conn| throttle::admit(conn, &[(&bucket, policy)], db::now()))
        .await?;
    if let Err(refused) = admitted {
        return Err(RegistrationError::Throttled { retry_after_secs: refused.retry_after_secs });
    }
    let (username, email, password) = validate(db, &input).await?;
    let hash = hasher.hash(&password).await?;
    let inserted = db
        .transaction::<_, anyhow::Error>({
            let (username, email, queue) = (username.clone(), email.clone(), outbox.clone());
            move |conn| {
                let id = create_account(conn, &username, &email, Some(&hash), Role::User, true)?;
                audit::record(conn, &Event::by(id, Action::AccountCreated, &client))?;
                email_verification::issue(conn, &queue, id, username.as_str(), email.as_str(), db::now())?;
                Ok(id)
            }
        })
        .await;
    match inserted {
        Ok(id) => {
            outbox.wake();
            Ok(id)
        }
        // Someone else registered the same name or address since our check.
        Err(e) if is_unique_violation(&e) => {
            let (name_taken, email_taken) =
                db.run(move |conn| taken(conn, Some(&username), Some(&email))).await?;
            Err(RegistrationError::Invalid(FieldErrors {
                username: name_taken.then(|| USERNAME_TAKEN.into()),
                email: email_taken.then(|| EMAIL_TAKEN.into()),
                ..FieldErrors::default()
            }))
        }
        Err(e) => Err(e.into()),
    }
}

/// Whether the registration's transaction failed on a unique index (a race for the name
/// or address); it is typed as `anyhow` because composing the email can fail too.
fn is_unique_violation(e: &anyhow::Error) -> bool {
    matches!(e.downcast_ref::<DbError>(), Some(DbError::UniqueViolation))
}

/// Every field checked at once, uniqueness included, so the form shows every problem.
async fn validate(
    db: &Db,
    input: &RegistrationInput,
) -> Result<(Username, Email, Password), RegistrationError> {
    let mut errors = FieldErrors::default();
    let username = Username::parse(&input.username).map_err(|e| errors.username = Some(e.to_string())).ok();
    let email = Email::parse(&input.email).map_err(|e| errors.email = Some(e.to_string())).ok();
    let password = Password::parse(input.password.expose(), input.username.trim(), input.email.trim())
        .map_err(|e| errors.password = Some(e.to_string()))
        .ok();
    if input.password != input.confirm_password {
        errors.confirm_password = Some(PASSWORDS_DIFFER.into());
    }
    let (probe_name, probe_email) = (username.clone(), email.clone());
    let (name_taken, email_taken) =
        db.run(move |conn| taken(conn, probe_name.as_ref(), probe_email.as_ref())).await?;
    errors.username = errors.username.or(name_taken.then(|| USERNAME_TAKEN.into()));
    errors.email = errors.email.or(email_taken.then(|| EMAIL_TAKEN.into()));
    match (username, email, password) {
        (Some(username), Some(email), Some(password)) if errors.is_empty() => Ok((username, email, password)),
        _ => Err(RegistrationError::Invalid(errors)),
    }
}

fn taken(
    conn: &mut Conn,
    username: Option<&Username>,
    email: Option<&Email>,
) -> Result<(bool, bool), DbError> {
    let name_taken = match username {
        Some(u) => db::users::username_taken(conn, &u.folded())?,
        None => false,
    };
    let email_taken = match email {
        Some(e) => db::users::email_taken(conn, e.as_str())?,
        None => false,
    };
    Ok((name_taken, email_taken))
}

/// Inserts an account with one role; shared by registration and `create-admin`.
pub fn create_account(
    conn: &mut Conn,
    username: &Username,
    email: &Email,
    password_hash: Option<&str>,
    role: Role,
    active: bool,
) -> Result<UserId, DbError> {
    let now = db::now();
    let id = db::users::insert(
        conn,
        &db::users::NewUser {
            username: username.as_str(),
            email: email.as_str(),
            password_hash,
            is_active: active,
            created_at: now,
            updated_at: now,
        },
    )?;
    db::users::set_role(conn, id, role)?;
    Ok(id)
}
