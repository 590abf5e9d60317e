//! The answer cards the bot posted publicly, as data: where, which verdict, under which
//! rules version, when, and who pinned it. The Discord side (links, pins, the registry
//! that keeps them in step with Discord) is `discord::registry`; the stores keep these
//! records as they are (`store::records`).

use serde::{Deserialize, Serialize};

/// A pin of a posted card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// The moderator who pinned it through the bot's command; `None` for a pin made in
    /// Discord's own menu, which the bot learns of from the channel's pins.
    pub by: Option<u64>,
    /// Unix seconds: when it was pinned, or for a pin made in Discord's menu, when the
    /// bot found it.
    pub at: i64,
}

/// One posted card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedCard {
    pub guild_id: Option<u64>,
    pub channel_id: u64,
    pub message_id: u64,
    pub outcome: String,
    pub verdict: String,
    pub locale: String,
    pub rules_version: String,
    /// Unix seconds: when the card's answer was reached.
    pub generated_at: i64,
    /// Unix seconds: when it was posted.
    pub posted_at: i64,
    pub pin: Option<Pin>,
}
