//! What contract version 2 of facts.md asks of every path, not just of one card per outcome:
//! every conversation a user can have is walked (each choice of each question), and its card
//! is built in both locales.
//!
//! - The routing that follows from B over A: `free-upgrade-win10` never reaches
//!   `upgrade-right-lost`, `high-risk-update` or `reinstall-at-risk`; `not-checked` never
//!   reaches `upgrade-right-lost`; a lost activation on a free upgrade from 7/8.1 asks
//!   `hardware_change`, `none` included, and a motherboard repair there reaches
//!   `operator-consultation`.
//! - Every question about the installation ID says how to look (`slui 4`, D4) and offers
//!   "could not check".
//! - Every card carries the age line (D6): the dates of the calls it draws on and their age in
//!   words at generation time, computed, not written into a text.
//! - `ask-activation-desk` and `high-risk-update` cards show B9's line and web form; Windows 10
//!   users see D1; free upgrades from 7/8.1 and unknown origins see A1's digital-license point;
//!   wherever the operator trick is suggested, A12's warning is on the card; update cards name
//!   25H2 as the update at hand and mention 24H2 only as out of support.

mod support;

use std::collections::{BTreeMap, BTreeSet};

use activation_check::card::{Card, TimeStyle};
use activation_check::engine::{Position, Walk};
use activation_check::rules::Verdict;
use support::cli::*;

/// Every finished walk of the rules.
fn every_path() -> Vec<Walk> {
    let rules = &knowledge().rules;
    let mut done = Vec::new();
    let mut todo = vec![Walk::start(rules)];
    while let Some(w) = todo.pop() {
        match w.position(rules) {
            Position::Asking(_, q) => {
                for i in 0..q.choices.len() {
                    todo.push(w.answer(rules, i).unwrap());
                }
            }
            Position::Done(..) => done.push(w),
        }
    }
    done
}

fn facts(w: &Walk) -> BTreeMap<String, String> {
    w.facts(&knowledge().rules)
}

fn verdict(w: &Walk) -> Verdict {
    w.outcome(&knowledge().rules).unwrap().verdict
}

fn card(w: &Walk, tag: &str, at: i64) -> Card {
    let k = knowledge();
    Card::build(&k.rules, w, &k.l10n, locale(tag), at, TimeStyle::Discord).unwrap()
}

/// The card for `w` explains with `ja` in Japanese and `en` in English.
#[track_caller]
fn explains_in_each_locale(w: &Walk, ja: &str, en: &str) {
    for tag in LOCALES {
        let c = card(w, tag, FIXED_TIME);
        let said = if tag == "ja" { ja } else { en };
        assert!(c.explain.contains(said), "{tag}: {}", c.explain);
    }
}

/// The whole card as a reader sees it, in Discord's layout and the terminal's.
fn shown(c: &Card) -> String {
    let mut all = c.render_text();
    for e in activation_check::discord::spec::card_message(c).embeds {
        all.push_str(&e.description.unwrap_or_default());
        all.push('\n');
    }
    all
}

#[test]
fn the_tree_has_the_paths_and_outcomes_counted_in_the_notes() {
    let rules = &knowledge().rules;
    let paths = every_path();
    // Counted by hand from rules/activation-check.toml: lost activation 22 (7/8.1 alone 14),
    // update 5, hardware change 25, reinstall 6, Hyper-V 7, activated now 5.
    assert_eq!(paths.len(), 70, "paths");
    assert_eq!(rules.outcomes().count(), 23, "outcomes");
    let reached: BTreeSet<&str> = paths
        .iter()
        .map(|w| w.outcome(rules).unwrap().id.as_str())
        .collect();
    assert_eq!(reached.len(), 23, "every outcome is reached");
}

