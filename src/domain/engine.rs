//! The conversation as pure functions over validated [`Rules`].
//!
//! A [`Walk`] is the path taken so far: the questions answered and the choice made at
//! each. Everything else (the current node, the transcript, the progress) is derived
//! from it, so there is no second copy of the state to fall out of step. The engine knows
//! nothing about storage, Discord or the terminal; the conversation layer stores walks as
//! `(question id, value)` answers and replays them here with [`Walk::replay`].

use std::collections::BTreeMap;

use serde::Serialize;

use crate::domain::custom_id::{Answers, Symbol};
use crate::domain::rules::{Node, NodeIdx, Outcome, Question, Rules};
use crate::domain::session::Answer;

/// The path taken through the tree so far.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Walk {
    /// Each answered question and the position of the choice taken.
    steps: Vec<(NodeIdx, usize)>,
    /// Where the walk stands; `None` only for a default-constructed walk.
    at: Option<NodeIdx>,
}

/// Where a walk stands.
#[derive(Debug, Clone, Copy)]
pub enum Position<'r> {
    Asking(NodeIdx, &'r Question),
    Done(NodeIdx, &'r Outcome),
}

/// "Question `number` of at most `at_most`".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Progress {
    /// 1-based number of the current question; at an outcome, the number answered.
    pub number: usize,
    /// The most questions this conversation can still come to along the current path.
    pub at_most: usize,
}

/// One answered question, as shown to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TranscriptEntry {
    /// Question node id.
    pub question: String,
    pub fact: String,
    pub value: String,
    /// 0-based position of the choice among those shown.
    pub choice: usize,
    /// Fluent id of the choice's label.
    pub label: String,
}

/// Why a step could not be taken.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StepError {
    #[error("the conversation is finished; there is no question to answer")]
    Finished,
    #[error("question `{question}` has no choice at position {choice}")]
    NoSuchChoice { question: String, choice: usize },
    #[error("the answer is for question `{given}`, but the current question is `{current}`")]
    NotCurrent { given: String, current: String },
    #[error("question `{question}` does not offer `{fact}={value}`")]
    NotOffered {
        question: String,
        fact: String,
        value: String,
    },
}

/// Stored answers that no longer fit the rules (they changed since).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("stored answer {index} (`{node}` = `{value}`) does not fit the current rules")]
pub struct Stale {
    pub index: usize,
    pub node: String,
    pub value: String,
}

/// A fact needed to answer from given facts (`--answer FACT=VALUE`) is missing or has a
/// value the question does not offer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FactError {
    #[error("question `{question}` needs fact `{fact}` (one of: {})", allowed.join(", "))]
    Missing {
        question: String,
        fact: String,
        allowed: Vec<String>,
    },
    #[error("question `{question}` cannot take `{fact}={value}`; allowed values: {}", allowed.join(", "))]
    UnknownValue {
        question: String,
        fact: String,
        value: String,
        allowed: Vec<String>,
    },
}

impl Walk {
    /// A new walk at the rules' first question.
    pub fn start(rules: &Rules) -> Self {
        Self {
            steps: Vec::new(),
            at: Some(rules.start()),
        }
    }

    /// Replays stored answers; fails if any no longer fits the rules.
    pub fn replay(rules: &Rules, answers: &[Answer]) -> Result<Self, Stale> {
        let mut walk = Self::start(rules);
        for (index, a) in answers.iter().enumerate() {
            let stale = || Stale {
                index,
                node: a.node.clone(),
                value: a.value.clone(),
            };
            let Position::Asking(idx, q) = walk.position(rules) else {
                return Err(stale());
            };
            if q.id != a.node {
                return Err(stale());
            }
            let choice = q
                .choices
                .iter()
                .position(|c| c.value == a.value)
                .ok_or_else(stale)?;
            walk = walk.answer_at(rules, idx, choice).map_err(|_| stale())?;
        }
        Ok(walk)
    }

