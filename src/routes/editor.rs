//! `GET /editor`: the editors' area, for editors and admins.

use crate::web::AppError;
use crate::web::auth::{Editor, RequireRole};
use crate::web::page::Chrome;
use crate::web::{Page, render};
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "editor.html")]
struct EditorPage {
    chrome: Chrome,
    username: String,
}

pub async fn show(editor: RequireRole<Editor>, Page(chrome): Page) -> Result<HttpResponse, AppError> {
    render(&EditorPage { chrome, username: editor.user.username })
}
