//! Updates without a restart, through the real bot and the Discord stand-in: SIGHUP and
//! `/activation-reload` load the edited rules and texts, check them completely, and swap
//! them in one step; an invalid edit changes nothing and is logged with `file:line`; a
//! reload while users click loses no click. Also review-by: past the rules' date, the log
//! warns and the moderators' commands open with one sentence.

mod support;

use std::path::{Path, PathBuf};
use std::time::Duration;

use support::standin::{InteractionOpts, SlashCommand, StandIn, StoredMessage};
use support::walks::*;

const USER: u64 = 960_000_000_000_000_021;
const STRANGER: u64 = 960_000_000_000_000_022;
const VERSION: &str = "2026.12.06";

/// A copy of the shipped rules and texts to edit: (rules dir, i18n dir).
fn knowledge_copy(dir: &Path) -> (PathBuf, PathBuf) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let copy = |from: &Path, to: &Path| {
        std::fs::create_dir_all(to).unwrap();
        for e in std::fs::read_dir(from).unwrap() {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                let sub = to.join(e.file_name());
                std::fs::create_dir_all(&sub).unwrap();
                for f in std::fs::read_dir(e.path()).unwrap() {
                    let f = f.unwrap();
                    std::fs::copy(f.path(), sub.join(f.file_name())).unwrap();
                }
            } else {
                std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
            }
        }
    };
    let (rules, i18n) = (dir.join("rules"), dir.join("i18n"));
    copy(&root.join("rules"), &rules);
    copy(&root.join("i18n"), &i18n);
    (rules, i18n)
}

fn edit(file: &Path, from: &str, to: &str) {
    let text = std::fs::read_to_string(file).unwrap();
    assert!(text.contains(from), "{from:?} not in {}", file.display());
    std::fs::write(file, text.replacen(from, to, 1)).unwrap();
}

async fn start(standin: &StandIn, tmp: &Path) -> (Bot, PathBuf, PathBuf) {
    let (rules, i18n) = knowledge_copy(tmp);
    let bot = Bot::start_with(
        standin,
        &tmp.join("data"),
        BotRun {
            rules_dir: Some(rules.clone()),
            args: vec![
                "--i18n-dir".to_owned(),
                i18n.display().to_string(),
                "--admin-guild".to_owned(),
                GUILD.to_string(),
            ],
            ..BotRun::default()
        },
    )
    .await;
    (bot, rules.join("activation-check.toml"), i18n)
}

