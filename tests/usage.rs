//! Usage figures after real conversations, through the real bot and the Discord stand-in:
//! "Did this help?" on the user's own card (one vote per conversation, changeable), "Check
//! my own PC" on a posted card (the clicker's own conversation), `/activation-stats` for
//! moderators only (ephemeral, localized, with the top drop-off question and the least
//! helpful answer), and `activation-check stats` (text and JSON) on the same data,
//! without a user id anywhere in it.

mod support;

use support::standin::{InteractionOpts, SlashCommand, StandIn, StoredMessage};
use support::walks::*;

const ALICE: u64 = 950_000_000_000_000_011;
const BOB: u64 = 950_000_000_000_000_012;
const MODERATOR: u64 = 950_000_000_000_000_013;

/// The "Did this help?" button of `card` that answers `yes` (or no).
fn vote_id(card: &StoredMessage, yes: bool) -> String {
    let ends = if yes { [":y", ":Y"] } else { [":n", ":N"] };
    component(card, |id| {
        id.starts_with("ac1:h:") && ends.iter().any(|e| id.ends_with(e))
    })
}

/// Whether the button `id` of `m` is disabled.
fn disabled(m: &StoredMessage, id: &str) -> bool {
    m.components()
        .iter()
        .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
        .any(|c| c["custom_id"] == id && c["disabled"] == true)
}