    /// Replays the answers a button carries: each symbol must answer the question the
    /// ones before it lead to. `None` if they do not fit these rules (a button made under
    /// other rules, or not by this bot).
    pub fn replay_symbols(rules: &Rules, answers: &Answers) -> Option<Self> {
        let mut walk = Self::start(rules);
        for symbol in answers.iter() {
            walk = walk.answer_symbol(rules, symbol).ok()?;
        }
        Some(walk)
    }

    /// Answers the current question with the value `symbol` stands for.
    pub fn answer_symbol(&self, rules: &Rules, symbol: Symbol) -> Result<Self, StepError> {
        let (fact, value) = symbol.fact_value();
        match self.position(rules) {
            Position::Asking(idx, q) if q.fact == fact => {
                match q.choices.iter().position(|c| c.value == value) {
                    Some(choice) => self.answer_at(rules, idx, choice),
                    None => Err(StepError::NotOffered {
                        question: q.id.clone(),
                        fact: fact.to_owned(),
                        value: value.to_owned(),
                    }),
                }
            }
            Position::Asking(_, q) => Err(StepError::NotOffered {
                question: q.id.clone(),
                fact: fact.to_owned(),
                value: value.to_owned(),
            }),
            Position::Done(..) => Err(StepError::Finished),
        }
    }

