//! The decision tree as a picture: Mermaid, Graphviz DOT, or an SVG laid out here.
//!
//! Moderators keep the knowledge but should not have to read TOML to see it, and reviewers
//! read a change to the tree best as a change to its picture. So the picture is derived
//! from the validated [`Rules`] alone: [`Graph::of`] turns the tree into nodes (questions
//! with the fact each asks, outcomes with their verdict and severity) and edges (the
//! choices, by value), and the writers only print that model. Nothing here names a node or
//! a text of the shipped rules.
//!
//! The output is deterministic: nodes in the rules' order (questions, then outcomes, each
//! in file order), edges in question and choice order. Choices of one question that lead
//! to the same node share one edge, labelled with all their values, so every choice of
//! the rules appears on exactly one edge. Node keys (`q_…`, `o_…`) are made of ASCII
//! letters, digits and `_` only, which both Mermaid and DOT accept unquoted and which
//! never collide with Mermaid's keywords (`end`, `graph`, …).
//!
//! [`layout`] places the same model in layers for [`svg`], so the static site (and
//! `rules graph --format svg`) needs neither Graphviz nor a JavaScript renderer.

pub mod layout;
pub mod svg;

use std::fmt::Write as _;

use crate::i18n::{LocaleId, Localizer};
use crate::rules::{Node, NodeIdx, Rules, Severity, Verdict};

/// Fill colour of an outcome of each severity: the colour of its card's embeds, so the
/// picture and the card agree.
pub fn severity_fill(s: Severity) -> String {
    format!("#{:06x}", crate::discord::spec::severity_colour(s))
}

/// What a node is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NodeKind {
    /// A question, with the fact it asks for.
    Question { fact: String },
    /// An outcome, with its verdict and severity.
    Outcome {
        verdict: Verdict,
        severity: Severity,
    },
}

/// One node of the picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphNode {
    /// The node's id in the rules.
    pub id: String,
    /// A key safe in Mermaid and DOT: `q_` or `o_`, then the id with `-` as `_`.
    pub key: String,
    pub kind: NodeKind,
    /// The label, one entry a line.
    pub lines: Vec<String>,
    /// True for the tree's first question.
    pub start: bool,
}

/// One edge: the choices of a question that lead to the same node.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GraphEdge {
    /// Positions in [`Graph::nodes`].
    pub from: usize,
    pub to: usize,
    /// The choices' values, in the question's order.
    pub values: Vec<String>,
    /// What the edge shows: the values, or their localized labels, joined by ` / `.
    pub label: String,
}

/// The tree as nodes and edges, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    /// The rules' id, used as the graph's name.
    pub name: String,
    pub nodes: Vec<GraphNode>,
    pub edges: Vec<GraphEdge>,
}

/// The picture's output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Mermaid,
    Dot,
    Svg,
}

/// A node key safe in both Mermaid and DOT. Rules ids are `[a-z0-9][a-z0-9-]*` (the
/// loader checks), so mapping `-` to `_` keeps keys distinct; anything else is written
/// as its code point, to stay distinct should the id rule ever widen.
fn key(prefix: &str, id: &str) -> String {
    let mut k = String::from(prefix);
    for c in id.chars() {
        match c {
            'a'..='z' | 'A'..='Z' | '0'..='9' => k.push(c),
            '-' => k.push('_'),
            other => {
                let _ = write!(k, "_x{:x}_", other as u32);
            }
        }
    }
    k
}

