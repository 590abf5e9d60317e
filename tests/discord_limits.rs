//! Every message the bot can show fits Discord's limits, in every locale: each outcome's
//! card (ephemeral with buttons, and posted), each question, the resume offer, and every
//! sentence; with the longest ids (owner and step at their maximum).

use std::path::Path;

use activation_check::discord::spec;
use activation_check::knowledge::{self, Knowledge, CODE_MESSAGES};

fn knowledge() -> Knowledge {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    knowledge::load(
        &root.join("rules/activation-check.toml"),
        &root.join("i18n"),
        "en-US",
    )
    .unwrap()
}

#[test]
fn every_card_and_question_fits_in_every_locale() {
    let k = knowledge();
    // Every question, resume offer and card (ephemeral and posted), along every path, in
    // every locale, with the longest ids: within the limits and nothing cut short. The
    // same check runs in `rules check` and at the bot's start.
    assert_eq!(spec::fit_problems(&k), Vec::new());
    // Buttons, not a select menu, for every shipped question.
    for q in k.rules.questions() {
        assert!(q.choices.len() <= spec::MAX_CHOICE_BUTTONS, "{}", q.id);
    }
    // Every sentence the code sends.
    for loc in k.l10n.locale_ids() {
        for id in CODE_MESSAGES {
            let n = spec::notice(k.l10n.text(loc, id), Vec::new());
            assert!(n.violations().is_empty(), "{id}: {:?}", n.violations());
        }
    }
}

#[test]
fn a_text_cut_to_fit_is_reported() {
    // What the check reports as cut short.
    let long = spec::Embed {
        description: Some(spec::clip(
            &"z".repeat(5000),
            spec::limits::EMBED_DESCRIPTION_CHARS,
        )),
        ..Default::default()
    };
    let m = spec::MessageSpec {
        content: None,
        embeds: vec![long],
        rows: Vec::new(),
    };
    assert_eq!(
        m.clipped(),
        vec!["embed description cut at 4096 characters".to_owned()]
    );
}

#[test]
fn limits_are_enforced() {
    let mut m = spec::notice("x".repeat(2001), Vec::new());
    m.content = Some("x".repeat(2001));
    assert_eq!(m.violations(), vec!["content: 2001 > 2000".to_owned()]);
    let big = spec::Embed {
        description: Some("y".repeat(4000)),
        ..Default::default()
    };
    let m = spec::MessageSpec {
        content: None,
        embeds: vec![big.clone(), big],
        rows: Vec::new(),
    };
    assert!(m
        .violations()
        .iter()
        .any(|v| v.starts_with("embed characters: 8000")));
    assert_eq!(spec::clip("abcdef", 4), "abc…");
}
