#![allow(dead_code)]
//! Conversations walked through the bot under test, for the test files that drive it
//! beyond the harness itself ([`crate::support::bot`], re-exported here): the ids and
//! texts the tests use, and helpers that walk a conversation to a card.

use std::path::Path;
use std::time::{Duration, Instant};

#[allow(unused_imports)]
pub use crate::support::bot::{
    answer, answer_id, assert_no_violations, assert_succeeded, cli, click, click_unseen, component,
    newest_post, pin_as, post, reply, slash_command, started, started_on, strip_ansi, title,
    verb_id, Bot, BotRun, CHANNEL, GUILD, MEMBER, MOD_PERMS, PIN_COMMAND, WAIT,
};
#[allow(unused_imports)]
pub use crate::support::replies::assert_links_to_post;
use crate::support::standin::{InteractionOpts, StandIn, StoredMessage};

/// `/activation-check` in the test guild (or a DM).
pub async fn slash(standin: &StandIn, user: u64, locale: &str, dm: bool) -> StoredMessage {
    let cmd = slash_command(user, locale, (!dm).then_some((GUILD, CHANNEL)));
    let cmd = if dm { cmd } else { cmd.guild_locale(locale) };
    let d = standin.send_slash_command(cmd).await;
    reply(standin, d.interaction_id).await
}

/// Walks `user` to a finished card in the guild: lost activation, free upgrade, ID shown.
pub async fn card(standin: &StandIn, user: u64, locale: &str) -> StoredMessage {
    let q1 = slash(standin, user, locale, false).await;
    let q2 = answer(standin, &q1, "concern", 0, user, locale).await;
    let q3 = answer(standin, &q2, "lost-origin", 2, user, locale).await;
    answer(standin, &q3, "win10-upgrade-id", 0, user, locale).await
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

/// `/activation-reload` as `user` in [`GUILD`]; the sentence received (ephemeral).
pub async fn reload_as(standin: &StandIn, user: u64) -> String {
    let d = standin
        .send_slash_command(
            crate::support::standin::SlashCommand::new("activation-reload")
                .user(user)
                .in_guild(GUILD, CHANNEL)
                .member_permissions(MOD_PERMS)
                .locale("en-US"),
        )
        .await;
    let m = reply(standin, d.interaction_id).await;
    assert!(m.is_ephemeral());
    m.content().to_owned()
}
