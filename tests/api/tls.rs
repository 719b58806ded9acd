//! PostgreSQL over TLS: the bundled libpq speaks it (through the vendored OpenSSL) when
//! the URL says `sslmode=require`, against a server that admits nothing else; and with a
//! private CA (`verify-full` and `sslrootcert`), the workers' pipelined connections too.

use crate::helpers::{TestApp, location};
use crate::support::postgres::OwnCluster;
use diesel::prelude::*;
use diesel::sql_types::Bool;
use gatehouse::db::DatabaseUrl;

#[derive(QueryableByName)]
struct Encrypted {
    #[diesel(sql_type = Bool)]
    ssl: bool,
}

#[tokio::test]
async fn the_app_runs_on_a_postgres_that_only_accepts_tls() {
    let cluster = tokio::task::spawn_blocking(OwnCluster::start_tls_only).await.unwrap();
    let plain = DatabaseUrl::parse(&cluster.tcp_url("disable")).unwrap().connect();
    let refused = plain.err().map(|e| e.to_string()).unwrap_or_default();
    assert!(refused.contains("no encryption") || refused.contains("pg_hba.conf"), "{refused}");

    let url = cluster.tcp_url("require");
    let mut conn = DatabaseUrl::parse(&url).unwrap().connect().expect("connecting with sslmode=require");
    let query = diesel::sql_query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()");
    assert!(query.get_result::<Encrypted>(&mut conn).unwrap().ssl);

    let app = TestApp::at(url, |_| {}).await;
    app.register("over_tls").await;
    let browser = app.browser();
    assert_eq!(location(&browser.login("over_tls", crate::helpers::PASSWORD, false).await), "/dashboard");
}

#[tokio::test]
async fn with_a_private_ca_both_the_pool_and_the_pipelined_reads_verify_and_connect() {
    let cluster = tokio::task::spawn_blocking(OwnCluster::start_tls_only).await.unwrap();
    let verified = format!("{}&sslrootcert={}", cluster.tcp_url("verify-full"), cluster.ca_file().display());
    let app = TestApp::at(verified, |_| {}).await;
    app.register("private_ca").await;
    let browser = app.browser();
    assert_eq!(location(&browser.login("private_ca", crate::helpers::PASSWORD, false).await), "/dashboard");
    // Fails (times out) unless the pipeline connected: otherwise the pool answers every read.
    app.until_pipelined(&browser).await;
}
