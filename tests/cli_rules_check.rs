//! `activation-check rules check`, through the real binary: it passes on the shipped rules
//! and texts with a summary (questions, outcomes, verdicts covered 15 of 15, locales), and
//! fails with exit 1 and the exact `file:line` on a rules file with a dangling `next`
//! (`--rules-dir`) and on an i18n directory missing one message in `ja` (`--i18n-dir`).

mod support;

use activation_check::rules::Verdict;
use support::cli::*;

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
    let (_tmp, i18n) = i18n_without("ja", "steps.ftl", "step-vm-try-reuse");

    let out = run(&["rules", "check", "--i18n-dir", i18n.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1), "{}", stdout(&out));
    let err = stderr(&out);

    // Where the message is defined in the other locale...
    let en_steps = i18n.join("en-US/steps.ftl");
    let en_line = message_line(&en_steps, "step-vm-try-reuse");
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
    // The explanation alone is too long for its embed: named at its own line too.
    let explain_line = message_line(&i18n.join("ja/outcomes.ftl"), "o-vm-new-fails-explain");
    let own = format!(
        "{}:{explain_line}: message `o-vm-new-fails-explain` is 4",
        i18n.join("ja/outcomes.ftl").display()
    );
    assert!(err.contains(&own), "expected {own:?} in:\n{err}");
    assert!(
        err.contains("3 message(s) would not fit in Discord"),
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

/// A copy of the shipped texts with `edit(path, text) -> text` applied to one file in each
/// of `locales`; returns the copy's directory.
fn broken_i18n(
    tmp: &std::path::Path,
    file: &str,
    locales: &[&str],
    edit: impl Fn(&str) -> String,
) -> std::path::PathBuf {
    let i18n = tmp.join("i18n");
    copy_dir(&i18n_dir(), &i18n);
    for l in locales {
        let path = i18n.join(l).join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::write(&path, edit(&text)).unwrap();
    }
    i18n
}

fn check_i18n(i18n: &std::path::Path) -> (std::process::Output, String) {
    let out = run(&["rules", "check", "--i18n-dir", i18n.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{}\n{err}", stdout(&out));
    assert!(!stdout(&out).contains("ok"), "no summary on failure");
    (out, err)
}

#[test]
fn a_variable_the_program_does_not_pass_is_reported_at_its_line_in_every_locale() {
    // The same misspelling everywhere: the locales agree with each other, so only knowing
    // what the program passes catches it.
    let tmp = tempfile::tempdir().unwrap();
    let i18n = tmp.path().join("i18n");
    copy_dir(&i18n_dir(), &i18n);
    let mut places = Vec::new();
    for l in LOCALES {
        for entry in std::fs::read_dir(i18n.join(l)).unwrap() {
            let path = entry.unwrap().path();
            let text = std::fs::read_to_string(&path).unwrap();
            if !text.contains("{ $desk_number }") {
                continue;
            }
            let broken = text.replace("{ $desk_number }", "{ $desk_numbr }");
            for (n, line) in broken.lines().enumerate() {
                if line.contains("{ $desk_numbr }") {
                    places.push((l, path.clone(), n + 1));
                }
            }
            std::fs::write(&path, broken).unwrap();
        }
    }
    assert!(
        places.len() >= 4,
        "the phone blocks quote the number: {places:?}"
    );
    let (_, err) = check_i18n(&i18n);
    for (l, path, line) in &places {
        let at = format!("{}:{line}: message `", path.display());
        let found = err
            .lines()
            .find(|p| p.starts_with(&at))
            .unwrap_or_else(|| panic!("nothing at {at:?} in:\n{err}"));
        assert!(
            found.contains(&format!(
                "in `{l}` uses `$desk_numbr`, which the program does not pass to it (it \
                 passes only $desk_number, $support_number), so it would show as a raw \
                 placeholder; did you mean `$desk_number`?"
            )),
            "{found}"
        );
    }
    // Nothing else is wrong with these texts.
    assert!(
        err.contains(&format!(
            "{} problem(s) in the rules or texts",
            places.len()
        )),
        "{err}"
    );
}

#[test]
fn a_phone_number_in_a_question_is_refused_because_questions_get_no_variables() {
    let tmp = tempfile::tempdir().unwrap();
    // A variable that cards get is still wrong in a question's text: the question is
    // shown without it.
    let i18n = broken_i18n(tmp.path(), "questions.ftl", &LOCALES, |t| {
        let line = line_starting(t, "q-vm-disk =");
        replace_once(t, line, &format!("{line} ({{ $desk_number }})"))
    });
    let (_, err) = check_i18n(&i18n);
    for l in LOCALES {
        let path = i18n.join(l).join("questions.ftl");
        let line = message_line(&path, "q-vm-disk");
        let expected = format!(
            "{}:{line}: message `q-vm-disk` in `{l}` uses `$desk_number`, which the program \
             does not pass to it (it passes no variables to this message)",
            path.display()
        );
        assert!(err.contains(&expected), "expected {expected:?} in:\n{err}");
    }
}

#[test]
fn a_label_too_long_for_a_button_and_a_headline_too_long_for_a_title_are_named_at_their_ftl_lines()
{
    let tmp = tempfile::tempdir().unwrap();
    let long_label = "x".repeat(120);
    let i18n = broken_i18n(tmp.path(), "questions.ftl", &["en-US"], |t| {
        let line = line_starting(t, "value-vm-disk-reused-vhd =");
        replace_once(t, line, &format!("{line} {long_label}"))
    });
    let ja_outcomes = i18n.join("ja/outcomes.ftl");
    let text = std::fs::read_to_string(&ja_outcomes).unwrap();
    let headline = line_starting(&text, "o-win10-phone-headline =");
    std::fs::write(
        &ja_outcomes,
        replace_once(
            &text,
            headline,
            &format!("{headline}{}", "長い".repeat(150)),
        ),
    )
    .unwrap();
    let (_, err) = check_i18n(&i18n);

    let en_questions = i18n.join("en-US/questions.ftl");
    let en_text = std::fs::read_to_string(&en_questions).unwrap();
    let label_line = line_of(&en_text, "\nvalue-vm-disk-reused-vhd =") + 1;
    let label_len = knowledge()
        .l10n
        .text(locale("en-US"), "value-vm-disk-reused-vhd")
        .chars()
        .count()
        + 1
        + long_label.len();
    let expected = format!(
        "{}:{label_line}: message `value-vm-disk-reused-vhd` is {label_len} characters long \
         in en-US, more than the 80 of a button label: question `vm-disk` would show its \
         choices as a select menu instead of buttons, with this label cut at 100 characters",
        en_questions.display()
    );
    assert!(err.contains(&expected), "expected {expected:?} in:\n{err}");
    // The select menu the question would become is checked too: its option is cut.
    let vm_disk = line_of(&rules_text(), r#"id = "vm-disk""#);
    assert!(
        err.contains(&format!(
            "rules/activation-check.toml:{vm_disk}: question `vm-disk` does not fit in a \
             Discord message in en-US: select option label cut at 100 characters"
        )),
        "{err}"
    );

    let headline_line = message_line(&ja_outcomes, "o-win10-phone-headline");
    let expected = format!(
        "{}:{headline_line}: message `o-win10-phone-headline` is ",
        ja_outcomes.display()
    );
    let found = err
        .lines()
        .find(|l| l.starts_with(&expected))
        .unwrap_or_else(|| panic!("expected {expected:?} in:\n{err}"));
    assert!(
        found.contains("characters long in ja, more than the 256 of an embed title"),
        "{found}"
    );
}

#[test]
fn a_misspelt_message_id_is_reported_first_as_a_missing_id_not_as_missing_in_the_other_locale() {
    let tmp = tempfile::tempdir().unwrap();
    let i18n = broken_i18n(tmp.path(), "outcomes.ftl", &["en-US"], |t| {
        replace_once(t, "\no-win10-phone-explain =", "\no-win10-phone-explian =")
    });
    let (_, err) = check_i18n(&i18n);
    let en = i18n.join("en-US/outcomes.ftl");
    let typo_line = message_line(&en, "o-win10-phone-explian");
    let rules_line = line_of(&rules_text(), r#"id = "win10-phone""#);
    let first = err.lines().next().unwrap_or_default();
    let expected = format!(
        "rules/activation-check.toml:{rules_line}: message `o-win10-phone-explain` is \
         referenced here but missing in locale `en-US` ({}): the id referenced here does not \
         exist there; `o-win10-phone-explian` at {}:{typo_line} looks like a misspelling of it",
        i18n.join("en-US").display(),
        en.display()
    );
    assert_eq!(first, expected, "in:\n{err}");
    // The misspelt id is not to be copied into ja.
    let typo = err
        .lines()
        .find(|l| l.contains("`o-win10-phone-explian` is defined in `en-US`"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(!typo.contains("add it under"), "{typo}");
    assert!(
        typo.contains("neither the rules nor the program use it: is it a misspelling of `o-win10-phone-explain`?"),
        "{typo}"
    );
}
