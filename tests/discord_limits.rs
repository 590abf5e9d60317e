//! Every message the bot can show fits Discord's limits, in every locale: each outcome's
//! card (ephemeral with buttons, and posted), each question, the resume offer, and every
//! sentence; with the longest ids (owner and step at their maximum).

use std::collections::BTreeMap;
use std::path::Path;

use activation_check::card::{Card, TimeStyle};
use activation_check::conversation::progress_text;
use activation_check::conversation::{QuestionView, View};
use activation_check::discord::spec::{self, Owner};
use activation_check::engine::{Position, Walk};
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

/// One walk reaching each node, found breadth-first.
fn walks(k: &Knowledge) -> BTreeMap<String, Walk> {
    let rules = &k.rules;
    let mut found = BTreeMap::new();
    let mut queue = vec![Walk::start(rules)];
    while let Some(w) = queue.pop() {
        let id = match w.position(rules) {
            Position::Asking(_, q) => q.id.clone(),
            Position::Done(_, o) => o.id.clone(),
        };
        if found.contains_key(&id) {
            continue;
        }
        if let Position::Asking(_, q) = w.position(rules) {
            for i in 0..q.choices.len() {
                queue.push(w.answer(rules, i).unwrap());
            }
        }
        found.insert(id, w);
    }
    found
}

fn owner() -> Owner {
    Owner {
        user: u64::MAX,
        rules_tag: "ffffffff".into(),
        step: u64::MAX,
    }
}

#[test]
fn every_card_and_question_fits_in_every_locale() {
    let k = knowledge();
    let rules = &k.rules;
    let walks = walks(&k);
    assert_eq!(walks.len(), rules.nodes().count(), "every node reached");
    let mut checked_cards = 0;
    for loc in k.l10n.locale_ids() {
        for w in walks.values() {
            let view = match w.position(rules) {
                Position::Done(..) => {
                    let card =
                        Card::build(rules, w, &k.l10n, loc, i64::MAX / 2, TimeStyle::Discord)
                            .unwrap();
                    let posted = spec::card_message(&card);
                    assert!(
                        posted.violations().is_empty(),
                        "{}: {:?}",
                        card.outcome,
                        posted.violations()
                    );
                    assert!(posted.embed_chars() <= spec::limits::EMBED_TOTAL_CHARS);
                    // Nothing was clipped to fit: the whole card is shown.
                    let all: String = posted
                        .embeds
                        .iter()
                        .filter_map(|e| e.description.clone())
                        .collect();
                    assert!(
                        !all.contains('…'),
                        "{} in {} was clipped",
                        card.outcome,
                        k.l10n.tag(loc)
                    );
                    checked_cards += 1;
                    View::Card(Box::new(card))
                }
                Position::Asking(_, q) => {
                    let progress = w.progress(rules);
                    let qv = QuestionView {
                        node: q.id.clone(),
                        fact: q.fact.clone(),
                        text: k.l10n.text(loc, &q.text),
                        help: q.help.as_ref().map(|h| k.l10n.text(loc, h)),
                        choices: q
                            .choices
                            .iter()
                            .map(|c| k.l10n.text(loc, &c.label))
                            .collect(),
                        progress,
                        progress_text: progress_text(&k.l10n, loc, progress),
                        can_go_back: w.answered() > 0,
                    };
                    let offer = spec::resume_offer(&qv, &k.l10n, loc, &owner());
                    assert!(offer.violations().is_empty(), "{:?}", offer.violations());
                    // Buttons, not a select menu, for every shipped question.
                    assert!(qv.choices.len() <= spec::MAX_CHOICE_BUTTONS);
                    View::Question(qv)
                }
            };
            let m = spec::view_message(&view, &k.l10n, loc, &owner());
            assert!(m.violations().is_empty(), "{:?}", m.violations());
            for row in &m.rows {
                for c in row {
                    if let spec::Component::Button { label, .. } = c {
                        assert!(!label.contains('…'), "button label clipped: {label}");
                    }
                }
            }
        }
        for id in CODE_MESSAGES {
            let n = spec::notice(k.l10n.text(loc, id), Vec::new());
            assert!(n.violations().is_empty(), "{id}: {:?}", n.violations());
        }
    }
    assert_eq!(
        checked_cards,
        rules.outcomes().count() * k.l10n.locale_ids().count()
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
