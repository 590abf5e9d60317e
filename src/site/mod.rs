//! The knowledge as a static web site: `activation-check site --out DIR`.
//!
//! Moderators link it, reviewers read a change to the rules as a diff of it, and people
//! without Discord read it. So it is plain files (HTML, one stylesheet, one small script
//! that only switches the language and shows times in the reader's zone), it fetches
//! nothing, and it is a pure function of the rules, the texts and one time
//! ([`build`]): the same inputs give the same bytes, and the only time in it is the one
//! given (`--generated-at`).
//!
//! What it holds:
//! - `index.html`: the rules' version and review-by date, the tree as an SVG laid out by
//!   [`crate::graph::layout`] (no renderer at run time), every answer card with its
//!   verdict and severity, and the sources with their dates and their age in words.
//! - `outcome/ID.html`: each outcome's card in every locale, built by [`Card::build`] and
//!   laid out by [`spec::card_message`], exactly as the bot posts it, then every path
//!   (the answers given) that reaches it.
//! - `tree.svg`, `tree.mmd`, `tree.dot`: the picture as files.
//!
//! Page chrome is localized like everything else (`i18n/<locale>/site.ftl`); every locale
//! is in every page, and the script shows one at a time.

pub mod html;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use time::macros::format_description;
use time::{Date, OffsetDateTime};

use crate::card::{fact_groups, rfc3339, Card, TimeStyle};
use crate::discord::spec;
use crate::engine::{Position, Walk};
use crate::graph::layout::Layout;
use crate::graph::svg::{self, Links};
use crate::graph::{Graph, GraphNode, NodeKind};
use crate::i18n::{LocaleId, Localizer};
use crate::knowledge::Knowledge;
use crate::rules::{Kind, Outcome, Rules};
use html::escape;

const CSS: &str = include_str!("site.css");
const JS: &str = include_str!("site.js");

/// The site's files: path relative to the output directory, and contents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Site {
    pub files: BTreeMap<String, String>,
}

/// Every path through the tree, depth first in choice order, each ending at an outcome.
pub fn paths(rules: &Rules) -> Vec<Walk> {
    fn go(rules: &Rules, walk: Walk, out: &mut Vec<Walk>) {
        match walk.position(rules) {
            Position::Asking(_, q) => {
                for i in 0..q.choices.len() {
                    let next = walk
                        .answer(rules, i)
                        .expect("every choice of a question leads on");
                    go(rules, next, out);
                }
            }
            Position::Done(..) => out.push(walk),
        }
    }
    let mut out = Vec::new();
    go(rules, Walk::start(rules), &mut out);
    out
}

/// How old something dated `from` is on `to`, in the unit a reader would use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Age {
    /// The same day, or a date still to come.
    Today,
    Days(i64),
    Months(i64),
    /// Rounded to the nearest year.
    Years(i64),
}

impl Age {
    pub fn between(from: Date, to: Date) -> Age {
        if to <= from {
            return Age::Today;
        }
        let mut months = i64::from(to.year() - from.year()) * 12 + i64::from(to.month() as u8)
            - i64::from(from.month() as u8);
        if to.day() < from.day() {
            months -= 1;
        }
        if months < 1 {
            Age::Days((to - from).whole_days())
        } else if months < 12 {
            Age::Months(months)
        } else {
            Age::Years((months + 6) / 12)
        }
    }

    /// The age in words in `locale`.
    pub fn words(self, l10n: &Localizer, locale: LocaleId) -> String {
        let (id, n) = match self {
            Age::Today => ("site-age-today", None),
            Age::Days(1) => ("site-age-day", None),
            Age::Days(n) => ("site-age-days", Some(n)),
            Age::Months(1) => ("site-age-month", None),
            Age::Months(n) => ("site-age-months", Some(n)),
            Age::Years(1) => ("site-age-year", None),
            Age::Years(n) => ("site-age-years", Some(n)),
        };
        match n {
            Some(n) => l10n.format(locale, id, &[("n", n.to_string())]),
            None => l10n.text(locale, id),
        }
    }
}

