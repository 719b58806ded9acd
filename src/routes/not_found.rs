//! The 404 page for every path the route table doesn't know.

use crate::web::AppError;
use actix_web::HttpResponse;

pub async fn show() -> Result<HttpResponse, AppError> {
    Err(AppError::NotFound)
}
