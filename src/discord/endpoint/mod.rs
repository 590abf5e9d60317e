//! HTTP interactions: `activation-check serve --listen ADDR`.
//!
//! In this mode Discord POSTs every interaction, signed with Ed25519, to the
//! application's Interactions Endpoint URL instead of sending it over the gateway, and
//! takes the first response from the body of the HTTP response. Nothing else changes:
//! the [`Handler`] is the gateway's, the conversation and its replies are the same, and
//! posting, pinning and the edits of deferred answers are REST calls as in `run`. Only
//! where the first response goes differs ([`reply`]).
//!
//! What the endpoint owns:
//! - every request is verified ([`verify`]): a missing or bad signature, or a timestamp
//!   older (or newer) than [`verify::MAX_SKEW`], gets 401 and nothing else, before the
//!   body is even parsed;
//! - PING (type 1) gets PONG;
//! - an interaction id is handled once ([`Claims`]): a replay of a signed request inside
//!   the time window gets 409 and changes nothing. With a shared store the claim is a row
//!   in the database, so a replay sent to another worker is refused too;
//! - the answer is given within Discord's 3 seconds ([`ANSWER_WITHIN`]), or the request
//!   fails with 503 rather than hanging.
//!
//! A worker keeps no state of its own that another worker needs: with a shared store any
//! number of them may sit behind one load balancer.
//!
//! As with `run`: the usage figures are counted in memory and added to the store every
//! [`crate::store::figures::FLUSH_EVERY`] and at shutdown (with PostgreSQL every worker
//! adds to the same rows, so /activation-stats answers with every worker's flushed
//! counts); SIGHUP and the owner's /activation-reload reload the rules and texts of
//! the worker that gets them ([`super::reload`]; each worker is reloaded on its own);
//! and `--metrics-addr` serves /healthz (whether the store answers) and /metrics.

pub mod reply;
pub mod verify;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use serenity::all::{GuildId, Interaction};
use tokio::sync::oneshot;

use super::handler::Handler;
use super::registry::Registry;
use super::reload::Live;
use super::rest::Rest;
use super::{commands, BotError, BotOptions};
use crate::knowledge::Knowledge;
use crate::store::backend::Backend;

/// How long a request waits for the handler's first response. Discord allows 3 s from
/// sending; the rest is for the network between it and this worker.
pub const ANSWER_WITHIN: Duration = Duration::from_millis(2700);

/// The largest request body read (Discord's interactions are a few kilobytes; resolved
/// messages of a message command can be larger).
pub const MAX_BODY: usize = 4 * 1024 * 1024;

/// How to serve.
#[derive(Debug, Clone)]
pub struct ServeOptions {
    /// Where to listen for Discord's POSTs (usually behind a TLS reverse proxy).
    pub listen: SocketAddr,
    /// The application's public key, which every request's signature must verify with.
    pub public_key: verify::PublicKey,
    /// The token, REST origin and command registration, as for `run`.
    pub bot: BotOptions,
}

/// Interaction ids already handled, so that a replayed request changes nothing.
pub enum Claims {
    /// This process's memory: enough for one worker (the sled store).
    Local(super::gate::Seen),
    /// A row per interaction in the shared database: a replay is refused by any worker.
    Shared(Arc<crate::store::postgres::PgStore>),
}

impl Claims {
    /// Records `id` as handled here; `Ok(false)` when it was handled before.
    async fn first_time(&self, id: u64) -> Result<bool, crate::session::StoreError> {
        match self {
            Claims::Local(seen) => Ok(seen.first_time(id)),
            Claims::Shared(pg) => pg.claim_interaction(id).await,
        }
    }
}

struct Endpoint {
    live: Arc<Live>,
    rest: Rest,
    key: verify::PublicKey,
    claims: Claims,
}

