//! Loading the rules and the texts together, and checking them against each other.
//!
//! The rules reference Fluent ids, and the code references a fixed set of its own
//! ([`CODE_MESSAGES`]). Both are checked here against every locale, so a bot that starts
//! never meets a missing text, and `rules check` reports every gap as `file:line`.

use std::path::Path;
use std::sync::Arc;

use crate::i18n::Localizer;
use crate::problem::{Problem, Problems};
use crate::rules::{self, Rules};

/// Message ids the code formats directly, wherever they are used.
pub const CODE_MESSAGES: &[&str] = &[
    // The card (src/card.rs).
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
    // The conversation (src/conversation.rs).
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
    "error-internal",
    "error-busy",
    "error-unreadable",
    "button-forget",
    "outdated-none",
    "outdated-header",
    "outdated-line",
    "rules-updated",
    "rules-updated-dropped",
    "step-not-shown",
];

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
        return Err(Problems::sorted(problems));
    }
    Ok(Knowledge {
        rules: Arc::new(rules),
        l10n: Arc::new(l10n),
    })
}

/// Every problem between rules and texts: messages missing in a locale (reported where
/// they are referenced) and messages that differ across locales.
pub fn cross_check(rules: &Rules, l10n: &Localizer) -> Vec<Problem> {
    let code_file = Path::new(file!());
    let referenced = rules
        .message_ids()
        .into_iter()
        .map(|(id, line)| (id, rules.path(), line))
        .chain(CODE_MESSAGES.iter().map(|id| (*id, code_file, 0)));
    let mut problems = l10n.missing(referenced);
    problems.extend(l10n.problems());
    problems
}
