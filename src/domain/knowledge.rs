//! Loading the rules and the texts together, and checking them against each other.
//!
//! The rules reference Fluent ids, and the code references a fixed set of its own
//! ([`CODE_MESSAGES`]). Both are checked here against every locale, so a bot that starts
//! never meets a missing text, and `rules check` reports every gap as `file:line`.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::Arc;

use crate::domain::i18n::Localizer;
use crate::domain::problem::{Problem, Problems};
use crate::domain::rules::{self, Rules};

/// Message ids the code formats directly, wherever they are used.
pub const CODE_MESSAGES: &[&str] = &[
    // The card (src/domain/card.rs).
    "card-what-to-do",
    "card-answers-title",
    "card-phone-activation-title",
    "card-phone-activation-body",
    "card-reach-operator-title",
    "card-reach-operator-body",
    "card-checklist-title",
    "card-checklist-body",
    "card-caveat-title",
    "card-caveat-body",
    "card-sources-title",
    "card-source-line",
    "card-source-line-undated",
    "card-fact-group",
    "card-fact-separator",
    "card-kind-desk",
    "card-kind-author",
    "card-kind-outside",
    "card-kind-note",
    "card-generated",
    "card-rules-version",
    "card-support-title",
    "card-support-body",
    "card-date",
    "card-age",
    "card-dated",
    "card-and",
    "card-local-time",
    "note-win10-support-ended",
    "note-win10-support-ended-if-still",
    "note-digital-license",
    "note-digital-license-if-free-upgrade",
    // The conversation (src/domain/conversation.rs).
    "progress",
    // The terminal (src/term.rs).
    "term-intro",
    "term-prompt",
    "term-done-prompt",
    "term-invalid",
    "term-resumed",
    "term-saved-quit",
    "term-at-first",
    "term-help-label",
    "ask-missing-fact",
    "ask-unknown-value",
    "ask-fact-twice",
    "ask-unknown-fact",
    "ask-did-you-mean",
    "ask-known-facts",
    "term-severity-good",
    "term-severity-info",
    "term-severity-caution",
    "term-severity-danger",
    "term-fact-ids",
    "term-answers-so-far",
    "term-finished-quit",
    "term-interrupted",
    "term-interrupted-finished",
    // The Discord bot (src/discord/).
    "cmd-ask-name",
    "cmd-ask-description",
    "cmd-pins-name",
    "cmd-pins-description",
    "cmd-pin-name",
    "button-back",
    "button-restart",
    "button-continue",
    "button-post",
    "select-placeholder",
    "resume-title",
    "resume-body",
    "posted",
    "pinned",
    "forgotten",
    "stale-session",
    "outdated-click",
    "outdated-none",
    "outdated-header",
    "outdated-line",
    "outdated-line-menu",
    "outdated-more",
    "error-discord-slow",
    "error-bad-component",
    "error-not-yours",
    "error-save",
    "error-cannot-post",
    "error-not-a-card",
    "error-guild-only",
    "error-pin-permission",
    "error-pin-limit",
    "error-pin-unknown-message",
    "error-pin-failed",
    "error-member-cannot-pin",
    "error-pin-check-failed",
    "error-internal",
    "error-busy",
    "error-unreadable",
    "button-forget",
    "outdated-none",
    "outdated-header",
    "outdated-line",
    // The static site (src/site/).
    "site-locale-name",
    "site-locale-switch",
    "site-title",
    "site-intro",
    "site-tree-title",
    "site-tree-help",
    "site-tree-files",
    "site-outcomes-title",
    "site-col-card",
    "site-col-verdict",
    "site-col-severity",
    "site-col-paths",
    "site-severity-good",
    "site-severity-info",
    "site-severity-caution",
    "site-severity-danger",
    "site-col-source",
    "site-col-title",
    "site-col-date",
    "site-col-age",
    "site-col-facts",
    "site-undated",
    "site-age-today",
    "site-age-day",
    "site-age-days",
    "site-age-month",
    "site-age-months",
    "site-age-year",
    "site-age-years",
    "site-back",
    "site-card-title",
    "site-card-note",
    "site-paths-title",
    "site-path-command",
    "rules-updated",
    "rules-updated-dropped",
    "step-not-shown",
    // For the people who keep the knowledge (src/discord/usage.rs, src/discord/reload.rs,
    // src/domain/review.rs).
    "button-helped",
    "button-not-helped",
    "voted-helped",
    "voted-not-helped",
    "button-check-own",
    "cmd-stats-name",
    "cmd-stats-description",
    "cmd-reload-name",
    "cmd-reload-description",
    "error-may-not-see-stats",
    "stats-none",
    "stats-header",
    "stats-top-drop-off",
    "stats-no-drop-off",
    "stats-least-helpful",
    "stats-no-votes",
    "stats-outcomes",
    "stats-outcome-line",
    "stats-more",
    "error-not-owner",
    "reload-done",
    "reload-this-worker-only",
    "reload-failed",
    "reload-more",
    "reload-unavailable",
    "review-due",
];

