//! Building the application: pool, migrations, state, listeners, background tasks; and
//! (in `shutdown`) stopping it gracefully.

mod http;
mod shutdown;

pub use shutdown::{Stop, terminated};

use crate::accounts::signing_keys::Keyring;
use crate::accounts::{self, PasswordHasher};
use crate::config::Settings;
use crate::crypto::{Purpose, Sealer};
use crate::db::{self, Db};
use crate::mail::{self, Mailer, Outbox};
use crate::telemetry;
use crate::web::AppState;
use crate::web::readiness::Readiness;
use actix_web::dev::Server;
use actix_web::web::Data;
use anyhow::Context;
use std::net::{SocketAddr, TcpListener};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How long a request waits for a database connection before it gets a 503.
const POOL_WAIT: Duration = Duration::from_secs(3);
const BACKGROUND_CONNECTIONS: u32 = 2;
const SWEEP_INTERVAL: Duration = Duration::from_secs(600);

pub struct Application {
    port: u16,
    /// The requests' pool (background work has its own).
    db: Db,
    server: Server,
    metrics: Option<Listening>,
    readiness: Readiness,
    drain: Duration,
    stop_mail: CancellationToken,
    mail_worker: JoinHandle<()>,
}

impl Application {
    /// Migrates the database and binds the listeners; `run_until` serves.
    pub async fn build(settings: Settings) -> anyhow::Result<Self> {
        let db = connect_and_migrate(&settings).await?;
        // The mail worker and the sweep have connections of their own, so background work
        // never takes one a request is waiting for.
        let background = Db::connect(&settings.database_url, BACKGROUND_CONNECTIONS, POOL_WAIT)?;
        let metrics = settings.metrics_addr.map(|addr| metrics_server(addr, &db)).transpose()?;
        let listener = bind(settings.bind_addr)?;
        let port = listener.local_addr()?.port();
        let mailer = Mailer::new(settings.smtp_url.as_ref(), &settings.mail_from)?;
        let sealer = Sealer::new(settings.secret_bytes(), Purpose::OutboxBody);
        let outbox = Outbox::new(settings.public_url.clone(), sealer);
        let (outbox_settings, workers, drain) =
            (settings.outbox.clone(), settings.workers, settings.shutdown_drain);
        let state = app_state(settings, db.clone(), outbox.clone()).await?;
        let readiness = Readiness::default();
        let server = http::server(state, readiness.clone(), listener, workers)?;
        let stop_mail = CancellationToken::new();
        let mail_worker =
            mail::worker::spawn(background.clone(), mailer, &outbox, outbox_settings, stop_mail.clone());
        tokio::spawn(sweep_expired(background));
        Ok(Self { port, db, server, metrics, readiness, drain, stop_mail, mail_worker })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The pool requests use: tests read its statement counter.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The port of `METRICS_ADDR`'s listener, when there is one.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|m| m.port)
    }

    /// Serves until the process ends: the tests' instances, which nothing signals.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.run_until(std::future::pending()).await
    }
}

/// A pool over `DATABASE_URL`, with every pending migration applied (once, however many
/// instances start together: see `db::run_pending`).
async fn connect_and_migrate(settings: &Settings) -> anyhow::Result<Db> {
    let db = Db::connect(&settings.database_url, settings.db_pool_size, POOL_WAIT)?;
    let applied = db.run::<_, anyhow::Error>(db::run_pending).await.context("migrating the database")?;
    for name in applied {
        tracing::info!(migration = %name, "applied migration");
    }
    Ok(db)
}

/// What every handler shares; the hasher's dummy hash is computed here, off the workers,
/// and the first signing key made if there is none.
async fn app_state(settings: Settings, db: Db, outbox: Outbox) -> anyhow::Result<Data<AppState>> {
    let cost = settings.bcrypt_cost;
    let hasher = actix_web::web::block(move || PasswordHasher::new(cost)).await??;
    let providers = std::sync::Arc::new(crate::auth_providers::Providers::new(&settings)?);
    // Discovery failures at start are logged and retried in the background, never fatal.
    tokio::spawn({
        let providers = providers.clone();
        async move { providers.warm_up().await }
    });
    let keyring = Keyring::new(settings.secret_bytes(), settings.api.access_token_ttl);
    keyring.ensure(&db).await?;
    let passkeys = crate::accounts::passkeys::RelyingParty::from_public_url(settings.public_url.as_str())?;
    Ok(Data::new(AppState { db, hasher, settings, outbox, keyring, providers, passkeys }))
}

/// A server and the port it listens on.
struct Listening {
    port: u16,
    server: Server,
}

/// The process's metrics recorder, served on `addr`.
fn metrics_server(addr: SocketAddr, db: &Db) -> anyhow::Result<Listening> {
    let listener = bind(addr)?;
    let port = listener.local_addr()?.port();
    let server = telemetry::exporter::serve(listener, telemetry::exporter::install()?, db.clone())?;
    Ok(Listening { port, server })
}

fn bind(addr: SocketAddr) -> anyhow::Result<TcpListener> {
    TcpListener::bind(addr).with_context(|| format!("binding {addr}"))
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