    /// Walks from the start as far as `facts` settle the questions: stops at the first
    /// question whose fact has no value there (or a value it does not offer), or at an
    /// outcome. How answers given under other rules are carried into these ones.
    pub fn settle<'a>(rules: &Rules, facts: impl Fn(&str) -> Option<&'a str>) -> Self {
        let mut walk = Self::start(rules);
        while let Position::Asking(idx, q) = walk.position(rules) {
            let Some(value) = facts(&q.fact) else {
                break;
            };
            let Some(choice) = q.choices.iter().position(|c| c.value == value) else {
                break;
            };
            walk = walk
                .answer_at(rules, idx, choice)
                .expect("a choice position found in the current question is valid");
        }
        walk
    }

    /// The answers as a button carries them. Every value of validated rules has a
    /// symbol (the loader checks), and no path is longer than a button holds.
    pub fn symbols(&self, rules: &Rules) -> Answers {
        let symbols = self.steps.iter().map(|&(idx, choice)| {
            let q = rules
                .question(idx)
                .expect("a walk's steps are questions of its rules");
            Symbol::of(&q.fact, &q.choices[choice].value)
                .expect("validated rules only use values of the contract")
        });
        Answers::from_symbols(symbols).expect("a fact is asked at most once along a path")
    }

    /// Walks from the start answering each question from `facts`; facts the path never
    /// asks are ignored.
    pub fn from_facts(rules: &Rules, facts: &BTreeMap<String, String>) -> Result<Self, FactError> {
        let mut walk = Self::start(rules);
        while let Position::Asking(idx, q) = walk.position(rules) {
            let allowed = || q.choices.iter().map(|c| c.value.clone()).collect();
            let value = facts.get(&q.fact).ok_or_else(|| FactError::Missing {
                question: q.id.clone(),
                fact: q.fact.clone(),
                allowed: allowed(),
            })?;
            let choice = q
                .choices
                .iter()
                .position(|c| &c.value == value)
                .ok_or_else(|| FactError::UnknownValue {
                    question: q.id.clone(),
                    fact: q.fact.clone(),
                    value: value.clone(),
                    allowed: allowed(),
                })?;
            walk = walk
                .answer_at(rules, idx, choice)
                .expect("a choice position found in the current question is valid");
        }
        Ok(walk)
    }

    pub fn position<'r>(&self, rules: &'r Rules) -> Position<'r> {
        let idx = self.at.unwrap_or(rules.start());
        match rules.node(idx) {
            Node::Question(q) => Position::Asking(idx, q),
            Node::Outcome(o) => Position::Done(idx, o),
        }
    }

    pub fn outcome<'r>(&self, rules: &'r Rules) -> Option<&'r Outcome> {
        match self.position(rules) {
            Position::Done(_, o) => Some(o),
            Position::Asking(..) => None,
        }
    }

    /// Answers the current question with the choice at position `choice`.
    pub fn answer(&self, rules: &Rules, choice: usize) -> Result<Self, StepError> {
        match self.position(rules) {
            Position::Asking(idx, _) => self.answer_at(rules, idx, choice),
            Position::Done(..) => Err(StepError::Finished),
        }
    }

    /// Answers question `node` (by id), which must be the current question. Used for
    /// clicks, which say which question they answer.
    pub fn answer_node(&self, rules: &Rules, node: &str, choice: usize) -> Result<Self, StepError> {
        match self.position(rules) {
            Position::Asking(idx, q) if q.id == node => self.answer_at(rules, idx, choice),
            Position::Asking(_, q) => Err(StepError::NotCurrent {
                given: node.to_owned(),
                current: q.id.clone(),
            }),
            Position::Done(..) => Err(StepError::Finished),
        }
    }

    fn answer_at(&self, rules: &Rules, idx: NodeIdx, choice: usize) -> Result<Self, StepError> {
        let q = rules.question(idx).ok_or(StepError::Finished)?;
        let c = q
            .choices
            .get(choice)
            .ok_or_else(|| StepError::NoSuchChoice {
                question: q.id.clone(),
                choice,
            })?;
        let mut steps = self.steps.clone();
        steps.push((idx, choice));
        Ok(Self {
            steps,
            at: Some(c.next),
        })
    }

    /// One question back; `None` at the first question.
    pub fn back(&self) -> Option<Self> {
        let mut steps = self.steps.clone();
        let (idx, _) = steps.pop()?;
        Some(Self {
            steps,
            at: Some(idx),
        })
    }

    /// Back to the first question.
    pub fn restart(rules: &Rules) -> Self {
        Self::start(rules)
    }

    /// Each answered question and the position of the choice taken, in order.
    pub fn steps(&self) -> &[(NodeIdx, usize)] {
        &self.steps
    }

    /// How many questions have been answered.
    pub fn answered(&self) -> usize {
        self.steps.len()
    }

    pub fn is_done(&self, rules: &Rules) -> bool {
        matches!(self.position(rules), Position::Done(..))
    }

    pub fn progress(&self, rules: &Rules) -> Progress {
        let idx = self.at.unwrap_or(rules.start());
        match rules.node(idx) {
            Node::Question(_) => Progress {
                number: self.steps.len() + 1,
                at_most: self.steps.len() + rules.depth(idx),
            },
            Node::Outcome(_) => Progress {
                number: self.steps.len(),
                at_most: self.steps.len(),
            },
        }
    }

    pub fn transcript(&self, rules: &Rules) -> Vec<TranscriptEntry> {
        self.steps
            .iter()
            .map(|&(idx, choice)| {
                let q = rules
                    .question(idx)
                    .expect("a walk's steps are questions of its rules");
                let c = &q.choices[choice];
                TranscriptEntry {
                    question: q.id.clone(),
                    fact: q.fact.clone(),
                    value: c.value.clone(),
                    choice,
                    label: c.label.clone(),
                }
            })
            .collect()
    }

    /// The answers in storable form.
    pub fn answers(&self, rules: &Rules) -> Vec<Answer> {
        self.steps
            .iter()
            .map(|&(idx, choice)| {
                let q = rules
                    .question(idx)
                    .expect("a walk's steps are questions of its rules");
                Answer {
                    node: q.id.clone(),
                    value: q.choices[choice].value.clone(),
                }
            })
            .collect()
    }

    /// The facts established so far, by name.
    pub fn facts(&self, rules: &Rules) -> BTreeMap<String, String> {
        self.transcript(rules)
            .into_iter()
            .map(|t| (t.fact, t.value))
            .collect()
    }
}
