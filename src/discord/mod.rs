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
//! responder, its retries and the `Call` every command and click body takes
//! (`respond.rs`), failures and their sentences (`failure.rs`), posting (`post.rs`) and
//! pins (`pins.rs`) with the [`registry`], message specs and Discord's limits (`spec.rs`),
//! permissions, commands, the per-user gate and the gateway watch. It may not touch sled
//! (it reaches sessions through the conversation, and the registry through a `JsonTree`)
//! nor the terminal.
//!
//! For the people who keep the knowledge: [`usage`] counts what happens (no names) and
//! serves `/activation-stats`, "Did this help?" and "Check my own PC"; [`reload`] swaps in
//! edited rules and texts on SIGHUP or `/activation-reload` without a restart.

mod click;
pub mod commands;
pub mod endpoint;
mod failure;
pub mod gate;
mod handler;
mod kept;
pub mod permissions;
mod pins;
mod post;
pub mod registry;
pub mod reload;
mod respond;
mod rest;
pub mod spec;
pub mod tls;
pub mod usage;
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
    /// Where the rules and texts were loaded from, to load them again on SIGHUP or
    /// /activation-reload; `None` for no reloading.
    pub reload: Option<reload::Source>,
    /// The servers /activation-reload is registered in.
    pub admin_guilds: Vec<u64>,
}

impl std::fmt::Debug for BotOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotOptions")
            .field("token", &"[redacted]")
            .field("api_base", &self.api_base)
            .field("guild", &self.guild)
            .field("health", &self.health.is_some())
            .field("reload", &self.reload)
            .field("admin_guilds", &self.admin_guilds)
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

/// Checks the token and learns the application and bot user ids, and the application's
/// owners (its owner, or its team's owner).
pub(crate) async fn connect(
    opts: &BotOptions,
) -> Result<(serenity::http::Http, u64, Vec<u64>), BotError> {
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
    let owners = app
        .owner
        .iter()
        .map(|u| u.id.get())
        .chain(app.team.iter().map(|t| t.owner_user_id.get()))
        .collect();
    Ok((http, me.id.get(), owners))
}

/// Registers the commands and exits (`activation-check register`).
pub async fn register(k: &Knowledge, opts: &BotOptions) -> Result<usize, BotError> {
    let (http, _, _) = connect(opts).await?;
    let n = commands::register(&http, &k.l10n, opts.guild.map(GuildId::new))
        .await
        .map_err(BotError::Register)?;
    reload::register(&http, &k.l10n, &opts.admin_guilds)
        .await
        .map_err(BotError::Register)?;
    Ok(n + usize::from(!opts.admin_guilds.is_empty()))
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
    // From now on SIGHUP never ends the process (its default action): it reloads once the
    // bot serves (see `reload::serve`), and is ignored before.
    #[cfg(unix)]
    let _hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    // The rules in force, for what runs beside the handler; a reload replaces them.
    let rules = Arc::new(std::sync::RwLock::new(k.rules.clone()));
    let tally = crate::store::figures::Tally::open(&store)?;
    // A conversation whose session expires unfinished was given up at its question.
    {
        let rules = rules.clone();
        store.on_pruned(crate::store::figures::count_abandoned(
            tally.clone(),
            move || rules.read().unwrap_or_else(|e| e.into_inner()).clone(),
        ));
    }
    // A backup taken while the bot runs includes the figures counted in memory.
    store.on_export(crate::store::figures::flush_before_export(tally.clone()));
    let beside = Beside::start(&store, &tally, &rules);
    let result = serve(k, store.clone(), opts, &mut shutdown, rules, tally.clone()).await;
    beside.stop().await;
    if let Err(e) = tally.flush().await {
        tracing::error!(error = %e, "could not store the usage figures at shutdown");
    }
    if let Err(e) = store.flush_async().await {
        tracing::error!(error = %e, "could not flush the store at shutdown");
    }
    result
}

