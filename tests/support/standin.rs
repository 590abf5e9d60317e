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
            max_pins: 250,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Public records
// ---------------------------------------------------------------------------------------------

/// How a message-bearing request treated `allowed_mentions`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MentionsPolicy {
    /// The key was not in the payload (Discord then pings everything in the content).
    Absent,
    /// Present with empty `parse`, `users`, `roles` and no `replied_user: true`.
    Empty,
    /// Present but allows something; the JSON text of the object.
    NonEmpty(String),
}

/// One REST request as the stand-in saw and answered it.
#[derive(Clone, Debug)]
pub struct RecordedRequest {
    /// Arrival order (0-based).
    pub index: u64,
    pub method: String,
    pub path: String,
    pub query: Option<String>,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    /// JSON body (for multipart: the `payload_json` part).
    pub body: Option<Value>,
    /// Uploaded file parts (multipart).
    pub files: Vec<UploadedFile>,
    pub received_at: Instant,
    pub status: u16,
    pub response: Option<Value>,
    /// Answered from the forced-response queue.
    pub forced: bool,
    /// No route matched (404/405).
    pub unhandled: bool,
    /// `Some` for requests that carry message data (callbacks 4/7, follow-ups, messages, edits).
    pub allowed_mentions: Option<MentionsPolicy>,
}

impl RecordedRequest {
    /// `pattern` is `"[METHOD ]/path/with/*/segments"`; `*` = one segment, `**` = the rest.
    pub fn matches(&self, pattern: &str) -> bool {
        RoutePattern::parse(pattern).matches(&self.method, &self.path)
    }

    /// Discord error `code` of the answer, if it was an error object.
    pub fn error_code(&self) -> Option<i64> {
        self.response.as_ref()?.get("code")?.as_i64()
    }
}

#[derive(Clone, Debug)]
pub struct UploadedFile {
    pub field: String,
    pub filename: String,
    pub size: usize,
    pub content_type: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ViolationKind {
    /// First callback more than `callback_deadline` after dispatch (Discord: 404 10062).
    LateCallback,
    /// Second callback for one interaction (Discord: 400 40060).
    DuplicateCallback,
    UnknownInteraction,
    /// e.g. UPDATE_MESSAGE (7) for a slash command.
    InvalidResponseType,
    /// 50035: a length/count limit exceeded. `detail` holds the field path.
    InvalidFormBody,
    /// 50006: no content, embeds, components or files.
    EmptyMessage,
    InvalidJson,
    UnknownWebhook,
    ExpiredWebhookToken,
    FollowupBeforeAck,
    /// Missing or wrong `Authorization` header.
    Unauthorized,
}

#[derive(Clone, Debug)]
pub struct Violation {
    pub kind: ViolationKind,
    pub method: String,
    pub path: String,
    pub detail: String,
    pub interaction_id: Option<u64>,
    pub at: Instant,
}

/// One `POST /interactions/{id}/{token}/callback`.
#[derive(Clone, Debug)]
pub struct CallbackRecord {
    pub interaction_id: u64,
    pub response_type: Option<u64>,
    pub body: Option<Value>,
    pub status: u16,
    /// Time since dispatch when the callback arrived (plus any `advance_clock` skew).
    pub latency: Duration,
    pub received_at: Instant,
    /// The callback was accepted as the interaction's response.
    pub accepted: bool,
    pub with_response: bool,
    /// The message the accepted response created (4, 5) or updated (6, 7).
    pub message_id: Option<u64>,
}

#[derive(Clone, Debug)]
pub struct StoredMessage {
    pub id: u64,
    pub channel_id: u64,
    pub author_id: u64,
    /// Full Discord message object, exactly what the stand-in serves.
    pub json: Value,
    /// Interaction this message answers (original response or follow-up).
    pub interaction_id: Option<u64>,
    pub created_at: Instant,
}

impl StoredMessage {
    pub fn content(&self) -> &str {
        self.json["content"].as_str().unwrap_or("")
    }
    pub fn flags(&self) -> u64 {
        self.json["flags"].as_u64().unwrap_or(0)
    }
    pub fn is_ephemeral(&self) -> bool {
        self.flags() & MESSAGE_FLAG_EPHEMERAL != 0
    }
    pub fn pinned(&self) -> bool {
        self.json["pinned"].as_bool().unwrap_or(false)
    }
    pub fn embeds(&self) -> Vec<Value> {
        self.json["embeds"].as_array().cloned().unwrap_or_default()
    }
    pub fn components(&self) -> Vec<Value> {
        self.json["components"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }
    /// All `custom_id`s in the message's components, in order.
    pub fn custom_ids(&self) -> Vec<String> {
        let mut out = Vec::new();
        for row in self.components() {
            for c in row["components"].as_array().into_iter().flatten() {
                if let Some(id) = c["custom_id"].as_str() {
                    out.push(id.to_owned());
                }
            }
        }
        out
    }
}

#[derive(Clone, Debug)]
pub struct RegisteredCommand {
    pub id: u64,
    /// `None` = global command.
    pub guild_id: Option<u64>,
    pub name: String,
    pub kind: u64,
    pub json: Value,
}

#[derive(Clone, Debug)]
pub struct IdentifyRecord {
    pub connection: u64,
    pub token: String,
    pub intents: u64,
    pub shard: Option<Value>,
    pub compress: bool,
    pub accepted: bool,
    pub raw: Value,
    pub at: Instant,
}

#[derive(Clone, Debug)]
pub struct ResumeRecord {
    pub connection: u64,
    pub session_id: String,
    pub seq: u64,
    pub accepted: bool,
    /// Dispatches replayed because the client had missed them.
    pub replayed: usize,
    pub at: Instant,
}

/// A frame the bot sent on the gateway.
#[derive(Clone, Debug)]
pub struct GatewayFrame {
    pub connection: u64,
    pub op: i64,
    pub payload: Value,
    pub at: Instant,
}

/// What `send_*` returns.
#[derive(Clone, Debug)]
pub struct Dispatched {
    pub interaction_id: u64,
    pub token: String,
    pub seq: u64,
    pub channel_id: u64,
    pub guild_id: Option<u64>,
    pub user_id: u64,
}

/// A canned answer for fault injection.
#[derive(Clone, Debug)]
pub struct ForcedResponse {
    pub status: u16,
    /// Sent verbatim; JSON unless `content_type` says otherwise.
    pub body: String,
    pub content_type: String,
    pub headers: Vec<(String, String)>,
    /// Extra wait before answering.
    pub delay: Duration,
    /// Handle the request first (its effects happen, as when Discord's edge fails after the
    /// origin did the work, or the answer is lost on the way back), then answer with this.
    pub after_handling: bool,
}

impl ForcedResponse {
    pub fn json(status: u16, body: Value) -> Self {
        Self {
            status,
            body: body.to_string(),
            content_type: "application/json".to_owned(),
            headers: Vec::new(),
            delay: Duration::ZERO,
            after_handling: false,
        }
    }
    pub fn text(status: u16, body: &str) -> Self {
        Self {
            status,
            body: body.to_owned(),
            content_type: "text/html".to_owned(),
            headers: Vec::new(),
            delay: Duration::ZERO,
            after_handling: false,
        }
    }
    pub fn internal_error() -> Self {
        Self::json(
            500,
            json!({"message": "500: Internal Server Error", "code": 0}),
        )
    }
    /// Cloudflare-style 502 (HTML body, as Discord's edge really sends).
    pub fn bad_gateway() -> Self {
        Self::text(
            502,
            "<html><head><title>502 Bad Gateway</title></head><body>502 Bad Gateway</body></html>",
        )
    }
    /// 429 with Discord's body and `Retry-After` / `X-RateLimit-*` headers.
    pub fn rate_limited(retry_after_secs: f64, global: bool) -> Self {
        let mut r = Self::json(
            429,
            json!({"message": "You are being rate limited.", "retry_after": retry_after_secs, "global": global, "code": 0}),
        );
        let reset = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs_f64()
            + retry_after_secs;
        r.headers = vec![
            (
                "Retry-After".into(),
                format!("{}", retry_after_secs.ceil() as u64),
            ),
            ("X-RateLimit-Limit".into(), "5".into()),
            ("X-RateLimit-Remaining".into(), "0".into()),
            ("X-RateLimit-Reset".into(), format!("{reset:.3}")),
            (
                "X-RateLimit-Reset-After".into(),
                format!("{retry_after_secs:.3}"),
            ),
            ("X-RateLimit-Bucket".into(), "standin-bucket".into()),
            (
                "X-RateLimit-Scope".into(),
                if global { "global" } else { "user" }.into(),
            ),
        ];
        if global {
            r.headers.push(("X-RateLimit-Global".into(), "true".into()));
        }
        r
    }
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }
    pub fn after(mut self, delay: Duration) -> Self {
        self.delay = delay;
        self
    }
    /// The request takes effect, but the client gets this answer instead of the real one.
    pub fn after_handling(mut self) -> Self {
        self.after_handling = true;
        self
    }
}

// ---------------------------------------------------------------------------------------------
// Interaction builders
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug, Default)]
pub enum Place {
    /// Slash: default guild + channel. Component / message command: where the message is.
    #[default]
    Default,
    Guild {
        guild_id: u64,
        channel_id: u64,
    },
    /// DM with the bot; `None` = the user's DM channel (created on demand).
    Dm {
        channel_id: Option<u64>,
    },
}

/// Who invokes an interaction, where, and with which locale/permissions.
#[derive(Clone, Debug, Default)]
pub struct Actor {
    pub user_id: Option<u64>,
    pub username: Option<String>,
    pub place: Place,
    pub locale: Option<String>,
    /// `None` = "en-US" in guilds, absent in DMs.
    pub guild_locale: Option<String>,
    /// Invoking member's permissions (u64 bits, any bit incl. PIN_MESSAGES allowed).
    pub member_permissions: Option<u64>,
    /// `None` = the bot's configured permissions in that channel.
    pub app_permissions: Option<u64>,
    pub roles: Vec<u64>,
    /// Override the `context` field (0 guild, 1 bot DM, 2 private channel).
    pub context: Option<u8>,
}

/// Builder methods shared by all interaction kinds.
pub trait InteractionOpts: Sized {
    fn actor_mut(&mut self) -> &mut Actor;

    fn user(mut self, user_id: u64) -> Self {
        self.actor_mut().user_id = Some(user_id);
        self
    }
    fn username(mut self, name: &str) -> Self {
        self.actor_mut().username = Some(name.to_owned());
        self
    }
    fn in_guild(mut self, guild_id: u64, channel_id: u64) -> Self {
        self.actor_mut().place = Place::Guild {
            guild_id,
            channel_id,
        };
        self
    }
    fn in_dm(mut self) -> Self {
        self.actor_mut().place = Place::Dm { channel_id: None };
        self
    }
    fn in_dm_channel(mut self, channel_id: u64) -> Self {
        self.actor_mut().place = Place::Dm {
            channel_id: Some(channel_id),
        };
        self
    }
    fn locale(mut self, locale: &str) -> Self {
        self.actor_mut().locale = Some(locale.to_owned());
        self
    }
    fn guild_locale(mut self, locale: &str) -> Self {
        self.actor_mut().guild_locale = Some(locale.to_owned());
        self
    }
    fn member_permissions(mut self, bits: u64) -> Self {
        self.actor_mut().member_permissions = Some(bits);
        self
    }
    fn app_permissions(mut self, bits: u64) -> Self {
        self.actor_mut().app_permissions = Some(bits);
        self
    }
    fn roles(mut self, roles: &[u64]) -> Self {
        self.actor_mut().roles = roles.to_vec();
        self
    }
    fn context(mut self, context: u8) -> Self {
        self.actor_mut().context = Some(context);
        self
    }
}

/// A CHAT_INPUT (slash) command invocation.
#[derive(Clone, Debug)]
pub struct SlashCommand {
    pub name: String,
    /// Discord option objects (`{"name","type","value"}` / sub-commands with `options`).
    pub options: Vec<Value>,
    /// `None` = id of the registered command with that name, or a fresh id.
    pub command_id: Option<u64>,
    pub actor: Actor,
}

impl SlashCommand {
    pub fn new(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            options: Vec::new(),
            command_id: None,
            actor: Actor::default(),
        }
    }
    pub fn option_str(mut self, name: &str, value: &str) -> Self {
        self.options
            .push(json!({"name": name, "type": 3, "value": value}));
        self
    }
    pub fn option_int(mut self, name: &str, value: i64) -> Self {
        self.options
            .push(json!({"name": name, "type": 4, "value": value}));
        self
    }
    pub fn option_bool(mut self, name: &str, value: bool) -> Self {
        self.options
            .push(json!({"name": name, "type": 5, "value": value}));
        self
    }
    pub fn subcommand(mut self, name: &str, options: Vec<Value>) -> Self {
        self.options
            .push(json!({"name": name, "type": 1, "options": options}));
        self
    }
    pub fn option_raw(mut self, option: Value) -> Self {
        self.options.push(option);
        self
    }
    pub fn command_id(mut self, id: u64) -> Self {
        self.command_id = Some(id);
        self
    }
}

impl InteractionOpts for SlashCommand {
    fn actor_mut(&mut self) -> &mut Actor {
        &mut self.actor
    }
}

/// A click on a button or a choice in a select menu of a stored message.
#[derive(Clone, Debug)]
pub struct ComponentClick {
    pub message_id: u64,
    pub custom_id: String,
    /// 2 button, 3 string select, 5 user select, 6 role, 7 mentionable, 8 channel.
    pub component_type: u8,
    pub values: Vec<String>,
    pub actor: Actor,
}

impl ComponentClick {
    pub fn button(message_id: u64, custom_id: &str) -> Self {
        Self {
            message_id,
            custom_id: custom_id.to_owned(),
            component_type: 2,
            values: Vec::new(),
            actor: Actor::default(),
        }
    }
    pub fn select(message_id: u64, custom_id: &str, values: &[&str]) -> Self {
        Self {
            message_id,
            custom_id: custom_id.to_owned(),
            component_type: 3,
            values: values.iter().map(|v| (*v).to_owned()).collect(),
            actor: Actor::default(),
        }
    }
}

