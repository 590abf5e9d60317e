//! What the bot must never leak or allow, with the real binary against the stand-in:
//!
//! - the bot token appears in no log line and no output, at `RUST_LOG=trace`, through a
//!   whole conversation (command, clicks, post, pin, refusals) and through a start with a
//!   token Discord rejects;
//! - every request that sends message content (interaction callbacks, edits of deferred
//!   responses, channel messages) carries an empty `allowed_mentions`;
//! - only the bot's own posted cards can be pinned through it, in the server they were
//!   posted in: forged context-menu interactions naming someone else's message, a card
//!   whose resolved author is not the bot, or a card of another server are refused with a
//!   sentence and pin nothing. Who may use the command is Discord's decision
//!   (`default_member_permissions` = PIN_MESSAGES, which server admins may override in
//!   Integrations settings); serenity 0.12.5 drops bit 51 when it parses
//!   `member.permissions`, and interactions reach the bot only over its own authenticated
//!   gateway, so the bot relies on Discord's gating and does not second-guess it;
//! - users can delete their data: "Delete my saved answers" on the card and on the
//!   resume offer, and `activation-check sessions forget --user ID` for the operator.

mod support;

use std::process::{Command, Stdio};

use activation_check::session::{Scope, SessionKey, SessionRecord, SessionStore};
use serde_json::json;
use support::store::open_store;

use support::standin::{
    perms, ComponentClick, InteractionOpts, MentionsPolicy, MessageCommand, SlashCommand, StandIn,
    StandInConfig, StoredMessage,
};
use support::walks::*;

/// Shaped like a real bot token, and found nowhere else.
const TOKEN: &str = "MTE5ODc2NTQzMjEwOTg3NjU0Mw.GhQ7xZ.s3cr3t-Tok3n_v4lue-9f8e7d6c5b4a";
const USER: u64 = 933_000_000_000_000_001;
const OTHER: u64 = 933_000_000_000_000_002;
const MODERATOR: u64 = 933_000_000_000_000_003;
const OTHER_GUILD: u64 = 933_000_000_000_000_004;
const OTHER_CHANNEL: u64 = 933_000_000_000_000_005;

async fn standin() -> StandIn {
    StandIn::start_with(StandInConfig {
        token: TOKEN.to_owned(),
        ..StandInConfig::default()
    })
    .await
}

