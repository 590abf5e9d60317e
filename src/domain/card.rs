//! The answer card as data, and its plain-text rendering.
//!
//! A card is built once from an outcome, the user's answers and a locale, with every
//! text already localized; front ends only lay it out (Discord embeds, the terminal, JSON)
//! and never decide what it says. So what a card states is tested once, here, for every
//! outcome and locale, and every front end shows the same statements.
//!
//! What every card holds, by the facts catalogue's contract (version 2): the verdict as a
//! headline, what to do step by step, the notes for the license origin the user gave (D1 for
//! Windows 10 users, A1's digital-license point for free upgrades from 7/8.1 or an unknown
//! origin), the phone block its verdict requires (with the desk's number and the advice to
//! check it), the general support line beside the desk where the verdict wants it (B9), the
//! call checklist wherever a call is involved, and the caveat (C1–C4, A13, A14) with the
//! dates of the sources it rests on, **their age in words** (D6) and its generation time.
//!
//! The age is computed here, from the generation time, never written into a text: a card
//! pinned today and read in a year still says how old its information was when it was made.
//! Dates are formatted per locale through the `card-date` message (「2024年11月28日」,
//! "November 28, 2024"), so a card shows every date in one form.

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, Unit};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

use crate::domain::engine::Walk;
use crate::domain::i18n::{LocaleId, Localizer};
use crate::domain::rules::{
    Kind, OriginNote, Outcome, PhoneBlock, Rules, Severity, Verdict, ORIGIN_FACT,
};

