//! The Prometheus recorder (one per process) and the second listener on `METRICS_ADDR`
//! that renders it as text at `GET /metrics`.

use crate::db::{self, Db, DbError};
use actix_web::dev::Server;
use actix_web::{App, HttpResponse, HttpServer, web};
use anyhow::Context;
use metrics::{counter, gauge};
use metrics_exporter_prometheus::{BuildError, Matcher, PrometheusBuilder, PrometheusHandle};
use std::net::TcpListener;
use std::sync::OnceLock;
use std::time::Duration;

/// Latency buckets for every `*_seconds` histogram: from a cached page to a slow bcrypt.
const BUCKETS: &[f64] = &[0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];
/// Histograms keep samples until upkeep folds them in; scrapes do it too.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

static HANDLE: OnceLock<Option<PrometheusHandle>> = OnceLock::new();

/// Installs the process's recorder (once; later calls get the same handle).
pub fn install() -> anyhow::Result<PrometheusHandle> {
    HANDLE.get_or_init(|| build().ok()).clone().context("installing the metrics recorder")
}

fn build() -> Result<PrometheusHandle, BuildError> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)?
        .install_recorder()
}

struct Scrape {
    handle: PrometheusHandle,
    db: Db,
}

/// Binds `listener` to serve `/metrics` (and nothing else); stopped with the app.
pub fn serve(listener: TcpListener, handle: PrometheusHandle, db: Db) -> anyhow::Result<Server> {
    let upkeep = handle.clone();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(UPKEEP_EVERY);
        loop {
            ticks.tick().await;
            upkeep.run_upkeep();
        }
    });
    let scrape = web::Data::new(Scrape { handle, db });
    let server = HttpServer::new(move || {
        App::new()
            .app_data(scrape.clone())
            .route("/metrics", web::get().to(render))
            .default_service(web::to(HttpResponse::NotFound))
    })
    .workers(1)
    .disable_signals()
    .listen(listener)
    .context("serving metrics")?
    .run();
    Ok(server)
}

async fn render(scrape: web::Data<Scrape>) -> HttpResponse {
    observe_pool(&scrape.db);
    // The outbox is shared, so every instance reports the same depth.
    match scrape.db.run(|conn| db::outbox::pending_count(conn).map_err(DbError::from)).await {
        Ok(depth) => gauge!("gatehouse_outbox_depth").set(depth as f64),
        Err(e) => tracing::debug!(error = %e, "outbox depth unknown for this scrape"),
    }
    scrape.handle.run_upkeep();
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(scrape.handle.render())
}

fn observe_pool(db: &Db) {
    let pool = db.pool_stats();
    gauge!("gatehouse_db_pool_size").set(f64::from(pool.max_size));
    gauge!("gatehouse_db_pool_connections").set(f64::from(pool.connections));
    gauge!("gatehouse_db_pool_in_use").set(f64::from(pool.connections.saturating_sub(pool.idle)));
    counter!("gatehouse_db_statements_total").absolute(db.statements());
    counter!("gatehouse_db_pipelined_lookups_total").absolute(db.pipelined_reads());
    gauge!("gatehouse_db_lookups_waiting").set(db.lookups_waiting() as f64);
}
