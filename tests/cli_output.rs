//! What the binary writes for an operator to read: logs without colour codes in a file or
//! a pipe (and with them on a terminal, unless `NO_COLOR`).

mod common;

use std::process::{Command, Stdio};

use common::*;

/// A command that logs one warning: an invalid log filter.
const WARNS: [&str; 4] = ["--log", "not[a filter", "rules", "check"];

#[test]
fn logs_written_to_a_pipe_or_a_file_carry_no_colour_codes() {
    let out = run(&WARNS);
    let err = stderr(&out);
    assert!(err.contains(" WARN "), "{err}");
    assert!(!err.contains('\u{1b}'), "colour codes in a pipe: {err:?}");

    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("log");
    let status = bin()
        .args(WARNS)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&log).unwrap())
        .status()
        .unwrap();
    assert!(status.success());
    let text = std::fs::read_to_string(&log).unwrap();
    assert!(text.contains(" WARN "), "{text}");
    assert!(!text.contains('\u{1b}'), "colour codes in a file: {text:?}");
}

/// Runs `WARNS` on a pseudo-terminal through util-linux `script`; `None` without it.
fn on_a_terminal(no_color: Option<&str>) -> Option<String> {
    let probe = Command::new("script").arg("--version").output();
    if !probe.is_ok_and(|o| o.status.success()) {
        eprintln!("note: util-linux `script` is not installed; the terminal case is skipped");
        return None;
    }
    let line = format!(
        "'{}' --log 'not[a filter' rules check >/dev/null",
        env!("CARGO_BIN_EXE_activation-check")
    );
    let mut c = Command::new("script");
    c.current_dir(root())
        .args(["-qec", &line, "/dev/null"])
        .env_remove("NO_COLOR")
        .env_remove("RUST_LOG");
    if let Some(v) = no_color {
        c.env("NO_COLOR", v);
    }
    let out = c.stdin(Stdio::null()).output().unwrap();
    Some(String::from_utf8_lossy(&out.stdout).into_owned())
}

#[test]
fn logs_on_a_terminal_are_coloured_unless_no_color() {
    let Some(coloured) = on_a_terminal(None) else {
        return;
    };
    assert!(coloured.contains("WARN"), "{coloured}");
    assert!(
        coloured.contains("\u{1b}["),
        "no colour on a terminal: {coloured:?}"
    );
    let plain = on_a_terminal(Some("1")).unwrap();
    assert!(plain.contains(" WARN "), "{plain}");
    assert!(
        !plain.contains('\u{1b}'),
        "colour despite NO_COLOR: {plain:?}"
    );
}
