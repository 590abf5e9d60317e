//! The command line and the shipped knowledge, for the tests that run no bot: the shipped
//! rules and texts, the scenario files, text mutation with line lookup, and the real binary
//! run one-shot or interactively over pipes. Nothing here starts the stand-in. Each test
//! file uses a different subset, hence the `dead_code` allowance.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Output, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use activation_check::engine::Walk;
use activation_check::i18n::LocaleId;
use activation_check::knowledge::{self, Knowledge};
use activation_check::rules::Rules;
use serde::Deserialize;

/// The generation time used wherever a card must be reproducible: 2026-11-21T00:00:00Z.
pub const FIXED_TIME: i64 = 1_795_219_200;
pub const FIXED_TIME_RFC3339: &str = "2026-11-21T00:00:00Z";
/// The activation desk's number, as facts.md (A11) gives it.
pub const DESK_NUMBER: &str = "0120-801-734";
/// The general support line, as facts.md (B9) gives it.
pub const SUPPORT_NUMBER: &str = "0120-54-2244";
/// The shipped locales.
pub const LOCALES: [&str; 2] = ["ja", "en-US"];
/// The dates of sources A and B, as facts.md gives them.
pub const DATE_A: &str = "2024-11-28";
pub const DATE_B: &str = "2024-12-06";

/// The crate root: the binary runs here, so `rules/` and `i18n/` are its defaults.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

pub fn rules_dir() -> PathBuf {
    root().join("rules")
}

pub fn rules_file() -> PathBuf {
    rules_dir().join("activation-check.toml")
}

pub fn i18n_dir() -> PathBuf {
    root().join("i18n")
}

pub fn rules_text() -> String {
    std::fs::read_to_string(rules_file()).expect("the shipped rules file is readable")
}

/// The shipped rules and texts, loaded and cross-checked once per test binary.
pub fn knowledge() -> &'static Knowledge {
    static K: OnceLock<Knowledge> = OnceLock::new();
    K.get_or_init(|| {
        knowledge::load(&rules_file(), &i18n_dir(), "en-US")
            .unwrap_or_else(|p| panic!("the shipped rules and texts load:\n{p}"))
    })
}

pub fn locale(tag: &str) -> LocaleId {
    knowledge()
        .l10n
        .exact(tag)
        .unwrap_or_else(|| panic!("locale {tag} is shipped"))
}

// ------------------------------------------------------------------------------------------
// Scenarios

/// One worked example: the facts a user gives and the verdict the answer must carry.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    pub name: String,
    pub facts: BTreeMap<String, String>,
    pub verdict: String,
    /// The outcome the scenario is meant to reach (own scenarios only).
    #[serde(default)]
    pub outcome: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioFile {
    scenario: Vec<Scenario>,
}

pub fn scenarios(file: &str) -> Vec<Scenario> {
    let path = root().join("tests/data").join(file);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    let parsed: ScenarioFile =
        toml::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    parsed.scenario
}

/// The six worked examples of the contract (a copy of the project's domain notes).
pub fn shared_scenarios() -> Vec<Scenario> {
    scenarios("scenarios.toml")
}

/// This crate's own examples, reaching every outcome.
pub fn own_scenarios() -> Vec<Scenario> {
    scenarios("own-scenarios.toml")
}

// ------------------------------------------------------------------------------------------
// Text mutation

/// `text` with the single occurrence of `from` replaced by `to`; panics unless `from`
/// occurs exactly once, so a mutation never lands somewhere unintended.
pub fn replace_once(text: &str, from: &str, to: &str) -> String {
    let n = text.matches(from).count();
    assert_eq!(n, 1, "expected exactly one {from:?} in the text, found {n}");
    text.replacen(from, to, 1)
}

/// The 1-based line on which the single occurrence of `needle` starts.
pub fn line_of(text: &str, needle: &str) -> usize {
    let n = text.matches(needle).count();
    assert_eq!(
        n, 1,
        "expected exactly one {needle:?} in the text, found {n}"
    );
    let at = text.find(needle).expect("counted above");
    text[..at].matches('\n').count() + 1
}

