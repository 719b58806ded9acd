//! `GET /`: the landing page.

use crate::web::AppError;
use crate::web::page::Chrome;
use crate::web::{Page, render};
use actix_web::HttpResponse;
use askama::Template;

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    chrome: Chrome,
}

pub async fn show(Page(chrome): Page) -> Result<HttpResponse, AppError> {
    render(&HomePage { chrome })
}
