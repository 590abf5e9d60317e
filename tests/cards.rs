//! The answer cards. Snapshots (insta) of every outcome's card as plain text in `ja` and
//! `en-US`, built from the first own scenario reaching that outcome, with the generation time
//! fixed; reviewed by reading them. And the contract every card must keep, by facts.md: the
//! headline, the steps, the phone block its verdict needs (with the desk's number and a
//! check-before-calling sentence), the call checklist exactly when a call is involved, the
//! caveat, the dates of the sources it cites, and its generation time.

mod common;

use activation_check::card::{plain, Card, TimeStyle};
use activation_check::engine::Walk;
use activation_check::rules::PhoneBlock;
use common::*;

/// The first own scenario reaching each outcome of the rules, in the rules' order.
fn one_scenario_per_outcome() -> Vec<(String, Scenario)> {
    let rules = &knowledge().rules;
    let scenarios = own_scenarios();
    rules
        .outcomes()
        .map(|o| {
            let s = scenarios
                .iter()
                .find(|s| {
                    Walk::from_facts(rules, &s.facts)
                        .ok()
                        .and_then(|w| w.outcome(rules).map(|r| r.id == o.id))
                        .unwrap_or(false)
                })
                .unwrap_or_else(|| panic!("no own scenario reaches `{}`", o.id))
                .clone();
            (o.id.clone(), s)
        })
        .collect()
}

fn card(s: &Scenario, tag: &str, style: TimeStyle) -> Card {
    let k = knowledge();
    let walk = Walk::from_facts(&k.rules, &s.facts).unwrap();
    Card::build(&k.rules, &walk, &k.l10n, locale(tag), FIXED_TIME, style).unwrap()
}

#[test]
fn card_snapshots() {
    let all = one_scenario_per_outcome();
    assert_eq!(all.len(), 17);
    for (outcome, s) in &all {
        for tag in LOCALES {
            let text = card(s, tag, TimeStyle::Rfc3339).render_text();
            insta::with_settings!({ description => s.name.as_str(), omit_expression => true }, {
                insta::assert_snapshot!(format!("card__{outcome}__{tag}"), text);
            });
        }
    }
}

/// The phone block each verdict needs, and the facts it rests on, from facts.md's table.
fn contract(verdict: &str) -> (Option<PhoneBlock>, &'static [&'static str]) {
    use PhoneBlock::{PhoneActivation, ReachOperator};
    match verdict {
        "likely-reactivates" => (Some(PhoneActivation), &["B1", "D3"]),
        "phone-reactivation" => (Some(PhoneActivation), &["B2", "D3"]),
        "phone-reactivation-uncertain" => (Some(PhoneActivation), &["B3", "B4", "D3"]),
        "upgrade-right-lost" => (None, &["A1", "A2", "B3", "B4", "B6"]),
        "restore-backup" => (None, &["A6"]),
        "reinstall-at-risk" => (Some(PhoneActivation), &["A5", "A6", "B3"]),
        "operator-consultation" => (Some(ReachOperator), &["A3", "A11", "A12", "B4"]),
        "license-terms-apply" => (None, &["A8"]),
        "new-license-needed" => (None, &["A2", "A5", "B6"]),
        "keep-and-back-up" => (None, &["A9", "A6"]),
        "high-risk-update" => (Some(ReachOperator), &["A6", "B5", "B7", "B8", "D2"]),
        "normal-risk-update" => (None, &["A6", "B1", "B2"]),
        "vm-new-fails" => (None, &["A7"]),
        "vm-reuse-uncertain" => (None, &["A7"]),
        "ask-activation-desk" => (Some(ReachOperator), &["C1", "B7", "B8"]),
        other => panic!("verdict `{other}` is not in facts.md"),
    }
}

/// Sentences each block must hold, per locale: (check before calling, what the block is
/// about, the checklist's inquiry number, the caveat's core).
struct Expected {
    check_number_activation: &'static str,
    check_number_operator: &'static str,
    reads_installation_id: &'static str,
    operator_trick: &'static str,
    only_motherboard: &'static str,
    inquiry_number: &'static str,
    only_desk_decides: &'static str,
    generated: &'static str,
}

fn expected(tag: &str) -> Expected {
    match tag {
        "en-US" => Expected {
            check_number_activation:
                "numbers can change, so check it is still current before calling",
            check_number_operator: "Numbers can change: check it is still current before calling",
            reads_installation_id: "read the groups when asked",
            operator_trick: "say five digits that are not a valid group",
            only_motherboard: "accepts only the motherboard case",
            inquiry_number: "an inquiry (case) number",
            only_desk_decides: "only Microsoft's activation desk decides",
            generated: "Generated 2026-11-21T00:00:00Z",
        },
        "ja" => Expected {
            check_number_activation: "おかけになる前に最新の番号かご確認ください",
            check_number_operator: "かける前に最新かどうか確認してください",
            reads_installation_id: "グループを順に読み上げます",
            operator_trick: "有効でない5桁の数字を言います",
            only_motherboard: "マザーボード交換の場合だけ",
            inquiry_number: "問い合わせ番号",
            only_desk_decides: "Microsoftの認証窓口だけです",
            generated: "作成日時:2026-11-21T00:00:00Z",
        },
        other => panic!("no expectations for {other}"),
    }
}

