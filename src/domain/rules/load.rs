//! Parsing and validating a rules file.
//!
//! Parsing goes through serde with `toml::Spanned` on every value a problem may be
//! reported against, so each problem carries the line it is about. Validation collects
//! every problem before giving up: an editor fixes the whole list in one go.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use super::{
    Choice, Fact, Kind, Meta, Node, NodeIdx, OriginNote, Outcome, Phone, PhoneBlock, Question,
    Rules, Severity, Source, Verdict, CALL_CHECKLIST, CAVEAT_RESTS_ON, CHECKLIST_RESTS_ON,
    GENERAL_SUPPORT, SUPPORT_RESTS_ON,
};
use crate::domain::custom_id;
use crate::domain::problem::{LineIndex, Problem, Problems};

/// The longest node id a rules file may use. Node ids are no longer carried in buttons
/// (the answers are), so Discord's `custom_id` does not bound them any more; the limit
/// stays so that a rules file also loads in every earlier build (a rollback).
pub const MAX_NODE_ID_LEN: usize = 41;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRules {
    meta: Spanned<RawMeta>,
    phone: RawPhone,
    #[serde(default)]
    source: Vec<Spanned<RawSource>>,
    #[serde(default)]
    fact: Vec<Spanned<RawFact>>,
    #[serde(default)]
    question: Vec<Spanned<RawQuestion>>,
    #[serde(default)]
    outcome: Vec<Spanned<RawOutcome>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    id: Spanned<String>,
    version: Spanned<String>,
    review_by: Spanned<String>,
    start: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPhone {
    activation_desk: Spanned<String>,
    general_support: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSource {
    id: Spanned<String>,
    date: Option<Spanned<String>>,
    title: Spanned<String>,
    #[serde(default)]
    desk: Vec<Spanned<String>>,
    #[serde(default)]
    author: Vec<Spanned<String>>,
    #[serde(default)]
    outside: Vec<Spanned<String>>,
    #[serde(default)]
    note: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFact {
    name: Spanned<String>,
    values: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawQuestion {
    id: Spanned<String>,
    fact: Spanned<String>,
    text: String,
    help: Option<String>,
    choices: Vec<Spanned<RawChoice>>,
    #[serde(default)]
    not_offered: Vec<Spanned<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawChoice {
    value: Spanned<String>,
    label: Option<String>,
    next: Spanned<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawOutcome {
    id: Spanned<String>,
    verdict: Spanned<String>,
    severity: Spanned<String>,
    rests_on: Vec<Spanned<String>>,
    headline: String,
    explain: String,
    steps: Vec<String>,
    #[serde(default)]
    blocks: Vec<Spanned<String>>,
}

/// Loads and validates the rules file at `path`.
pub fn load(path: &Path) -> Result<Rules, Problems> {
    let text = crate::domain::problem::read_to_string(path).map_err(|p| Problems(vec![p]))?;
    load_str(&text, path)
}

/// Validates rules given as text; `path` is used only in problems.
pub fn load_str(text: &str, path: &Path) -> Result<Rules, Problems> {
    let lines = LineIndex::new(text);
    let raw: RawRules = toml::from_str(text).map_err(|e| {
        let line = e.span().map(|s| lines.line(s.start)).unwrap_or(0);
        Problems(vec![Problem::new(
            path,
            line,
            format!("not a valid rules file: {}", e.message().trim_end()),
        )])
    })?;
    let mut v = Validator {
        path,
        lines,
        problems: Vec::new(),
    };
    let rules = v.validate(raw);
    if v.problems.is_empty() {
        Ok(rules.expect("validation without problems yields rules"))
    } else {
        Err(Problems::sorted(v.problems))
    }
}

struct Validator<'a> {
    path: &'a Path,
    lines: LineIndex,
    problems: Vec<Problem>,
}

fn is_id(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase() || c.is_ascii_digit())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
}

fn is_fact_name(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_lowercase())
        && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
}

fn is_date(s: &str) -> bool {
    let b = s.as_bytes();
    b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter()
            .enumerate()
            .all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit())
        && (1..=12).contains(&s[5..7].parse::<u32>().unwrap_or(0))
        && (1..=31).contains(&s[8..10].parse::<u32>().unwrap_or(0))
}

/// The nodes a node's choices lead to, in order (none for an outcome).
fn successors(n: &Node) -> Vec<usize> {
    match n {
        Node::Question(q) => q.choices.iter().map(|c| c.next.0).collect(),
        Node::Outcome(_) => Vec::new(),
    }
}

impl Validator<'_> {
    fn line<T>(&self, s: &Spanned<T>) -> usize {
        self.lines.line(s.span().start)
    }

    fn report(&mut self, line: usize, message: impl Into<String>) {
        self.problems.push(Problem::new(self.path, line, message));
    }

    /// What a name in the file refers to; where it refers to nothing, a problem at the
    /// name's line saying `what` (only then written).
    fn found<T, S>(
        &mut self,
        found: Option<T>,
        name: &Spanned<S>,
        what: impl FnOnce() -> String,
    ) -> Option<T> {
        if found.is_none() {
            let line = self.line(name);
            self.report(line, what());
        }
        found
    }

    fn validate(&mut self, raw: RawRules) -> Option<Rules> {
        let sources = self.sources(&raw.source);
        let facts = self.facts(&raw.fact);
        let evidence: HashSet<&str> = sources
            .iter()
            .flat_map(|s| s.facts.iter().map(|(f, _)| f.as_str()))
            .collect();

        // Node ids first, so that `next` can refer forward.
        let by_id = self.node_ids(&raw);

        let mut nodes = Vec::new();
        for q in &raw.question {
            nodes.push(self.question(q, &facts, &by_id));
        }
        for o in &raw.outcome {
            nodes.push(self.outcome(o, &evidence));
        }

        let meta = &raw.meta.get_ref();
        let start = self.start(meta, &by_id);
        self.meta(meta);
        self.phones(&raw.phone);
        self.always_cited(&raw.meta, &evidence);
        if raw.outcome.is_empty() {
            self.report(self.line(&raw.meta), "the rules declare no outcome");
        }

        // Everything below needs a complete graph.
        let nodes: Vec<Node> = nodes.into_iter().collect::<Option<_>>()?;
        let start = start?;
        let depth = self.graph(&nodes, start)?;
        if !self.problems.is_empty() {
            return None;
        }
        Some(Rules {
            meta: Meta {
                id: meta.id.get_ref().clone(),
                version: meta.version.get_ref().clone(),
                review_by: meta.review_by.get_ref().clone(),
                start,
            },
            phone: Phone {
                activation_desk: raw.phone.activation_desk.get_ref().clone(),
                general_support: raw.phone.general_support.get_ref().clone(),
            },
            sources,
            facts,
            nodes,
            by_id,
            depth,
            file: self.path.to_path_buf(),
        })
    }

    /// Each node's index by id, questions first; reports ids that are malformed, too
    /// long for a button, or used twice.
    fn node_ids(&mut self, raw: &RawRules) -> HashMap<String, NodeIdx> {
        let mut by_id: HashMap<String, NodeIdx> = HashMap::new();
        let ids = raw
            .question
            .iter()
            .map(|q| &q.get_ref().id)
            .chain(raw.outcome.iter().map(|o| &o.get_ref().id));
        for (i, id) in ids.enumerate() {
            let line = self.line(id);
            let name = id.get_ref();
            if !is_id(name) {
                self.report(
                    line,
                    format!("node id `{name}` must be lowercase letters, digits and hyphens"),
                );
            }
            if name.len() > MAX_NODE_ID_LEN {
                self.report(
                    line,
                    format!(
                        "node id `{name}` is {} characters; at most {MAX_NODE_ID_LEN}, what \
                         every earlier build accepts",
                        name.len()
                    ),
                );
            }
            if by_id.insert(name.clone(), NodeIdx(i)).is_some() {
                self.report(line, format!("node id `{name}` is used twice"));
            }
        }
        by_id
    }

    /// The start node, which must be a node.
    fn start(&mut self, meta: &RawMeta, by_id: &HashMap<String, NodeIdx>) -> Option<NodeIdx> {
        let start = by_id.get(meta.start.get_ref()).copied();
        self.found(start, &meta.start, || {
            format!("`start` names `{}`, which is no node", meta.start.get_ref())
        })
    }

    /// `[meta]`: a version and an id, and a review date.
    fn meta(&mut self, meta: &RawMeta) {
        if meta.version.get_ref().trim().is_empty() {
            let line = self.line(&meta.version);
            self.report(line, "`version` must not be empty");
        }
        if meta.id.get_ref().trim().is_empty() {
            let line = self.line(&meta.id);
            self.report(line, "`id` must not be empty");
        }
        if !is_date(meta.review_by.get_ref()) {
            let line = self.line(&meta.review_by);
            self.report(
                line,
                format!(
                    "`review_by` is `{}`; expected a date as YYYY-MM-DD",
                    meta.review_by.get_ref()
                ),
            );
        }
    }

    /// `[phone]`: numbers a user can dial.
    fn phones(&mut self, phone: &RawPhone) {
        for number in [&phone.activation_desk, &phone.general_support] {
            let ok = !number.get_ref().is_empty()
                && number
                    .get_ref()
                    .chars()
                    .all(|c| c.is_ascii_digit() || c == '-' || c == '+' || c == ' ');
            if !ok {
                let line = self.line(number);
                self.report(
                    line,
                    format!(
                        "phone number `{}` may hold only digits, spaces, `-` and `+`",
                        number.get_ref()
                    ),
                );
            }
        }
    }

    /// Every card states the caveat's facts, and the notes for the origin the user gave:
    /// their sources must be listed so that the card can show them with their dates.
    fn always_cited(&mut self, meta: &Spanned<RawMeta>, evidence: &HashSet<&str>) {
        let always = CAVEAT_RESTS_ON
            .iter()
            .copied()
            .chain(OriginNote::ALL.iter().map(|n| n.rests_on()));
        let mut missing_always: Vec<&str> = always.filter(|f| !evidence.contains(f)).collect();
        missing_always.dedup();
        if !missing_always.is_empty() {
            let line = self.line(meta);
            self.report(
                line,
                format!(
                    "every card states {} (the caveat and the origin notes), which no source lists",
                    missing_always.join(", ")
                ),
            );
        }
    }

    fn sources(&mut self, raw: &[Spanned<RawSource>]) -> Vec<Source> {
        let mut seen_sources = HashSet::new();
        let mut seen_facts = HashSet::new();
        let mut out = Vec::new();
        for s in raw {
            let s = s.get_ref();
            let id = s.id.get_ref();
            if !seen_sources.insert(id.clone()) {
                let line = self.line(&s.id);
                self.report(line, format!("source `{id}` is declared twice"));
            }
            if let Some(date) = &s.date {
                if !is_date(date.get_ref()) {
                    let line = self.line(date);
                    self.report(
                        line,
                        format!(
                            "source `{id}` has date `{}`; expected YYYY-MM-DD",
                            date.get_ref()
                        ),
                    );
                }
            }
            let mut facts = Vec::new();
            for (list, kind) in [
                (&s.desk, Kind::Desk),
                (&s.author, Kind::Author),
                (&s.outside, Kind::Outside),
                (&s.note, Kind::Note),
            ] {
                for f in list {
                    let name = f.get_ref();
                    let line = self.line(f);
                    let number_ok = name
                        .strip_prefix(id.as_str())
                        .is_some_and(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()));
                    if !number_ok {
                        self.report(
                            line,
                            format!(
                                "fact `{name}` is listed under source `{id}`; its id must be \
                                 `{id}` followed by a number"
                            ),
                        );
                    }
                    if !seen_facts.insert(name.clone()) {
                        self.report(line, format!("fact `{name}` is listed twice"));
                    }
                    facts.push((name.clone(), kind));
                }
            }
            out.push(Source {
                id: id.clone(),
                date: s.date.as_ref().map(|d| d.get_ref().clone()),
                title: s.title.get_ref().clone(),
                title_line: self.line(&s.title),
                facts,
            });
        }
        out
    }

    fn facts(&mut self, raw: &[Spanned<RawFact>]) -> Vec<Fact> {
        let mut out: Vec<Fact> = Vec::new();
        for f in raw {
            let f = f.get_ref();
            let name = f.name.get_ref();
            let line = self.line(&f.name);
            if !is_fact_name(name) {
                self.report(
                    line,
                    format!("fact name `{name}` must be lowercase letters, digits and `_`"),
                );
            }
            if out.iter().any(|o| &o.name == name) {
                self.report(line, format!("fact `{name}` is declared twice"));
            }
            if f.values.is_empty() {
                self.report(line, format!("fact `{name}` has no values"));
            }
            let mut values = Vec::new();
            for v in &f.values {
                let line = self.line(v);
                if !is_id(v.get_ref()) {
                    self.report(
                        line,
                        format!(
                            "value `{}` of fact `{name}` must be lowercase letters, digits and \
                             hyphens",
                            v.get_ref()
                        ),
                    );
                }
                if values.contains(v.get_ref()) {
                    self.report(
                        line,
                        format!("value `{}` of fact `{name}` is listed twice", v.get_ref()),
                    );
                }
                // Buttons carry the answers as one symbol per contract value.
                if custom_id::Symbol::of(name, v.get_ref()).is_none() {
                    self.report(
                        line,
                        format!(
                            "value `{}` of fact `{name}` is not in the facts contract, so a \
                             button cannot carry it (the contract's values and their button \
                             symbols are in src/domain/custom_id.rs, SYMBOLS; a new value is added \
                             there, at the end)",
                            v.get_ref()
                        ),
                    );
                }
                values.push(v.get_ref().clone());
            }
            out.push(Fact {
                name: name.clone(),
                values,
            });
        }
        out
    }

    fn question(
        &mut self,
        raw: &Spanned<RawQuestion>,
        facts: &[Fact],
        by_id: &HashMap<String, NodeIdx>,
    ) -> Option<Node> {
        let q = raw.get_ref();
        let id = q.id.get_ref();
        let line = self.line(&q.id);
        let fact = self.asked_fact(q, facts);
        self.choice_count(q, line);
        let (choices, seen, complete) = self.choices(q, fact, by_id);
        let not_offered = self.not_offered(q, fact, &seen);
        if let Some(fact) = fact {
            self.every_value_offered(id, line, fact, &seen, &not_offered);
        }
        (complete && fact.is_some()).then(|| {
            Node::Question(Question {
                id: id.clone(),
                fact: q.fact.get_ref().clone(),
                text: q.text.clone(),
                help: q.help.clone(),
                choices,
                not_offered,
                line,
            })
        })
    }

    /// The declared fact a question asks for.
    fn asked_fact<'f>(&mut self, q: &RawQuestion, facts: &'f [Fact]) -> Option<&'f Fact> {
        let fact = facts.iter().find(|f| &f.name == q.fact.get_ref());
        self.found(fact, &q.fact, || {
            let known: Vec<_> = facts.iter().map(|f| f.name.as_str()).collect();
            format!(
                "question `{}` asks for fact `{}`, which is not declared (known: {})",
                q.id.get_ref(),
                q.fact.get_ref(),
                known.join(", ")
            )
        })
    }

    /// At least one choice. How many fit one message is Discord's business: its fit
    /// check (`discord::spec::fit_problems`, run by `rules check` and at the bot's start)
    /// reports a question with more choices than a select menu holds; the terminal takes
    /// any number.
    fn choice_count(&mut self, q: &RawQuestion, line: usize) {
        let id = q.id.get_ref();
        if q.choices.is_empty() {
            self.report(line, format!("question `{id}` has no choices"));
        }
    }

    /// The choices whose `next` is a node, the values offered, and whether every
    /// choice leads somewhere. Each value must be one of the fact's, and offered once.
    fn choices(
        &mut self,
        q: &RawQuestion,
        fact: Option<&Fact>,
        by_id: &HashMap<String, NodeIdx>,
    ) -> (Vec<Choice>, BTreeSet<String>, bool) {
        let id = q.id.get_ref();
        let mut choices = Vec::new();
        let mut complete = true;
        let mut seen = BTreeSet::new();
        for c in &q.choices {
            let c = c.get_ref();
            let value = c.value.get_ref();
            let vline = self.line(&c.value);
            if let Some(fact) = fact {
                if !fact.values.contains(value) {
                    self.report(
                        vline,
                        format!(
                            "question `{id}` offers value `{value}`, which fact `{}` does not \
                             have (allowed: {})",
                            fact.name,
                            fact.values.join(", ")
                        ),
                    );
                }
            }
            if !seen.insert(value.clone()) {
                self.report(
                    vline,
                    format!("question `{id}` offers value `{value}` twice"),
                );
            }
            let next = match by_id.get(c.next.get_ref()) {
                Some(n) => *n,
                None => {
                    let nline = self.line(&c.next);
                    self.report(
                        nline,
                        format!(
                            "question `{id}`, choice `{value}`: `next` names `{}`, which is no \
                             question or outcome",
                            c.next.get_ref()
                        ),
                    );
                    complete = false;
                    continue;
                }
            };
            let label = c
                .label
                .clone()
                .unwrap_or_else(|| Rules::default_label(q.fact.get_ref(), value));
            choices.push(Choice {
                value: value.clone(),
                label,
                next,
            });
        }
        (choices, seen, complete)
    }

    /// `not_offered`: values of the fact, none of them also offered.
    fn not_offered(
        &mut self,
        q: &RawQuestion,
        fact: Option<&Fact>,
        seen: &BTreeSet<String>,
    ) -> Vec<String> {
        let id = q.id.get_ref();
        let mut not_offered = Vec::new();
        for v in &q.not_offered {
            let value = v.get_ref();
            let vline = self.line(v);
            if let Some(fact) = fact {
                if !fact.values.contains(value) {
                    self.report(
                        vline,
                        format!(
                            "question `{id}` leaves out value `{value}`, which fact `{}` does not \
                             have (allowed: {})",
                            fact.name,
                            fact.values.join(", ")
                        ),
                    );
                }
            }
            if seen.contains(value) {
                self.report(
                    vline,
                    format!("question `{id}` both offers and leaves out value `{value}`"),
                );
            }
            not_offered.push(value.clone());
        }
        not_offered
    }

    /// Every value of the fact is offered or deliberately left out.
    fn every_value_offered(
        &mut self,
        id: &str,
        line: usize,
        fact: &Fact,
        seen: &BTreeSet<String>,
        not_offered: &[String],
    ) {
        let missing: Vec<_> = fact
            .values
            .iter()
            .filter(|v| !seen.contains(*v) && !not_offered.contains(*v))
            .map(String::as_str)
            .collect();
        if !missing.is_empty() {
            self.report(
                line,
                format!(
                    "question `{id}` does not offer every value of fact `{}`: missing {} \
                     (offer it, or list it in `not_offered` if this question must not ask it)",
                    fact.name,
                    missing.join(", ")
                ),
            );
        }
    }

    fn outcome(&mut self, raw: &Spanned<RawOutcome>, evidence: &HashSet<&str>) -> Option<Node> {
        let o = raw.get_ref();
        let id = o.id.get_ref();
        let line = self.line(&o.id);
        let verdict = self.verdict(o);
        let severity = self.severity(o);
        self.rests_on(o, line, verdict, evidence);
        if o.steps.is_empty() {
            self.report(line, format!("outcome `{id}` has no steps"));
        }
        let (phone, support, checklist) = self.blocks(o, line, evidence);
        if let Some(v) = verdict {
            self.blocks_fit_verdict(id, line, v, phone, support);
        }
        if (phone.is_some() || support) && !checklist {
            self.report(
                line,
                format!(
                    "outcome `{id}` involves a call, so it must show the `{CALL_CHECKLIST}` block"
                ),
            );
        }
        Some(Node::Outcome(Outcome {
            id: id.clone(),
            verdict: verdict?,
            severity: severity?,
            rests_on: o.rests_on.iter().map(|f| f.get_ref().clone()).collect(),
            headline: o.headline.clone(),
            explain: o.explain.clone(),
            steps: o.steps.clone(),
            phone,
            support,
            checklist,
            line,
        }))
    }

    /// An outcome's verdict, one of the contract's.
    fn verdict(&mut self, o: &RawOutcome) -> Option<Verdict> {
        let verdict = Verdict::parse(o.verdict.get_ref());
        self.found(verdict, &o.verdict, || {
            let known: Vec<_> = Verdict::ALL.iter().map(|v| v.as_str()).collect();
            format!(
                "outcome `{}` declares verdict `{}`, which is not in the contract \
                 (known: {})",
                o.id.get_ref(),
                o.verdict.get_ref(),
                known.join(", ")
            )
        })
    }

    /// An outcome's severity (its card's colour).
    fn severity(&mut self, o: &RawOutcome) -> Option<Severity> {
        let severity = Severity::ALL
            .into_iter()
            .find(|s| s.as_str() == o.severity.get_ref());
        self.found(severity, &o.severity, || {
            format!(
                "outcome `{}` has severity `{}`; expected good, info, caution or danger",
                o.id.get_ref(),
                o.severity.get_ref()
            )
        })
    }

    /// `rests_on`: facts some source lists, and at least those the verdict's contract
    /// names.
    fn rests_on(
        &mut self,
        o: &RawOutcome,
        line: usize,
        verdict: Option<Verdict>,
        evidence: &HashSet<&str>,
    ) {
        let id = o.id.get_ref();
        for f in &o.rests_on {
            if !evidence.contains(f.get_ref().as_str()) {
                let fline = self.line(f);
                self.report(
                    fline,
                    format!(
                        "outcome `{id}` rests on fact `{}`, which no source lists",
                        f.get_ref()
                    ),
                );
            }
        }
        if let Some(v) = verdict {
            let missing: Vec<_> = v
                .rests_on()
                .iter()
                .filter(|f| !o.rests_on.iter().any(|r| r.get_ref() == *f))
                .copied()
                .collect();
            if !missing.is_empty() {
                self.report(
                    line,
                    format!(
                        "outcome `{id}` (verdict `{v}`) must rest on {} as the contract says; \
                         missing {}",
                        v.rests_on().join(", "),
                        missing.join(", ")
                    ),
                );
            }
        }
    }

    /// The blocks an outcome shows: its phone block, whether it shows general support
    /// and the call checklist. Each block is a known one whose facts some source lists,
    /// with at most one phone block.
    fn blocks(
        &mut self,
        o: &RawOutcome,
        line: usize,
        evidence: &HashSet<&str>,
    ) -> (Option<PhoneBlock>, bool, bool) {
        let id = o.id.get_ref();
        let mut phone = None;
        let mut support = false;
        let mut checklist = false;
        for b in &o.blocks {
            // The facts a block's text states must be in the sources, so its card can
            // list them with their dates.
            let states = match b.get_ref().as_str() {
                "phone-activation" => PhoneBlock::PhoneActivation.rests_on(),
                "reach-operator" => PhoneBlock::ReachOperator.rests_on(),
                GENERAL_SUPPORT => SUPPORT_RESTS_ON,
                CALL_CHECKLIST => CHECKLIST_RESTS_ON,
                _ => &[],
            };
            for f in states.iter().filter(|f| !evidence.contains(*f)) {
                let bline = self.line(b);
                self.report(
                    bline,
                    format!(
                        "block `{}` of outcome `{id}` states fact `{f}`, which no source lists",
                        b.get_ref()
                    ),
                );
            }
            match b.get_ref().as_str() {
                "phone-activation" => phone = Some(PhoneBlock::PhoneActivation),
                "reach-operator" => phone = Some(PhoneBlock::ReachOperator),
                GENERAL_SUPPORT => support = true,
                CALL_CHECKLIST => checklist = true,
                other => {
                    let bline = self.line(b);
                    self.report(
                        bline,
                        format!(
                            "outcome `{id}` shows block `{other}`; known blocks: \
                             phone-activation, reach-operator, general-support, call-checklist"
                        ),
                    );
                }
            }
        }
        let phone_count = o
            .blocks
            .iter()
            .filter(|b| matches!(b.get_ref().as_str(), "phone-activation" | "reach-operator"))
            .count();
        if phone_count > 1 {
            self.report(
                line,
                format!("outcome `{id}` shows more than one phone block"),
            );
        }
        (phone, support, checklist)
    }

    /// The phone block the verdict calls for, and general support where it needs it.
    fn blocks_fit_verdict(
        &mut self,
        id: &str,
        line: usize,
        v: Verdict,
        phone: Option<PhoneBlock>,
        support: bool,
    ) {
        if v.phone_block() != phone {
            let want = v.phone_block().map_or("no phone block", PhoneBlock::as_str);
            let got = phone.map_or("none", PhoneBlock::as_str);
            self.report(
                line,
                format!("outcome `{id}` (verdict `{v}`) must show {want}; it shows {got}"),
            );
        }
        if v.needs_support() && !support {
            self.report(
                line,
                format!(
                    "outcome `{id}` (verdict `{v}`) must show the `{GENERAL_SUPPORT}` block \
                     (B9's line and web form beside the desk)"
                ),
            );
        }
    }

    /// Checks reachability, cycles and repeated facts along a path; returns each node's
    /// depth (questions to the farthest outcome).
    fn graph(&mut self, nodes: &[Node], start: NodeIdx) -> Option<Vec<usize>> {
        let (order, cyclic) = self.cycles(nodes);
        self.unreachable(nodes, start);
        if cyclic {
            return None;
        }

        // Depths in post-order: successors are done before their predecessors.
        let mut depth = vec![0usize; nodes.len()];
        for &n in &order {
            depth[n] = match &nodes[n] {
                Node::Outcome(_) => 0,
                Node::Question(_) => 1 + successors(&nodes[n]).iter().map(|&m| depth[m]).max()?,
            };
        }

        self.facts_asked_twice(nodes, start);
        Some(depth)
    }

    /// Cycles: iterative depth-first search with colours, from every node so that a
    /// cycle among unreachable nodes is reported too. Returns the nodes in post-order,
    /// and whether there is a cycle.
    fn cycles(&mut self, nodes: &[Node]) -> (Vec<usize>, bool) {
        #[derive(Clone, Copy, PartialEq)]
        enum Colour {
            White,
            Grey,
            Black,
        }
        let mut colour = vec![Colour::White; nodes.len()];
        let mut order = Vec::with_capacity(nodes.len()); // post-order
        let mut cyclic = false;
        for root in 0..nodes.len() {
            if colour[root] != Colour::White {
                continue;
            }
            let mut stack = vec![(root, 0usize)];
            colour[root] = Colour::Grey;
            while let Some((n, i)) = stack.pop() {
                let succ = successors(&nodes[n]);
                if i < succ.len() {
                    stack.push((n, i + 1));
                    let m = succ[i];
                    match colour[m] {
                        Colour::White => {
                            colour[m] = Colour::Grey;
                            stack.push((m, 0));
                        }
                        Colour::Grey => {
                            cyclic = true;
                            self.report(
                                nodes[n].line(),
                                format!(
                                    "`{}` leads back to `{}`: the tree has a cycle",
                                    nodes[n].id(),
                                    nodes[m].id()
                                ),
                            );
                        }
                        Colour::Black => {}
                    }
                } else {
                    colour[n] = Colour::Black;
                    order.push(n);
                }
            }
        }

        (order, cyclic)
    }

    /// Each node that cannot be reached from the start.
    fn unreachable(&mut self, nodes: &[Node], start: NodeIdx) {
        let mut reachable = vec![false; nodes.len()];
        let mut todo = vec![start.0];
        while let Some(n) = todo.pop() {
            if !std::mem::replace(&mut reachable[n], true) {
                todo.extend(successors(&nodes[n]));
            }
        }
        for (n, node) in nodes.iter().enumerate() {
            if !reachable[n] {
                self.report(
                    node.line(),
                    format!(
                        "`{}` cannot be reached from `start` (`{}`)",
                        node.id(),
                        nodes[start.0].id()
                    ),
                );
            }
        }
    }

    /// A fact asked twice along one path would make `--answer FACT=VALUE` ambiguous.
    /// The facts asked before a node differ by path, so walk paths (the tree is small;
    /// the walk is bounded by the number of paths, which the depth bound keeps small).
    fn facts_asked_twice(&mut self, nodes: &[Node], start: NodeIdx) {
        let mut stack: Vec<(usize, Vec<&str>)> = vec![(start.0, Vec::new())];
        let mut reported = HashSet::new();
        while let Some((n, asked)) = stack.pop() {
            if let Node::Question(q) = &nodes[n] {
                if asked.contains(&q.fact.as_str()) {
                    if reported.insert(n) {
                        self.report(
                            q.line,
                            format!(
                                "question `{}` asks for fact `{}`, which an earlier question on \
                                 the same path already asked",
                                q.id, q.fact
                            ),
                        );
                    }
                    continue;
                }
                let mut asked = asked.clone();
                asked.push(q.fact.as_str());
                let mut succ = successors(&nodes[n]);
                succ.sort_unstable();
                succ.dedup();
                for m in succ {
                    stack.push((m, asked.clone()));
                }
            }
        }
    }
}