impl InteractionOpts for ComponentClick {
    fn actor_mut(&mut self) -> &mut Actor {
        &mut self.actor
    }
}

/// A context-menu "message" command (type 3) on a stored message (see `seed_message`).
#[derive(Clone, Debug)]
pub struct MessageCommand {
    pub name: String,
    pub target_message_id: u64,
    pub command_id: Option<u64>,
    pub actor: Actor,
}

impl MessageCommand {
    pub fn new(name: &str, target_message_id: u64) -> Self {
        Self {
            name: name.to_owned(),
            target_message_id,
            command_id: None,
            actor: Actor::default(),
        }
    }
}

impl InteractionOpts for MessageCommand {
    fn actor_mut(&mut self) -> &mut Actor {
        &mut self.actor
    }
}

// ---------------------------------------------------------------------------------------------
// Internal state
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum InterKind {
    Slash,
    MessageCommand,
    Component,
}

struct Inter {
    id: u64,
    token: String,
    kind: InterKind,
    dispatched_at: Instant,
    channel_id: u64,
    guild_id: Option<u64>,
    user_id: u64,
    component_message_id: Option<u64>,
    acked: bool,
    response_type: Option<u64>,
    original_message_id: Option<u64>,
    followups: Vec<u64>,
}

struct Chan {
    id: u64,
    guild_id: Option<u64>,
    kind: u8,
    name: String,
    recipient: Option<u64>,
    /// Message ids in creation order.
    order: Vec<u64>,
    /// (message id, pinned_at) in pin order.
    pins: Vec<(u64, String)>,
}

enum Outbound {
    Text(String),
    Close(u16, String),
    Drop,
}

struct Conn {
    tx: mpsc::UnboundedSender<Outbound>,
    identified: bool,
    query: Option<String>,
}

struct Session {
    id: String,
    seq: u64,
    resumable: bool,
    /// Every dispatch of the session, for RESUME replay.
    log: Vec<(u64, String)>,
    shard: Option<Value>,
}

#[derive(Default)]
struct Gw {
    next_conn: u64,
    conns: HashMap<u64, Conn>,
    current: Option<u64>,
    session: Option<Session>,
    identifies: Vec<IdentifyRecord>,
    resumes: Vec<ResumeRecord>,
    frames: Vec<GatewayFrame>,
    heartbeats: u64,
    ack_heartbeats: bool,
    readies: u64,
    /// Sequence numbers the next accepted RESUME replays even if the client had them.
    redeliver: Vec<u64>,
}

struct ForcedRule {
    pattern: RoutePattern,
    remaining: usize,
    response: ForcedResponse,
}

struct St {
    cfg: StandInConfig,
    base_url: String,
    skew: Duration,
    last_id: u64,
    rng: u64,
    req_seq: u64,
    requests: Vec<RecordedRequest>,
    violations: Vec<Violation>,
    interactions: HashMap<u64, Inter>,
    tokens: HashMap<String, u64>,
    callbacks: Vec<CallbackRecord>,
    channels: BTreeMap<u64, Chan>,
    messages: HashMap<u64, StoredMessage>,
    usernames: HashMap<u64, String>,
    channel_perms: HashMap<u64, u64>,
    commands: Vec<RegisteredCommand>,
    forced: Vec<ForcedRule>,
    delays: Vec<(RoutePattern, Duration)>,
    gw: Gw,
    /// Load-test mode (see [`StandIn::set_lean`]).
    lean: bool,
    /// What `GET /gateway` names instead of the stand-in (see [`StandIn::refuse_gateway`]).
    gateway_override: Option<String>,
    /// Every member permission value dispatched in a guild; each is a role of
    /// `GET /guilds/{id}` (see [`perms_role`]).
    perm_roles: std::collections::BTreeSet<u64>,
    /// Subscribers to callbacks (see [`StandIn::subscribe_callbacks`]).
    callback_subs: Vec<mpsc::UnboundedSender<CallbackRecord>>,
    /// HTTP interactions mode: where interactions go instead of the gateway (see
    /// [`StandIn::deliver_over_http`]).
    http_out: Option<mpsc::UnboundedSender<Outgoing>>,
}

/// An interaction to POST to the bot's endpoint (HTTP interactions mode).
#[derive(Clone, Debug)]
pub struct Outgoing {
    pub interaction_id: u64,
    pub token: String,
    /// The complete payload, as Discord POSTs it.
    pub body: Vec<u8>,
}

/// The bot's HTTP response to an [`Outgoing`] interaction; status 0 when none came
/// (the connection failed).
#[derive(Clone, Debug)]
pub struct HttpAnswer {
    pub status: u16,
    pub body: Vec<u8>,
}

struct Inner {
    st: Mutex<St>,
    notify: Notify,
    shutdown: watch::Sender<bool>,
}

