//! What the binary writes for an operator to read: logs without colour codes in a file or
//! a pipe (and with them on a terminal, unless `NO_COLOR`).

mod support;

use std::process::{Command, Stdio};

use support::cli::*;

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

/// A port on 127.0.0.1 where nothing listens.
fn closed_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A host name that cannot resolve, refused by the resolver itself before any query is
/// sent (a label over DNS's 63 characters), so the test reaches no network.
fn unresolvable_host() -> String {
    format!("{}.invalid", "a".repeat(64))
}

fn register_via(base: &str) -> (Option<i32>, String) {
    let out = bin()
        .args(["register", "--api-base", base])
        .env("DISCORD_TOKEN", "standin-token")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    (out.status.code(), stderr(&out))
}

#[test]
fn a_refused_connection_and_a_name_that_does_not_resolve_read_differently() {
    let refused_base = format!("http://127.0.0.1:{}", closed_port());
    let (code, refused) = register_via(&refused_base);
    assert_eq!(code, Some(1), "{refused}");
    assert!(
        refused.contains(&format!(
            "cannot reach Discord at {refused_base}: nothing accepts connections there \
             (connection refused); "
        )),
        "{refused}"
    );
    // The cause chain, down to the operating system's words.
    assert!(refused.contains("Connection refused"), "{refused}");

    let dns_base = format!("http://{}", unresolvable_host());
    let (code, dns) = register_via(&dns_base);
    assert_eq!(code, Some(1), "{dns}");
    assert!(
        dns.contains(&format!(
            "cannot reach Discord at {dns_base}: the host name does not resolve (DNS lookup \
             failed); "
        )),
        "{dns}"
    );
    assert!(dns.contains("dns error"), "{dns}");
    assert!(!dns.contains("connection refused"), "{dns}");
    for text in [&refused, &dns] {
        assert_eq!(text.lines().count(), 1, "one line: {text}");
        assert_eq!(
            text.matches("Error while sending HTTP request").count(),
            1,
            "each cause once: {text}"
        );
    }
}

#[test]
fn run_outside_the_project_says_where_it_looked_and_how_to_point_elsewhere() {
    let tmp = tempfile::tempdir().unwrap();
    let out = bin()
        .current_dir(tmp.path())
        .args(["rules", "check"])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = stderr(&out);
    let here = tmp.path().canonicalize().unwrap();
    for tried in [here.join("i18n"), here.join("rules/activation-check.toml")] {
        let tried = tried.display().to_string();
        let cwd_form = tried.replace(
            &here.display().to_string(),
            &tmp.path().display().to_string(),
        );
        assert!(
            err.contains(&tried) || err.contains(&cwd_form),
            "names {tried}: {err}"
        );
    }
    assert!(err.contains("No such file or directory"), "{err}");
    assert!(
        err.contains("give --rules-dir and --i18n-dir (or ACTIVATION_CHECK_RULES_DIR and ACTIVATION_CHECK_I18N_DIR)"),
        "{err}"
    );
    assert!(
        !err.contains("problem(s) in the rules or texts; fix them"),
        "{err}"
    );
}
