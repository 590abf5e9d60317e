//! The static site in a real headless Chromium (Debian's `chromium`, which `.ci/run`
//! installs): every page loads from disk with no console error, exception or failed load;
//! the index's diagram is an SVG holding every node and edge of the rules, each label
//! inside its box as the browser measures the text; each card page shows its card's
//! embeds, and the desk's number wherever the card has a phone block, in both languages
//! (switched with the page's own buttons, and remembered by the next page). And README.md's
//! Mermaid block parses and renders in Mermaid itself (the bundle `.ci/run` fetches from
//! npm), with every node of the rules.
//!
//! Outside CI the test is skipped, with a note, when Chromium (or the Mermaid bundle) is
//! not installed; in CI (`CI=true`) their absence fails it. No screenshot is written.

mod browser_support;

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use activation_check::card::{Card, TimeStyle};
use activation_check::discord::spec::card_message;
use activation_check::graph::Graph;
use activation_check::site::{self, html::escape, outcome_page};
use browser_support::{find, in_ci, Browser};
use serde_json::Value;
use support::cli::*;

/// 2026-12-06T00:00:00Z.
const SITE_TIME: i64 = 1_796_515_200;

fn chromium_or_skip() -> Option<PathBuf> {
    match find() {
        Some(p) => Some(p),
        None if in_ci() => panic!(
            "Chromium is needed in CI for the site's browser test; .ci/run installs it \
             (apt-get install chromium)"
        ),
        None => {
            eprintln!(
                "note: skipping the browser test: Chromium is not installed \
                 (apt-get install chromium, or set CHROMIUM to its path)"
            );
            None
        }
    }
}

fn file_url(path: &Path) -> String {
    format!("file://{}", path.display())
}

fn strings(v: &Value) -> Vec<String> {
    v.as_array()
        .unwrap_or_else(|| panic!("an array: {v}"))
        .iter()
        .map(|s| s.as_str().unwrap().to_owned())
        .collect()
}

/// The ids of every node and the number of edges in the index's diagram, and the labels
/// whose text the browser draws wider or taller than their box.
const DIAGRAM: &str = r#"(() => {
  const svg = document.querySelector('.tree-frame svg.tree');
  if (!svg) return null;
  const box = svg.getBoundingClientRect();
  const overflowing = [];
  for (const g of svg.querySelectorAll('g.node, g.edge-label')) {
    const r = g.querySelector('rect').getBBox();
    const t = g.querySelector('text').getBBox();
    if (t.width > r.width + 0.5 || t.height > r.height + 0.5 || t.x < r.x - 0.5 || t.y < r.y - 0.5) {
      overflowing.push((g.dataset.node || (g.dataset.from + '->' + g.dataset.to)) + ` text ${t.width.toFixed(1)}x${t.height.toFixed(1)} box ${r.width}x${r.height}`);
    }
  }
  return {
    nodes: [...svg.querySelectorAll('g.node[data-node]')].map(g => g.dataset.node),
    links: [...svg.querySelectorAll('a[href]')].map(a => a.getAttribute('href')),
    edges: svg.querySelectorAll('path.edge').length,
    width: box.width,
    height: box.height,
    overflowing,
  };
})()"#;

/// The locales whose blocks are shown, the page's language and the visible text.
const SHOWN: &str = r#"(() => ({
  shown: [...new Set([...document.querySelectorAll('.l10n')].filter(e => e.offsetParent !== null).map(e => e.dataset.locale))],
  lang: document.documentElement.lang,
  switchShown: document.querySelector('.locale-switch').offsetParent !== null,
  text: document.body.innerText,
  embeds: [...document.querySelectorAll('.l10n:not([hidden]) .card .embed')].length,
  times: [...document.querySelectorAll('.l10n:not([hidden]) time[data-discord-time]')].map(t => t.textContent),
}))()"#;

