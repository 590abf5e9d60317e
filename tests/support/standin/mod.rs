#![allow(dead_code)]
//! An in-process stand-in for Discord's REST API v10 and gateway v10.
//!
//! It binds `127.0.0.1:0` and nothing else. The real serenity 0.12.5 client connects to it when
//! its `Http` is built as
//! `HttpBuilder::new(token).proxy(standin.base_url()).ratelimiter_disabled(true)`
//! (without `ratelimiter_disabled(true)` serenity silently ignores the proxy).
//!
//! * Gateway: `GET /api/v10/gateway` (and `/gateway/bot`) return `ws://127.0.0.1:PORT`; the
//!   websocket is served at `/`. HELLO, IDENTIFY (token checked, close 4004 on mismatch), READY,
//!   heartbeat ACKs, RESUME with replay + RESUMED, and fault injection (close codes, op 7, op 9).
//! * Interactions are dispatched as complete `INTERACTION_CREATE` payloads that serenity 0.12.5
//!   deserializes (see `interaction_json`).
//! * REST requests are all recorded; callbacks are timed against the 3 s rule; message payloads
//!   are validated like Discord does (50035 Invalid Form Body).
//! * REST faults: canned answers instead of handling (`force_response`), or after handling
//!   (`ForcedResponse::after_handling`: the effect happens, the answer is lost), and delays.
//!   Channel posts honour `nonce` + `enforce_nonce` like Discord, so a safe retry is visible.
//! * At-least-once delivery: `redeliver_on_resume` makes a RESUME replay a dispatch the bot
//!   already had.
//!
//! Everything is plain JSON text frames (serenity accepts text frames even though it identifies
//! with `compress: true`).

