//! Fluent consistency of the shipped texts: every message exists in every locale with the
//! same variables (`Localizer::problems()` is empty); every id the rules reference and every
//! `knowledge::CODE_MESSAGES` id exists in every locale; nothing the program formats contains
//! bidi isolation marks (U+2068/U+2069) or an unfilled `{$variable}`; and no referenced id
//! falls back at run time (formatting it in each locale returns that locale's own text, not
//! the id and not the default locale's text).

mod support;

use std::collections::BTreeSet;

use activation_check::card::{Card, TimeStyle};
use activation_check::engine::Walk;
use activation_check::i18n::LocaleId;
use activation_check::knowledge::{self, CODE_MESSAGES};
use support::cli::*;

const BIDI: [char; 2] = ['\u{2068}', '\u{2069}'];

/// Every message id the program formats: the rules' ids and the code's own.
fn referenced_ids() -> BTreeSet<String> {
    let rules = &knowledge().rules;
    rules
        .message_ids()
        .into_iter()
        .map(|(id, _)| id.to_owned())
        .chain(CODE_MESSAGES.iter().map(|s| (*s).to_owned()))
        .collect()
}

/// `id` formatted in `locale` with a value for each variable it declares.
fn format_with_all_variables(locale: LocaleId, id: &str) -> String {
    let l10n = &knowledge().l10n;
    let info = &l10n.messages(locale)[id];
    let args: Vec<(&str, String)> = info
        .variables
        .iter()
        .map(|v| (v.as_str(), format!("<{v}>")))
        .collect();
    l10n.format(locale, id, &args)
}

#[test]
fn every_message_exists_in_every_locale_with_the_same_variables() {
    let l10n = &knowledge().l10n;
    let problems: Vec<String> = l10n.problems().iter().map(|p| p.to_string()).collect();
    assert!(problems.is_empty(), "{}", problems.join("\n"));
    let mut tags = l10n.tags();
    tags.sort_unstable();
    assert_eq!(tags, ["en-US", "ja"]);
    // The same ids, explicitly.
    let ids: Vec<BTreeSet<&String>> = l10n
        .locale_ids()
        .map(|l| l10n.messages(l).keys().collect())
        .collect();
    assert!(ids.windows(2).all(|w| w[0] == w[1]));
}

#[test]
fn every_referenced_id_exists_in_every_locale() {
    let k = knowledge();
    let referenced = referenced_ids();
    assert!(referenced.len() > CODE_MESSAGES.len());
    for l in k.l10n.locale_ids() {
        let messages = k.l10n.messages(l);
        let missing: Vec<&String> = referenced
            .iter()
            .filter(|id| !messages.contains_key(*id))
            .collect();
        assert!(missing.is_empty(), "{}: missing {missing:?}", k.l10n.tag(l));
    }
    assert!(knowledge::cross_check(&k.rules, &k.l10n).is_empty());
}

#[test]
fn no_referenced_id_falls_back_at_run_time() {
    let k = knowledge();
    let en = locale("en-US");
    let ja = locale("ja");
    for id in referenced_ids() {
        for l in [en, ja] {
            let text = format_with_all_variables(l, &id);
            assert_ne!(text, id, "{}: `{id}` formats as its own id", k.l10n.tag(l));
            assert!(
                !text.trim().is_empty(),
                "{}: `{id}` is empty",
                k.l10n.tag(l)
            );
            assert!(
                !text.contains("{$"),
                "{}: `{id}` has an unfilled variable: {text}",
                k.l10n.tag(l)
            );
        }
        // A message missing in ja would silently come out in English.
        assert_ne!(
            format_with_all_variables(ja, &id),
            format_with_all_variables(en, &id),
            "`{id}` in ja is the en-US text"
        );
    }
}

#[test]
fn no_output_contains_bidi_isolation_marks() {
    let k = knowledge();
    // Every message, with its variables filled.
    for l in k.l10n.locale_ids() {
        for id in k.l10n.messages(l).keys() {
            let text = format_with_all_variables(l, id);
            assert!(!text.contains(BIDI), "{}: `{id}`: {text:?}", k.l10n.tag(l));
        }
    }
    // Every card, which passes phone numbers, dates and times as variables.
    for s in own_scenarios() {
        let walk = Walk::from_facts(&k.rules, &s.facts).unwrap();
        for tag in LOCALES {
            for style in [TimeStyle::Rfc3339, TimeStyle::Discord] {
                let card =
                    Card::build(&k.rules, &walk, &k.l10n, locale(tag), FIXED_TIME, style).unwrap();
                let text = card.render_text();
                assert!(!text.contains(BIDI), "{} ({tag}): {text}", s.name);
                assert!(!text.contains("{$"), "{} ({tag}): {text}", s.name);
            }
        }
    }
}
