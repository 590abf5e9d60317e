//! Usage figures without personal data: what moderators need to see where users give
//! up and whether a card helped, and nothing that names anyone.
//!
//! Counted per day (UTC), rules version, locale and place (a server by its id, DMs, the
//! terminal): conversations started and finished, conversations abandoned at each
//! question (drop-off), outcomes reached, cards posted and pinned, and the "Did this
//! help?" votes on the user's own card per outcome. No user id, no message content and no
//! time finer than a day is ever recorded: a figure is a count under a [`Key`].
//!
//! Abandonment is counted without following anyone: a conversation that has not reached
//! an outcome when its session expires and is pruned counts as abandoned at the question
//! it stopped at, on the day it was last touched ([`abandoned_at`]).
//!
//! A vote can be changed: the change is counted as one vote less for the earlier answer
//! and one more for the new one, on the day of the change. A single day's figure may
//! therefore go below zero; every sum over days is right.
//!
//! This module is pure (the model, the sums and the report); `crate::store::figures`
//! keeps the figures in the store.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::domain::engine::{Position, Walk};
use crate::domain::rules::Rules;
use crate::domain::session::{Scope, SessionRecord};

/// Where a conversation took place, as the figures keep it: a server by its id (servers
/// are not people), any DM, or the terminal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Place {
    Guild(u64),
    Dm,
    Terminal,
}

impl Place {
    pub fn of(scope: &Scope) -> Place {
        match scope {
            Scope::Guild(g) => Place::Guild(*g),
            Scope::Dm => Place::Dm,
            Scope::Terminal => Place::Terminal,
        }
    }

    /// `g<id>`, `dm` or `terminal`.
    pub fn encode(self) -> String {
        match self {
            Place::Guild(g) => format!("g{g}"),
            Place::Dm => "dm".to_owned(),
            Place::Terminal => "terminal".to_owned(),
        }
    }

    pub fn decode(s: &str) -> Option<Place> {
        match s {
            "dm" => Some(Place::Dm),
            "terminal" => Some(Place::Terminal),
            _ => s.strip_prefix('g')?.parse().ok().map(Place::Guild),
        }
    }
}

/// What one figure is counted under. Stored as the text
/// `<day>|<rules version>|<locale>|<place>`, for example
/// `2026-12-06|2026.12.06|ja|g930000000000000001` (see `crate::store::figures`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    /// `YYYY-MM-DD`, UTC.
    pub day: String,
    pub rules_version: String,
    /// A BCP 47 tag such as `ja` or `en-US`.
    pub locale: String,
    pub place: Place,
}

impl Key {
    /// The key for something that happened at unix second `at`.
    pub fn new(at: i64, rules_version: &str, locale: &str, place: Place) -> Key {
        Key {
            day: day_of(at),
            rules_version: rules_version.to_owned(),
            locale: locale.to_owned(),
            place,
        }
    }

    pub fn encode(&self) -> String {
        format!(
            "{}|{}|{}|{}",
            self.day,
            self.rules_version,
            self.locale,
            self.place.encode()
        )
    }

    pub fn decode(s: &str) -> Option<Key> {
        let mut parts = s.split('|');
        let key = Key {
            day: parts.next()?.to_owned(),
            rules_version: parts.next()?.to_owned(),
            locale: parts.next()?.to_owned(),
            place: Place::decode(parts.next()?)?,
        };
        parts.next().is_none().then_some(key)
    }
}

/// The UTC day of unix second `at`, as `YYYY-MM-DD`.
pub fn day_of(at: i64) -> String {
    jiff::Timestamp::from_second(at)
        .unwrap_or(jiff::Timestamp::UNIX_EPOCH)
        .to_zoned(jiff::tz::TimeZone::UTC)
        .date()
        .to_string()
}

