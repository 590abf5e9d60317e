//! The Discord edge: `/activation-check` over the gateway, answer cards, moderator pins.
//!
//! This is the only module that names serenity. It turns interactions into
//! [`Conversation`] inputs and replies into messages laid out by [`spec`], and maps every
//! failure to one localized sentence for the user and one log line for the operator
//! (see `failure.rs`): a user never sees "This interaction failed".
//!
//! Everything a button needs is in its `custom_id` (the conversation's answers among
//! them), so buttons on old messages keep working after a restart; the sled store only
//! holds resume points, written behind the replies.
//!
//! What it owns, a file per job: routing (`handler.rs`), a click (`click.rs`), the
//! responder and its retries (`respond.rs`), failures and their sentences
//! (`failure.rs`), posting (`post.rs`) and pins (`pins.rs`) with the [`registry`],
//! message specs and Discord's limits (`spec.rs`), permissions, commands, the per-user
//! gate and the gateway watch. It may not touch sled (it reaches sessions through the
//! conversation, and the registry through a `JsonTree`) nor the terminal.

mod click;
pub mod commands;
pub mod endpoint;
mod failure;
pub mod gate;
mod handler;
pub mod permissions;
mod pins;
mod post;
pub mod registry;
mod respond;
mod rest;
pub mod spec;
pub mod watch;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serenity::all::{ClientBuilder, GatewayIntents, GuildId, HttpBuilder};
use serenity::http::HttpError;

use crate::knowledge::Knowledge;
use crate::store::SledStore;
use registry::Registry;

pub use handler::Handler;
pub use permissions::PIN_MESSAGES;
pub use respond::response_message;
pub use rest::Rest;

/// Where and how to connect.
#[derive(Clone)]
pub struct BotOptions {
    pub token: String,
    /// A Discord-compatible origin for REST and gateway discovery (`DISCORD_API_BASE`),
    /// for example an HTTP proxy; `None` for Discord itself.
    pub api_base: Option<String>,
    /// Register the commands in this server only (instant updates during setup).
    pub guild: Option<u64>,
    /// Where to report the gateway connection (the ops listener's health), if anywhere.
    pub health: Option<Arc<crate::ops::Health>>,
}

impl std::fmt::Debug for BotOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotOptions")
            .field("token", &"[redacted]")
            .field("api_base", &self.api_base)
            .field("guild", &self.guild)
            .field("health", &self.health.is_some())
            .finish()
    }
}

/// Why the bot could not start or stopped.
#[derive(Debug, thiserror::Error)]
pub enum BotError {
    #[error(
        "Discord rejected the token in DISCORD_TOKEN; copy the bot token again from the \
         Developer Portal (your application → Bot → Reset Token) and set DISCORD_TOKEN to it"
    )]
    TokenRejected,
    #[error("cannot reach Discord{}: {}", .base.as_deref().map(|b| format!(" at {b}")).unwrap_or_default(), reach_failure(.source))]
    Unreachable {
        base: Option<String>,
        source: serenity::Error,
    },
    #[error("could not register the commands: {0}")]
    Register(serenity::Error),
    #[error("the gateway connection failed: {0}")]
    Gateway(serenity::Error),
    #[error("the posted-cards registry cannot be opened: {0}")]
    Registry(#[from] crate::session::StoreError),
    #[error("cannot serve interactions on {0}: {1}")]
    Listen(std::net::SocketAddr, std::io::Error),
}

/// Why a REST call could not reach Discord, in words an operator can act on (the host
/// name does not resolve, nothing listens there, no answer in time, TLS fails), then
/// the error with every cause it carries.
fn reach_failure(e: &serenity::Error) -> String {
    let mut why = None;
    let mut cause: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(c) = cause {
        let text = c.to_string().to_lowercase();
        let io = c.downcast_ref::<std::io::Error>().map(std::io::Error::kind);
        why = match io {
            Some(std::io::ErrorKind::ConnectionRefused) => {
                Some("nothing accepts connections there (connection refused)")
            }
            Some(std::io::ErrorKind::TimedOut) => Some("the connection timed out"),
            _ if text.contains("dns error") || text.contains("lookup address") => {
                Some("the host name does not resolve (DNS lookup failed)")
            }
            _ if text.contains("certificate") || text.contains("tls") => {
                Some("the TLS handshake failed")
            }
            _ => why,
        };
        cause = c.source();
    }
    let chain = crate::problem::with_causes(e);
    match why {
        Some(why) => format!("{why}; {chain}"),
        None => chain,
    }
}

fn http(opts: &BotOptions) -> serenity::http::Http {
    let mut b = HttpBuilder::new(&opts.token);
    if let Some(base) = &opts.api_base {
        // Without disabling serenity's rate limiter the proxy is silently ignored.
        b = b
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    b.build()
}

fn is_unauthorized(e: &serenity::Error) -> bool {
    matches!(e, serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) if r.status_code.as_u16() == 401)
}

