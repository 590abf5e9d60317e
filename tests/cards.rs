//! The answer cards. Snapshots (insta) of every outcome's card as plain text in `ja` and
//! `en-US`, built from the first own scenario reaching that outcome, with the generation time
//! fixed; reviewed by reading them. And the contract every card must keep, by facts.md
//! (version 2): the headline, the steps, the phone block its verdict needs (with the desk's
//! number and a check-before-calling sentence), the general support line beside the desk where
//! the verdict wants it, the call checklist exactly when a call is involved, the caveat with
//! A13 and A14, the dates of the sources it cites and their age, and its generation time.
//! What must hold on every path rather than on one card per outcome is in
//! `tests/contract_v2.rs`.

mod support;

use activation_check::card::{plain, Card, TimeStyle};
use activation_check::engine::Walk;
use activation_check::rules::PhoneBlock;
use support::cli::*;

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
    assert_eq!(all.len(), 23);
    for (outcome, s) in &all {
        for tag in LOCALES {
            // As the terminal shows it in Japan.
            let text = card(s, tag, TimeStyle::Zone("Asia/Tokyo")).render_text();
            insta::with_settings!({ description => s.name.as_str(), omit_expression => true }, {
                insta::assert_snapshot!(format!("card__{outcome}__{tag}"), text);
            });
        }
    }
}

/// The phone block each verdict needs, and the facts it rests on, from facts.md's table
/// (contract version 2).
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
        "high-risk-update" => (Some(ReachOperator), &["A6", "B5", "B7", "B8", "D2", "D5"]),
        "normal-risk-update" => (None, &["A6", "B1", "B2"]),
        "vm-new-fails" => (None, &["A7"]),
        "vm-reuse-uncertain" => (None, &["A7"]),
        "ask-activation-desk" => (Some(ReachOperator), &["C1", "B7", "B8", "B9", "D4"]),
        other => panic!("verdict `{other}` is not in facts.md"),
    }
}

/// Sentences each block must hold, per locale: (check before calling, what the block is
/// about, the checklist's inquiry number, the caveat's core).
struct Expected {
    check_number: &'static str,
    slui: &'static str,
    reads_installation_id: &'static str,
    operator_trick: &'static str,
    only_motherboard: &'static str,
    do_not_claim: &'static str,
    web_form: &'static str,
    may_be_paid: &'static str,
    inquiry_number: &'static str,
    only_desk_decides: &'static str,
    not_official: &'static str,
    oral: &'static str,
    no_announcement: &'static str,
    dates_and_age: &'static str,
    generated: &'static str,
}

