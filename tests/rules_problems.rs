//! The rules loader reports every problem at its `file:line`. Each test mutates a copy of
//! the shipped rules text, loads it with `rules::load_str`, and asserts the sentence at the
//! line found by searching the mutated text: unknown `next`, unreachable node, cycle,
//! question for an unknown fact, a choice value the fact does not have, an unknown verdict,
//! an unknown fact id in `rests_on`, a choice set not covering the fact, a node id too long
//! for a Discord custom_id, a verdict's missing contract fact, a wrong phone block, a missing
//! call checklist, a TOML syntax error, and several problems in one run. Contract version 2:
//! a verdict that wants the general support line (B9) without its block, a value left out
//! without `not_offered`, a `not_offered` value the fact does not have or the question offers
//! anyway, and a rules file without the sources of the facts every card states. Through
//! `knowledge::cross_check`: a Fluent id the rules use but one locale lacks is reported at
//! the rules' line.

mod support;

use std::path::Path;

use activation_check::i18n::Localizer;
use activation_check::knowledge;
use activation_check::rules::MAX_NODE_ID_LEN;
use activation_check::rules::{self, load_str};
use support::cli::*;

const FILE: &str = "rules/activation-check.toml";

/// The problems loading `text` reports, as `file:line: sentence` strings.
fn problems(text: &str) -> Vec<String> {
    match load_str(text, Path::new(FILE)) {
        Ok(_) => panic!("the mutated rules were accepted"),
        Err(p) => {
            assert!(!p.is_empty());
            p.iter().map(|p| p.to_string()).collect()
        }
    }
}

/// The shipped rules text with the single `from` replaced by `to`, and its problems.
fn mutated(from: &str, to: &str) -> (String, Vec<String>) {
    let text = replace_once(&rules_text(), from, to);
    let problems = problems(&text);
    (text, problems)
}

/// Asserts that some problem is at `line` and contains `sentence`.
fn assert_reported(problems: &[String], line: usize, sentence: &str) {
    let at = format!("{FILE}:{line}: ");
    assert!(
        problems
            .iter()
            .any(|p| p.starts_with(&at) && p.contains(sentence)),
        "expected a problem at {at:?} containing {sentence:?}; got:\n{}",
        problems.join("\n")
    );
}

#[test]
fn the_shipped_rules_load() {
    let rules = load_str(&rules_text(), Path::new(FILE)).unwrap_or_else(|p| panic!("{p}"));
    assert_eq!(rules.outcomes().count(), 23);
}

#[test]
fn unknown_next() {
    let to = r#"{ value = "reused-vhd", next = "vm-reuse-unsure" }"#;
    let (text, p) = mutated(
        r#"{ value = "reused-vhd", next = "vm-reuse-uncertain" }"#,
        to,
    );
    assert_reported(
        &p,
        line_of(&text, to),
        "question `vm-disk`, choice `reused-vhd`: `next` names `vm-reuse-unsure`, which is no question or outcome",
    );
}