/// Every flow the bot has, and every refusal that can be triggered, in one run; returns
/// how many interactions were sent.
async fn every_flow(standin: &StandIn, locale: &str, user: u64) -> usize {
    let mut n = 0;
    // Question, clicks, Back, card.
    let q1 = slash(standin, user, locale, false).await;
    let q2 = answer(standin, &q1, "concern", 0, user, locale).await;
    let back = click(standin, &q2, &verb_id(&q2, 'b'), user, locale).await;
    let q2 = answer(standin, &back, "concern", 0, user, locale).await;
    let q3 = answer(standin, &q2, "lost-origin", 2, user, locale).await;
    // Someone else's click, and a repeated (outdated) one.
    let refused = answer(standin, &q3, "win10-upgrade-id", 0, OTHER, locale).await;
    assert_eq!(refused.content(), text(locale, "error-not-yours"));
    let card = answer(standin, &q3, "win10-upgrade-id", 0, user, locale).await;
    let outdated = click_unseen(
        standin,
        card.id,
        &answer_id(&q1, "concern", 0),
        user,
        locale,
    )
    .await;
    assert_eq!(outdated.content(), text(locale, "outdated-click"));
    n += 8;
    // Post, pin, and the moderators' list.
    let (posted_note, posted) = post(standin, &card, user, locale).await;
    assert_links_to_post(&posted_note);
    let pinned = pin_as(standin, posted.id, MODERATOR, MOD_PERMS, locale)
        .await
        .expect("moderators may pin");
    assert_eq!(pinned.content(), text(locale, "pinned"));
    let d = standin
        .send_slash_command(
            SlashCommand::new("activation-pins")
                .user(MODERATOR)
                .in_guild(GUILD, CHANNEL)
                .member_permissions(MOD_PERMS)
                .locale(locale),
        )
        .await;
    reply(standin, d.interaction_id).await;
    n += 3;
    // Refusals: not a card, the bot lacking PIN_MESSAGES, the bot unable to post.
    let not_card = standin.seed_message(CHANNEL, OTHER, "@everyone look");
    let m = pin_as(standin, not_card, MODERATOR, MOD_PERMS, locale)
        .await
        .unwrap();
    assert_eq!(m.content(), text(locale, "error-not-a-card"));
    standin.set_bot_permissions(CHANNEL, perms::ALL_EXCEPT_ADMIN & !perms::PIN_MESSAGES);
    // Posting the same card again gives back the same message: a new card (Back, then
    // the same answer, a later step) for each further post.
    let new_card = |card: StoredMessage| async move {
        let back = click(standin, &card, &verb_id(&card, 'b'), user, locale).await;
        let node = "win10-upgrade-id";
        answer(standin, &back, node, 0, user, locale).await
    };
    let card = new_card(card).await;
    let (_, second) = post(standin, &card, user, locale).await;
    let m = pin_as(standin, second.id, MODERATOR, MOD_PERMS, locale)
        .await
        .unwrap();
    assert_eq!(m.content(), text(locale, "error-pin-permission"));
    let card = new_card(card).await;
    standin.set_bot_permissions(CHANNEL, perms::ALL_EXCEPT_ADMIN & !perms::SEND_MESSAGES);
    let m = click(standin, &card, &verb_id(&card, 'p'), user, locale).await;
    assert_eq!(m.content(), text(locale, "error-cannot-post"));
    standin.set_bot_permissions(CHANNEL, perms::ALL_EXCEPT_ADMIN);
    n += 4;
    // Unreadable, a bad component, guild-only.
    let d = standin
        .send_component_edited(
            ComponentClick::button(card.id, &verb_id(&card, 'b'))
                .user(user)
                .locale(locale)
                .guild_locale(locale),
            |v| v["locale"] = json!(42),
        )
        .await;
    assert_eq!(
        reply(standin, d.interaction_id).await.content(),
        text(locale, "error-unreadable")
    );
    assert_eq!(
        click_unseen(standin, card.id, "<@&1> @everyone", user, locale)
            .await
            .content(),
        text(locale, "error-bad-component")
    );
    let d = standin
        .send_slash_command(
            SlashCommand::new("activation-pins")
                .user(user)
                .in_dm()
                .locale(locale),
        )
        .await;
    assert_eq!(
        reply(standin, d.interaction_id).await.content(),
        text(locale, "error-guild-only")
    );
    n += 3;
    // Resume offer, Forget, and a click on the forgotten conversation.
    let fresh = slash(standin, user, locale, false).await;
    let q2 = answer(standin, &fresh, "concern", 0, user, locale).await;
    let offer = slash(standin, user, locale, false).await;
    assert!(offer.custom_ids().iter().any(|i| i.starts_with("ac1:c:")));
    let gone = click(standin, &offer, &verb_id(&offer, 'f'), user, locale).await;
    assert_eq!(gone.content(), text(locale, "forgotten"));
    let stale = click_unseen(standin, q2.id, &verb_id(&q2, 'b'), user, locale).await;
    assert_eq!(stale.content(), text(locale, "stale-session"));
    n += 5;
    n
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_reaches_logs_or_output_at_trace() {
    the_token_never_leaks("text").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_never_reaches_json_logs_at_trace() {
    the_token_never_leaks("json").await;
}

/// Every flow and a rejected start at trace, with `--log-format FORMAT`: no token in any
/// form in any output.
async fn the_token_never_leaks(format: &str) {
    let standin = standin().await;
    let tmp = tempfile::tempdir().unwrap();
    let run = BotRun {
        log_level: "trace".to_owned(),
        capture_stdout: true,
        // As pasted from a file, with a newline: the bot trims it, and so must the
        // redaction.
        token: Some(format!(" {TOKEN}\n")),
        args: vec!["--log-format".to_owned(), format.to_owned()],
        ..BotRun::default()
    };
    let bot = Bot::start_with(&standin, &tmp.path().join("data"), run).await;
    let sent = every_flow(&standin, "en-US", USER).await;
    drop(bot);
    let bot_log = std::fs::read_to_string(tmp.path().join("data.log0")).unwrap();
    let bot_out = std::fs::read_to_string(tmp.path().join("data.out0")).unwrap();
    // Trace really is on: the HTTP and gateway layers logged their traffic.
    assert!(
        bot_log.lines().count() > 200 && bot_log.contains("TRACE"),
        "trace logging was not on ({} lines)",
        bot_log.lines().count()
    );

    // A token Discord rejects, at trace: the error says so and shows no token.
    let rejected = "MTAwMDAwMDAwMDAwMDAwMDAwMA.Wr0ng1.n0t-th3-r1ght-t0k3n-at-all-0123456";
    let out = Command::new(env!("CARGO_BIN_EXE_activation-check"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("run")
        .arg("--data-dir")
        .arg(tmp.path().join("data2"))
        .env("DISCORD_TOKEN", rejected)
        .env("DISCORD_API_BASE", standin.base_url())
        .env("RUST_LOG", "trace")
        .args(["--log-format", format])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(err.contains("Discord rejected the token"), "{err}");

    for (what, text) in [
        ("bot stderr", bot_log.as_str()),
        ("bot stdout", bot_out.as_str()),
        ("rejected start stderr", &err),
        ("rejected start stdout", &stdout),
    ] {
        for secret in [TOKEN, rejected] {
            // As text, and as wire-level logs show bytes (tungstenite logs the frames
            // it sends, the IDENTIFY with the token, as decimal bytes and as hex).
            let tail = secret.rsplit('.').next().unwrap();
            let forms = [
                ("text", secret.to_owned()),
                ("its last part", tail.to_owned()),
                (
                    "decimal bytes",
                    tail.bytes()
                        .map(|b| b.to_string())
                        .collect::<Vec<_>>()
                        .join(", "),
                ),
                ("hex", tail.bytes().map(|b| format!("{b:02x}")).collect()),
                ("HEX", tail.bytes().map(|b| format!("{b:02X}")).collect()),
            ];
            for (form, needle) in forms {
                assert!(
                    !text.contains(&needle),
                    "{what} contains a token ({form}): {}",
                    text.lines()
                        .find(|l| l.contains(&needle))
                        .unwrap_or_default()
                        .chars()
                        .take(300)
                        .collect::<String>()
                );
            }
        }
    }
    assert!(
        bot_log.contains("[redacted]"),
        "the token was there to redact (the IDENTIFY frame at trace)"
    );
    if format == "json" {
        // Every log line is one JSON object (the rejected start's last line is the
        // sentence for the operator, on stderr after logging).
        for line in bot_log.lines() {
            let v: serde_json::Value = serde_json::from_str(line)
                .unwrap_or_else(|e| panic!("not a JSON line ({e}): {line}"));
            assert!(
                v["level"].is_string() && v["timestamp"].is_string(),
                "{line}"
            );
        }
    }
    println!(
        "token ({format} logs): {sent} interactions and a rejected start at trace; {} log lines, no token",
        bot_log.lines().count() + err.lines().count()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_message_the_bot_sends_has_empty_allowed_mentions() {
    let (standin, _tmp, _, bot) = started_on(standin().await).await;
    let mut sent = 0;
    for (n, locale) in ["en-US", "ja"].into_iter().enumerate() {
        sent += every_flow(&standin, locale, USER + 100 * (n as u64 + 1)).await;
    }
    // Every request that can carry message content, whatever the stand-in classified.
    let carrying: Vec<_> = standin
        .requests()
        .into_iter()
        .filter(|r| {
            let body = r.body.clone().unwrap_or_default();
            let data = if r.path.ends_with("/callback") {
                body["data"].clone()
            } else {
                body
            };
            ["content", "embeds", "components"]
                .iter()
                .any(|k| !data[k].is_null())
        })
        .collect();
    let mut kinds = std::collections::BTreeSet::new();
    for r in &carrying {
        kinds.insert(format!(
            "{} {}",
            r.method,
            r.path
                .split('/')
                .map(|s| {
                    if (!s.is_empty() && s.chars().all(|c| c.is_ascii_digit())) || s.len() > 40 {
                        "*"
                    } else {
                        s
                    }
                })
                .collect::<Vec<_>>()
                .join("/")
        ));
        assert_eq!(
            r.allowed_mentions,
            Some(MentionsPolicy::Empty),
            "{} {} sent {:?}",
            r.method,
            r.path,
            r.body
        );
    }
    // All three ways of sending were exercised.
    for kind in [
        "POST /api/v10/interactions/*/*/callback",
        "PATCH /api/v10/webhooks/*/*/messages/@original",
        "POST /api/v10/channels/*/messages",
    ] {
        assert!(kinds.contains(kind), "{kind} not exercised: {kinds:?}");
    }
    assert_eq!(standin.message_sends().len(), carrying.len());
    println!(
        "allowed_mentions: {} message-bearing requests from {sent} interactions, all empty",
        carrying.len()
    );
    drop(bot);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_the_bots_own_cards_in_their_own_server_can_be_pinned() {
    let (standin, _tmp, _, bot) = started_on(standin().await).await;
    let card = card(&standin, USER, "en-US").await;
    let (_, posted) = post(&standin, &card, USER, "en-US").await;
    let users_message = standin.seed_message(CHANNEL, OTHER, "pin me please");
    standin.add_guild_channel(OTHER_GUILD, OTHER_CHANNEL);
    let bot_user = standin.bot_user_id();

    // Discord does not offer the command to members without PIN_MESSAGES.
    assert!(pin_as(&standin, posted.id, OTHER, MEMBER, "en-US")
        .await
        .is_none());

    type Forge = fn(&mut serde_json::Value, u64, u64);
    let forged: [(&str, u64, Forge); 5] = [
        ("someone else's message", users_message, |_, _, _| {}),
        (
            "a card whose resolved author is not the bot",
            posted.id,
            |v, target, _| {
                v["data"]["resolved"]["messages"][target.to_string()]["author"]["id"] =
                    json!(OTHER.to_string());
            },
        ),
        ("a card with no resolved message", posted.id, |v, _, _| {
            v["data"]["resolved"] = json!({})
        }),
        ("a card named from another server", posted.id, |v, _, _| {
            v["guild_id"] = json!(OTHER_GUILD.to_string());
            v["guild"]["id"] = json!(OTHER_GUILD.to_string());
            v["channel_id"] = json!(OTHER_CHANNEL.to_string());
            v["channel"]["id"] = json!(OTHER_CHANNEL.to_string());
            v["channel"]["guild_id"] = json!(OTHER_GUILD.to_string());
        }),
        (
            "a user's message dressed up as the bot's",
            users_message,
            |v, target, bot_user| {
                v["data"]["resolved"]["messages"][target.to_string()]["author"]["id"] =
                    json!(bot_user.to_string());
            },
        ),
    ];
    for locale in ["en-US", "ja"] {
        for (name, target, forge) in &forged {
            let d = standin
                .send_message_command_edited(
                    MessageCommand::new(PIN_COMMAND, *target)
                        .user(OTHER)
                        .in_guild(GUILD, CHANNEL)
                        .member_permissions(MEMBER)
                        .locale(locale),
                    |v| forge(v, *target, bot_user),
                )
                .await;
            let m = reply(&standin, d.interaction_id).await;
            assert_eq!(m.content(), text(locale, "error-not-a-card"), "{name}");
            assert!(
                standin.pins_in(CHANNEL).is_empty() && standin.pins_in(OTHER_CHANNEL).is_empty(),
                "{name}: pinned something"
            );
        }
    }
    assert!(
        standin
            .requests_matching("PUT /api/v10/channels/**")
            .is_empty(),
        "no pin was even attempted"
    );
    // A moderator Discord lets use the command pins the real card.
    let m = pin_as(&standin, posted.id, MODERATOR, MOD_PERMS, "en-US")
        .await
        .unwrap();
    assert_eq!(m.content(), text("en-US", "pinned"));
    assert_eq!(standin.pins_in(CHANNEL), vec![posted.id]);
    drop(bot);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_user_deletes_their_saved_answers_from_the_card() {
    let (standin, tmp, _, bot) = started_on(standin().await).await;
    for (n, locale) in ["en-US", "ja"].into_iter().enumerate() {
        let user = USER + 10 + n as u64;
        let card = card(&standin, user, locale).await;
        let old_back = verb_id(&card, 'b');
        let gone = click(&standin, &card, &verb_id(&card, 'f'), user, locale).await;
        assert_eq!(gone.content(), text(locale, "forgotten"));
        assert!(
            gone.custom_ids().is_empty(),
            "no buttons left on the notice"
        );
        // An old copy of the buttons (another device) finds nothing.
        let stale = click_unseen(&standin, card.id, &old_back, user, locale).await;
        assert_eq!(stale.content(), text(locale, "stale-session"));
        // And the command starts afresh, without a resume offer.
        let fresh = slash(&standin, user, locale, false).await;
        assert!(!fresh.custom_ids().iter().any(|i| i.starts_with("ac1:c:")));
    }
    // Stopped as a supervisor stops it, so the sessions saved for later are written.
    bot.stop();
    // Nothing of theirs is left on disk.
    let store = open_store(&tmp.path().join("data"));
    let keys: Vec<SessionKey> = store.keys().collect::<Result<_, _>>().unwrap();
    for n in 0..2 {
        let user = (USER + 10 + n).to_string();
        // Only the fresh session started after forgetting.
        assert_eq!(
            keys.iter().filter(|k| k.user == user).count(),
            1,
            "{keys:?}"
        );
    }
}

#[test]
fn sessions_forget_removes_one_user_in_every_scope() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let user = "933000000000000777";
    let theirs = [
        SessionKey::new(Scope::Guild(1), user),
        SessionKey::new(Scope::Guild(2), user),
        SessionKey::new(Scope::Dm, user),
        SessionKey::new(Scope::Terminal, user),
    ];
    let others = [
        SessionKey::new(Scope::Guild(1), "933000000000000778"),
        SessionKey::new(Scope::Dm, "93300000000000077"),
        SessionKey::new(Scope::Dm, "9933000000000000777"),
        SessionKey::new(Scope::Terminal, "alice"),
    ];
    {
        let rt = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let store = open_store(&dir);
        let now = store.now();
        for key in theirs.iter().chain(&others) {
            rt.block_on(store.put(key, &SessionRecord::new("v", "ja", now)))
                .unwrap();
        }
        store.flush().unwrap();
    }
    let out = cli(&dir, &["sessions", "forget", "--user", user]);
    support::bot::assert_succeeded(&out);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("deleted 4 session(s) of user {user}")
    );
    let store = open_store(&dir);
    for key in &theirs {
        assert_eq!(store.get(key).unwrap(), None, "{key} still there");
    }
    for key in &others {
        assert!(store.get(key).unwrap().is_some(), "{key} was removed");
    }
    let keys: Vec<SessionKey> = store.keys().collect::<Result<_, _>>().unwrap();
    assert_eq!(keys.len(), others.len());
}
