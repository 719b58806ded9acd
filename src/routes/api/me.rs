//! `GET /api/v1/me`: the account behind the bearer token.

use super::schemas::{ErrorBody, MeBody};
use crate::web::bearer::ApiUser;
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
pub async fn me(user: ApiUser) -> web::Json<MeBody> {
    web::Json(MeBody::from(user.0))
}
