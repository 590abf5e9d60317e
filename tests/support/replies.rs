#![allow(dead_code)]
//! Reading the bot's answers in the stand-in, for the tests of `serve`: the message an
//! interaction's answer made or updated, and the buttons on it by what they do.

use std::time::Duration;

use super::standin::{StandIn, StoredMessage};

const WAIT: Duration = Duration::from_secs(20);

/// The message an interaction's answer made or updated, once the answer was accepted
/// within Discord's 3 seconds (a deferred answer: once it was edited).
pub async fn reply(standin: &StandIn, interaction: u64) -> StoredMessage {
    reply_with_status(standin, interaction, None).await
}

/// [`reply`], where the answer must also have had the HTTP `status` (where given).
pub async fn reply_with_status(
    standin: &StandIn,
    interaction: u64,
    status: Option<u16>,
) -> StoredMessage {
    let cb = standin
        .wait_for_callback(interaction, WAIT)
        .await
        .expect("the bot answered");
    match status {
        Some(status) => assert_eq!(cb.status, status, "callback refused: {:?}", cb.body),
        None => assert!(cb.accepted, "answer refused: {} {:?}", cb.status, cb.body),
    }
    assert!(
        cb.latency < Duration::from_secs(3),
        "late: {:?}",
        cb.latency
    );
    standin
        .wait_for(WAIT, |s| {
            let m = s.original_response(interaction)?;
            (cb.response_type != Some(5) || !m.content().is_empty() || !m.embeds().is_empty())
                .then_some(m)
        })
        .await
        .expect("the response message exists")
}

/// The first message in `channel` after the first `before` that everyone sees (a posted
/// card, not an ephemeral answer), once there is one.
pub async fn public_post(standin: &StandIn, channel: u64, before: usize) -> StoredMessage {
    standin
        .wait_for(WAIT, |s| {
            let msgs = s.messages_in(channel);
            msgs.iter()
                .skip(before)
                .find(|m| !m.is_ephemeral())
                .cloned()
        })
        .await
        .expect("the card was posted")
}

/// Asserts that the bot's answer to "Post in this channel" links to the posted card.
pub fn assert_links_to_post(confirm: &StoredMessage) {
    assert!(
        confirm.content().contains("https://discord.com/channels/"),
        "{}",
        confirm.content()
    );
}

// The buttons and titles read the same way as over the gateway.
#[allow(unused_imports)]
pub use super::bot::{answer_id, title, verb_id};
