//! The decision tree as validated data.
//!
//! The knowledge lives in `rules/*.toml`, written by people, so it is parsed once by
//! [`load`] into a [`Rules`] value whose invariants the rest of the program relies on:
//! every `next` points at a node, every node is reachable, there are no cycles, every
//! question asks for a known fact and covers its values, every outcome's verdict and
//! evidence exist and it shows the phone block its verdict requires. Code that holds a
//! `Rules` never re-checks any of that.
//!
//! The verdicts and their contract (which facts each rests on, which phone block it
//! needs, whether it shows the general support line) are code, in [`Verdict`], because
//! they are fixed by the project's facts catalogue (contract version 2); the tree that
//! leads to them is data. So are the facts every card states whatever its outcome: the
//! caveat's ([`CAVEAT_RESTS_ON`]) and the notes a card adds for the license origin the
//! user gave ([`OriginNote`]).

mod load;

pub use load::{load, load_str};

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use serde::Serialize;

/// Index of a node in [`Rules::nodes`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeIdx(pub(crate) usize);

/// The validated tree.
#[derive(Debug, Clone)]
pub struct Rules {
    pub meta: Meta,
    pub phone: Phone,
    pub sources: Vec<Source>,
    pub facts: Vec<Fact>,
    pub(crate) nodes: Vec<Node>,
    pub(crate) by_id: HashMap<String, NodeIdx>,
    /// For each node, the largest number of questions on any path from it to an outcome
    /// (the node itself included). Outcomes have 0.
    pub(crate) depth: Vec<usize>,
    /// Where the rules came from, for messages.
    pub file: PathBuf,
}

#[derive(Debug, Clone)]
pub struct Meta {
    pub id: String,
    pub version: String,
    /// `YYYY-MM-DD`.
    pub review_by: String,
    pub start: NodeIdx,
}

/// The phone numbers the texts quote (A11, B9).
#[derive(Debug, Clone)]
pub struct Phone {
    /// The phone activation desk.
    pub activation_desk: String,
    /// General Windows support.
    pub general_support: String,
}

/// How a source fact was obtained: this decides how a text may present it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// What the activation desk said to the source's author.
    Desk,
    /// The source author's own observation or advice.
    Author,
    /// General information from outside the two sources.
    Outside,
    /// The project's own principles (the caveat).
    Note,
}

/// A source and the facts (`A1`, `B2`, ...) it holds.
#[derive(Debug, Clone)]
pub struct Source {
    pub id: String,
    /// `YYYY-MM-DD`, absent for the project's own notes.
    pub date: Option<String>,
    /// Fluent id of the source's short description.
    pub title: String,
    /// The line of `title`, where a problem with that message is reported.
    pub title_line: usize,
    pub facts: Vec<(String, Kind)>,
}

/// A fact the conversation establishes, with its allowed values.
#[derive(Debug, Clone)]
pub struct Fact {
    pub name: String,
    pub values: Vec<String>,
}

#[derive(Debug, Clone)]
pub enum Node {
    Question(Question),
    Outcome(Outcome),
}

impl Node {
    pub fn id(&self) -> &str {
        match self {
            Node::Question(q) => &q.id,
            Node::Outcome(o) => &o.id,
        }
    }

