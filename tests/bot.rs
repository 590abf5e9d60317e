//! The real bot binary against the Discord stand-in on 127.0.0.1, in `ja` and `en-US`:
//! command registration with both localizations, a conversation walked with buttons
//! (Back, Start over), a card within Discord's limits, posting it, a moderator pinning it
//! (and the registry recording it), refusals (someone else's buttons, a member without
//! PIN_MESSAGES, a message that is not a card, the bot lacking PIN_MESSAGES), a SIGKILL
//! midway after which old buttons continue, a DM conversation, and the outdated-pins
//! listing after the rules version changes.

mod support;

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;
use support::bot::{
    answer, assert_no_violations, bot_command, click, post, reply, slash_command, started, title,
    verb_id, Bot, BotRun, WAIT,
};
use support::replies::assert_links_to_post;
use support::standin::{
    perms, ForcedResponse, InteractionOpts, MentionsPolicy, MessageCommand, SlashCommand, StandIn,
    StoredMessage,
};

const GUILD: u64 = 920_000_000_000_000_001;
const CHANNEL: u64 = 920_000_000_000_000_002;
const USER: u64 = 920_000_000_000_000_003;
const OTHER: u64 = 920_000_000_000_000_004;
const MODERATOR: u64 = 920_000_000_000_000_005;
const MEMBER: u64 = perms::VIEW_CHANNEL | perms::SEND_MESSAGES | perms::USE_APPLICATION_COMMANDS;
const MOD_PERMS: u64 = MEMBER | perms::PIN_MESSAGES;
const PIN_COMMAND: &str = "Pin activation answer";

fn embed_chars(m: &StoredMessage) -> usize {
    let len = |v: &Value| v.as_str().map_or(0, |s| s.chars().count());
    m.embeds()
        .iter()
        .map(|e| {
            len(&e["title"])
                + len(&e["description"])
                + len(&e["footer"]["text"])
                + e["fields"].as_array().map_or(0, |f| {
                    f.iter().map(|f| len(&f["name"]) + len(&f["value"])).sum()
                })
        })
        .sum()
}

/// The pin command on `target` in this file's server and channel, as `user` with
/// `permissions`; `None` where Discord would not offer it.
async fn send_pin(
    standin: &StandIn,
    target: u64,
    user: u64,
    permissions: u64,
    locale: &str,
) -> Option<support::standin::Dispatched> {
    support::bot::send_pin_in(standin, (GUILD, CHANNEL), target, user, permissions, locale).await
}

/// The bot on the data directory `dir`, reading its rules from the folder `rules`.
async fn start_with_rules(standin: &StandIn, dir: &Path, rules: &Path) -> Bot {
    let run = BotRun {
        rules_dir: Some(rules.to_owned()),
        ..BotRun::default()
    };
    Bot::start_with(standin, dir, run).await
}

/// A moderator runs the pin command on `target`; the bot's reply.
async fn pin_as_moderator(standin: &StandIn, target: u64, locale: &str) -> StoredMessage {
    let d = send_pin(standin, target, MODERATOR, MOD_PERMS, locale)
        .await
        .expect("moderators may use the command");
    reply(standin, d.interaction_id).await
}

async fn slash(standin: &StandIn, user: u64, locale: &str, dm: bool) -> StoredMessage {
    let cmd = slash_command(user, locale, (!dm).then_some((GUILD, CHANNEL)));
    let d = standin.send_slash_command(cmd).await;
    reply(standin, d.interaction_id).await
}

struct Texts {
    locale: &'static str,
    q_concern: &'static str,
    q_origin: &'static str,
    q_id: &'static str,
    headline: &'static str,
    /// Source B's date as the card shows it.
    source_date: &'static str,
    not_yours: &'static str,
    pinned: &'static str,
    not_a_card: &'static str,
    no_pin_permission: &'static str,
}

