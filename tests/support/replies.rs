#![allow(dead_code)]
//! Reading the bot's answers in the stand-in, for the tests of `serve`: the message an
//! interaction's answer made or updated, and the buttons on it by what they do.

use std::time::Duration;

use super::standin::{StandIn, StoredMessage};

const WAIT: Duration = Duration::from_secs(20);

/// The message an interaction's answer made or updated, once the answer was accepted
/// within Discord's 3 seconds (a deferred answer: once it was edited).
pub async fn reply(standin: &StandIn, interaction: u64) -> StoredMessage {
    let cb = standin
        .wait_for_callback(interaction, WAIT)
        .await
        .expect("the bot answered");
    assert!(cb.accepted, "answer refused: {} {:?}", cb.status, cb.body);
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

/// The button answering question `node` with its choice `choice`.
pub fn answer_id(m: &StoredMessage, node: &str, choice: usize) -> String {
    super::buttons::answer_button(&m.custom_ids(), node, choice)
        .unwrap_or_else(|| panic!("no answer {node}:{choice} in {:?}", m.custom_ids()))
}

/// The button of verb `verb` (`b` Back, `r` Start over, `p` Post, ...).
pub fn verb_id(m: &StoredMessage, verb: char) -> String {
    let prefix = format!("ac1:{verb}:");
    m.custom_ids()
        .into_iter()
        .find(|id| id.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no {verb} in {:?}", m.custom_ids()))
}

/// The first embed's title.
pub fn title(m: &StoredMessage) -> String {
    m.embeds()
        .first()
        .and_then(|e| e["title"].as_str())
        .unwrap_or_default()
        .to_owned()
}
