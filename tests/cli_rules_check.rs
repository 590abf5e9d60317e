//! `activation-check rules check`, through the real binary: it passes on the shipped rules
//! and texts with a summary (questions, outcomes, verdicts covered 15 of 15, locales), and
//! fails with exit 1 and the exact `file:line` on a rules file with a dangling `next`
//! (`--rules-dir`) and on an i18n directory missing one message in `ja` (`--i18n-dir`).

mod common;

use activation_check::rules::Verdict;
use common::*;

#[test]
fn passes_on_the_shipped_rules_with_a_summary() {
    let out = run(&["rules", "check"]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}\n{}", stderr(&out));
    let k = knowledge();
    assert!(
        text.contains(&format!(
            "rules `activation-check` version {}",
            k.rules.meta.version
        )),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "questions: {}, outcomes: {}, at most {} questions per conversation",
            k.rules.questions().count(),
            k.rules.outcomes().count(),
            k.rules.max_depth()
        )),
        "{text}"
    );
    // Counted by hand from rules/activation-check.toml.
    assert!(
        text.contains("questions: 22, outcomes: 23, at most 6 questions"),
        "{text}"
    );
    assert_eq!(Verdict::ALL.len(), 15);
    assert!(text.contains("verdicts covered: 15 of 15"), "{text}");
    assert!(!text.contains("not reached"), "{text}");
    let locales = text
        .lines()
        .find(|l| l.trim_start().starts_with("locales:"))
        .unwrap_or_else(|| panic!("no locales line: {text}"));
    assert!(
        locales.contains("en-US (") && locales.contains("ja ("),
        "{locales}"
    );
    assert!(locales.contains("(default en-US)"), "{locales}");
    assert!(text.trim_end().ends_with("ok"), "{text}");
}

#[test]
fn fails_with_file_and_line_on_a_dangling_next() {
    let tmp = tempfile::tempdir().unwrap();
    let rules = tmp.path().join("rules");
    copy_dir(&rules_dir(), &rules);
    let file = rules.join("activation-check.toml");
    let from = r#"{ value = "new-vm", next = "vm-new-fails" }"#;
    let to = r#"{ value = "new-vm", next = "vm-new-failz" }"#;
    let text = replace_once(&rules_text(), from, to);
    std::fs::write(&file, &text).unwrap();
    let line = line_of(&text, to);

    let out = run(&["rules", "check", "--rules-dir", rules.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    let expected = format!(
        "{}:{line}: question `vm-disk`, choice `new-vm`: `next` names `vm-new-failz`, which is no question or outcome",
        file.display()
    );
    assert!(err.contains(&expected), "expected {expected:?} in:\n{err}");
    assert!(!stdout(&out).contains("ok"), "no summary on failure");
}

#[test]
fn fails_with_file_and_line_on_a_message_missing_in_ja() {
    let tmp = tempfile::tempdir().unwrap();
    let i18n = tmp.path().join("i18n");
    copy_dir(&i18n_dir(), &i18n);
    let ja_steps = i18n.join("ja/steps.ftl");
    let ja_text = std::fs::read_to_string(&ja_steps).unwrap();
    let removed = ja_text
        .lines()
        .find(|l| l.starts_with("step-vm-try-reuse ="))
        .expect("the ja message exists")
        .to_owned();
    std::fs::write(
        &ja_steps,
        replace_once(&ja_text, &format!("{removed}\n"), ""),
    )
    .unwrap();

    let out = run(&["rules", "check", "--i18n-dir", i18n.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);

    // Where the message is defined in the other locale...
    let en_steps = i18n.join("en-US/steps.ftl");
    let en_line = line_of(
        &std::fs::read_to_string(&en_steps).unwrap(),
        "\nstep-vm-try-reuse =",
    ) + 1;
    let expected = format!(
        "{}:{en_line}: message `step-vm-try-reuse` is defined in `en-US` but missing in `ja`",
        en_steps.display()
    );
    assert!(err.contains(&expected), "expected {expected:?} in:\n{err}");

    // ...and where the rules use it: the outcome that lists it as a step.
    let rules_line = line_of(&rules_text(), r#"id = "vm-reuse-uncertain""#);
    let expected = format!(
        "rules/activation-check.toml:{rules_line}: message `step-vm-try-reuse` is referenced here but missing in locale `ja`"
    );
    assert!(err.contains(&expected), "expected {expected:?} in:\n{err}");
    assert!(err.contains("problem(s) in the rules or texts"), "{err}");
}

#[test]
fn a_card_too_long_for_discord_fails_the_check_and_the_bot_start_with_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let i18n = tmp.path().join("i18n");
    copy_dir(&i18n_dir(), &i18n);
    let edit = |file: &str, from: &str, to: &str| {
        let path = i18n.join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, replace_once(&text, from, to)).unwrap();
    };
    let long = |n: usize| "長い説明。".repeat(n);
    // A translator pastes a long passage into one outcome's explanation: cut at
    // Discord's 4096 characters for one embed.
    edit(
        "ja/outcomes.ftl",
        "o-vm-new-fails-explain =\n",
        &format!("o-vm-new-fails-explain =\n    {}\n", long(900)),
    );
    // Another outcome's explanation and one of its steps grow: each fits its embed,
    // together they pass the 6000 characters of a message's embeds.
    edit(
        "ja/outcomes.ftl",
        "o-update-high-risk-explain =\n",
        &format!("o-update-high-risk-explain =\n    {}\n", long(600)),
    );
    edit(
        "ja/steps.ftl",
        "step-ask-before-update = ",
        &format!("step-ask-before-update = {}", long(300)),
    );
    let at = |outcome: &str| {
        let line = line_of(&rules_text(), &format!("id = \"{outcome}\""));
        format!(
            "rules/activation-check.toml:{line}: the card of outcome `{outcome}` does not fit in a Discord message in ja: "
        )
    };
    let problem = |err: &str, outcome: &str| {
        err.lines()
            .find(|l| l.starts_with(&at(outcome)))
            .unwrap_or_else(|| panic!("no problem for {outcome} in:\n{err}"))
            .to_owned()
    };

    let out = run(&["rules", "check", "--i18n-dir", i18n.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);
    let cut = problem(&err, "vm-new-fails");
    assert!(
        cut.contains("embed description cut at 4096 characters"),
        "{cut}"
    );
    let total = problem(&err, "update-high-risk");
    assert!(total.contains("embed characters: "), "{total}");
    assert!(total.contains(" > 6000"), "{total}");
    assert!(!total.contains("cut at"), "{total}");
    assert!(!err.contains("in en-US"), "only ja is too long: {err}");
    assert!(
        err.contains("2 message(s) would not fit in Discord"),
        "{err}"
    );
    assert!(!stdout(&out).contains("ok"), "no summary on failure");

    // The bot refuses to start on them too, before it connects anywhere.
    let out = bin()
        .args(["run", "--i18n-dir", i18n.to_str().unwrap()])
        .env("DISCORD_TOKEN", "not-used")
        .env("DISCORD_API_BASE", "http://127.0.0.1:9")
        .stdin(std::process::Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains(&cut), "{}", stderr(&out));
}