#[test]
fn windows_10_origins_are_judged_by_b2_never_by_a_lost_right() {
    for w in every_path() {
        let f = facts(&w);
        if f.get("license_origin").map(String::as_str) == Some("free-upgrade-win10") {
            assert!(
                !matches!(
                    verdict(&w),
                    Verdict::UpgradeRightLost | Verdict::HighRiskUpdate | Verdict::ReinstallAtRisk
                ),
                "{f:?} reaches {}",
                verdict(&w)
            );
        }
        if f.get("installation_id_shown").map(String::as_str) == Some("not-checked") {
            assert_ne!(verdict(&w), Verdict::UpgradeRightLost, "{f:?}");
        }
    }
}

#[test]
fn the_routing_paragraph_of_the_contract() {
    let rules = &knowledge().rules;
    let reach = |pairs: &[(&str, &str)]| {
        let facts: BTreeMap<String, String> = pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        let w = Walk::from_facts(rules, &facts).unwrap_or_else(|e| panic!("{pairs:?}: {e}"));
        (verdict(&w), w)
    };
    let win10 = ("license_origin", "free-upgrade-win10");
    // A lost activation, a reinstall and a hardware change on the same PC: phone re-activation.
    for concern in [
        vec![
            ("concern", "lost-activation"),
            ("installation_id_shown", "yes"),
        ],
        vec![("concern", "reinstall")],
        vec![
            ("concern", "hardware-change"),
            ("hardware_change", "other-parts"),
            ("installation_id_shown", "yes"),
        ],
        vec![
            ("concern", "hardware-change"),
            ("hardware_change", "motherboard-repair"),
            ("installation_id_shown", "yes"),
            ("self_service_activation", "not-tried"),
        ],
    ] {
        let mut pairs = concern.clone();
        pairs.push(win10);
        assert_eq!(reach(&pairs).0, Verdict::PhoneReactivation, "{pairs:?}");
    }
    // The operator for a motherboard repair once the automated line failed.
    assert_eq!(
        reach(&[
            ("concern", "hardware-change"),
            ("hardware_change", "motherboard-repair"),
            win10,
            ("installation_id_shown", "yes"),
            ("self_service_activation", "all-failed"),
        ])
        .0,
        Verdict::OperatorConsultation
    );
    // Before an update: the usual risk, with B2's condition on the card.
    let (v, w) = reach(&[("concern", "planning-update"), win10]);
    assert_eq!(v, Verdict::NormalRiskUpdate);
    explains_in_each_locale(
        &w,
        "IDが表示されていれば",
        "while the installation ID is shown",
    );
    // A move to a new PC stays with A5, and the card says the own Windows 10 license moves
    // under its terms (A8).
    let (v, w) = reach(&[
        ("concern", "hardware-change"),
        ("hardware_change", "new-pc"),
        win10,
    ]);
    assert_eq!(v, Verdict::NewLicenseNeeded);
    assert!(w.outcome(rules).unwrap().rests_on.iter().any(|f| f == "A8"));
    explains_in_each_locale(
        &w,
        "Windows 10のライセンス自体は、その条項の範囲で移せる",
        "Your own Windows 10 license itself can move as its terms allow",
    );
}

#[test]
fn a_lost_activation_on_a_7_8_upgrade_asks_what_was_replaced() {
    let rules = &knowledge().rules;
    let mut seen = BTreeSet::new();
    for w in every_path() {
        let f = facts(&w);
        if f["concern"] == "lost-activation" && f["license_origin"] == "free-upgrade-win7-8" {
            let hw = f
                .get("hardware_change")
                .unwrap_or_else(|| panic!("{f:?}: hardware_change not asked"));
            seen.insert(hw.clone());
            if hw == "motherboard-repair" {
                assert_eq!(verdict(&w), Verdict::OperatorConsultation, "{f:?}");
            }
        }
        // `none` is asked only where activation was lost.
        if f.get("hardware_change").map(String::as_str) == Some("none") {
            assert_eq!(f["concern"], "lost-activation", "{f:?}");
        }
    }
    let want: BTreeSet<String> = rules
        .fact("hardware_change")
        .unwrap()
        .values
        .iter()
        .cloned()
        .collect();
    assert_eq!(seen, want, "every value, `none` included, on that path");
}

