//! `activation-check rules graph`: the tree as Mermaid, DOT and SVG, through the real binary
//! and the library. Every question (with its fact), every outcome (with its verdict and
//! severity colour) and every choice of the rules appears; the output is the same on every
//! run; DOT parses with Graphviz (required in CI, skipped with a note elsewhere); the SVG's
//! layout puts no node on another and every edge runs down from its source to its target;
//! and README.md's embedded Mermaid block is exactly the output for the shipped rules.
//! (That Mermaid itself parses and renders it is checked in a real browser: site_browser.rs.)

mod support;

use std::collections::BTreeSet;
use std::process::{Command, Stdio};

use activation_check::graph::layout::Layout;
use activation_check::graph::{severity_fill, Graph, NodeKind};
use activation_check::rules::Node;
use support::cli::*;

fn graph() -> Graph {
    Graph::of(&knowledge().rules, None)
}

fn key_of(g: &Graph, id: &str) -> String {
    g.nodes
        .iter()
        .find(|n| n.id == id)
        .unwrap_or_else(|| panic!("node {id} is in the graph"))
        .key
        .clone()
}

#[test]
fn every_node_and_every_choice_of_the_rules_is_in_the_graph_once() {
    let rules = &knowledge().rules;
    let g = graph();
    assert_eq!(g.nodes.len(), rules.nodes().count());
    let keys: BTreeSet<&str> = g.nodes.iter().map(|n| n.key.as_str()).collect();
    assert_eq!(keys.len(), g.nodes.len(), "keys are distinct");
    for k in &keys {
        assert!(
            k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'),
            "{k}"
        );
    }
    for (_, node) in rules.nodes() {
        let n = g.nodes.iter().find(|n| n.id == node.id()).unwrap();
        match node {
            Node::Question(q) => {
                assert_eq!(
                    n.kind,
                    NodeKind::Question {
                        fact: q.fact.clone()
                    }
                );
                for c in &q.choices {
                    let to = rules.node(c.next).id();
                    let edges: Vec<_> = g
                        .edges
                        .iter()
                        .filter(|e| g.nodes[e.from].id == q.id && e.values.contains(&c.value))
                        .collect();
                    assert_eq!(edges.len(), 1, "{} = {}", q.id, c.value);
                    assert_eq!(g.nodes[edges[0].to].id, to, "{} = {}", q.id, c.value);
                }
            }
            Node::Outcome(o) => assert_eq!(
                n.kind,
                NodeKind::Outcome {
                    verdict: o.verdict,
                    severity: o.severity
                }
            ),
        }
    }
    let choices: usize = rules.questions().map(|q| q.choices.len()).sum();
    assert_eq!(
        g.edges.iter().map(|e| e.values.len()).sum::<usize>(),
        choices
    );
}

#[test]
fn mermaid_names_every_node_edge_fact_verdict_and_severity() {
    let rules = &knowledge().rules;
    let g = graph();
    let m = g.mermaid();
    assert!(m.starts_with("flowchart TD\n"), "{m}");
    for q in rules.questions() {
        let key = key_of(&g, &q.id);
        assert!(
            m.contains(&format!("    {key}[\"{}<br/>fact: {}\"]\n", q.id, q.fact)),
            "{key}"
        );
        for c in &q.choices {
            let to = key_of(&g, rules.node(c.next).id());
            let line = m
                .lines()
                .find(|l| {
                    l.starts_with(&format!("    {key} -->|\"")) && l.ends_with(&format!("| {to}"))
                })
                .unwrap_or_else(|| panic!("an edge {key} -> {to}"));
            assert!(line.contains(&c.value), "{line}");
        }
    }
    for o in rules.outcomes() {
        let key = key_of(&g, &o.id);
        assert!(
            m.contains(&format!(
                "    {key}([\"{}<br/>verdict: {}\"])\n",
                o.id, o.verdict
            )),
            "{key}"
        );
        let class_line = m
            .lines()
            .find(|l| {
                l.starts_with("    class ") && l.ends_with(&format!(" {}", o.severity.as_str()))
            })
            .expect("a class line per severity used");
        assert!(
            class_line.split([' ', ',']).any(|k| k == key),
            "{class_line}"
        );
        assert!(m.contains(&format!(
            "classDef {} fill:{}",
            o.severity.as_str(),
            severity_fill(o.severity)
        )));
    }
    // Every statement is one of the forms above: a definition, an edge, a class.
    for l in m.lines().skip(1) {
        let l = l.trim_start();
        let key: String = l
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        assert!(
            l.starts_with("classDef ")
                || l.starts_with("class ")
                || (!key.is_empty() && g.nodes.iter().any(|n| n.key == key)),
            "unexpected line: {l}"
        );
    }
    assert_eq!(m, graph().mermaid(), "the same on every run");
}