#[test]
fn every_page_loads_and_shows_the_tree_and_the_cards() {
    let Some(exe) = chromium_or_skip() else {
        return;
    };
    let k = knowledge();
    let rules = &k.rules;
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("site");
    let built = site::build(k, SITE_TIME);
    site::write(&built, &out).unwrap();

    let mut b = Browser::launch(&exe).unwrap();
    let mut failures: Vec<String> = Vec::new();

    // Every page: loads with nothing wrong, and shows one language (the reader's: en-US).
    let pages: Vec<&String> = built
        .files
        .keys()
        .filter(|p| p.ends_with(".html"))
        .collect();
    assert_eq!(pages.len(), rules.outcomes().count() + 1);
    for rel in &pages {
        let page = b.open(&file_url(&out.join(rel))).unwrap();
        let shown = b.eval(&page, SHOWN).unwrap();
        if strings(&shown["shown"]) != ["en-US"] || shown["lang"] != "en-US" {
            failures.push(format!("{rel}: shows {}", shown["shown"]));
        }
        if shown["switchShown"] != true {
            failures.push(format!("{rel}: the language switch is hidden"));
        }
        let problems = b.problems(&page);
        for e in &problems.errors {
            failures.push(format!("{rel}: {e}"));
        }
        for w in &problems.warnings {
            eprintln!("note: {rel}: {w}");
        }
        b.close(page).unwrap();
    }

    // The index's diagram: every node and edge, outcomes linked to their pages, text inside
    // its boxes.
    let index = b.open(&file_url(&out.join("index.html"))).unwrap();
    let d = b.eval(&index, DIAGRAM).unwrap();
    assert!(!d.is_null(), "the index has no diagram");
    let nodes: BTreeSet<String> = strings(&d["nodes"]).into_iter().collect();
    let want: BTreeSet<String> = rules.nodes().map(|(_, n)| n.id().to_owned()).collect();
    assert_eq!(nodes, want);
    assert_eq!(
        d["edges"].as_u64().unwrap() as usize,
        Graph::of(rules, None).edges.len()
    );
    assert!(d["width"].as_f64().unwrap() > 100.0 && d["height"].as_f64().unwrap() > 100.0);
    let links: BTreeSet<String> = strings(&d["links"]).into_iter().collect();
    let want: BTreeSet<String> = rules.outcomes().map(|o| outcome_page(&o.id)).collect();
    assert_eq!(links, want);
    assert!(
        strings(&d["overflowing"]).is_empty(),
        "text wider than its box: {}",
        d["overflowing"]
    );
    b.close(index).unwrap();

    // Each card page: the card's embeds, its time in the reader's zone, and the desk's
    // number where the card has a phone block.
    let desk = &rules.phone.activation_desk;
    let first_paths = site::paths(rules);
    for o in rules.outcomes() {
        let page = b.open(&file_url(&out.join(outcome_page(&o.id)))).unwrap();
        let shown = b.eval(&page, SHOWN).unwrap();
        let walk = first_paths
            .iter()
            .find(|w| w.outcome(rules).unwrap().id == o.id)
            .unwrap();
        let card = Card::build(
            rules,
            walk,
            &k.l10n,
            locale("en-US"),
            SITE_TIME,
            TimeStyle::Discord,
        )
        .unwrap();
        let text = shown["text"].as_str().unwrap();
        assert_eq!(
            shown["embeds"].as_u64().unwrap() as usize,
            card_message(&card).embeds.len(),
            "{}",
            o.id
        );
        assert!(text.contains(&card.headline), "{}", o.id);
        assert_eq!(
            text.contains(desk.as_str()),
            o.phone.is_some(),
            "{}: desk number",
            o.id
        );
        for t in strings(&shown["times"]) {
            assert!(
                !t.contains("UTC") && t.contains("2026"),
                "{}: time shown as {t}",
                o.id
            );
        }
        b.close(page).unwrap();
    }

    // Switching to Japanese on a card with a phone block shows the Japanese card, and the
    // next page opens in Japanese.
    let phone = rules
        .outcomes()
        .find(|o| o.phone.is_some())
        .expect("some card has a phone block");
    let page = b
        .open(&file_url(&out.join(outcome_page(&phone.id))))
        .unwrap();
    b.eval(
        &page,
        "document.querySelector('[data-set-locale=\"ja\"]').click()",
    )
    .unwrap();
    let shown = b.eval(&page, SHOWN).unwrap();
    assert_eq!(strings(&shown["shown"]), ["ja"]);
    assert_eq!(shown["lang"], "ja");
    let text = shown["text"].as_str().unwrap();
    assert!(text.contains(desk.as_str()));
    assert!(text.contains(&k.l10n.text(locale("ja"), &phone.headline)));
    assert!(b.problems(&page).errors.is_empty());
    b.close(page).unwrap();
    let index = b.open(&file_url(&out.join("index.html"))).unwrap();
    let shown = b.eval(&index, SHOWN).unwrap();
    assert_eq!(strings(&shown["shown"]), ["ja"], "the choice is remembered");
    b.close(index).unwrap();

    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Mermaid's browser bundle: `$MERMAID_JS`, else the newest one `.ci/run` left in
/// `target/browser-tools/`.
fn mermaid_or_skip() -> Option<PathBuf> {
    let tools = root().join("target/browser-tools");
    let path = std::env::var_os("MERMAID_JS")
        .map(PathBuf::from)
        .or_else(|| {
            let mut found: Vec<PathBuf> = std::fs::read_dir(&tools)
                .ok()?
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("mermaid") && n.ends_with(".min.js"))
                })
                .collect();
            found.sort();
            found.pop()
        })
        .unwrap_or_else(|| tools.join("mermaid.min.js"));
    if path.is_file() {
        return Some(path);
    }
    assert!(
        !in_ci(),
        "Mermaid's bundle is needed in CI at {}; .ci/run fetches it (npm pack mermaid)",
        path.display()
    );
    eprintln!(
        "note: skipping the Mermaid check: no bundle at {} (run .ci/run once, or set MERMAID_JS)",
        path.display()
    );
    None
}