impl Graph {
    /// The picture of `rules`. With `labels`, questions show their text, outcomes their
    /// headline and edges the choices' labels in that locale; without, the ids and values
    /// of the rules (the language-neutral form the README embeds).
    pub fn of(rules: &Rules, labels: Option<(&Localizer, LocaleId)>) -> Graph {
        let text = |id: &str| labels.map(|(l10n, locale)| l10n.text(locale, id));
        let all: Vec<(NodeIdx, &Node)> = {
            let mut v: Vec<(NodeIdx, &Node)> = rules.nodes().collect();
            // Questions first, then outcomes, each in the rules' order.
            v.sort_by_key(|(i, n)| (matches!(n, Node::Outcome(_)), *i));
            v
        };
        let position = |idx: NodeIdx| {
            all.iter()
                .position(|(i, _)| *i == idx)
                .expect("every next is a node of the rules")
        };
        let nodes = all
            .iter()
            .map(|(idx, node)| match node {
                Node::Question(q) => GraphNode {
                    id: q.id.clone(),
                    key: key("q_", &q.id),
                    kind: NodeKind::Question {
                        fact: q.fact.clone(),
                    },
                    lines: vec![
                        text(&q.text).unwrap_or_else(|| q.id.clone()),
                        format!("fact: {}", q.fact),
                    ],
                    start: *idx == rules.start(),
                },
                Node::Outcome(o) => GraphNode {
                    id: o.id.clone(),
                    key: key("o_", &o.id),
                    kind: NodeKind::Outcome {
                        verdict: o.verdict,
                        severity: o.severity,
                    },
                    lines: vec![
                        text(&o.headline).unwrap_or_else(|| o.id.clone()),
                        format!("verdict: {}", o.verdict),
                    ],
                    start: false,
                },
            })
            .collect();
        let mut edges: Vec<GraphEdge> = Vec::new();
        for (from, (_, node)) in all.iter().enumerate() {
            let Node::Question(q) = node else { continue };
            let first_edge = edges.len();
            for c in &q.choices {
                let to = position(c.next);
                let shown = text(&c.label).unwrap_or_else(|| c.value.clone());
                match edges[first_edge..].iter_mut().find(|e| e.to == to) {
                    Some(e) => {
                        e.values.push(c.value.clone());
                        e.label.push_str(" / ");
                        e.label.push_str(&shown);
                    }
                    None => edges.push(GraphEdge {
                        from,
                        to,
                        values: vec![c.value.clone()],
                        label: shown,
                    }),
                }
            }
        }
        Graph {
            name: rules.meta.id.clone(),
            nodes,
            edges,
        }
    }

    /// The picture in `format`.
    pub fn render(&self, format: Format) -> String {
        match format {
            Format::Mermaid => self.mermaid(),
            Format::Dot => self.dot(),
            Format::Svg => svg::render(self, &layout::Layout::of(self), &svg::Links::none()),
        }
    }

