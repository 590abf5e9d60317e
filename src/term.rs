//! `activation-check ask`: the conversation in a terminal.
//!
//! Interactive mode goes through the same [`Conversation`] as the Discord bot, so its
//! session is saved after every step and a run killed midway resumes at the same
//! question (showing the answers given so far). Non-interactive mode (`--answer
//! FACT=VALUE`) walks the tree from the given facts without touching the store, so
//! moderators can draft a card while the bot runs.
//!
//! A terminal is not Discord: text is wrapped to its width by display columns (CJK
//! characters are two wide, and Japanese breaks between characters), the cards'
//! Markdown is shown as plain text, the severity is a label (coloured only on a terminal,
//! not with `NO_COLOR`), and every way out (`q`, end of input, Ctrl-C) says truthfully
//! what was kept: a finished check is not resumed.

use std::collections::BTreeMap;
use std::io::{BufRead, Write};

use serde::Serialize;

use crate::card::{plain, rfc3339, Card, TextBlock, TimeStyle, RULE, RULE_WIDTH};
use crate::conversation::{Click, ConvError, Conversation, Reply, Step, View};
use crate::custom_id::{Action, CustomId, Place};
use crate::engine::{FactError, Walk};
use crate::i18n::{LocaleId, Localizer};
use crate::rules::{Rules, Severity};
use crate::session::{SessionKey, SessionStore};

/// How the terminal shows text: the width to wrap to (`None`: lines as they are) and
/// whether to colour the severity label and section titles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Style {
    pub width: Option<usize>,
    pub colour: bool,
}

/// The narrowest width wrapped to: below it a line of a few words would not fit.
pub const MIN_WIDTH: usize = 20;

impl Style {
    /// Unwrapped and uncoloured, for pipes and files.
    pub const PLAIN: Style = Style {
        width: None,
        colour: false,
    };

    /// For standard output: the width from `COLUMNS` when set, else the terminal's own
    /// when it is one, else no wrapping (a pipe or a file gets whole lines); colour on a
    /// terminal unless `NO_COLOR`.
    pub fn for_stdout() -> Style {
        use std::io::IsTerminal;
        let tty = std::io::stdout().is_terminal();
        let columns = std::env::var("COLUMNS")
            .ok()
            .and_then(|c| c.trim().parse::<usize>().ok())
            .filter(|c| *c > 0);
        let width = columns.or_else(|| tty.then(textwrap::termwidth));
        Style {
            width: width.map(|w| w.max(MIN_WIDTH)),
            colour: crate::logging::use_colour(tty),
        }
    }

    /// `text` (which may hold several lines) wrapped to the width by display columns
    /// (a CJK character takes two), breaking where Unicode allows (between CJK
    /// characters too, never before 」 or 。); `first` leads the first line, `rest`
    /// the others.
    fn wrap(&self, text: &str, first: &str, rest: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (n, line) in text.split('\n').enumerate() {
            let lead = if n == 0 { first } else { rest };
            match self.width {
                None => out.push(format!("{lead}{line}")),
                Some(width) => {
                    let options = textwrap::Options::new(width)
                        .initial_indent(lead)
                        .subsequent_indent(rest);
                    let wrapped = textwrap::wrap(line, options);
                    if wrapped.is_empty() {
                        out.push(lead.trim_end().to_owned());
                    }
                    out.extend(wrapped.into_iter().map(|l| l.into_owned()));
                }
            }
        }
        out
    }

