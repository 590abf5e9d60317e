#![allow(dead_code)]
//! What the test files that drive the bot share beyond the harness itself
//! ([`crate::support::bot`], re-exported here): the ids and texts the tests use, and
//! helpers that walk a conversation.

use std::path::Path;
use std::time::{Duration, Instant};

#[allow(unused_imports)]
pub use crate::support::bot::{
    click, component, newest_post, reply, strip_ansi, title, Bot, BotRun, CHANNEL, GUILD, MEMBER,
    MOD_PERMS, PIN_COMMAND, WAIT,
};
use crate::support::standin::{InteractionOpts, SlashCommand, StandIn, StoredMessage};

pub fn answer_id(m: &StoredMessage, node: &str, choice: usize) -> String {
    crate::support::buttons::answer_button(&m.custom_ids(), node, choice)
        .unwrap_or_else(|| panic!("no answer {node}:{choice} in {:?}", m.custom_ids()))
}

pub fn verb_id(m: &StoredMessage, verb: char) -> String {
    let prefix = format!("ac1:{verb}:");
    component(m, |id| id.starts_with(&prefix))
}

/// `/activation-check` in the test guild (or a DM).
pub async fn slash(standin: &StandIn, user: u64, locale: &str, dm: bool) -> StoredMessage {
    let mut cmd = SlashCommand::new("activation-check")
        .user(user)
        .locale(locale);
    cmd = if dm {
        cmd.in_dm()
    } else {
        cmd.in_guild(GUILD, CHANNEL)
            .member_permissions(MEMBER)
            .guild_locale(locale)
    };
    let d = standin.send_slash_command(cmd).await;
    reply(standin, d.interaction_id).await
}

/// Walks `user` to a finished card in the guild: lost activation, free upgrade, ID shown.
pub async fn card(standin: &StandIn, user: u64, locale: &str) -> StoredMessage {
    let q1 = slash(standin, user, locale, false).await;
    let q2 = click(standin, &q1, &answer_id(&q1, "concern", 0), user, locale).await;
    let q3 = click(
        standin,
        &q2,
        &answer_id(&q2, "lost-origin", 2),
        user,
        locale,
    )
    .await;
    click(
        standin,
        &q3,
        &answer_id(&q3, "win10-upgrade-id", 0),
        user,
        locale,
    )
    .await
}

/// Polls `check` every 20 ms until it returns `Some` or `within` passes.
pub async fn eventually<T>(within: Duration, mut check: impl FnMut() -> Option<T>) -> Option<T> {
    let until = Instant::now() + within;
    loop {
        if let Some(v) = check() {
            return Some(v);
        }
        if Instant::now() >= until {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A text from the shipped Fluent files, for asserting what the user was told.
pub fn text(locale: &str, id: &str) -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("i18n")
        .join(locale);
    for entry in std::fs::read_dir(&dir).unwrap() {
        let body = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        for line in body.lines() {
            if let Some(rest) = line.strip_prefix(&format!("{id} = ")) {
                return rest.trim().to_owned();
            }
        }
    }
    panic!("no message {id} in {}", dir.display())
}