#[test]
fn every_card_holds_what_facts_md_requires() {
    let k = knowledge();
    for (outcome_id, s) in one_scenario_per_outcome() {
        let outcome = k.rules.outcome(k.rules.find(&outcome_id).unwrap()).unwrap();
        let verdict = outcome.verdict.as_str();
        let (phone, rests_on) = contract(verdict);
        for tag in LOCALES {
            let e = expected(tag);
            let c = card(&s, tag, TimeStyle::Rfc3339);
            let text = c.render_text();
            let what = format!("{outcome_id} ({tag})");

            assert_eq!(c.verdict.as_str(), s.verdict, "{what}");
            // The headline leads the card.
            assert!(!c.headline.trim().is_empty(), "{what}");
            assert!(text.starts_with(&format!("■ {}\n", c.headline)), "{what}");
            assert!(!c.explain.trim().is_empty(), "{what}");
            // Steps, numbered.
            assert!(!c.steps.items.is_empty(), "{what}: no steps");
            for (i, step) in c.steps.items.iter().enumerate() {
                assert!(!step.trim().is_empty(), "{what}");
                assert!(text.contains(&format!("  {}. {step}\n", i + 1)), "{what}");
            }
            // The user's answers.
            assert_eq!(c.answers.items.len(), s.facts.len(), "{what}");

            // The phone block the verdict needs, with the number and the advice to check it.
            assert_eq!(
                c.phone.as_ref().map(|(b, _)| *b),
                phone,
                "{what}: phone block"
            );
            if let Some((block, section)) = &c.phone {
                let body = &section.body;
                assert!(body.contains(DESK_NUMBER), "{what}: {body}");
                match block {
                    PhoneBlock::PhoneActivation => {
                        assert!(body.contains(e.check_number_activation), "{what}: {body}");
                        assert!(body.contains(e.reads_installation_id), "{what}: {body}");
                    }
                    PhoneBlock::ReachOperator => {
                        assert!(body.contains(e.check_number_operator), "{what}: {body}");
                        assert!(body.contains(e.operator_trick), "{what}: {body}");
                        assert!(body.contains("22732"), "{what}: {body}");
                        assert!(body.contains(e.only_motherboard), "{what}: A12: {body}");
                    }
                }
                assert!(
                    text.contains(&format!("\n{}\n{body}\n", section.title)),
                    "{what}"
                );
            } else {
                assert!(
                    !text.contains(DESK_NUMBER),
                    "{what}: a number without a call"
                );
            }

            // The call checklist exactly when a call is involved.
            assert_eq!(c.checklist.is_some(), phone.is_some(), "{what}: checklist");
            if let Some(list) = &c.checklist {
                assert!(list.body.contains(e.inquiry_number), "{what}");
                assert!(text.contains(&list.body), "{what}");
            }

            // The caveat, on every card.
            assert!(c.caveat.body.contains(e.only_desk_decides), "{what}");
            assert!(text.contains(&c.caveat.body), "{what}");

            // The facts the contract says the verdict rests on are cited...
            let cited: Vec<&String> = c.sources.iter().flat_map(|s| &s.facts).collect();
            for f in rests_on {
                assert!(cited.iter().any(|c| c == f), "{what}: {f} not cited");
            }
            // ...and so are the facts its phone block and checklist state (the desk's
            // words about its phone line are source A's, 2024-11-28)...
            let stated = outcome.cited_facts();
            for f in phone.iter().flat_map(|p| p.rests_on()) {
                assert!(stated.contains(f), "{what}: {f}");
                assert!(cited.iter().any(|c| c == f), "{what}: {f} not cited");
            }
            // ...with their sources' dates, and no source the card does not draw on.
            let cites = |prefix: char| stated.iter().any(|f| f.starts_with(prefix));
            for (source, date) in [("A", DATE_A), ("B", DATE_B)] {
                let src = c.sources.iter().find(|s| s.id == source);
                if cites(source.chars().next().unwrap()) {
                    let src = src.unwrap_or_else(|| panic!("{what}: source {source} missing"));
                    assert_eq!(src.date.as_deref(), Some(date), "{what}");
                    assert!(src.line.contains(date), "{what}: {}", src.line);
                    // As plain text: the line's Markdown is for Discord.
                    assert!(text.contains(&plain(&src.line)), "{what}");
                } else {
                    assert!(
                        src.is_none(),
                        "{what}: cites {source} without resting on it"
                    );
                }
            }

            // The generation time.
            assert!(text.contains(e.generated), "{what}: {text}");
            assert!(text.contains(&k.rules.meta.version), "{what}");
        }
    }
}

#[test]
fn discord_cards_show_the_time_in_the_readers_zone() {
    let (_, s) = one_scenario_per_outcome().remove(0);
    let c = card(&s, "en-US", TimeStyle::Discord);
    assert_eq!(c.generated, format!("Generated <t:{FIXED_TIME}:F>"));
    assert_eq!(c.generated_at, FIXED_TIME);
}