/// One thing to count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event<'a> {
    /// A conversation began (not a resumed one).
    Started,
    /// A conversation reached `outcome`.
    Finished { outcome: &'a str },
    /// A conversation was given up at `question` (its session expired unfinished).
    Abandoned { question: &'a str },
    /// The card of `outcome` was posted publicly.
    Posted { outcome: &'a str },
    /// A posted card of `outcome` was pinned through the bot.
    Pinned { outcome: &'a str },
    /// "Did this help?" on the card of `outcome`: `helped`, replacing `before` (the same
    /// conversation's earlier vote on that card, if any).
    Vote {
        outcome: &'a str,
        helped: bool,
        before: Option<bool>,
    },
}

/// The figures under one key, or any sum of them. Stored as JSON (see `crate::store::figures`); every
/// field may be absent, meaning zero, so records written by earlier builds still read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct Counts {
    /// Conversations started.
    pub started: i64,
    /// Conversations that reached an outcome.
    pub finished: i64,
    /// Conversations abandoned, by the question (node id) they stopped at.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub abandoned: BTreeMap<String, i64>,
    /// Outcomes reached, by outcome id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub outcomes: BTreeMap<String, i64>,
    /// Cards posted publicly, by outcome id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub posted: BTreeMap<String, i64>,
    /// Posted cards pinned through the bot, by outcome id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub pinned: BTreeMap<String, i64>,
    /// "Did this help?" answered yes, by outcome id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub helped: BTreeMap<String, i64>,
    /// "Did this help?" answered no, by outcome id.
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub not_helped: BTreeMap<String, i64>,
}

fn bump(map: &mut BTreeMap<String, i64>, id: &str, by: i64) {
    let n = map.entry(id.to_owned()).or_default();
    *n += by;
    if *n == 0 {
        map.remove(id);
    }
}

fn add_all(into: &mut BTreeMap<String, i64>, from: &BTreeMap<String, i64>) {
    for (id, n) in from {
        bump(into, id, *n);
    }
}

/// A day's counts with something in most fields: three started, "good" and "bad" finished,
/// one given up at `q2`, a vote each way, "good" posted (for tests of what reads them).
#[cfg(test)]
pub(crate) fn sample() -> Counts {
    [
        Event::Started,
        Event::Started,
        Event::Started,
        Event::Finished { outcome: "good" },
        Event::Finished { outcome: "bad" },
        Event::Abandoned { question: "q2" },
        Event::Vote {
            outcome: "good",
            helped: true,
            before: None,
        },
        Event::Vote {
            outcome: "bad",
            helped: false,
            before: None,
        },
        Event::Posted { outcome: "good" },
    ]
    .into_iter()
    .collect()
}

/// The counts of these events, each counted once.
impl<'a> FromIterator<Event<'a>> for Counts {
    fn from_iter<I: IntoIterator<Item = Event<'a>>>(events: I) -> Self {
        let mut c = Counts::default();
        for e in events {
            c.apply(&e);
        }
        c
    }
}

impl Counts {
    /// Counts `event` once.
    pub fn apply(&mut self, event: &Event<'_>) {
        match *event {
            Event::Started => self.started += 1,
            Event::Finished { outcome } => {
                self.finished += 1;
                bump(&mut self.outcomes, outcome, 1);
            }
            Event::Abandoned { question } => bump(&mut self.abandoned, question, 1),
            Event::Posted { outcome } => bump(&mut self.posted, outcome, 1),
            Event::Pinned { outcome } => bump(&mut self.pinned, outcome, 1),
            Event::Vote {
                outcome,
                helped,
                before,
            } => {
                if before == Some(helped) {
                    return;
                }
                let (now, then) = if helped {
                    (&mut self.helped, &mut self.not_helped)
                } else {
                    (&mut self.not_helped, &mut self.helped)
                };
                bump(now, outcome, 1);
                if before.is_some() {
                    bump(then, outcome, -1);
                }
            }
        }
    }

    /// Adds `other` to these figures.
    pub fn add(&mut self, other: &Counts) {
        self.started += other.started;
        self.finished += other.finished;
        add_all(&mut self.abandoned, &other.abandoned);
        add_all(&mut self.outcomes, &other.outcomes);
        add_all(&mut self.posted, &other.posted);
        add_all(&mut self.pinned, &other.pinned);
        add_all(&mut self.helped, &other.helped);
        add_all(&mut self.not_helped, &other.not_helped);
    }

    pub fn is_empty(&self) -> bool {
        *self == Counts::default()
    }

    /// Conversations abandoned, at any question.
    pub fn abandoned_total(&self) -> i64 {
        self.abandoned.values().sum()
    }
}

/// The question a stored, unfinished conversation stopped at, by node id, when it is
/// given up: the question its answers lead to in `rules` (the running rules). A
/// conversation that reached an outcome was not abandoned (`None`). Answers that no longer
/// replay (the rules changed since) are judged by where they stop replaying: the question
/// they no longer answer.
pub fn abandoned_at(rules: &Rules, record: &SessionRecord) -> Option<String> {
    let mut walk = Walk::start(rules);
    for a in &record.answers {
        let Position::Asking(_, q) = walk.position(rules) else {
            break;
        };
        let Some(choice) = q.choices.iter().position(|c| c.value == a.value) else {
            break;
        };
        match walk.answer(rules, choice) {
            Ok(next) => walk = next,
            Err(_) => break,
        }
    }
    match walk.position(rules) {
        Position::Asking(_, q) => Some(q.id.clone()),
        Position::Done(..) => None,
    }
}

/// Which figures a report sums.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Filter {
    /// Only this place (a server's own figures).
    pub place: Option<Place>,
    /// Only days from this one on (`YYYY-MM-DD`), inclusive.
    pub since: Option<String>,
}

