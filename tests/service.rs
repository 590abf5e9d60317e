//! Running the bot as a service, with the real binary against the stand-in:
//!
//! - the health and metrics listener (`--metrics-addr`): `/healthz` answers 503 with a
//!   reason until the gateway is connected, 200 through a conversation, counts a
//!   reconnect after the connection drops, and answers 503 naming the gateway once
//!   Discord is gone; `/metrics` shows the rules in force, the gateway and store state,
//!   the stored sessions, every interaction by kind and outcome (a refusal among them),
//!   the answer latencies, the store's group flushes, and a 500 and a 429 from Discord;
//!   `activation-check health` agrees with `/healthz`;
//! - the token from `DISCORD_TOKEN_FILE` and from systemd's credentials directory, and
//!   the clear refusals when it cannot be had (never showing the token);
//! - `deploy/activation-check.service` asks for the credential the bot reads.

mod support;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use support::standin::{ForcedResponse, StandIn};
use support::walks::*;

const USER: u64 = 934_000_000_000_000_001;
const OTHER: u64 = 934_000_000_000_000_002;
const CALLBACK: &str = "POST /api/v10/interactions/*/*/callback";

/// A GET over a fresh connection: status and body.
fn get(addr: SocketAddr, path: &str) -> (u16, String) {
    let mut s = TcpStream::connect(addr).expect("the listener accepts");
    s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
    write!(s, "GET {path} HTTP/1.1\r\nHost: test\r\n\r\n").unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    let (head, body) = out.split_once("\r\n\r\n").expect("a response head");
    let status = head.split(' ').nth(1).unwrap().parse().unwrap();
    (status, body.to_owned())
}

