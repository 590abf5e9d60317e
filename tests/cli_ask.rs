//! `activation-check ask`, through the real binary.
//!
//! Non-interactive (`--answer FACT=VALUE --format json`): the issue's example prints the
//! `phone-reactivation` verdict with the phone-activation steps in its card, in `en-US` and
//! `ja`; the JSON object has every documented field; a missing fact and an unknown value exit
//! 2 with a sentence naming the question, the fact and the allowed values; facts the path
//! never asks are ignored.
//!
//! Interactive (piped stdin/stdout, read up to each `> ` prompt): a run reaches an answer;
//! `b` goes back, `r` starts over, `q` quits; a run killed with SIGKILL midway resumes at the
//! same question when started again with the same `--user` and `--data-dir`; a second
//! process on a data directory in use exits 1 with the "another instance" sentence.

mod support;

use std::path::{Path, PathBuf};

use activation_check::engine::Walk;
use activation_check::rules::Rules;
use serde_json::Value;
use support::cli::*;
use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

const ISSUE_EXAMPLE: [&str; 6] = [
    "--answer",
    "concern=lost-activation",
    "--answer",
    "license_origin=free-upgrade-win10",
    "--answer",
    "installation_id_shown=yes",
];

/// `ask` with `args`, a fresh `--data-dir`, and `--locale`.
fn ask(locale: &str, args: &[&str]) -> std::process::Output {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut all = vec![
        "ask",
        "--data-dir",
        data.to_str().unwrap(),
        "--locale",
        locale,
    ];
    all.extend_from_slice(args);
    run(&all)
}

fn ask_json(locale: &str, args: &[&str]) -> Value {
    let mut all = args.to_vec();
    all.extend_from_slice(&["--format", "json"]);
    let out = ask(locale, &all);
    assert!(
        out.status.success(),
        "ask failed ({:?}):\n{}",
        out.status,
        stderr(&out)
    );
    let text = stdout(&out);
    assert!(
        !text.contains(['\u{2068}', '\u{2069}']),
        "bidi isolation marks in the output"
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}):\n{text}"))
}

/// The phone-activation block and steps, as the card must show them in `tag`.
fn phone_activation_texts(tag: &str) -> Vec<String> {
    let k = knowledge();
    let l = locale(tag);
    let numbers = [
        ("desk_number", k.rules.phone.activation_desk.clone()),
        ("support_number", k.rules.phone.general_support.clone()),
    ];
    let mut texts = vec![
        k.l10n.text(l, "card-phone-activation-title"),
        k.l10n.format(l, "card-phone-activation-body", &numbers),
    ];
    let outcome = k.rules.find("win10-phone").unwrap();
    for step in &k.rules.outcome(outcome).unwrap().steps {
        texts.push(k.l10n.format(l, step, &numbers));
    }
    texts
}