#[test]
fn the_readme_diagram_parses_and_renders_in_mermaid() {
    let Some(exe) = chromium_or_skip() else {
        return;
    };
    let Some(mermaid) = mermaid_or_skip() else {
        return;
    };
    let readme = std::fs::read_to_string(root().join("README.md")).unwrap();
    let start = readme.find("<!-- rules graph: begin").expect("the markers");
    let block = &readme[start..];
    let block = &block[block.find("```mermaid\n").unwrap() + 11..];
    let block = &block[..block.find("```\n").unwrap()];

    let tmp = tempfile::tempdir().unwrap();
    let html = tmp.path().join("mermaid.html");
    std::fs::write(
        &html,
        format!(
            "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><link rel=\"icon\" href=\"data:,\"><script src=\"{}\"></script></head><body><pre id=\"src\">{}</pre></body></html>",
            escape(&file_url(&mermaid)),
            escape(block)
        ),
    )
    .unwrap();
    let mut b = Browser::launch(&exe).unwrap();
    let page = b.open(&file_url(&html)).unwrap();
    let rendered = b
        .eval(
            &page,
            r#"(async () => {
  mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });
  const src = document.getElementById('src').textContent;
  await mermaid.parse(src);
  const { svg } = await mermaid.render('readme-tree', src);
  document.body.insertAdjacentHTML('beforeend', svg);
  const drawn = document.querySelector('#readme-tree');
  return {
    nodes: [...drawn.querySelectorAll('g.node')].map(n => n.id),
    edges: drawn.querySelectorAll('.edgePaths path, path.flowchart-link').length,
  };
})()"#,
        )
        .unwrap_or_else(|e| panic!("Mermaid rejected README.md's diagram: {e}"));
    let g = Graph::of(&knowledge().rules, None);
    let ids = strings(&rendered["nodes"]);
    assert_eq!(ids.len(), g.nodes.len(), "{ids:?}");
    for n in &g.nodes {
        // Mermaid names a node's element `<diagram>-flowchart-<key>-<n>`.
        assert!(
            ids.iter().any(|id| id.contains(&format!("-{}-", n.key))),
            "{} is not drawn: {ids:?}",
            n.key
        );
    }
    assert_eq!(rendered["edges"].as_u64().unwrap() as usize, g.edges.len());
    let problems = b.problems(&page);
    assert!(problems.errors.is_empty(), "{:?}", problems.errors);
    b.close(page).unwrap();
}