#[test]
fn every_installation_id_question_says_how_to_look_and_offers_could_not_check() {
    let k = knowledge();
    let mut asked = 0;
    for q in k.rules.questions() {
        if q.fact != "installation_id_shown" {
            continue;
        }
        asked += 1;
        assert!(
            q.choices.iter().any(|c| c.value == "not-checked"),
            "{}",
            q.id
        );
        let help = q
            .help
            .as_deref()
            .unwrap_or_else(|| panic!("{}: no hint", q.id));
        for tag in LOCALES {
            let text = k.l10n.text(locale(tag), help);
            assert!(text.contains("slui 4"), "{} ({tag}): {text}", q.id);
            assert!(text.contains("Win+R"), "{} ({tag}): {text}", q.id);
        }
    }
    assert!(asked >= 4, "{asked}");
}

#[test]
fn every_card_says_how_old_its_information_is() {
    let k = knowledge();
    // 2026-12-06 13:43 in Tokyo, and a year and a half later.
    let today = 1_796_532_180;
    let later = today + 548 * 86_400;
    for w in every_path() {
        for tag in LOCALES {
            for (at, age) in [
                (
                    today,
                    if tag == "ja" {
                        "約2年前"
                    } else {
                        "about 2 years ago"
                    },
                ),
                (
                    later,
                    if tag == "ja" {
                        "約3年半前"
                    } else {
                        "about 3 and a half years ago"
                    },
                ),
            ] {
                let c = card(&w, tag, at);
                let what = format!("{} ({tag}) {:?}", c.outcome, facts(&w));
                assert_eq!(c.age, age, "{what}");
                let dated = match tag {
                    "ja" => format!("2024年11月28日と2024年12月6日({age})"),
                    _ => format!("November 28, 2024 and December 6, 2024 ({age})"),
                };
                let a_only = match tag {
                    "ja" => format!("2024年11月28日({age})"),
                    _ => format!("November 28, 2024 ({age})"),
                };
                assert!(
                    c.caveat.body.contains(&dated) || c.caveat.body.contains(&a_only),
                    "{what}: {}",
                    c.caveat.body
                );
                assert!(shown(&c).contains(&c.caveat.body), "{what}");
            }
        }
        let _ = &k;
    }
}

#[test]
fn ask_desk_and_high_risk_cards_show_the_general_support_line_and_web_form() {
    for w in every_path() {
        let wants = matches!(
            verdict(&w),
            Verdict::AskActivationDesk | Verdict::HighRiskUpdate
        );
        for tag in LOCALES {
            let c = card(&w, tag, FIXED_TIME);
            let text = shown(&c);
            let what = format!("{} ({tag})", c.outcome);
            assert_eq!(c.support.is_some(), wants, "{what}");
            if wants {
                assert!(text.contains(SUPPORT_NUMBER), "{what}");
                let form = if tag == "ja" {
                    "Webフォーム"
                } else {
                    "Web form"
                };
                assert!(text.contains(form), "{what}");
                // Beside the desk: the desk's number is on the same card.
                assert!(text.contains(DESK_NUMBER), "{what}");
            }
        }
    }
}

#[test]
fn origin_notes_d1_for_windows_10_users_a1_for_7_8_and_unknown_origins() {
    let k = knowledge();
    for w in every_path() {
        let f = facts(&w);
        let origin = f["license_origin"].as_str();
        for tag in LOCALES {
            let l = locale(tag);
            let c = card(&w, tag, FIXED_TIME);
            let what = format!("{} ({tag}) {f:?}", c.outcome);
            let has = |id: &str| c.explain.contains(&k.l10n.text(l, id));
            let cites = |fact: &str| c.sources.iter().any(|s| s.facts.iter().any(|x| x == fact));
            match origin {
                "native-win10" => {
                    assert!(has("note-win10-support-ended"), "{what}");
                    assert!(cites("D1"), "{what}");
                }
                "free-upgrade-win7-8" => {
                    assert!(has("note-win10-support-ended-if-still"), "{what}");
                    assert!(has("note-digital-license"), "{what}");
                    assert!(cites("D1") && cites("A1"), "{what}");
                }
                "unknown" => {
                    assert!(has("note-digital-license-if-free-upgrade"), "{what}");
                    assert!(has("note-win10-support-ended-if-still"), "{what}");
                    assert!(cites("D1") && cites("A1"), "{what}");
                }
                _ => assert!(c.notes.is_empty(), "{what}: {:?}", c.notes),
            }
            // The D1 date in words, on every Windows 10 user's card.
            if origin == "native-win10" {
                let d1 = if tag == "ja" {
                    "2025年10月14日"
                } else {
                    "October 14, 2025"
                };
                assert!(shown(&c).contains(d1), "{what}");
            }
        }
    }
}

