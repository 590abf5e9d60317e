//! `activation-check site`: the static site of the knowledge, checked as files (the browser
//! test, site_browser.rs, opens them in Chromium).
//!
//! Every outcome has a page holding its card in every locale with the texts the bot posts
//! (every embed's title, text and footer, escaped), the desk's number wherever the card has
//! a phone block, and every path that reaches it; the index holds the rules version, the
//! review-by date, the diagram, every card and every source with its date and age. The
//! same rules and time give the same bytes; no page refers to anything outside the site;
//! a text with markup in it arrives escaped; the binary writes the site, accepts RFC 3339
//! or unix seconds, refuses a bad time, and removes pages of outcomes that are gone.

mod support;

use std::collections::BTreeMap;
use std::path::Path;

use activation_check::card::{Card, TimeStyle};
use activation_check::discord::spec::card_message;
use activation_check::engine::Walk;
use activation_check::knowledge;
use activation_check::rules::{Node, NodeIdx, Rules};
use activation_check::site::html::{discord_text, escape};
use activation_check::site::{self, outcome_page, Age, Site};
use support::cli::*;

/// 2026-12-06T00:00:00Z.
const SITE_TIME: i64 = 1_796_515_200;

fn site() -> Site {
    site::build(knowledge(), SITE_TIME)
}

/// The number of paths from `idx` to an outcome, counted over the rules' structure.
fn paths_from(rules: &Rules, idx: NodeIdx) -> usize {
    match rules.node(idx) {
        Node::Outcome(_) => 1,
        Node::Question(q) => q.choices.iter().map(|c| paths_from(rules, c.next)).sum(),
    }
}

/// The parts of `page` in locale `tag`, one after the other.
fn block(page: &str, tag: &str) -> String {
    let open = format!("<div class=\"l10n\" data-locale=\"{tag}\" lang=\"{tag}\">");
    let mut out = String::new();
    for (start, _) in page.match_indices(&open) {
        let rest = &page[start + open.len()..];
        let end = rest.find("<div class=\"l10n\"").unwrap_or(rest.len());
        out.push_str(&rest[..end]);
    }
    assert!(!out.is_empty(), "a {tag} block");
    out
}

#[test]
fn every_outcome_page_holds_its_card_as_the_bot_posts_it_in_every_locale() {
    let k = knowledge();
    let site = site();
    for o in k.rules.outcomes() {
        let page = &site.files[&outcome_page(&o.id)];
        let first = site::paths(&k.rules)
            .into_iter()
            .find(|w| w.outcome(&k.rules).map(|x| &x.id) == Some(&o.id))
            .expect("every outcome is reachable");
        for tag in LOCALES {
            let part = &block(page, tag);
            let card = Card::build(
                &k.rules,
                &first,
                &k.l10n,
                locale(tag),
                SITE_TIME,
                TimeStyle::Discord,
            )
            .unwrap();
            let posted = card_message(&card);
            assert!(!posted.embeds.is_empty());
            for e in &posted.embeds {
                for text in [&e.title, &e.description].into_iter().flatten() {
                    assert!(
                        part.contains(&discord_text(text)),
                        "{} ({tag}): missing {text}",
                        o.id
                    );
                }
                if let Some(footer) = &e.footer {
                    assert!(part.contains(&escape(footer)), "{} ({tag})", o.id);
                }
                let colour = format!("border-left-color: #{:06x}", e.colour.unwrap());
                assert!(part.contains(&colour), "{} ({tag})", o.id);
            }
            // The card's own time, as Discord shows a timestamp.
            assert!(part.contains("<time datetime=\"2026-12-06T00:00:00Z\" data-discord-time>"));
            if o.phone.is_some() {
                assert!(part.contains(&k.rules.phone.activation_desk), "{}", o.id);
            }
        }
    }
}

