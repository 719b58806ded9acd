//! The stylesheet, icon and passkeys script, compiled into the binary so that it runs from anywhere.

use crate::web::AppError;
use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpResponse, web};

const FILES: &[(&str, &str, &[u8])] = &[
    ("style.css", "text/css; charset=utf-8", include_bytes!("../../static/style.css")),
    ("favicon.svg", "image/svg+xml", include_bytes!("../../static/favicon.svg")),
    ("passkeys.js", "text/javascript; charset=utf-8", include_bytes!("../../static/passkeys.js")),
];

pub async fn serve(file: web::Path<String>) -> Result<HttpResponse, AppError> {
    let (_, content_type, body) =
        FILES.iter().find(|(name, _, _)| *name == file.as_str()).ok_or(AppError::NotFound)?;
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, *content_type))
        .insert_header((CACHE_CONTROL, "public, max-age=3600"))
        .body(*body))
}

pub async fn favicon() -> HttpResponse {
    HttpResponse::MovedPermanently().insert_header(("Location", "/static/favicon.svg")).finish()
}