impl Filter {
    pub fn admits(&self, key: &Key) -> bool {
        self.place.is_none_or(|p| p == key.place)
            && self.since.as_deref().is_none_or(|s| key.day.as_str() >= s)
    }
}

/// The outcome with the smallest share of "yes" among its votes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LeastHelpful {
    pub outcome: String,
    pub helped: i64,
    pub not_helped: i64,
}

/// One outcome's line in a report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutcomeLine {
    pub outcome: String,
    pub reached: i64,
    pub posted: i64,
    pub pinned: i64,
    pub helped: i64,
    pub not_helped: i64,
}

/// The figures summed for reading: totals, the splits moderators ask about, and the two
/// headlines (where people give up most, which answer helps least).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    /// The first and last day with figures, if any.
    pub first_day: Option<String>,
    pub last_day: Option<String>,
    pub totals: Counts,
    pub by_rules_version: BTreeMap<String, Counts>,
    pub by_locale: BTreeMap<String, Counts>,
    /// By place: `g<server id>`, `dm`, `terminal`.
    pub by_place: BTreeMap<String, Counts>,
    /// Outcomes with anything counted, most reached first.
    pub outcomes: Vec<OutcomeLine>,
    /// Questions with drop-off, most abandoned first.
    pub drop_off: Vec<(String, i64)>,
    /// The question most conversations were abandoned at.
    pub top_drop_off: Option<(String, i64)>,
    pub least_helpful: Option<LeastHelpful>,
}

