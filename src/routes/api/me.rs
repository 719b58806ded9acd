//! `GET /api/v1/me`: the account behind the bearer token.

use super::schemas::{ErrorBody, MeBody};
use crate::accounts::directory;
use crate::web::bearer::ApiUser;
use crate::web::{AppError, AppState};
use actix_web::{get, web};

/// The account the token acts for.
#[utoipa::path(
    get, path = "/me", tag = "account", security(("bearer" = [])),
    responses(
        (status = 200, description = "The account", body = MeBody),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
    )
)]
#[get("/me")]
pub async fn me(user: ApiUser, state: web::Data<AppState>) -> Result<web::Json<MeBody>, AppError> {
    let id = user.0.user_id;
    let account = directory::summary(&state.db, id).await?.ok_or(AppError::InvalidToken)?;
    Ok(web::Json(MeBody::from(account)))
}