    fn paint(&self, text: &str, code: &str) -> String {
        if self.colour {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }
}

/// Spaces as wide as `s` on screen.
fn blank_as(s: &str) -> String {
    " ".repeat(textwrap::core::display_width(s))
}

/// The card's severity as a label: its text and its colour (SGR code).
fn severity_label(
    severity: Severity,
    l10n: &Localizer,
    locale: LocaleId,
) -> (String, &'static str) {
    let (id, colour) = match severity {
        Severity::Good => ("term-severity-good", "1;32"),
        Severity::Info => ("term-severity-info", "1;36"),
        Severity::Caution => ("term-severity-caution", "1;33"),
        Severity::Danger => ("term-severity-danger", "1;31"),
    };
    (format!("[{}]", l10n.text(locale, id)), colour)
}

/// The card as the terminal shows it: [`Card::text_blocks`] as plain text, wrapped to
/// the width, list items hanging under their text, the headline led by the severity
/// label (coloured on a terminal), and a note saying what the fact numbers in the
/// source lines are.
pub fn card_text(card: &Card, l10n: &Localizer, locale: LocaleId, style: Style) -> String {
    let mut blocks = card.text_blocks();
    if !card.sources.is_empty() {
        // After the source lines, before the footer's blank line and rule.
        if let Some(rule) = blocks.iter().position(|b| *b == TextBlock::Rule) {
            let note = l10n.text(locale, "term-fact-ids");
            blocks.insert(rule.saturating_sub(1), TextBlock::Line(plain(&note)));
        }
    }
    let mut lines: Vec<String> = Vec::new();
    for block in blocks {
        match block {
            TextBlock::Headline(h) => {
                let (label, colour) = severity_label(card.severity, l10n, locale);
                let lead = format!("■ {label} ");
                let mut wrapped = style.wrap(&h, &lead, &blank_as("■ "));
                if let Some(first) = wrapped.first_mut() {
                    *first = first.replacen(&label, &style.paint(&label, colour), 1);
                }
                lines.extend(wrapped);
            }
            TextBlock::Title(t) => lines.extend(
                style
                    .wrap(&t, "", "")
                    .into_iter()
                    .map(|l| style.paint(&l, "1")),
            ),
            TextBlock::Line(t) => lines.extend(style.wrap(&t, "", "")),
            TextBlock::Item {
                indent,
                marker,
                text,
            } => {
                let lead = format!("{}{marker}", " ".repeat(indent));
                lines.extend(style.wrap(&text, &lead, &blank_as(&lead)));
            }
            TextBlock::Blank => lines.push(String::new()),
            TextBlock::Rule => {
                let n = style.width.map_or(RULE_WIDTH, |w| w.min(RULE_WIDTH));
                lines.push(RULE.repeat(n));
            }
        }
    }
    let mut out = lines.join("\n");
    out.push('\n');
    out
}

/// Writes a reply as the terminal shows it.
pub fn render(
    reply: &Reply,
    l10n: &Localizer,
    style: Style,
    out: &mut impl Write,
) -> std::io::Result<()> {
    let locale = reply.locale;
    let mut lines = Vec::new();
    match &reply.view {
        View::Question(q) => {
            lines.push(String::new());
            lines.extend(style.wrap(&format!("[{}]", plain(&q.progress_text)), "", ""));
            lines.extend(style.wrap(&plain(&q.text), "", ""));
            if let Some(help) = &q.help {
                // A hint of several lines stays indented under the question.
                let label = l10n.text(locale, "term-help-label");
                let text = format!("({label}: {})", plain(help));
                lines.extend(style.wrap(&text, "  ", "   "));
            }
            for (i, c) in q.choices.iter().enumerate() {
                let lead = format!("  {}) ", i + 1);
                lines.extend(style.wrap(&plain(c), &lead, &blank_as(&lead)));
            }
            let count = q.choices.len().to_string();
            let prompt = l10n.format(locale, "term-prompt", &[("count", count)]);
            lines.extend(style.wrap(&prompt, "", ""));
        }
        View::Card(card) => {
            lines.push(String::new());
            lines.push(card_text(card, l10n, locale, style));
            lines.extend(style.wrap(&l10n.text(locale, "term-done-prompt"), "", ""));
        }
    }
    for line in lines {
        writeln!(out, "{line}")?;
    }
    write!(out, "> ")?;
    out.flush()
}

/// Writes `text` wrapped to the style's width.
fn say(out: &mut impl Write, style: Style, text: &str) -> std::io::Result<()> {
    for line in style.wrap(text, "", "") {
        writeln!(out, "{line}")?;
    }
    Ok(())
}

/// How an interactive run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ending {
    /// The user typed `q`.
    Quit,
    /// The input ended.
    EndOfInput,
    /// Interrupted (Ctrl-C): the caller exits with 130.
    Interrupted,
}