impl Report {
    /// Sums the figures `filter` admits.
    pub fn of<'a>(
        figures: impl IntoIterator<Item = (&'a Key, &'a Counts)>,
        filter: &Filter,
    ) -> Report {
        let mut r = Report::default();
        for (key, counts) in figures {
            if !filter.admits(key) {
                continue;
            }
            if r.first_day.as_ref().is_none_or(|d| key.day < *d) {
                r.first_day = Some(key.day.clone());
            }
            if r.last_day.as_ref().is_none_or(|d| key.day > *d) {
                r.last_day = Some(key.day.clone());
            }
            r.totals.add(counts);
            r.by_rules_version
                .entry(key.rules_version.clone())
                .or_default()
                .add(counts);
            r.by_locale
                .entry(key.locale.clone())
                .or_default()
                .add(counts);
            r.by_place
                .entry(key.place.encode())
                .or_default()
                .add(counts);
        }
        let t = &r.totals;
        let get = |m: &BTreeMap<String, i64>, id: &str| m.get(id).copied().unwrap_or(0);
        let mut ids: Vec<&String> = t
            .outcomes
            .keys()
            .chain(t.posted.keys())
            .chain(t.pinned.keys())
            .chain(t.helped.keys())
            .chain(t.not_helped.keys())
            .collect();
        ids.sort();
        ids.dedup();
        r.outcomes = ids
            .into_iter()
            .map(|id| OutcomeLine {
                outcome: id.clone(),
                reached: get(&t.outcomes, id),
                posted: get(&t.posted, id),
                pinned: get(&t.pinned, id),
                helped: get(&t.helped, id),
                not_helped: get(&t.not_helped, id),
            })
            .collect();
        r.outcomes
            .sort_by(|a, b| b.reached.cmp(&a.reached).then(a.outcome.cmp(&b.outcome)));
        r.drop_off = t
            .abandoned
            .iter()
            .filter(|(_, n)| **n > 0)
            .map(|(q, n)| (q.clone(), *n))
            .collect();
        r.drop_off.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        r.top_drop_off = r.drop_off.first().cloned();
        r.least_helpful = r
            .outcomes
            .iter()
            .filter(|o| o.helped.max(0) + o.not_helped.max(0) > 0)
            .min_by(|a, b| {
                // a.yes / a.votes < b.yes / b.votes, without division; then more "no".
                let (ay, av) = (a.helped.max(0), a.helped.max(0) + a.not_helped.max(0));
                let (by, bv) = (b.helped.max(0), b.helped.max(0) + b.not_helped.max(0));
                (ay * bv)
                    .cmp(&(by * av))
                    .then(b.not_helped.cmp(&a.not_helped))
                    .then(a.outcome.cmp(&b.outcome))
            })
            .map(|o| LeastHelpful {
                outcome: o.outcome.clone(),
                helped: o.helped,
                not_helped: o.not_helped,
            });
        r
    }

    /// The report as text for a terminal (`activation-check stats`): ids, not localized
    /// texts, so that it reads the same whatever the locale.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        let Some((first, last)) = self.first_day.as_ref().zip(self.last_day.as_ref()) else {
            return "no usage figures yet\n".to_owned();
        };
        let t = &self.totals;
        let _ = writeln!(s, "usage figures from {first} to {last} (UTC days)");
        let _ = writeln!(
            s,
            "  conversations: {} started, {} finished, {} abandoned",
            t.started,
            t.finished,
            t.abandoned_total()
        );
        match &self.top_drop_off {
            Some((q, n)) => {
                let _ = writeln!(s, "  top drop-off: question `{q}` ({n} abandoned)");
            }
            None => {
                let _ = writeln!(s, "  top drop-off: none");
            }
        }
        match &self.least_helpful {
            Some(l) => {
                let _ = writeln!(
                    s,
                    "  least helpful: outcome `{}` ({} yes, {} no)",
                    l.outcome, l.helped, l.not_helped
                );
            }
            None => {
                let _ = writeln!(s, "  least helpful: no votes yet");
            }
        }
        if !self.drop_off.is_empty() {
            let _ = writeln!(s, "drop-off by question:");
            for (q, n) in &self.drop_off {
                let _ = writeln!(s, "  {q}: {n}");
            }
        }
        if !self.outcomes.is_empty() {
            let _ = writeln!(s, "outcomes (reached, posted, pinned, helped yes/no):");
            for o in &self.outcomes {
                let _ = writeln!(
                    s,
                    "  {}: {} reached, {} posted, {} pinned, {}/{}",
                    o.outcome, o.reached, o.posted, o.pinned, o.helped, o.not_helped
                );
            }
        }
        for (title, split) in [
            ("by rules version", &self.by_rules_version),
            ("by locale", &self.by_locale),
            ("by place", &self.by_place),
        ] {
            let _ = writeln!(s, "{title} (started, finished, abandoned):");
            for (k, c) in split {
                let _ = writeln!(
                    s,
                    "  {k}: {}, {}, {}",
                    c.started,
                    c.finished,
                    c.abandoned_total()
                );
            }
        }
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(day: &str, place: Place) -> Key {
        Key {
            day: day.to_owned(),
            rules_version: "v1".to_owned(),
            locale: "ja".to_owned(),
            place,
        }
    }

    #[test]
    fn keys_read_what_they_write_and_hold_only_a_day() {
        let k = Key::new(1_796_557_000, "2026.12.06", "en-US", Place::Guild(42));
        assert_eq!(k.encode(), "2026-12-06|2026.12.06|en-US|g42");
        assert_eq!(Key::decode(&k.encode()), Some(k));
        for p in [Place::Dm, Place::Terminal, Place::Guild(7)] {
            assert_eq!(Place::decode(&p.encode()), Some(p));
        }
        assert_eq!(Key::decode("2026-12-06|v|ja"), None);
        assert_eq!(Key::decode("2026-12-06|v|ja|gx"), None);
        assert_eq!(Key::decode("2026-12-06|v|ja|dm|more"), None);
    }

    #[test]
    fn a_changed_vote_moves_one_count_and_the_same_vote_again_counts_nothing() {
        let mut c = Counts::default();
        let vote = |helped, before| Event::Vote {
            outcome: "o",
            helped,
            before,
        };
        c.apply(&vote(true, None));
        assert_eq!((c.helped["o"], c.not_helped.get("o")), (1, None));
        c.apply(&vote(true, Some(true)));
        assert_eq!(c.helped["o"], 1);
        c.apply(&vote(false, Some(true)));
        assert_eq!((c.helped.get("o"), c.not_helped["o"]), (None, 1));
    }

    #[test]
    fn a_report_names_the_top_drop_off_and_the_least_helpful_outcome() {
        let a = sample();
        let mut b = Counts::default();
        b.apply(&Event::Abandoned { question: "q1" });
        b.apply(&Event::Abandoned { question: "q1" });
        b.apply(&Event::Vote {
            outcome: "bad",
            helped: true,
            before: None,
        });
        let (ka, kb) = (
            key("2026-12-05", Place::Guild(1)),
            key("2026-12-06", Place::Dm),
        );
        let all = [(&ka, &a), (&kb, &b)];
        let r = Report::of(all, &Filter::default());
        assert_eq!(r.totals.started, 3);
        assert_eq!(r.top_drop_off, Some(("q1".to_owned(), 2)));
        let least = r.least_helpful.unwrap();
        assert_eq!(
            (least.outcome.as_str(), least.helped, least.not_helped),
            ("bad", 1, 1)
        );
        assert_eq!(r.first_day.as_deref(), Some("2026-12-05"));
        assert_eq!(r.by_place["g1"].started, 3);

        let one_server = Filter {
            place: Some(Place::Guild(1)),
            since: None,
        };
        let r = Report::of(all, &one_server);
        assert_eq!(r.top_drop_off, Some(("q2".to_owned(), 1)));
        let since = Filter {
            place: None,
            since: Some("2026-12-06".to_owned()),
        };
        assert_eq!(Report::of(all, &since).totals.started, 0);
        assert!(Report::of([], &Filter::default())
            .text()
            .contains("no usage figures"));
    }
}