use std::collections::{BTreeMap, HashMap};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use axum::body::{to_bytes, Body};
use axum::extract::ws::{CloseFrame, Message as WsMessage, WebSocket, WebSocketUpgrade};
use axum::extract::{Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_TYPE};
use axum::http::{HeaderName, HeaderValue, StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::serve::ListenerExt;
use axum::Router;
use futures::{SinkExt, StreamExt};
use serde_json::{json, Map, Value};
use tokio::sync::{mpsc, watch, Notify};
use tokio::task::JoinHandle;

/// Discord permission bits used by the stand-in (u64, as Discord sends them as strings).
pub mod perms {
    pub const CREATE_INSTANT_INVITE: u64 = 1 << 0;
    pub const ADMINISTRATOR: u64 = 1 << 3;
    pub const ADD_REACTIONS: u64 = 1 << 6;
    pub const VIEW_CHANNEL: u64 = 1 << 10;
    pub const SEND_MESSAGES: u64 = 1 << 11;
    pub const MANAGE_MESSAGES: u64 = 1 << 13;
    pub const EMBED_LINKS: u64 = 1 << 14;
    pub const ATTACH_FILES: u64 = 1 << 15;
    pub const READ_MESSAGE_HISTORY: u64 = 1 << 16;
    pub const USE_EXTERNAL_EMOJIS: u64 = 1 << 18;
    pub const USE_APPLICATION_COMMANDS: u64 = 1 << 31;
    pub const SEND_MESSAGES_IN_THREADS: u64 = 1 << 38;
    /// Discord's PIN_MESSAGES (split off MANAGE_MESSAGES in 2025). Unknown to serenity 0.12.5.
    pub const PIN_MESSAGES: u64 = 1 << 51;
    /// Every bit up to and including PIN_MESSAGES.
    pub const ALL: u64 = (1 << 52) - 1;
    /// Everything except ADMINISTRATOR (so that removing a single bit actually removes it).
    pub const ALL_EXCEPT_ADMIN: u64 = ALL & !ADMINISTRATOR;
    /// What an ordinary guild member typically has in a text channel.
    pub const MEMBER_DEFAULT: u64 = VIEW_CHANNEL
        | SEND_MESSAGES
        | READ_MESSAGE_HISTORY
        | ADD_REACTIONS
        | EMBED_LINKS
        | ATTACH_FILES
        | USE_EXTERNAL_EMOJIS
        | USE_APPLICATION_COMMANDS
        | SEND_MESSAGES_IN_THREADS
        | CREATE_INSTANT_INVITE;
}

const DISCORD_EPOCH_MS: u64 = 1_420_070_400_000;

/// The owner of every stand-in guild: a user no test acts as.
pub const STANDIN_GUILD_OWNER: u64 = 800_000_000_000_000_099;

/// The role through which a member holds exactly `permissions` (see `St::guild_json`).
pub fn perms_role(permissions: u64) -> u64 {
    (1 << 62) | permissions
}
const MESSAGE_FLAG_EPHEMERAL: u64 = 1 << 6;
const MESSAGE_FLAG_LOADING: u64 = 1 << 7;

// The stand-in by job, one file each.
mod callbacks;
mod channels;
mod faults;
mod gateway;
mod interactions;
pub mod limits;
mod records;
mod rest;
mod state;
mod validation;

use callbacks::*;
use channels::*;
pub use faults::*;
use gateway::*;
pub use interactions::*;
pub use records::*;
use rest::*;
use state::*;
use validation::*;

// ---------------------------------------------------------------------------------------------
// Configuration
// ---------------------------------------------------------------------------------------------

/// Static configuration; every field has a sensible default (`StandInConfig::default()`), so use
/// struct-update syntax: `StandInConfig { token: "x".into(), ..Default::default() }`.
#[derive(Clone, Debug)]
pub struct StandInConfig {
    /// Bot token without the `Bot ` prefix. REST requests must send `Authorization: Bot <token>`.
    pub token: String,
    pub bot_user_id: u64,
    pub bot_username: String,
    pub application_id: u64,
    /// Guilds listed (as unavailable) in READY.
    pub guild_ids: Vec<u64>,
    pub default_guild_id: u64,
    pub default_channel_id: u64,
    pub default_user_id: u64,
    pub default_locale: String,
    pub heartbeat_interval_ms: u64,
    /// Discord's first-response deadline (3 s).
    pub callback_deadline: Duration,
    /// Interaction token validity for follow-ups/edits (15 min).
    pub webhook_token_ttl: Duration,
    /// Bot permissions in guild channels without an explicit `set_bot_permissions`.
    pub default_bot_permissions: u64,
    /// How long `send_*` waits for a live gateway session before panicking.
    pub dispatch_wait: Duration,
    pub max_pins: usize,
}

impl Default for StandInConfig {
    fn default() -> Self {
        Self {
            token: "standin-token".to_owned(),
            bot_user_id: 800_000_000_000_000_001,
            bot_username: "activation-check".to_owned(),
            application_id: 800_000_000_000_000_001,
            guild_ids: vec![900_000_000_000_000_001],
            default_guild_id: 900_000_000_000_000_001,
            default_channel_id: 900_000_000_000_000_002,
            default_user_id: 900_000_000_000_000_003,
            default_locale: "en-US".to_owned(),
            heartbeat_interval_ms: 41_250,
            callback_deadline: Duration::from_secs(3),
            webhook_token_ttl: Duration::from_secs(15 * 60),
            default_bot_permissions: perms::ALL_EXCEPT_ADMIN,
            dispatch_wait: Duration::from_secs(15),
            max_pins: limits::PINS_PER_CHANNEL,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// StandIn
// ---------------------------------------------------------------------------------------------

/// The running stand-in. Dropping it stops the server too (without waiting).
pub struct StandIn {
    inner: Arc<Inner>,
    addr: SocketAddr,
    server: Mutex<Option<JoinHandle<()>>>,
}

impl StandIn {
    /// Start with `StandInConfig::default()`.
    pub async fn start() -> StandIn {
        Self::start_with(StandInConfig::default()).await
    }

    pub async fn start_with(cfg: StandInConfig) -> StandIn {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("stand-in: bind 127.0.0.1:0");
        let addr = listener.local_addr().expect("stand-in: local_addr");
        let seed = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_nanos() as u64
            ^ u64::from(addr.port()) << 48;
        let mut st = St {
            cfg: cfg.clone(),
            base_url: format!("http://{addr}"),
            skew: Duration::ZERO,
            last_id: 0,
            rng: seed | 1,
            req_seq: 0,
            requests: Vec::new(),
            violations: Vec::new(),
            interactions: HashMap::new(),
            tokens: HashMap::new(),
            callbacks: Vec::new(),
            channels: BTreeMap::new(),
            messages: HashMap::new(),
            usernames: HashMap::new(),
            channel_perms: HashMap::new(),
            commands: Vec::new(),
            forced: Vec::new(),
            delays: Vec::new(),
            gw: Gw {
                ack_heartbeats: true,
                ..Gw::default()
            },
            lean: false,
            gateway_override: None,
            perm_roles: Default::default(),
            callback_subs: Vec::new(),
        };
        st.ensure_guild_channel(cfg.default_guild_id, cfg.default_channel_id);
        let (shutdown, _) = watch::channel(false);
        let inner = Arc::new(Inner {
            st: Mutex::new(st),
            notify: Notify::new(),
            shutdown,
        });

        let app = Router::new()
            .route("/", get(ws_route))
            .fallback(rest_route)
            .with_state(inner.clone());
        let mut rx = inner.shutdown.subscribe();
        let server = tokio::spawn(async move {
            // TCP_NODELAY like any latency-minded server: without it Nagle holds a gateway
            // frame while the previous one is unacknowledged, and the client's delayed ACK
            // turns that into dispatches late by up to 40 ms.
            let listener = listener.tap_io(|tcp| {
                let _ = tcp.set_nodelay(true);
            });
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.wait_for(|stop| *stop).await;
                })
                .await;
        });
        StandIn {
            inner,
            addr,
            server: Mutex::new(Some(server)),
        }
    }

    /// `http://127.0.0.1:PORT` — pass to `HttpBuilder::proxy` / `DISCORD_API_BASE`.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
    /// `ws://127.0.0.1:PORT` — what `GET /gateway` returns.
    pub fn gateway_url(&self) -> String {
        format!("ws://{}", self.addr)
    }
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
    pub fn config(&self) -> StandInConfig {
        self.inner.lock().cfg.clone()
    }
    pub fn token(&self) -> String {
        self.inner.lock().cfg.token.clone()
    }
    pub fn bot_user_id(&self) -> u64 {
        self.inner.lock().cfg.bot_user_id
    }
    pub fn application_id(&self) -> u64 {
        self.inner.lock().cfg.application_id
    }

    /// Stop: close gateway sockets (1001), stop accepting, abort stragglers after 2 s.
    pub async fn shutdown(&self) {
        self.inner.shutdown.send_replace(true);
        let handle = self.server.lock().unwrap_or_else(|e| e.into_inner()).take();
        if let Some(mut handle) = handle {
            if tokio::time::timeout(Duration::from_secs(2), &mut handle)
                .await
                .is_err()
            {
                handle.abort();
            }
        }
    }

    // ---- configuration at run time -----------------------------------------------------------

    /// Change the accepted token (e.g. to make the bot's token wrong mid-test).
    pub fn set_token(&self, token: &str) {
        self.inner.lock().cfg.token = token.to_owned();
    }
    /// Bot permissions in a channel (default `default_bot_permissions`).
    pub fn set_bot_permissions(&self, channel_id: u64, bits: u64) {
        self.inner.lock().channel_perms.insert(channel_id, bits);
    }
    /// How long `send_*` waits for a live connection. `Duration::ZERO` = don't wait: the
    /// dispatch goes into the session log and is replayed when the bot RESUMEs.
    pub fn set_dispatch_wait(&self, wait: Duration) {
        self.inner.lock().cfg.dispatch_wait = wait;
    }
    /// Load-test mode: keeps memory and per-interaction work flat over hundreds of
    /// thousands of interactions. While on, the stand-in keeps no history that grows with
    /// traffic: REST requests, callback records and gateway frames are not recorded, the
    /// RESUME log is not kept (a RESUME replays nothing), and an interaction is forgotten
    /// once its callback was accepted (so follow-ups and edits of it get 10015). Callbacks
    /// are still validated and reported to [`StandIn::subscribe_callbacks`]. Off by
    /// default; the tests rely on the history.
    /// Makes `GET /gateway` (and `/gateway/bot`) name a port on 127.0.0.1 where nothing
    /// listens, so that every gateway connection is refused while REST keeps working.
    /// Returns that URL.
    pub fn refuse_gateway(&self) -> String {
        // Bound and closed at once: the port is free, and connecting to it is refused.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("stand-in: a free port")
            .port();
        let url = format!("ws://127.0.0.1:{port}");
        self.inner.lock().gateway_override = Some(url.clone());
        url
    }

    pub fn set_lean(&self, on: bool) {
        self.inner.lock().lean = on;
    }
    /// Every callback from now on, as it is answered (accepted or not).
    pub fn subscribe_callbacks(&self) -> mpsc::UnboundedReceiver<CallbackRecord> {
        let (tx, rx) = mpsc::unbounded_channel();
        self.inner.lock().callback_subs.push(tx);
        rx
    }
    /// Forget a stored message (for load tests: messages nobody will click again).
    pub fn forget_message(&self, message_id: u64) {
        self.inner.lock().delete_message(message_id);
    }
    pub fn set_callback_deadline(&self, deadline: Duration) {
        self.inner.lock().cfg.callback_deadline = deadline;
    }
    pub fn set_webhook_token_ttl(&self, ttl: Duration) {
        self.inner.lock().cfg.webhook_token_ttl = ttl;
    }
    /// Pretend `by` more time has passed for every deadline check (3 s rule, 15 min tokens).
    pub fn advance_clock(&self, by: Duration) {
        self.inner.lock().skew += by;
    }
    pub fn set_heartbeat_interval(&self, ms: u64) {
        self.inner.lock().cfg.heartbeat_interval_ms = ms;
    }
    /// Stop (or resume) answering heartbeats with op 11 (zombie-connection simulation).
    pub fn set_heartbeat_ack(&self, enabled: bool) {
        self.inner.lock().gw.ack_heartbeats = enabled;
    }
    pub fn set_username(&self, user_id: u64, name: &str) {
        self.inner.lock().usernames.insert(user_id, name.to_owned());
    }
    /// Register a guild text channel (interactions auto-register theirs).
    pub fn add_guild_channel(&self, guild_id: u64, channel_id: u64) {
        self.inner.lock().ensure_guild_channel(guild_id, channel_id);
    }
    /// The DM channel id between the bot and `user_id` (created if needed).
    pub fn dm_channel(&self, user_id: u64) -> u64 {
        self.inner.lock().dm_channel_for(user_id)
    }

    /// Store a message authored by `author_id` (any user, or the bot) and return its id.
    pub fn seed_message(&self, channel_id: u64, author_id: u64, content: &str) -> u64 {
        let mut st = self.inner.lock();
        if !st.channels.contains_key(&channel_id) {
            let guild = st.cfg.default_guild_id;
            st.ensure_guild_channel(guild, channel_id);
        }
        let data = json!({"content": content});
        let id = st.create_message(channel_id, author_id, &data, 0, None, &[]);
        drop(st);
        self.inner.changed();
        id
    }
    /// Like `seed_message` but with a full payload (`content`, `embeds`, `components`, `flags`).
    pub fn seed_message_with(&self, channel_id: u64, author_id: u64, data: Value) -> u64 {
        let mut st = self.inner.lock();
        if !st.channels.contains_key(&channel_id) {
            let guild = st.cfg.default_guild_id;
            st.ensure_guild_channel(guild, channel_id);
        }
        let id = st.create_message(channel_id, author_id, &data, 0, None, &[]);
        drop(st);
        self.inner.changed();
        id
    }
    /// Fill a channel with pinned messages until it holds `count` pins.
    pub fn fill_pins(&self, channel_id: u64, count: usize) {
        let bot = self.bot_user_id();
        let mut st = self.inner.lock();
        if !st.channels.contains_key(&channel_id) {
            let guild = st.cfg.default_guild_id;
            st.ensure_guild_channel(guild, channel_id);
        }
        while st.channels[&channel_id].pins.len() < count {
            let id =
                st.create_message(channel_id, bot, &json!({"content": "filler"}), 0, None, &[]);
            st.pin(channel_id, id);
        }
    }

    // ---- fault injection ---------------------------------------------------------------------

    pub fn requests(&self) -> Vec<RecordedRequest> {
        let mut v = self.inner.lock().requests.clone();
        v.sort_by_key(|r| r.index);
        v
    }
    pub fn requests_matching(&self, pattern: &str) -> Vec<RecordedRequest> {
        let p = RoutePattern::parse(pattern);
        self.requests()
            .into_iter()
            .filter(|r| p.matches(&r.method, &r.path))
            .collect()
    }
    /// Requests no route matched (anything serenity sent that the stand-in doesn't know).
    pub fn unhandled_requests(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.unhandled)
            .collect()
    }
    /// Requests that carried message data, with their `allowed_mentions` policy.
    pub fn message_sends(&self) -> Vec<RecordedRequest> {
        self.requests()
            .into_iter()
            .filter(|r| r.allowed_mentions.is_some())
            .collect()
    }
    pub fn violations(&self) -> Vec<Violation> {
        self.inner.lock().violations.clone()
    }
    pub fn callbacks(&self) -> Vec<CallbackRecord> {
        self.inner.lock().callbacks.clone()
    }
    /// Callbacks from position `from` on (in arrival order), for incremental polling.
    pub fn callbacks_since(&self, from: usize) -> Vec<CallbackRecord> {
        let st = self.inner.lock();
        st.callbacks
            .get(from..)
            .map(<[_]>::to_vec)
            .unwrap_or_default()
    }
    pub fn callbacks_for(&self, interaction_id: u64) -> Vec<CallbackRecord> {
        self.inner
            .lock()
            .callbacks
            .iter()
            .filter(|c| c.interaction_id == interaction_id)
            .cloned()
            .collect()
    }
    /// Latency of the accepted callback of an interaction.
    pub fn callback_latency(&self, interaction_id: u64) -> Option<Duration> {
        self.callbacks_for(interaction_id)
            .into_iter()
            .find(|c| c.accepted)
            .map(|c| c.latency)
    }
    /// Messages of a channel in creation order (ephemeral interaction responses included).
    pub fn messages_in(&self, channel_id: u64) -> Vec<StoredMessage> {
        let st = self.inner.lock();
        st.channels
            .get(&channel_id)
            .map(|c| {
                c.order
                    .iter()
                    .filter_map(|id| st.messages.get(id).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }
    pub fn message(&self, message_id: u64) -> Option<StoredMessage> {
        self.inner.lock().messages.get(&message_id).cloned()
    }
    /// Original response message of an interaction (after type 4/5, or the component's message
    /// after type 6/7).
    pub fn original_response(&self, interaction_id: u64) -> Option<StoredMessage> {
        let st = self.inner.lock();
        let id = st.interactions.get(&interaction_id)?.original_message_id?;
        st.messages.get(&id).cloned()
    }
    pub fn followups(&self, interaction_id: u64) -> Vec<StoredMessage> {
        let st = self.inner.lock();
        st.interactions
            .get(&interaction_id)
            .map(|i| {
                i.followups
                    .iter()
                    .filter_map(|m| st.messages.get(m).cloned())
                    .collect()
            })
            .unwrap_or_default()
    }
    /// Pinned message ids of a channel, in pin order.
    pub fn pins_in(&self, channel_id: u64) -> Vec<u64> {
        self.inner
            .lock()
            .channels
            .get(&channel_id)
            .map(|c| c.pins.iter().map(|(id, _)| *id).collect())
            .unwrap_or_default()
    }
    /// A moderator pins a message in Discord's own menu (not through the bot).
    pub fn pin_in_discord(&self, channel_id: u64, message_id: u64) {
        self.inner.lock().pin(channel_id, message_id);
        self.inner.changed();
    }
    /// A moderator unpins a message in Discord's own menu.
    pub fn unpin_in_discord(&self, channel_id: u64, message_id: u64) {
        let mut st = self.inner.lock();
        if let Some(c) = st.channels.get_mut(&channel_id) {
            c.pins.retain(|(m, _)| *m != message_id);
        }
        if let Some(m) = st.messages.get_mut(&message_id) {
            m.json["pinned"] = json!(false);
        }
        drop(st);
        self.inner.changed();
    }
    /// Registered application commands (global and guild).
    pub fn commands(&self) -> Vec<RegisteredCommand> {
        self.inner.lock().commands.clone()
    }

    /// Poll `f` on every change (and every 25 ms) until it returns `Some` or `timeout` elapses.
    pub async fn wait_for<T>(
        &self,
        timeout: Duration,
        mut f: impl FnMut(&StandIn) -> Option<T>,
    ) -> Option<T> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.inner.notify.notified();
            if let Some(v) = f(self) {
                return Some(v);
            }
            let now = tokio::time::Instant::now();
            if now >= deadline {
                return None;
            }
            let step = (deadline - now).min(Duration::from_millis(25));
            let _ = tokio::time::timeout(step, notified).await;
        }
    }
    /// First callback (accepted or not) for the interaction.
    pub async fn wait_for_callback(
        &self,
        interaction_id: u64,
        timeout: Duration,
    ) -> Option<CallbackRecord> {
        self.wait_for(timeout, |s| {
            s.callbacks_for(interaction_id).into_iter().next()
        })
        .await
    }
    /// First recorded request matching `pattern` and `pred`.
    pub async fn wait_for_request(
        &self,
        pattern: &str,
        timeout: Duration,
        mut pred: impl FnMut(&RecordedRequest) -> bool,
    ) -> Option<RecordedRequest> {
        self.wait_for(timeout, |s| {
            s.requests_matching(pattern).into_iter().find(|r| pred(r))
        })
        .await
    }
    pub async fn wait_for_violation(
        &self,
        kind: ViolationKind,
        timeout: Duration,
    ) -> Option<Violation> {
        self.wait_for(timeout, |s| {
            s.violations().into_iter().find(|v| v.kind == kind)
        })
        .await
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.inner.shutdown.send_replace(true);
        if let Some(h) = self.server.lock().unwrap_or_else(|e| e.into_inner()).take() {
            h.abort();
        }
    }
}