fn expected(tag: &str) -> Expected {
    match tag {
        "en-US" => Expected {
            check_number: "can change, so check it before calling",
            slui: "Press Win+R, type “slui 4” and press Enter.",
            reads_installation_id: "read the ID's groups when asked",
            operator_trick: "say five digits that are not a valid group",
            only_motherboard: "accepts only the motherboard case",
            do_not_claim: "not to claim a motherboard replacement",
            web_form: "Web form",
            may_be_paid: "it may be paid",
            inquiry_number: "an inquiry (case) number",
            only_desk_decides: "only the activation desk decides",
            not_official: "not Microsoft's official position",
            oral: "they were spoken, may hold misunderstandings",
            no_announcement: "Microsoft has announced none of this",
            dates_and_age: "November 28, 2024 and December 6, 2024 (about 2 years ago)",
            generated: "Generated 2026-11-21T00:00:00Z",
        },
        "ja" => Expected {
            check_number: "変わることがあるため、かける前にご確認ください",
            slui: "Win+Rキーを押し、「slui 4」と入力してEnterキーを押します。",
            reads_installation_id: "IDのグループを順に読み上げます",
            operator_trick: "無効な5桁の数字",
            only_motherboard: "相談を受け付けるのはM/B交換の場合だけ",
            do_not_claim: "M/B交換と偽らないよう",
            web_form: "Webフォーム",
            may_be_paid: "有料になります",
            inquiry_number: "問い合わせ番号",
            only_desk_decides: "判断できるのは認証窓口だけです",
            not_official: "Microsoftの公式見解ではない",
            oral: "電話した記録で、聞き違いもありえ",
            no_announcement: "Microsoftの発表もありません",
            dates_and_age: "2024年11月28日と2024年12月6日(約2年前)",
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
                assert!(body.contains(e.check_number), "{what}: {body}");
                match block {
                    PhoneBlock::PhoneActivation => {
                        // D4: slui 4 opens the phone dialog, which Settings may not show.
                        assert!(body.contains(e.slui), "{what}: {body}");
                        assert!(body.contains(e.reads_installation_id), "{what}: {body}");
                    }
                    PhoneBlock::ReachOperator => {
                        assert!(body.contains(e.operator_trick), "{what}: {body}");
                        assert!(body.contains("22732"), "{what}: {body}");
                        assert!(body.contains(e.only_motherboard), "{what}: A12: {body}");
                        assert!(body.contains(e.do_not_claim), "{what}: A12: {body}");
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

            // B9's line and web form beside the desk, where the contract wants them.
            assert_eq!(
                c.support.is_some(),
                outcome.verdict.needs_support(),
                "{what}: general support"
            );
            assert_eq!(
                c.support.is_some(),
                matches!(verdict, "ask-activation-desk" | "high-risk-update"),
                "{what}: B9 as facts.md says"
            );
            if let Some(support) = &c.support {
                let body = &support.body;
                assert!(body.contains(SUPPORT_NUMBER), "{what}: {body}");
                assert!(body.contains(e.web_form), "{what}: {body}");
                assert!(body.contains(e.may_be_paid), "{what}: {body}");
                assert!(body.contains(e.check_number), "{what}: {body}");
                assert!(text.contains(body.as_str()), "{what}");
                assert!(
                    c.sources.iter().any(|s| s.facts.iter().any(|f| f == "B9")),
                    "{what}: B9 not cited"
                );
            }

            // The call checklist exactly when a call is involved.
            assert_eq!(c.checklist.is_some(), phone.is_some(), "{what}: checklist");
            if let Some(list) = &c.checklist {
                assert!(list.body.contains(e.inquiry_number), "{what}");
                assert!(text.contains(&list.body), "{what}");
            }

            // The caveat, on every card: C1-C4, A13, A14, and the calls' dates with their age
            // in words at generation time (D6), in two sentences.
            let caveat = &c.caveat.body;
            for part in [
                e.only_desk_decides,
                e.not_official,
                e.oral,
                e.no_announcement,
            ] {
                assert!(caveat.contains(part), "{what}: {part:?} in {caveat}");
            }
            assert_eq!(caveat.lines().count(), 2, "{what}: two sentences: {caveat}");
            assert!(text.contains(caveat.as_str()), "{what}");
            for f in ["A13", "A14"] {
                assert!(
                    c.sources.iter().any(|s| s.facts.iter().any(|x| x == f)),
                    "{what}: {f} not cited"
                );
            }
            let cites_b = c.sources.iter().any(|s| s.id == "B");
            if cites_b {
                assert!(caveat.contains(e.dates_and_age), "{what}: {caveat}");
            }
            assert!(!c.age.is_empty(), "{what}: no age");
            assert!(caveat.contains(&c.age), "{what}: the age beside the dates");
            // One date form per locale: no ISO date in the card's text but the generation
            // time of this RFC 3339 style.
            let without_generated = text.replace(FIXED_TIME_RFC3339, "");
            assert!(
                !without_generated.contains("2024-") && !without_generated.contains("2025-"),
                "{what}: an ISO date on the card"
            );

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
                    let shown = match (tag, source) {
                        ("ja", "A") => "2024年11月28日",
                        ("ja", _) => "2024年12月6日",
                        (_, "A") => "November 28, 2024",
                        _ => "December 6, 2024",
                    };
                    assert!(src.line.contains(shown), "{what}: {}", src.line);
                    assert_eq!(src.line.lines().count(), 1, "{what}: one line a source");
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

/// A card's own part (headline, explanation, steps) fits a phone screen: about 400 Japanese
/// characters, on every path. The notes for the license origin (D1, A1) are standard lines,
/// counted apart; with them a card stays under 500.
#[test]
fn every_japanese_card_fits_a_phone_screen() {
    use activation_check::engine::Position;
    let k = knowledge();
    let rules = &k.rules;
    let mut todo = vec![Walk::start(rules)];
    let mut longest = (0, String::new());
    while let Some(w) = todo.pop() {
        if let Position::Asking(_, q) = w.position(rules) {
            for i in 0..q.choices.len() {
                todo.push(w.answer(rules, i).unwrap());
            }
            continue;
        }
        let c = Card::build(
            rules,
            &w,
            &k.l10n,
            locale("ja"),
            FIXED_TIME,
            TimeStyle::Discord,
        )
        .unwrap();
        let chars = |s: &str| s.chars().count();
        let notes: usize = c.notes.iter().map(|n| chars(n) + 1).sum();
        let own = chars(&c.headline)
            + chars(&c.explain)
            + c.steps.items.iter().map(|s| chars(s)).sum::<usize>();
        let what = format!("{} {:?}", c.outcome, w.facts(rules));
        assert!(own - notes <= 410, "{what}: {} characters", own - notes);
        assert!(own <= 500, "{what}: {own} characters with the origin notes");
        if own > longest.0 {
            longest = (own, what);
        }
    }
    assert!(longest.0 > 0);
}