#[test]
fn issue_example_gives_phone_reactivation_with_the_phone_steps() {
    for tag in LOCALES {
        let json = ask_json(tag, &ISSUE_EXAMPLE);
        assert_eq!(json["verdict"], "phone-reactivation", "{tag}");
        assert_eq!(json["outcome"], "win10-phone", "{tag}");
        assert_eq!(json["locale"], tag);
        let card = json["card"].as_str().expect("card is a string");
        for text in phone_activation_texts(tag) {
            assert!(card.contains(&text), "{tag}: card lacks {text:?}:\n{card}");
        }
        assert!(card.contains(DESK_NUMBER), "{tag}: {card}");
    }
    // The line the issue quotes, as printed.
    let mut args = ISSUE_EXAMPLE.to_vec();
    args.extend_from_slice(&["--format", "json"]);
    let printed = stdout(&ask("en-US", &args));
    assert!(
        printed.contains(r#""verdict": "phone-reactivation""#),
        "{printed}"
    );
    // The same in plain words, so that the texts above are not just whatever the code says.
    let en = ask_json("en-US", &ISSUE_EXAMPLE);
    let card = en["card"].as_str().unwrap();
    assert!(card.contains("Phone activation"), "{card}");
    assert!(card.contains("type “slui 4”"), "{card}");
    assert!(card.contains("read the ID's groups when asked"), "{card}");
    assert!(card.contains("Type the confirmation ID"), "{card}");
    let ja = ask_json("ja", &ISSUE_EXAMPLE);
    let card = ja["card"].as_str().unwrap();
    assert!(card.contains("電話認証"), "{card}");
    assert!(card.contains("インストールID"), "{card}");
    assert!(card.contains("確認ID"), "{card}");
}

#[test]
fn json_has_every_field() {
    let before = OffsetDateTime::now_utc().unix_timestamp();
    let json = ask_json("en-US", &ISSUE_EXAMPLE);
    let after = OffsetDateTime::now_utc().unix_timestamp();
    let k = knowledge();

    let obj = json.as_object().expect("an object");
    let mut keys: Vec<&str> = obj.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "card",
            "facts",
            "generated_at",
            "locale",
            "outcome",
            "rules_version",
            "sources",
            "transcript",
            "verdict"
        ]
    );

    assert_eq!(
        json["facts"],
        serde_json::json!({
            "concern": "lost-activation",
            "license_origin": "free-upgrade-win10",
            "installation_id_shown": "yes",
        })
    );

    let transcript = json["transcript"].as_array().expect("transcript is a list");
    let expected = [
        (
            "concern",
            "concern",
            "lost-activation",
            "Windows asks to be activated again",
        ),
        (
            "lost-origin",
            "license_origin",
            "free-upgrade-win10",
            "Own Windows 10, upgraded free to 11",
        ),
        (
            "win10-upgrade-id",
            "installation_id_shown",
            "yes",
            "Yes, it is shown",
        ),
    ];
    assert_eq!(transcript.len(), expected.len(), "{transcript:#?}");
    for (entry, (question, fact, value, label)) in transcript.iter().zip(expected) {
        let mut keys: Vec<&str> = entry
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, ["choice", "fact", "label", "question", "value"]);
        assert_eq!(entry["question"], question);
        assert_eq!(entry["fact"], fact);
        assert_eq!(entry["value"], value);
        assert_eq!(entry["label"], label);
        // `choice` is the position among the choices the question shows.
        let q = k.rules.question(k.rules.find(question).unwrap()).unwrap();
        let position = q.choices.iter().position(|c| c.value == value).unwrap();
        assert_eq!(entry["choice"], position, "{question}");
    }
    assert_eq!(
        transcript[1]["choice"], 2,
        "free-upgrade-win10 is the third choice"
    );

    let sources = json["sources"].as_array().expect("sources is a list");
    let by_id: Vec<(&str, Option<&str>)> = sources
        .iter()
        .map(|s| {
            let mut keys: Vec<&str> = s.as_object().unwrap().keys().map(String::as_str).collect();
            keys.sort_unstable();
            assert_eq!(keys, ["date", "facts", "id"]);
            (s["id"].as_str().unwrap(), s["date"].as_str())
        })
        .collect();
    // win10-phone rests on A1 (A), B2 and B4 (B), D3 (D).
    assert!(by_id.contains(&("A", Some(DATE_A))), "{by_id:?}");
    assert!(by_id.contains(&("B", Some(DATE_B))), "{by_id:?}");
    assert!(by_id.iter().any(|(id, _)| *id == "D"), "{by_id:?}");

    let generated = json["generated_at"].as_str().unwrap();
    let t = OffsetDateTime::parse(generated, &Rfc3339)
        .unwrap_or_else(|e| panic!("generated_at {generated:?} is not RFC 3339: {e}"));
    assert!(
        (before..=after).contains(&t.unix_timestamp()),
        "generated_at {generated} is not the time of the run"
    );
    let card = json["card"].as_str().unwrap();
    assert!(
        card.contains(generated),
        "the card states its generation time"
    );

    assert_eq!(json["rules_version"], k.rules.meta.version.as_str());
    assert!(card.contains(&k.rules.meta.version));
    assert_eq!(json["locale"], "en-US");
    assert_eq!(json["verdict"], "phone-reactivation");
    assert_eq!(json["outcome"], "win10-phone");
}

#[test]
fn text_format_prints_the_card() {
    let out = ask("en-US", &ISSUE_EXAMPLE);
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    assert!(
        text.starts_with(
            "■ [Good news] Re-activation by phone works while the installation ID is shown"
        ),
        "{text}"
    );
    assert!(text.contains(DESK_NUMBER));
}