#[test]
fn every_path_appears_on_the_page_of_the_outcome_it_reaches() {
    let k = knowledge();
    let rules = &k.rules;
    let site = site();
    let all = site::paths(rules);
    assert_eq!(all.len(), paths_from(rules, rules.start()));
    let mut per_outcome: BTreeMap<&str, usize> = BTreeMap::new();
    for w in &all {
        *per_outcome
            .entry(w.outcome(rules).unwrap().id.as_str())
            .or_default() += 1;
    }
    for o in rules.outcomes() {
        let page = &site.files[&outcome_page(&o.id)];
        for tag in LOCALES {
            let part = &block(page, tag);
            assert_eq!(
                part.matches("<li class=\"path\">").count(),
                per_outcome[o.id.as_str()],
                "{} ({tag})",
                o.id
            );
        }
    }
    // Each path is shown by its answers, and by the command that replays it.
    let en = locale("en-US");
    for w in &all {
        let o = w.outcome(rules).unwrap();
        let page = &site.files[&outcome_page(&o.id)];
        let mut command = String::from("activation-check ask");
        for e in w.transcript(rules) {
            command.push_str(&format!(" --answer {}={}", e.fact, e.value));
        }
        assert!(
            page.contains(&format!("<code>{command}</code>")),
            "{command}"
        );
        let replayed = Walk::from_facts(rules, &w.facts(rules)).unwrap();
        assert_eq!(&replayed, w);
        let label = escape(&k.l10n.text(en, &w.transcript(rules)[0].label));
        assert!(block(page, "en-US").contains(&label));
    }
}

#[test]
fn the_index_holds_version_review_date_tree_cards_and_dated_sources() {
    let k = knowledge();
    let rules = &k.rules;
    let site = site();
    let index = &site.files["index.html"];
    assert!(index.contains(&format!(
        "data-rules-version=\"{}\" data-review-by=\"{}\"",
        rules.meta.version, rules.meta.review_by
    )));
    assert!(index.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"tree\""));
    for (_, n) in rules.nodes() {
        assert_eq!(
            index.matches(&format!("data-node=\"{}\"", n.id())).count(),
            1
        );
    }
    let today = site::parse_date("2026-12-06").unwrap();
    for tag in LOCALES {
        let l = locale(tag);
        let part = &block(index, tag);
        assert!(part.contains(&escape(&rules.meta.version)));
        assert!(part.contains(&rules.meta.review_by));
        for o in rules.outcomes() {
            assert!(part.contains(&format!(
                "<a href=\"{}\">{}</a>",
                outcome_page(&o.id),
                escape(&k.l10n.text(l, &o.headline))
            )));
        }
        for s in &rules.sources {
            assert!(part.contains(&format!("<tr data-source=\"{}\">", s.id)));
            assert!(part.contains(&escape(&k.l10n.text(l, &s.title))));
            if let Some(d) = &s.date {
                let age = Age::between(site::parse_date(d).unwrap(), today);
                assert!(
                    part.contains(&format!(
                        "<time datetime=\"{d}\">{d}</time></td><td>{}</td>",
                        escape(&age.words(&k.l10n, l))
                    )),
                    "{tag}: {d}"
                );
            }
        }
    }
    // Sources A and B are two years old on 2026-12-06, and say so.
    assert!(block(index, "en-US").contains("about 2 years old"));
    assert!(block(index, "ja").contains("約2年前"));
}

#[test]
fn the_same_rules_and_time_give_the_same_files_and_nothing_is_fetched() {
    let a = site();
    assert_eq!(a, site());
    let later = site::build(knowledge(), SITE_TIME + 86_400);
    assert_ne!(a.files["index.html"], later.files["index.html"]);
    for (path, text) in &a.files {
        if !path.ends_with(".html") && !path.ends_with(".svg") && !path.ends_with(".css") {
            continue;
        }
        for attr in ["href=\"", "src=\"", "url("] {
            for (at, _) in text.match_indices(attr) {
                let target: String = text[at + attr.len()..]
                    .chars()
                    .take_while(|c| !matches!(c, '"' | ')' | '#'))
                    .collect();
                if target.is_empty() || target == "data:," {
                    continue;
                }
                assert!(
                    !target.contains("//"),
                    "{path} refers outside the site: {target}"
                );
                let base = Path::new(path).parent().unwrap();
                let resolved = normalize(&base.join(&target));
                assert!(
                    a.files.contains_key(&resolved),
                    "{path} links to {target}, which the site does not have"
                );
            }
        }
    }
}