    pub fn line(&self) -> usize {
        match self {
            Node::Question(q) => q.line,
            Node::Outcome(o) => o.line,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Question {
    pub id: String,
    /// The fact's name (one of [`Rules::facts`]).
    pub fact: String,
    /// Fluent id of the question.
    pub text: String,
    /// Fluent id of an optional hint on how to find the answer.
    pub help: Option<String>,
    pub choices: Vec<Choice>,
    /// Values of the fact this question leaves out on purpose (`not_offered` in the rules),
    /// such as `hardware_change = none` where the user came to say what they replaced.
    pub not_offered: Vec<String>,
    pub line: usize,
}

#[derive(Debug, Clone)]
pub struct Choice {
    pub value: String,
    /// Fluent id of the choice's label.
    pub label: String,
    pub next: NodeIdx,
}

#[derive(Debug, Clone)]
pub struct Outcome {
    pub id: String,
    pub verdict: Verdict,
    pub severity: Severity,
    /// Fact ids (`A3`, `B2`, ...) this outcome rests on, as declared.
    pub rests_on: Vec<String>,
    pub headline: String,
    pub explain: String,
    pub steps: Vec<String>,
    pub phone: Option<PhoneBlock>,
    /// Shows the general Windows support line and web form (B9).
    pub support: bool,
    pub checklist: bool,
    pub line: usize,
}

impl Outcome {
    /// Every fact its card states whatever the user's answers: the outcome's own, then
    /// its blocks' (phone, general support, checklist) and the caveat's, each once. A card
    /// adds the facts of its [`OriginNote`]s.
    pub fn cited_facts(&self) -> Vec<&str> {
        let blocks = self.phone.map_or(&[][..], PhoneBlock::rests_on);
        let support = if self.support { SUPPORT_RESTS_ON } else { &[] };
        let checklist = if self.checklist {
            CHECKLIST_RESTS_ON
        } else {
            &[]
        };
        let mut facts: Vec<&str> = Vec::new();
        for f in self
            .rests_on
            .iter()
            .map(String::as_str)
            .chain(blocks.iter().copied())
            .chain(support.iter().copied())
            .chain(checklist.iter().copied())
            .chain(CAVEAT_RESTS_ON.iter().copied())
        {
            if !facts.contains(&f) {
                facts.push(f);
            }
        }
        facts
    }
}

/// How serious an outcome is; decides the card's colour.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Good,
    Info,
    Caution,
    Danger,
}

impl Severity {
    pub const ALL: [Severity; 4] = [
        Severity::Good,
        Severity::Info,
        Severity::Caution,
        Severity::Danger,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Good => "good",
            Severity::Info => "info",
            Severity::Caution => "caution",
            Severity::Danger => "danger",
        }
    }
}

/// The two standard phone blocks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PhoneBlock {
    /// Reading the installation ID to the automated line (D3, A11 steps 1–2).
    PhoneActivation,
    /// Getting a human operator at the desk (A11, with A12's warning).
    ReachOperator,
}

impl PhoneBlock {
    pub fn as_str(self) -> &'static str {
        match self {
            PhoneBlock::PhoneActivation => "phone-activation",
            PhoneBlock::ReachOperator => "reach-operator",
        }
    }

    /// The facts the block's text states (`card-*-body` in `i18n/*/card.ftl`), so that a
    /// card showing the block also lists their sources and dates.
    pub fn rests_on(self) -> &'static [&'static str] {
        match self {
            // slui 4 (D4), the general procedure (D3), the AI voice line (A4), the desk's
            // number (A11 steps 1-2).
            PhoneBlock::PhoneActivation => &["D3", "D4", "A4", "A11"],
            // The author's way to a person (A11) and the desk's "only the motherboard
            // case" with the author's warning not to claim one (A12).
            PhoneBlock::ReachOperator => &["A11", "A12"],
        }
    }
}

/// The facts the call checklist states (`card-checklist-body`).
pub const CHECKLIST_RESTS_ON: &[&str] = &["B8"];

/// The block name for the call checklist (B8) in the rules' `blocks` lists.
pub const CALL_CHECKLIST: &str = "call-checklist";

/// The facts the general support block states (`card-support-body`): the line and the web
/// form the desk named for Windows itself and its installation.
pub const SUPPORT_RESTS_ON: &[&str] = &["B9"];

/// The block name for the general support line and web form (B9).
pub const GENERAL_SUPPORT: &str = "general-support";

/// The facts the caveat states on every card beside C1-C4: the calls were oral and may hold
/// misunderstandings (A13); Microsoft announced none of this (A14).
pub const CAVEAT_RESTS_ON: &[&str] = &["A13", "A14"];

/// A sentence a card adds for the license origin the user gave, whatever its outcome, so
/// that no path can leave it out (contract version 2, last paragraph).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OriginNote {
    /// Windows 10 left support on 2025-10-14 (D1): for `native-win10`.
    Win10SupportEnded,
    /// The same, for those who may still run Windows 10 (`free-upgrade-win7-8`, `unknown`).
    Win10SupportEndedIfStill,
    /// A digital license linked to a Microsoft account does not protect a free upgrade
    /// (A1): for `free-upgrade-win7-8`.
    DigitalLicense,
    /// The same, for an origin the user does not know (`unknown`).
    DigitalLicenseIfFreeUpgrade,
}

