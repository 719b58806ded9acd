//! `GET, POST /account/password`: a logged-in user changes their password.

use crate::accounts::password_change::{self, ChangeError, ChangeErrors, ChangeInput, ChangeRequest};
use crate::web::AppError;
use crate::web::client::client_info;
use crate::web::page::{Chrome, FormPage};
use crate::web::{AppState, CsrfForm, CurrentUser, render, render_status, see_other};
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;
use askama::Template;

#[derive(Template)]
#[template(path = "account_password.html")]
struct PasswordPage {
    chrome: Chrome,
    errors: ChangeErrors,
}

/// An account without a password (made through a provider) has no current one to give:
/// it sets one through a reset link sent to its address.
#[derive(Template)]
#[template(path = "account_password_none.html")]
struct NoPasswordPage {
    chrome: Chrome,
    email: String,
}

pub async fn form(
    user: CurrentUser,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
) -> Result<HttpResponse, AppError> {
    if !password_change::has_password(&state.db, user.id).await? {
        return render(&NoPasswordPage { chrome, email: user.email });
    }
    render(&PasswordPage { chrome, errors: ChangeErrors::default() })
}

pub async fn submit(
    req: HttpRequest,
    user: CurrentUser,
    state: web::Data<AppState>,
    FormPage(chrome): FormPage,
    CsrfForm(input): CsrfForm<ChangeInput>,
) -> Result<HttpResponse, AppError> {
    if !password_change::has_password(&state.db, user.id).await? {
        // Not a wrong guess at a password: there is none to guess. Nothing is counted.
        let page = NoPasswordPage { chrome, email: user.email };
        return render_status(&page, StatusCode::UNPROCESSABLE_ENTITY);
    }
    let client = client_info(&req);
    let changed = password_change::change_password(
        &state.db,
        &state.hasher,
        &state.outbox,
        &state.settings.limits,
        ChangeRequest {
            user: user.id,
            username: user.username.clone(),
            email: user.email.clone(),
            session: user.session_id,
            input,
            client,
        },
    )
    .await;
    match changed {
        Ok(()) => {
            tracing::info!(user_id = %user.id, "password changed");
            FlashMessage::success(
                "Your password has been changed. Your other sessions have been logged out.",
            )
            .send();
            Ok(see_other("/dashboard"))
        }
        Err(ChangeError::Invalid(errors)) => {
            render_status(&PasswordPage { chrome, errors }, StatusCode::UNPROCESSABLE_ENTITY)
        }
        Err(ChangeError::Throttled { retry_after_secs }) => {
            Err(AppError::TooManyRequests { retry_after_secs })
        }
        Err(ChangeError::Unexpected(e)) => Err(e.into()),
    }
}