#[test]
fn wherever_the_operator_trick_is_suggested_a12s_warning_is_there() {
    for w in every_path() {
        for tag in LOCALES {
            let c = card(&w, tag, FIXED_TIME);
            let text = shown(&c);
            if text.contains("22732") {
                let warning = if tag == "ja" {
                    "M/B交換と偽らないよう"
                } else {
                    "not to claim a motherboard replacement"
                };
                let only = if tag == "ja" {
                    "相談を受け付けるのはM/B交換の場合だけ"
                } else {
                    "accepts only the motherboard case"
                };
                assert!(
                    text.contains(warning) && text.contains(only),
                    "{} ({tag})",
                    c.outcome
                );
                // For anything but a motherboard repair, the honest alternative is there too.
                if verdict(&w) != Verdict::OperatorConsultation {
                    assert!(text.contains(SUPPORT_NUMBER), "{} ({tag})", c.outcome);
                }
            }
        }
    }
}

#[test]
fn update_cards_name_25h2_and_24h2_only_as_out_of_support() {
    for w in every_path() {
        if facts(&w)["concern"] != "planning-update" {
            continue;
        }
        for tag in LOCALES {
            let c = card(&w, tag, FIXED_TIME);
            let own = format!(
                "{}\n{}\n{}",
                c.headline,
                c.explain,
                c.steps.items.join("\n")
            );
            assert!(own.contains("25H2"), "{} ({tag}): {own}", c.outcome);
            let ended = if tag == "ja" {
                "サポートは終了"
            } else {
                "out of support"
            };
            for line in shown(&c).lines().filter(|l| l.contains("24H2")) {
                assert!(line.contains(ended), "{} ({tag}): {line}", c.outcome);
            }
        }
    }
    // Nor does the question that leads there.
    let k = knowledge();
    for tag in LOCALES {
        let label = k.l10n.text(locale(tag), "value-concern-planning-update");
        assert!(label.contains("25H2") && !label.contains("24H2"), "{label}");
    }
}

#[test]
fn the_terminal_shows_local_time_with_its_zone() {
    use activation_check::card::local_time_text;
    use jiff::tz::TimeZone;
    let k = knowledge();
    // 2026-12-06 04:43 UTC.
    let at = 1_796_532_180;
    let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
    let berlin = TimeZone::get("Europe/Berlin").unwrap();
    let cases = [
        ("ja", &tokyo, "2026年12月6日 13:43(日本時間)"),
        ("en-US", &tokyo, "December 6, 2026, 13:43 (Japan time)"),
        ("ja", &TimeZone::UTC, "2026年12月6日 04:43(協定世界時)"),
        ("en-US", &TimeZone::UTC, "December 6, 2026, 04:43 (UTC)"),
        (
            "ja",
            &berlin,
            "2026年12月6日 05:43(Europe/Berlin、UTC+01:00)",
        ),
        (
            "en-US",
            &berlin,
            "December 6, 2026, 05:43 (Europe/Berlin, UTC+01:00)",
        ),
    ];
    for (tag, tz, want) in cases {
        assert_eq!(local_time_text(&k.l10n, locale(tag), at, tz), want);
    }
    let fixed = TimeZone::fixed(jiff::tz::offset(-5));
    assert_eq!(
        local_time_text(&k.l10n, locale("en-US"), at, &fixed),
        "December 5, 2026, 23:43 (UTC-05:00)"
    );
}
