//! Access control on the JSON API: `ApiUser` (a valid bearer token, else 401) and
//! `ApiRequireRole<R>` (403 without the role). Cookies are never read here.

use super::auth::RoleRequirement;
use super::state::AppState;
use crate::accounts::bearer::{self, ApiIdentity, Via};
use crate::accounts::personal_tokens::Scope;
use crate::db::Pipeline;
use crate::domain::Role;
use crate::web::AppError;
use actix_web::http::{Method, header};
use actix_web::{FromRequest, HttpMessage, HttpRequest, dev::Payload, web};
use futures_util::future::LocalBoxFuture;
use std::marker::PhantomData;
use std::rc::Rc;

/// The account a bearer token stands for, with its roles as they are now. A read-only
/// personal token is refused (403) on anything but GET and HEAD.
#[derive(Debug, Clone)]
pub struct ApiUser(pub ApiIdentity);

impl ApiUser {
    pub fn has(&self, needed: Role) -> bool {
        self.0.roles.iter().any(|role| role.satisfies(needed))
    }

    async fn extract(req: &HttpRequest) -> Result<Self, AppError> {
        if let Some(user) = req.extensions().get::<ApiUser>() {
            return Ok(user.clone());
        }
        let token = bearer_token(req).ok_or(AppError::InvalidToken)?;
        let state = web::Data::<AppState>::extract(req)
            .into_inner()
            .map_err(|_| anyhow::anyhow!("AppState is not registered"))?;
        let issuer = state.settings.public_url.as_str();
        let identity =
            bearer::resolve(&state.db, req.app_data::<Rc<Pipeline>>(), &state.keyring, issuer, &token)
                .await?
                .ok_or(AppError::InvalidToken)?;
        let read_only = matches!(identity.via, Via::PersonalToken { scope: Scope::Read, .. });
        if read_only && !matches!(*req.method(), Method::GET | Method::HEAD) {
            return Err(AppError::Forbidden);
        }
        let user = Self(identity);
        req.extensions_mut().insert(user.clone());
        Ok(user)
    }
}

/// `Authorization: Bearer <token>` (the scheme in any case), else nothing.
fn bearer_token(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then(|| token.to_owned())
}

impl FromRequest for ApiUser {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move { ApiUser::extract(&req).await })
    }
}

/// A bearer token whose account holds role `R` (or a higher one) now; 403 `forbidden`
/// otherwise.
pub struct ApiRequireRole<R> {
    pub user: ApiUser,
    role: PhantomData<R>,
}

impl<R: RoleRequirement + 'static> FromRequest for ApiRequireRole<R> {
    type Error = AppError;
    type Future = LocalBoxFuture<'static, Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let user = ApiUser::extract(&req).await?;
            if user.has(R::ROLE) { Ok(Self { user, role: PhantomData }) } else { Err(AppError::Forbidden) }
        })
    }
}