/// The variables [`crate::domain::card::Card::build`] passes to every text it formats: the phone
/// numbers of the rules' `[phone]`.
pub const CARD_VARIABLES: &[&str] = &["desk_number", "support_number"];

/// The variables the program passes to each of its own messages ([`CODE_MESSAGES`]); a
/// message not listed here gets none. `rules check` refuses a text that uses any other
/// variable: it would show as a raw `{$name}`.
pub const CODE_MESSAGE_VARIABLES: &[(&str, &[&str])] = &[
    // The card (src/domain/card.rs): its sections through the same formatter as the rules'
    // card texts, then its source lines and footer with their own values.
    ("card-what-to-do", CARD_VARIABLES),
    ("card-answers-title", CARD_VARIABLES),
    ("card-phone-activation-title", CARD_VARIABLES),
    ("card-phone-activation-body", CARD_VARIABLES),
    ("card-reach-operator-title", CARD_VARIABLES),
    ("card-reach-operator-body", CARD_VARIABLES),
    ("card-checklist-title", CARD_VARIABLES),
    ("card-checklist-body", CARD_VARIABLES),
    ("card-caveat-title", CARD_VARIABLES),
    ("card-caveat-body", &["when"]),
    // A button made under older rules (src/discord/click.rs).
    ("rules-updated-dropped", &["dropped"]),
    ("card-support-title", CARD_VARIABLES),
    ("card-support-body", CARD_VARIABLES),
    ("note-win10-support-ended", CARD_VARIABLES),
    ("note-win10-support-ended-if-still", CARD_VARIABLES),
    ("note-digital-license", CARD_VARIABLES),
    ("note-digital-license-if-free-upgrade", CARD_VARIABLES),
    ("card-sources-title", CARD_VARIABLES),
    ("card-fact-separator", CARD_VARIABLES),
    ("card-kind-desk", CARD_VARIABLES),
    ("card-kind-author", CARD_VARIABLES),
    ("card-kind-outside", CARD_VARIABLES),
    ("card-kind-note", CARD_VARIABLES),
    ("card-source-line", &["id", "title", "date", "facts"]),
    ("card-source-line-undated", &["id", "title", "facts"]),
    ("card-fact-group", &["kind", "ids"]),
    ("card-generated", &["generated"]),
    ("card-rules-version", &["version", "review_by"]),
    // Dates, ages and times (src/domain/card.rs), also on the site.
    ("card-date", &["year", "month", "day"]),
    ("card-age", &["unit", "n"]),
    ("card-dated", &["dates", "age"]),
    (
        "card-local-time",
        &["date", "time", "zone", "name", "offset"],
    ),
    // The conversation (src/domain/conversation.rs).
    ("progress", &["number", "at_most"]),
    // The terminal (src/term.rs, src/main.rs).
    ("term-prompt", &["count"]),
    ("term-invalid", &["input"]),
    ("ask-missing-fact", &["question", "fact", "allowed"]),
    (
        "ask-unknown-value",
        &["question", "fact", "value", "allowed"],
    ),
    ("ask-fact-twice", &["fact", "first", "second"]),
    ("ask-unknown-fact", &["fact"]),
    ("ask-did-you-mean", &["suggestion"]),
    ("ask-known-facts", &["known"]),
    ("term-interrupted", &["answered"]),
    // The Discord bot (src/discord/).
    ("resume-body", &["progress", "question"]),
    ("posted", &["link"]),
    ("outdated-none", &["version"]),
    ("outdated-header", &["count", "version"]),
    (
        "outdated-line",
        &["link", "version", "answer", "pinner", "pinned_at"],
    ),
    ("outdated-line-menu", &["link", "version", "answer", "seen"]),
    ("outdated-more", &["count"]),
    // The static site (src/site/).
    ("site-age-days", &["n"]),
    ("site-age-months", &["n"]),
    ("site-age-years", &["n"]),
    ("site-card-note", &["answers"]),
    // For the people who keep the knowledge.
    (
        "stats-header",
        &["from", "to", "started", "finished", "abandoned"],
    ),
    ("stats-top-drop-off", &["question", "count"]),
    ("stats-least-helpful", &["answer", "yes", "no"]),
    (
        "stats-outcome-line",
        &["answer", "reached", "posted", "pinned", "yes", "no"],
    ),
    ("stats-more", &["count"]),
    ("reload-done", &["version", "previous"]),
    ("reload-failed", &["count", "version"]),
    ("reload-more", &["count"]),
    ("review-due", &["date"]),
];

