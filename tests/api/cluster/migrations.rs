//! Instances started together on one fresh PostgreSQL database: one applies the
//! migrations, the others wait for its lock and find nothing left to do.

use super::instance::Instance;
use crate::support::postgres::new_empty_database;
use diesel::prelude::*;

#[tokio::test]
async fn three_instances_started_at_once_on_a_fresh_database_all_come_up() {
    let url = new_empty_database();
    let mut instances: Vec<Instance> =
        (0..3).map(|_| Instance::start(&url, &[("RUST_LOG", "gatehouse=info")])).collect();
    for instance in &mut instances {
        instance.ready().await;
    }
    // Exactly one of them applied the migrations; every migration is recorded once.
    let appliers = instances.iter().filter(|i| i.log().contains("applied migration")).count();
    assert_eq!(appliers, 1, "{:#?}", instances.iter().map(Instance::log).collect::<Vec<_>>());
    let mut conn = PgConnection::establish(&url).unwrap();
    let recorded: i64 = diesel::sql_query("SELECT count(*) AS n FROM __diesel_schema_migrations")
        .get_result::<Count>(&mut conn)
        .unwrap()
        .n;
    let shipped = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres"))
        .unwrap()
        .filter(|entry| entry.as_ref().unwrap().path().is_dir())
        .count();
    assert_eq!(recorded, shipped as i64);
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}