/// `a/b/../c` as `a/c`.
fn normalize(p: &Path) -> String {
    let mut parts: Vec<String> = Vec::new();
    for c in p.components() {
        match c {
            std::path::Component::ParentDir => {
                parts.pop();
            }
            std::path::Component::Normal(s) => parts.push(s.to_string_lossy().into_owned()),
            _ => {}
        }
    }
    parts.join("/")
}

#[test]
fn markup_in_a_text_arrives_escaped() {
    let tmp = tempfile::tempdir().unwrap();
    let i18n = tmp.path().join("i18n");
    copy_dir(&i18n_dir(), &i18n);
    let rules = &knowledge().rules;
    let outcome = rules.outcomes().next().unwrap();
    let evil = "<script>alert(\"x\")</script><img src=x onerror=alert(1)>";
    for tag in LOCALES {
        let file = i18n.join(tag).join("outcomes.ftl");
        let text = std::fs::read_to_string(&file).unwrap();
        let id = &outcome.headline;
        let line = text
            .lines()
            .find(|l| l.starts_with(&format!("{id} =")))
            .unwrap();
        std::fs::write(&file, text.replace(line, &format!("{id} = {evil} {tag}"))).unwrap();
    }
    let k = knowledge::load(&rules_file(), &i18n, "en-US").unwrap();
    let built = site::build(&k, SITE_TIME);
    for (path, text) in &built.files {
        assert!(!text.contains("<script>alert"), "{path}");
        assert!(!text.contains("<img"), "{path}");
    }
    let page = &built.files[&outcome_page(&outcome.id)];
    assert!(page.contains(
        "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt; ja"
    ));
    assert!(built.files["index.html"].contains("&lt;script&gt;"));
}

#[test]
fn the_binary_writes_the_site_and_removes_pages_of_outcomes_that_are_gone() {
    let tmp = tempfile::tempdir().unwrap();
    let out_dir = tmp.path().join("site");
    std::fs::create_dir_all(out_dir.join("outcome")).unwrap();
    std::fs::write(out_dir.join("outcome/gone.html"), "old").unwrap();
    std::fs::write(out_dir.join("CNAME"), "kept").unwrap();
    let dir = out_dir.to_str().unwrap();
    let out = run(&[
        "site",
        "--out",
        dir,
        "--generated-at",
        "2026-12-06T00:00:00Z",
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.contains("removed") && text.contains("gone.html"),
        "{text}"
    );
    assert!(!out_dir.join("outcome/gone.html").exists());
    assert_eq!(
        std::fs::read_to_string(out_dir.join("CNAME")).unwrap(),
        "kept"
    );
    let expected = site();
    for (path, contents) in &expected.files {
        assert_eq!(
            &std::fs::read_to_string(out_dir.join(path)).unwrap(),
            contents,
            "{path}"
        );
    }
    // Unix seconds name the same time.
    let again = tmp.path().join("again");
    let out = run(&[
        "site",
        "--out",
        again.to_str().unwrap(),
        "--generated-at",
        &SITE_TIME.to_string(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert_eq!(
        std::fs::read_to_string(again.join("index.html")).unwrap(),
        expected.files["index.html"]
    );

    let out = run(&["site", "--out", dir, "--generated-at", "yesterday"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("`yesterday` is not a time; give RFC 3339"),
        "{}",
        stderr(&out)
    );
}