#[test]
fn a_missing_fact_exits_2_naming_question_fact_and_values() {
    let out = ask("en-US", &["--answer", "concern=lost-activation"]);
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).is_empty(), "no card is printed");
    let err = stderr(&out);
    assert!(err.contains("lost-origin"), "names the question id: {err}");
    assert!(
        err.contains("How did this PC get its Windows license?"),
        "names the question: {err}"
    );
    assert!(err.contains("license_origin"), "names the fact: {err}");
    assert!(
        err.contains(
            "preinstalled-win11, native-win10, free-upgrade-win10, free-upgrade-win7-8, unknown"
        ),
        "lists the allowed values: {err}"
    );
    assert!(err.contains("--answer license_origin=VALUE"), "{err}");

    let out = ask("ja", &["--answer", "concern=lost-activation"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("このPCのWindowsライセンスは"), "{err}");
    assert!(err.contains("license_origin"), "{err}");
    assert!(err.contains("free-upgrade-win7-8"), "{err}");
}

#[test]
fn an_unknown_value_exits_2_naming_question_fact_and_values() {
    let out = ask(
        "en-US",
        &[
            "--answer",
            "concern=lost-activation",
            "--answer",
            "license_origin=retail-box",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
    assert!(stdout(&out).is_empty());
    let err = stderr(&out);
    assert!(err.contains("“retail-box”"), "names the value: {err}");
    assert!(err.contains("license_origin"), "names the fact: {err}");
    assert!(err.contains("lost-origin"), "names the question: {err}");
    assert!(
        err.contains(
            "preinstalled-win11, native-win10, free-upgrade-win10, free-upgrade-win7-8, unknown"
        ),
        "{err}"
    );

    // The first question's fact, too.
    let out = ask("en-US", &["--answer", "concern=stolen-pc"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("stolen-pc") && err.contains("concern"),
        "{err}"
    );
    assert!(err.contains("virtual-machine, check-risk"), "{err}");
}

#[test]
fn facts_the_path_never_asks_are_ignored() {
    let mut args = ISSUE_EXAMPLE.to_vec();
    args.extend_from_slice(&[
        "--answer",
        "vm_disk=new-vm",
        "--answer",
        "hardware_change=new-pc",
        "--answer",
        "system_backup=maybe",
    ]);
    let json = ask_json("en-US", &args);
    assert_eq!(json["verdict"], "phone-reactivation");
    assert_eq!(json["outcome"], "win10-phone");
    let facts = json["facts"].as_object().unwrap();
    assert_eq!(
        facts.len(),
        3,
        "only the facts asked are reported: {facts:?}"
    );
    assert!(!facts.contains_key("vm_disk"));
    assert_eq!(json["transcript"].as_array().unwrap().len(), 3);
}

#[test]
fn the_locale_defaults_to_the_environment() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut args = vec!["ask", "--data-dir", data.to_str().unwrap()];
    args.extend_from_slice(&ISSUE_EXAMPLE);
    args.extend_from_slice(&["--format", "json"]);
    for (lang, expected) in [
        ("ja_JP.UTF-8", "ja"),
        ("en_GB.UTF-8", "en-US"),
        ("C", "en-US"),
    ] {
        let out = bin().args(&args).env("LANG", lang).output().unwrap();
        assert!(out.status.success(), "{lang}: {}", stderr(&out));
        let json: Value = serde_json::from_str(&stdout(&out)).unwrap();
        assert_eq!(json["locale"], expected, "LANG={lang}");
    }
    let out = ask("fr", &ISSUE_EXAMPLE);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("--locale `fr` is not available"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn json_needs_answers() {
    let out = ask("en-US", &["--format", "json"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(stderr(&out).contains("--format json needs --answer"));
}

#[test]
fn a_fact_given_twice_with_two_values_is_refused_in_the_users_language() {
    let mut args = ISSUE_EXAMPLE.to_vec();
    args.extend_from_slice(&["--answer", "license_origin=preinstalled-win11"]);
    let out = ask("ja", &args);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("license_origin が「free-upgrade-win10」と「preinstalled-win11」の2回指定"),
        "{err}"
    );
    assert!(stdout(&out).is_empty(), "no card from a guess");
    let out = ask("en-US", &args);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("license_origin is given twice"),
        "{}",
        stderr(&out)
    );
    // The same value twice is no contradiction.
    let mut same = ISSUE_EXAMPLE.to_vec();
    same.extend_from_slice(&["--answer", "license_origin=free-upgrade-win10"]);
    assert!(ask("en-US", &same).status.success());
}

// ------------------------------------------------------------------------------------------
// Interactive

/// "[Question n of at most m]" as the terminal shows it in en-US, for the walk that answers
/// `values` (fact values, in order) from the start.
fn progress_line(values: &[&str]) -> String {
    let rules: &Rules = &knowledge().rules;
    let mut walk = Walk::start(rules);
    for v in values {
        let q = match walk.position(rules) {
            activation_check::engine::Position::Asking(_, q) => q,
            _ => panic!("walk ended before {v}"),
        };
        let i = q.choices.iter().position(|c| c.value == *v).unwrap();
        walk = walk.answer(rules, i).unwrap();
    }
    let p = walk.progress(rules);
    format!("[Question {} of at most {}]", p.number, p.at_most)
}

/// The arguments of an interactive `ask` for `user` in `locale`, on `data`.
fn args_in(data: &Path, user: &str, locale: &str) -> Vec<String> {
    let args = ["--locale", locale, "--user", user, "--data-dir"];
    args.into_iter()
        .chain(data.to_str())
        .map(str::to_owned)
        .collect()
}

/// A data directory of its own (removed when the first value is dropped), and the
/// arguments of an interactive `ask` there for `user` in `locale`.
fn interactive_args(user: &str, locale: &str) -> (tempfile::TempDir, PathBuf, Vec<String>) {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let args = args_in(&data, user, locale);
    (tmp, data, args)
}

#[test]
fn interactive_reaches_an_answer_and_goes_back_restarts_and_quits() {
    let (_tmp, _, args) = interactive_args("alice", "en-US");
    let mut s = Interactive::spawn(&args);

    let out = s.read_prompt();
    assert!(
        out.starts_with("activation-check: a few questions"),
        "{out}"
    );
    assert!(!out.contains("Resuming"), "a new session: {out}");
    assert_eq!(progress_line(&[]), "[Question 1 of at most 6]");
    assert!(out.contains("[Question 1 of at most 6]"), "{out}");
    assert!(out.contains("What brings you here?"), "{out}");
    assert!(
        out.contains("  1) Windows asks to be activated again"),
        "{out}"
    );
    assert!(
        out.contains("  6) Activated now: how do I stay safe?"),
        "{out}"
    );
    assert!(
        out.contains("Enter 1–6, b = back, r = start over, q = quit"),
        "{out}"
    );

    let out = s.send("1");
    assert!(out.contains(&progress_line(&["lost-activation"])), "{out}");
    assert!(
        out.contains("How did this PC get its Windows license?"),
        "{out}"
    );
    assert!(
        out.contains("(Hint: "),
        "the question's help is shown: {out}"
    );
    // A hint of several lines stays indented under its question, like the choices.
    let hint = out.split("(Hint: ").nth(1).unwrap();
    let hint = &hint[..hint.find("  1) ").unwrap()];
    assert!(hint.lines().count() > 1, "{hint}");
    for line in hint.lines().skip(1) {
        assert!(line.starts_with("   "), "not indented: {line:?}");
    }

    // Reaches an answer.
    let out = s.send("1");
    assert!(
        out.contains("■ [Good news] Sold with Windows 11: it should re-activate in the end"),
        "{out}"
    );
    assert!(out.contains("Your answers"), "{out}");
    assert!(out.contains("Phone activation"), "{out}");
    assert!(out.contains(DESK_NUMBER), "{out}");
    // The generation time in this machine's local time, with its zone.
    let generated = out
        .lines()
        .find(|l| l.starts_with("Generated "))
        .unwrap_or_else(|| panic!("no generation time: {out}"));
    assert!(
        generated.contains(", 20") && generated.contains(':') && generated.ends_with(')'),
        "{generated}"
    );
    assert!(out.contains("r = start over, b = back, q = quit"), "{out}");

    // Back from the card: the last question again.
    let out = s.send("b");
    assert!(out.contains(&progress_line(&["lost-activation"])), "{out}");
    assert!(
        out.contains("How did this PC get its Windows license?"),
        "{out}"
    );
    assert!(!out.contains('■'), "no card after going back: {out}");

    // A different answer this time.
    let out = s.send("3");
    assert!(
        out.contains(&progress_line(&["lost-activation", "free-upgrade-win10"])),
        "{out}"
    );
    assert!(out.contains("show an installation ID"), "{out}");

    // Restart: the first question again.
    let out = s.send("r");
    assert!(out.contains("[Question 1 of at most 6]"), "{out}");
    assert!(out.contains("What brings you here?"), "{out}");

    // Back at the first question is refused, politely.
    let out = s.send("b");
    assert!(
        out.contains("You are already at the first question."),
        "{out}"
    );
    assert!(out.contains("[Question 1 of at most 6]"), "{out}");

    // Input that is not a choice.
    let out = s.send("9");
    assert!(out.contains("“9” was not understood."), "{out}");
    assert!(out.contains("[Question 1 of at most 6]"), "{out}");

    let (rest, err, status) = s.finish("q");
    assert!(
        rest.contains("Saved. Run the command again to continue."),
        "{rest}"
    );
    assert!(status.success(), "{status:?}: {err}");
}

#[test]
fn interactive_in_japanese() {
    let (_tmp, _, args) = interactive_args("hanako", "ja");
    let mut s = Interactive::spawn(&args);
    let out = s.read_prompt();
    assert!(out.contains("質問 1(最大 6 問)"), "{out}");
    assert!(
        out.contains("ご相談の内容にいちばん近いものを選んでください。"),
        "{out}"
    );
    assert!(
        out.contains("1~6 を入力(b = 戻る、r = 最初から、q = 終了)"),
        "{out}"
    );

    let out = s.send("2"); // planning-update
    assert!(out.contains("質問 2(最大 2 問)"), "{out}");
    let out = s.send("4"); // free-upgrade-win7-8
    assert!(
        out.contains("■ [警告] 更新で認証が外れると、利用権を失うおそれがあります"),
        "{out}"
    );
    assert!(out.contains("担当者につなぐ方法"), "{out}");
    assert!(out.contains("Windowsのサポート窓口"), "{out}");
    // The generation time in this machine's local time, in the Japanese form.
    assert!(out.contains("作成日時:20") && out.contains("日 "), "{out}");
    assert!(out.contains(DESK_NUMBER), "{out}");
    assert!(!out.contains(['\u{2068}', '\u{2069}']), "bidi marks: {out}");

    // Quitting at a finished card: the next run starts anew, and the words say so.
    let (rest, _, status) = s.finish("q");
    assert!(
        rest.contains(
            "このチェックは終わっています。もう一度実行すると、新しいチェックを始めます。"
        ),
        "{rest}"
    );
    assert!(!rest.contains("選択内容を保存しました。"), "{rest}");
    assert!(status.success());
}

#[test]
fn a_killed_run_resumes_at_the_same_question() {
    let (_tmp, data, args) = interactive_args("bob", "en-US");

    let mut s = Interactive::spawn(&args);
    s.read_prompt();
    s.send("1"); // lost-activation
    let before = s.send("4"); // free-upgrade-win7-8
    let progress = progress_line(&["lost-activation", "free-upgrade-win7-8"]);
    assert_eq!(progress, "[Question 3 of at most 6]");
    assert!(before.contains(&progress), "{before}");
    assert!(before.contains("were parts replaced"), "{before}");
    s.kill();

    let mut s = Interactive::spawn(&args);
    let after = s.read_prompt();
    assert!(
        after.contains("Resuming your unfinished conversation where it stopped."),
        "{after}"
    );
    // The same question, with the same progress, exactly as shown before the kill.
    let question = |out: &str| out[out.find("\n[Question").unwrap()..].to_owned();
    assert_eq!(question(&after), question(&before));

    // And the answers before it were kept: nothing replaced on the 7/8.1 path goes on to
    // the installation ID.
    let out = s.send("1");
    assert!(
        out.contains(&progress_line(&[
            "lost-activation",
            "free-upgrade-win7-8",
            "none"
        ])),
        "{out}"
    );
    assert!(
        out.contains("Does the phone activation dialog show an installation ID?"),
        "{out}"
    );
    let (_, _, status) = s.finish("q");
    assert!(status.success());

    // Another user on the same data directory starts afresh.
    let mut s = Interactive::spawn(&args_in(&data, "carol", "en-US"));
    let out = s.read_prompt();
    assert!(!out.contains("Resuming"), "{out}");
    assert!(out.contains("[Question 1 of at most 6]"), "{out}");
    s.finish("q");
}

#[test]
fn a_second_instance_on_the_same_data_dir_exits_1() {
    let (_tmp, data, args) = interactive_args("dave", "en-US");
    let mut first = Interactive::spawn(&args);
    first.read_prompt(); // the store is open and locked

    let second = run(&[
        "ask",
        "--locale",
        "en-US",
        "--user",
        "erin",
        "--data-dir",
        data.to_str().unwrap(),
    ]);
    assert_eq!(second.status.code(), Some(1), "{}", stdout(&second));
    let err = stderr(&second);
    assert!(
        err.contains("another activation-check instance is using the data directory"),
        "{err}"
    );
    assert!(
        err.contains(data.to_str().unwrap()),
        "names the directory: {err}"
    );

    let (_, _, status) = first.finish("q");
    assert!(status.success(), "the first instance is unaffected");
}

#[test]
fn environment_settings_override_the_file_and_a_bad_one_is_named_by_its_variable() {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, "default_locale = \"ja\"\nsession_ttl_days = 7\n").unwrap();
    let mut args = vec!["ask", "--data-dir", data.to_str().unwrap()];
    args.extend_from_slice(&ISSUE_EXAMPLE);
    let ask = |env: &[(&str, &str)], extra: &[&str]| {
        let mut cmd = bin();
        cmd.args(&args)
            .args(extra)
            .env("ACTIVATION_CHECK_CONFIG", &config);
        for (k, v) in env {
            cmd.env(k, v);
        }
        cmd.output().unwrap()
    };

    // No --locale and no LANG: the default locale decides. The file says ja...
    let out = ask(&[], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let ja = stdout(&out);
    // ...and the environment wins over the file.
    let out = ask(&[("ACTIVATION_CHECK_DEFAULT_LOCALE", "en-US")], &[]);
    assert!(out.status.success(), "{}", stderr(&out));
    let en = stdout(&out);
    assert_ne!(ja, en);
    assert!(en.contains("installation ID"), "{en}");
    assert!(!ja.contains("installation ID"), "{ja}");

    // A bad value in a variable is a setting: named by its variable, exit 1.
    let out = ask(&[("ACTIVATION_CHECK_SESSION_TTL_DAYS", "0")], &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("ACTIVATION_CHECK_SESSION_TTL_DAYS=\"0\"") && err.contains("1..=3650"),
        "{err}"
    );
    assert!(stdout(&out).is_empty());

    // The same value typed as a flag is a usage mistake: clap's report, exit 2.
    let out = ask(
        &[("ACTIVATION_CHECK_SESSION_TTL_DAYS", "0")],
        &["--session-ttl-days", "0"],
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("'--session-ttl-days"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn a_mistyped_fact_name_exits_2_listing_the_known_facts() {
    let mut args = vec!["--answer", "concer=lost-activation"];
    args.extend_from_slice(&ISSUE_EXAMPLE[2..]);
    let known = "Known facts: concern, license_origin, installation_id_shown, \
                 self_service_activation, hardware_change, system_backup, vm_disk";
    for format in ["text", "json"] {
        let mut all = args.clone();
        all.extend_from_slice(&["--format", format]);
        let out = ask("en-US", &all);
        assert_eq!(out.status.code(), Some(2), "{}", stdout(&out));
        let err = stderr(&out);
        assert!(
            err.contains("concer is not a fact these rules know"),
            "{err}"
        );
        assert!(err.contains("Did you mean concern?"), "{err}");
        assert!(err.contains(known), "{err}");
        assert!(!err.contains("needs a value for concern"), "{err}");
        assert!(stdout(&out).is_empty(), "no card from a guess");
    }
    // Far from every known name: no guess, still refused.
    let mut far = ISSUE_EXAMPLE.to_vec();
    far.extend_from_slice(&["--answer", "colour=blue"]);
    let out = ask("ja", &far);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("colour は、このルールにない項目のため使えません。"),
        "{err}"
    );
    assert!(err.contains("使える項目:concern, license_origin"), "{err}");
    assert!(!err.contains("入力ミス"), "{err}");
}

// ------------------------------------------------------------------------------------------
// The terminal's layout and words

/// `ask` with `args` and the environment `env`, a fresh `--data-dir`.
fn ask_with_env(locale: &str, args: &[&str], env: &[(&str, &str)]) -> std::process::Output {
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let mut cmd = bin();
    cmd.args([
        "ask",
        "--data-dir",
        data.to_str().unwrap(),
        "--locale",
        locale,
    ])
    .args(args)
    .stdin(std::process::Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

/// Runs of whitespace as one space: wrapped text compares with its source this way.
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
fn the_card_is_wrapped_to_the_width_by_display_columns_and_shows_no_markdown() {
    let k = knowledge();
    for (tag, width) in [("ja", 40), ("en-US", 50)] {
        let w = width.to_string();
        let out = ask_with_env(tag, &ISSUE_EXAMPLE, &[("COLUMNS", &w), ("NO_COLOR", "1")]);
        assert!(out.status.success(), "{}", stderr(&out));
        let text = stdout(&out);
        for line in text.lines() {
            let cols = textwrap::core::display_width(line);
            assert!(cols <= width, "{tag}: {cols} columns > {width}: {line:?}");
        }
        assert!(
            !text.contains("**"),
            "{tag}: Markdown in the terminal: {text}"
        );
        assert!(!text.contains('\u{1b}'), "{tag}: colour with NO_COLOR");
        // Nothing is lost or broken inside a word: joined up again, the explanation
        // reads as written.
        let walk = Walk::from_facts(
            &k.rules,
            &[
                ("concern", "lost-activation"),
                ("license_origin", "free-upgrade-win10"),
                ("installation_id_shown", "yes"),
            ]
            .iter()
            .map(|(f, v)| ((*f).to_owned(), (*v).to_owned()))
            .collect(),
        )
        .unwrap();
        let card = activation_check::card::Card::build(
            &k.rules,
            &walk,
            &k.l10n,
            locale(tag),
            FIXED_TIME,
            activation_check::card::TimeStyle::Rfc3339,
        )
        .unwrap();
        if tag == "en-US" {
            assert!(
                one_line(&text).contains(&one_line(&card.explain)),
                "{tag}: the explanation is not whole:\n{text}"
            );
        } else {
            // Japanese breaks between characters (and at the few spaces): joined up
            // without any whitespace.
            let bare = |t: &str| t.split_whitespace().collect::<String>();
            let (joined, explain) = (bare(&text), bare(&card.explain));
            assert!(joined.contains(&explain), "{tag}: {text}");
        }
        // A list item's lines hang under its text.
        let steps_at = text.lines().position(|l| l.starts_with("  1. ")).unwrap();
        let second = text.lines().nth(steps_at + 1).unwrap();
        assert!(
            second.starts_with("     ") || second.starts_with("  2. "),
            "{tag}: {second:?}"
        );
    }
}

#[test]
fn the_card_names_its_severity_and_says_what_the_fact_numbers_are() {
    let out = ask("en-US", &ISSUE_EXAMPLE);
    let text = stdout(&out);
    assert!(
        text.starts_with("■ [Good news] Re-activation by phone"),
        "{text}"
    );
    assert!(
        text.contains("A1, B4 and the like number the statements of each source"),
        "{text}"
    );
    let out = ask("ja", &ISSUE_EXAMPLE);
    let text = stdout(&out);
    assert!(text.starts_with("■ [よい知らせ] "), "{text}");
    assert!(
        text.contains("A1、B4 などは、このカードが根拠とする"),
        "{text}"
    );
    // The fact numbers are in the JSON, by source.
    let json = ask_json("en-US", &ISSUE_EXAMPLE);
    let a = json["sources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["id"] == "A")
        .unwrap();
    assert_eq!(
        a["facts"],
        serde_json::json!(["A1", "A4", "A14", "A11", "A13"])
    );
    // A danger card in its own words.
    let out = ask(
        "en-US",
        &[
            "--answer",
            "concern=planning-update",
            "--answer",
            "license_origin=free-upgrade-win7-8",
        ],
    );
    assert!(stdout(&out).starts_with("■ [Warning] "), "{}", stdout(&out));
}

/// Runs `ask` with the issue's example on a pseudo-terminal (util-linux `script`);
/// `None` when `script` is missing.
fn card_on_a_terminal(no_color: bool) -> Option<String> {
    let probe = std::process::Command::new("script")
        .arg("--version")
        .output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("note: util-linux `script` is not installed; the terminal case is skipped");
        return None;
    }
    let tmp = tempfile::tempdir().unwrap();
    let line = format!(
        "'{}' ask --data-dir '{}' --locale en-US {}",
        env!("CARGO_BIN_EXE_activation-check"),
        tmp.path().join("data").display(),
        ISSUE_EXAMPLE.join(" ")
    );
    let mut cmd = std::process::Command::new("script");
    cmd.current_dir(root())
        .args(["-qec", &line, "/dev/null"])
        .env("COLUMNS", "100")
        .env_remove("NO_COLOR");
    if no_color {
        cmd.env("NO_COLOR", "1");
    }
    let out = cmd.stdin(std::process::Stdio::null()).output().unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn the_severity_label_is_coloured_on_a_terminal_only() {
    let plain = stdout(&ask("en-US", &ISSUE_EXAMPLE));
    assert!(!plain.contains('\u{1b}'), "colour in a pipe: {plain:?}");
    let Some(tty) = card_on_a_terminal(false) else {
        return;
    };
    assert!(
        tty.contains("■ \u{1b}[1;32m[Good news]\u{1b}[0m Re-activation"),
        "{tty:?}"
    );
    let no_color = card_on_a_terminal(true).unwrap();
    assert!(
        no_color.contains("■ [Good news] Re-activation"),
        "{no_color:?}"
    );
    assert!(!no_color.contains('\u{1b}'), "{no_color:?}");
}

#[test]
fn full_width_digits_and_letters_are_understood() {
    let (_tmp, _, args) = interactive_args("kana", "ja");
    let mut s = Interactive::spawn(&args);
    s.read_prompt();
    // What a Japanese input method types: 「１」, with an ideographic space.
    let out = s.send("\u{3000}１");
    assert!(out.contains("質問 2(最大 6 問)"), "{out}");
    assert!(!out.contains("認識できませんでした"), "{out}");
    let (rest, _, status) = s.finish("ｑ");
    assert!(rest.contains("選択内容を保存しました。"), "{rest}");
    assert!(status.success());
}

#[test]
fn a_resumed_conversation_shows_the_answers_given_so_far() {
    let (_tmp, _, args) = interactive_args("carol", "en-US");
    let mut s = Interactive::spawn(&args);
    s.read_prompt();
    s.send("1"); // lost-activation
    s.send("3"); // free-upgrade-win10
    s.finish("q");

    let mut s = Interactive::spawn(&args);
    let out = s.read_prompt();
    assert!(
        out.contains("Resuming your unfinished conversation"),
        "{out}"
    );
    let k = knowledge();
    let en = locale("en-US");
    let q = |id: &str| {
        let i = k.rules.find(id).unwrap();
        k.l10n.text(en, &k.rules.question(i).unwrap().text)
    };
    let expected = [
        format!(
            "  - {} → {}",
            q("concern"),
            k.l10n.text(en, "value-concern-lost-activation")
        ),
        format!(
            "  - {} → {}",
            q("lost-origin"),
            k.l10n.text(en, "value-license-origin-free-upgrade-win10")
        ),
    ];
    let so_far = out
        .split("Your answers so far:\n")
        .nth(1)
        .unwrap_or_else(|| panic!("no answers so far: {out}"));
    assert!(so_far.starts_with(&expected.join("\n")), "{out}");
    assert!(
        out.contains("Does the phone activation dialog show an installation ID?"),
        "{out}"
    );
    s.finish("q");
}

#[test]
fn ctrl_c_says_what_was_saved_and_the_next_run_continues() {
    let (_tmp, _, args) = interactive_args("dave", "en-US");
    let mut s = Interactive::spawn(&args);
    s.read_prompt();
    s.send("1");
    let (rest, err, status) = s.interrupt();
    assert!(
        rest.contains(
            "Interrupted. The answers given so far (1) are saved: run the command again to \
             continue at this question."
        ),
        "{rest}\n{err}"
    );
    assert_eq!(status.code(), Some(130), "{err}");
    let mut s = Interactive::spawn(&args);
    let out = s.read_prompt();
    assert!(out.contains("Resuming"), "{out}");
    assert!(
        out.contains(&progress_line(&["lost-activation"])),
        "the same question: {out}"
    );
    // At a finished card, Ctrl-C says the check is finished.
    s.send("3");
    s.send("1");
    let (rest, _, status) = s.interrupt();
    assert!(
        rest.contains(
            "Interrupted. This check was finished; running the command again starts a new one."
        ),
        "{rest}"
    );
    assert_eq!(status.code(), Some(130));
}

#[test]
fn quitting_at_a_finished_card_says_the_next_run_starts_anew_and_it_does() {
    let (_tmp, _, args) = interactive_args("erin", "en-US");
    let mut s = Interactive::spawn(&args);
    s.read_prompt();
    s.send("1");
    s.send("3");
    let card = s.send("1");
    assert!(card.contains("■ [Good news]"), "{card}");
    let (rest, _, status) = s.finish("q");
    assert!(
        rest.contains("This check is finished. Running the command again starts a new one."),
        "{rest}"
    );
    assert!(!rest.contains("continue"), "{rest}");
    assert!(status.success());
    let mut s = Interactive::spawn(&args);
    let out = s.read_prompt();
    assert!(!out.contains("Resuming"), "{out}");
    assert!(out.contains("[Question 1 of at most 6]"), "{out}");
    s.finish("q");
}