/// The one line of `text` that starts with `prefix` (such as a message's `id =`).
pub fn line_starting<'a>(text: &'a str, prefix: &str) -> &'a str {
    text.lines()
        .find(|l| l.starts_with(prefix))
        .unwrap_or_else(|| panic!("no line starts with {prefix:?}"))
}

/// The line of the Fluent file at `path` on which the message `id` is defined.
pub fn message_line(path: &Path, id: &str) -> usize {
    let text = std::fs::read_to_string(path).unwrap();
    line_of(&text, &format!("\n{id} =")) + 1
}

/// Copies a directory tree (files and folders only).
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// A copy of the shipped texts in a new directory (kept while the first value lives), with
/// the one-line message `id` taken out of `locale`'s `file`, as a translator who missed it
/// leaves it; the second value is the copy's i18n folder.
pub fn i18n_without(locale: &str, file: &str, id: &str) -> (tempfile::TempDir, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let i18n = tmp.path().join("i18n");
    copy_dir(&i18n_dir(), &i18n);
    let path = i18n.join(locale).join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    let line = line_starting(&text, &format!("{id} ="));
    std::fs::write(&path, replace_once(&text, &format!("{line}\n"), "")).unwrap();
    (tmp, i18n)
}

// ------------------------------------------------------------------------------------------
// The binary

/// The binary, which cargo builds for integration tests (`option_env!`: the load driver,
/// which includes this folder too, has none).
const BINARY: Option<&str> = option_env!("CARGO_BIN_EXE_activation-check");

/// The real binary, run from the crate root with a clean environment for its settings.
pub fn bin() -> Command {
    let mut cmd = Command::new(BINARY.expect("cargo builds the binary for integration tests"));
    cmd.current_dir(root());
    for var in [
        "ACTIVATION_CHECK_CONFIG",
        "ACTIVATION_CHECK_DATA_DIR",
        "ACTIVATION_CHECK_RULES_DIR",
        "ACTIVATION_CHECK_I18N_DIR",
        "ACTIVATION_CHECK_DEFAULT_LOCALE",
        "ACTIVATION_CHECK_SESSION_TTL_DAYS",
        "ACTIVATION_CHECK_CACHE_MB",
        "RUST_LOG",
        "LC_ALL",
        "LC_MESSAGES",
        "LANG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs the binary to completion with `args` and no input.
pub fn run(args: &[&str]) -> Output {
    bin()
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("the binary runs")
}

pub fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("stdout is UTF-8")
}

pub fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("stderr is UTF-8")
}

/// How long to wait for the binary's next prompt before failing the test.
const PROMPT_TIMEOUT: Duration = Duration::from_secs(60);

/// The binary in interactive mode, driven over pipes: write a line, read up to the next
/// prompt (`> ` at the start of a line).
pub struct Interactive {
    child: Child,
    stdin: Option<ChildStdin>,
    out: Receiver<Vec<u8>>,
    eof: bool,
}