/// The fact whose value decides a card's [`OriginNote`]s.
pub const ORIGIN_FACT: &str = "license_origin";

impl OriginNote {
    pub const ALL: [OriginNote; 4] = [
        OriginNote::Win10SupportEnded,
        OriginNote::Win10SupportEndedIfStill,
        OriginNote::DigitalLicense,
        OriginNote::DigitalLicenseIfFreeUpgrade,
    ];

    /// The notes for a `license_origin` value, in the order a card shows them.
    pub fn for_origin(origin: &str) -> &'static [OriginNote] {
        use OriginNote::*;
        match origin {
            "native-win10" => &[Win10SupportEnded],
            "free-upgrade-win7-8" => &[DigitalLicense, Win10SupportEndedIfStill],
            "unknown" => &[DigitalLicenseIfFreeUpgrade, Win10SupportEndedIfStill],
            _ => &[],
        }
    }

    /// The Fluent id of the note's sentence.
    pub fn message(self) -> &'static str {
        match self {
            OriginNote::Win10SupportEnded => "note-win10-support-ended",
            OriginNote::Win10SupportEndedIfStill => "note-win10-support-ended-if-still",
            OriginNote::DigitalLicense => "note-digital-license",
            OriginNote::DigitalLicenseIfFreeUpgrade => "note-digital-license-if-free-upgrade",
        }
    }

    /// The fact the sentence states.
    pub fn rests_on(self) -> &'static str {
        match self {
            OriginNote::Win10SupportEnded | OriginNote::Win10SupportEndedIfStill => "D1",
            OriginNote::DigitalLicense | OriginNote::DigitalLicenseIfFreeUpgrade => "A1",
        }
    }
}

macro_rules! verdicts {
    ($( $variant:ident = $name:literal, rests_on [$($fact:literal),*], phone $phone:expr, support $support:expr; )*) => {
        /// The fixed set of verdicts an outcome may declare.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum Verdict { $($variant),* }

        impl Verdict {
            pub const ALL: &'static [Verdict] = &[$(Verdict::$variant),*];

            pub fn as_str(self) -> &'static str {
                match self { $(Verdict::$variant => $name),* }
            }

            pub fn parse(s: &str) -> Option<Verdict> {
                match s { $($name => Some(Verdict::$variant),)* _ => None }
            }

            /// The facts the contract says this verdict rests on; an outcome must cite
            /// at least these.
            pub fn rests_on(self) -> &'static [&'static str] {
                match self { $(Verdict::$variant => &[$($fact),*]),* }
            }

            /// The phone block the contract assigns to this verdict.
            pub fn phone_block(self) -> Option<PhoneBlock> {
                match self { $(Verdict::$variant => $phone),* }
            }

            /// Whether the contract wants the general support line and web form (B9)
            /// beside the desk on this verdict's cards.
            pub fn needs_support(self) -> bool {
                match self { $(Verdict::$variant => $support),* }
            }
        }
    };
}

use PhoneBlock::{PhoneActivation, ReachOperator};

