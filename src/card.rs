//! The answer card as data, and its plain-text rendering.
//!
//! A card is built once from an outcome, the user's answers and a locale, with every
//! text already localized; front ends only lay it out (Discord embeds, the terminal, JSON)
//! and never decide what it says. So what a card states is tested once, here, for every
//! outcome and locale, and every front end shows the same statements.
//!
//! What every card holds, by the facts catalogue's contract: the verdict as a headline,
//! what to do step by step, the phone block its verdict requires (with the desk's number
//! and the advice to check it), the call checklist wherever a call is involved, and the
//! caveat (C1–C4) with the dates of the sources it rests on and its generation time.

use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::engine::Walk;
use crate::i18n::{LocaleId, Localizer};
use crate::rules::{Kind, Outcome, PhoneBlock, Rules, Severity, Verdict};

/// How the generation time appears inside the card's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeStyle {
    /// `2026-11-21T12:00:00Z`, for terminals and JSON.
    Rfc3339,
    /// `<t:UNIX:F>`, which each Discord client shows in its reader's own time zone.
    Discord,
}

/// A titled block of text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Section {
    pub title: String,
    pub body: String,
}

/// A titled list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ListSection {
    pub title: String,
    pub items: Vec<String>,
}

/// The source facts a card cites, grouped by source.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SourceRef {
    pub id: String,
    pub date: Option<String>,
    /// The cited fact ids, in the rules' order.
    pub facts: Vec<String>,
    /// The localized line shown for this source.
    pub line: String,
}

/// A finished answer, localized, ready to lay out.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Card {
    pub outcome: String,
    pub verdict: Verdict,
    pub severity: Severity,
    pub locale: String,
    pub headline: String,
    pub explain: String,
    /// The user's answers as shown (question → chosen label).
    pub answers: ListSection,
    pub steps: ListSection,
    pub phone: Option<(PhoneBlock, Section)>,
    pub checklist: Option<Section>,
    pub caveat: Section,
    pub sources_title: String,
    pub sources: Vec<SourceRef>,
    /// "Generated …", localized, with the time in the requested style.
    pub generated: String,
    /// "Rules …", localized.
    pub rules_line: String,
    /// Unix seconds.
    pub generated_at: i64,
    pub rules_version: String,
}

/// Formats unix seconds as RFC 3339 in UTC.
pub fn rfc3339(unix: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix.to_string())
}

impl Card {
    /// Builds the card for a finished walk. Returns `None` while the walk is still at a
    /// question.
    pub fn build(
        rules: &Rules,
        walk: &Walk,
        l10n: &Localizer,
        locale: LocaleId,
        generated_at: i64,
        style: TimeStyle,
    ) -> Option<Card> {
        let outcome = walk.outcome(rules)?;
        Some(Self::for_outcome(
            rules,
            outcome,
            walk,
            l10n,
            locale,
            generated_at,
            style,
        ))
    }