impl Interactive {
    /// Starts `activation-check ask` with `args` appended.
    pub fn spawn<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Self {
        let mut child = bin()
            .arg("ask")
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the binary starts");
        let stdin = child.stdin.take();
        let mut stdout = child.stdout.take().expect("stdout is piped");
        let (tx, rx) = mpsc::channel();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            loop {
                match stdout.read(&mut buf) {
                    Ok(0) | Err(_) => break,
                    Ok(n) => {
                        if tx.send(buf[..n].to_vec()).is_err() {
                            break;
                        }
                    }
                }
            }
        });
        Self {
            child,
            stdin,
            out: rx,
            eof: false,
        }
    }

    /// Output up to and including the next prompt.
    pub fn read_prompt(&mut self) -> String {
        let deadline = Instant::now() + PROMPT_TIMEOUT;
        let mut got = Vec::new();
        loop {
            if got.ends_with(b"\n> ") {
                return String::from_utf8(got).expect("stdout is UTF-8");
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match self.out.recv_timeout(left) {
                Ok(chunk) => got.extend(chunk),
                Err(RecvTimeoutError::Timeout) => panic!(
                    "no prompt within {PROMPT_TIMEOUT:?}; output so far:\n{}",
                    String::from_utf8_lossy(&got)
                ),
                Err(RecvTimeoutError::Disconnected) => {
                    self.eof = true;
                    let status = self.child.wait().ok();
                    let mut err = String::new();
                    if let Some(mut e) = self.child.stderr.take() {
                        let _ = e.read_to_string(&mut err);
                    }
                    panic!(
                        "the program ended ({status:?}) before a prompt; output:\n{}\nstderr:\n{err}",
                        String::from_utf8_lossy(&got)
                    );
                }
            }
        }
    }

    /// Types `line` (and Enter), and returns the output up to the next prompt.
    pub fn send(&mut self, line: &str) -> String {
        self.write(line);
        self.read_prompt()
    }

    /// Types `line` (and Enter) without reading.
    pub fn write(&mut self, line: &str) {
        let stdin = self.stdin.as_mut().expect("stdin is open");
        writeln!(stdin, "{line}").expect("the binary reads its input");
        stdin.flush().unwrap();
    }

    /// Types `line`, closes the input and waits for the program to end: its remaining
    /// output, stderr and exit status.
    pub fn finish(mut self, line: &str) -> (String, String, ExitStatus) {
        self.write(line);
        drop(self.stdin.take());
        self.wait_for_end()
    }

    /// Sends SIGINT (what Ctrl-C sends), closes the input and waits for the program to
    /// end: its remaining output, stderr and exit status.
    pub fn interrupt(self) -> (String, String, ExitStatus) {
        let status = Command::new("kill")
            .args(["-INT", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(status.success());
        // The input stays open until the program ends: its end would be a reason to stop
        // of its own.
        self.wait_for_end()
    }

    /// Waits for the program to end, then closes its input.
    fn wait_for_end(mut self) -> (String, String, ExitStatus) {
        let deadline = Instant::now() + PROMPT_TIMEOUT;
        let mut got = Vec::new();
        while !self.eof {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.out.recv_timeout(left) {
                Ok(chunk) => got.extend(chunk),
                Err(RecvTimeoutError::Disconnected) => self.eof = true,
                Err(RecvTimeoutError::Timeout) => {
                    let _ = self.child.kill();
                    panic!(
                        "the program did not end; output:\n{}",
                        String::from_utf8_lossy(&got)
                    );
                }
            }
        }
        let status = self.child.wait().expect("the binary is waited for");
        drop(self.stdin.take());
        let mut err = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            e.read_to_string(&mut err).unwrap();
        }
        (
            String::from_utf8(got).expect("stdout is UTF-8"),
            err,
            status,
        )
    }

    /// Kills the program with SIGKILL (no chance to clean up) and waits for it.
    pub fn kill(mut self) {
        self.child.kill().expect("the binary can be killed");
        self.child.wait().expect("the killed binary is waited for");
    }
}

impl Drop for Interactive {
    fn drop(&mut self) {
        // A failing test must not leave the child running (and holding its data dir).
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The four answers (fact, value) that the rules-update tests carry over: hardware
/// changed (other parts), a free upgrade from 7/8.1, the installation ID shown.
pub const FOUR_ANSWERS: [(&str, &str); 4] = [
    ("concern", "hardware-change"),
    ("hardware_change", "other-parts"),
    ("license_origin", "free-upgrade-win7-8"),
    ("installation_id_shown", "yes"),
];

/// Where [`FOUR_ANSWERS`] lead in `rules`.
pub fn four_answers_settled(rules: &Rules) -> Walk {
    Walk::settle(rules, |f| {
        FOUR_ANSWERS.iter().find(|(k, _)| *k == f).map(|(_, v)| *v)
    })
}
