//! Building the application: pool, migrations, state, middleware, routes, listener.

use crate::accounts::{self, PasswordHasher};
use crate::config::Settings;
use crate::crypto::{Purpose, Sealer};
use crate::db::{self, Db};
use crate::mail::{self, Mailer, Outbox};
use crate::routes;
use crate::web::{self, AppState};
use actix_identity::IdentityMiddleware;
use actix_identity::config::LogoutBehaviour;
use actix_web::dev::Server;
use actix_web::middleware::from_fn;
use actix_web::{App, HttpServer, web::Data};
use actix_web_flash_messages::FlashMessagesFramework;
use actix_web_flash_messages::storage::SessionMessageStore;
use anyhow::Context;
use std::net::TcpListener;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a request waits for a database connection before it gets a 503.
const POOL_WAIT: Duration = Duration::from_secs(3);
const BACKGROUND_CONNECTIONS: u32 = 2;
const SWEEP_INTERVAL: Duration = Duration::from_secs(600);
/// How long a stopping server waits for the mail worker to finish the message in hand.
const MAIL_WORKER_GRACE: Duration = Duration::from_secs(30);

pub struct Application {
    port: u16,
    /// The requests' pool (background work has its own).
    db: Db,
    server: Server,
    stop_mail: CancellationToken,
    mail_worker: JoinHandle<()>,
}

impl Application {
    /// Migrates the database and binds the listener; `run_until_stopped` serves.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = Db::connect(&settings.database_url, settings.db_pool_size, POOL_WAIT);
        // The mail worker and the sweep have connections of their own, so background work
        // never takes one a request is waiting for.
        let background = Db::connect(&settings.database_url, BACKGROUND_CONNECTIONS, POOL_WAIT);
        let applied = db.run::<_, anyhow::Error>(db::run_pending).await.context("migrating the database")?;
        for name in applied {
            tracing::info!(migration = %name, "applied migration");
        }
        let cost = settings.bcrypt_cost;
        let hasher = actix_web::web::block(move || PasswordHasher::new(cost)).await??;
        let listener = TcpListener::bind(settings.bind_addr)
            .with_context(|| format!("binding {}", settings.bind_addr))?;
        let port = listener.local_addr()?.port();
        let workers = settings.workers;
        let mailer = Mailer::new(settings.smtp_url.as_ref(), &settings.mail_from)?;
        let outbox = Outbox::new(
            settings.public_url.clone(),
            Sealer::new(settings.secret_bytes(), Purpose::OutboxBody),
        );
        let outbox_settings = settings.outbox.clone();
        let providers = std::sync::Arc::new(crate::auth_providers::Providers::new(&settings)?);
        // Discovery failures at start are logged and retried in the background, never fatal.
        tokio::spawn({
            let providers = providers.clone();
            async move { providers.warm_up().await }
        });
        let state =
            Data::new(AppState { db: db.clone(), hasher, settings, outbox: outbox.clone(), providers });
        let server = HttpServer::new(move || {
            let settings = &state.settings;
            // `wrap` order: the last one wrapped sees the request first.
            App::new()
                .app_data(state.clone())
                .app_data(actix_web::web::QueryConfig::default().error_handler(|e, _| {
                    crate::web::AppError::BadRequest(format!("The query string could not be read ({e})"))
                        .into()
                }))
                .configure(routes::configure)
                .wrap(from_fn(web::error::render_errors))
                .wrap(FlashMessagesFramework::builder(SessionMessageStore::default()).build())
                .wrap(
                    IdentityMiddleware::builder()
                        .logout_behaviour(LogoutBehaviour::DeleteIdentityKeys)
                        .build(),
                )
                .wrap(from_fn(web::session::mark_browser_sessions))
                .wrap(web::session::middleware(settings))
                .wrap(from_fn(web::session::browser_session_cookies))
                .wrap(from_fn(web::headers::security_headers))
                .wrap(from_fn(web::request_log::log_requests))
        })
        .listen(listener)?;
        let server = match workers {
            Some(n) => server.workers(n),
            None => server,
        }
        .run();
        let stop_mail = CancellationToken::new();
        let mail_worker =
            mail::worker::spawn(background.clone(), mailer, &outbox, outbox_settings, stop_mail.clone());
        tokio::spawn(sweep_expired(background));
        Ok(Self { port, db, server, stop_mail, mail_worker })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pool requests use: tests read its statement counter.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// Serves until SIGINT/SIGTERM, then lets in-flight requests finish and stops the
    /// mail worker between two messages (what it has not sent stays queued).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let served = self.server.await;
        self.stop_mail.cancel();
        if tokio::time::timeout(MAIL_WORKER_GRACE, self.mail_worker).await.is_err() {
            tracing::warn!("the mail worker did not stop in time; its unsent messages stay queued");
        }
        served
    }
}

/// Deletes expired sessions, reset links and throttle events nothing counts any more.
async fn sweep_expired(db: Db) {
    let mut ticks = tokio::time::interval(SWEEP_INTERVAL);
    loop {
        ticks.tick().await;
        match accounts::sweep_expired(&db).await {
            Ok(swept) => tracing::debug!(?swept, "swept expired rows"),
            Err(e) => tracing::warn!(error = %e, "could not sweep expired rows"),
        }
    }
}