/// The value of the sample `series` (name with labels, as rendered) in a scrape.
fn sample(scrape: &str, series: &str) -> Option<f64> {
    scrape
        .lines()
        .find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

/// The address the bot said it serves on, from its log.
async fn listener_addr(log: &Path, child: &mut Child) -> SocketAddr {
    let found = eventually(WAIT, || {
        let text = strip_ansi(&std::fs::read_to_string(log).unwrap_or_default());
        text.lines()
            .find_map(|l| l.split("serving /healthz and /metrics on http://").nth(1))
            .and_then(|a| a.split_whitespace().next()?.parse().ok())
    })
    .await;
    found.unwrap_or_else(|| {
        let _ = child.kill();
        panic!(
            "the bot never said where it listens:\n{}",
            std::fs::read_to_string(log).unwrap_or_default()
        )
    })
}

/// The bot binary against `standin` ([`support::bot::bot_command`]), logging at `info`,
/// with no token from a file or credentials directory and no metrics listener from the
/// environment: each test sets the ones it tests.
fn bot_command(standin: &StandIn, data: &Path) -> Command {
    let mut cmd = support::bot::bot_command(standin, data);
    cmd.env("RUST_LOG", "info")
        .env_remove("DISCORD_TOKEN_FILE")
        .env_remove("CREDENTIALS_DIRECTORY")
        .env_remove("ACTIVATION_CHECK_METRICS_ADDR");
    cmd
}

struct Running {
    child: Child,
    log: std::path::PathBuf,
}

impl Running {
    fn log(&self) -> String {
        strip_ansi(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Spawns `cmd run` with its log in `log`.
fn spawn(mut cmd: Command, log: &Path) -> Running {
    let child = cmd
        .arg("run")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).unwrap())
        .spawn()
        .expect("the bot starts");
    Running {
        child,
        log: log.to_owned(),
    }
}

/// Waits for a READY at the stand-in after `before` of them.
async fn wait_ready(standin: &StandIn, bot: &mut Running, before: u64) {
    let ready = standin
        .wait_for(WAIT, |s| (s.ready_count() > before).then_some(()))
        .await;
    if ready.is_none() {
        let status = bot.child.try_wait().unwrap();
        panic!("the bot never became ready ({status:?}):\n{}", bot.log());
    }
}

/// [`spawn`], then [`wait_ready`].
async fn run_until_ready(standin: &StandIn, cmd: Command, log: &Path) -> Running {
    let before = standin.ready_count();
    let mut bot = spawn(cmd, log);
    wait_ready(standin, &mut bot, before).await;
    bot
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn healthz_and_metrics_follow_the_bot_through_a_conversation() {
    let standin = StandIn::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let log = tmp.path().join("bot.log");
    // The listener is up before the gateway connection: with Discord slow to answer the
    // bot's first call, /healthz says it is not connected yet.
    standin.set_delay("GET /api/v10/users/@me", Duration::from_secs(2));
    let mut cmd = bot_command(&standin, &tmp.path().join("data"));
    cmd.env("DISCORD_TOKEN", standin.token())
        .args(["--metrics-addr", "127.0.0.1:0"]);
    let before = standin.ready_count();
    let mut bot = spawn(cmd, &log);
    let addr = listener_addr(&log, &mut bot.child).await;
    let (status, body) = get(addr, "/healthz");
    assert_eq!(status, 503, "{body}");
    assert!(
        body.starts_with("gateway: not connected yet (for "),
        "{body:?}"
    );
    standin.clear_delays();
    wait_ready(&standin, &mut bot, before).await;

    // Connected and writable: 200.
    let healthy = eventually(WAIT, || {
        let (status, body) = get(addr, "/healthz");
        (status == 200).then_some(body)
    })
    .await
    .unwrap_or_else(|| panic!("/healthz never became 200:\n{}", bot.log()));
    assert_eq!(healthy, "ok\n");

    let rules = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("rules/activation-check.toml"),
    )
    .unwrap();
    let field = |name: &str| {
        rules
            .lines()
            .find_map(|l| {
                let v = l.strip_prefix(name)?.trim_start().strip_prefix('=')?;
                Some(v.trim().trim_matches('"').to_owned())
            })
            .unwrap()
    };
    let (status, scrape) = get(addr, "/metrics");
    assert_eq!(status, 200);
    let info = format!(
        "activation_check_rules_info{{id=\"{}\",version=\"{}\",review_by=\"{}\"}}",
        field("id"),
        field("version"),
        field("review_by")
    );
    assert_eq!(sample(&scrape, &info), Some(1.0), "{info} in:\n{scrape}");
    assert_eq!(
        sample(&scrape, "activation_check_gateway_connected"),
        Some(1.0)
    );
    assert_eq!(
        sample(&scrape, "activation_check_store_writable"),
        Some(1.0)
    );
    assert_eq!(
        sample(&scrape, "activation_check_sessions_stored"),
        Some(0.0)
    );
    assert!(
        scrape.contains("# TYPE activation_check_gateway_connected gauge"),
        "{scrape}"
    );
    // The click path's series are there from the start, at 0.
    for series in [
        "activation_check_interactions_total{kind=\"command\",outcome=\"answered\"}",
        "activation_check_interactions_total{kind=\"component\",outcome=\"refused\"}",
        "activation_check_answer_seconds_count",
        "activation_check_discord_http_failures_total{status=\"5xx\"}",
    ] {
        assert_eq!(sample(&scrape, series), Some(0.0), "{series} in:\n{scrape}");
    }

    // A conversation, scraped while it runs and after.
    let q1 = slash(&standin, USER, "en-US", false).await;
    let (status, _) = get(addr, "/healthz");
    assert_eq!(status, 200, "healthy mid-conversation");
    let q2 = answer(&standin, &q1, "concern", 0, USER, "en-US").await;
    // Discord answers the next callback with a 500, then a 429: the bot retries, and
    // both are counted.
    standin.force_response(CALLBACK, 1, ForcedResponse::internal_error());
    standin.force_response(CALLBACK, 1, ForcedResponse::rate_limited(0.05, false));
    let q3 = answer(&standin, &q2, "lost-origin", 2, USER, "en-US").await;
    assert_eq!(standin.pending_forced(), 0, "both faults were hit");
    let card = answer(&standin, &q3, "win10-upgrade-id", 0, USER, "en-US").await;
    assert!(!card.embeds().is_empty(), "a card");
    // Someone else clicks the card's first button: refused, and counted so.
    let refusal = click(&standin, &card, &card.custom_ids()[0], OTHER, "en-US").await;
    assert!(refusal.is_ephemeral(), "{}", refusal.content());
    let counted = eventually(WAIT, || {
        let (_, scrape) = get(addr, "/metrics");
        (sample(&scrape, "activation_check_sessions_stored") == Some(1.0)
            && sample(&scrape, "activation_check_store_flush_seconds_count")
                .is_some_and(|n| n >= 1.0))
        .then_some(scrape)
    })
    .await;
    let scrape = counted.expect("the stored session is counted, and its group flush");
    let expected = [
        (
            "activation_check_interactions_total{kind=\"command\",outcome=\"answered\"}",
            1.0,
        ),
        (
            "activation_check_interactions_total{kind=\"component\",outcome=\"answered\"}",
            3.0,
        ),
        (
            "activation_check_interactions_total{kind=\"component\",outcome=\"refused\"}",
            1.0,
        ),
        (
            "activation_check_interactions_total{kind=\"component\",outcome=\"failed\"}",
            0.0,
        ),
        ("activation_check_answer_seconds_count", 5.0),
        (
            "activation_check_discord_http_failures_total{status=\"5xx\"}",
            1.0,
        ),
        (
            "activation_check_discord_http_failures_total{status=\"429\"}",
            1.0,
        ),
    ];
    for (series, value) in expected {
        assert_eq!(
            sample(&scrape, series),
            Some(value),
            "{series} in:\n{scrape}"
        );
    }
    // Every answer within Discord's 3 s, the faulted one included.
    assert_eq!(
        sample(&scrape, "activation_check_answer_seconds_bucket{le=\"3\"}"),
        Some(5.0),
        "{scrape}"
    );
    // The session reached the disk in a group flush of at least one write.
    assert!(
        sample(&scrape, "activation_check_store_flush_writes_sum").is_some_and(|n| n >= 1.0),
        "{scrape}"
    );

    // `activation-check health` asks the same endpoint.
    let out = Command::new(env!("CARGO_BIN_EXE_activation-check"))
        .args(["health", "--metrics-addr", &addr.to_string()])
        .output()
        .unwrap();
    support::bot::assert_succeeded(&out);
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "ok");

    // The connection drops: the bot resumes, and the reconnect is counted.
    let connections = standin.connection_count();
    standin.drop_gateway();
    standin
        .wait_for(WAIT, |s| (s.connection_count() > connections).then_some(()))
        .await
        .expect("the bot reconnects");
    let reconnects = eventually(WAIT, || {
        let (_, scrape) = get(addr, "/metrics");
        sample(&scrape, "activation_check_gateway_reconnects_total").filter(|n| *n >= 1.0)
    })
    .await;
    assert!(
        reconnects.is_some(),
        "a reconnect is counted:\n{}",
        bot.log()
    );
    let back = eventually(WAIT, || (get(addr, "/healthz").0 == 200).then_some(())).await;
    assert!(back.is_some(), "healthy again after the resume");

    // Discord goes away: 503, naming the gateway.
    standin.shutdown().await;
    let down = eventually(Duration::from_secs(30), || {
        let (status, body) = get(addr, "/healthz");
        (status == 503).then_some(body)
    })
    .await
    .unwrap_or_else(|| panic!("/healthz stayed 200 without Discord:\n{}", bot.log()));
    assert!(
        down.starts_with("gateway: not connected (")
            && down.ends_with('\n')
            && down.lines().count() == 1,
        "{down:?}"
    );
    let out = Command::new(env!("CARGO_BIN_EXE_activation-check"))
        .args(["health", "--metrics-addr", &addr.to_string()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("unhealthy (503): gateway: not connected"),
        "{err}"
    );
    let (_, scrape) = get(addr, "/metrics");
    assert_eq!(
        sample(&scrape, "activation_check_gateway_connected"),
        Some(0.0)
    );
    bot.child.kill().unwrap();
    println!(
        "healthz/metrics: 200 through a conversation, a reconnect counted, 503 without Discord: {}",
        down.trim()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_listener_is_off_by_default_and_a_busy_address_is_refused() {
    let standin = StandIn::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let mut cmd = bot_command(&standin, &tmp.path().join("data"));
    cmd.env("DISCORD_TOKEN", standin.token());
    let bot = run_until_ready(&standin, cmd, &tmp.path().join("bot.log")).await;
    assert!(
        !bot.log().contains("serving /healthz"),
        "no listener unless asked for:\n{}",
        bot.log()
    );
    drop(bot);

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap();
    let out = bot_command(&standin, &tmp.path().join("data"))
        .env("DISCORD_TOKEN", standin.token())
        .env("ACTIVATION_CHECK_METRICS_ADDR", addr.to_string())
        .arg("run")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!(
            "cannot listen on {addr} (--metrics-addr / ACTIVATION_CHECK_METRICS_ADDR)"
        )),
        "{err}"
    );

    let out = Command::new(env!("CARGO_BIN_EXE_activation-check"))
        .arg("health")
        .env_remove("ACTIVATION_CHECK_METRICS_ADDR")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("--metrics-addr"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_comes_from_a_file_or_the_systemd_credential() {
    let standin = StandIn::start().await;
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let secret = standin.token();

    // DISCORD_TOKEN_FILE, with the newline an editor leaves.
    let file = tmp.path().join("token");
    std::fs::write(&file, format!("{secret}\n")).unwrap();
    let mut cmd = bot_command(&standin, &data);
    cmd.env("DISCORD_TOKEN_FILE", &file);
    let bot = run_until_ready(&standin, cmd, &tmp.path().join("file.log")).await;
    let log = bot.log();
    assert!(
        log.contains(&format!(
            "from=the file {} (DISCORD_TOKEN_FILE)",
            file.display()
        )),
        "{log}"
    );
    drop(bot);

    // systemd's LoadCredential=discord-token:... .
    let creds = tmp.path().join("credentials");
    std::fs::create_dir(&creds).unwrap();
    std::fs::write(creds.join("discord-token"), &secret).unwrap();
    let mut cmd = bot_command(&standin, &data);
    cmd.env("CREDENTIALS_DIRECTORY", &creds);
    let bot = run_until_ready(&standin, cmd, &tmp.path().join("cred.log")).await;
    assert!(
        bot.log().contains("from=the systemd credential"),
        "{}",
        bot.log()
    );
    drop(bot);

    // DISCORD_TOKEN wins over the credential.
    std::fs::write(creds.join("discord-token"), "not-the-token").unwrap();
    let mut cmd = bot_command(&standin, &data);
    cmd.env("CREDENTIALS_DIRECTORY", &creds)
        .env("DISCORD_TOKEN", &secret);
    let bot = run_until_ready(&standin, cmd, &tmp.path().join("env.log")).await;
    assert!(bot.log().contains("from=DISCORD_TOKEN"), "{}", bot.log());
    drop(bot);

    // Refusals, each naming what to fix, none showing a token.
    let missing = tmp.path().join("no-such-token");
    let cases = [
        (
            vec![("DISCORD_TOKEN", secret.clone()), ("DISCORD_TOKEN_FILE", file.display().to_string())],
            format!(
                "both DISCORD_TOKEN and DISCORD_TOKEN_FILE ({}) are set",
                file.display()
            ),
        ),
        (
            vec![("DISCORD_TOKEN_FILE", missing.display().to_string())],
            format!(
                "cannot read the bot token from the file {} (DISCORD_TOKEN_FILE): there is no such file",
                missing.display()
            ),
        ),
        (
            vec![("CREDENTIALS_DIRECTORY", tmp.path().join("empty").display().to_string())],
            "DISCORD_TOKEN is not set".to_owned(),
        ),
    ];
    for (env, expected) in cases {
        let mut cmd = bot_command(&standin, &data);
        for (k, v) in &env {
            cmd.env(k, v);
        }
        let out = cmd.arg("run").output().unwrap();
        assert_eq!(out.status.code(), Some(1), "{env:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(&expected), "{env:?}: {err}");
        assert!(!err.contains(&secret), "the token is never shown: {err}");
    }
}

#[test]
fn the_unit_file_asks_for_the_credential_the_bot_reads() {
    let unit = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("deploy/activation-check.service"),
    )
    .unwrap();
    let setting = |key: &str| -> Vec<String> {
        unit.lines()
            .filter_map(|l| l.strip_prefix(&format!("{key}=")))
            .map(str::to_owned)
            .collect()
    };
    assert!(
        setting("LoadCredential")
            .iter()
            .any(|v| v.starts_with(&format!("{}:", activation_check::token::CREDENTIAL_NAME))),
        "{unit}"
    );
    assert!(
        !unit.contains("DISCORD_TOKEN"),
        "the token is never set in the unit: {unit}"
    );
    let exec = setting("ExecStart").join(" ");
    assert!(exec.split_whitespace().any(|w| w == "run"), "{exec}");
    // The data directory is systemd's StateDirectory.
    let state = setting("StateDirectory");
    assert_eq!(state.len(), 1, "{unit}");
    assert!(
        setting("Environment")
            .contains(&format!("ACTIVATION_CHECK_DATA_DIR=/var/lib/{}", state[0])),
        "the bot's data directory is the StateDirectory: {unit}"
    );
    for required in [
        "Restart=on-failure",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
    ] {
        assert!(unit.lines().any(|l| l == required), "{required} in {unit}");
    }
}
