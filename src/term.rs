//! `activation-check ask`: the conversation in a terminal.
//!
//! Interactive mode goes through the same [`Conversation`] as the Discord bot, so its
//! session is saved after every step and a run killed midway resumes at the same
//! question. Non-interactive mode (`--answer FACT=VALUE`) walks the tree from the given
//! facts without touching the store, so moderators can draft a card while the bot runs.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use serde::Serialize;

use crate::card::{rfc3339, Card, TimeStyle};
use crate::conversation::{Click, ConvError, Conversation, Reply, Step, View};
use crate::custom_id::{Action, CustomId, Place};
use crate::engine::{FactError, Walk};
use crate::i18n::{LocaleId, Localizer};
use crate::rules::Rules;
use crate::session::{SessionKey, SessionStore};

/// Writes a reply as the terminal shows it.
pub fn render(reply: &Reply, l10n: &Localizer, out: &mut impl Write) -> std::io::Result<()> {
    let locale = reply.locale;
    match &reply.view {
        View::Question(q) => {
            writeln!(out, "\n[{}]", q.progress_text)?;
            writeln!(out, "{}", q.text)?;
            if let Some(help) = &q.help {
                // A hint of several lines stays indented under the question.
                writeln!(
                    out,
                    "  ({}: {})",
                    l10n.text(locale, "term-help-label"),
                    help.replace('\n', "\n   ")
                )?;
            }
            for (i, c) in q.choices.iter().enumerate() {
                writeln!(out, "  {}) {}", i + 1, c)?;
            }
            let count = q.choices.len().to_string();
            writeln!(
                out,
                "{}",
                l10n.format(locale, "term-prompt", &[("count", count)])
            )?;
        }
        View::Card(card) => {
            writeln!(out, "\n{}", card.render_text())?;
            writeln!(out, "{}", l10n.text(locale, "term-done-prompt"))?;
        }
    }
    write!(out, "> ")?;
    out.flush()
}

/// Runs the interactive conversation until the user quits or input ends. The session is
/// stored after every step, so quitting (or being killed) loses nothing.
pub async fn interactive<S: SessionStore>(
    conv: &Conversation<S>,
    key: &SessionKey,
    locale: LocaleId,
    mut input: impl BufRead,
    out: &mut impl Write,
) -> Result<(), TermError> {
    let l10n = &*conv.l10n;
    writeln!(out, "{}", l10n.text(locale, "term-intro"))?;
    let opened = conv.open(key, locale).await?;
    if opened.resumed {
        writeln!(out, "{}", l10n.text(locale, "term-resumed"))?;
    }
    let mut reply = opened.reply;
    render(&reply, l10n, out)?;
    let mut line = String::new();
    loop {
        line.clear();
        if input.read_line(&mut line)? == 0 {
            writeln!(out)?;
            writeln!(out, "{}", l10n.text(locale, "term-saved-quit"))?;
            return Ok(());
        }
        let typed = line.trim();
        let action = match (typed, &reply.view) {
            ("q" | "Q", _) => {
                writeln!(out, "{}", l10n.text(locale, "term-saved-quit"))?;
                return Ok(());
            }
            ("b" | "B", _) => Some((Action::Back, None)),
            ("r" | "R", _) => Some((Action::Restart, None)),
            (n, View::Question(q)) => n
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=q.choices.len()).contains(n))
                .map(|n| (Action::Select, Some(n - 1))),
            (_, View::Card(_)) => None,
        };
        let Some(action) = action else {
            writeln!(
                out,
                "{}",
                l10n.format(locale, "term-invalid", &[("input", typed.to_owned())])
            )?;
            render(&reply, l10n, out)?;
            continue;
        };
        // The same judgement as a Discord click, on the conversation as shown.
        let (action, picked) = action;
        let id = CustomId::new(
            action,
            0,
            conv.rules_tag(),
            reply.step,
            Place::Terminal,
            reply.answers,
        );
        let click = Click {
            key,
            clicker: 0,
            locale,
            id: &id,
            picked,
        };
        match conv.click(click).await? {
            Step::Moved(next)
            | Step::Repeated(next)
            | Step::Shown(next)
            | Step::Outdated(next)
            | Step::Updated { reply: next, .. } => reply = next,
            Step::AtFirst(_) => {
                writeln!(out, "{}", l10n.text(locale, "term-at-first"))?;
            }
            // Not offered in the terminal.
            Step::Post(_) | Step::Forgotten { .. } | Step::Gone | Step::NotYours => {}
        }
        render(&reply, l10n, out)?;
    }
}

