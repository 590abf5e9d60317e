//! Worked examples through the same engine the bot uses. Every scenario in
//! `tests/data/scenarios.toml` (the contract's nine, copied from the project's domain notes)
//! and `tests/data/own-scenarios.toml` (ours, reaching every outcome) is run two ways:
//! `Walk::from_facts`, and a `Conversation` over a `MemoryStore` opened and clicked through
//! choice by choice, as a Discord user would. Both must reach the same outcome with the
//! verdict the scenario expects (which comes from facts.md, not from the rules). The own
//! scenarios must reach every outcome of the rules and every verdict of the contract.

mod support;

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use activation_check::card::TimeStyle;
use activation_check::conversation::{Click, Conversation, Step, View};
use activation_check::custom_id::{Action, CustomId, Place};
use activation_check::engine::Walk;
use activation_check::rules::Verdict;
use activation_check::session::{MemoryStore, Scope, SessionKey};
use support::cli::*;

/// The outcome id and verdict `Walk::from_facts` reaches.
fn by_facts(s: &Scenario) -> (String, String, Walk) {
    let rules = &knowledge().rules;
    let walk = Walk::from_facts(rules, &s.facts)
        .unwrap_or_else(|e| panic!("{}: the facts do not reach an outcome: {e}", s.name));
    let o = walk.outcome(rules).expect("from_facts ends at an outcome");
    (o.id.clone(), o.verdict.as_str().to_owned(), walk)
}

/// The outcome id and verdict reached by clicking through a conversation, choosing at each
/// question the choice whose value the scenario gives for the question's fact.
async fn by_clicks(s: &Scenario, tag: &str) -> (String, String, Vec<String>) {
    let k = knowledge();
    let conv = Conversation::new(
        k.rules.clone(),
        k.l10n.clone(),
        Arc::new(MemoryStore::new()),
        Arc::new(|| FIXED_TIME),
        TimeStyle::Discord,
    );
    let key = SessionKey::new(Scope::Guild(81_384_788_765_712_384), "80351110224678912");
    let l = locale(tag);
    let opened = conv.open(&key, l).await.unwrap();
    assert!(!opened.resumed);
    let mut reply = opened.reply;
    let mut asked = Vec::new();
    for _ in 0..=k.rules.max_depth() {
        let q = match &reply.view {
            View::Card(card) => {
                return (
                    card.outcome.clone(),
                    card.verdict.as_str().to_owned(),
                    asked,
                )
            }
            View::Question(q) => q,
        };
        let value = s.facts.get(&q.fact).unwrap_or_else(|| {
            panic!(
                "{}: question `{}` asks for `{}`, not given",
                s.name, q.node, q.fact
            )
        });
        let question = k.rules.question(k.rules.find(&q.node).unwrap()).unwrap();
        let choice = question
            .choices
            .iter()
            .position(|c| &c.value == value)
            .unwrap_or_else(|| panic!("{}: `{}` offers no `{value}`", s.name, q.node));
        assert_eq!(q.choices.len(), question.choices.len());
        asked.push(q.fact.clone());
        // The choice's button, as the bot lays it out for this reply.
        let id = CustomId::new(
            Action::Answer(q.symbols[choice]),
            80351110224678912,
            conv.rules_tag(),
            reply.step,
            Place::Server,
            reply.answers,
        );
        let click = Click {
            key: &key,
            clicker: 80351110224678912,
            locale: l,
            id: &id,
            picked: None,
        };
        let Step::Moved(next) = conv.click(click).await.unwrap() else {
            panic!("{}: the answer did not move the conversation", s.name)
        };
        assert_eq!(next.step, reply.step + 1);
        reply = next;
    }
    panic!("{}: no card after {} answers", s.name, k.rules.max_depth());
}

async fn check(s: &Scenario) -> String {
    let (outcome, verdict, walk) = by_facts(s);
    assert_eq!(
        verdict, s.verdict,
        "{}: Walk::from_facts reached `{outcome}`",
        s.name
    );
    for tag in LOCALES {
        let (c_outcome, c_verdict, asked) = by_clicks(s, tag).await;
        assert_eq!(
            (c_outcome.as_str(), c_verdict.as_str()),
            (outcome.as_str(), verdict.as_str()),
            "{}: the conversation ({tag}) and Walk::from_facts disagree",
            s.name
        );
        let walked: Vec<String> = walk
            .transcript(&knowledge().rules)
            .into_iter()
            .map(|t| t.fact)
            .collect();
        assert_eq!(asked, walked, "{}: the same questions both ways", s.name);
    }
    outcome
}

#[tokio::test]
async fn the_contracts_worked_examples() {
    let all = shared_scenarios();
    assert_eq!(
        all.len(),
        9,
        "scenarios.toml holds the nine worked examples of contract version 2"
    );
    for s in &all {
        check(s).await;
    }
}

#[tokio::test]
async fn own_worked_examples() {
    let all = own_scenarios();
    assert!(!all.is_empty());
    let rules = &knowledge().rules;
    for s in &all {
        let outcome = check(s).await;
        let meant = s
            .outcome
            .as_deref()
            .unwrap_or_else(|| panic!("{}: own scenarios name their outcome", s.name));
        assert_eq!(outcome, meant, "{}", s.name);
        // Own scenarios give exactly the facts their path asks.
        let (_, _, walk) = by_facts(s);
        assert_eq!(walk.facts(rules), s.facts, "{}: facts not asked", s.name);
    }
}

#[test]
fn own_scenarios_reach_every_outcome_and_every_verdict() {
    let rules = &knowledge().rules;
    let mut outcomes = BTreeSet::new();
    let mut verdicts = BTreeSet::new();
    for s in own_scenarios() {
        let (outcome, verdict, _) = by_facts(&s);
        outcomes.insert(outcome);
        verdicts.insert(verdict);
    }
    let all_outcomes: BTreeSet<String> = rules.outcomes().map(|o| o.id.clone()).collect();
    assert_eq!(all_outcomes.len(), 23);
    assert_eq!(outcomes, all_outcomes, "outcomes no own scenario reaches");
    let all_verdicts: BTreeSet<String> =
        Verdict::ALL.iter().map(|v| v.as_str().to_owned()).collect();
    assert_eq!(verdicts, all_verdicts, "verdicts no own scenario reaches");
}

/// Each outcome declares the verdict facts.md assigns to its situation; checked here against
/// the expected verdict of every scenario reaching it, so an outcome whose scenarios disagree
/// on the verdict would show up.
#[test]
fn every_scenario_reaching_an_outcome_expects_the_same_verdict() {
    let mut seen: BTreeMap<String, String> = BTreeMap::new();
    for s in shared_scenarios().into_iter().chain(own_scenarios()) {
        let (outcome, _, _) = by_facts(&s);
        let prev = seen.entry(outcome.clone()).or_insert(s.verdict.clone());
        assert_eq!(prev, &s.verdict, "{}: `{outcome}`", s.name);
    }
}
