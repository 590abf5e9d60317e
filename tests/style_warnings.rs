//! The style warnings of `rules check` (src/domain/style.rs): none on the shipped texts; on a copy of
//! the texts broken on purpose, one warning per broken text, each with the `file:line` of the
//! text, and still exit status 0.

mod support;

use activation_check::style;
use support::cli::*;

#[test]
fn the_shipped_texts_raise_no_warning() {
    let k = knowledge();
    let warnings = style::check(&k.rules, &k.l10n);
    assert!(
        warnings.is_empty(),
        "{}",
        warnings
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    );
    let out = run(&["rules", "check"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("style warnings: 0"),
        "{}",
        stdout(&out)
    );
    assert!(!stderr(&out).contains("warning:"), "{}", stderr(&out));
}

#[test]
fn a_broken_copy_warns_at_each_text_and_still_passes() {
    let tmp = tempfile::tempdir().unwrap();
    let i18n = tmp.path().join("i18n");
    copy_dir(&i18n_dir(), &i18n);
    let edit = |file: &str, from: &str, to: &str| -> usize {
        let path = i18n.join("ja").join(file);
        let text = std::fs::read_to_string(&path).unwrap();
        let text = replace_once(&text, from, to);
        std::fs::write(&path, &text).unwrap();
        line_of(&text, to)
    };
    // A sentence of 90 characters, in the middle of a multi-line message.
    let long = format!("{}。", "あ".repeat(89));
    let sentence_line = edit(
        "outcomes.ftl",
        "    認証窓口の回答ではなく、筆者の見立てです。",
        &format!("    {long}"),
    );
    // A headline of 31 characters.
    let headline = "い".repeat(31);
    let headline_line = edit(
        "outcomes.ftl",
        "o-vm-new-fails-headline = 新しく作った仮想マシンでは、認証できないようです",
        &format!("o-vm-new-fails-headline = {headline}"),
    );
    // A button label of 21 characters.
    let label = "う".repeat(21);
    let label_line = edit(
        "questions.ftl",
        "value-system-backup-no = ない",
        &format!("value-system-backup-no = {label}"),
    );
    // A hint quoting a label as no button shows it (one character short).
    let hint_line = edit(
        "questions.ftl",
        "画面を開けなかったときや自信がないときは、「確認できなかった」を選んでください。",
        "画面を開けなかったときや自信がないときは、「確認できなか」を選んでください。",
    );

    let out = run(&["rules", "check", "--i18n-dir", i18n.to_str().unwrap()]);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(0), "warnings only: {err}");
    assert!(
        stdout(&out).contains("style warnings: 4"),
        "{}",
        stdout(&out)
    );
    let outcomes = i18n.join("ja").join("outcomes.ftl");
    let questions = i18n.join("ja").join("questions.ftl");
    let at = |file: &std::path::Path, line: usize| format!("{}:{line}: warning: ", file.display());
    for (place, what) in [
        (at(&outcomes, sentence_line), "a sentence of 90 characters"),
        (at(&outcomes, headline_line), "has 31 characters"),
        (
            at(&questions, label_line),
            "a button label of 21 characters",
        ),
        (at(&questions, hint_line), "quotes “確認できなか”"),
    ] {
        assert!(
            err.lines()
                .any(|l| l.starts_with(&place) && l.contains(what)),
            "expected {place}…{what} in:\n{err}"
        );
    }
    assert_eq!(
        err.lines().filter(|l| l.contains(": warning: ")).count(),
        4,
        "{err}"
    );
}