/// Why the terminal front end stopped.
#[derive(Debug, thiserror::Error)]
pub enum TermError {
    #[error(transparent)]
    Conversation(#[from] ConvError),
    #[error("terminal input/output failed: {0}")]
    Io(#[from] std::io::Error),
}

/// One answered question in `--format json`.
#[derive(Debug, Serialize)]
pub struct JsonStep {
    pub question: String,
    pub fact: String,
    pub value: String,
    pub choice: usize,
    pub label: String,
}

#[derive(Debug, Serialize)]
pub struct JsonSource {
    pub id: String,
    pub date: Option<String>,
}

/// The `--format json` object.
#[derive(Debug, Serialize)]
pub struct JsonAnswer {
    pub outcome: String,
    pub verdict: String,
    pub facts: BTreeMap<String, String>,
    pub transcript: Vec<JsonStep>,
    pub card: String,
    pub sources: Vec<JsonSource>,
    pub generated_at: String,
    pub rules_version: String,
    pub locale: String,
}

/// A card drafted from given facts.
#[derive(Debug)]
pub struct Drafted {
    pub walk: Walk,
    pub card: Card,
}

/// Walks the tree from `facts` (`--answer FACT=VALUE`) and builds the card.
pub fn draft(
    rules: &Rules,
    l10n: &Localizer,
    locale: LocaleId,
    facts: &BTreeMap<String, String>,
    now: i64,
) -> Result<Drafted, FactError> {
    let walk = Walk::from_facts(rules, facts)?;
    let card = Card::build(rules, &walk, l10n, locale, now, TimeStyle::Rfc3339)
        .expect("from_facts ends at an outcome");
    Ok(Drafted { walk, card })
}

impl Drafted {
    pub fn to_json(&self, rules: &Rules, l10n: &Localizer, locale: LocaleId) -> JsonAnswer {
        let card = &self.card;
        JsonAnswer {
            outcome: card.outcome.clone(),
            verdict: card.verdict.as_str().to_owned(),
            facts: self.walk.facts(rules),
            transcript: self
                .walk
                .transcript(rules)
                .into_iter()
                .map(|t| JsonStep {
                    label: l10n.text(locale, &t.label),
                    question: t.question,
                    fact: t.fact,
                    value: t.value,
                    choice: t.choice,
                })
                .collect(),
            card: card.render_text(),
            sources: card
                .sources
                .iter()
                .map(|s| JsonSource {
                    id: s.id.clone(),
                    date: s.date.clone(),
                })
                .collect(),
            generated_at: rfc3339(card.generated_at),
            rules_version: card.rules_version.clone(),
            locale: card.locale.clone(),
        }
    }
}

/// The localized sentence for a fact that `--answer` did not give or gave wrongly.
pub fn fact_error_text(e: &FactError, rules: &Rules, l10n: &Localizer, locale: LocaleId) -> String {
    let question_text = |id: &str| {
        rules
            .find(id)
            .and_then(|i| rules.question(i))
            .map(|q| format!("`{id}` ({})", l10n.text(locale, &q.text)))
            .unwrap_or_else(|| format!("`{id}`"))
    };
    match e {
        FactError::Missing {
            question,
            fact,
            allowed,
        } => l10n.format(
            locale,
            "ask-missing-fact",
            &[
                ("question", question_text(question)),
                ("fact", fact.clone()),
                ("allowed", allowed.join(", ")),
            ],
        ),
        FactError::UnknownValue {
            question,
            fact,
            value,
            allowed,
        } => l10n.format(
            locale,
            "ask-unknown-value",
            &[
                ("question", question_text(question)),
                ("fact", fact.clone()),
                ("value", value.clone()),
                ("allowed", allowed.join(", ")),
            ],
        ),
    }
}

/// Parses one `--answer FACT=VALUE`.
pub fn parse_answer(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((f, v)) if !f.trim().is_empty() && !v.trim().is_empty() => {
            Ok((f.trim().to_owned(), v.trim().to_owned()))
        }
        _ => Err(format!("expected FACT=VALUE, got `{s}`")),
    }
}
