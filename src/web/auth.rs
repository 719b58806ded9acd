//! Access control as extractors: `CurrentUser`, `MaybeUser` and `RequireRole<R>`.

use super::session;
use super::state::AppState;
use crate::accounts::sessions::{self, Authenticated};
use crate::db::Pipeline;
use crate::domain::{Role, SessionRecordId, UserId};
use crate::web::AppError;
use actix_identity::Identity;
use actix_session::SessionExt;
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use chrono::NaiveDateTime;
use futures_util::future::LocalBoxFuture;
use std::marker::PhantomData;
use std::rc::Rc;
use tokio::sync::OnceCell;

/// The logged-in account behind this request. Anonymous requests are sent to
/// `/login?next=<this path>`.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: UserId,
    pub session_id: SessionRecordId,
    pub username: String,
    pub email: String,
    pub roles: Vec<Role>,
    pub created_at: NaiveDateTime,
    pub last_login_at: Option<NaiveDateTime>,
    pub email_verified: bool,
}

impl CurrentUser {
    pub fn has(&self, needed: Role) -> bool {
        self.roles.iter().any(|role| role.satisfies(needed))
    }
}

/// The logged-in account if there is one; for pages anyone may see.
pub struct MaybeUser(pub Option<CurrentUser>);

/// Resolved once per request, however many extractors ask, and even when a handler's
/// extractors are polled together: the later ones wait for the first one's answer.
#[derive(Clone, Default)]
struct Resolution(Rc<OnceCell<Option<CurrentUser>>>);

impl MaybeUser {
    pub async fn extract(req: &HttpRequest) -> Result<Self, AppError> {
        let Resolution(cell) = req.extensions_mut().get_or_insert_with(Resolution::default).clone();
        let user = cell.get_or_try_init(|| resolve(req)).await?;
        Ok(Self(user.clone()))
    }
}

async fn resolve(req: &HttpRequest) -> Result<Option<CurrentUser>, AppError> {
    let Ok(identity) = Identity::extract(req).into_inner() else {
        return Ok(None);
    };
    let session = req.get_session();
    let Some(token) = session::token(&session) else {
        session::end(Some(identity), &session);
        return Ok(None);
    };
    let state = web::Data::<AppState>::extract(req)
        .into_inner()
        .map_err(|_| anyhow::anyhow!("AppState is not registered"))?;
    match sessions::resolve(&state.db, req.app_data::<Rc<Pipeline>>(), token).await? {
        Some(auth) if identity.id().ok() == Some(auth.user_id.to_string()) => Ok(Some(auth.into())),
        // Ended, expired, deactivated, or not this identity's: forget it in the cookie too.
        _ => {
            session::end(Some(identity), &session);
            Ok(None)
        }
    }
}

impl From<Authenticated> for CurrentUser {
    fn from(a: Authenticated) -> Self {
        Self {
            id: a.user_id,
            session_id: a.session_id,
            username: a.account.username,
            email: a.account.email,
            roles: a.roles,
            created_at: a.account.created_at,
            last_login_at: a.account.last_login_at,
            email_verified: a.account.email_verified_at.is_some(),
        }
    }
}

impl FromRequest for MaybeUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { MaybeUser::extract(&req).await })
    }
}

impl FromRequest for CurrentUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            MaybeUser::extract(&req)
                .await?
                .0
                .ok_or_else(|| AppError::LoginRequired { next: requested_path(&req) })
        })
    }
}

/// The path (and query) to come back to after logging in.
fn requested_path(req: &HttpRequest) -> String {
    let uri = req.uri();
    uri.path_and_query().map_or_else(|| uri.path().to_owned(), |pq| pq.as_str().to_owned())
}

/// A role a route requires; see [`RequireRole`].
pub trait RoleRequirement {
    const ROLE: Role;
}

pub struct Editor;
pub struct Admin;

impl RoleRequirement for Editor {
    const ROLE: Role = Role::Editor;
}
impl RoleRequirement for Admin {
    const ROLE: Role = Role::Admin;
}

/// A logged-in user holding role `R` (or a higher one); others get the 403 page, and
/// anonymous visitors the login form. Roles are read on every request, so a change
/// applies to existing sessions at once.
pub struct RequireRole<R> {
    pub user: CurrentUser,
    role: PhantomData<R>,
}

impl<R: RoleRequirement + 'static> FromRequest for RequireRole<R> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let user = CurrentUser::from_request(req, payload);
        Box::pin(async move {
            let user = user.await?;
            if user.has(R::ROLE) { Ok(Self { user, role: PhantomData }) } else { Err(AppError::Forbidden) }
        })
    }
}