/// A `YYYY-MM-DD` date (the rules' dates are checked to have that form).
pub fn parse_date(s: &str) -> Option<Date> {
    Date::parse(s, format_description!("[year]-[month]-[day]")).ok()
}

/// A time given on the command line: RFC 3339 (`2026-12-06T09:00:00Z`) or unix seconds.
pub fn parse_time(s: &str) -> Result<i64, String> {
    let s = s.trim();
    if let Ok(unix) = s.parse::<i64>() {
        return OffsetDateTime::from_unix_timestamp(unix)
            .map(|_| unix)
            .map_err(|_| format!("`{s}` is out of range for a time"));
    }
    OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
        .map(|t| t.unix_timestamp())
        .map_err(|_| {
            format!(
                "`{s}` is not a time; give RFC 3339 such as 2026-12-06T09:00:00Z, or unix seconds"
            )
        })
}

/// The day (UTC) of unix time `unix`.
fn day_of(unix: i64) -> Date {
    OffsetDateTime::from_unix_timestamp(unix)
        .map(|t| t.date())
        .unwrap_or(Date::MIN)
}

/// The site's locales: the default first, then the others in their directory order.
fn locales(l10n: &Localizer) -> Vec<LocaleId> {
    let default = l10n.default_locale();
    std::iter::once(default)
        .chain(l10n.locale_ids().filter(|l| *l != default))
        .collect()
}

/// The page of outcome `id`, relative to the site's root.
pub fn outcome_page(id: &str) -> String {
    format!("outcome/{id}.html")
}

/// Builds the site for the knowledge `k`, dating its cards `generated_at` (unix seconds).
pub fn build(k: &Knowledge, generated_at: i64) -> Site {
    let rules = &*k.rules;
    let l10n = &*k.l10n;
    let locales = locales(l10n);
    let graph = Graph::of(rules, None);
    let layout = Layout::of(&graph);

    let all_paths = paths(rules);
    let mut by_outcome: BTreeMap<&str, Vec<&Walk>> = BTreeMap::new();
    for w in &all_paths {
        let o = w.outcome(rules).expect("a path ends at an outcome");
        by_outcome.entry(o.id.as_str()).or_default().push(w);
    }

    let mut files = BTreeMap::new();
    let from_root =
        |n: &GraphNode| matches!(n.kind, NodeKind::Outcome { .. }).then(|| outcome_page(&n.id));
    let diagram = svg::render(&graph, &layout, &Links::by(&from_root));
    files.insert("tree.svg".to_owned(), diagram.clone());
    files.insert("tree.mmd".to_owned(), graph.mermaid());
    files.insert("tree.dot".to_owned(), graph.dot());
    files.insert("assets/site.css".to_owned(), CSS.to_owned());
    files.insert("assets/site.js".to_owned(), JS.to_owned());

    let ctx = Ctx {
        rules,
        l10n,
        locales: &locales,
        generated_at,
    };
    files.insert("index.html".to_owned(), ctx.index(&diagram, &by_outcome));
    for o in rules.outcomes() {
        let walks = by_outcome.get(o.id.as_str()).cloned().unwrap_or_default();
        files.insert(outcome_page(&o.id), ctx.outcome(o, &walks));
    }
    Site { files }
}

/// What the last [`write`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Written {
    pub files: Vec<PathBuf>,
    /// Outcome pages of an earlier run whose outcome no longer exists.
    pub removed: Vec<PathBuf>,
}