/// Answers interactions over HTTP until `shutdown` resolves, then flushes the store.
/// `listening` is told the bound address (the port when `listen` names port 0).
pub async fn serve(
    k: Knowledge,
    store: Backend,
    opts: ServeOptions,
    listening: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), BotError> {
    // From now on SIGHUP reloads this worker (see `reload`), and never ends it.
    #[cfg(unix)]
    let _hangup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup());
    let (http, bot_user, owners) = super::connect(&opts.bot).await?;
    let http = Arc::new(http);
    commands::register(&http, &k.l10n, opts.bot.guild.map(GuildId::new))
        .await
        .map_err(BotError::Register)?;
    super::reload::register(&http, &k.l10n, &opts.bot.admin_guilds)
        .await
        .map_err(BotError::Register)?;
    let listener = tokio::net::TcpListener::bind(opts.listen)
        .await
        .map_err(|e| BotError::Listen(opts.listen, e))?;
    let addr = listener
        .local_addr()
        .map_err(|e| BotError::Listen(opts.listen, e))?;
    let registry = Registry::of(&store)?;
    store.write_behind();
    let claims = match &store {
        Backend::Sled(_) => Claims::Local(super::gate::Seen::new(super::gate::SEEN_CAPACITY)),
        Backend::Postgres(pg) => Claims::Shared(pg.clone()),
    };
    // The figures are counted in memory and added to the store every FLUSH_EVERY and at
    // shutdown; on PostgreSQL every worker adds to the same rows.
    let rules = Arc::new(std::sync::RwLock::new(k.rules.clone()));
    let tally = store.tally()?;
    {
        let rules = rules.clone();
        store.count_abandoned(&tally, move || {
            rules.read().unwrap_or_else(|e| e.into_inner()).clone()
        });
    }
    // `data export` while a worker on sled runs (served on its socket, see main) holds
    // the figures counted in memory too.
    if let Backend::Sled(s) = &store {
        s.on_export(crate::store::figures::flush_before_export(tally.clone()));
    }
    let (stop_flushing, flushing_stopped) = oneshot::channel::<()>();
    let flushing = tokio::spawn(crate::store::figures::flush_periodically(
        tally.clone(),
        async move {
            let _ = flushing_stopped.await;
        },
    ));
    let (requests, requested) = tokio::sync::mpsc::unbounded_channel();
    let kept = Arc::new(super::reload::Kept {
        store: Arc::new(store.clone()),
        registry,
        tally,
        bot_user,
        owners,
        admin_guilds: opts.bot.admin_guilds.clone(),
        gates: Arc::new(super::gate::Gates::new()),
        seen: Arc::new(super::gate::Seen::new(super::gate::SEEN_CAPACITY)),
        reloads: Some(requests),
        rules,
    });
    // Each request takes the handler in force when it arrives; a reload replaces it.
    let live = Arc::new(Live::new(Handler::new(k, kept.clone())));
    let reloads = super::reload::start(
        live.clone(),
        kept,
        opts.bot.reload.clone(),
        http.clone(),
        opts.bot.guild,
        requested,
    );
    tracing::info!(%addr, "listening for interactions");
    if let Some(health) = &opts.bot.health {
        health.without_gateway();
    }
    listening(addr);
    let endpoint = Arc::new(Endpoint {
        live,
        rest: Rest { http },
        key: opts.public_key,
        claims,
    });
    let app = Router::new()
        .fallback(receive)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .with_state(endpoint);
    let served = axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await;
    reloads.abort();
    // The last figures counted (flush_periodically flushes once more as it stops).
    let _ = stop_flushing.send(());
    let _ = flushing.await;
    if let Err(e) = store.flush().await {
        tracing::error!(error = %e, "could not flush the store at shutdown");
    }
    served.map_err(|e| BotError::Listen(addr, e))
}

fn unix_now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

fn status(code: StatusCode) -> Response {
    code.into_response()
}

fn json(body: Vec<u8>) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// One POST from Discord.
async fn receive(
    State(ep): State<Arc<Endpoint>>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    if method != Method::POST {
        return status(StatusCode::METHOD_NOT_ALLOWED);
    }
    let header = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let checked = ep.key.check(
        header("x-signature-ed25519"),
        header("x-signature-timestamp"),
        &body,
        unix_now(),
    );
    if let Err(why) = checked {
        tracing::warn!(?why, "refused a request that is not signed by Discord");
        return status(StatusCode::UNAUTHORIZED);
    }
    let value: serde_json::Value = match serde_json::from_slice(&body) {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "a signed request that is not JSON");
            return status(StatusCode::BAD_REQUEST);
        }
    };
    if value["type"].as_u64() == Some(1) {
        return json(br#"{"type":1}"#.to_vec());
    }
    let id = value["id"].as_str().and_then(|s| s.parse::<u64>().ok());
    if let Some(id) = id {
        match ep.claims.first_time(id).await {
            Ok(true) => {}
            Ok(false) => {
                tracing::info!(interaction = id, "refused a replayed interaction");
                return status(StatusCode::CONFLICT);
            }
            Err(e) => {
                tracing::error!(interaction = id, error = %e, "could not record the interaction; refusing it");
                return status(StatusCode::SERVICE_UNAVAILABLE);
            }
        }
    }
    let (answer, answered) = oneshot::channel();
    let handling = {
        let (handler, rest) = (ep.live.get(), ep.rest.clone());
        reply::answering(answer, async move {
            match serde_json::from_slice::<Interaction>(&body) {
                Ok(interaction) => handler.interaction(rest, interaction).await,
                Err(e) => {
                    tracing::debug!(error = %e, "serenity cannot read the interaction");
                    handler.unreadable(rest, &value).await
                }
            }
        })
    };
    // The handler runs on: after its first response it may still edit a deferred answer
    // or post a card.
    tokio::spawn(handling);
    match tokio::time::timeout(ANSWER_WITHIN, answered).await {
        Ok(Ok(body)) => json(body),
        Ok(Err(_)) => {
            tracing::warn!(interaction = ?id, "the handler gave no response (an interaction of a kind the bot does not handle)");
            status(StatusCode::BAD_REQUEST)
        }
        Err(_) => {
            tracing::error!(interaction = ?id, "no response within {ANSWER_WITHIN:?}");
            status(StatusCode::SERVICE_UNAVAILABLE)
        }
    }
}
