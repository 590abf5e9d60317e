//! What the stand-in records and hands to tests: requests, callbacks, messages,
//! registered commands, gateway frames, and Discord-style violations.

use super::*;

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