    fn for_outcome(
        rules: &Rules,
        o: &Outcome,
        walk: &Walk,
        l10n: &Localizer,
        locale: LocaleId,
        generated_at: i64,
        style: TimeStyle,
    ) -> Card {
        let numbers = [
            ("desk_number", rules.phone.activation_desk.clone()),
            ("support_number", rules.phone.general_support.clone()),
        ];
        let t = |id: &str| l10n.format(locale, id, &numbers);

        let answers = walk
            .transcript(rules)
            .iter()
            .map(|e| {
                let q = rules
                    .find(&e.question)
                    .and_then(|i| rules.question(i))
                    .expect("transcript entries are questions");
                format!("{} → {}", t(&q.text), t(&e.label))
            })
            .collect();

        let phone = o.phone.map(|block| {
            let (title, body) = match block {
                PhoneBlock::PhoneActivation => {
                    ("card-phone-activation-title", "card-phone-activation-body")
                }
                PhoneBlock::ReachOperator => {
                    ("card-reach-operator-title", "card-reach-operator-body")
                }
            };
            (
                block,
                Section {
                    title: t(title),
                    body: t(body),
                },
            )
        });

        let cited_facts = o.cited_facts();
        let sources = rules
            .sources
            .iter()
            .filter_map(|s| {
                let cited: Vec<(&str, Kind)> = s
                    .facts
                    .iter()
                    .filter(|(f, _)| cited_facts.contains(&f.as_str()))
                    .map(|(f, k)| (f.as_str(), *k))
                    .collect();
                if cited.is_empty() {
                    return None;
                }
                let mut groups: Vec<String> = Vec::new();
                for (kind, label) in [
                    (Kind::Desk, "card-kind-desk"),
                    (Kind::Author, "card-kind-author"),
                    (Kind::Outside, "card-kind-outside"),
                    (Kind::Note, "card-kind-note"),
                ] {
                    let ids: Vec<&str> = cited
                        .iter()
                        .filter(|(_, k)| *k == kind)
                        .map(|(f, _)| *f)
                        .collect();
                    if !ids.is_empty() {
                        groups.push(l10n.format(
                            locale,
                            "card-fact-group",
                            &[("kind", t(label)), ("ids", ids.join(", "))],
                        ));
                    }
                }
                let facts = groups.join(&t("card-fact-separator"));
                let title = t(&s.title);
                let line = match &s.date {
                    Some(date) => l10n.format(
                        locale,
                        "card-source-line",
                        &[
                            ("id", s.id.clone()),
                            ("title", title),
                            ("date", date.clone()),
                            ("facts", facts),
                        ],
                    ),
                    None => l10n.format(
                        locale,
                        "card-source-line-undated",
                        &[("id", s.id.clone()), ("title", title), ("facts", facts)],
                    ),
                };
                Some(SourceRef {
                    id: s.id.clone(),
                    date: s.date.clone(),
                    facts: cited.iter().map(|(f, _)| (*f).to_owned()).collect(),
                    line,
                })
            })
            .collect();

        let when = match style {
            TimeStyle::Rfc3339 => rfc3339(generated_at),
            TimeStyle::Discord => format!("<t:{generated_at}:F>"),
        };

        Card {
            outcome: o.id.clone(),
            verdict: o.verdict,
            severity: o.severity,
            locale: l10n.tag(locale).to_owned(),
            headline: t(&o.headline),
            explain: t(&o.explain),
            answers: ListSection {
                title: t("card-answers-title"),
                items: answers,
            },
            steps: ListSection {
                title: t("card-what-to-do"),
                items: o.steps.iter().map(|s| t(s)).collect(),
            },
            phone,
            checklist: o.checklist.then(|| Section {
                title: t("card-checklist-title"),
                body: t("card-checklist-body"),
            }),
            caveat: Section {
                title: t("card-caveat-title"),
                body: t("card-caveat-body"),
            },
            sources_title: t("card-sources-title"),
            sources,
            generated: l10n.format(locale, "card-generated", &[("generated", when)]),
            rules_line: l10n.format(
                locale,
                "card-rules-version",
                &[
                    ("version", rules.meta.version.clone()),
                    ("review_by", rules.meta.review_by.clone()),
                ],
            ),
            generated_at,
            rules_version: rules.meta.version.clone(),
        }
    }

    /// The card as plain text, for JSON output and logs: [`Card::text_blocks`], one a
    /// line, without wrapping.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        for block in self.text_blocks() {
            out.push_str(&block.plain_line());
            out.push('\n');
        }
        out
    }

    /// The card's layout as plain text, block by block: the terminal wraps each block to
    /// its width (a list item's lines hang under its text), [`Card::render_text`] joins
    /// them as they are. Every text is [`plain`]: the cards' Markdown (`**A**`) is for
    /// Discord.
    pub fn text_blocks(&self) -> Vec<TextBlock> {
        use TextBlock::*;
        let mut out = vec![Headline(plain(&self.headline)), Blank];
        body_blocks(&self.explain, &mut out);
        if !self.answers.items.is_empty() {
            out.push(Blank);
            out.push(Title(plain(&self.answers.title)));
            for a in &self.answers.items {
                out.push(item(2, "- ", a));
            }
        }
        out.push(Blank);
        out.push(Title(plain(&self.steps.title)));
        for (i, s) in self.steps.items.iter().enumerate() {
            out.push(item(2, &format!("{}. ", i + 1), s));
        }
        let sections = self
            .phone
            .iter()
            .map(|(_, s)| s)
            .chain(self.checklist.iter())
            .chain(std::iter::once(&self.caveat));
        for s in sections {
            out.push(Blank);
            out.push(Title(plain(&s.title)));
            body_blocks(&s.body, &mut out);
        }
        out.push(Blank);
        out.push(Title(plain(&self.sources_title)));
        for s in &self.sources {
            out.push(item(2, "- ", &s.line));
        }
        out.push(Blank);
        out.push(Rule);
        out.push(Line(plain(&self.generated)));
        out.push(Line(plain(&self.rules_line)));
        out
    }
}