/// Checks the token and learns the application and bot user ids.
pub(crate) async fn connect(opts: &BotOptions) -> Result<(serenity::http::Http, u64), BotError> {
    let http = http(opts);
    let me = http.get_current_user().await.map_err(|e| {
        if is_unauthorized(&e) {
            BotError::TokenRejected
        } else {
            BotError::Unreachable {
                base: opts.api_base.clone(),
                source: e,
            }
        }
    })?;
    let app = http
        .get_current_application_info()
        .await
        .map_err(|e| BotError::Unreachable {
            base: opts.api_base.clone(),
            source: e,
        })?;
    http.set_application_id(app.id);
    Ok((http, me.id.get()))
}

/// Registers the commands and exits (`activation-check register`).
pub async fn register(k: &Knowledge, opts: &BotOptions) -> Result<usize, BotError> {
    let (http, _) = connect(opts).await?;
    commands::register(&http, &k.l10n, opts.guild.map(GuildId::new))
        .await
        .map_err(BotError::Register)
}

/// Runs the bot until `shutdown` resolves, then flushes the store.
///
/// `shutdown` is honoured at every stage, connected or not: serenity's shard manager
/// only stops shards that exist, and while the gateway refuses connections none does
/// (its queuer retries every 5 s, for ever), so `Client::start` would never return.
/// The start is therefore raced against `shutdown`: a running shard is closed cleanly
/// (within serenity's own 5 s), and a client still trying to connect is dropped.
pub async fn run(
    k: Knowledge,
    store: Arc<SledStore>,
    opts: BotOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BotError> {
    let mut shutdown = std::pin::pin!(shutdown);
    let stopped = || tracing::info!("shutting down before the gateway connection was made");
    let (http, bot_user) = tokio::select! {
        r = connect(&opts) => r?,
        () = &mut shutdown => { stopped(); return Ok(()); }
    };
    tokio::select! {
        r = commands::register(&http, &k.l10n, opts.guild.map(GuildId::new)) => {
            r.map_err(BotError::Register)?;
        }
        () = &mut shutdown => { stopped(); return Ok(()); }
    }
    let registry = Registry::open(store.open_tree_json(Registry::TREE)?);
    // Sessions are resume points: written behind the replies, in groups.
    store.write_behind();
    let handler = Handler::new(
        k,
        crate::store::backend::Backend::Sled(store.clone()),
        registry,
        bot_user,
    );
    // Interactions arrive without any intent; GUILDS is the least the gateway accepts
    // usefully and is not privileged. One raw-event handler takes every event (see
    // `Handler`'s `RawEventHandler`); the health watch, when configured, listens beside it.
    let watch = Arc::new(watch::GatewayWatch::new(opts.health.clone()));
    let mut builder =
        ClientBuilder::new_with_http(http, GatewayIntents::GUILDS).raw_event_handler(handler);
    if opts.health.is_some() {
        builder = builder.event_handler_arc(watch.clone());
    }
    let mut client = builder.await.map_err(BotError::Gateway)?;
    let shards = client.shard_manager.clone();
    watch.watch(shards.clone());
    let watching = tokio::spawn(watch.run(client.ws_url.clone()));
    let result = {
        let start = client.start();
        let mut start = std::pin::pin!(start);
        tokio::select! {
            r = &mut start => r,
            () = &mut shutdown => {
                tracing::info!("shutting down");
                if let Some(h) = &opts.health {
                    h.gateway_down("the bot is stopping");
                }
                let running = !shards.runners.lock().await.is_empty();
                shards.shutdown_all().await;
                // With a shard, shutdown_all makes `start` return; without one there is
                // nothing to wait for.
                if running {
                    tokio::time::timeout(Duration::from_secs(2), &mut start)
                        .await
                        .unwrap_or(Ok(()))
                } else {
                    Ok(())
                }
            }
        }
    };
    watching.abort();
    if let Some(h) = &opts.health {
        h.gateway_down("the bot is stopping");
    }
    if let Err(e) = store.flush_async().await {
        tracing::error!(error = %e, "could not flush the store at shutdown");
    }
    match result {
        Ok(()) => Ok(()),
        Err(serenity::Error::Gateway(serenity::gateway::GatewayError::InvalidAuthentication)) => {
            Err(BotError::TokenRejected)
        }
        Err(e) => Err(BotError::Gateway(e)),
    }
}

/// Resolves on SIGINT or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("a SIGTERM handler installs");
        tokio::select! {
            _ = ctrl_c => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = ctrl_c.await;
    }
}
