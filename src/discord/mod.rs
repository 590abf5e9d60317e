//! The Discord edge: `/activation-check` over the gateway, answer cards, moderator pins.
//!
//! This is the only module that names serenity. It turns interactions into
//! [`Conversation`] inputs and replies into messages laid out by [`spec`], and maps every
//! failure to one localized sentence for the user and one log line for the operator
//! (see [`Handler::fail`]): a user never sees "This interaction failed".
//!
//! Everything a button needs is in its `custom_id` (the conversation's answers among
//! them), so buttons on old messages keep working after a restart; the sled store only
//! holds resume points, written behind the replies.

pub mod commands;
pub mod gate;
mod handler;
pub mod spec;

use std::future::Future;
use std::sync::Arc;

use serenity::all::{ClientBuilder, GatewayIntents, GuildId, HttpBuilder};
use serenity::http::HttpError;

use crate::knowledge::Knowledge;
use crate::registry::Registry;
use crate::store::SledStore;

pub use handler::{response_message, Handler};

/// PIN_MESSAGES (1 << 51): since 2026-02-23 Discord requires it to pin. serenity 0.12.5
/// has no constant for it and drops the bit when parsing permissions, so it is built
/// with `from_bits_retain` where the bot sends it.
pub const PIN_MESSAGES: u64 = 1 << 51;

/// Where and how to connect.
#[derive(Clone)]
pub struct BotOptions {
    pub token: String,
    /// A Discord-compatible origin for REST and gateway discovery (`DISCORD_API_BASE`),
    /// for example an HTTP proxy; `None` for Discord itself.
    pub api_base: Option<String>,
    /// Register the commands in this server only (instant updates during setup).
    pub guild: Option<u64>,
}

impl std::fmt::Debug for BotOptions {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("BotOptions")
            .field("token", &"[redacted]")
            .field("api_base", &self.api_base)
            .field("guild", &self.guild)
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
    #[error("cannot reach Discord{}: {source}", .base.as_deref().map(|b| format!(" at {b}")).unwrap_or_default())]
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
async fn connect(opts: &BotOptions) -> Result<(serenity::http::Http, u64), BotError> {
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
pub async fn run(
    k: Knowledge,
    store: Arc<SledStore>,
    opts: BotOptions,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BotError> {
    let (http, bot_user) = connect(&opts).await?;
    commands::register(&http, &k.l10n, opts.guild.map(GuildId::new))
        .await
        .map_err(BotError::Register)?;
    let registry = Registry::open(&store)?;
    // Sessions are resume points: written behind the replies, in groups.
    store.write_behind();
    let handler = Handler::new(k, store.clone(), registry, bot_user);
    // Interactions arrive without any intent; GUILDS is the least the gateway accepts
    // usefully and is not privileged. One raw-event handler takes every event (see
    // `Handler`'s `RawEventHandler`).
    let mut client = ClientBuilder::new_with_http(http, GatewayIntents::GUILDS)
        .raw_event_handler(handler)
        .await
        .map_err(BotError::Gateway)?;
    let shards = client.shard_manager.clone();
    tokio::spawn(async move {
        shutdown.await;
        tracing::info!("shutting down");
        shards.shutdown_all().await;
    });
    let result = client.start().await;
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
