//! Running as a service: the optional health and metrics listener (`--metrics-addr`).
//!
//! A supervisor (a container runtime's `HEALTHCHECK`, a load balancer, a systemd timer)
//! asks `/healthz` whether the bot can serve users: 200 `ok` while the gateway
//! connection is up and the store takes durable writes, 503 with one line saying what
//! is down otherwise. A Prometheus scraper reads `/metrics`. Both come from the same
//! small listener ([`http`]), off unless an address is configured; the examples bind
//! loopback, since neither endpoint needs to be public.
//!
//! What is measured and how it is named lives in [`metric`]; whether the bot is healthy
//! lives in [`Health`], set by the Discord edge from gateway events and by
//! [`probe_store`] here. `activation-check health` ([`check`]) asks `/healthz` from the
//! command line, for images that have no HTTP client.
//!
//! This module names neither serenity nor sled: the Discord edge reports to [`Health`],
//! and the store is probed through its public API.

pub mod health;
pub mod http;
pub mod metric;

use std::future::Future;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use metrics_exporter_prometheus::PrometheusHandle;
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

pub use health::Health;
use http::{Response, Routes};

use crate::knowledge::Knowledge;
use crate::store::backend::Backend;
use crate::store::{JsonTree, SledStore};

/// How often the store is probed with a durable write.
pub const PROBE_EVERY: Duration = Duration::from_secs(5);
/// The sessions gauge is recounted on a scrape at most this often (counting reads every
/// record).
pub const SESSIONS_RECOUNT: Duration = Duration::from_secs(5);
/// The file the probe writes in the data directory, then removes.
pub const PROBE_FILE: &str = "health-probe.tmp";
/// The tree (of the store's JSON trees) and key the probe writes.
pub const PROBE_TREE: &str = "ops";
const PROBE_KEY: &str = "probe";

/// Why the listener could not start.
#[derive(Debug, thiserror::Error)]
pub enum OpsError {
    #[error("cannot listen on {addr} (--metrics-addr / ACTIVATION_CHECK_METRICS_ADDR): {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("the metrics recorder could not be installed (another one already is)")]
    Recorder,
    #[error("the store cannot be probed: {0}")]
    Store(#[from] crate::session::StoreError),
}

/// The running listener and store probe; [`Listener::stop`] ends both.
pub struct Listener {
    addr: SocketAddr,
    health: Arc<Health>,
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<JoinHandle<()>>,
}

impl Listener {
    /// Where it listens (with the port the system chose for port 0).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The health the Discord edge reports to.
    pub fn health(&self) -> Arc<Health> {
        self.health.clone()
    }

    /// Stops accepting, stops the probe, and waits for both.
    pub async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// What the store probe writes to (sled) or asks (PostgreSQL: whether the database
/// answers).
pub enum Probe {
    Sled(Arc<SledStore>, JsonTree<i64>),
    Postgres(Arc<crate::store::postgres::PgStore>),
}

impl Probe {
    fn of(store: &Backend) -> Result<Probe, OpsError> {
        Ok(match store {
            Backend::Sled(s) => Probe::Sled(s.clone(), s.open_tree_json::<i64>(PROBE_TREE)?),
            Backend::Postgres(p) => Probe::Postgres(p.clone()),
        })
    }

    async fn once(&self) -> Result<(), String> {
        match self {
            Probe::Sled(store, probe) => probe_once(store, probe).await,
            Probe::Postgres(pg) => pg
                .schema_version()
                .await
                .map(drop)
                .map_err(|e| format!("the database does not answer: {e}")),
        }
    }
}

/// Binds `addr`, installs the Prometheus recorder, records the rules in force, probes
/// the store once, and serves `/healthz` and `/metrics` until [`Listener::stop`].
pub async fn start(addr: SocketAddr, k: &Knowledge, store: Backend) -> Result<Listener, OpsError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| OpsError::Bind { addr, source })?;
    let bound = listener.local_addr().unwrap_or(addr);
    let handle = metric::recorder().ok_or(OpsError::Recorder)?;
    let meta = &k.rules.meta;
    metric::rules_info(&meta.id, &meta.version, &meta.review_by);
    let health = Arc::new(Health::new());
    metric::gateway_connected(false);
    let probe = Probe::of(&store)?;
    health.store_probed(probe.once().await);

    let (stop, stopped) = tokio::sync::watch::channel(false);
    let until_stopped = move || {
        let mut rx = stopped.clone();
        async move {
            let _ = rx.wait_for(|s| *s).await;
        }
    };
    let routes = Arc::new(Endpoints {
        health: health.clone(),
        handle,
        store,
        counted: Mutex::new(None),
    });
    let tasks = vec![
        tokio::spawn(http::serve(listener, routes, until_stopped())),
        tokio::spawn(probe_store(
            probe,
            health.clone(),
            PROBE_EVERY,
            until_stopped(),
        )),
    ];
    tracing::info!(addr = %bound, "serving /healthz and /metrics on http://{bound}");
    Ok(Listener {
        addr: bound,
        health,
        stop,
        tasks,
    })
}