/// The tasks that run beside the gateway for the bot's whole life: pruning expired
/// sessions, storing the usage figures, and the daily review-by warning.
struct Beside {
    stop: tokio::sync::watch::Sender<bool>,
    tasks: Vec<tokio::task::JoinHandle<()>>,
}

impl Beside {
    fn start(
        store: &Arc<SledStore>,
        tally: &crate::store::figures::Tally,
        rules: &Arc<std::sync::RwLock<Arc<crate::rules::Rules>>>,
    ) -> Beside {
        let (stop, stopped) = tokio::sync::watch::channel(false);
        let until = move || {
            let mut stopped = stopped.clone();
            async move {
                let _ = stopped.wait_for(|s| *s).await;
            }
        };
        let review = {
            let (rules, store) = (rules.clone(), store.clone());
            let until = until();
            async move {
                let warning = crate::review::DailyWarning::default();
                let mut ticks = tokio::time::interval(Duration::from_secs(3600));
                tokio::pin!(until);
                loop {
                    tokio::select! {
                        () = &mut until => break,
                        _ = ticks.tick() => {
                            let rules = rules.read().unwrap_or_else(|e| e.into_inner()).clone();
                            warning.tick(&rules, store.now());
                        }
                    }
                }
            }
        };
        let tasks = vec![
            tokio::spawn(crate::store::prune_periodically(
                store.clone(),
                Duration::from_secs(3600),
                until(),
            )),
            tokio::spawn(crate::store::figures::flush_periodically(
                tally.clone(),
                until(),
            )),
            tokio::spawn(review),
        ];
        Beside { stop, tasks }
    }

    async fn stop(self) {
        let _ = self.stop.send(true);
        for t in self.tasks {
            let _ = t.await;
        }
    }
}

/// [`run`] from the connection on: connects, registers, serves until `shutdown`.
async fn serve<S: Future<Output = ()> + Unpin>(
    k: Knowledge,
    store: Arc<SledStore>,
    opts: BotOptions,
    mut shutdown: &mut S,
    rules: Arc<std::sync::RwLock<Arc<crate::rules::Rules>>>,
    tally: crate::store::figures::Tally,
) -> Result<(), BotError> {
    let stopped = || tracing::info!("shutting down before the gateway connection was made");
    let (http, bot_user, owners) = tokio::select! {
        r = connect(&opts) => r?,
        () = &mut shutdown => { stopped(); return Ok(()); }
    };
    tokio::select! {
        r = async {
            commands::register(&http, &k.l10n, opts.guild.map(GuildId::new)).await?;
            reload::register(&http, &k.l10n, &opts.admin_guilds).await
        } => {
            r.map_err(BotError::Register)?;
        }
        () = &mut shutdown => { stopped(); return Ok(()); }
    }
    let registry = Registry::open(store.open_tree_json(Registry::TREE)?);
    // Sessions are resume points: written behind the replies, in groups.
    store.write_behind();
    let (requests, requested) = tokio::sync::mpsc::unbounded_channel();
    let kept = Arc::new(reload::Kept {
        store: Arc::new(crate::store::backend::Backend::Sled(store.clone())),
        registry,
        tally,
        bot_user,
        owners,
        admin_guilds: opts.admin_guilds.clone(),
        gates: Arc::new(gate::Gates::new()),
        seen: Arc::new(gate::Seen::new(gate::SEEN_CAPACITY)),
        reloads: Some(requests),
        rules,
    });
    let live = Arc::new(reload::Live::new(Handler::new(k, kept.clone())));
    let handler = reload::LiveHandler(live.clone());
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
    let reloads = reload::start(
        live,
        kept,
        opts.reload.clone(),
        client.http.clone(),
        opts.guild,
        requested,
    );
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
    reloads.abort();
    if let Some(h) = &opts.health {
        h.gateway_down("the bot is stopping");
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
