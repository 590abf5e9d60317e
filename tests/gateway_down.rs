//! The real bot binary against a stand-in whose REST API works but whose gateway refuses
//! every connection (a firewall, a proxy that forwards HTTP only): the first SIGTERM or
//! SIGINT stops it within a few seconds, checkpointing the store, and after a few failed
//! connection attempts the log says once, at warn level, what fails and where.

mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use support::standin::StandIn;
use support::walks::strip_ansi;

/// How long a stop may take: serenity's own shard shutdown waits up to 5 s.
const STOP_WITHIN: Duration = Duration::from_secs(8);

struct Bot {
    child: Child,
    log: PathBuf,
}

impl Bot {
    fn start(standin: &StandIn, data: &Path, log_level: &str) -> Bot {
        let log = data.with_extension("log");
        let child = Command::new(env!("CARGO_BIN_EXE_activation-check"))
            .current_dir(env!("CARGO_MANIFEST_DIR"))
            .arg("run")
            .arg("--data-dir")
            .arg(data)
            .env("DISCORD_TOKEN", standin.token())
            .env("DISCORD_API_BASE", standin.base_url())
            .env("RUST_LOG", log_level)
            .env_remove("NO_COLOR")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("the bot starts");
        Bot { child, log }
    }

    fn log(&self) -> String {
        strip_ansi(&std::fs::read_to_string(&self.log).unwrap_or_default())
    }

    fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([&format!("-{name}"), &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// The exit status if the process ends within `within`.
    async fn exited_within(&mut self, within: Duration) -> Option<ExitStatus> {
        let until = Instant::now() + within;
        while Instant::now() < until {
            if let Some(s) = self.child.try_wait().unwrap() {
                return Some(s);
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        None
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Waits until the bot has registered its commands: REST works, and it is trying the
/// gateway from now on.
async fn until_registered(standin: &StandIn, bot: &mut Bot) {
    let done = standin
        .wait_for(Duration::from_secs(20), |s| {
            (!s.commands().is_empty()).then_some(())
        })
        .await;
    assert!(done.is_some(), "no commands registered:\n{}", bot.log());
    assert!(bot.child.try_wait().unwrap().is_none(), "{}", bot.log());
}

async fn stops_on(signal: &str) {
    let standin = StandIn::start().await;
    let url = standin.refuse_gateway();
    let tmp = tempfile::tempdir().unwrap();
    let mut bot = Bot::start(&standin, &tmp.path().join("data"), "info");
    until_registered(&standin, &mut bot).await;
    // Let serenity fail at least once.
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert_eq!(standin.ready_count(), 0, "the gateway refuses: {url}");

    let sent = Instant::now();
    bot.signal(signal);
    let status = bot.exited_within(STOP_WITHIN).await;
    let log = bot.log();
    let status =
        status.unwrap_or_else(|| panic!("still running {STOP_WITHIN:?} after SIG{signal}:\n{log}"));
    assert!(status.success(), "SIG{signal}: {status:?}\n{log}");
    eprintln!("stopped {:?} after SIG{signal}", sent.elapsed());
    assert!(log.contains("shutting down"), "{log}");
    assert!(log.contains("the store is checkpointed"), "{log}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sigterm_stops_a_bot_whose_gateway_refuses_connections() {
    stops_on("TERM").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sigint_stops_a_bot_whose_gateway_refuses_connections() {
    stops_on("INT").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn repeated_failed_gateway_connections_are_reported_once_at_warn_level() {
    let standin = StandIn::start().await;
    let url = standin.refuse_gateway();
    let tmp = tempfile::tempdir().unwrap();
    // The default filter: what an operator sees without asking for more.
    let mut bot = Bot::start(&standin, &tmp.path().join("data"), "warn");
    until_registered(&standin, &mut bot).await;
    let port = url.rsplit(':').next().unwrap().to_owned();
    let warned = support::walks::eventually(Duration::from_secs(40), || {
        let log = bot.log();
        log.lines()
            .find(|l| l.contains(" WARN ") && l.contains("activation_check") && l.contains(&port))
            .map(str::to_owned)
    })
    .await;
    let line = warned.unwrap_or_else(|| panic!("no warning naming {url}:\n{}", bot.log()));
    eprintln!("{line}");
    assert!(line.contains(&url), "names the gateway URL: {line}");
    assert!(line.contains("refused"), "says what fails: {line}");
    assert!(line.contains("attempts"), "says it was retried: {line}");
    // Once: a few more retries add no second line of ours.
    tokio::time::sleep(Duration::from_secs(11)).await;
    let log = bot.log();
    let ours = log
        .lines()
        .filter(|l| l.contains(" WARN ") && l.contains("activation_check"))
        .count();
    assert_eq!(ours, 1, "one warning, not one per retry:\n{log}");
    bot.signal("TERM");
    let status = bot.exited_within(STOP_WITHIN).await;
    assert!(status.is_some_and(|s| s.success()), "{}", bot.log());
}