#[test]
fn dot_names_every_node_and_edge_and_graphviz_parses_it() {
    let rules = &knowledge().rules;
    let g = graph();
    let dot = g.dot();
    assert!(dot.starts_with("digraph \"activation-check\" {\n"), "{dot}");
    assert!(dot.ends_with("}\n"));
    for n in &g.nodes {
        assert_eq!(
            dot.lines()
                .filter(|l| l.starts_with(&format!("    {} [label=\"{}\\n", n.key, n.id)))
                .count(),
            1,
            "{}",
            n.key
        );
    }
    for o in rules.outcomes() {
        let key = key_of(&g, &o.id);
        assert!(dot.contains(&format!(
            "{key} [label=\"{}\\nverdict: {}\", style=\"rounded,filled\", fillcolor=\"{}\"",
            o.id,
            o.verdict,
            severity_fill(o.severity)
        )));
    }
    for e in &g.edges {
        assert!(dot.contains(&format!(
            "    {} -> {} [label=\"{}\"];\n",
            g.nodes[e.from].key, g.nodes[e.to].key, e.label
        )));
    }

    // Graphviz itself: it parses the file and draws every node and edge.
    let Some(svg) = graphviz(&dot) else { return };
    for n in &g.nodes {
        assert!(
            svg.contains(&format!("<title>{}</title>", n.key)),
            "{}",
            n.key
        );
    }
    for e in &g.edges {
        let title = format!(
            "<title>{}&#45;&gt;{}</title>",
            g.nodes[e.from].key, g.nodes[e.to].key
        );
        assert!(svg.contains(&title), "{title}");
    }
}

/// `dot -Tsvg` of `source`; `None` (with a note) where Graphviz is not installed outside
/// CI. In CI (`CI=true`) it must be there: `.ci/run` installs it.
fn graphviz(source: &str) -> Option<String> {
    use std::io::Write;
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "Graphviz's `dot` is needed in CI ({e}); .ci/run installs it (apt-get install graphviz)"
            );
            eprintln!("note: skipping the Graphviz check: `dot` is not installed ({e})");
            return None;
        }
    };
    child
        .stdin
        .take()
        .unwrap()
        .write_all(source.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "dot rejected the graph: {stderr}");
    assert!(stderr.trim().is_empty(), "dot warned: {stderr}");
    Some(String::from_utf8(out.stdout).unwrap())
}

#[test]
fn the_svg_layout_overlaps_nothing_and_every_edge_runs_down() {
    let g = graph();
    let layout = Layout::of(&g);
    assert_eq!(layout.nodes.len(), g.nodes.len());
    assert_eq!(layout.edges.len(), g.edges.len());
    let boxes: Vec<_> = layout
        .nodes
        .iter()
        .chain(layout.edges.iter().map(|r| &r.label))
        .collect();
    for (i, a) in boxes.iter().enumerate() {
        assert!(a.x - a.width / 2.0 >= 0.0 && a.x + a.width / 2.0 <= layout.width);
        assert!(a.y - a.height / 2.0 >= 0.0 && a.y + a.height / 2.0 <= layout.height);
        for b in &boxes[i + 1..] {
            assert!(!Layout::overlap(a, b), "{a:?} overlaps {b:?}");
        }
    }
    for (e, r) in g.edges.iter().zip(&layout.edges) {
        let (from, to) = (&layout.nodes[e.from], &layout.nodes[e.to]);
        // Coordinates are rounded to a tenth of a pixel.
        let near =
            |a: (f64, f64), b: (f64, f64)| (a.0 - b.0).abs() < 0.11 && (a.1 - b.1).abs() < 0.11;
        assert!(near(r.points[0], (from.x, from.y + from.height / 2.0)));
        assert!(near(
            *r.points.last().unwrap(),
            (to.x, to.y - to.height / 2.0)
        ));
        assert!(
            r.points.windows(2).all(|w| w[1].1 > w[0].1),
            "edge {} -> {} goes up: {:?}",
            g.nodes[e.from].id,
            g.nodes[e.to].id,
            r.points
        );
        // The label sits on the edge, just below its question.
        assert_eq!((r.label.x, r.label.y), r.points[1]);
    }
    assert_eq!(layout, Layout::of(&graph()), "the same on every run");
}