/// One block of a card's plain-text layout.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TextBlock {
    /// The verdict, shown after a mark (`■`).
    Headline(String),
    /// A section's title.
    Title(String),
    /// A line of running text.
    Line(String),
    /// A list item: `indent` spaces, its marker with any space after it (`- `, `1. `,
    /// `・`), and its text.
    Item {
        indent: usize,
        marker: String,
        text: String,
    },
    Blank,
    /// The line above the footer.
    Rule,
}

fn item(indent: usize, marker: &str, text: &str) -> TextBlock {
    TextBlock::Item {
        indent,
        marker: marker.to_owned(),
        text: plain(text),
    }
}

impl TextBlock {
    /// The block as one unwrapped line.
    pub fn plain_line(&self) -> String {
        match self {
            TextBlock::Headline(h) => format!("■ {h}"),
            TextBlock::Title(t) | TextBlock::Line(t) => t.clone(),
            TextBlock::Item {
                indent,
                marker,
                text,
            } => format!("{}{marker}{text}", " ".repeat(*indent)),
            TextBlock::Blank => String::new(),
            TextBlock::Rule => RULE.repeat(RULE_WIDTH),
        }
    }
}

/// The footer's rule: this character, this many times (or the terminal's width, if
/// narrower).
pub const RULE: &str = "─";
pub const RULE_WIDTH: usize = 40;

/// The lines of a multi-line text as blocks: a line opening with a list marker (`1. `,
/// `- `, `・`, `• `) is an item, so that its wrapped lines hang under its text.
fn body_blocks(body: &str, out: &mut Vec<TextBlock>) {
    for line in body.lines() {
        let digits = line.chars().take_while(char::is_ascii_digit).count();
        let marker_len = if digits > 0 && line[digits..].starts_with(". ") {
            digits + 2
        } else if line.starts_with("- ") {
            2
        } else if line.starts_with("• ") {
            "• ".len()
        } else if line.starts_with('・') {
            '・'.len_utf8()
        } else {
            0
        };
        if marker_len > 0 {
            out.push(item(0, &line[..marker_len], &line[marker_len..]));
        } else {
            out.push(TextBlock::Line(plain(line)));
        }
    }
}

/// Discord-flavoured Markdown as plain text: the marks of `**bold**`, `__underline__`,
/// `~~strike~~` and `` `code` `` go, and `[text](url)` becomes `text (url)`.
pub fn plain(s: &str) -> String {
    let mut out = s.replace("**", "").replace("__", "").replace("~~", "");
    if out.matches('`').count() >= 2 {
        out = out.replace('`', "");
    }
    // [text](url)
    let mut rest = out.as_str();
    let mut linked = String::new();
    while let Some(open) = rest.find('[') {
        let after = &rest[open + 1..];
        let Some(close) = after.find("](") else {
            break;
        };
        let Some(end) = after[close + 2..].find(')') else {
            break;
        };
        let text = &after[..close];
        let url = &after[close + 2..close + 2 + end];
        if text.contains('[') || url.contains(char::is_whitespace) {
            linked.push_str(&rest[..=open]);
            rest = after;
            continue;
        }
        linked.push_str(&rest[..open]);
        linked.push_str(&format!("{text} ({url})"));
        rest = &after[close + 2 + end + 1..];
    }
    linked.push_str(rest);
    linked
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_becomes_plain_text() {
        assert_eq!(plain("**A** (2024-11-28) x"), "A (2024-11-28) x");
        assert_eq!(
            plain("see [the guide](https://example.org/a) now"),
            "see the guide (https://example.org/a) now"
        );
        assert_eq!(plain("`code` and __u__ and ~~s~~"), "code and u and s");
        assert_eq!(plain("a [b] c (d)"), "a [b] c (d)");
        assert_eq!(plain("user_id"), "user_id");
    }

    #[test]
    fn list_lines_of_a_body_become_items() {
        let mut out = Vec::new();
        body_blocks("Intro:\n1. one\n12. twelve\n- dash\n・日時\nend", &mut out);
        let lines: Vec<String> = out.iter().map(TextBlock::plain_line).collect();
        assert_eq!(
            lines,
            ["Intro:", "1. one", "12. twelve", "- dash", "・日時", "end"]
        );
        assert!(matches!(&out[1], TextBlock::Item { marker, .. } if marker == "1. "));
        assert!(
            matches!(&out[4], TextBlock::Item { marker, text, .. } if marker == "・" && text == "日時")
        );
        assert!(matches!(&out[5], TextBlock::Line(_)));
    }
}
