//! `/healthz` (the process is up) and `/readyz` (and can reach its database, and is not
//! shutting down).

use crate::db;
use crate::web::AppState;
use crate::web::readiness::Readiness;
use actix_web::{HttpResponse, web};

pub async fn alive() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

pub async fn ready(state: web::Data<AppState>, readiness: web::Data<Readiness>) -> HttpResponse {
    if readiness.is_draining() {
        return HttpResponse::ServiceUnavailable().content_type("text/plain").body("shutting down");
    }
    let ping = state.db.run(|conn| db::ping(conn).map_err(db::DbError::from)).await;
    match ping {
        Ok(_) => HttpResponse::Ok().content_type("text/plain").body("ready"),
        Err(e) => {
            tracing::warn!(error = %e, "readiness check failed");
            HttpResponse::ServiceUnavailable().content_type("text/plain").body("database unavailable")
        }
    }
}