    /// A Mermaid flowchart, top to bottom.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart TD\n");
        for n in &self.nodes {
            let label = n
                .lines
                .iter()
                .map(|l| mermaid_text(l))
                .collect::<Vec<_>>()
                .join("<br/>");
            let (open, close) = match n.kind {
                NodeKind::Question { .. } => ("[\"", "\"]"),
                NodeKind::Outcome { .. } => ("([\"", "\"])"),
            };
            let _ = writeln!(out, "    {}{open}{label}{close}", n.key);
        }
        for e in &self.edges {
            let _ = writeln!(
                out,
                "    {} -->|\"{}\"| {}",
                self.nodes[e.from].key,
                mermaid_text(&e.label),
                self.nodes[e.to].key
            );
        }
        out.push_str("    classDef question fill:#ffffff,stroke:#5865f2,color:#000000\n");
        out.push_str(
            "    classDef start fill:#ffffff,stroke:#5865f2,stroke-width:3px,color:#000000\n",
        );
        for s in Severity::ALL {
            let _ = writeln!(
                out,
                "    classDef {} fill:{},stroke:#333333,color:#000000",
                s.as_str(),
                severity_fill(s)
            );
        }
        let mut classes: Vec<(&str, Vec<&str>)> = vec![("start", vec![]), ("question", vec![])];
        classes.extend(Severity::ALL.iter().map(|s| (s.as_str(), vec![])));
        for n in &self.nodes {
            let class = match n.kind {
                NodeKind::Question { .. } if n.start => "start",
                NodeKind::Question { .. } => "question",
                NodeKind::Outcome { severity, .. } => severity.as_str(),
            };
            if let Some((_, keys)) = classes.iter_mut().find(|(c, _)| *c == class) {
                keys.push(&n.key);
            }
        }
        for (class, keys) in classes {
            if !keys.is_empty() {
                let _ = writeln!(out, "    class {} {class}", keys.join(","));
            }
        }
        out
    }

    /// A Graphviz digraph, top to bottom.
    pub fn dot(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "digraph {} {{", dot_string(&self.name));
        out.push_str("    graph [rankdir=TB];\n");
        out.push_str("    node [shape=box, fontname=\"sans-serif\"];\n");
        out.push_str("    edge [fontname=\"sans-serif\", fontsize=10];\n");
        for n in &self.nodes {
            let label = dot_string(&n.lines.join("\n"));
            match n.kind {
                NodeKind::Question { .. } => {
                    let width = if n.start { ", penwidth=3" } else { "" };
                    let _ = writeln!(
                        out,
                        "    {} [label={label}, color=\"#5865f2\"{width}];",
                        n.key
                    );
                }
                NodeKind::Outcome { severity, .. } => {
                    let _ = writeln!(
                        out,
                        "    {} [label={label}, style=\"rounded,filled\", fillcolor=\"{}\", class=\"{}\"];",
                        n.key,
                        severity_fill(severity),
                        severity.as_str()
                    );
                }
            }
        }
        for e in &self.edges {
            let _ = writeln!(
                out,
                "    {} -> {} [label={}];",
                self.nodes[e.from].key,
                self.nodes[e.to].key,
                dot_string(&e.label)
            );
        }
        out.push_str("}\n");
        out
    }
}

/// Text for inside a Mermaid `"…"` label: quotes, `#` and markup characters as Mermaid's
/// entity codes, so a label can never end the string or open a tag.
fn mermaid_text(s: &str) -> String {
    const ENTITIES: &[(char, &str)] = &[
        ('"', "#quot;"),
        ('#', "#35;"),
        ('<', "#lt;"),
        ('>', "#gt;"),
        ('&', "#amp;"),
        ('|', "#124;"),
        ('\n', " "),
        ('\r', " "),
    ];
    replace_chars(s, ENTITIES)
}

/// `s` with every character found in `table` replaced by its text, the rest kept as they
/// are: the one loop behind Mermaid's labels and HTML escaping.
fn replace_chars(s: &str, table: &[(char, &str)]) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match table.iter().find(|(from, _)| *from == c) {
            Some((_, to)) => out.push_str(to),
            None => out.push(c),
        }
    }
    out
}

/// `s` with `&`, `<`, `>`, `"` and `'` escaped: safe in HTML and SVG text and in quoted
/// attributes (the SVG picture here, the site's pages).
pub fn escape(s: &str) -> String {
    const ENTITIES: &[(char, &str)] = &[
        ('&', "&amp;"),
        ('<', "&lt;"),
        ('>', "&gt;"),
        ('"', "&quot;"),
        ('\'', "&#39;"),
    ];
    replace_chars(s, ENTITIES)
}

/// A DOT quoted string; line breaks become DOT's centred `\n`.
fn dot_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_safe_and_distinct() {
        assert_eq!(key("q_", "win7-8-id"), "q_win7_8_id");
        assert_eq!(key("o_", "end"), "o_end");
        assert_ne!(key("q_", "a.b"), key("q_", "a-b"));
        assert!(key("q_", "a.b")
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_'));
    }

    #[test]
    fn labels_cannot_break_out_of_their_strings() {
        assert_eq!(
            mermaid_text("a \"b\" <c> #1 | d"),
            "a #quot;b#quot; #lt;c#gt; #35;1 #124; d"
        );
        assert_eq!(dot_string("a \"b\"\\\nc"), "\"a \\\"b\\\"\\\\\\nc\"");
    }
}
