//! `GET, POST /account/tokens` and `POST /account/tokens/{id}/revoke`: the account's
//! personal access tokens. A new token is shown once, on the page that made it.

use crate::accounts::personal_tokens::{self, NewToken, TokenSummary};
use crate::web::AppError;
use crate::web::client::client_info;
use crate::web::page::{Chrome, FormPage};
use crate::web::{AppState, CsrfForm, CurrentUser, NoFields, render_status, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;
use chrono::NaiveDateTime;
use serde::Deserialize;

#[derive(Template)]
#[template(path = "account_tokens.html")]
struct TokensPage {
    chrome: Chrome,
    tokens: Vec<TokenSummary>,
    /// The token just made, shown this once.
    created: Option<(String, String)>,
    error: Option<String>,
    name: String,
}

impl TokensPage {
    fn when(&self, at: &NaiveDateTime) -> String {
        format!("{} UTC", at.format("%Y-%m-%d %H:%M"))
    }

    fn last_used(&self, at: &Option<NaiveDateTime>) -> String {
        at.as_ref().map_or_else(|| "Never".to_owned(), |at| self.when(at))
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    name: String,
    expires_days: String,
    scope: String,
}

pub async fn show(
    user: CurrentUser,
    FormPage(chrome): FormPage,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let tokens = personal_tokens::list(&state.db, user.id).await?;
    let page = TokensPage { chrome, tokens, created: None, error: None, name: String::new() };
    render_status(&page, StatusCode::OK)
}

pub async fn create(
    req: HttpRequest,
    user: CurrentUser,
    FormPage(chrome): FormPage,
    state: web::Data<AppState>,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> Result<HttpResponse, AppError> {
    let (created, error, status) = match NewToken::parse(&form.name, &form.expires_days, &form.scope) {
        Ok(new) => {
            let created = personal_tokens::create(&state.db, user.id, new, client_info(&req)).await?;
            tracing::info!(user_id = %user.id, "personal access token created");
            (Some((created.name, created.token.expose().to_owned())), None, StatusCode::OK)
        }
        Err(e) => (None, Some(e.to_string()), StatusCode::UNPROCESSABLE_ENTITY),
    };
    let tokens = personal_tokens::list(&state.db, user.id).await?;
    let name = if error.is_some() { form.name } else { String::new() };
    render_status(&TokensPage { chrome, tokens, created, error, name }, status)
}

pub async fn revoke(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    id: web::Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    // Someone else's token and one that never existed look the same: 404.
    let id: i64 = id.parse().map_err(|_| AppError::NotFound)?;
    if !personal_tokens::revoke(&state.db, user.id, id, client_info(&req)).await? {
        return Err(AppError::NotFound);
    }
    FlashMessage::success("The token has been revoked.").send();
    Ok(see_other("/account/tokens"))
}