/// Writes `site` under `dir`, creating it, and removes outcome pages an earlier run left
/// for outcomes that no longer exist (so a diff of the directory shows the removal).
/// Nothing else in `dir` is touched.
pub fn write(site: &Site, dir: &Path) -> std::io::Result<Written> {
    let mut written = Written::default();
    for (rel, contents) in &site.files {
        let path = dir.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, contents)?;
        written.files.push(path);
    }
    let outcomes = dir.join("outcome");
    if !outcomes.is_dir() {
        return Ok(written);
    }
    let mut stale: Vec<PathBuf> = std::fs::read_dir(&outcomes)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "html"))
        .filter(|p| {
            p.strip_prefix(dir)
                .ok()
                .and_then(|r| r.to_str())
                .is_none_or(|r| !site.files.contains_key(&r.replace('\\', "/")))
        })
        .collect();
    stale.sort();
    for p in stale {
        std::fs::remove_file(&p)?;
        written.removed.push(p);
    }
    Ok(written)
}

struct Ctx<'a> {
    rules: &'a Rules,
    l10n: &'a Localizer,
    locales: &'a [LocaleId],
    generated_at: i64,
}

impl Ctx<'_> {
    fn t(&self, locale: LocaleId, id: &str) -> String {
        escape(&self.l10n.text(locale, id))
    }

    /// A titled table's opening, up to its body: the heading, then a header cell for
    /// each column, all as texts of `l`.
    fn table_head(&self, l: LocaleId, title: &str, class: &str, columns: &[&str]) -> String {
        let mut s = format!(
            "<h2>{}</h2>\n<table class=\"{class}\">\n<thead><tr>",
            self.t(l, title)
        );
        for c in columns {
            let _ = write!(s, "<th>{}</th>", self.t(l, c));
        }
        s.push_str("</tr></thead>\n<tbody>\n");
        s
    }

    /// One block per locale, each made by `f`.
    fn localized(&self, f: impl Fn(LocaleId) -> String) -> String {
        self.each_locale(|l, tag| {
            format!(
                "<div class=\"l10n\" data-locale=\"{tag}\" lang=\"{tag}\">\n{}</div>\n",
                f(l)
            )
        })
    }

    /// What `f` makes of each locale and its escaped tag, one after another.
    fn each_locale(&self, f: impl Fn(LocaleId, &str) -> String) -> String {
        self.locales
            .iter()
            .map(|&l| f(l, &escape(self.l10n.tag(l))))
            .collect()
    }

    /// A whole page; `root` is the way back to the site's root (`""` or `"../"`).
    fn page(&self, root: &str, title: &str, body: &str) -> String {
        let default = self.l10n.tag(self.l10n.default_locale());
        let tags: Vec<&str> = self.locales.iter().map(|l| self.l10n.tag(*l)).collect();
        let switch = self.each_locale(|l, tag| {
            format!(
                "<button type=\"button\" data-set-locale=\"{tag}\" lang=\"{tag}\">{}</button>",
                self.t(l, "site-locale-name")
            )
        });
        let switch_label = self
            .locales
            .iter()
            .map(|l| self.l10n.text(*l, "site-locale-switch"))
            .collect::<Vec<_>>()
            .join(" / ");
        format!(
            "<!DOCTYPE html>\n<html lang=\"{default}\" data-locales=\"{locales}\" data-default-locale=\"{default}\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>{title}</title>\n<link rel=\"icon\" href=\"data:,\">\n<link rel=\"stylesheet\" href=\"{root}assets/site.css\">\n<script src=\"{root}assets/site.js\" defer></script>\n</head>\n<body>\n<nav class=\"locale-switch\" aria-label=\"{switch_label}\" hidden>{switch}</nav>\n<main>\n{body}</main>\n</body>\n</html>\n",
            default = escape(default),
            locales = escape(&tags.join(" ")),
            title = escape(title),
            switch_label = escape(&switch_label),
        )
    }

    /// "Rules VERSION (to be reviewed by DATE)" and "Generated TIME", as cards say them.
    fn rules_lines(&self, l: LocaleId) -> String {
        let rules_line = self.l10n.format(
            l,
            "card-rules-version",
            &[
                ("version", self.rules.meta.version.clone()),
                ("review_by", self.rules.meta.review_by.clone()),
            ],
        );
        let generated = self.l10n.format(
            l,
            "card-generated",
            &[("generated", rfc3339(self.generated_at))],
        );
        format!(
            "<p class=\"rules-line\"><span data-rules-version=\"{}\" data-review-by=\"{}\">{}</span><br>{}</p>\n",
            escape(&self.rules.meta.version),
            escape(&self.rules.meta.review_by),
            escape(&rules_line),
            escape(&generated)
        )
    }

    fn index(&self, diagram: &str, by_outcome: &BTreeMap<&str, Vec<&Walk>>) -> String {
        let rules = self.rules;
        let mut body = self.localized(|l| {
            format!(
                "<h1>{}</h1>\n<p>{}</p>\n{}",
                self.t(l, "site-title"),
                self.t(l, "site-intro"),
                self.rules_lines(l)
            )
        });
        body.push_str("<section class=\"tree-section\">\n");
        body.push_str(&self.localized(|l| {
            format!(
                "<h2>{}</h2>\n<p>{}</p>\n",
                self.t(l, "site-tree-title"),
                self.t(l, "site-tree-help")
            )
        }));
        let _ = write!(body, "<div class=\"tree-frame\">\n{diagram}</div>\n");
        body.push_str(&self.localized(|l| {
            format!(
                "<p class=\"tree-files\">{} <a href=\"tree.svg\">tree.svg</a> · <a href=\"tree.mmd\">tree.mmd</a> (Mermaid) · <a href=\"tree.dot\">tree.dot</a> (Graphviz)</p>\n",
                self.t(l, "site-tree-files")
            )
        }));
        body.push_str("</section>\n");

        body.push_str(&self.localized(|l| {
            let mut s = self.table_head(
                l,
                "site-outcomes-title",
                "outcomes",
                &[
                    "site-col-card",
                    "site-col-verdict",
                    "site-col-severity",
                    "site-col-paths",
                ],
            );
            for o in rules.outcomes() {
                let count = by_outcome.get(o.id.as_str()).map_or(0, Vec::len);
                let _ = writeln!(
                    s,
                    "<tr data-outcome=\"{id}\"><td><a href=\"{href}\">{headline}</a></td><td><code>{verdict}</code></td><td><span class=\"severity severity-{sev}\">{sev_text}</span></td><td>{count}</td></tr>",
                    id = escape(&o.id),
                    href = escape(&outcome_page(&o.id)),
                    headline = self.t(l, &o.headline),
                    verdict = escape(o.verdict.as_str()),
                    sev = o.severity.as_str(),
                    sev_text = self.t(l, &format!("site-severity-{}", o.severity.as_str())),
                );
            }
            s.push_str("</tbody>\n</table>\n");
            s.push_str(&self.sources(l));
            s
        }));
        let title = self.l10n.text(self.l10n.default_locale(), "site-title");
        self.page("", &title, &body)
    }

    fn sources(&self, l: LocaleId) -> String {
        let today = day_of(self.generated_at);
        let mut s = self.table_head(
            l,
            "card-sources-title",
            "sources",
            &[
                "site-col-source",
                "site-col-title",
                "site-col-date",
                "site-col-age",
                "site-col-facts",
            ],
        );
        for src in &self.rules.sources {
            let (date, age) = match src.date.as_deref() {
                Some(d) => (
                    format!("<time datetime=\"{0}\">{0}</time>", escape(d)),
                    parse_date(d).map_or_else(String::new, |date| {
                        escape(&Age::between(date, today).words(self.l10n, l))
                    }),
                ),
                None => (self.t(l, "site-undated"), String::new()),
            };
            let cited: Vec<(&str, Kind)> =
                src.facts.iter().map(|(f, k)| (f.as_str(), *k)).collect();
            let facts = fact_groups(self.l10n, l, &cited, &|id| self.l10n.text(l, id));
            let _ = writeln!(
                s,
                "<tr data-source=\"{id}\"><td>{id}</td><td>{title}</td><td>{date}</td><td>{age}</td><td>{facts}</td></tr>",
                id = escape(&src.id),
                title = self.t(l, &src.title),
                facts = escape(&facts),
            );
        }
        s.push_str("</tbody>\n</table>\n");
        s
    }

    fn outcome(&self, o: &Outcome, walks: &[&Walk]) -> String {
        let rules = self.rules;
        let body = self.localized(|l| {
            let mut s = format!(
                "<p class=\"back\"><a href=\"../index.html\">{}</a></p>\n<h1>{}</h1>\n<p class=\"outcome-meta\"><span class=\"severity severity-{sev}\">{}</span> <code>{}</code></p>\n",
                self.t(l, "site-back"),
                self.t(l, &o.headline),
                self.t(l, &format!("site-severity-{}", o.severity.as_str())),
                escape(o.verdict.as_str()),
                sev = o.severity.as_str(),
            );
            if let Some(first) = walks.first() {
                let card = Card::build(
                    rules,
                    first,
                    self.l10n,
                    l,
                    self.generated_at,
                    TimeStyle::Discord,
                )
                .expect("a path ends at an outcome");
                let _ = write!(
                    s,
                    "<h2>{}</h2>\n<p class=\"note\">{}</p>\n<article class=\"card\" data-outcome=\"{}\">{}</article>\n",
                    self.t(l, "site-card-title"),
                    escape(&self.l10n.format(
                        l,
                        "site-card-note",
                        &[("answers", card.answers.title.clone())]
                    )),
                    escape(&o.id),
                    html::message(&spec::card_message(&card))
                );
            }
            let _ = writeln!(
                s,
                "<h2>{}</h2>\n<ol class=\"paths\">",
                self.t(l, "site-paths-title")
            );
            for w in walks {
                s.push_str("<li class=\"path\"><ol class=\"answers\">");
                let mut command = String::from("activation-check ask");
                for e in w.transcript(rules) {
                    let q = rules
                        .find(&e.question)
                        .and_then(|i| rules.question(i))
                        .expect("transcript entries are questions");
                    let _ = write!(
                        s,
                        "<li data-question=\"{}\">{} → <strong>{}</strong></li>",
                        escape(&q.id),
                        self.t(l, &q.text),
                        self.t(l, &e.label)
                    );
                    let _ = write!(command, " --answer {}={}", e.fact, e.value);
                }
                let _ = writeln!(
                    s,
                    "</ol><p class=\"command\">{} <code>{}</code></p></li>",
                    self.t(l, "site-path-command"),
                    escape(&command)
                );
            }
            s.push_str("</ol>\n");
            s
        });
        let title = format!(
            "{} · {}",
            self.l10n.text(self.l10n.default_locale(), &o.headline),
            self.l10n.text(self.l10n.default_locale(), "site-title")
        );
        self.page("../", &title, &body)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Date {
        parse_date(s).unwrap()
    }

    #[test]
    fn ages_are_counted_in_the_unit_a_reader_would_use() {
        for (from, to, age) in [
            ("2024-11-28", "2024-11-28", Age::Today),
            ("2026-12-07", "2026-12-06", Age::Today),
            ("2026-11-21", "2026-12-06", Age::Days(15)),
            ("2026-11-06", "2026-12-06", Age::Months(1)),
            ("2026-11-07", "2026-12-06", Age::Days(29)),
            ("2025-12-07", "2026-12-06", Age::Months(11)),
            ("2024-11-28", "2026-12-06", Age::Years(2)),
            ("2024-12-06", "2026-12-06", Age::Years(2)),
            // 1 year 7 months is closer to 2 years.
            ("2025-05-01", "2026-12-06", Age::Years(2)),
            ("2025-07-01", "2026-12-06", Age::Years(1)),
        ] {
            assert_eq!(Age::between(d(from), d(to)), age, "{from} to {to}");
        }
    }
}
