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

    /// The card as plain text (Markdown-flavoured, as Discord and most terminals show
    /// it), for the terminal and for JSON output.
    pub fn render_text(&self) -> String {
        let mut out = String::new();
        let rule = "─".repeat(40);
        out.push_str(&format!("■ {}\n\n{}\n", self.headline, self.explain));
        if !self.answers.items.is_empty() {
            out.push_str(&format!("\n{}\n", self.answers.title));
            for a in &self.answers.items {
                out.push_str(&format!("  - {a}\n"));
            }
        }
        out.push_str(&format!("\n{}\n", self.steps.title));
        for (i, s) in self.steps.items.iter().enumerate() {
            out.push_str(&format!("  {}. {}\n", i + 1, s));
        }
        let sections = self
            .phone
            .iter()
            .map(|(_, s)| s)
            .chain(self.checklist.iter())
            .chain(std::iter::once(&self.caveat));
        for s in sections {
            out.push_str(&format!("\n{}\n{}\n", s.title, s.body));
        }
        out.push_str(&format!("\n{}\n", self.sources_title));
        for s in &self.sources {
            out.push_str(&format!("  - {}\n", s.line));
        }
        out.push_str(&format!(
            "\n{rule}\n{}\n{}\n",
            self.generated, self.rules_line
        ));
        out
    }
}
