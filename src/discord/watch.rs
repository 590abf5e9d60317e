//! One watch over the gateway connection, for the operator and for the ops listener.
//!
//! The truth is the shard manager's record of each shard's stage, which serenity updates
//! on every stage change and every heartbeat acknowledgement. [`GatewayWatch::run`] reads
//! it every [`POLL_EVERY`] and
//! - tells the operator, once per outage and at warn level, when no shard has been
//!   connected for [`GATEWAY_CHECKS_BEFORE_WARNING`] connection attempts
//!   ([`GATEWAY_CHECK_EVERY`] apart), with what fails and where ([`probe_gateway`]), and
//!   when the connection is back (serenity itself logs a terse line per attempt, without
//!   the address);
//! - when the ops listener is on, reports the connection to its [`Health`]. Then the
//!   watch is also an event handler: READY, RESUMED and stage changes are reported at
//!   once (serenity dispatches these on tasks of their own, so they may run out of
//!   order: the event's own `new` stage could be stale, and the manager is read instead),
//!   and each RESUMED, and each READY after the first, counts as a reconnect. Without the
//!   listener it is not registered as one, so serenity does not clone every event for it.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use serenity::all::{ConnectionStage, Context, EventHandler, Ready, ResumedEvent, ShardManager};
use serenity::async_trait;
use serenity::gateway::ShardStageUpdateEvent;

use crate::ops::{metric, Health};

/// How often the shard manager is read without an event.
pub const POLL_EVERY: Duration = Duration::from_secs(2);

/// How often the gateway connection is looked at: serenity's shard queuer tries a new
/// connection every 5 s while none works.
pub const GATEWAY_CHECK_EVERY: Duration = Duration::from_secs(5);
/// Looks in a row without a gateway session before the operator is told (about 15 s,
/// three connection attempts).
pub const GATEWAY_CHECKS_BEFORE_WARNING: u32 = 3;

pub struct GatewayWatch {
    health: Option<Arc<Health>>,
    manager: OnceLock<Arc<ShardManager>>,
    connected_before: AtomicBool,
}

/// What the shard manager says: whether any shard is connected, and why the connection
/// is not whole (`None` when every shard is connected).
struct Stages {
    any_connected: bool,
    down: Option<String>,
}

impl GatewayWatch {
    /// A watch that reports to `health`, if the ops listener is on.
    pub fn new(health: Option<Arc<Health>>) -> Self {
        Self {
            health,
            manager: OnceLock::new(),
            connected_before: AtomicBool::new(false),
        }
    }

    /// The client's shard manager, once the client is built.
    pub fn watch(&self, manager: Arc<ShardManager>) {
        let _ = self.manager.set(manager);
    }

    /// Every shard's stage; `fallback` (the stage an event named) when there is no
    /// manager yet.
    async fn stages(&self, fallback: ConnectionStage) -> Stages {
        let Some(m) = self.manager.get() else {
            let connected = fallback == ConnectionStage::Connected;
            return Stages {
                any_connected: connected,
                down: (!connected).then(|| fallback.to_string()),
            };
        };
        let runners = m.runners.lock().await;
        Stages {
            any_connected: runners
                .values()
                .any(|r| r.stage == ConnectionStage::Connected),
            down: if runners.is_empty() {
                Some("no shard is running".to_owned())
            } else {
                runners
                    .iter()
                    .find(|(_, r)| r.stage != ConnectionStage::Connected)
                    .map(|(id, r)| format!("shard {id} is {}", r.stage))
            },
        }
    }

    /// Tells the ops listener, if it is on.
    fn report(&self, down: Option<String>) {
        match (&self.health, down) {
            (None, _) => {}
            (Some(h), None) => h.gateway_up(),
            (Some(h), Some(why)) => h.gateway_down(format!("not connected ({why})")),
        }
    }

    /// Reads the stages and reports them to the ops listener.
    async fn refresh(&self, fallback: ConnectionStage) {
        if self.health.is_some() {
            self.report(self.stages(fallback).await.down);
        }
    }