const EN: Texts = Texts {
    locale: "en-US",
    q_concern: "What brings you here",
    q_origin: "How did this PC get its Windows license",
    q_id: "installation ID",
    headline: "Re-activation by phone works",
    source_date: "December 6, 2024",
    not_yours: "belong to someone else",
    pinned: "Pinned.",
    not_a_card: "Only answer cards this bot posted",
    no_pin_permission: "Pin Messages permission",
};

const JA: Texts = Texts {
    locale: "ja",
    q_concern: "ご相談",
    q_origin: "ライセンス",
    q_id: "インストールID",
    headline: "電話",
    source_date: "2024年12月6日",
    not_yours: "別の方のチェック",
    pinned: "ピン留めしました",
    not_a_card: "このボットが投稿した回答カードだけ",
    no_pin_permission: "ピン留め」の権限",
};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guild_conversation_post_and_pin_in_both_languages() {
    let (standin, _data, _dir, bot) = started().await;

    // Registration: both localizations, the moderator command gated by PIN_MESSAGES.
    let commands = standin.commands();
    let ask = commands
        .iter()
        .find(|c| c.name == "activation-check")
        .expect("slash command registered");
    assert_eq!(ask.guild_id, None, "registered globally by default");
    for tag in ["ja", "en-US"] {
        assert!(
            ask.json["name_localizations"][tag].is_string(),
            "{tag}: {}",
            ask.json
        );
        assert!(ask.json["description_localizations"][tag].is_string());
    }
    assert_eq!(ask.json["name_localizations"]["en-US"], "activation-check");
    // The moderators' two commands: (name, kind, found or not, gated by PIN_MESSAGES).
    for (name, kind, registered, gated) in [
        (
            PIN_COMMAND,
            3,
            "context-menu command registered",
            "moderator command needs PIN_MESSAGES",
        ),
        (
            "activation-pins",
            1,
            "the outdated-pins command registered",
            "the outdated-pins list is for moderators too",
        ),
    ] {
        let command = commands.iter().find(|c| c.name == name).expect(registered);
        assert_eq!(command.kind, kind);
        assert_eq!(
            command.json["default_member_permissions"],
            (1u64 << 51).to_string(),
            "{gated}"
        );
        assert!(command.json["name_localizations"]["ja"].is_string());
    }
    let contexts = &ask.json["contexts"];
    assert!(
        contexts.as_array().unwrap().contains(&serde_json::json!(1)),
        "usable in bot DMs"
    );

    for (n, t) in [EN, JA].iter().enumerate() {
        let user = USER + 10 * n as u64;
        // The slash command answers ephemerally with the first question.
        let q1 = slash(&standin, user, t.locale, false).await;
        assert!(q1.is_ephemeral(), "the conversation is ephemeral");
        assert!(title(&q1).contains(t.q_concern), "{}", title(&q1));
        let footer = q1.embeds()[0]["footer"]["text"]
            .as_str()
            .unwrap()
            .to_owned();
        assert!(footer.contains('1'), "progress shown: {footer}");

        // Walk: lost activation → free upgrade from Windows 10 → ID shown.
        let q2 = answer(&standin, &q1, "concern", 0, user, t.locale).await;
        assert_eq!(q2.id, q1.id, "updated in place");
        assert!(title(&q2).contains(t.q_origin), "{}", title(&q2));
        // Back returns to the first question; Start over too.
        let back = click(&standin, &q2, &verb_id(&q2, 'b'), user, t.locale).await;
        assert!(title(&back).contains(t.q_concern));
        let q2 = answer(&standin, &back, "concern", 0, user, t.locale).await;
        let q3 = answer(&standin, &q2, "lost-origin", 2, user, t.locale).await;
        assert!(title(&q3).contains(t.q_id), "{}", title(&q3));
        let restarted = click(&standin, &q3, &verb_id(&q3, 'r'), user, t.locale).await;
        assert!(title(&restarted).contains(t.q_concern));
        let q2 = answer(&standin, &restarted, "concern", 0, user, t.locale).await;
        let q3 = answer(&standin, &q2, "lost-origin", 2, user, t.locale).await;

        // Someone else clicking these buttons is refused and changes nothing.
        let refused = answer(&standin, &q3, "win10-upgrade-id", 0, OTHER, t.locale).await;
        assert_ne!(refused.id, q3.id, "a separate ephemeral reply");
        assert!(
            refused.content().contains(t.not_yours),
            "{}",
            refused.content()
        );
        assert!(
            title(&standin.message(q3.id).unwrap()).contains(t.q_id),
            "state unchanged"
        );

        let card = answer(&standin, &q3, "win10-upgrade-id", 0, user, t.locale).await;
        assert!(title(&card).contains(t.headline), "{}", title(&card));
        assert!(
            embed_chars(&card) <= 6000,
            "card within limits: {}",
            embed_chars(&card)
        );
        let all = serde_json::to_string(&card.embeds()).unwrap();
        assert!(
            all.contains("0120-801-734"),
            "phone block with the desk number"
        );
        assert!(
            all.contains("<t:"),
            "generation time as a Discord timestamp"
        );
        assert!(all.contains(t.source_date), "source date");

        // Post in this channel: a public message, no mentions, without the asker's name.
        let (confirm, posted) = post(&standin, &card, user, t.locale).await;
        assert_links_to_post(&confirm);
        assert!(!posted.is_ephemeral());
        assert!(title(&posted).contains(t.headline));
        let posted_json = serde_json::to_string(&posted.embeds()).unwrap();
        assert!(
            !posted_json.contains(&user.to_string()),
            "the asker is not named"
        );
        let send = standin
            .message_sends()
            .into_iter()
            .rev()
            .find(|r| r.path.ends_with(&format!("/channels/{CHANNEL}/messages")))
            .expect("a channel message request");
        assert_eq!(send.allowed_mentions, Some(MentionsPolicy::Empty));

        // A member without PIN_MESSAGES is not offered the pin command at all.
        let denied = send_pin(&standin, posted.id, OTHER, MEMBER, t.locale).await;
        assert!(denied.is_none());
        assert!(!standin.pins_in(CHANNEL).contains(&posted.id));

        // A moderator pins the card.
        let done = pin_as_moderator(&standin, posted.id, t.locale).await;
        assert!(done.content().contains(t.pinned), "{}", done.content());
        assert!(standin.pins_in(CHANNEL).contains(&posted.id));

        // Only the bot's own cards: a user's message is refused.
        let other_msg = standin.seed_message(CHANNEL, OTHER, "not a card");
        let refused = pin_as_moderator(&standin, other_msg, t.locale).await;
        assert!(
            refused.content().contains(t.not_a_card),
            "{}",
            refused.content()
        );
        assert!(!standin.pins_in(CHANNEL).contains(&other_msg));

        // Posting the same card again (a double click, a click after a restart) gives
        // back the card already posted, not a second one.
        let public = |s: &StandIn| {
            s.messages_in(CHANNEL)
                .iter()
                .filter(|m| !m.is_ephemeral())
                .count()
        };
        let cards_before = public(&standin);
        let again = click(&standin, &card, &verb_id(&card, 'p'), user, t.locale).await;
        assert!(
            again.content().contains(&posted.id.to_string()),
            "{}",
            again.content()
        );
        assert_eq!(public(&standin), cards_before, "no second card");

        // The bot itself lacking PIN_MESSAGES: Discord's 50013 reaches the moderator.
        standin.set_bot_permissions(CHANNEL, perms::ALL_EXCEPT_ADMIN & !perms::PIN_MESSAGES);
        // A new card (Back, then the same answer: a later step) is a new post.
        let back = click(&standin, &card, &verb_id(&card, 'b'), user, t.locale).await;
        let card = answer(&standin, &back, "win10-upgrade-id", 0, user, t.locale).await;
        let again = click(&standin, &card, &verb_id(&card, 'p'), user, t.locale).await;
        assert!(again.content().contains("https://"));
        let second = standin
            .wait_for(WAIT, |s| {
                s.messages_in(CHANNEL)
                    .iter()
                    .rev()
                    .find(|m| m.id != other_msg && m.id != posted.id && !m.is_ephemeral())
                    .cloned()
            })
            .await
            .unwrap();
        let refused = pin_as_moderator(&standin, second.id, t.locale).await;
        assert!(
            refused.content().contains(t.no_pin_permission),
            "{}",
            refused.content()
        );
        standin.set_bot_permissions(CHANNEL, perms::ALL_EXCEPT_ADMIN);
    }
    assert_no_violations(&standin, Some(&bot));
    assert!(
        standin.unhandled_requests().is_empty(),
        "{:#?}",
        standin.unhandled_requests()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_midway_then_old_buttons_continue_in_a_dm() {
    let (standin, _data, dir, bot) = started().await;
    let q1 = slash(&standin, USER, "ja", true).await;
    assert!(title(&q1).contains(JA.q_concern));
    let q2 = answer(&standin, &q1, "concern", 0, USER, "ja").await;
    assert!(title(&q2).contains(JA.q_origin));
    bot.kill();

    let bot = Bot::start(&standin, &dir).await;
    // The message shown before the kill still works and continues the same walk.
    let q3 = answer(&standin, &q2, "lost-origin", 0, USER, "ja").await;
    assert_eq!(q3.id, q1.id);
    assert!(
        !title(&q3).contains(JA.q_origin),
        "moved on: {}",
        title(&q3)
    );
    assert!(
        q3.custom_ids().iter().any(|id| id.starts_with("ac1:p:")),
        "a card: {:?}",
        q3.custom_ids()
    );
    // Running the command again offers Continue / Start over only for unfinished walks;
    // this one is finished, so it starts over.
    let fresh = slash(&standin, USER, "ja", true).await;
    assert!(title(&fresh).contains(JA.q_concern));
    let q2 = answer(&standin, &fresh, "concern", 0, USER, "ja").await;
    let offer = slash(&standin, USER, "ja", true).await;
    let cont = click(&standin, &offer, &verb_id(&offer, 'c'), USER, "ja").await;
    assert_eq!(
        title(&cont),
        title(&q2),
        "continue resumes at the same question"
    );
    assert_no_violations(&standin, Some(&bot));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn outdated_pins_are_listed_after_the_rules_change() {
    let standin = StandIn::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let rules = tmp.path().join("rules");
    std::fs::create_dir_all(&rules).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/activation-check.toml");
    let text = std::fs::read_to_string(shipped).unwrap();
    std::fs::write(rules.join("activation-check.toml"), &text).unwrap();

    let bot = start_with_rules(&standin, &dir, &rules).await;
    let q1 = slash(&standin, USER, "en-US", false).await;
    let q2 = answer(&standin, &q1, "concern", 0, USER, "en-US").await;
    let card = answer(&standin, &q2, "lost-origin", 0, USER, "en-US").await;
    let before = standin.messages_in(CHANNEL).len();
    click(&standin, &card, &verb_id(&card, 'p'), USER, "en-US").await;
    let posted = standin
        .wait_for(WAIT, |s| {
            let m = s.messages_in(CHANNEL);
            (m.len() > before).then(|| m.last().cloned()).flatten()
        })
        .await
        .unwrap();
    let d = standin
        .try_send_message_command(
            MessageCommand::new(PIN_COMMAND, posted.id)
                .user(MODERATOR)
                .in_guild(GUILD, CHANNEL)
                .member_permissions(MOD_PERMS),
        )
        .await
        .unwrap();
    reply(&standin, d.interaction_id).await;
    // The asker posts the same card again: Discord gives back the same message, and the
    // registry keeps who pinned it.
    let again = click(&standin, &card, &verb_id(&card, 'p'), USER, "en-US").await;
    assert!(
        again.content().contains(&posted.id.to_string()),
        "{}",
        again.content()
    );
    // A second card, pinned in Discord's own menu rather than with the bot's command.
    let back = click(&standin, &card, &verb_id(&card, 'b'), USER, "en-US").await;
    let card2 = answer(&standin, &back, "lost-origin", 0, USER, "en-US").await;
    click(&standin, &card2, &verb_id(&card2, 'p'), USER, "en-US").await;
    let second = standin
        .wait_for(WAIT, |s| {
            s.messages_in(CHANNEL)
                .iter()
                .rev()
                .find(|m| m.id != posted.id && !m.is_ephemeral())
                .cloned()
        })
        .await
        .unwrap();
    standin.pin_in_discord(CHANNEL, second.id);
    let list = || {
        SlashCommand::new("activation-pins")
            .user(MODERATOR)
            .in_guild(GUILD, CHANNEL)
            .member_permissions(MOD_PERMS)
    };
    // Discord offers the list only to members with PIN_MESSAGES.
    let member = SlashCommand::new("activation-pins")
        .user(USER)
        .in_guild(GUILD, CHANNEL)
        .member_permissions(MEMBER);
    assert!(standin.try_send_slash_command(member).await.is_none());
    let d = standin.try_send_slash_command(list()).await.unwrap();
    let none = reply(&standin, d.interaction_id).await;
    assert!(
        none.content().contains("No pinned answer card"),
        "{}",
        none.content()
    );
    drop(bot);

    // A new rules version: the pinned card is now outdated.
    let new_text = text.replacen("version = \"", "version = \"9999.", 1);
    std::fs::write(rules.join("activation-check.toml"), new_text).unwrap();
    let bot = start_with_rules(&standin, &dir, &rules).await;
    let d = standin.send_slash_command(list()).await;
    let listed = reply(&standin, d.interaction_id).await;
    let link = format!(
        "https://discord.com/channels/{GUILD}/{CHANNEL}/{}",
        posted.id
    );
    let link2 = format!(
        "https://discord.com/channels/{GUILD}/{CHANNEL}/{}",
        second.id
    );
    let lines = |text: &str, link: &str| {
        text.lines()
            .find(|l| l.contains(link))
            .map(str::to_owned)
            .unwrap_or_default()
    };
    let text = listed.content();
    // Who pinned it and when, and the answer in the moderator's language.
    let first = lines(text, &link);
    assert!(first.contains(&format!("<@{MODERATOR}>")), "{text}");
    assert!(first.contains("<t:"), "{text}");
    assert!(first.contains(&title(&posted)), "{text}");
    // The card pinned in Discord's menu is found in the channel's pins.
    let other = lines(text, &link2);
    assert!(other.contains("Discord's menu"), "{text}");
    assert!(text.contains("2 pinned answer card"), "{text}");

    // Unpinned in Discord's menu: no longer listed. (A pin is kept when it may have been
    // made while the list was being read, which the registry knows to the second: so
    // this list is asked for at least a second after the pin.)
    tokio::time::sleep(Duration::from_millis(1100)).await;
    standin.unpin_in_discord(CHANNEL, posted.id);
    let d = standin.send_slash_command(list()).await;
    let r = reply(&standin, d.interaction_id).await;
    let text = r.content();
    assert!(!text.contains(&link), "{text}");
    assert!(text.contains(&link2), "{text}");
    // Behind 60 newer pins the card is missing from Discord's list of the newest pins,
    // which says nothing about it: it stays listed.
    standin.fill_pins(CHANNEL, 61);
    let d = standin.send_slash_command(list()).await;
    let r = reply(&standin, d.interaction_id).await;
    let text = r.content();
    assert!(text.contains(&link2), "{text}");
    // The channel is deleted (Discord: 10003 Unknown Channel): its pins went with it.
    standin.force_response(
        "GET /api/v10/channels/*/pins",
        1,
        ForcedResponse::json(
            404,
            serde_json::json!({"message": "Unknown Channel", "code": 10003}),
        ),
    );
    let d = standin.send_slash_command(list()).await;
    let r = reply(&standin, d.interaction_id).await;
    let text = r.content();
    assert!(text.contains("No pinned answer card"), "{text}");

    // Old buttons from the previous rules get a sentence and a way to start again.
    let stale = click(&standin, &card2, &verb_id(&card2, 'b'), USER, "en-US").await;
    assert!(
        stale.content().contains("older version"),
        "{}",
        stale.content()
    );
    let again = click(&standin, &stale, &verb_id(&stale, 'r'), USER, "en-US").await;
    assert!(title(&again).contains(EN.q_concern));
    assert_no_violations(&standin, Some(&bot));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_or_rejected_token_exits_1_with_what_to_do() {
    let standin = StandIn::start().await;
    let data = tempfile::tempdir().unwrap();
    let out = bot_command(&standin, data.path())
        .arg("run")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("DISCORD_TOKEN is not set"), "{err}");

    let out = bot_command(&standin, data.path())
        .arg("run")
        .env("DISCORD_TOKEN", "not-the-token")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("Discord rejected the token"), "{err}");
    assert!(
        !err.contains("not-the-token"),
        "the token is never printed: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn register_in_one_server_then_exit() {
    let standin = StandIn::start().await;
    let data = tempfile::tempdir().unwrap();
    let out = bot_command(&standin, data.path())
        .args(["register", "--guild", &GUILD.to_string()])
        .env("DISCORD_TOKEN", standin.token())
        .output()
        .unwrap();
    support::bot::assert_succeeded(&out);
    let names: Vec<(String, Option<u64>)> = standin
        .commands()
        .into_iter()
        .map(|c| (c.name, c.guild_id))
        .collect();
    for name in ["activation-check", "activation-pins", PIN_COMMAND] {
        assert!(names.contains(&(name.to_owned(), Some(GUILD))), "{names:?}");
    }
    assert!(
        names.iter().all(|(_, g)| *g == Some(GUILD)),
        "nothing global: {names:?}"
    );
    assert_eq!(
        standin.identifies().len(),
        0,
        "register does not connect to the gateway"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_shuts_down_cleanly_and_keeps_the_conversation() {
    let (standin, _data, dir, bot) = started().await;
    // The user's locale is not offered: the server's (ja) comes next.
    let d = standin
        .send_slash_command(
            SlashCommand::new("activation-check")
                .user(USER)
                .in_guild(GUILD, CHANNEL)
                .member_permissions(MEMBER)
                .locale("zh-TW")
                .guild_locale("ja"),
        )
        .await;
    let q1 = reply(&standin, d.interaction_id).await;
    assert!(title(&q1).contains(JA.q_concern), "{}", title(&q1));
    let q2 = answer(&standin, &q1, "concern", 0, USER, "zh-TW").await;

    let mut bot = bot;
    let pid = bot.child.id();
    let status = Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let exit = tokio::task::spawn_blocking(move || {
        let s = bot.child.wait().unwrap();
        (s, bot)
    })
    .await
    .unwrap();
    assert!(
        exit.0.success(),
        "clean exit on SIGTERM: {:?}\n{}",
        exit.0,
        exit.1.log()
    );
    drop(exit);

    // Neither locale offered: the default (en-US).
    let _bot = Bot::start(&standin, &dir).await;
    let offer = slash(&standin, USER, "zh-TW", false).await;
    assert!(
        offer.custom_ids().iter().any(|id| id.starts_with("ac1:c:")),
        "continue offered"
    );
    let cont = click(&standin, &offer, &verb_id(&offer, 'c'), USER, "zh-TW").await;
    assert!(title(&cont).contains(EN.q_origin), "{}", title(&cont));
    assert_eq!(cont.custom_ids().len(), q2.custom_ids().len());
}
