//! `POST /admin/users/bulk`: one action (`action`: deactivate, reactivate or
//! revoke-sessions) on the accounts ticked in the list (`id`, once per account). Each goes
//! through the single action's use case; what a safety rule refuses is skipped and said.

use super::actions::back_to;
use crate::accounts::administration::AdminError;
use crate::accounts::administration::bulk::{self, BulkAction, MAX_ACCOUNTS, Report};
use crate::domain::UserId;
use crate::web::AppError;
use crate::web::auth::{Admin, RequireRole};
use crate::web::client::client_info;
use crate::web::{AppState, CsrfForm, see_other};
use actix_web::{HttpRequest, HttpResponse, web};
use actix_web_flash_messages::FlashMessage;

pub const NONE_SELECTED: &str = "No account was selected: tick the accounts first.";

/// The form's fields as sent: checkboxes repeat `id`, which no struct field can hold.
type Fields = Vec<(String, String)>;

struct BulkForm {
    action: BulkAction,
    targets: Vec<UserId>,
    return_to: String,
}

fn parse(fields: Fields) -> Result<BulkForm, AppError> {
    let bad = |what: &str| AppError::BadRequest(what.to_owned());
    let mut action = None;
    let (mut targets, mut return_to) = (Vec::new(), String::new());
    for (name, value) in fields {
        match name.as_str() {
            "action" if action.is_none() => {
                action = Some(BulkAction::parse(&value).ok_or_else(|| {
                    bad("The action must be one of: deactivate, reactivate, revoke-sessions")
                })?);
            }
            "id" => match value.parse::<i64>() {
                Ok(id) if id >= 1 => targets.push(UserId(id)),
                _ => return Err(bad("Each selected account must be an account id")),
            },
            "return_to" => return_to = value,
            "csrf_token" => {}
            _ => return Err(bad("The form has a field it should not have, or one twice")),
        }
    }
    if targets.len() > MAX_ACCOUNTS {
        return Err(bad("Too many accounts at once: at most 100"));
    }
    let action = action.ok_or_else(|| bad("Choose an action"))?;
    Ok(BulkForm { action, targets, return_to })
}

pub async fn apply(
    req: HttpRequest,
    admin: RequireRole<Admin>,
    state: web::Data<AppState>,
    CsrfForm(fields): CsrfForm<Fields>,
) -> Result<HttpResponse, AppError> {
    let form = parse(fields)?;
    let back = back_to(&form.return_to);
    if form.targets.is_empty() {
        FlashMessage::warning(NONE_SELECTED).send();
        return Ok(see_other(&back));
    }
    let done = bulk::bulk(&state.db, admin.user.id, form.targets, form.action, client_info(&req)).await;
    match done {
        Ok(report) => {
            tell(&report);
            Ok(see_other(&back))
        }
        Err(AdminError::NotAdmin) => Err(AppError::Forbidden),
        Err(e) => Err(anyhow::Error::from(e).into()),
    }
}

/// One success flash listing what was done, one warning per account skipped.
fn tell(report: &Report) {
    if !report.done.is_empty() {
        let sentences: Vec<String> = report.done.iter().map(ToString::to_string).collect();
        FlashMessage::success(sentences.join(" ")).send();
    }
    for skipped in &report.skipped {
        let who = skipped.username.clone().unwrap_or_else(|| format!("account {}", skipped.account));
        FlashMessage::warning(format!("Skipped {who}: {}", skipped.reason)).send();
    }
}
