//! The 404 page for every path the route table doesn't know.

use crate::error::AppError;
use actix_web::HttpResponse;

pub async fn show() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