#[test]
fn unreachable_node() {
    // Both VM choices now lead to the same outcome: the other can no longer be reached.
    let (text, p) = mutated(
        r#"{ value = "reused-vhd", next = "vm-reuse-uncertain" }"#,
        r#"{ value = "reused-vhd", next = "vm-new-fails" }"#,
    );
    assert_reported(
        &p,
        line_of(&text, r#"id = "vm-reuse-uncertain""#),
        "`vm-reuse-uncertain` cannot be reached from `start` (`concern`)",
    );
    assert_eq!(p.len(), 1, "{p:#?}");
}

#[test]
fn cycle() {
    let (text, p) = mutated(
        r#"{ value = "new-vm", next = "vm-new-fails" }"#,
        r#"{ value = "new-vm", next = "vm-origin" }"#,
    );
    assert_reported(
        &p,
        line_of(&text, r#"id = "vm-disk""#),
        "`vm-disk` leads back to `vm-origin`: the tree has a cycle",
    );
}

#[test]
fn question_for_an_unknown_fact() {
    let to = r#"fact = "vm_disks""#;
    let (text, p) = mutated(r#"fact = "vm_disk""#, to);
    assert_reported(
        &p,
        line_of(&text, to),
        "question `vm-disk` asks for fact `vm_disks`, which is not declared (known: concern, license_origin",
    );
}

#[test]
fn choice_value_not_in_the_facts_values() {
    let to = r#"{ value = "fresh-vm", next = "vm-new-fails" }"#;
    let (text, p) = mutated(r#"{ value = "new-vm", next = "vm-new-fails" }"#, to);
    assert_reported(
        &p,
        line_of(&text, to),
        "question `vm-disk` offers value `fresh-vm`, which fact `vm_disk` does not have (allowed: new-vm, reused-vhd)",
    );
    // new-vm is then missing from the question's choices, too.
    assert_reported(
        &p,
        line_of(&text, r#"id = "vm-disk""#),
        "does not offer every value of fact `vm_disk`: missing new-vm",
    );
}

#[test]
fn unknown_verdict() {
    let to = r#"verdict = "vm-doomed""#;
    let (text, p) = mutated(r#"verdict = "vm-new-fails""#, to);
    assert_reported(
        &p,
        line_of(&text, to),
        "outcome `vm-new-fails` declares verdict `vm-doomed`, which is not in the contract (known: likely-reactivates,",
    );
}

#[test]
fn unknown_fact_id_in_rests_on() {
    let (text, p) = mutated(
        "verdict = \"vm-new-fails\"\nseverity = \"danger\"\nrests_on = [\"A7\"]",
        "verdict = \"vm-new-fails\"\nseverity = \"danger\"\nrests_on = [\"A7\", \"A99\"]",
    );
    assert_reported(
        &p,
        line_of(&text, r#"rests_on = ["A7", "A99"]"#),
        "outcome `vm-new-fails` rests on fact `A99`, which no source lists",
    );
}

#[test]
fn a_fact_a_block_states_must_be_in_the_sources() {
    // B8 (the call checklist's advice) dropped from source B.
    let text = replace_once(
        &rules_text(),
        r#"author = ["B1", "B5", "B6", "B7", "B8", "B10"]"#,
        r#"author = ["B1", "B5", "B6", "B7", "B10"]"#,
    );
    let at = text.find(r#""call-checklist"]"#).unwrap();
    let outcome = text[..at]
        .rsplit("\nid = \"")
        .next()
        .and_then(|rest| rest.split('"').next())
        .unwrap();
    assert_reported(
        &problems(&text),
        text[..at].lines().count(),
        &format!(
            "block `call-checklist` of outcome `{outcome}` states fact `B8`, which no source lists"
        ),
    );
}

#[test]
fn choice_set_not_covering_the_facts_values() {
    let (text, p) = mutated(
        "  { value = \"reused-vhd\", next = \"vm-reuse-uncertain\" },\n",
        "",
    );
    assert_reported(
        &p,
        line_of(&text, r#"id = "vm-disk""#),
        "question `vm-disk` does not offer every value of fact `vm_disk`: missing reused-vhd",
    );
}

#[test]
fn node_id_longer_than_earlier_builds_accept() {
    let long = "v".repeat(MAX_NODE_ID_LEN + 1);
    let text = replace_once(
        &rules_text(),
        r#"id = "vm-new-fails""#,
        &format!(r#"id = "{long}""#),
    );
    let text = replace_once(
        &text,
        r#"next = "vm-new-fails""#,
        &format!(r#"next = "{long}""#),
    );
    assert_reported(
        &problems(&text),
        line_of(&text, &format!(r#"id = "{long}""#)),
        &format!(
            "node id `{long}` is {} characters; at most {MAX_NODE_ID_LEN}, what every earlier build accepts",
            MAX_NODE_ID_LEN + 1
        ),
    );

    // Exactly at the budget is fine.
    let fits = "v".repeat(MAX_NODE_ID_LEN);
    let text = replace_once(
        &rules_text(),
        r#"id = "vm-new-fails""#,
        &format!(r#"id = "{fits}""#),
    );
    let text = replace_once(
        &text,
        r#"next = "vm-new-fails""#,
        &format!(r#"next = "{fits}""#),
    );
    let rules = load_str(&text, Path::new(FILE)).unwrap_or_else(|p| panic!("{p}"));
    assert!(rules.find(&fits).is_some());
}

#[test]
fn verdict_missing_a_contract_fact() {
    let (text, p) = mutated(
        r#"rests_on = ["B2", "D3", "A1", "B9"]"#,
        r#"rests_on = ["B2", "A1", "B9"]"#,
    );
    assert_reported(
        &p,
        line_of(&text, r#"id = "win10-phone""#),
        "outcome `win10-phone` (verdict `phone-reactivation`) must rest on B2, D3 as the contract says; missing D3",
    );
}

#[test]
fn wrong_phone_block() {
    // The motherboard case needs the operator block, not phone activation.
    let steps = r#"steps = ["step-prepare-repair-details", "step-reach-operator-repair"]"#;
    let (text, p) = mutated(
        &format!("{steps}\nblocks = [\"reach-operator\", \"call-checklist\"]"),
        &format!("{steps}\nblocks = [\"phone-activation\", \"call-checklist\"]"),
    );
    assert_reported(
        &p,
        line_of(&text, r#"id = "motherboard-operator""#),
        "outcome `motherboard-operator` (verdict `operator-consultation`) must show reach-operator; it shows phone-activation",
    );

    // A verdict without a call must not show one.
    let steps = r#"steps = ["step-vm-own-license"]"#;
    let (text, p) = mutated(
        &format!("{steps}\nblocks = []"),
        &format!("{steps}\nblocks = [\"reach-operator\", \"call-checklist\"]"),
    );
    assert_reported(
        &p,
        line_of(&text, r#"id = "vm-new-fails""#),
        "outcome `vm-new-fails` (verdict `vm-new-fails`) must show no phone block; it shows reach-operator",
    );
}

#[test]
fn missing_call_checklist() {
    let steps = r#"steps = ["step-run-troubleshooter", "step-phone-activation-if-needed"]"#;
    let (text, p) = mutated(
        &format!("{steps}\nblocks = [\"phone-activation\", \"call-checklist\"]"),
        &format!("{steps}\nblocks = [\"phone-activation\"]"),
    );
    assert_reported(
        &p,
        line_of(&text, r#"id = "sold-with-win11""#),
        "outcome `sold-with-win11` involves a call, so it must show the `call-checklist` block",
    );
    assert_eq!(p.len(), 1, "{p:#?}");
}

#[test]
fn ask_desk_and_high_risk_need_the_general_support_block() {
    let (text, p) = mutated("steps = [\"step-take-backup-now\", \"step-ask-before-update\", \"step-get-inquiry-number\"]\nblocks = [\"general-support\", \"reach-operator\", \"call-checklist\"]",
        "steps = [\"step-take-backup-now\", \"step-ask-before-update\", \"step-get-inquiry-number\"]\nblocks = [\"reach-operator\", \"call-checklist\"]");
    assert_reported(
        &p,
        line_of(&text, r#"id = "update-high-risk""#),
        "outcome `update-high-risk` (verdict `high-risk-update`) must show the `general-support` block",
    );
}

#[test]
fn a_value_left_out_must_be_listed_in_not_offered() {
    // The hardware-change question leaves out `none` on purpose; without saying so, the
    // loader reports it as a gap.
    let (text, p) = mutated("not_offered = [\"none\"]\n", "");
    assert_reported(
        &p,
        line_of(&text, r#"id = "hardware""#),
        "question `hardware` does not offer every value of fact `hardware_change`: missing none",
    );
    // Listing a value the fact does not have, or one the question offers anyway.
    let to = r#"not_offered = ["none", "nothing", "new-pc"]"#;
    let (text, p) = mutated(r#"not_offered = ["none"]"#, to);
    assert_reported(
        &p,
        line_of(&text, to),
        "question `hardware` leaves out value `nothing`, which fact `hardware_change` does not have",
    );
    assert_reported(
        &p,
        line_of(&text, to),
        "question `hardware` both offers and leaves out value `new-pc`",
    );
}

#[test]
fn the_facts_every_card_states_must_be_in_the_sources() {
    // A13 (the caveat) and D1 (a Windows 10 user's note) are stated on cards whatever the
    // outcome.
    let text = replace_once(
        &rules_text(),
        r#"author = ["A2", "A6", "A7", "A9", "A10", "A11", "A13"]"#,
        r#"author = ["A2", "A6", "A7", "A9", "A10", "A11"]"#,
    );
    let text = replace_once(
        &text,
        r#"outside = ["D1", "D2", "D3", "D4", "D5", "D6"]"#,
        r#"outside = ["D2", "D3", "D4", "D5", "D6"]"#,
    );
    let p = problems(&text);
    assert_reported(
        &p,
        line_of(&text, "[meta]"),
        "every card states A13, D1 (the caveat and the origin notes), which no source lists",
    );
}

#[test]
fn toml_syntax_error() {
    let to = r#"id = "vm-disk"#;
    let (text, p) = mutated(r#"id = "vm-disk""#, to);
    assert_eq!(p.len(), 1, "{p:#?}");
    assert_reported(&p, line_of(&text, to), "not a valid rules file: ");
}

#[test]
fn several_problems_are_reported_in_one_run() {
    let rules = rules_text();
    let text = replace_once(
        &rules,
        r#"{ value = "yes", next = "own-win10-phone" }"#,
        r#"{ value = "yes", next = "own-win10-fone" }"#,
    );
    let text = replace_once(
        &text,
        r#"verdict = "vm-new-fails""#,
        r#"verdict = "vm-dead""#,
    );
    let text = replace_once(
        &text,
        r#"rests_on = ["B2", "D3", "A1", "B9"]"#,
        r#"rests_on = ["B2", "A1", "B9", "Z1"]"#,
    );
    let text = replace_once(&text, r#"fact = "vm_disk""#, r#"fact = "vm_disc""#);
    let p = problems(&text);
    assert_reported(
        &p,
        line_of(&text, r#"next = "own-win10-fone""#),
        "`next` names `own-win10-fone`",
    );
    assert_reported(
        &p,
        line_of(&text, r#"verdict = "vm-dead""#),
        "declares verdict `vm-dead`",
    );
    assert_reported(
        &p,
        line_of(&text, r#"rests_on = ["B2", "A1", "B9", "Z1"]"#),
        "rests on fact `Z1`, which no source lists",
    );
    assert_reported(&p, line_of(&text, r#"id = "win10-phone""#), "missing D3");
    assert_reported(
        &p,
        line_of(&text, r#"fact = "vm_disc""#),
        "asks for fact `vm_disc`, which is not declared",
    );
    assert_eq!(p.len(), 5, "{p:#?}");
    // In line order, as an editor works through them.
    let lines: Vec<usize> = p
        .iter()
        .map(|s| s.split(':').nth(1).unwrap().parse().unwrap())
        .collect();
    assert!(lines.windows(2).all(|w| w[0] <= w[1]), "{lines:?}");
}

/// Takes the message `id` out of the `ja` copy of `file`, and asserts that
/// `knowledge::cross_check` reports it at the rules' line holding `used_at`. Returns the
/// copy (kept while the first value lives), its i18n folder and the expected problem.
fn assert_missing_in_ja_reported(
    file: &str,
    id: &str,
    used_at: &str,
) -> (tempfile::TempDir, std::path::PathBuf, String) {
    let (tmp, i18n) = i18n_without("ja", file, id);
    let rules = rules::load(&rules_file()).unwrap();
    let l10n = Localizer::load(&i18n, "en-US").unwrap();
    let found: Vec<String> = knowledge::cross_check(&rules, &l10n)
        .iter()
        .map(|p| p.to_string())
        .collect();
    let expected = format!(
        "{}:{}: message `{id}` is referenced here but missing in locale `ja`",
        rules_file().display(),
        line_of(&rules_text(), used_at)
    );
    assert!(
        found.iter().any(|p| p.starts_with(&expected)),
        "expected {expected:?} in:\n{}",
        found.join("\n")
    );
    (tmp, i18n, expected)
}

#[test]
fn a_fluent_id_missing_in_one_locale_is_reported_at_the_rules_line() {
    // The label is the choice's default, `value-<fact>-<value>`, used by question vm-disk.
    let (_tmp, i18n, expected) = assert_missing_in_ja_reported(
        "questions.ftl",
        "value-vm-disk-reused-vhd",
        r#"id = "vm-disk""#,
    );

    // knowledge::load refuses to start with it.
    let err = knowledge::load(&rules_file(), &i18n, "en-US")
        .unwrap_err()
        .to_string();
    assert!(err.contains(&expected), "{err}");
}

#[test]
fn a_missing_source_title_is_reported_at_the_rules_line() {
    assert_missing_in_ja_reported("sources.ftl", "source-b", r#"title = "source-b""#);
}