/// Probes the store every `every` until `shutdown`, reporting each result to `health`
/// (and logging when writability changes).
pub async fn probe_store(
    probe: Probe,
    health: Arc<Health>,
    every: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let mut ticker = tokio::time::interval(every);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ticker.tick().await;
    tokio::pin!(shutdown);
    let mut was_ok = true;
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            _ = ticker.tick() => {
                let result = probe.once().await;
                match (&result, was_ok) {
                    (Err(e), true) => tracing::warn!(error = %e, "the store does not take writes"),
                    (Ok(()), false) => tracing::info!("the store takes writes again"),
                    _ => {}
                }
                was_ok = result.is_ok();
                health.store_probed(result);
            }
        }
    }
}

/// One probe: a file written and synced in the data directory (a full or read-only
/// file system fails here at once, before the store's own pages run out), then a durable
/// write through the store (sled open, not poisoned, flushing).
pub async fn probe_once(store: &SledStore, probe: &JsonTree<i64>) -> Result<(), String> {
    let dir = store.dir().to_owned();
    tokio::task::spawn_blocking(move || probe_file(&dir))
        .await
        .map_err(|e| format!("the probe did not finish: {e}"))??;
    probe
        .insert(PROBE_KEY, &store.now())
        .await
        .map_err(|e| e.to_string())
}

fn probe_file(dir: &Path) -> Result<(), String> {
    let path = dir.join(PROBE_FILE);
    let result = std::fs::File::create(&path)
        .and_then(|mut f| {
            f.write_all(b"ok\n")?;
            f.sync_all()
        })
        .map_err(|e| format!("cannot write in {}: {e}", dir.display()));
    let _ = std::fs::remove_file(&path);
    result
}

/// What the listener serves.
struct Endpoints {
    health: Arc<Health>,
    handle: PrometheusHandle,
    store: Backend,
    /// When the sessions gauge was last recounted.
    counted: Mutex<Option<Instant>>,
}

impl Endpoints {
    /// Recounts the live sessions if the last count is older than [`SESSIONS_RECOUNT`].
    async fn recount_sessions(&self) {
        {
            let mut last = self.counted.lock().unwrap_or_else(|e| e.into_inner());
            if last.is_some_and(|t| t.elapsed() < SESSIONS_RECOUNT) {
                return;
            }
            *last = Some(Instant::now());
        }
        // sled counts by reading every record: not on the runtime's threads.
        let counted = match &self.store {
            Backend::Sled(s) => {
                let store = s.clone();
                tokio::task::spawn_blocking(move || store.len())
                    .await
                    .map_err(|e| e.to_string())
            }
            Backend::Postgres(p) => Ok(p.len().await),
        };
        match counted {
            Ok(Ok(n)) => metric::sessions_stored(n),
            Ok(Err(e)) => tracing::debug!(error = %e, "could not count the stored sessions"),
            Err(e) => tracing::debug!(error = %e, "counting the stored sessions did not finish"),
        }
    }
}

impl Routes for Endpoints {
    async fn get(&self, path: &str) -> Response {
        match path {
            "/healthz" => match self.health.status() {
                Ok(()) => Response::text(200, "ok\n"),
                Err(reason) => Response::text(503, format!("{reason}\n")),
            },
            "/metrics" => {
                self.recount_sessions().await;
                self.handle.run_upkeep();
                Response {
                    status: 200,
                    content_type: "text/plain; version=0.0.4; charset=utf-8",
                    body: self.handle.render(),
                }
            }
            _ => Response::text(404, "not found; try /healthz or /metrics\n"),
        }
    }
}

/// Asks `/healthz` at `addr` (an unspecified address such as `0.0.0.0` is asked on
/// loopback): `Ok` with the body on 200, `Err` with the reason otherwise. Blocking, with
/// `timeout` for each step; for `activation-check health`.
pub fn check(addr: SocketAddr, timeout: Duration) -> Result<String, String> {
    let mut addr = addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let fail = |e: std::io::Error| format!("cannot ask http://{addr}/healthz: {e}");
    let mut s = TcpStream::connect_timeout(&addr, timeout).map_err(fail)?;
    s.set_read_timeout(Some(timeout)).map_err(fail)?;
    s.set_write_timeout(Some(timeout)).map_err(fail)?;
    s.write_all(
        format!("GET /healthz HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n").as_bytes(),
    )
    .map_err(fail)?;
    let mut out = Vec::new();
    s.take(64 * 1024).read_to_end(&mut out).map_err(fail)?;
    let text = String::from_utf8_lossy(&out);
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let status = head
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse::<u16>().ok())
        .ok_or_else(|| format!("http://{addr}/healthz did not answer HTTP"))?;
    let body = body.trim().to_owned();
    if status == 200 {
        Ok(body)
    } else {
        Err(format!("unhealthy ({status}): {body}"))
    }
}
