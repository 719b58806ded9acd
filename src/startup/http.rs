//! The HTTP server: the middleware stack around the route table, on the bound listener.

use crate::routes;
use crate::web::readiness::Readiness;
use crate::web::{self, AppState};
use actix_identity::IdentityMiddleware;
use actix_identity::config::LogoutBehaviour;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web::Data};
use actix_web_flash_messages::FlashMessagesFramework;
use actix_web_flash_messages::storage::SessionMessageStore;
use std::net::TcpListener;

/// The server, not yet stopping on signals of its own: `Application::run_until` decides
/// when it stops, after draining.
pub fn server(
    state: Data<AppState>,
    readiness: Readiness,
    listener: TcpListener,
    workers: Option<usize>,
) -> std::io::Result<Server> {
    let readiness = Data::new(readiness);
    let document = Data::new(routes::api::Document::build().map_err(std::io::Error::other)?);
    let server = HttpServer::new(move || {
        let settings = &state.settings;
        // `wrap` order: the last one wrapped sees the request first.
        App::new()
            .app_data(state.clone())
            // Made here, once per worker thread: its own pipelined connection.
            .app_data(state.db.pipeline())
            .app_data(readiness.clone())
            .app_data(actix_web::web::QueryConfig::default().error_handler(|e, _| {
                crate::web::AppError::BadRequest(format!("The query string could not be read ({e})")).into()
            }))
            .configure(|cfg| routes::api::configure(cfg, &settings.api, &document))
            .configure(routes::configure)
            .wrap(from_fn(web::error::render_errors))
            .wrap(FlashMessagesFramework::builder(SessionMessageStore::default()).build())
            .wrap(IdentityMiddleware::builder().logout_behaviour(LogoutBehaviour::DeleteIdentityKeys).build())
            .wrap(from_fn(web::session::mark_browser_sessions))
            .wrap(web::session::middleware(settings))
            .wrap(from_fn(web::session::browser_session_cookies))
            .wrap(from_fn(web::headers::security_headers))
            .wrap(from_fn(web::request_log::log_requests))
            .wrap(from_fn(web::readiness::close_connections_while_draining))
    })
    .disable_signals()
    .listen(listener)?;
    Ok(match workers {
        Some(n) => server.workers(n),
        None => server,
    }
    .run())
}