/// The variables passed to each message the rules or the program format, with where
/// it is referenced. A message used in several places gets only what every one of them
/// passes:
/// - the texts of a question (`text`, `help`, choice labels) are shown by the
///   conversation without variables (the card's list of answers would pass the phone
///   numbers, the question does not);
/// - an outcome's `headline` also heads `/activation-pins` lines, without variables;
/// - an outcome's `explain` and `steps`, and sources' titles, appear on the card only:
///   [`CARD_VARIABLES`];
/// - the program's own messages: [`CODE_MESSAGE_VARIABLES`].
pub fn passed_variables(rules: &Rules) -> BTreeMap<&str, Vec<&'static str>> {
    let mut uses: Vec<(&str, &'static [&'static str])> = Vec::new();
    for s in &rules.sources {
        uses.push((&s.title, CARD_VARIABLES));
    }
    for q in rules.questions() {
        uses.push((&q.text, &[]));
        if let Some(h) = &q.help {
            uses.push((h, &[]));
        }
        for c in &q.choices {
            uses.push((&c.label, &[]));
        }
    }
    for o in rules.outcomes() {
        uses.push((&o.headline, &[]));
        uses.push((&o.explain, CARD_VARIABLES));
        for step in &o.steps {
            uses.push((step, CARD_VARIABLES));
        }
    }
    for id in CODE_MESSAGES {
        let passed = CODE_MESSAGE_VARIABLES
            .iter()
            .find(|(m, _)| m == id)
            .map_or(&[][..], |(_, v)| *v);
        uses.push((id, passed));
    }
    let mut out: BTreeMap<&str, Vec<&'static str>> = BTreeMap::new();
    for (id, passed) in uses {
        out.entry(id)
            .and_modify(|v| v.retain(|p| passed.contains(p)))
            .or_insert_with(|| passed.to_vec());
    }
    out
}

/// Rules and texts, loaded and checked against each other.
#[derive(Debug, Clone)]
pub struct Knowledge {
    pub rules: Arc<Rules>,
    pub l10n: Arc<Localizer>,
}

/// Loads `rules_file` and `i18n_dir` and checks that every message the rules or the code
/// use exists in every locale with the same variables.
pub fn load(
    rules_file: &Path,
    i18n_dir: &Path,
    default_locale: &str,
) -> Result<Knowledge, Problems> {
    let rules = rules::load(rules_file);
    let l10n = Localizer::load(i18n_dir, default_locale);
    let (rules, l10n) = match (rules, l10n) {
        (Ok(r), Ok(l)) => (r, l),
        (r, l) => {
            let mut all = Vec::new();
            for e in [r.err(), l.err()].into_iter().flatten() {
                all.extend(e.0);
            }
            return Err(Problems::sorted(all));
        }
    };
    let problems = cross_check(&rules, &l10n);
    if !problems.is_empty() {
        // Ids referenced but missing first: a message defined in one locale under a
        // misspelt id is explained by them, not by the other locales lacking it.
        let (missing, rest): (Vec<Problem>, Vec<Problem>) = problems
            .into_iter()
            .partition(|p| p.message.contains(MISSING_MARK));
        let mut all = Problems::sorted(missing).0;
        all.extend(Problems::sorted(rest).0);
        return Err(Problems(all));
    }
    Ok(Knowledge {
        rules: Arc::new(rules),
        l10n: Arc::new(l10n),
    })
}

/// How [`Localizer::missing`] words a referenced id that a locale lacks.
const MISSING_MARK: &str = "is referenced here but missing in locale";

/// Every problem between rules and texts: messages missing in a locale (reported where
/// they are referenced), messages that differ across locales, and variables the
/// program does not pass to the message using them (reported at the variable).
pub fn cross_check(rules: &Rules, l10n: &Localizer) -> Vec<Problem> {
    let code_file = Path::new(file!());
    let referenced: Vec<(&str, &Path, usize)> = rules
        .message_ids()
        .into_iter()
        .map(|(id, line)| (id, rules.path(), line))
        .chain(CODE_MESSAGES.iter().map(|id| (*id, code_file, 0)))
        .collect();
    let used: BTreeSet<&str> = referenced.iter().map(|(id, _, _)| *id).collect();
    let mut problems = l10n.missing(referenced);
    debug_assert!(problems.iter().all(|p| p.message.contains(MISSING_MARK)));
    problems.extend(l10n.consistency_problems(&used));
    for (id, passed) in passed_variables(rules) {
        problems.extend(l10n.unpassed_variables(id, &passed));
    }
    problems
}
