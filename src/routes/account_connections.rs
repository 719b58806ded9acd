//! `GET /account/connections` and `POST /account/connections/{name}/disconnect`.

use super::auth_pages::{Refusal, refuse};
use crate::accounts::identity::connections::{self, Disconnected};
use crate::web::client::client_info;
use crate::web::page::{Chrome, Page};
use crate::web::{AppError, AppState, CsrfForm, CurrentUser, NoFields, render, see_other};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;

/// A configured provider as the page shows it.
struct Row {
    name: String,
    label: String,
    /// The identity's email or login, when linked.
    linked_as: Option<String>,
}

#[derive(Template)]
#[template(path = "account_connections.html")]
struct ConnectionsPage {
    chrome: Chrome,
    rows: Vec<Row>,
}

pub async fn show(
    user: CurrentUser,
    Page(chrome): Page,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let linked = connections::list(&state.db, user.id).await?;
    let rows = state
        .providers
        .all()
        .map(|p| Row {
            name: p.name.clone(),
            label: p.label.clone(),
            linked_as: linked.iter().find(|l| l.provider == p.name).map(|l| l.email.clone()),
        })
        .collect();
    render(&ConnectionsPage { chrome, rows })
}

pub async fn disconnect(
    req: HttpRequest,
    user: CurrentUser,
    Page(chrome): Page,
    state: web::Data<AppState>,
    path: web::Path<String>,
    CsrfForm(_): CsrfForm<NoFields>,
) -> Result<HttpResponse, AppError> {
    let name = path.into_inner();
    let provider = state.providers.get(&name).ok_or(AppError::NotFound)?;
    match connections::disconnect(&state.db, user.id, &name, client_info(&req)).await? {
        Disconnected::Done => {
            tracing::info!(user_id = %user.id, provider = %name, "provider disconnected");
            FlashMessage::success(format!("{} is no longer connected.", provider.label)).send();
            Ok(see_other("/account/connections"))
        }
        Disconnected::NotLinked => Err(AppError::NotFound),
        Disconnected::LastWayIn => refuse(chrome, Refusal::LastWayIn),
    }
}