verdicts! {
    LikelyReactivates = "likely-reactivates", rests_on ["B1", "D3"], phone Some(PhoneActivation), support false;
    PhoneReactivation = "phone-reactivation", rests_on ["B2", "D3"], phone Some(PhoneActivation), support false;
    PhoneReactivationUncertain = "phone-reactivation-uncertain", rests_on ["B3", "B4", "D3"], phone Some(PhoneActivation), support false;
    UpgradeRightLost = "upgrade-right-lost", rests_on ["A1", "A2", "B3", "B4", "B6"], phone None, support false;
    RestoreBackup = "restore-backup", rests_on ["A6"], phone None, support false;
    ReinstallAtRisk = "reinstall-at-risk", rests_on ["A5", "A6", "B3"], phone Some(PhoneActivation), support false;
    OperatorConsultation = "operator-consultation", rests_on ["A3", "A11", "A12", "B4"], phone Some(ReachOperator), support false;
    LicenseTermsApply = "license-terms-apply", rests_on ["A8"], phone None, support false;
    NewLicenseNeeded = "new-license-needed", rests_on ["A2", "A5", "B6"], phone None, support false;
    KeepAndBackUp = "keep-and-back-up", rests_on ["A9", "A6"], phone None, support false;
    HighRiskUpdate = "high-risk-update", rests_on ["A6", "B5", "B7", "B8", "D2", "D5"], phone Some(ReachOperator), support true;
    NormalRiskUpdate = "normal-risk-update", rests_on ["A6", "B1", "B2"], phone None, support false;
    VmNewFails = "vm-new-fails", rests_on ["A7"], phone None, support false;
    VmReuseUncertain = "vm-reuse-uncertain", rests_on ["A7"], phone None, support false;
    AskActivationDesk = "ask-activation-desk", rests_on ["C1", "B7", "B8", "B9", "D4"], phone Some(ReachOperator), support true;
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for Verdict {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

impl Rules {
    pub fn start(&self) -> NodeIdx {
        self.meta.start
    }

    pub fn node(&self, idx: NodeIdx) -> &Node {
        &self.nodes[idx.0]
    }

    pub fn nodes(&self) -> impl Iterator<Item = (NodeIdx, &Node)> {
        self.nodes.iter().enumerate().map(|(i, n)| (NodeIdx(i), n))
    }

    pub fn find(&self, id: &str) -> Option<NodeIdx> {
        self.by_id.get(id).copied()
    }

    pub fn question(&self, idx: NodeIdx) -> Option<&Question> {
        match self.node(idx) {
            Node::Question(q) => Some(q),
            Node::Outcome(_) => None,
        }
    }

    pub fn outcome(&self, idx: NodeIdx) -> Option<&Outcome> {
        match self.node(idx) {
            Node::Outcome(o) => Some(o),
            Node::Question(_) => None,
        }
    }

    pub fn outcomes(&self) -> impl Iterator<Item = &Outcome> {
        self.nodes.iter().filter_map(|n| match n {
            Node::Outcome(o) => Some(o),
            Node::Question(_) => None,
        })
    }

    pub fn questions(&self) -> impl Iterator<Item = &Question> {
        self.nodes.iter().filter_map(|n| match n {
            Node::Question(q) => Some(q),
            Node::Outcome(_) => None,
        })
    }

    /// The largest number of questions on any path from `idx` to an outcome.
    pub fn depth(&self, idx: NodeIdx) -> usize {
        self.depth[idx.0]
    }

    /// The largest number of questions any conversation asks.
    pub fn max_depth(&self) -> usize {
        self.depth(self.meta.start)
    }

    pub fn fact(&self, name: &str) -> Option<&Fact> {
        self.facts.iter().find(|f| f.name == name)
    }

    pub fn source(&self, id: &str) -> Option<&Source> {
        self.sources.iter().find(|s| s.id == id)
    }

    /// The source holding fact `id` and how the fact was obtained.
    pub fn evidence(&self, id: &str) -> Option<(&Source, Kind)> {
        self.sources.iter().find_map(|s| {
            s.facts
                .iter()
                .find(|(f, _)| f == id)
                .map(|(_, kind)| (s, *kind))
        })
    }

    /// Every Fluent message id the rules reference, with the line that references it.
    pub fn message_ids(&self) -> Vec<(&str, usize)> {
        let mut ids = Vec::new();
        for s in &self.sources {
            ids.push((s.title.as_str(), s.title_line));
        }
        for node in &self.nodes {
            match node {
                Node::Question(q) => {
                    ids.push((q.text.as_str(), q.line));
                    if let Some(h) = &q.help {
                        ids.push((h.as_str(), q.line));
                    }
                    for c in &q.choices {
                        ids.push((c.label.as_str(), q.line));
                    }
                }
                Node::Outcome(o) => {
                    ids.push((o.headline.as_str(), o.line));
                    ids.push((o.explain.as_str(), o.line));
                    for s in &o.steps {
                        ids.push((s.as_str(), o.line));
                    }
                }
            }
        }
        ids
    }

    /// The verdicts some outcome declares (every outcome is reachable, by validation).
    pub fn verdicts(&self) -> std::collections::BTreeSet<Verdict> {
        self.outcomes().map(|o| o.verdict).collect()
    }

    /// The default label message id for a fact value: `value-<fact>-<value>`, with the
    /// fact name's underscores as hyphens.
    pub fn default_label(fact: &str, value: &str) -> String {
        format!("value-{}-{value}", fact.replace('_', "-"))
    }

    pub fn path(&self) -> &Path {
        &self.file
    }
}