async fn stats_as(standin: &StandIn, user: u64, bits: u64, locale: &str) -> StoredMessage {
    let d = standin
        .send_slash_command(
            SlashCommand::new("activation-stats")
                .user(user)
                .in_guild(GUILD, CHANNEL)
                .member_permissions(bits)
                .guild_locale(locale)
                .locale(locale),
        )
        .await;
    reply(standin, d.interaction_id).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn figures_appear_after_real_conversations_and_name_no_one() {
    let standin = StandIn::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let bot = Bot::start(&standin, &data).await;

    // Alice reaches a card, says it helped, then changes her mind; a double click on
    // the same answer counts nothing more.
    let card = card(&standin, ALICE, "en-US").await;
    let outcome_headline = title(&card);
    let yes = vote_id(&card, true);
    let voted = click(&standin, &card, &yes, ALICE, "en-US").await;
    assert_eq!(voted.content(), text("en-US", "voted-helped"));
    assert_eq!(title(&voted), outcome_headline, "the card stays as it was");
    assert!(
        disabled(&voted, &vote_id(&voted, true)),
        "{:?}",
        voted.components()
    );
    let no = vote_id(&voted, false);
    assert!(no.ends_with(":N"), "a change from yes: {no}");
    // A double click on "no": both answered, counted once.
    let both = standin
        .send_components(&[
            support::standin::ComponentClick::button(voted.id, &no)
                .user(ALICE)
                .locale("en-US"),
            support::standin::ComponentClick::button(voted.id, &no)
                .user(ALICE)
                .locale("en-US"),
        ])
        .await;
    for d in &both {
        reply(&standin, d.interaction_id).await;
    }
    let changed = standin.message(voted.id).unwrap();
    assert!(
        changed
            .content()
            .starts_with("Thank you: counted as not helpful"),
        "{:?}",
        changed.content()
    );

    // Someone else's vote button is not theirs.
    let d = standin
        .send_component(
            support::standin::ComponentClick::button(card.id, &vote_id(&changed, true))
                .user(BOB)
                .locale("en-US"),
        )
        .await;
    assert_eq!(
        reply(&standin, d.interaction_id).await.content(),
        text("en-US", "error-not-yours")
    );

    // Alice posts her card; it carries "Check my own PC", which opens Bob's own check.
    let (_, posted) = post(&standin, &changed, ALICE, "en-US").await;
    assert!(!posted.is_ephemeral());
    let own = verb_id(&posted, 'o');
    let bobs = click(&standin, &posted, &own, BOB, "ja").await;
    assert!(bobs.is_ephemeral(), "Bob's check is his own");
    assert!(
        bobs.custom_ids()
            .iter()
            .all(|id| id.contains(&format!(":{BOB}:"))),
        "every button is Bob's: {:?}",
        bobs.custom_ids()
    );
    assert_ne!(
        title(&bobs),
        outcome_headline,
        "Bob starts at the first question"
    );
    assert_eq!(
        standin.message(posted.id).unwrap().embeds(),
        posted.embeds(),
        "the posted card is left alone"
    );

    // A moderator pins it.
    pin_as(&standin, posted.id, MODERATOR, MOD_PERMS, "en-US")
        .await
        .expect("moderators may pin");
    assert!(standin.pins_in(CHANNEL).contains(&posted.id));

    // The figures, for moderators only, in their language.
    let refused = stats_as(&standin, BOB, MEMBER, "ja").await;
    assert!(refused.is_ephemeral());
    assert_eq!(refused.content(), text("ja", "error-may-not-see-stats"));
    let shown = stats_as(&standin, MODERATOR, MOD_PERMS, "en-US").await;
    assert!(shown.is_ephemeral());
    let said = shown.content();
    assert!(
        said.contains("2 check(s) started, 1 finished, 0 given up"),
        "{said}"
    );
    assert!(
        said.contains(&format!(
            "Least helpful answer: “{outcome_headline}” (0 said it helped, 1 said it did not)"
        )),
        "{said}"
    );
    assert!(said.contains(&text("en-US", "stats-no-drop-off")), "{said}");
    assert!(
        said.contains(&format!("- {outcome_headline}: 1 / 1 / 1 / 0–1")),
        "{said}"
    );
    let ja = stats_as(&standin, MODERATOR, MOD_PERMS, "ja").await;
    assert!(
        ja.content().contains("開始 2 件、完了 1 件"),
        "{}",
        ja.content()
    );
    for m in [&refused, &shown, &ja] {
        assert!(!m.content().contains(&ALICE.to_string()), "{}", m.content());
    }

    // The command line cannot read them while the bot holds the data directory, and
    // says where they are.
    let out = cli(&data, &["stats"]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ask /activation-stats in Discord"), "{err}");

    // The same figures from the command line, once the bot has stopped.
    bot.stop();
    let out = cli(&data, &["stats", "--format", "json"]);
    support::bot::assert_succeeded(&out);
    let json = String::from_utf8(out.stdout).unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["totals"]["started"], 2, "{json}");
    assert_eq!(v["totals"]["finished"], 1, "{json}");
    assert_eq!(v["by_place"][format!("g{GUILD}")]["started"], 2, "{json}");
    assert_eq!(v["by_locale"]["ja"]["started"], 1, "{json}");
    assert_eq!(v["by_locale"]["en-US"]["started"], 1, "{json}");
    let least = &v["least_helpful"];
    assert_eq!(
        (least["helped"].clone(), least["not_helped"].clone()),
        (0.into(), 1.into())
    );
    let line = &v["outcomes"][0];
    assert_eq!(
        (&line["reached"], &line["posted"], &line["pinned"]),
        (&1.into(), &1.into(), &1.into()),
        "{json}"
    );
    for id in [ALICE, BOB, MODERATOR, CHANNEL, posted.id] {
        assert!(!json.contains(&id.to_string()), "{id} in {json}");
    }
    let day = v["first_day"].as_str().unwrap();
    assert_eq!(day.len(), 10, "days only: {day}");

    let out = cli(&data, &["stats", "--guild", "1"]);
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "no usage figures yet\n"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_is_registered_for_every_member_and_reload_nowhere_by_default() {
    let standin = StandIn::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let _bot = Bot::start(&standin, &tmp.path().join("data")).await;
    let commands = standin.commands();
    let stats = commands
        .iter()
        .find(|c| c.name == "activation-stats")
        .expect("registered");
    assert!(stats.guild_id.is_none());
    assert_eq!(
        stats.json["name_localizations"]["ja"],
        text("ja", "cmd-stats-name")
    );
    assert!(
        !commands.iter().any(|c| c.name == "activation-reload"),
        "no server is configured for reloading"
    );
}

/// `serve` counts as `run` does, and its workers share the figures: a conversation
/// whose clicks alternate between two workers on one PostgreSQL database, the first
/// worker stopped (it adds what it counted as it stops), and the other answers
/// /activation-stats with both workers' counts. The owner's /activation-reload reloads
/// the worker that received it, and says it reloaded that worker only. Its /healthz says
/// whether the database answers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_workers_share_their_figures_and_reload_one_by_one() {
    use support::interactions::{Balancer, Policy, Signer, Worker};
    let Some((url, standin, tmp)) = support::postgres::with_standin().await else {
        return;
    };
    let signer = Signer::new(31);
    let guild = GUILD.to_string();
    let args = ["--store", url.as_str(), "--admin-guild", guild.as_str()];
    let bin = env!("CARGO_BIN_EXE_activation-check");
    let key = signer.public_key_hex();
    let mut w0 = Worker::start(bin, &standin, &key, &tmp.path().join("w0"), &args);
    let metrics = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .to_string();
    let with_metrics = [&args[..], &["--metrics-addr", metrics.as_str()]].concat();
    let w1 = Worker::start(bin, &standin, &key, &tmp.path().join("w1"), &with_metrics);
    let balancer = Balancer::new(vec![w0.addr, w1.addr], Policy::RoundRobin, signer);
    {
        let b = balancer.clone();
        standin.deliver_over_http(move |o| b.clone().post(o));
    }
    // The command on worker 0, the card reached on worker 1 (round robin).
    let reached = card(&standin, ALICE, "en-US").await;
    assert!(reached
        .custom_ids()
        .iter()
        .any(|id| id.starts_with("ac1:p:")));
    let served: std::collections::BTreeSet<usize> = standin
        .callbacks()
        .iter()
        .filter_map(|c| balancer.served_by(c.interaction_id))
        .collect();
    assert_eq!(served.len(), 2, "both workers answered: {served:?}");

    w0.stop();
    let shown = stats_as(&standin, MODERATOR, MOD_PERMS, "en-US").await;
    let said = shown.content();
    assert!(
        said.contains("1 check(s) started, 1 finished, 0 given up"),
        "{said}\n{}",
        w1.log()
    );

    let reloaded = reload_as(&standin, standin.config().default_user_id).await;
    assert!(
        reloaded.starts_with("Reloaded:")
            && reloaded.ends_with(&text("en-US", "reload-this-worker-only")),
        "{reloaded}"
    );

    // /healthz says whether the database answers: yes, then (the database gone) no.
    let metrics: std::net::SocketAddr = metrics.parse().unwrap();
    let healthz = move || activation_check::ops::check(metrics, WAIT);
    assert_eq!(
        tokio::task::spawn_blocking(healthz).await.unwrap(),
        Ok("ok".to_owned())
    );
    let name = url.rsplit('/').next().unwrap();
    let (admin, connection) = tokio_postgres::connect(
        &support::postgres::admin_url().unwrap(),
        tokio_postgres::NoTls,
    )
    .await
    .unwrap();
    tokio::spawn(connection);
    admin
        .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
        .await
        .unwrap();
    let mut down = None;
    for _ in 0..40 {
        match tokio::task::spawn_blocking(healthz).await.unwrap() {
            Err(why) => {
                down = Some(why);
                break;
            }
            Ok(_) => tokio::time::sleep(std::time::Duration::from_millis(250)).await,
        }
    }
    let down = down.expect("/healthz noticed the database is gone");
    assert!(
        down.contains("503") && down.contains("store: the database does not answer"),
        "{down}"
    );
    assert!(!w1.log().contains("panicked"), "{}", w1.log());
}