/// The answers given so far, as "question → answer" lines, for a resumed conversation:
/// the answers the reply carries, replayed through the running rules.
fn answers_so_far<S: SessionStore>(
    conv: &Conversation<S>,
    reply: &Reply,
    locale: LocaleId,
) -> Vec<String> {
    let rules = &*conv.rules;
    let l10n = &*conv.l10n;
    let answers: Vec<_> = reply.answers.iter().collect();
    let (walk, _) = crate::conversation::carried(rules, &answers);
    walk.transcript(rules)
        .iter()
        .filter_map(|e| {
            let q = rules.find(&e.question).and_then(|i| rules.question(i))?;
            Some(format!(
                "{} → {}",
                plain(&l10n.text(locale, &q.text)),
                plain(&l10n.text(locale, &e.label))
            ))
        })
        .collect()
}

/// What the user typed, as the prompt reads it: full-width forms (what a Japanese
/// input method types: 「１」, 「ｑ」) as their ASCII letters and digits, and an
/// ideographic space as a space, then trimmed.
pub fn normalize_input(typed: &str) -> String {
    typed
        .chars()
        .map(|c| match c {
            '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            '\u{3000}' => ' ',
            c => c,
        })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Runs the interactive conversation until the user quits, the input ends or
/// `interrupt` resolves (Ctrl-C). The session is stored after every step, so none of
/// these loses an answer, and each says what was kept. `input` is read on a thread of
/// its own, so an interrupt is seen while a line is awaited.
pub async fn interactive<S: SessionStore>(
    conv: &Conversation<S>,
    key: &SessionKey,
    locale: LocaleId,
    input: impl BufRead + Send + 'static,
    out: &mut impl Write,
    interrupt: impl std::future::Future<Output = ()>,
    style: Style,
) -> Result<Ending, TermError> {
    let l10n = &*conv.l10n;
    let mut interrupt = std::pin::pin!(interrupt);
    let (lines_tx, mut lines) = tokio::sync::mpsc::unbounded_channel();
    std::thread::spawn(move || {
        let mut input = input;
        loop {
            let mut line = String::new();
            match input.read_line(&mut line) {
                Ok(0) => return,
                Ok(_) => {
                    if lines_tx.send(Ok(line)).is_err() {
                        return;
                    }
                }
                Err(e) => {
                    let _ = lines_tx.send(Err(e));
                    return;
                }
            }
        }
    });
    say(out, style, &l10n.text(locale, "term-intro"))?;
    let opened = conv.open(key, locale).await?;
    if opened.resumed {
        say(out, style, &l10n.text(locale, "term-resumed"))?;
        let answers = answers_so_far(conv, &opened.reply, locale);
        if !answers.is_empty() {
            say(out, style, &l10n.text(locale, "term-answers-so-far"))?;
            for a in answers {
                for line in style.wrap(&a, "  - ", "    ") {
                    writeln!(out, "{line}")?;
                }
            }
        }
    }
    let mut reply = opened.reply;
    render(&reply, l10n, style, out)?;
    loop {
        let line = tokio::select! {
            line = lines.recv() => line,
            () = &mut interrupt => {
                writeln!(out)?;
                let text = match &reply.view {
                    View::Question(q) => l10n.format(
                        locale,
                        "term-interrupted",
                        &[("answered", (q.progress.number.saturating_sub(1)).to_string())],
                    ),
                    View::Card(_) => l10n.text(locale, "term-interrupted-finished"),
                };
                say(out, style, &text)?;
                out.flush()?;
                return Ok(Ending::Interrupted);
            }
        };
        let finished_words = |view: &View| match view {
            View::Question(_) => l10n.text(locale, "term-saved-quit"),
            // A finished check is not resumed: the next run starts a new one.
            View::Card(_) => l10n.text(locale, "term-finished-quit"),
        };
        let line = match line {
            Some(line) => line?,
            None => {
                writeln!(out)?;
                say(out, style, &finished_words(&reply.view))?;
                return Ok(Ending::EndOfInput);
            }
        };
        let typed = normalize_input(&line);
        let action = match (typed.as_str(), &reply.view) {
            ("q" | "Q", view) => {
                say(out, style, &finished_words(view))?;
                return Ok(Ending::Quit);
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
            let shown = line.trim().to_owned();
            say(
                out,
                style,
                &l10n.format(locale, "term-invalid", &[("input", shown)]),
            )?;
            render(&reply, l10n, style, out)?;
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
                say(out, style, &l10n.text(locale, "term-at-first"))?;
            }
            // Not offered in the terminal.
            Step::Post(_)
            | Step::Forgotten { .. }
            | Step::Gone
            | Step::NotYours
            | Step::Opened(_)
            | Step::Voted { .. } => {}
        }
        render(&reply, l10n, style, out)?;
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
    /// The numbers of the source's statements this card rests on (`A1`, `B4`).
    pub facts: Vec<String>,
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

/// Walks the tree from `facts` (`--answer FACT=VALUE`) and builds the card, with its
/// generation time in `style` (local time for people, RFC 3339 for JSON).
pub fn draft(
    rules: &Rules,
    l10n: &Localizer,
    locale: LocaleId,
    facts: &BTreeMap<String, String>,
    now: i64,
    style: TimeStyle,
) -> Result<Drafted, FactError> {
    let walk = Walk::from_facts(rules, facts)?;
    let card =
        Card::build(rules, &walk, l10n, locale, now, style).expect("from_facts ends at an outcome");
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
                    facts: s.facts.clone(),
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
    let (id, question, fact, value, allowed) = match e {
        FactError::Missing {
            question,
            fact,
            allowed,
        } => ("ask-missing-fact", question, fact, None, allowed),
        FactError::UnknownValue {
            question,
            fact,
            value,
            allowed,
        } => ("ask-unknown-value", question, fact, Some(value), allowed),
    };
    let mut args = vec![
        ("question", question_text(question)),
        ("fact", fact.clone()),
    ];
    args.extend(value.map(|v| ("value", v.clone())));
    args.push(("allowed", allowed.join(", ")));
    l10n.format(locale, id, &args)
}

/// The sentence refusing `--answer` facts that are no fact of the rules (a typo such as
/// `concer=...` would otherwise be ignored, and the run would then ask for `concern`):
/// the unknown names, the known ones, and the closest known name when one is near.
/// `None` when every fact is known.
pub fn unknown_facts_text(
    facts: &BTreeMap<String, String>,
    rules: &Rules,
    l10n: &Localizer,
    locale: LocaleId,
) -> Option<String> {
    let known: Vec<&str> = rules.facts.iter().map(|f| f.name.as_str()).collect();
    let unknown: Vec<&str> = facts
        .keys()
        .map(String::as_str)
        .filter(|f| !known.contains(f))
        .collect();
    if unknown.is_empty() {
        return None;
    }
    let mut lines = Vec::new();
    for typed in &unknown {
        lines.push(l10n.format(locale, "ask-unknown-fact", &[("fact", (*typed).to_owned())]));
        if let Some(name) = crate::problem::nearest(typed, known.iter().copied()) {
            lines.push(l10n.format(
                locale,
                "ask-did-you-mean",
                &[("suggestion", name.to_owned())],
            ));
        }
    }
    lines.push(l10n.format(locale, "ask-known-facts", &[("known", known.join(", "))]));
    let text = lines.join("\n");
    Some(text)
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
