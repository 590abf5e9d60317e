#![allow(dead_code)]
//! A fresh PostgreSQL database per test, on the cluster `.ci/postgres start` runs
//! (`ACTIVATION_CHECK_TEST_POSTGRES`, its admin URL). Without that variable the tests
//! that need PostgreSQL say so and stop; `.ci/run` always sets it.

use std::sync::atomic::{AtomicU64, Ordering};

/// The admin URL of the test cluster, if one runs.
pub fn admin_url() -> Option<String> {
    std::env::var("ACTIVATION_CHECK_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
}

/// Says why the running test (libtest names its thread after it) did not run.
fn skipped() {
    let thread = std::thread::current();
    let test = thread.name().unwrap_or("a PostgreSQL test");
    eprintln!(
        "{test}: skipped, no PostgreSQL (run `eval \"$(.ci/postgres start)\"` first; .ci/run does)"
    );
}

/// A new, empty database for the running test; `None` once it said the test is skipped
/// (no cluster).
pub async fn database() -> Option<String> {
    let url = fresh_database().await;
    if url.is_none() {
        skipped();
    }
    url
}

/// What a test of `serve` workers sharing PostgreSQL starts from: a fresh database (its
/// URL), the Discord stand-in, and a directory for the workers' data; `None` once it said
/// the test is skipped.
pub async fn with_standin() -> Option<(String, super::standin::StandIn, tempfile::TempDir)> {
    let url = database().await?;
    let standin = super::standin::StandIn::start().await;
    Some((url, standin, tempfile::tempdir().unwrap()))
}

/// A new, empty database on the test cluster; its URL.
pub async fn fresh_database() -> Option<String> {
    static N: AtomicU64 = AtomicU64::new(0);
    let admin = admin_url()?;
    let (client, connection) = tokio_postgres::connect(&admin, tokio_postgres::NoTls)
        .await
        .unwrap_or_else(|e| panic!("the test cluster at {admin} accepts connections: {e}"));
    let conn = tokio::spawn(connection);
    let name = format!(
        "t_{}_{}_{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .subsec_nanos()
    );
    client
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .await
        .expect("a test database is created");
    drop(client);
    let _ = conn.await;
    let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b);
    Some(format!("{base}/{name}"))
}