#[test]
fn the_svg_holds_every_node_and_edge_by_id() {
    let g = graph();
    let out = run(&["rules", "graph", "--format", "svg"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let svg = stdout(&out);
    assert!(svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
    for n in &g.nodes {
        assert_eq!(svg.matches(&format!("data-node=\"{}\"", n.id)).count(), 1);
    }
    for e in &g.edges {
        let attrs = format!(
            "data-from=\"{}\" data-to=\"{}\"",
            g.nodes[e.from].id, g.nodes[e.to].id
        );
        // The path and its label.
        assert_eq!(svg.matches(&attrs).count(), 2, "{attrs}");
    }
}

#[test]
fn labels_come_from_the_texts_of_the_locale_asked_for() {
    let k = knowledge();
    for tag in LOCALES {
        let out = run(&["rules", "graph", "--format", "mermaid", "--locale", tag]);
        assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
        let m = stdout(&out);
        let l = locale(tag);
        for q in k.rules.questions() {
            let text = k.l10n.text(l, &q.text).replace('"', "#quot;");
            assert!(m.contains(&text), "{tag}: {text}");
            for c in &q.choices {
                let label = k.l10n.text(l, &c.label).replace('"', "#quot;");
                assert!(m.contains(&label), "{tag}: {label}");
            }
        }
        for o in k.rules.outcomes() {
            let headline = k.l10n.text(l, &o.headline).replace('"', "#quot;");
            assert!(m.contains(&headline), "{tag}: {headline}");
        }
    }
    let out = run(&["rules", "graph", "--locale", "xx"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--locale `xx` is not available"));
}

const BEGIN: &str = "<!-- rules graph: begin";
const END: &str = "<!-- rules graph: end -->";

#[test]
fn the_readme_shows_the_tree_of_the_shipped_rules() {
    let out = run(&["rules", "graph", "--format", "mermaid"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let want = stdout(&out);
    assert_eq!(want, graph().mermaid());

    let path = root().join("README.md");
    let readme = std::fs::read_to_string(&path).unwrap();
    let begin = readme
        .find(BEGIN)
        .expect("README.md has the rules graph markers");
    let block_start = begin
        + readme[begin..]
            .find("```mermaid\n")
            .expect("a mermaid block")
        + 11;
    let block_end = block_start + readme[block_start..].find("```\n").expect("the block ends");
    assert!(readme[block_end..].starts_with(&format!("```\n{END}")));
    let have = &readme[block_start..block_end];
    if have == want {
        return;
    }
    if std::env::var("UPDATE_README").as_deref() == Ok("1")
        && std::env::var("CI").as_deref() != Ok("true")
    {
        let updated = format!("{}{want}{}", &readme[..block_start], &readme[block_end..]);
        std::fs::write(&path, updated).unwrap();
        eprintln!("note: README.md's tree diagram was regenerated; review and commit it");
        return;
    }
    panic!(
        "README.md's Mermaid diagram (section \"For moderators\") is out of date with \
         rules/activation-check.toml. Regenerate it with `UPDATE_README=1 cargo test --test graph` \
         (or paste the output of `cargo run -q -- rules graph --format mermaid` between the \
         markers), then review and commit it."
    );
}
