//! `/api/v1/admin/users…`: the admin panel's actions over JSON, through the same use
//! cases and so the same safety rules (a refusal is 409 `conflict`) and audit entries.

use super::schemas::{AccountBody, AccountListBody, ErrorBody, RoleBody};
use crate::accounts::administration::{self, AdminError};
use crate::accounts::directory::{self, ACCOUNTS_PER_PAGE, Filter, Sort};
use crate::domain::{Role, UserId};
use crate::web::api_json::ApiJson;
use crate::web::auth::Admin;
use crate::web::bearer::ApiRequireRole;
use crate::web::client::client_info;
use crate::web::{AppError, AppState};
use actix_web::{HttpRequest, HttpResponse, delete, get, post, web};
use serde::Deserialize;
use utoipa::IntoParams;

type AdminUser = ApiRequireRole<Admin>;

#[derive(Deserialize, IntoParams)]
pub struct ListQuery {
    /// A case-insensitive part of the username or email.
    q: Option<String>,
    /// From 1; past the end, the last page.
    page: Option<i64>,
}

/// Accounts, newest first.
#[utoipa::path(
    get, path = "/admin/users", tag = "admin", security(("bearer" = [])), params(ListQuery),
    responses(
        (status = 200, description = "One page of accounts", body = AccountListBody),
        (status = 400, description = "Unreadable query string", body = ErrorBody),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
    )
)]
#[get("/admin/users")]
pub async fn list(
    _admin: AdminUser,
    state: web::Data<AppState>,
    query: web::Query<ListQuery>,
) -> Result<web::Json<AccountListBody>, AppError> {
    let query = query.into_inner();
    let filter = Filter { needle: query.q, ..Filter::default() };
    let page = directory::accounts(&state.db, filter, Sort::default(), query.page.unwrap_or(1)).await?;
    Ok(web::Json(AccountListBody {
        users: page.items.into_iter().map(AccountBody::from).collect(),
        page: page.page,
        per_page: ACCOUNTS_PER_PAGE,
        total: page.total,
    }))
}

/// One account.
#[utoipa::path(
    get, path = "/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account", body = AccountBody),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
#[get("/admin/users/{id}")]
pub async fn show(
    _admin: AdminUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<web::Json<AccountBody>, AppError> {
    account(&state, target(&id)?).await
}

/// Set the account's one role.
#[utoipa::path(
    post, path = "/admin/users/{id}/role", tag = "admin", security(("bearer" = [])), request_body = RoleBody,
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 200, description = "The account, with its new role", body = AccountBody),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin, or a read-only token", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`conflict`: yourself, or the last admin", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Body not JSON", body = ErrorBody),
        (status = 422, description = "An unknown role, or a malformed body", body = ErrorBody),
    )
)]
#[post("/admin/users/{id}/role")]
pub async fn set_role(
    req: HttpRequest,
    admin: AdminUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
    ApiJson(body): ApiJson<RoleBody>,
) -> Result<web::Json<AccountBody>, AppError> {
    let target = target(&id)?;
    let role = Role::from(body.role);
    let done = administration::set_role(&state.db, actor(&admin), target, role, client_info(&req)).await;
    refused(done)?;
    account(&state, target).await
}

macro_rules! activation {
    ($name:ident, $path:literal, $want:expr, $what:literal) => {
        #[doc = $what]
        #[utoipa::path(
            post, path = $path, tag = "admin", security(("bearer" = [])),
            params(("id" = i64, Path, description = "The account's id")),
            responses(
                (status = 200, description = "The account", body = AccountBody),
                (status = 401, description = "`invalid_token`", body = ErrorBody),
                (status = 403, description = "`forbidden`: not an admin, or a read-only token", body = ErrorBody),
                (status = 404, description = "`not_found`", body = ErrorBody),
                (status = 409, description = "`conflict`: yourself, or the last admin", body = ErrorBody),
            )
        )]
        #[post($path)]
        pub async fn $name(
            req: HttpRequest,
            admin: AdminUser,
            state: web::Data<AppState>,
            id: web::Path<String>,
        ) -> Result<web::Json<AccountBody>, AppError> {
            let target = target(&id)?;
            let done =
                administration::set_active(&state.db, actor(&admin), target, $want, client_info(&req)).await;
            refused(done)?;
            account(&state, target).await
        }
    };
}

activation!(
    deactivate,
    "/admin/users/{id}/deactivate",
    false,
    "Deactivate the account, ending its sessions."
);
activation!(activate, "/admin/users/{id}/activate", true, "Reactivate the account.");

/// End every session, API login and personal access token of the account.
#[utoipa::path(
    post, path = "/admin/users/{id}/revoke-sessions", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 204, description = "Every session ended"),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin, or a read-only token", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
    )
)]
#[post("/admin/users/{id}/revoke-sessions")]
pub async fn revoke_sessions(
    req: HttpRequest,
    admin: AdminUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let done =
        administration::revoke_sessions(&state.db, actor(&admin), target(&id)?, client_info(&req)).await;
    refused(done)?;
    Ok(HttpResponse::NoContent().finish())
}

/// Delete the account.
#[utoipa::path(
    delete, path = "/admin/users/{id}", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "The account's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "`invalid_token`", body = ErrorBody),
        (status = 403, description = "`forbidden`: not an admin, or a read-only token", body = ErrorBody),
        (status = 404, description = "`not_found`", body = ErrorBody),
        (status = 409, description = "`conflict`: yourself, or the last admin", body = ErrorBody),
    )
)]
#[delete("/admin/users/{id}")]
pub async fn delete(
    req: HttpRequest,
    admin: AdminUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
) -> Result<HttpResponse, AppError> {
    let target = target(&id)?;
    // The panel's typed confirmation guards a click; a DELETE request is its own intent.
    let confirm = directory::summary(&state.db, target).await?.ok_or(AppError::NotFound)?.username;
    let done = administration::delete(&state.db, actor(&admin), target, confirm, client_info(&req)).await;
    refused(done)?;
    Ok(HttpResponse::NoContent().finish())
}

fn actor(admin: &AdminUser) -> UserId {
    admin.user.0.user_id
}

fn target(raw: &str) -> Result<UserId, AppError> {
    raw.parse().map(UserId).map_err(|_| AppError::NotFound)
}

async fn account(state: &AppState, id: UserId) -> Result<web::Json<AccountBody>, AppError> {
    let account = directory::summary(&state.db, id).await?.ok_or(AppError::NotFound)?;
    Ok(web::Json(account.into()))
}

fn refused<T>(done: Result<T, AdminError>) -> Result<T, AppError> {
    done.map_err(|e| match e {
        AdminError::NotFound => AppError::NotFound,
        AdminError::NotAdmin => AppError::Forbidden,
        AdminError::Refused(reason) => AppError::Conflict(reason),
        AdminError::ConfirmationMismatch => AppError::Conflict("The account changed; try again.".into()),
        AdminError::Unexpected(e) => AppError::Unexpected(e),
    })
}