/// How the generation time appears inside the card's texts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimeStyle {
    /// `2026-11-21T12:00:00Z`: unambiguous, for JSON.
    Rfc3339,
    /// `<t:UNIX:F>`, which each Discord client shows in its reader's own time zone.
    Discord,
    /// The local time of this machine with its zone, in the card's locale
    /// (「2026年12月6日 13:43(日本時間)」), for the terminal. The zone is the system's
    /// (`TZ`, else `/etc/localtime`), read through jiff; UTC when none is configured.
    Local,
    /// The same in a named zone (`Asia/Tokyo`), for reproducible cards; UTC if the name is
    /// unknown.
    Zone(&'static str),
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
    /// `YYYY-MM-DD`, as the rules give it.
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
    /// The outcome's explanation, followed by the notes for the user's license origin,
    /// one a line.
    pub explain: String,
    /// The notes appended to `explain` (D1, A1), as shown there.
    pub notes: Vec<String>,
    /// The user's answers as shown (question → chosen label).
    pub answers: ListSection,
    pub steps: ListSection,
    pub phone: Option<(PhoneBlock, Section)>,
    /// The general Windows support line and web form (B9), beside the desk.
    pub support: Option<Section>,
    pub checklist: Option<Section>,
    /// The caveat, with the dates of the calls the card draws on and their age.
    pub caveat: Section,
    /// How long before the card's generation the oldest call it draws on was made, in
    /// words (「約2年前」, "about 2 years ago"); also shown in the caveat.
    pub age: String,
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

const MONTHS: [&str; 12] = [
    "jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec",
];

/// A calendar date in the locale's one form (`card-date`).
pub fn date_text(l10n: &Localizer, locale: LocaleId, date: Date) -> String {
    l10n.format(
        locale,
        "card-date",
        &[
            ("year", date.year().to_string()),
            ("month", MONTHS[(date.month() - 1) as usize].to_owned()),
            ("day", date.day().to_string()),
        ],
    )
}

/// `YYYY-MM-DD` as a date, if it is one.
fn parse_date(s: &str) -> Option<Date> {
    s.parse::<Date>().ok()
}

/// The UTC calendar date of unix seconds.
fn utc_date(unix: i64) -> Date {
    Timestamp::from_second(unix)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(TimeZone::UTC)
        .date()
}

/// How long before `now` the day `then` was, as the `$unit` and `$n` of `card-age`: days
/// under a month, months under a year, then years to the nearest half year.
pub fn age_parts(then: Date, now: Date) -> (&'static str, i64) {
    if now <= then {
        return ("today", 0);
    }
    let months = then
        .until((Unit::Month, now))
        .map(|s| i64::from(s.get_years()) * 12 + i64::from(s.get_months()))
        .unwrap_or(0);
    if months < 1 {
        let days = then
            .until((Unit::Day, now))
            .map(|s| i64::from(s.get_days()))
            .unwrap_or(0);
        return if days == 1 {
            ("day", 1)
        } else {
            ("days", days)
        };
    }
    if months < 12 {
        return if months == 1 {
            ("month", 1)
        } else {
            ("months", months)
        };
    }
    let halves = (months + 3) / 6; // half years, rounded
    match (halves / 2, halves % 2) {
        (1, 0) => ("year", 1),
        (n, 0) => ("years", n),
        (1, _) => ("year-half", 1),
        (n, _) => ("years-half", n),
    }
}

/// The age of `then` at `now` in words (`card-age`): 「約2年前」, "about 2 years ago".
pub fn age_text(l10n: &Localizer, locale: LocaleId, then: Date, now: Date) -> String {
    let (unit, n) = age_parts(then, now);
    l10n.format(
        locale,
        "card-age",
        &[("unit", unit.to_owned()), ("n", n.to_string())],
    )
}

/// Unix seconds as a local date and time with its zone, in the locale's form
/// (`card-local-time`): 「2026年12月6日 13:43(日本時間)」.
pub fn local_time_text(l10n: &Localizer, locale: LocaleId, unix: i64, tz: &TimeZone) -> String {
    let zoned = Timestamp::from_second(unix)
        .unwrap_or(Timestamp::UNIX_EPOCH)
        .to_zoned(tz.clone());
    let offset = zoned.offset().seconds();
    let name = tz.iana_name().unwrap_or_default();
    let zone = match name {
        "Asia/Tokyo" | "Japan" => "japan",
        "UTC" | "Etc/UTC" | "Etc/UCT" | "UCT" | "Universal" | "Zulu" | "Etc/Universal"
        | "Etc/Zulu" => "utc",
        "" if offset == 0 => "utc",
        "" => "offset",
        _ => "named",
    };
    let sign = if offset < 0 { '-' } else { '+' };
    let (h, m) = (offset.abs() / 3600, offset.abs() % 3600 / 60);
    l10n.format(
        locale,
        "card-local-time",
        &[
            ("date", date_text(l10n, locale, zoned.date())),
            ("time", format!("{:02}:{:02}", zoned.hour(), zoned.minute())),
            ("zone", zone.to_owned()),
            ("name", name.to_owned()),
            ("offset", format!("{sign}{h:02}:{m:02}")),
        ],
    )
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
        let date = |iso: &str| {
            parse_date(iso).map_or_else(|| iso.to_owned(), |d| date_text(l10n, locale, d))
        };

        let transcript = walk.transcript(rules);
        let answers = transcript
            .iter()
            .map(|e| {
                let q = rules
                    .find(&e.question)
                    .and_then(|i| rules.question(i))
                    .expect("transcript entries are questions");
                format!("{} → {}", t(&q.text), t(&e.label))
            })
            .collect();

        // The notes for the license origin the user gave, whatever the outcome.
        let origin_notes: &[OriginNote] = transcript
            .iter()
            .find(|e| e.fact == ORIGIN_FACT)
            .map_or(&[], |e| OriginNote::for_origin(&e.value));
        let notes: Vec<String> = origin_notes.iter().map(|n| t(n.message())).collect();
        let mut explain = t(&o.explain);
        for n in &notes {
            explain.push('\n');
            explain.push_str(n);
        }

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

        let mut cited_facts = o.cited_facts();
        for n in origin_notes {
            if !cited_facts.contains(&n.rests_on()) {
                cited_facts.push(n.rests_on());
            }
        }
        let cited_sources = cited_sources(rules, &cited_facts);
        let sources = cited_sources
            .iter()
            .map(|(s, cited)| source_ref(l10n, locale, s, cited, &t, &date))
            .collect();

        let (when, age) = caveat_dates(l10n, locale, &cited_sources, generated_at, &t("card-and"));

        let generated = generated_text(l10n, locale, generated_at, style);

        Card {
            outcome: o.id.clone(),
            verdict: o.verdict,
            severity: o.severity,
            locale: l10n.tag(locale).to_owned(),
            headline: t(&o.headline),
            explain,
            notes,
            answers: ListSection {
                title: t("card-answers-title"),
                items: answers,
            },
            steps: ListSection {
                title: t("card-what-to-do"),
                items: o.steps.iter().map(|s| t(s)).collect(),
            },
            phone,
            support: o.support.then(|| Section {
                title: t("card-support-title"),
                body: t("card-support-body"),
            }),
            checklist: o.checklist.then(|| Section {
                title: t("card-checklist-title"),
                body: t("card-checklist-body"),
            }),
            caveat: Section {
                title: t("card-caveat-title"),
                body: l10n.format(locale, "card-caveat-body", &[("when", when)]),
            },
            age,
            sources_title: t("card-sources-title"),
            sources,
            generated: l10n.format(locale, "card-generated", &[("generated", generated)]),
            rules_line: l10n.format(
                locale,
                "card-rules-version",
                &[
                    ("version", rules.meta.version.clone()),
                    ("review_by", date(&rules.meta.review_by)),
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
            .support
            .iter()
            .chain(self.phone.iter().map(|(_, s)| s))
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

/// The sources citing any of `cited_facts`, each with the facts it is cited for.
fn cited_sources<'r>(rules: &'r Rules, cited_facts: &[&str]) -> Vec<CitedSource<'r>> {
    rules
        .sources
        .iter()
        .filter_map(|s| {
            let cited: Vec<(&str, Kind)> = s
                .facts
                .iter()
                .filter(|(f, _)| cited_facts.contains(&f.as_str()))
                .map(|(f, k)| (f.as_str(), *k))
                .collect();
            (!cited.is_empty()).then_some((s, cited))
        })
        .collect()
}

/// A source and the facts of it a card cites, with their kinds.
type CitedSource<'r> = (&'r crate::domain::rules::Source, Vec<(&'r str, Kind)>);

/// A cited source's line on the card: its title, date and the cited facts by kind.
fn source_ref(
    l10n: &Localizer,
    locale: LocaleId,
    s: &crate::domain::rules::Source,
    cited: &[(&str, Kind)],
    t: &dyn Fn(&str) -> String,
    date: &dyn Fn(&str) -> String,
) -> SourceRef {
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
        Some(d) => l10n.format(
            locale,
            "card-source-line",
            &[
                ("id", s.id.clone()),
                ("title", title),
                ("date", date(d)),
                ("facts", facts),
            ],
        ),
        None => l10n.format(
            locale,
            "card-source-line-undated",
            &[("id", s.id.clone()), ("title", title), ("facts", facts)],
        ),
    };
    SourceRef {
        id: s.id.clone(),
        date: s.date.clone(),
        facts: cited.iter().map(|(f, _)| (*f).to_owned()).collect(),
        line,
    }
}

/// The caveat's dates: the calls the card draws on (sources of desk or author facts,
/// with a date) with their age at `generated_at`, consecutive dates of the same age
/// joined by `and`; and the age of the oldest.
fn caveat_dates(
    l10n: &Localizer,
    locale: LocaleId,
    cited_sources: &[CitedSource<'_>],
    generated_at: i64,
    and: &str,
) -> (String, String) {
    // The calls the card draws on (sources of desk or author facts, with a date), their
    // dates and their age at generation time, for the caveat.
    let now = utc_date(generated_at);
    let mut calls: Vec<Date> = cited_sources
        .iter()
        .filter(|(_, cited)| {
            cited
                .iter()
                .any(|(_, k)| matches!(k, Kind::Desk | Kind::Author))
        })
        .filter_map(|(s, _)| s.date.as_deref().and_then(parse_date))
        .collect();
    calls.sort();
    calls.dedup();
    // Consecutive dates of the same age share it: 「2024年11月28日と2024年12月6日(約2年前)」.
    let mut groups: Vec<(Vec<Date>, String)> = Vec::new();
    for d in &calls {
        let age = age_text(l10n, locale, *d, now);
        match groups.last_mut() {
            Some((dates, a)) if *a == age => dates.push(*d),
            _ => groups.push((vec![*d], age)),
        }
    }
    let when = groups
        .iter()
        .map(|(dates, age)| {
            let dates = dates
                .iter()
                .map(|d| date_text(l10n, locale, *d))
                .collect::<Vec<_>>()
                .join(and);
            l10n.format(
                locale,
                "card-dated",
                &[("dates", dates), ("age", age.clone())],
            )
        })
        .collect::<Vec<_>>()
        .join(and);
    let age = calls
        .first()
        .map(|d| age_text(l10n, locale, *d, now))
        .unwrap_or_default();
    (when, age)
}

/// When the card was made, in `style`.
fn generated_text(
    l10n: &Localizer,
    locale: LocaleId,
    generated_at: i64,
    style: TimeStyle,
) -> String {
    match style {
        TimeStyle::Rfc3339 => rfc3339(generated_at),
        TimeStyle::Discord => format!("<t:{generated_at}:F>"),
        TimeStyle::Local => local_time_text(l10n, locale, generated_at, &TimeZone::system()),
        TimeStyle::Zone(name) => local_time_text(
            l10n,
            locale,
            generated_at,
            &TimeZone::get(name).unwrap_or(TimeZone::UTC),
        ),
    }
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
