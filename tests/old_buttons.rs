//! Buttons made under older rules, through the real bot: their answers are carried into the
//! rules in force. The user continues at the first question those answers do not settle,
//! told in one sentence that the questions were updated, and the buttons shown from then on
//! are the running rules' own.
//!
//! The older rules are a copy of those shipped on 2026-11-21
//! (`tests/data/rules-2026.11.21.toml`); a button made then is built from them exactly as
//! the bot built it.

mod support;

use activation_check::custom_id::{rules_tag, Action, CustomId, Place, Symbol};
use activation_check::engine::{Position, Walk};

use support::buttons::shipped_rules;
use support::cli::four_answers_settled;
use support::standin::StandIn;
use support::walks::*;

const USER: u64 = 934_000_000_000_000_001;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_old_rules_button_continues_in_the_running_rules() {
    let old = activation_check::rules::load(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rules-2026.11.21.toml"),
    )
    .expect("the copy of the 2026-11-21 rules loads");
    let shipped = shipped_rules();
    assert_ne!(old.meta.version, shipped.meta.version);

    let standin = StandIn::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    // Messages on the users' screens, from before the bot restarted (the stand-in keeps
    // them; what they carry is set below).
    let bot = Bot::start(&standin, &dir).await;
    let mut messages = Vec::new();
    for (n, locale) in ["en-US", "ja"].into_iter().enumerate() {
        messages.push(slash(&standin, USER + n as u64, locale, false).await);
    }
    bot.stop();
    let bot = Bot::start(&standin, &dir).await;
    for (n, locale) in ["en-US", "ja"].into_iter().enumerate() {
        let user = USER + n as u64;
        // The message on the user's screen: made under the 2026-11-21 rules, at the
        // installation ID question after other parts changed on a 7/8.1 free upgrade.
        let shown = messages[n].clone();
        let mut before = Walk::start(&old);
        for v in ["hardware-change", "other-parts", "free-upgrade-win7-8"] {
            let Position::Asking(_, q) = before.position(&old) else {
                unreachable!()
            };
            let choice = q.choices.iter().position(|c| c.value == v).unwrap();
            before = before.answer(&old, choice).unwrap();
        }
        let yes = Symbol::of("installation_id_shown", "yes").unwrap();
        let old_button = CustomId::new(
            Action::Answer(yes),
            user,
            rules_tag(&old.meta.version),
            12,
            Place::Server,
            before.symbols(&old),
        )
        .encode();
        // (The stand-in's message holds today's buttons; the click carries the old one,
        // as Discord would from a message made then.)
        let m = click_unseen(&standin, shown.id, &old_button, user, locale).await;
        assert_eq!(m.id, shown.id, "updated in place");
        assert_eq!(m.content(), text(locale, "rules-updated"), "{locale}");
        // Where the four answers lead in the running rules.
        let expected = four_answers_settled(shipped);
        assert!(expected.answered() >= 2, "the answers carry over");
        let tag = rules_tag(&shipped.meta.version);
        for id in m.custom_ids() {
            let id = CustomId::decode(&id).unwrap();
            assert_eq!(id.rules_tag, tag, "the running rules' buttons");
            assert_eq!(id.answers, expected.symbols(shipped));
            assert_eq!(id.step, 13);
        }
        // From here the conversation goes on as any other: the first choice moves it,
        // without a sentence.
        if let Position::Asking(_, q) = expected.position(shipped) {
            let next = answer_id(&m, &q.id, 0);
            let moved = click(&standin, &m, &next, user, locale).await;
            assert_eq!(moved.id, shown.id);
            assert!(moved.content().is_empty(), "{}", moved.content());
            assert_ne!(title(&moved), title(&m));
        }
    }
    assert_no_violations(&standin, None);
    drop(bot);
}