impl Inner {
    fn lock(&self) -> MutexGuard<'_, St> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }
    fn changed(&self) {
        self.notify.notify_waiters();
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
            http_out: None,
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

    /// Answer the next `times` requests matching `pattern` (`"[METHOD ]/api/v10/a/*/b/**"`) with
    /// `response` instead of handling them. Rules are consumed in insertion order.
    pub fn force_response(&self, pattern: &str, times: usize, response: ForcedResponse) {
        self.inner.lock().forced.push(ForcedRule {
            pattern: RoutePattern::parse(pattern),
            remaining: times,
            response,
        });
    }
    /// Forced responses not yet consumed.
    pub fn pending_forced(&self) -> usize {
        self.inner.lock().forced.iter().map(|r| r.remaining).sum()
    }
    pub fn clear_forced(&self) {
        self.inner.lock().forced.clear();
    }
    /// Delay every answer to requests matching `pattern` by `delay` (until `clear_delays`).
    pub fn set_delay(&self, pattern: &str, delay: Duration) {
        self.inner
            .lock()
            .delays
            .push((RoutePattern::parse(pattern), delay));
    }
    pub fn clear_delays(&self) {
        self.inner.lock().delays.clear();
    }

    // ---- gateway -----------------------------------------------------------------------------

    /// Wait (≤ 30 s, else panic) until a shard is identified/resumed and connected.
    pub async fn wait_ready(&self) {
        assert!(
            self.wait_ready_timeout(Duration::from_secs(30)).await,
            "stand-in: no gateway session became ready within 30 s"
        );
    }
    pub async fn wait_ready_timeout(&self, timeout: Duration) -> bool {
        self.wait_for(timeout, |s| s.gateway_live().then_some(()))
            .await
            .is_some()
    }
    /// A connection is identified/resumed and not being closed.
    pub fn gateway_live(&self) -> bool {
        let st = self.inner.lock();
        st.gw.current.is_some() && st.gw.session.is_some()
    }
    pub fn identifies(&self) -> Vec<IdentifyRecord> {
        self.inner.lock().gw.identifies.clone()
    }
    pub fn resumes(&self) -> Vec<ResumeRecord> {
        self.inner.lock().gw.resumes.clone()
    }
    /// READY payloads sent so far.
    pub fn ready_count(&self) -> u64 {
        self.inner.lock().gw.readies
    }
    /// Websocket connections accepted so far.
    pub fn connection_count(&self) -> u64 {
        self.inner.lock().gw.next_conn
    }
    pub fn heartbeat_count(&self) -> u64 {
        self.inner.lock().gw.heartbeats
    }
    /// Every frame the bot sent (heartbeats included).
    pub fn gateway_frames(&self) -> Vec<GatewayFrame> {
        self.inner.lock().gw.frames.clone()
    }
    pub fn session_id(&self) -> Option<String> {
        self.inner.lock().gw.session.as_ref().map(|s| s.id.clone())
    }
    /// Last dispatch sequence number of the session.
    pub fn seq(&self) -> u64 {
        self.inner.lock().gw.session.as_ref().map_or(0, |s| s.seq)
    }

    /// Close the live gateway connection with `code` (4000 → resumable; 4007/4009 invalidate the
    /// session like Discord; 4004 etc. are fatal for serenity).
    pub fn close_gateway(&self, code: u16) {
        let mut st = self.inner.lock();
        if matches!(code, 4007 | 4009) {
            if let Some(s) = st.gw.session.as_mut() {
                s.resumable = false;
            }
        }
        if let Some(conn) = st.gw.current.take() {
            if let Some(c) = st.gw.conns.get(&conn) {
                let _ =
                    c.tx.send(Outbound::Close(code, format!("stand-in close {code}")));
            }
        }
        drop(st);
        self.inner.changed();
    }
    /// Drop the TCP connection without a close frame.
    pub fn drop_gateway(&self) {
        let mut st = self.inner.lock();
        if let Some(conn) = st.gw.current.take() {
            if let Some(c) = st.gw.conns.get(&conn) {
                let _ = c.tx.send(Outbound::Drop);
            }
        }
    }
    /// Send op 7 RECONNECT; the bot should reconnect and RESUME.
    pub fn send_reconnect(&self) {
        let mut st = self.inner.lock();
        if let Some(conn) = st.gw.current.take() {
            if let Some(c) = st.gw.conns.get(&conn) {
                let _ = c.tx.send(Outbound::Text(
                    json!({"op": 7, "d": null, "s": null, "t": null}).to_string(),
                ));
            }
        }
    }
    /// Send op 9 INVALID_SESSION; with `resumable == false` the session cannot be resumed.
    pub fn send_invalid_session(&self, resumable: bool) {
        let mut st = self.inner.lock();
        if let Some(s) = st.gw.session.as_mut() {
            s.resumable = resumable;
        }
        if let Some(conn) = st.gw.current.take() {
            if let Some(c) = st.gw.conns.get(&conn) {
                let _ = c.tx.send(Outbound::Text(
                    json!({"op": 9, "d": resumable, "s": null, "t": null}).to_string(),
                ));
            }
        }
    }
    /// Make the next accepted RESUME replay the dispatch with sequence number `seq` again, even
    /// though the bot already received it: Discord's delivery is at-least-once, and a RESUME may
    /// repeat events the client had (for example when its last heartbeat carried an older seq).
    pub fn redeliver_on_resume(&self, seq: u64) {
        self.inner.lock().gw.redeliver.push(seq);
    }
    /// Send an arbitrary dispatch (op 0) once the gateway is live; returns its sequence number.
    pub async fn send_dispatch(&self, event: &str, data: Value) -> u64 {
        self.wait_live_or_panic().await;
        let mut st = self.inner.lock();
        st.push_dispatch(event, data)
            .expect("stand-in: no gateway session")
    }

    // ---- interactions ------------------------------------------------------------------------

    pub async fn send_slash_command(&self, cmd: SlashCommand) -> Dispatched {
        self.send_slash_command_inner(cmd, &mut |_| {}).await
    }

    async fn send_slash_command_inner(
        &self,
        cmd: SlashCommand,
        edit: &mut (dyn FnMut(&mut Value) + Send),
    ) -> Dispatched {
        self.wait_live_or_panic().await;
        let d = {
            let mut st = self.inner.lock();
            let actor = st.resolve_actor(&cmd.actor, None);
            let guild_id = actor.guild_id;
            let command_id = cmd
                .command_id
                .unwrap_or_else(|| st.command_id_for(&cmd.name, 1, guild_id));
            let mut data = json!({"id": command_id.to_string(), "name": cmd.name, "type": 1, "options": cmd.options});
            if let Some(g) = st.command_guild(command_id) {
                data["guild_id"] = json!(g.to_string());
            }
            st.dispatch_interaction_edited(2, InterKind::Slash, &actor, data, None, edit)
        };
        self.inner.changed();
        d
    }

    pub async fn send_component(&self, click: ComponentClick) -> Dispatched {
        self.send_component_inner(click, true, &mut |_| {}).await
    }

    /// Like `send_component`, for forged or malformed clicks: the message need not carry
    /// `custom_id`, and `edit` may change anything in the complete INTERACTION_CREATE
    /// payload (a wrong type, a missing field) before it is dispatched. The interaction is
    /// registered as usual, so the bot's callback is accepted and recorded.
    pub async fn send_component_edited(
        &self,
        click: ComponentClick,
        mut edit: impl FnMut(&mut Value) + Send,
    ) -> Dispatched {
        self.send_component_inner(click, false, &mut edit).await
    }

    /// Like `send_message_command` (no permission gating), with `edit` applied to the
    /// complete payload before it is dispatched (see `send_component_edited`).
    pub async fn send_message_command_edited(
        &self,
        cmd: MessageCommand,
        mut edit: impl FnMut(&mut Value) + Send,
    ) -> Dispatched {
        self.send_message_command_inner(cmd, &mut edit).await
    }

    /// Like `send_slash_command`, with `edit` applied to the complete payload before it is
    /// dispatched (see `send_component_edited`).
    pub async fn send_slash_command_edited(
        &self,
        cmd: SlashCommand,
        mut edit: impl FnMut(&mut Value) + Send,
    ) -> Dispatched {
        self.send_slash_command_inner(cmd, &mut edit).await
    }

    async fn send_component_inner(
        &self,
        click: ComponentClick,
        check_custom_id: bool,
        edit: &mut (dyn FnMut(&mut Value) + Send),
    ) -> Dispatched {
        self.wait_live_or_panic().await;
        let d = self
            .inner
            .lock()
            .dispatch_click(&click, check_custom_id, edit);
        self.inner.changed();
        d
    }

    /// Several clicks dispatched back to back, all made on the messages as they are now (a
    /// double click, or the same message clicked on two devices, before any answer arrives).
    pub async fn send_components(&self, clicks: &[ComponentClick]) -> Vec<Dispatched> {
        self.wait_live_or_panic().await;
        let ds = {
            let mut st = self.inner.lock();
            clicks
                .iter()
                .map(|c| st.dispatch_click(c, true, &mut |_| {}))
                .collect()
        };
        self.inner.changed();
        ds
    }

    pub async fn send_message_command(&self, cmd: MessageCommand) -> Dispatched {
        self.send_message_command_inner(cmd, &mut |_| {}).await
    }

    async fn send_message_command_inner(
        &self,
        cmd: MessageCommand,
        edit: &mut (dyn FnMut(&mut Value) + Send),
    ) -> Dispatched {
        self.wait_live_or_panic().await;
        let d = {
            let mut st = self.inner.lock();
            let msg = st
                .messages
                .get(&cmd.target_message_id)
                .cloned()
                .unwrap_or_else(|| {
                    panic!(
                        "stand-in: send_message_command on unknown message {}",
                        cmd.target_message_id
                    )
                });
            let actor = st.resolve_actor(&cmd.actor, Some(msg.channel_id));
            let guild_id = actor.guild_id;
            let command_id = cmd
                .command_id
                .unwrap_or_else(|| st.command_id_for(&cmd.name, 3, guild_id));
            let mid = msg.id.to_string();
            let mut resolved_msg = msg.json.clone();
            if let Some(g) = guild_id {
                resolved_msg["guild_id"] = json!(g.to_string());
            }
            let mut data = json!({
                "id": command_id.to_string(),
                "name": cmd.name,
                "type": 3,
                "target_id": mid,
                "resolved": {"messages": {mid.clone(): resolved_msg}},
            });
            if let Some(g) = st.command_guild(command_id) {
                data["guild_id"] = json!(g.to_string());
            }
            st.dispatch_interaction_edited(2, InterKind::MessageCommand, &actor, data, None, edit)
        };
        self.inner.changed();
        d
    }

    /// Like Discord, offers a command with `default_member_permissions` only to members
    /// holding every one of those bits (or ADMINISTRATOR): returns `None`, dispatching
    /// nothing, where Discord would not let this member use the command at all.
    pub async fn try_send_message_command(&self, cmd: MessageCommand) -> Option<Dispatched> {
        let permitted = {
            let mut st = self.inner.lock();
            let channel = st
                .messages
                .get(&cmd.target_message_id)
                .map(|m| m.channel_id);
            let actor = st.resolve_actor(&cmd.actor, channel);
            st.may_use(&cmd.name, 3, &actor)
        };
        if permitted {
            Some(self.send_message_command(cmd).await)
        } else {
            None
        }
    }

    /// [`Self::try_send_message_command`] for a slash command.
    pub async fn try_send_slash_command(&self, cmd: SlashCommand) -> Option<Dispatched> {
        let permitted = {
            let mut st = self.inner.lock();
            let actor = st.resolve_actor(&cmd.actor, None);
            st.may_use(&cmd.name, 1, &actor)
        };
        if permitted {
            Some(self.send_slash_command(cmd).await)
        } else {
            None
        }
    }

    async fn wait_live_or_panic(&self) {
        let (wait, has_session) = {
            let st = self.inner.lock();
            if st.http_out.is_some() {
                return;
            }
            (st.cfg.dispatch_wait, st.gw.session.is_some())
        };
        if wait.is_zero() {
            // Queue into the session log even while disconnected; RESUME replays it.
            assert!(has_session, "stand-in: no gateway session; cannot dispatch");
            return;
        }
        assert!(
            self.wait_ready_timeout(wait).await,
            "stand-in: no live gateway session within {wait:?}; cannot dispatch"
        );
    }

    /// HTTP interactions mode (`activation-check serve`): from now on interactions are not
    /// dispatched on the gateway but given to `post` (which signs them and POSTs them to the
    /// bot, see `support::interactions`), and the bot's HTTP response is taken as the
    /// interaction's callback, as Discord does: a 200 with a JSON body is validated and
    /// applied like `POST /interactions/{id}/{token}/callback`; anything else is recorded
    /// as a refused callback with that status (the user would see "This interaction
    /// failed").
    pub fn deliver_over_http<F, Fut>(&self, post: F)
    where
        F: Fn(Outgoing) -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = HttpAnswer> + Send + 'static,
    {
        let (tx, mut rx) = mpsc::unbounded_channel::<Outgoing>();
        self.inner.lock().http_out = Some(tx);
        let inner = self.inner.clone();
        let post = Arc::new(post);
        tokio::spawn(async move {
            while let Some(out) = rx.recv().await {
                let (inner, post) = (inner.clone(), post.clone());
                tokio::spawn(async move {
                    let (id, token) = (out.interaction_id, out.token.clone());
                    let answer = post(out).await;
                    let at = Instant::now();
                    inner.lock().http_answer(id, &token, answer, at);
                    inner.changed();
                });
            }
        });
    }

    // ---- inspection --------------------------------------------------------------------------

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

// ---------------------------------------------------------------------------------------------
// State helpers
// ---------------------------------------------------------------------------------------------

struct ResolvedActor {
    user_id: u64,
    guild_id: Option<u64>,
    channel_id: u64,
    locale: String,
    guild_locale: Option<String>,
    member_permissions: u64,
    app_permissions: u64,
    roles: Vec<u64>,
    context: u8,
}

impl St {
    /// The gateway URL `GET /gateway` names.
    fn gateway_url(&self) -> String {
        self.gateway_override
            .clone()
            .unwrap_or_else(|| self.base_url.replacen("http://", "ws://", 1))
    }

    fn now_age(&self, since: Instant) -> Duration {
        since.elapsed() + self.skew
    }

    fn next_id(&mut self) -> u64 {
        let ms = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_millis() as u64;
        let candidate = ms.saturating_sub(DISCORD_EPOCH_MS) << 22;
        self.last_id = candidate.max(self.last_id + 1);
        self.last_id
    }

    fn rand(&mut self) -> u64 {
        // xorshift64*
        let mut x = self.rng;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.rng = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn ensure_guild_channel(&mut self, guild_id: u64, channel_id: u64) {
        self.channels.entry(channel_id).or_insert_with(|| Chan {
            id: channel_id,
            guild_id: Some(guild_id),
            kind: 0,
            name: format!("channel-{}", channel_id % 10_000),
            recipient: None,
            order: Vec::new(),
            pins: Vec::new(),
        });
    }

    fn dm_channel_for(&mut self, user_id: u64) -> u64 {
        if let Some(c) = self
            .channels
            .values()
            .find(|c| c.kind == 1 && c.recipient == Some(user_id))
        {
            return c.id;
        }
        let id = self.next_id();
        self.channels.insert(
            id,
            Chan {
                id,
                guild_id: None,
                kind: 1,
                name: String::new(),
                recipient: Some(user_id),
                order: Vec::new(),
                pins: Vec::new(),
            },
        );
        id
    }

    fn bot_perms(&self, channel_id: u64) -> u64 {
        let is_dm = self
            .channels
            .get(&channel_id)
            .is_some_and(|c| c.guild_id.is_none());
        let bits = if is_dm {
            perms::ALL_EXCEPT_ADMIN
        } else {
            self.channel_perms
                .get(&channel_id)
                .copied()
                .unwrap_or(self.cfg.default_bot_permissions)
        };
        if bits & perms::ADMINISTRATOR != 0 {
            perms::ALL
        } else {
            bits
        }
    }

    fn username(&self, user_id: u64) -> String {
        self.usernames
            .get(&user_id)
            .cloned()
            .unwrap_or_else(|| format!("user{}", user_id % 100_000))
    }

    /// A guild as `GET /guilds/{id}` returns it. Members get their permissions from
    /// roles: @everyone has none, and each member's `member_permissions` is a role of its
    /// own ([`perms_role`]) listed in the member's `roles`, so permissions computed from
    /// the roles (and the channels' empty overwrites) equal `member.permissions`.
    fn guild_json(&self, guild_id: u64) -> Value {
        let role = |id: u64, name: &str, permissions: u64, position: u64| {
            json!({
                "id": id.to_string(),
                "name": name,
                "color": 0,
                "colors": {"primary_color": 0, "secondary_color": null, "tertiary_color": null},
                "hoist": false,
                "icon": null,
                "unicode_emoji": null,
                "position": position,
                "permissions": permissions.to_string(),
                "managed": false,
                "mentionable": false,
                "flags": 0,
            })
        };
        let mut roles = vec![role(guild_id, "@everyone", 0, 0)];
        roles.extend(
            self.perm_roles
                .iter()
                .map(|p| role(perms_role(*p), &format!("perms {p}"), *p, 1)),
        );
        json!({
            "id": guild_id.to_string(),
            "name": format!("stand-in guild {guild_id}"),
            "icon": null,
            "splash": null,
            "discovery_splash": null,
            "owner_id": STANDIN_GUILD_OWNER.to_string(),
            "afk_channel_id": null,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "roles": roles,
            "emojis": [],
            "stickers": [],
            "features": [],
            "mfa_level": 0,
            "application_id": null,
            "system_channel_id": null,
            "system_channel_flags": 0,
            "rules_channel_id": null,
            "vanity_url_code": null,
            "description": null,
            "banner": null,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "public_updates_channel_id": null,
            "nsfw_level": 0,
            "premium_progress_bar_enabled": false,
            "safety_alerts_channel_id": null,
        })
    }

    fn user_json(&self, user_id: u64) -> Value {
        if user_id == self.cfg.bot_user_id {
            return self.bot_user_json();
        }
        let name = self.username(user_id);
        json!({
            "id": user_id.to_string(),
            "username": name,
            "discriminator": "0",
            "global_name": name,
            "avatar": null,
            "bot": false,
            "system": false,
            "banner": null,
            "accent_color": null,
            "public_flags": 0,
            "flags": 0,
            "avatar_decoration_data": null,
        })
    }

    fn bot_user_json(&self) -> Value {
        json!({
            "id": self.cfg.bot_user_id.to_string(),
            "username": self.cfg.bot_username,
            "discriminator": "0",
            "global_name": null,
            "avatar": null,
            "bot": true,
            "system": false,
            "mfa_enabled": false,
            "banner": null,
            "accent_color": null,
            "locale": "en-US",
            "verified": true,
            "email": null,
            "flags": 0,
            "premium_type": 0,
            "public_flags": 0,
            "avatar_decoration_data": null,
        })
    }

    fn channel_json(&self, channel_id: u64) -> Option<Value> {
        let c = self.channels.get(&channel_id)?;
        Some(if c.kind == 1 {
            json!({
                "id": c.id.to_string(),
                "type": 1,
                "last_message_id": c.order.last().map(|m| m.to_string()),
                "flags": 0,
                "recipients": [self.user_json(c.recipient.unwrap_or(0))],
            })
        } else {
            json!({
                "id": c.id.to_string(),
                "type": c.kind,
                "guild_id": c.guild_id.map(|g| g.to_string()),
                "name": c.name,
                "position": 0,
                "permission_overwrites": [],
                "nsfw": false,
                "parent_id": null,
                "topic": null,
                "last_message_id": c.order.last().map(|m| m.to_string()),
                "rate_limit_per_user": 0,
                "flags": 0,
            })
        })
    }

    fn command_id_for(&mut self, name: &str, kind: u64, guild_id: Option<u64>) -> u64 {
        let found = self
            .commands
            .iter()
            .filter(|c| c.name == name && c.kind == kind)
            .filter(|c| c.guild_id.is_none() || c.guild_id == guild_id)
            .max_by_key(|c| c.guild_id.is_some())
            .map(|c| c.id);
        found.unwrap_or_else(|| self.next_id())
    }

    fn command_guild(&self, command_id: u64) -> Option<u64> {
        self.commands
            .iter()
            .find(|c| c.id == command_id)
            .and_then(|c| c.guild_id)
    }

    fn resolve_actor(&mut self, a: &Actor, message_channel: Option<u64>) -> ResolvedActor {
        let user_id = a.user_id.unwrap_or(self.cfg.default_user_id);
        if let Some(name) = &a.username {
            self.usernames.insert(user_id, name.clone());
        }
        let (guild_id, channel_id) = match &a.place {
            Place::Guild {
                guild_id,
                channel_id,
            } => {
                self.ensure_guild_channel(*guild_id, *channel_id);
                (Some(*guild_id), *channel_id)
            }
            Place::Dm {
                channel_id: Some(c),
            } => {
                self.channels.entry(*c).or_insert_with(|| Chan {
                    id: *c,
                    guild_id: None,
                    kind: 1,
                    name: String::new(),
                    recipient: Some(user_id),
                    order: Vec::new(),
                    pins: Vec::new(),
                });
                (None, *c)
            }
            Place::Dm { channel_id: None } => (None, self.dm_channel_for(user_id)),
            Place::Default => match message_channel {
                Some(c) => (self.channels.get(&c).and_then(|ch| ch.guild_id), c),
                None => {
                    let (g, c) = (self.cfg.default_guild_id, self.cfg.default_channel_id);
                    self.ensure_guild_channel(g, c);
                    (Some(g), c)
                }
            },
        };
        let context = a.context.unwrap_or(if guild_id.is_some() { 0 } else { 1 });
        ResolvedActor {
            user_id,
            guild_id,
            channel_id,
            locale: a
                .locale
                .clone()
                .unwrap_or_else(|| self.cfg.default_locale.clone()),
            guild_locale: match guild_id {
                Some(_) => Some(a.guild_locale.clone().unwrap_or_else(|| "en-US".to_owned())),
                None => a.guild_locale.clone(),
            },
            member_permissions: a.member_permissions.unwrap_or(perms::MEMBER_DEFAULT),
            app_permissions: a
                .app_permissions
                .unwrap_or_else(|| self.bot_perms(channel_id)),
            roles: a.roles.clone(),
            context,
        }
    }

    /// Dispatches a click; `check_custom_id` refuses (panics on) a custom_id the message
    /// does not carry, as Discord could never send one; `edit` changes the payload.
    fn dispatch_click(
        &mut self,
        click: &ComponentClick,
        check_custom_id: bool,
        edit: &mut (dyn FnMut(&mut Value) + Send),
    ) -> Dispatched {
        let msg = self
            .messages
            .get(&click.message_id)
            .cloned()
            .unwrap_or_else(|| {
                panic!(
                    "stand-in: send_component on unknown message {}",
                    click.message_id
                )
            });
        assert!(
            !check_custom_id || msg.custom_ids().contains(&click.custom_id),
            "stand-in: message {} has no component with custom_id {:?} (has {:?})",
            msg.id,
            click.custom_id,
            msg.custom_ids()
        );
        let actor = self.resolve_actor(&click.actor, Some(msg.channel_id));
        let mut data =
            json!({"custom_id": click.custom_id, "component_type": click.component_type});
        if click.component_type != 2 {
            data["values"] = json!(click.values);
        }
        self.dispatch_interaction_edited(3, InterKind::Component, &actor, data, Some(msg), edit)
    }

    /// Build the full INTERACTION_CREATE payload, register the interaction, dispatch it.
    fn dispatch_interaction(
        &mut self,
        kind_num: u8,
        kind: InterKind,
        a: &ResolvedActor,
        data: Value,
        message: Option<StoredMessage>,
    ) -> Dispatched {
        self.dispatch_interaction_edited(kind_num, kind, a, data, message, &mut |_| {})
    }

    /// `dispatch_interaction` with `edit` applied to the complete payload just before it is
    /// dispatched. The interaction stays registered under the id and token built here.
    fn dispatch_interaction_edited(
        &mut self,
        kind_num: u8,
        kind: InterKind,
        a: &ResolvedActor,
        data: Value,
        message: Option<StoredMessage>,
        edit: &mut (dyn FnMut(&mut Value) + Send),
    ) -> Dispatched {
        let id = self.next_id();
        let token = format!("standin-itok-{id}-{:016x}{:016x}", self.rand(), self.rand());
        let mut channel = self
            .channel_json(a.channel_id)
            .unwrap_or_else(|| json!({"id": a.channel_id.to_string(), "type": 0}));
        if a.guild_id.is_some() {
            channel["permissions"] = json!(a.member_permissions.to_string());
        }
        let mut v = json!({
            "id": id.to_string(),
            "application_id": self.cfg.application_id.to_string(),
            "type": kind_num,
            "data": data,
            "channel_id": a.channel_id.to_string(),
            "channel": channel,
            "token": token,
            "version": 1,
            "app_permissions": a.app_permissions.to_string(),
            "locale": a.locale,
            "entitlements": [],
            "authorizing_integration_owners": {"0": a.guild_id.map_or_else(|| "0".to_owned(), |g| g.to_string())},
            "context": a.context,
            "attachment_size_limit": 10_485_760u32,
        });
        let user = self.user_json(a.user_id);
        if a.guild_id.is_some() {
            self.perm_roles.insert(a.member_permissions);
        }
        if let Some(g) = a.guild_id {
            v["guild_id"] = json!(g.to_string());
            v["guild"] = json!({"id": g.to_string(), "locale": a.guild_locale.clone().unwrap_or_else(|| "en-US".into()), "features": []});
            v["member"] = json!({
                "user": user,
                "nick": null,
                "avatar": null,
                "banner": null,
                "roles": a.roles.iter().chain([&perms_role(a.member_permissions)]).map(|r| r.to_string()).collect::<Vec<_>>(),
                "joined_at": rfc3339(SystemTime::now() - Duration::from_secs(86_400 * 30)),
                "premium_since": null,
                "deaf": false,
                "mute": false,
                "flags": 0,
                "pending": false,
                "permissions": a.member_permissions.to_string(),
                "communication_disabled_until": null,
                "unusual_dm_activity_until": null,
            });
        } else {
            v["user"] = user;
        }
        if let Some(gl) = &a.guild_locale {
            v["guild_locale"] = json!(gl);
        }
        if let Some(m) = &message {
            let mut mj = m.json.clone();
            if let Some(g) = a.guild_id {
                mj["guild_id"] = json!(g.to_string());
            }
            v["message"] = mj;
        }
        edit(&mut v);
        self.interactions.insert(
            id,
            Inter {
                id,
                token: token.clone(),
                kind,
                dispatched_at: Instant::now(),
                channel_id: a.channel_id,
                guild_id: a.guild_id,
                user_id: a.user_id,
                component_message_id: message.as_ref().map(|m| m.id),
                acked: false,
                response_type: None,
                original_message_id: None,
                followups: Vec::new(),
            },
        );
        self.tokens.insert(token.clone(), id);
        let seq = match &self.http_out {
            Some(out) => {
                let _ = out.send(Outgoing {
                    interaction_id: id,
                    token: token.clone(),
                    body: v.to_string().into_bytes(),
                });
                0
            }
            None => self
                .push_dispatch("INTERACTION_CREATE", v)
                .expect("stand-in: no gateway session"),
        };
        Dispatched {
            interaction_id: id,
            token,
            seq,
            channel_id: a.channel_id,
            guild_id: a.guild_id,
            user_id: a.user_id,
        }
    }

    /// The bot's HTTP response to an interaction POSTed to it, taken as its callback.
    fn http_answer(&mut self, id: u64, token: &str, answer: HttpAnswer, at: Instant) {
        let body: Option<Value> = serde_json::from_slice(&answer.body).ok();
        if let (200, Some(body)) = (answer.status, &body) {
            let path = format!("/api/v10/interactions/{id}/{token}/callback");
            let ctx = Ctx {
                method: "POST",
                path: &path,
                query: Vec::new(),
                body: Some(body),
                files: &[],
                at,
            };
            callback_route(self, &ctx, &id.to_string(), token);
            return;
        }
        let latency = self
            .interactions
            .get(&id)
            .map_or(Duration::ZERO, |i| self.now_age(i.dispatched_at));
        let record = CallbackRecord {
            interaction_id: id,
            response_type: None,
            body,
            status: answer.status,
            latency,
            received_at: at,
            accepted: false,
            with_response: false,
            message_id: None,
        };
        self.callback_subs
            .retain(|tx| tx.send(record.clone()).is_ok());
        self.callbacks.push(record);
    }

    /// Assign the next sequence number, log the dispatch for RESUME, send it to the live
    /// connection (if any). `None` when no session exists.
    fn push_dispatch(&mut self, event: &str, data: Value) -> Option<u64> {
        let session = self.gw.session.as_mut()?;
        session.seq += 1;
        let seq = session.seq;
        let text = json!({"op": 0, "s": seq, "t": event, "d": data}).to_string();
        if !self.lean {
            session.log.push((seq, text.clone()));
        }
        if let Some(conn) = self.gw.current.and_then(|c| self.gw.conns.get(&c)) {
            let _ = conn.tx.send(Outbound::Text(text));
        }
        Some(seq)
    }

    /// Create and store a message; returns its id.
    fn create_message(
        &mut self,
        channel_id: u64,
        author_id: u64,
        data: &Value,
        kind: u64,
        interaction_id: Option<u64>,
        files: &[UploadedFile],
    ) -> u64 {
        let id = self.next_id();
        let from_app = interaction_id.is_some();
        let attachments: Vec<Value> = files
            .iter()
            .map(|f| {
                let aid = self.next_id();
                let url = format!("https://cdn.discordapp.com/attachments/{channel_id}/{aid}/{}", f.filename);
                json!({"id": aid.to_string(), "filename": f.filename, "size": f.size, "url": url, "proxy_url": url, "content_type": f.content_type})
            })
            .collect();
        let mut flags = data["flags"].as_u64().unwrap_or(0);
        if !from_app {
            flags &= !MESSAGE_FLAG_EPHEMERAL;
        }
        let json = json!({
            "id": id.to_string(),
            "channel_id": channel_id.to_string(),
            "author": self.user_json(author_id),
            "content": data["content"].as_str().unwrap_or(""),
            "timestamp": rfc3339(SystemTime::now()),
            "edited_timestamp": null,
            "tts": data["tts"].as_bool().unwrap_or(false),
            "mention_everyone": false,
            "mentions": [],
            "mention_roles": [],
            "mention_channels": [],
            "attachments": attachments,
            "embeds": normalize_embeds(&data["embeds"]),
            "reactions": [],
            "pinned": false,
            "webhook_id": if from_app { json!(self.cfg.application_id.to_string()) } else { Value::Null },
            "type": kind,
            "flags": flags,
            "application_id": if from_app { json!(self.cfg.application_id.to_string()) } else { Value::Null },
            "components": data["components"].as_array().cloned().unwrap_or_default(),
            "sticker_items": [],
        });
        self.messages.insert(
            id,
            StoredMessage {
                id,
                channel_id,
                author_id,
                json,
                interaction_id,
                created_at: Instant::now(),
            },
        );
        if let Some(c) = self.channels.get_mut(&channel_id) {
            c.order.push(id);
        }
        id
    }

    fn edit_message(&mut self, id: u64, data: &Value, files: &[UploadedFile]) {
        let now = rfc3339(SystemTime::now());
        let mut attachments = Vec::new();
        for f in files {
            let aid = self.next_id();
            let url = format!(
                "https://cdn.discordapp.com/attachments/0/{aid}/{}",
                f.filename
            );
            attachments.push(json!({"id": aid.to_string(), "filename": f.filename, "size": f.size, "url": url, "proxy_url": url, "content_type": f.content_type}));
        }
        let Some(m) = self.messages.get_mut(&id) else {
            return;
        };
        let j = &mut m.json;
        if let Some(c) = data.get("content") {
            j["content"] = json!(c.as_str().unwrap_or(""));
        }
        if data.get("embeds").is_some() {
            j["embeds"] = normalize_embeds(&data["embeds"]);
        }
        if let Some(c) = data.get("components") {
            j["components"] = json!(c.as_array().cloned().unwrap_or_default());
        }
        if data.get("attachments").is_some() || !files.is_empty() {
            // Keep attachments the payload references by id, add the uploads.
            let keep: Vec<String> = data["attachments"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    a["id"]
                        .as_str()
                        .map(str::to_owned)
                        .or_else(|| a["id"].as_u64().map(|n| n.to_string()))
                })
                .collect();
            let mut current: Vec<Value> = j["attachments"]
                .as_array()
                .cloned()
                .unwrap_or_default()
                .into_iter()
                .filter(|a| {
                    a["id"]
                        .as_str()
                        .is_some_and(|id| keep.iter().any(|k| k == id))
                })
                .collect();
            current.extend(attachments);
            j["attachments"] = json!(current);
        }
        let old_flags = j["flags"].as_u64().unwrap_or(0);
        j["flags"] = json!(old_flags & !MESSAGE_FLAG_LOADING);
        j["edited_timestamp"] = json!(now);
    }

    fn delete_message(&mut self, id: u64) {
        if let Some(m) = self.messages.remove(&id) {
            if let Some(c) = self.channels.get_mut(&m.channel_id) {
                c.order.retain(|x| *x != id);
                c.pins.retain(|(x, _)| *x != id);
            }
        }
    }

    /// Whether Discord offers the command `name` of `kind` to `actor`: a command with
    /// `default_member_permissions` only to members holding every one of those bits (or
    /// ADMINISTRATOR).
    fn may_use(&self, name: &str, kind: u64, actor: &ResolvedActor) -> bool {
        let required = self
            .commands
            .iter()
            .filter(|c| c.name == name && c.kind == kind)
            .filter(|c| c.guild_id.is_none() || c.guild_id == actor.guild_id)
            .find_map(|c| {
                c.json
                    .get("default_member_permissions")
                    .and_then(|v| v.as_str())
                    .and_then(|v| v.parse::<u64>().ok())
            });
        match (required, actor.guild_id) {
            (Some(bits), Some(_)) => {
                actor.member_permissions & perms::ADMINISTRATOR != 0
                    || actor.member_permissions & bits == bits
            }
            _ => true,
        }
    }

    fn pin(&mut self, channel_id: u64, message_id: u64) {
        let now = rfc3339(SystemTime::now());
        if let Some(c) = self.channels.get_mut(&channel_id) {
            if !c.pins.iter().any(|(m, _)| *m == message_id) {
                c.pins.push((message_id, now));
            }
        }
        if let Some(m) = self.messages.get_mut(&message_id) {
            m.json["pinned"] = json!(true);
        }
    }

    fn violation(
        &mut self,
        kind: ViolationKind,
        ctx: &Ctx<'_>,
        detail: String,
        interaction_id: Option<u64>,
    ) {
        self.violations.push(Violation {
            kind,
            method: ctx.method.to_owned(),
            path: ctx.path.to_owned(),
            detail,
            interaction_id,
            at: Instant::now(),
        });
    }
}

// ---------------------------------------------------------------------------------------------
// Gateway
// ---------------------------------------------------------------------------------------------

async fn ws_route(State(inner): State<Arc<Inner>>, uri: Uri, ws: WebSocketUpgrade) -> Response {
    let query = uri.query().map(str::to_owned);
    ws.on_upgrade(move |socket| gateway_conn(inner, socket, query))
}

async fn gateway_conn(inner: Arc<Inner>, socket: WebSocket, query: Option<String>) {
    let (mut sink, mut stream) = socket.split();
    let (tx, mut rx) = mpsc::unbounded_channel::<Outbound>();
    let (conn_id, interval) = {
        let mut st = inner.lock();
        st.gw.next_conn += 1;
        let id = st.gw.next_conn;
        st.gw.conns.insert(
            id,
            Conn {
                tx: tx.clone(),
                identified: false,
                query,
            },
        );
        (id, st.cfg.heartbeat_interval_ms)
    };
    inner.changed();
    let hello = json!({"op": 10, "d": {"heartbeat_interval": interval, "_trace": ["standin"]}, "s": null, "t": null});
    let mut shutdown = inner.shutdown.subscribe();
    if sink
        .send(WsMessage::Text(hello.to_string().into()))
        .await
        .is_ok()
    {
        loop {
            tokio::select! {
                incoming = stream.next() => match incoming {
                    Some(Ok(WsMessage::Text(t))) => {
                        handle_gateway_text(&inner, conn_id, &tx, t.as_str());
                        inner.changed();
                    },
                    Some(Ok(WsMessage::Close(frame))) => {
                        // Discord invalidates the session when the client closes with 1000/1001.
                        let code = frame.as_ref().map(|f| f.code);
                        {
                            let mut st = inner.lock();
                            if matches!(code, Some(1000 | 1001)) && st.gw.current == Some(conn_id) {
                                if let Some(s) = st.gw.session.as_mut() {
                                    s.resumable = false;
                                }
                            }
                        }
                        // Complete the close handshake (tungstenite queued the echo frame).
                        let _ = tokio::time::timeout(Duration::from_millis(500), sink.close()).await;
                        break;
                    },
                    Some(Ok(_)) => {},
                    Some(Err(_)) | None => break,
                },
                out = rx.recv() => match out {
                    Some(Outbound::Text(s)) => {
                        if sink.send(WsMessage::Text(s.into())).await.is_err() {
                            break;
                        }
                    },
                    Some(Outbound::Close(code, reason)) => {
                        let _ = sink.send(WsMessage::Close(Some(CloseFrame { code, reason: reason.into() }))).await;
                        // Give the peer a moment to answer the close handshake.
                        let _ = tokio::time::timeout(Duration::from_millis(500), async {
                            while let Some(Ok(m)) = stream.next().await {
                                if matches!(m, WsMessage::Close(_)) {
                                    break;
                                }
                            }
                        })
                        .await;
                        break;
                    },
                    Some(Outbound::Drop) | None => break,
                },
                () = wait_stop(&mut shutdown) => {
                    let _ = sink.send(WsMessage::Close(Some(CloseFrame { code: 1001, reason: "stand-in shutting down".into() }))).await;
                    break;
                },
            }
        }
    }
    {
        let mut st = inner.lock();
        st.gw.conns.remove(&conn_id);
        if st.gw.current == Some(conn_id) {
            st.gw.current = None;
        }
    }
    inner.changed();
}

async fn wait_stop(rx: &mut watch::Receiver<bool>) {
    let _ = rx.wait_for(|stop| *stop).await;
}

fn send_on(tx: &mpsc::UnboundedSender<Outbound>, v: Value) {
    let _ = tx.send(Outbound::Text(v.to_string()));
}

fn strip_bot(token: &str) -> &str {
    token.strip_prefix("Bot ").unwrap_or(token)
}

fn handle_gateway_text(
    inner: &Inner,
    conn_id: u64,
    tx: &mpsc::UnboundedSender<Outbound>,
    text: &str,
) {
    let mut st = inner.lock();
    let Ok(v) = serde_json::from_str::<Value>(text) else {
        let _ = tx.send(Outbound::Close(
            4002,
            "Error while decoding payload.".into(),
        ));
        return;
    };
    let op = v["op"].as_i64().unwrap_or(-1);
    if !st.lean {
        st.gw.frames.push(GatewayFrame {
            connection: conn_id,
            op,
            payload: v.clone(),
            at: Instant::now(),
        });
    }
    let d = &v["d"];
    match op {
        1 => {
            st.gw.heartbeats += 1;
            if st.gw.ack_heartbeats {
                send_on(tx, json!({"op": 11, "d": null, "s": null, "t": null}));
            }
        }
        2 => {
            let token = strip_bot(d["token"].as_str().unwrap_or("")).to_owned();
            let accepted = token == st.cfg.token;
            let already = st.gw.conns.get(&conn_id).is_some_and(|c| c.identified);
            st.gw.identifies.push(IdentifyRecord {
                connection: conn_id,
                token: token.clone(),
                intents: d["intents"].as_u64().unwrap_or(0),
                shard: d.get("shard").cloned(),
                compress: d["compress"].as_bool().unwrap_or(false),
                accepted: accepted && !already,
                raw: v.clone(),
                at: Instant::now(),
            });
            if already {
                let _ = tx.send(Outbound::Close(4005, "Already authenticated.".into()));
                return;
            }
            if !accepted {
                let _ = tx.send(Outbound::Close(4004, "Authentication failed.".into()));
                return;
            }
            let session_id = format!("{:016x}{:016x}", st.rand(), st.rand());
            st.gw.session = Some(Session {
                id: session_id.clone(),
                seq: 0,
                resumable: true,
                log: Vec::new(),
                shard: d.get("shard").cloned(),
            });
            if let Some(c) = st.gw.conns.get_mut(&conn_id) {
                c.identified = true;
            }
            st.gw.current = Some(conn_id);
            let ready = json!({
                "v": 10,
                "user": st.bot_user_json(),
                "guilds": st.cfg.guild_ids.iter().map(|g| json!({"id": g.to_string(), "unavailable": true})).collect::<Vec<_>>(),
                "session_id": session_id,
                "resume_gateway_url": st.base_url.replacen("http://", "ws://", 1),
                "shard": d.get("shard").cloned().unwrap_or(json!([0, 1])),
                "application": {"id": st.cfg.application_id.to_string(), "flags": 0},
                "private_channels": [],
                "presences": [],
                "relationships": [],
                "_trace": ["standin"],
            });
            st.push_dispatch("READY", ready);
            st.gw.readies += 1;
        }
        6 => {
            let token = strip_bot(d["token"].as_str().unwrap_or("")).to_owned();
            let sid = d["session_id"].as_str().unwrap_or("").to_owned();
            let seq = d["seq"].as_u64().unwrap_or(0);
            if token != st.cfg.token {
                st.gw.resumes.push(ResumeRecord {
                    connection: conn_id,
                    session_id: sid,
                    seq,
                    accepted: false,
                    replayed: 0,
                    at: Instant::now(),
                });
                let _ = tx.send(Outbound::Close(4004, "Authentication failed.".into()));
                return;
            }
            let ok = st
                .gw
                .session
                .as_ref()
                .is_some_and(|s| s.id == sid && s.resumable && seq <= s.seq);
            if !ok {
                st.gw.resumes.push(ResumeRecord {
                    connection: conn_id,
                    session_id: sid,
                    seq,
                    accepted: false,
                    replayed: 0,
                    at: Instant::now(),
                });
                send_on(tx, json!({"op": 9, "d": false, "s": null, "t": null}));
                return;
            }
            let again = std::mem::take(&mut st.gw.redeliver);
            let missed: Vec<String> = st
                .gw
                .session
                .as_ref()
                .map(|s| {
                    s.log
                        .iter()
                        .filter(|(n, _)| *n > seq || again.contains(n))
                        .map(|(_, t)| t.clone())
                        .collect()
                })
                .unwrap_or_default();
            for m in &missed {
                let _ = tx.send(Outbound::Text(m.clone()));
            }
            if let Some(c) = st.gw.conns.get_mut(&conn_id) {
                c.identified = true;
            }
            st.gw.current = Some(conn_id);
            st.gw.resumes.push(ResumeRecord {
                connection: conn_id,
                session_id: sid,
                seq,
                accepted: true,
                replayed: missed.len(),
                at: Instant::now(),
            });
            st.push_dispatch("RESUMED", json!({"_trace": ["standin"]}));
        }
        3 | 4 | 8 | 31 => {}
        _ => {
            let _ = tx.send(Outbound::Close(4001, "Unknown opcode.".into()));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// REST
// ---------------------------------------------------------------------------------------------

struct Ctx<'a> {
    method: &'a str,
    path: &'a str,
    query: Vec<(String, String)>,
    body: Option<&'a Value>,
    files: &'a [UploadedFile],
    at: Instant,
}

impl Ctx<'_> {
    fn query_flag(&self, name: &str) -> bool {
        self.query.iter().any(|(k, v)| k == name && v == "true")
    }
    fn body(&self) -> &Value {
        self.body.unwrap_or(&Value::Null)
    }
}

struct Reply {
    status: u16,
    body: Option<Value>,
    headers: Vec<(String, String)>,
    unhandled: bool,
    mentions: Option<MentionsPolicy>,
}

impl Reply {
    fn json(status: u16, body: Value) -> Self {
        Reply {
            status,
            body: Some(body),
            headers: Vec::new(),
            unhandled: false,
            mentions: None,
        }
    }
    fn ok(body: Value) -> Self {
        Self::json(200, body)
    }
    fn no_content() -> Self {
        Reply {
            status: 204,
            body: None,
            headers: Vec::new(),
            unhandled: false,
            mentions: None,
        }
    }
    fn err(status: u16, code: i64, message: &str) -> Self {
        Self::json(status, json!({"code": code, "message": message}))
    }
    fn unknown_message() -> Self {
        Self::err(404, 10008, "Unknown Message")
    }
    fn unknown_channel() -> Self {
        Self::err(404, 10003, "Unknown Channel")
    }
    fn missing_permissions() -> Self {
        Self::err(403, 50013, "Missing Permissions")
    }
    fn missing_access() -> Self {
        Self::err(403, 50001, "Missing Access")
    }
    fn unknown_webhook() -> Self {
        Self::err(404, 10015, "Unknown Webhook")
    }
    fn not_found() -> Self {
        Reply {
            unhandled: true,
            ..Self::err(404, 0, "404: Not Found")
        }
    }
    fn method_not_allowed() -> Self {
        Reply {
            unhandled: true,
            ..Self::err(405, 0, "405: Method Not Allowed")
        }
    }
    fn with_mentions(mut self, m: Option<MentionsPolicy>) -> Self {
        self.mentions = m;
        self
    }
}

async fn rest_route(State(inner): State<Arc<Inner>>, req: Request) -> Response {
    let at = Instant::now();
    let (parts, body) = req.into_parts();
    let bytes = to_bytes(body, 64 * 1024 * 1024).await.unwrap_or_default();
    let method = parts.method.as_str().to_owned();
    let path = parts.uri.path().to_owned();
    let query_raw = parts.uri.query().map(str::to_owned);
    let header = |name: HeaderName| {
        parts
            .headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
            .map(str::to_owned)
    };
    let authorization = header(AUTHORIZATION);
    let content_type = header(CONTENT_TYPE);
    let query: Vec<(String, String)> = query_raw
        .as_deref()
        .unwrap_or("")
        .split('&')
        .filter(|kv| !kv.is_empty())
        .map(|kv| {
            let (k, v) = kv.split_once('=').unwrap_or((kv, ""));
            (k.to_owned(), v.to_owned())
        })
        .collect();
    let (body_json, files, body_invalid) = parse_body(&bytes, content_type.as_deref());

    let index = {
        let mut st = inner.lock();
        st.req_seq += 1;
        st.req_seq - 1
    };

    // Configured delays, then forced responses.
    let (delay, forced) = {
        let mut st = inner.lock();
        let delay: Duration = st
            .delays
            .iter()
            .filter(|(p, _)| p.matches(&method, &path))
            .map(|(_, d)| *d)
            .sum();
        let mut forced = None;
        for rule in st.forced.iter_mut() {
            if rule.remaining > 0 && rule.pattern.matches(&method, &path) {
                rule.remaining -= 1;
                forced = Some(rule.response.clone());
                break;
            }
        }
        st.forced.retain(|r| r.remaining > 0);
        (delay, forced)
    };
    if !delay.is_zero() {
        tokio::time::sleep(delay).await;
    }

    let (reply, forced_flag, raw_forced) = match forced {
        Some(f) if !f.after_handling => {
            if !f.delay.is_zero() {
                tokio::time::sleep(f.delay).await;
            }
            let body = serde_json::from_str::<Value>(&f.body).ok();
            let mut r = Reply::json(f.status, body.unwrap_or(Value::Null));
            r.headers = f.headers.clone();
            (r, true, Some(f))
        }
        forced => {
            let ctx = Ctx {
                method: &method,
                path: &path,
                query,
                body: body_json.as_ref(),
                files: &files,
                at,
            };
            let reply = {
                let mut st = inner.lock();
                if body_invalid {
                    st.violation(
                        ViolationKind::InvalidJson,
                        &ctx,
                        "body is not valid JSON".into(),
                        None,
                    );
                    Reply::err(400, 50109, "The request body contains invalid JSON.")
                } else if path != "/api/v10/gateway"
                    && authorization.as_deref() != Some(&format!("Bot {}", st.cfg.token))
                {
                    st.violation(
                        ViolationKind::Unauthorized,
                        &ctx,
                        format!("Authorization: {authorization:?}"),
                        None,
                    );
                    Reply::err(401, 0, "401: Unauthorized")
                } else {
                    route(&mut st, &ctx)
                }
            };
            match forced {
                // Handled (its effects stay), but the client is told otherwise.
                Some(f) => {
                    inner.changed();
                    if !f.delay.is_zero() {
                        tokio::time::sleep(f.delay).await;
                    }
                    let body = serde_json::from_str::<Value>(&f.body).ok();
                    let mut r = Reply::json(f.status, body.unwrap_or(Value::Null));
                    r.headers = f.headers.clone();
                    (r, true, Some(f))
                }
                None => (reply, false, None),
            }
        }
    };

    let lean = inner.lock().lean;
    if !lean {
        let mut st = inner.lock();
        st.requests.push(RecordedRequest {
            index,
            method: method.clone(),
            path: path.clone(),
            query: query_raw,
            authorization,
            content_type,
            body: body_json,
            files,
            received_at: at,
            status: reply.status,
            response: reply.body.clone(),
            forced: forced_flag,
            unhandled: reply.unhandled,
            allowed_mentions: reply.mentions.clone(),
        });
    }
    inner.changed();

    let status = StatusCode::from_u16(reply.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut resp = match (&raw_forced, &reply.body) {
        (Some(f), _) => {
            let mut r = Response::new(Body::from(f.body.clone()));
            if let Ok(v) = HeaderValue::from_str(&f.content_type) {
                r.headers_mut().insert(CONTENT_TYPE, v);
            }
            r
        }
        (None, Some(b)) if reply.status != 204 => {
            let mut r = Response::new(Body::from(b.to_string()));
            r.headers_mut()
                .insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
            r
        }
        _ => Response::new(Body::empty()),
    };
    *resp.status_mut() = status;
    for (k, v) in &reply.headers {
        if let (Ok(k), Ok(v)) = (HeaderName::try_from(k.as_str()), HeaderValue::from_str(v)) {
            resp.headers_mut().insert(k, v);
        }
    }
    resp.into_response()
}

/// (json body, uploaded files, body present but not parseable)
fn parse_body(
    bytes: &[u8],
    content_type: Option<&str>,
) -> (Option<Value>, Vec<UploadedFile>, bool) {
    if bytes.is_empty() {
        return (None, Vec::new(), false);
    }
    let ct = content_type.unwrap_or("");
    if let Some(boundary) = ct.strip_prefix("multipart/form-data").and_then(|rest| {
        rest.split(';')
            .map(str::trim)
            .find_map(|p| p.strip_prefix("boundary="))
            .map(|b| b.trim_matches('"').to_owned())
    }) {
        let (json, files) = parse_multipart(bytes, &boundary);
        return (json, files, false);
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => (Some(v), Vec::new(), false),
        Err(_) => (None, Vec::new(), true),
    }
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    if needle.is_empty() || from >= hay.len() {
        return None;
    }
    hay[from..]
        .windows(needle.len())
        .position(|w| w == needle)
        .map(|p| p + from)
}

fn parse_multipart(bytes: &[u8], boundary: &str) -> (Option<Value>, Vec<UploadedFile>) {
    let delim = format!("--{boundary}");
    let mut json = None;
    let mut files = Vec::new();
    let mut pos = 0;
    while let Some(start) = find(bytes, delim.as_bytes(), pos) {
        let part_start = start + delim.len();
        if bytes[part_start..].starts_with(b"--") {
            break;
        }
        let Some(next) = find(bytes, delim.as_bytes(), part_start) else {
            break;
        };
        let part = &bytes[part_start..next];
        pos = next;
        let Some(hdr_end) = find(part, b"\r\n\r\n", 0) else {
            continue;
        };
        let headers = String::from_utf8_lossy(&part[..hdr_end]).to_string();
        let mut content = &part[hdr_end + 4..];
        if content.ends_with(b"\r\n") {
            content = &content[..content.len() - 2];
        }
        let attr = |name: &str| {
            let key = format!("{name}=\"");
            headers.find(&key).map(|i| {
                let rest = &headers[i + key.len()..];
                rest[..rest.find('"').unwrap_or(rest.len())].to_owned()
            })
        };
        let field = attr("name").unwrap_or_default();
        let ct = headers
            .lines()
            .find_map(|l| {
                l.strip_prefix("Content-Type: ")
                    .or_else(|| l.strip_prefix("content-type: "))
            })
            .map(str::to_owned);
        if let Some(filename) = attr("filename") {
            files.push(UploadedFile {
                field,
                filename,
                size: content.len(),
                content_type: ct,
            });
        } else if field == "payload_json" {
            json = serde_json::from_slice(content).ok();
        }
    }
    (json, files)
}

fn parse_id(s: &str) -> Option<u64> {
    s.parse().ok()
}

fn route(st: &mut St, ctx: &Ctx<'_>) -> Reply {
    let Some(rest) = ctx.path.strip_prefix("/api/v10/") else {
        return Reply::not_found();
    };
    let segs: Vec<&str> = rest.trim_end_matches('/').split('/').collect();
    let m = ctx.method;
    match segs.as_slice() {
        ["gateway"] if m == "GET" => Reply::ok(json!({"url": st.gateway_url()})),
        ["gateway", "bot"] if m == "GET" => Reply::ok(json!({
            "url": st.gateway_url(),
            "shards": 1,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 1},
        })),
        ["users", "@me"] if m == "GET" => Reply::ok(st.bot_user_json()),
        ["guilds", g] if m == "GET" => match parse_id(g) {
            Some(g) => Reply::ok(st.guild_json(g)),
            None => Reply::err(404, 10004, "Unknown Guild"),
        },
        ["users", "@me", "channels"] if m == "POST" => {
            let Some(user) = ctx.body()["recipient_id"]
                .as_str()
                .and_then(parse_id)
                .or_else(|| ctx.body()["recipient_id"].as_u64())
            else {
                return form_error(
                    st,
                    ctx,
                    vec![FieldError::new(
                        &["recipient_id"],
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    )],
                    None,
                );
            };
            let id = st.dm_channel_for(user);
            Reply::ok(st.channel_json(id).unwrap_or(Value::Null))
        }
        ["users", id] if m == "GET" => match parse_id(id) {
            Some(u) => Reply::ok(st.user_json(u)),
            None => Reply::err(404, 10013, "Unknown User"),
        },
        ["oauth2", "applications", "@me"] | ["applications", "@me"] if m == "GET" => {
            Reply::ok(application_json(st))
        }
        ["applications", app, "commands"] => commands_route(st, ctx, app, None, None),
        ["applications", app, "commands", cmd] => commands_route(st, ctx, app, None, Some(cmd)),
        ["applications", app, "guilds", guild, "commands"] => {
            commands_route(st, ctx, app, Some(guild), None)
        }
        ["applications", app, "guilds", guild, "commands", cmd] => {
            commands_route(st, ctx, app, Some(guild), Some(cmd))
        }
        ["interactions", id, token, "callback"] if m == "POST" => {
            callback_route(st, ctx, id, token)
        }
        ["webhooks", app, token] => webhook_route(st, ctx, app, token, None),
        ["webhooks", app, token, "messages", msg] => webhook_route(st, ctx, app, token, Some(msg)),
        ["channels", c] if m == "GET" => match parse_id(c).and_then(|c| st.channel_json(c)) {
            Some(j) => Reply::ok(j),
            None => Reply::unknown_channel(),
        },
        ["channels", c, "pins"] => pins_route(st, ctx, c, None, false),
        ["channels", c, "pins", msg] => pins_route(st, ctx, c, Some(msg), false),
        ["channels", c, "messages", "pins"] => pins_route(st, ctx, c, None, true),
        ["channels", c, "messages", "pins", msg] => pins_route(st, ctx, c, Some(msg), true),
        ["channels", c, "messages"] => channel_messages_route(st, ctx, c, None),
        ["channels", c, "messages", msg] => channel_messages_route(st, ctx, c, Some(msg)),
        ["gateway"]
        | ["gateway", "bot"]
        | ["users", "@me"]
        | ["users", "@me", "channels"]
        | ["users", _]
        | ["channels", _] => Reply::method_not_allowed(),
        ["oauth2", "applications", "@me"]
        | ["applications", "@me"]
        | ["interactions", _, _, "callback"] => Reply::method_not_allowed(),
        _ => Reply::not_found(),
    }
}

fn application_json(st: &St) -> Value {
    json!({
        "id": st.cfg.application_id.to_string(),
        "name": st.cfg.bot_username,
        "icon": null,
        "description": "",
        "rpc_origins": [],
        "bot_public": true,
        "bot_require_code_grant": false,
        "bot": st.bot_user_json(),
        "terms_of_service_url": null,
        "privacy_policy_url": null,
        "owner": st.user_json(st.cfg.default_user_id),
        "verify_key": "0000000000000000000000000000000000000000000000000000000000000000",
        "team": null,
        "guild_id": null,
        "flags": 0,
        "tags": [],
        "install_params": null,
        "custom_install_url": null,
        "role_connections_verification_url": null,
        "integration_types_config": {"0": {}},
        "approximate_guild_count": st.cfg.guild_ids.len(),
        "approximate_user_install_count": 0,
        "redirect_uris": [],
        "interactions_endpoint_url": null,
    })
}

// ---- commands ---------------------------------------------------------------------------------

fn commands_route(
    st: &mut St,
    ctx: &Ctx<'_>,
    app: &str,
    guild: Option<&str>,
    cmd: Option<&str>,
) -> Reply {
    if parse_id(app) != Some(st.cfg.application_id) {
        return Reply::missing_access();
    }
    let guild_id = match guild.map(parse_id) {
        Some(None) => return Reply::err(404, 10004, "Unknown Guild"),
        Some(Some(g)) => Some(g),
        None => None,
    };
    match (ctx.method, cmd) {
        ("GET", None) => Reply::ok(json!(st
            .commands
            .iter()
            .filter(|c| c.guild_id == guild_id)
            .map(|c| c.json.clone())
            .collect::<Vec<_>>())),
        ("PUT", None) => {
            let Some(list) = ctx.body().as_array().cloned() else {
                return form_error(
                    st,
                    ctx,
                    vec![FieldError::new(&[], "BASE_TYPE_ARRAY", "Must be an array.")],
                    None,
                );
            };
            let mut errs = Vec::new();
            if list.len() > 100 {
                errs.push(FieldError::new(
                    &[],
                    "BASE_TYPE_MAX_LENGTH",
                    "Must be 100 or fewer in length.",
                ));
            }
            for (i, c) in list.iter().enumerate() {
                validate_command(c, &[i.to_string()], &mut errs);
            }
            if !errs.is_empty() {
                return form_error(st, ctx, errs, None);
            }
            let old: Vec<RegisteredCommand> = st
                .commands
                .iter()
                .filter(|c| c.guild_id == guild_id)
                .cloned()
                .collect();
            st.commands.retain(|c| c.guild_id != guild_id);
            let mut out = Vec::new();
            for c in &list {
                let kind = c["type"].as_u64().unwrap_or(1);
                let name = c["name"].as_str().unwrap_or("").to_owned();
                let id = old
                    .iter()
                    .find(|o| o.name == name && o.kind == kind)
                    .map(|o| o.id)
                    .unwrap_or_else(|| st.next_id());
                let rc = make_command(st, id, guild_id, c);
                out.push(rc.json.clone());
                st.commands.push(rc);
            }
            Reply::ok(json!(out))
        }
        ("POST", None) => {
            let c = ctx.body().clone();
            let mut errs = Vec::new();
            validate_command(&c, &[], &mut errs);
            if !errs.is_empty() {
                return form_error(st, ctx, errs, None);
            }
            let kind = c["type"].as_u64().unwrap_or(1);
            let name = c["name"].as_str().unwrap_or("").to_owned();
            let existing = st
                .commands
                .iter()
                .position(|o| o.guild_id == guild_id && o.name == name && o.kind == kind);
            let id = existing
                .map(|i| st.commands[i].id)
                .unwrap_or_else(|| st.next_id());
            let rc = make_command(st, id, guild_id, &c);
            let body = rc.json.clone();
            match existing {
                Some(i) => {
                    st.commands[i] = rc;
                    Reply::ok(body)
                }
                None => {
                    st.commands.push(rc);
                    Reply::json(201, body)
                }
            }
        }
        (m, Some(cmd)) => {
            let Some(pos) = parse_id(cmd).and_then(|id| {
                st.commands
                    .iter()
                    .position(|c| c.id == id && c.guild_id == guild_id)
            }) else {
                return Reply::err(404, 10063, "Unknown application command");
            };
            match m {
                "GET" => Reply::ok(st.commands[pos].json.clone()),
                "DELETE" => {
                    st.commands.remove(pos);
                    Reply::no_content()
                }
                "PATCH" => {
                    let mut merged = st.commands[pos].json.clone();
                    if let (Some(obj), Some(patch)) =
                        (merged.as_object_mut(), ctx.body().as_object())
                    {
                        for (k, v) in patch {
                            obj.insert(k.clone(), v.clone());
                        }
                    }
                    let id = st.commands[pos].id;
                    let rc = make_command(st, id, guild_id, &merged);
                    let body = rc.json.clone();
                    st.commands[pos] = rc;
                    Reply::ok(body)
                }
                _ => Reply::method_not_allowed(),
            }
        }
        _ => Reply::method_not_allowed(),
    }
}

fn make_command(st: &mut St, id: u64, guild_id: Option<u64>, c: &Value) -> RegisteredCommand {
    let kind = c["type"].as_u64().unwrap_or(1);
    let name = c["name"].as_str().unwrap_or("").to_owned();
    let version = st.next_id();
    let mut j = json!({
        "id": id.to_string(),
        "application_id": st.cfg.application_id.to_string(),
        "version": version.to_string(),
        "type": kind,
        "name": name,
        "name_localizations": c.get("name_localizations").cloned().unwrap_or(Value::Null),
        "description": c["description"].as_str().unwrap_or(""),
        "description_localizations": c.get("description_localizations").cloned().unwrap_or(Value::Null),
        "options": c.get("options").cloned().filter(Value::is_array).unwrap_or(json!([])),
        "default_member_permissions": c.get("default_member_permissions").cloned().unwrap_or(Value::Null),
        "dm_permission": c.get("dm_permission").cloned().unwrap_or(json!(true)),
        "nsfw": c["nsfw"].as_bool().unwrap_or(false),
        "integration_types": c.get("integration_types").cloned().filter(Value::is_array).unwrap_or(json!([0])),
        "contexts": c.get("contexts").cloned().unwrap_or(Value::Null),
    });
    if let Some(g) = guild_id {
        j["guild_id"] = json!(g.to_string());
    }
    RegisteredCommand {
        id,
        guild_id,
        name,
        kind,
        json: j,
    }
}

fn validate_command(c: &Value, prefix: &[String], errs: &mut Vec<FieldError>) {
    let p = |rest: &[&str]| -> Vec<String> {
        prefix
            .iter()
            .cloned()
            .chain(rest.iter().map(|s| (*s).to_owned()))
            .collect()
    };
    let kind = c["type"].as_u64().unwrap_or(1);
    let name = c["name"].as_str().unwrap_or("");
    let n = name.chars().count();
    if n == 0 || n > 32 {
        errs.push(FieldError::at(
            p(&["name"]),
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 32 in length.",
        ));
    } else if kind == 1
        && !name
            .chars()
            .all(|ch| ch == '-' || ch == '_' || ch.is_alphanumeric() && !ch.is_uppercase())
    {
        errs.push(FieldError::at(
            p(&["name"]),
            "APPLICATION_COMMAND_INVALID_NAME",
            "Command name is invalid",
        ));
    }
    if kind == 1 {
        let d = c["description"].as_str().unwrap_or("").chars().count();
        if d == 0 || d > 100 {
            errs.push(FieldError::at(
                p(&["description"]),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 100 in length.",
            ));
        }
    }
    if c["options"].as_array().is_some_and(|o| o.len() > 25) {
        errs.push(FieldError::at(
            p(&["options"]),
            "BASE_TYPE_MAX_LENGTH",
            "Must be 25 or fewer in length.",
        ));
    }
}

// ---- interaction callbacks --------------------------------------------------------------------

fn callback_route(st: &mut St, ctx: &Ctx<'_>, id: &str, token: &str) -> Reply {
    let body = ctx.body().clone();
    let rtype = body["type"].as_u64();
    let with_response = ctx.query_flag("with_response");
    let Some(iid) = parse_id(id).filter(|i| st.interactions.contains_key(i)) else {
        st.violation(
            ViolationKind::UnknownInteraction,
            ctx,
            format!("interaction {id}"),
            None,
        );
        return Reply::err(404, 10062, "Unknown interaction");
    };
    let (latency, acked, kind, token_ok, component_message_id, channel_id) = {
        let i = &st.interactions[&iid];
        (
            st.now_age(i.dispatched_at).saturating_sub(ctx.at.elapsed()),
            i.acked,
            i.kind,
            i.token == token,
            i.component_message_id,
            i.channel_id,
        )
    };
    let mentions = matches!(rtype, Some(4 | 7)).then(|| mentions_policy(&body["data"]));
    let mut record = CallbackRecord {
        interaction_id: iid,
        response_type: rtype,
        body: Some(body.clone()),
        status: 0,
        latency,
        received_at: ctx.at,
        accepted: false,
        with_response,
        message_id: None,
    };
    let reply = (|| {
        if !token_ok {
            st.violation(
                ViolationKind::UnknownInteraction,
                ctx,
                "token does not match".into(),
                Some(iid),
            );
            return Reply::err(401, 50027, "Invalid Webhook Token");
        }
        if acked {
            st.violation(
                ViolationKind::DuplicateCallback,
                ctx,
                format!("second callback (type {rtype:?})"),
                Some(iid),
            );
            return Reply::err(400, 40060, "Interaction has already been acknowledged.");
        }
        if latency > st.cfg.callback_deadline {
            st.violation(
                ViolationKind::LateCallback,
                ctx,
                format!(
                    "callback {latency:?} after dispatch (deadline {:?})",
                    st.cfg.callback_deadline
                ),
                Some(iid),
            );
            return Reply::err(404, 10062, "Unknown interaction");
        }
        let valid_type = matches!(
            (kind, rtype),
            (_, Some(4 | 5 | 9)) | (InterKind::Component, Some(6 | 7))
        );
        if !valid_type {
            st.violation(
                ViolationKind::InvalidResponseType,
                ctx,
                format!("type {rtype:?} for {kind:?}"),
                Some(iid),
            );
            return form_reply(&[FieldError::new(
                &["type"],
                "INTERACTION_RESPONSE_TYPE_INVALID",
                "Interaction response type is invalid for this interaction",
            )]);
        }
        let data = &body["data"];
        let mut errs = Vec::new();
        match rtype {
            Some(4) => validate_message(data, &["data"], true, ctx.files.len(), &mut errs),
            Some(7) => validate_message(data, &["data"], false, ctx.files.len(), &mut errs),
            Some(9) => validate_modal(data, &mut errs),
            _ => {}
        }
        if let Some(r) = check_errors(st, ctx, errs, Some(iid)) {
            return r;
        }
        let msg_kind = if kind == InterKind::Slash {
            20
        } else if kind == InterKind::MessageCommand {
            23
        } else {
            0
        };
        let bot = st.cfg.bot_user_id;
        let original = match rtype {
            Some(4) => {
                Some(st.create_message(channel_id, bot, data, msg_kind, Some(iid), ctx.files))
            }
            Some(5) => {
                let flags = (data["flags"].as_u64().unwrap_or(0) & MESSAGE_FLAG_EPHEMERAL)
                    | MESSAGE_FLAG_LOADING;
                Some(st.create_message(
                    channel_id,
                    bot,
                    &json!({"flags": flags}),
                    msg_kind,
                    Some(iid),
                    &[],
                ))
            }
            Some(6) => component_message_id,
            Some(7) => {
                if let Some(mid) = component_message_id {
                    st.edit_message(mid, data, ctx.files);
                }
                component_message_id
            }
            _ => None,
        };
        let i = st.interactions.get_mut(&iid).expect("interaction exists");
        i.acked = true;
        i.response_type = rtype;
        i.original_message_id = original;
        record.accepted = true;
        record.message_id = original;
        if with_response {
            let message = original
                .and_then(|m| st.messages.get(&m))
                .map(|m| m.json.clone());
            Reply::ok(json!({
                "interaction": {
                    "id": iid.to_string(),
                    "type": if kind == InterKind::Component { 3 } else { 2 },
                    "response_message_id": original.map(|m| m.to_string()),
                    "response_message_loading": rtype == Some(5),
                    "response_message_ephemeral": message.as_ref().is_some_and(|m| m["flags"].as_u64().unwrap_or(0) & MESSAGE_FLAG_EPHEMERAL != 0),
                },
                "resource": {"type": rtype, "message": message},
            }))
        } else {
            Reply::no_content()
        }
    })();
    record.status = reply.status;
    if !st.callback_subs.is_empty() {
        st.callback_subs
            .retain(|tx| tx.send(record.clone()).is_ok());
    }
    if st.lean {
        if record.accepted {
            if let Some(i) = st.interactions.remove(&iid) {
                st.tokens.remove(&i.token);
            }
        }
    } else {
        st.callbacks.push(record);
    }
    reply.with_mentions(mentions)
}

// ---- webhooks (follow-ups, @original) ---------------------------------------------------------

fn webhook_route(st: &mut St, ctx: &Ctx<'_>, app: &str, token: &str, msg: Option<&str>) -> Reply {
    if parse_id(app) != Some(st.cfg.application_id) {
        st.violation(
            ViolationKind::UnknownWebhook,
            ctx,
            format!("application {app}"),
            None,
        );
        return Reply::unknown_webhook();
    }
    let Some(iid) = st.tokens.get(token).copied() else {
        st.violation(
            ViolationKind::UnknownWebhook,
            ctx,
            "unknown interaction token".into(),
            None,
        );
        return Reply::unknown_webhook();
    };
    let (age, acked, channel_id, original, followups) = {
        let i = &st.interactions[&iid];
        (
            st.now_age(i.dispatched_at),
            i.acked,
            i.channel_id,
            i.original_message_id,
            i.followups.clone(),
        )
    };
    if age > st.cfg.webhook_token_ttl {
        st.violation(
            ViolationKind::ExpiredWebhookToken,
            ctx,
            format!("token used {age:?} after dispatch"),
            Some(iid),
        );
        return Reply::err(401, 50027, "Invalid Webhook Token");
    }
    let body = ctx.body().clone();
    match (ctx.method, msg) {
        ("POST", None) => {
            let mentions = Some(mentions_policy(&body));
            if !acked {
                st.violation(
                    ViolationKind::FollowupBeforeAck,
                    ctx,
                    "follow-up before the interaction was acknowledged".into(),
                    Some(iid),
                );
                return Reply::unknown_webhook().with_mentions(mentions);
            }
            let mut errs = Vec::new();
            validate_message(&body, &[], true, ctx.files.len(), &mut errs);
            if let Some(r) = check_errors(st, ctx, errs, Some(iid)) {
                return r.with_mentions(mentions);
            }
            let bot = st.cfg.bot_user_id;
            let id = st.create_message(channel_id, bot, &body, 0, Some(iid), ctx.files);
            if let Some(i) = st.interactions.get_mut(&iid) {
                i.followups.push(id);
            }
            Reply::ok(st.messages[&id].json.clone()).with_mentions(mentions)
        }
        (m, Some(which)) => {
            let target = if which == "@original" {
                original
            } else {
                parse_id(which).filter(|id| followups.contains(id) || Some(*id) == original)
            };
            let Some(mid) = target.filter(|id| st.messages.contains_key(id)) else {
                return Reply::unknown_message();
            };
            match m {
                "GET" => Reply::ok(st.messages[&mid].json.clone()),
                "DELETE" => {
                    st.delete_message(mid);
                    Reply::no_content()
                }
                "PATCH" => {
                    let mentions = Some(mentions_policy(&body));
                    let mut errs = Vec::new();
                    validate_message(&body, &[], false, ctx.files.len(), &mut errs);
                    if let Some(r) = check_errors(st, ctx, errs, Some(iid)) {
                        return r.with_mentions(mentions);
                    }
                    st.edit_message(mid, &body, ctx.files);
                    Reply::ok(st.messages[&mid].json.clone()).with_mentions(mentions)
                }
                _ => Reply::method_not_allowed(),
            }
        }
        _ => Reply::method_not_allowed(),
    }
}

// ---- channel messages and pins ----------------------------------------------------------------

fn channel_messages_route(st: &mut St, ctx: &Ctx<'_>, c: &str, msg: Option<&str>) -> Reply {
    let Some(cid) = parse_id(c).filter(|c| st.channels.contains_key(c)) else {
        return Reply::unknown_channel();
    };
    let perms = st.bot_perms(cid);
    if perms & perms::VIEW_CHANNEL == 0 {
        return Reply::missing_access();
    }
    let bot = st.cfg.bot_user_id;
    let body = ctx.body().clone();
    match (ctx.method, msg) {
        ("GET", None) => {
            let limit = ctx
                .query
                .iter()
                .find(|(k, _)| k == "limit")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(50usize);
            let list: Vec<Value> = st.channels[&cid]
                .order
                .iter()
                .rev()
                .filter_map(|id| st.messages.get(id))
                .filter(|m| !m.is_ephemeral())
                .take(limit)
                .map(|m| m.json.clone())
                .collect();
            Reply::ok(json!(list))
        }
        ("POST", None) => {
            let mentions = Some(mentions_policy(&body));
            if perms & perms::SEND_MESSAGES == 0 {
                return Reply::missing_permissions().with_mentions(mentions);
            }
            let mut errs = Vec::new();
            validate_message(&body, &[], true, ctx.files.len(), &mut errs);
            if let Some(r) = check_errors(st, ctx, errs, None) {
                return r.with_mentions(mentions);
            }
            // Like Discord: with `enforce_nonce`, a nonce this author used in the last few
            // minutes returns that message instead of creating another.
            let nonce = body.get("nonce").filter(|n| n.is_string() || n.is_u64());
            if let Some(n) = nonce.filter(|_| body["enforce_nonce"].as_bool() == Some(true)) {
                let same = st.messages.values().find(|m| {
                    m.author_id == bot
                        && m.json.get("nonce") == Some(n)
                        && m.created_at.elapsed() < Duration::from_secs(5 * 60)
                });
                if let Some(m) = same {
                    return Reply::ok(m.json.clone()).with_mentions(mentions);
                }
            }
            let id = st.create_message(cid, bot, &body, 0, None, ctx.files);
            if let (Some(n), Some(m)) = (nonce, st.messages.get_mut(&id)) {
                m.json["nonce"] = n.clone();
            }
            Reply::ok(st.messages[&id].json.clone()).with_mentions(mentions)
        }
        (m, Some(which)) => {
            let Some(mid) = parse_id(which).filter(|id| {
                st.messages
                    .get(id)
                    .is_some_and(|x| x.channel_id == cid && !x.is_ephemeral())
            }) else {
                return Reply::unknown_message();
            };
            let author = st.messages[&mid].author_id;
            match m {
                "GET" => {
                    if perms & perms::READ_MESSAGE_HISTORY == 0 {
                        return Reply::missing_access();
                    }
                    Reply::ok(st.messages[&mid].json.clone())
                }
                "PATCH" => {
                    let mentions = Some(mentions_policy(&body));
                    if author != bot {
                        return Reply::err(
                            403,
                            50005,
                            "Cannot edit a message authored by another user",
                        )
                        .with_mentions(mentions);
                    }
                    let mut errs = Vec::new();
                    validate_message(&body, &[], false, ctx.files.len(), &mut errs);
                    if let Some(r) = check_errors(st, ctx, errs, None) {
                        return r.with_mentions(mentions);
                    }
                    st.edit_message(mid, &body, ctx.files);
                    Reply::ok(st.messages[&mid].json.clone()).with_mentions(mentions)
                }
                "DELETE" => {
                    if author != bot && perms & perms::MANAGE_MESSAGES == 0 {
                        return Reply::missing_permissions();
                    }
                    st.delete_message(mid);
                    Reply::no_content()
                }
                _ => Reply::method_not_allowed(),
            }
        }
        _ => Reply::method_not_allowed(),
    }
}

/// The most pins the deprecated `GET /channels/{id}/pins` lists (the newest first), as
/// one page of the paginated endpoint.
const LEGACY_PINS_LISTED: usize = 50;

fn pins_route(st: &mut St, ctx: &Ctx<'_>, c: &str, msg: Option<&str>, new_api: bool) -> Reply {
    let Some(cid) = parse_id(c).filter(|c| st.channels.contains_key(c)) else {
        return Reply::unknown_channel();
    };
    let perms = st.bot_perms(cid);
    if perms & perms::VIEW_CHANNEL == 0 {
        return Reply::missing_access();
    }
    match (ctx.method, msg) {
        ("GET", None) => {
            let mut pins: Vec<(Value, String)> = st.channels[&cid]
                .pins
                .iter()
                .rev()
                .filter_map(|(id, at)| st.messages.get(id).map(|m| (m.json.clone(), at.clone())))
                .collect();
            if !new_api {
                // The deprecated list shows the newest pins only, at most a page.
                pins.truncate(LEGACY_PINS_LISTED);
            }
            if new_api {
                Reply::ok(json!({
                    "items": pins.into_iter().map(|(m, at)| json!({"pinned_at": at, "message": m})).collect::<Vec<_>>(),
                    "has_more": false,
                }))
            } else {
                Reply::ok(json!(pins.into_iter().map(|(m, _)| m).collect::<Vec<_>>()))
            }
        }
        (m @ ("PUT" | "DELETE"), Some(which)) => {
            if perms & perms::PIN_MESSAGES == 0 {
                return Reply::missing_permissions();
            }
            let Some(mid) = parse_id(which).filter(|id| {
                st.messages
                    .get(id)
                    .is_some_and(|x| x.channel_id == cid && !x.is_ephemeral())
            }) else {
                return Reply::unknown_message();
            };
            if m == "DELETE" {
                if let Some(ch) = st.channels.get_mut(&cid) {
                    ch.pins.retain(|(x, _)| *x != mid);
                }
                if let Some(msg) = st.messages.get_mut(&mid) {
                    msg.json["pinned"] = json!(false);
                }
                return Reply::no_content();
            }
            let ch = &st.channels[&cid];
            if !ch.pins.iter().any(|(x, _)| *x == mid) && ch.pins.len() >= st.cfg.max_pins {
                return Reply::err(
                    400,
                    30003,
                    &format!("Maximum number of pins reached ({})", st.cfg.max_pins),
                );
            }
            st.pin(cid, mid);
            Reply::no_content()
        }
        _ => Reply::method_not_allowed(),
    }
}

// ---------------------------------------------------------------------------------------------
// Validation
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct FieldError {
    path: Vec<String>,
    code: &'static str,
    message: String,
}

impl FieldError {
    fn new(path: &[&str], code: &'static str, message: &str) -> Self {
        Self::at(
            path.iter().map(|s| (*s).to_owned()).collect(),
            code,
            message,
        )
    }
    fn at(path: Vec<String>, code: &'static str, message: &str) -> Self {
        FieldError {
            path,
            code,
            message: message.to_owned(),
        }
    }
}

fn form_reply(errs: &[FieldError]) -> Reply {
    let mut root = Map::new();
    for e in errs {
        let mut cur: &mut Map<String, Value> = &mut root;
        for seg in &e.path {
            cur = cur
                .entry(seg.clone())
                .or_insert_with(|| json!({}))
                .as_object_mut()
                .expect("object");
        }
        let list = cur.entry("_errors").or_insert_with(|| json!([]));
        if let Some(a) = list.as_array_mut() {
            a.push(json!({"code": e.code, "message": e.message}));
        }
    }
    Reply::json(
        400,
        json!({"code": 50035, "message": "Invalid Form Body", "errors": root}),
    )
}

fn form_error(st: &mut St, ctx: &Ctx<'_>, errs: Vec<FieldError>, iid: Option<u64>) -> Reply {
    let detail = errs
        .iter()
        .map(|e| format!("{}: {} ({})", e.path.join("."), e.message, e.code))
        .collect::<Vec<_>>()
        .join("; ");
    st.violation(ViolationKind::InvalidFormBody, ctx, detail, iid);
    form_reply(&errs)
}

/// `None` if there are no errors; otherwise the 400 reply (empty message → 50006).
fn check_errors(
    st: &mut St,
    ctx: &Ctx<'_>,
    errs: Vec<FieldError>,
    iid: Option<u64>,
) -> Option<Reply> {
    if errs.is_empty() {
        return None;
    }
    if errs.iter().all(|e| e.code == "EMPTY_MESSAGE") {
        st.violation(
            ViolationKind::EmptyMessage,
            ctx,
            "Cannot send an empty message".into(),
            iid,
        );
        return Some(Reply::err(400, 50006, "Cannot send an empty message"));
    }
    let errs: Vec<FieldError> = errs
        .into_iter()
        .filter(|e| e.code != "EMPTY_MESSAGE")
        .collect();
    Some(form_error(st, ctx, errs, iid))
}

fn chars(v: &Value) -> usize {
    v.as_str().map_or(0, |s| s.chars().count())
}

fn mentions_policy(data: &Value) -> MentionsPolicy {
    match data.get("allowed_mentions") {
        None | Some(Value::Null) => MentionsPolicy::Absent,
        Some(am) => {
            let empty = |k: &str| {
                am.get(k)
                    .is_none_or(|v| v.is_null() || v.as_array().is_some_and(Vec::is_empty))
            };
            if empty("parse")
                && empty("users")
                && empty("roles")
                && am.get("replied_user").and_then(Value::as_bool) != Some(true)
            {
                MentionsPolicy::Empty
            } else {
                MentionsPolicy::NonEmpty(am.to_string())
            }
        }
    }
}

fn normalize_embeds(v: &Value) -> Value {
    let mut list = v.as_array().cloned().unwrap_or_default();
    for e in &mut list {
        if let Some(o) = e.as_object_mut() {
            o.entry("type").or_insert_with(|| json!("rich"));
            if let Some(fields) = o.get_mut("fields").and_then(Value::as_array_mut) {
                for f in fields {
                    if let Some(fo) = f.as_object_mut() {
                        fo.entry("inline").or_insert(json!(false));
                    }
                }
            }
        }
    }
    json!(list)
}

fn path(prefix: &[&str], rest: &[&str]) -> Vec<String> {
    prefix
        .iter()
        .chain(rest.iter())
        .map(|s| (*s).to_owned())
        .collect()
}

/// Discord's limits for message payloads. `creating` adds the empty-message check.
fn validate_message(
    data: &Value,
    prefix: &[&str],
    creating: bool,
    files: usize,
    errs: &mut Vec<FieldError>,
) {
    let max_len = |n: usize| format!("Must be {n} or fewer in length.");
    if chars(&data["content"]) > 2000 {
        errs.push(FieldError::at(
            path(prefix, &["content"]),
            "BASE_TYPE_MAX_LENGTH",
            &max_len(2000),
        ));
    }
    let embeds = data["embeds"].as_array().cloned().unwrap_or_default();
    if embeds.len() > 10 {
        errs.push(FieldError::at(
            path(prefix, &["embeds"]),
            "BASE_TYPE_MAX_LENGTH",
            &max_len(10),
        ));
    }
    let mut total = 0;
    for (i, e) in embeds.iter().enumerate() {
        let i = i.to_string();
        let mut checks: Vec<(&Value, Vec<String>, usize)> = vec![
            (&e["title"], path(prefix, &["embeds", &i, "title"]), 256),
            (
                &e["description"],
                path(prefix, &["embeds", &i, "description"]),
                4096,
            ),
            (
                &e["footer"]["text"],
                path(prefix, &["embeds", &i, "footer", "text"]),
                2048,
            ),
            (
                &e["author"]["name"],
                path(prefix, &["embeds", &i, "author", "name"]),
                256,
            ),
        ];
        let fields = e["fields"].as_array().map(Vec::as_slice).unwrap_or(&[]);
        if fields.len() > 25 {
            errs.push(FieldError::at(
                path(prefix, &["embeds", &i, "fields"]),
                "BASE_TYPE_MAX_LENGTH",
                &max_len(25),
            ));
        }
        for (j, f) in fields.iter().enumerate() {
            let j = j.to_string();
            checks.push((
                &f["name"],
                path(prefix, &["embeds", &i, "fields", &j, "name"]),
                256,
            ));
            checks.push((
                &f["value"],
                path(prefix, &["embeds", &i, "fields", &j, "value"]),
                1024,
            ));
            for key in ["name", "value"] {
                if chars(&f[key]) == 0 {
                    errs.push(FieldError::at(
                        path(prefix, &["embeds", &i, "fields", &j, key]),
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    ));
                }
            }
        }
        for (v, p, max) in checks {
            let n = chars(v);
            total += n;
            if n > max {
                errs.push(FieldError::at(p, "BASE_TYPE_MAX_LENGTH", &max_len(max)));
            }
        }
    }
    if total > 6000 {
        errs.push(FieldError::at(
            path(prefix, &["embeds"]),
            "MAX_EMBED_SIZE_EXCEEDED",
            "Embed size exceeds maximum size of 6000",
        ));
    }
    let rows = data["components"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[]);
    if rows.len() > 5 {
        errs.push(FieldError::at(
            path(prefix, &["components"]),
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 0 and 5 in length.",
        ));
    }
    let mut seen_ids: Vec<String> = Vec::new();
    for (r, row) in rows.iter().enumerate() {
        let r = r.to_string();
        if row["type"].as_u64() != Some(1) {
            errs.push(FieldError::at(
                path(prefix, &["components", &r, "type"]),
                "UNION_TYPE_CHOICES",
                "Top-level components must be action rows (type 1).",
            ));
            continue;
        }
        let comps = row["components"]
            .as_array()
            .map(Vec::as_slice)
            .unwrap_or(&[]);
        if comps.is_empty() || comps.len() > 5 {
            errs.push(FieldError::at(
                path(prefix, &["components", &r, "components"]),
                "BASE_TYPE_BAD_LENGTH",
                "Must be between 1 and 5 in length.",
            ));
        }
        let has_select = comps
            .iter()
            .any(|c| matches!(c["type"].as_u64(), Some(3 | 5 | 6 | 7 | 8)));
        if has_select && comps.len() > 1 {
            errs.push(FieldError::at(
                path(prefix, &["components", &r, "components"]),
                "COMPONENT_LAYOUT_WIDTH_EXCEEDED",
                "The specified component exceeds the maximum width",
            ));
        }
        for (k, c) in comps.iter().enumerate() {
            let k = k.to_string();
            let cp = |leaf: &str| path(prefix, &["components", &r, "components", &k, leaf]);
            let ty = c["type"].as_u64().unwrap_or(0);
            let style = c["style"].as_u64().unwrap_or(0);
            let needs_id = (ty == 2 && !matches!(style, 5 | 6)) || matches!(ty, 3..=8);
            match c["custom_id"].as_str() {
                Some(id) => {
                    let n = id.chars().count();
                    if n > 100 {
                        errs.push(FieldError::at(
                            cp("custom_id"),
                            "BASE_TYPE_MAX_LENGTH",
                            &max_len(100),
                        ));
                    } else if n == 0 {
                        errs.push(FieldError::at(
                            cp("custom_id"),
                            "BASE_TYPE_REQUIRED",
                            "This field is required",
                        ));
                    }
                    if seen_ids.iter().any(|x| x == id) {
                        errs.push(FieldError::at(
                            cp("custom_id"),
                            "COMPONENT_CUSTOM_ID_DUPLICATED",
                            "Component custom id cannot be duplicated",
                        ));
                    }
                    seen_ids.push(id.to_owned());
                }
                None if needs_id => {
                    errs.push(FieldError::at(
                        cp("custom_id"),
                        "BASE_TYPE_REQUIRED",
                        "This field is required",
                    ));
                }
                None => {}
            }
            if ty == 2 && chars(&c["label"]) > 80 {
                errs.push(FieldError::at(
                    cp("label"),
                    "BASE_TYPE_MAX_LENGTH",
                    &max_len(80),
                ));
            }
            if (3..=8).contains(&ty) {
                if chars(&c["placeholder"]) > 150 {
                    errs.push(FieldError::at(
                        cp("placeholder"),
                        "BASE_TYPE_MAX_LENGTH",
                        &max_len(150),
                    ));
                }
                for key in ["min_values", "max_values"] {
                    if c[key].as_u64().is_some_and(|n| n > 25) {
                        errs.push(FieldError::at(
                            cp(key),
                            "NUMBER_TYPE_MAX",
                            "int value should be less than or equal to 25.",
                        ));
                    }
                }
            }
            if ty == 3 {
                let opts = c["options"].as_array().map(Vec::as_slice).unwrap_or(&[]);
                if opts.is_empty() || opts.len() > 25 {
                    errs.push(FieldError::at(
                        cp("options"),
                        "BASE_TYPE_BAD_LENGTH",
                        "Must be between 1 and 25 in length.",
                    ));
                }
                for (o, opt) in opts.iter().enumerate() {
                    let o = o.to_string();
                    for key in ["label", "value", "description"] {
                        if chars(&opt[key]) > 100 {
                            errs.push(FieldError::at(
                                path(
                                    prefix,
                                    &["components", &r, "components", &k, "options", &o, key],
                                ),
                                "BASE_TYPE_MAX_LENGTH",
                                &max_len(100),
                            ));
                        }
                    }
                }
            }
        }
    }
    if creating {
        let has = |k: &str| data[k].as_array().is_some_and(|a| !a.is_empty());
        if chars(&data["content"]) == 0
            && !has("embeds")
            && !has("components")
            && !has("sticker_ids")
            && files == 0
            && data.get("poll").is_none()
        {
            errs.push(FieldError::at(
                path(prefix, &[]),
                "EMPTY_MESSAGE",
                "Cannot send an empty message",
            ));
        }
    }
}

fn validate_modal(data: &Value, errs: &mut Vec<FieldError>) {
    if chars(&data["custom_id"]) > 100 {
        errs.push(FieldError::new(
            &["data", "custom_id"],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 100 or fewer in length.",
        ));
    }
    if chars(&data["title"]) > 45 {
        errs.push(FieldError::new(
            &["data", "title"],
            "BASE_TYPE_MAX_LENGTH",
            "Must be 45 or fewer in length.",
        ));
    }
    let rows = data["components"].as_array().map_or(0, Vec::len);
    if rows == 0 || rows > 5 {
        errs.push(FieldError::new(
            &["data", "components"],
            "BASE_TYPE_BAD_LENGTH",
            "Must be between 1 and 5 in length.",
        ));
    }
}

// ---------------------------------------------------------------------------------------------
// Route patterns and time
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Debug)]
struct RoutePattern {
    method: Option<String>,
    segs: Vec<String>,
}

impl RoutePattern {
    fn parse(pattern: &str) -> Self {
        let pattern = pattern.trim();
        let (method, path) = match pattern.split_once(' ') {
            Some((m, p)) => (Some(m.to_ascii_uppercase()), p.trim()),
            None => (None, pattern),
        };
        RoutePattern {
            method,
            segs: path
                .trim_matches('/')
                .split('/')
                .map(str::to_owned)
                .collect(),
        }
    }

    fn matches(&self, method: &str, path: &str) -> bool {
        if self
            .method
            .as_deref()
            .is_some_and(|m| !m.eq_ignore_ascii_case(method))
        {
            return false;
        }
        let segs: Vec<&str> = path.trim_matches('/').split('/').collect();
        let mut i = 0;
        for (k, p) in self.segs.iter().enumerate() {
            if p == "**" {
                let _ = k;
                return true;
            }
            match segs.get(i) {
                Some(s) if p == "*" || p == s => i += 1,
                _ => return false,
            }
        }
        i == segs.len()
    }
}

/// RFC 3339 with microseconds, as Discord formats timestamps.
fn rfc3339(t: SystemTime) -> String {
    let d = t.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = d.as_secs() as i64;
    let days = secs.div_euclid(86_400);
    let sod = secs.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:06}+00:00",
        sod / 3600,
        sod % 3600 / 60,
        sod % 60,
        d.subsec_micros()
    )
}