fn hangup(bot: &Bot) {
    let status = std::process::Command::new("kill")
        .args(["-HUP", &bot.child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

/// Waits until the log has `n` lines mentioning `needle`.
async fn logged(bot: &Bot, needle: &str, n: usize) -> Vec<String> {
    eventually(WAIT, || {
        let lines = bot.log_lines_mentioning(needle);
        (lines.len() >= n).then_some(lines)
    })
    .await
    .unwrap_or_else(|| panic!("never logged {n} × {needle:?}:\n{}", bot.log()))
}

fn footer(m: &StoredMessage) -> String {
    m.embeds()
        .last()
        .and_then(|e| e["footer"]["text"].as_str().map(str::to_owned))
        .unwrap_or_default()
}

/// Clicks the first answer of each question from `m` until a card.
async fn finish(standin: &StandIn, mut m: StoredMessage, user: u64) -> StoredMessage {
    for _ in 0..10 {
        let ids = m.custom_ids();
        if ids.iter().any(|id| id.starts_with("ac1:p:")) {
            return m;
        }
        let answer = ids
            .iter()
            .find(|id| id.starts_with("ac1:a:"))
            .unwrap_or_else(|| panic!("no answer in {ids:?}: {:?}", m.content()))
            .clone();
        m = click(standin, &m, &answer, user, "en-US").await;
    }
    panic!("no card after 10 answers")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_invalid_reload_changes_nothing_and_a_valid_one_swaps_in_one_step() {
    let standin = StandIn::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let (bot, rules, i18n) = start(&standin, tmp.path()).await;
    let owner = standin.config().default_user_id;

    // /activation-reload is registered in the configured server only.
    let reload: Vec<_> = standin
        .commands()
        .into_iter()
        .filter(|c| c.name == "activation-reload")
        .collect();
    assert_eq!(reload.len(), 1);
    assert_eq!(reload[0].guild_id, Some(GUILD));

    let q1 = slash(&standin, USER, "en-US", false).await;
    let q2 = click(&standin, &q1, &answer_id(&q1, "concern", 0), USER, "en-US").await;

    // Broken: the start question does not exist, and a text lost its value.
    edit(&rules, "start = \"concern\"", "start = \"nowhere\"");
    hangup(&bot);
    let refused = logged(&bot, "nothing changed", 1).await;
    let problems = bot.log_lines_mentioning("activation-check.toml:");
    assert!(!problems.is_empty(), "{}", bot.log());
    assert!(
        problems.iter().any(|l| l.contains("nowhere")),
        "{problems:?}"
    );
    assert!(refused[0].contains(VERSION), "{refused:?}");
    // The conversation goes on under the running rules.
    let card = finish(&standin, q2, USER).await;
    assert!(footer(&card).contains(VERSION), "{}", footer(&card));
    // Posted and pinned under this version.
    let (_, posted) = post(&standin, &card, USER, "en-US").await;
    pin_as(&standin, posted.id, STRANGER, MOD_PERMS, "en-US")
        .await
        .expect("moderators may pin");
    // The owner asking from Discord gets the problems listed.
    let said = reload_as(&standin, owner).await;
    assert!(said.starts_with("Nothing changed"), "{said}");
    assert!(said.contains("activation-check.toml:"), "{said}");
    assert_eq!(
        reload_as(&standin, STRANGER).await,
        text("en-US", "error-not-owner")
    );

    // Fixed, with a new version and a reworded button.
    edit(&rules, "start = \"nowhere\"", "start = \"concern\"");
    edit(
        &rules,
        &format!("version = \"{VERSION}\""),
        "version = \"2026.12.07\"",
    );
    edit(
        &i18n.join("en-US/discord.ftl"),
        "button-restart = Start over",
        "button-restart = Start again",
    );
    edit(
        &i18n.join("en-US/discord.ftl"),
        "cmd-pins-description = Moderators:",
        "cmd-pins-description = Moderators (edited):",
    );
    hangup(&bot);
    logged(&bot, "reloaded the rules and texts", 1).await;
    // The commands' texts are registered again.
    let described = eventually(WAIT, || {
        standin
            .commands()
            .into_iter()
            .find(|c| c.name == "activation-pins")
            .filter(|c| {
                c.json["description_localizations"]["en-US"]
                    .as_str()
                    .is_some_and(|d| d.starts_with("Moderators (edited):"))
            })
    })
    .await;
    assert!(described.is_some(), "{:?}", standin.commands());
    // A button of the old version carries its answers over.
    let carried = click(&standin, &card, &verb_id(&card, 'b'), USER, "en-US").await;
    assert_eq!(carried.content(), text("en-US", "rules-updated"));
    let labels: Vec<String> = carried
        .components()
        .iter()
        .flat_map(|r| r["components"].as_array().cloned().unwrap_or_default())
        .filter_map(|c| c["label"].as_str().map(str::to_owned))
        .collect();
    assert!(labels.contains(&"Start again".to_owned()), "{labels:?}");
    let card = finish(&standin, carried, USER).await;
    assert!(footer(&card).contains("2026.12.07"), "{}", footer(&card));

    // From Discord, by the owner.
    let said = reload_as(&standin, owner).await;
    assert!(said.starts_with("Reloaded: rules 2026.12.07"), "{said}");

    // The card pinned under the old version is listed as outdated.
    let d = standin
        .send_slash_command(
            SlashCommand::new("activation-pins")
                .user(STRANGER)
                .in_guild(GUILD, CHANNEL)
                .member_permissions(MOD_PERMS)
                .locale("en-US"),
        )
        .await;
    let listed = reply(&standin, d.interaction_id).await;
    assert!(
        listed
            .content()
            .contains(&format!("/{CHANNEL}/{}", posted.id)),
        "{}",
        listed.content()
    );
    assert!(
        listed.content().contains("2026.12.07"),
        "{}",
        listed.content()
    );
    drop(bot);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reload_under_load_loses_no_click() {
    const USERS: u64 = 6;
    const ROUNDS: usize = 3;
    let standin = StandIn::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let (bot, rules, _) = start(&standin, tmp.path()).await;
    let standin = std::sync::Arc::new(standin);
    let reloading = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(true));
    let mut users = Vec::new();
    for u in 0..USERS {
        let (standin, reloading) = (standin.clone(), reloading.clone());
        users.push(tokio::spawn(async move {
            let user = USER + 100 + u;
            let mut rounds = 0;
            // Conversations from start to card and over again, for as long as the
            // reloads go on.
            while rounds < ROUNDS || reloading.load(std::sync::atomic::Ordering::SeqCst) {
                let q = slash(&standin, user, "en-US", false).await;
                // `reply` asserts every click was answered in time, with a 204.
                let card = finish(&standin, q, user).await;
                assert!(
                    card.content().is_empty() || card.content() == text("en-US", "rules-updated"),
                    "{:?}",
                    card.content()
                );
                let restart = click(&standin, &card, &verb_id(&card, 'r'), user, "en-US").await;
                assert!(!restart.embeds().is_empty(), "{:?}", restart.content());
                rounds += 1;
            }
            rounds
        }));
    }
    // Reload ten times while they click, between two versions.
    for i in 0..10 {
        let (from, to) = if i % 2 == 0 {
            (VERSION, "2026.12.08")
        } else {
            ("2026.12.08", VERSION)
        };
        edit(
            &rules,
            &format!("version = \"{from}\""),
            &format!("version = \"{to}\""),
        );
        hangup(&bot);
        logged(&bot, "reloaded the rules and texts", i + 1).await;
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    reloading.store(false, std::sync::atomic::Ordering::SeqCst);
    for u in users {
        assert!(u.await.expect("a user's clicks all worked") >= ROUNDS);
    }
    let callbacks = standin.callbacks();
    assert!(callbacks.iter().all(|c| c.status == 204));
    // Clicks made under one version were answered under the next.
    let carried = text("en-US", "rules-updated");
    let updated = callbacks
        .iter()
        .filter(|c| {
            c.body
                .as_ref()
                .is_some_and(|b| b.to_string().contains(&carried))
        })
        .count();
    assert!(
        updated > 0,
        "no click crossed a reload ({} clicks)",
        callbacks.len()
    );
    for bad in ["error-internal", "error-busy", "error-bad-component"] {
        let sentence = text("en-US", bad);
        for c in standin.callbacks() {
            let body = c.body.as_ref().map(|b| b.to_string()).unwrap_or_default();
            assert!(!body.contains(&sentence), "a click got {bad}: {:?}", c.body);
        }
    }
    assert!(
        bot.log_lines_mentioning("panicked").is_empty(),
        "{}",
        bot.log()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn past_review_by_the_log_and_the_moderators_commands_say_so() {
    let standin = StandIn::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let (rules_dir, i18n) = knowledge_copy(tmp.path());
    let rules = rules_dir.join("activation-check.toml");
    edit(
        &rules,
        "review_by = \"2027-06-06\"",
        "review_by = \"2026-11-30\"",
    );
    let bot = Bot::start_with(
        &standin,
        &tmp.path().join("data"),
        BotRun {
            rules_dir: Some(rules_dir),
            args: vec!["--i18n-dir".to_owned(), i18n.display().to_string()],
            ..BotRun::default()
        },
    )
    .await;
    let warned = logged(&bot, "due for review by 2026-11-30", 1).await;
    assert!(warned[0].contains("activation-check.toml:"), "{warned:?}");
    for (command, locale, sentence) in [
        (
            "activation-pins",
            "en-US",
            "due for review on November 30, 2026",
        ),
        ("activation-stats", "ja", "2026年11月30日までに見直す予定"),
    ] {
        let d = standin
            .send_slash_command(
                SlashCommand::new(command)
                    .user(USER)
                    .in_guild(GUILD, CHANNEL)
                    .member_permissions(MOD_PERMS)
                    .locale(locale),
            )
            .await;
        let said = reply(&standin, d.interaction_id).await.content().to_owned();
        let first = said.split("\n\n").next().unwrap_or_default();
        assert!(first.contains(sentence), "{command}: {said}");
    }
}

#[test]
fn rules_check_warns_past_review_by_and_still_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let (rules_dir, i18n) = knowledge_copy(tmp.path());
    let run = |rules_dir: &Path| {
        std::process::Command::new(env!("CARGO_BIN_EXE_activation-check"))
            .args(["rules", "check", "--rules-dir"])
            .arg(rules_dir)
            .arg("--i18n-dir")
            .arg(&i18n)
            .output()
            .unwrap()
    };
    let fresh = run(&rules_dir);
    assert!(fresh.status.success());
    assert!(!String::from_utf8_lossy(&fresh.stderr).contains("review"));
    let rules = rules_dir.join("activation-check.toml");
    edit(
        &rules,
        "review_by = \"2027-06-06\"",
        "review_by = \"2026-11-30\"",
    );
    let line = std::fs::read_to_string(&rules)
        .unwrap()
        .lines()
        .position(|l| l.starts_with("review_by"))
        .unwrap()
        + 1;
    let due = run(&rules_dir);
    assert!(due.status.success(), "a warning, not a failure");
    let err = String::from_utf8_lossy(&due.stderr);
    assert!(
        err.contains(&format!(
            "{}:{line}: warning: the knowledge was due for review by 2026-11-30",
            rules.display()
        )),
        "{err}"
    );
    assert!(String::from_utf8_lossy(&due.stdout).contains("review: due since 2026-11-30"));
}

/// `serve` reloads as `run` does: a worker started with the rules as shipped, the files
/// edited, SIGHUP, and the next conversation runs under the new version. Its /healthz
/// answers on the metrics address (there is no gateway; the store decides), and on sled
/// it serves `data export` with the figures counted in memory.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_serve_worker_reloads_on_sighup_answers_healthz_and_serves_exports() {
    use support::interactions::{Balancer, Policy, Signer, Worker};
    let standin = StandIn::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let (rules_dir, i18n) = knowledge_copy(tmp.path());
    let metrics = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let signer = Signer::new(21);
    let worker = Worker::start(
        env!("CARGO_BIN_EXE_activation-check"),
        &standin,
        &signer.public_key_hex(),
        &tmp.path().join("w"),
        &[
            "--rules-dir",
            rules_dir.to_str().unwrap(),
            "--i18n-dir",
            i18n.to_str().unwrap(),
            "--metrics-addr",
            &metrics.to_string(),
        ],
    );
    let balancer = Balancer::new(vec![worker.addr], Policy::RoundRobin, signer);
    standin.deliver_over_http(move |o| balancer.clone().post(o));

    let healthz =
        tokio::task::spawn_blocking(move || activation_check::ops::check(metrics, WAIT)).await;
    assert_eq!(healthz.unwrap(), Ok("ok".to_owned()), "{}", worker.log());

    let before = card(&standin, USER, "en-US").await;
    assert!(footer(&before).contains(VERSION), "{}", footer(&before));
    edit(
        &rules_dir.join("activation-check.toml"),
        &format!("version = \"{VERSION}\""),
        "version = \"2026.12.07\"",
    );
    worker.signal("HUP");
    eventually(WAIT, || {
        worker
            .log()
            .contains("reloaded the rules and texts")
            .then_some(())
    })
    .await
    .unwrap_or_else(|| panic!("no reload:\n{}", worker.log()));
    let after = card(&standin, STRANGER, "en-US").await;
    assert!(footer(&after).contains("2026.12.07"), "{}", footer(&after));

    // The worker holds its data directory: it serves the export, figures included.
    let out = tmp.path().join("export.jsonl");
    let exported = std::process::Command::new(env!("CARGO_BIN_EXE_activation-check"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["data", "export", "--data-dir"])
        .arg(tmp.path().join("w"))
        .arg("--out")
        .arg(&out)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&exported.stderr);
    assert!(said.contains("served by the running bot"), "{said}");
    let figures: Vec<serde_json::Value> = std::fs::read_to_string(&out)
        .unwrap()
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .filter(|v| v["tree"] == "json/figures")
        .collect();
    let started: i64 = figures
        .iter()
        .map(|v| v["value"]["started"].as_i64().unwrap_or(0))
        .sum();
    assert_eq!(started, 2, "{figures:?}");
    assert!(!worker.log().contains("panicked"), "{}", worker.log());
}