    /// Looks at the connection every [`POLL_EVERY`], forever (the caller aborts it):
    /// the operator's warning and the ops listener's health (see the module
    /// documentation). `ws_url` is the gateway address serenity connects to.
    pub async fn run(self: Arc<Self>, ws_url: Arc<tokio::sync::Mutex<String>>) {
        let mut ticker = tokio::time::interval(POLL_EVERY);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let warn_after = GATEWAY_CHECK_EVERY * GATEWAY_CHECKS_BEFORE_WARNING;
        let mut down_since = Some(Instant::now());
        let mut warned = false;
        loop {
            ticker.tick().await;
            let stages = self.stages(ConnectionStage::Connected).await;
            if self.connected_before.load(Ordering::SeqCst) {
                self.report(stages.down);
            }
            if stages.any_connected {
                if warned {
                    tracing::warn!("the gateway connection is back");
                }
                warned = false;
                down_since = None;
                continue;
            }
            let since = *down_since.get_or_insert_with(Instant::now);
            if !warned && since.elapsed() >= warn_after {
                warned = true;
                let url = ws_url.lock().await.clone();
                let why = probe_gateway(&url).await;
                let down = GATEWAY_CHECKS_BEFORE_WARNING;
                tracing::warn!(
                    "no connection to the Discord gateway at {url} after {down} attempts over \
                     {warn_after:?}: {why}. The bot answers nothing until it connects; it keeps \
                     retrying every {GATEWAY_CHECK_EVERY:?} (stop it with Ctrl-C or SIGTERM)"
                );
            }
        }
    }
}

#[async_trait]
impl EventHandler for GatewayWatch {
    async fn ready(&self, _ctx: Context, _ready: Ready) {
        if self.connected_before.swap(true, Ordering::SeqCst) {
            metric::gateway_reconnect();
        }
        self.refresh(ConnectionStage::Connected).await;
    }

    async fn resume(&self, _ctx: Context, _event: ResumedEvent) {
        self.connected_before.store(true, Ordering::SeqCst);
        metric::gateway_reconnect();
        self.refresh(ConnectionStage::Connected).await;
    }

    async fn shard_stage_update(&self, _ctx: Context, event: ShardStageUpdateEvent) {
        tracing::debug!(old = %event.old, new = %event.new, "gateway stage");
        self.refresh(event.new).await;
    }
}

/// Why a connection to the gateway at `url` (`ws://` or `wss://`) fails, as far as one
/// TCP connection can tell: the host name does not resolve, the connection is refused or
/// times out, or it is accepted (then the WebSocket handshake or the session fails).
pub async fn probe_gateway(url: &str) -> String {
    let (secure, rest) = match url.split_once("://") {
        Some(("wss", rest)) => (true, rest),
        Some((_, rest)) => (false, rest),
        None => (true, url),
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let hostport = if authority
        .rsplit_once(':')
        .is_some_and(|(_, p)| p.parse::<u16>().is_ok())
    {
        authority.to_owned()
    } else {
        format!("{authority}:{}", if secure { 443 } else { 80 })
    };
    let host = hostport
        .rsplit_once(':')
        .map_or(hostport.as_str(), |(h, _)| h);
    let limit = Duration::from_secs(5);
    let addrs = match tokio::time::timeout(limit, tokio::net::lookup_host(&hostport)).await {
        Ok(Ok(a)) => a.collect::<Vec<_>>(),
        Ok(Err(e)) => return format!("the host name `{host}` does not resolve (DNS: {e})"),
        Err(_) => return format!("looking up the host name `{host}` took over {limit:?}"),
    };
    let Some(addr) = addrs.first() else {
        return format!("the host name `{host}` resolves to no address");
    };
    match tokio::time::timeout(limit, tokio::net::TcpStream::connect(addr)).await {
        Ok(Ok(_)) => format!(
            "{addr} accepts TCP connections, but no gateway session comes up (the WebSocket \
             handshake or IDENTIFY fails; RUST_LOG=serenity=debug shows why)"
        ),
        Ok(Err(e)) if e.kind() == std::io::ErrorKind::ConnectionRefused => {
            format!("{addr} refused the connection ({e})")
        }
        Ok(Err(e)) => format!("connecting to {addr} failed ({e})"),
        Err(_) => format!("connecting to {addr} got no answer within {limit:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_gateway_probe_tells_a_refused_port_from_a_name_that_does_not_resolve() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let refused = probe_gateway(&format!("ws://127.0.0.1:{port}")).await;
        assert!(
            refused.starts_with(&format!("127.0.0.1:{port} refused the connection")),
            "{refused}"
        );
        // A label over 63 characters: the resolver refuses it without sending a query.
        let host = format!("{}.invalid", "a".repeat(64));
        let dns = probe_gateway(&format!("wss://{host}/?v=10")).await;
        assert!(
            dns.starts_with(&format!("the host name `{host}` does not resolve")),
            "{dns}"
        );
        let listening = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let open = probe_gateway(&format!("ws://{}", listening.local_addr().unwrap())).await;
        assert!(open.contains("accepts TCP connections"), "{open}");
    }
}
