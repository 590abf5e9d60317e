//! End-to-end load: the real bot binary and two minimal serenity bots (the floors), each
//! driven through the Discord stand-in on 127.0.0.1 by many concurrent users walking
//! whole conversations (slash command, buttons to a card, Start over, repeat). The bare
//! floor (`examples/floor_bot.rs`) answers with small fixed messages; the same-size floor
//! (`examples/floor_bot_sized.rs`) answers with exactly the bot's messages, prepared once.
//!
//! ```text
//! cargo build --release --bin activation-check --example floor_bot --example floor_bot_sized --example load
//! target/release/examples/load --rate 200 --clicks 20000        # open loop, 200 clicks/s
//! target/release/examples/load --max --clicks 20000             # closed loop, as fast as it goes
//! target/release/examples/load --only ours --max --clicks 100000 --sessions 100000
//! ```
//!
//! Per click it measures the bot-side latency as the stand-in records it (dispatch sent
//! → callback received), and per run the sustained clicks per second and the bot
//! process's CPU seconds per 1,000 clicks (utime + stime from /proc/<pid>/stat) and
//! context switches per click (all its threads, /proc/<pid>/task/*/status), its
//! resident memory (VmRSS) after READY and after the load, and the time from process
//! start to the first interaction answered. The stand-in runs in this process; its own
//! CPU is reported too, so a saturated stand-in is visible. Everything is bounded by
//! `--clicks` and `--max-seconds`; only 127.0.0.1 is used.

#[path = "../tests/support/mod.rs"]
mod support;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use clap::Parser;
use tokio::sync::{oneshot, Semaphore};

use activation_check::engine::{Position, Walk};
use activation_check::knowledge;
use activation_check::session::{Scope, SessionKey, SessionRecord, SessionStore};
use activation_check::store::{SledStore, StoreOptions};
use support::standin::{
    CallbackRecord, ComponentClick, InteractionOpts, SlashCommand, StandIn, StandInConfig,
};

#[derive(Debug, Parser)]
#[command(about = "End-to-end load of activation-check against a minimal serenity bot")]
struct Args {
    /// Open-loop rate in clicks per second (a click is a slash command or a button).
    #[arg(long, default_value_t = 200, conflicts_with = "max")]
    rate: u32,
    /// Closed loop instead: every user clicks the instant the previous answer arrives.
    #[arg(long)]
    max: bool,
    /// Concurrent users.
    #[arg(long, default_value_t = 100)]
    users: u64,
    /// Measured clicks per bot (after the warm-up).
    #[arg(long, default_value_t = 10_000)]
    clicks: u64,
    /// Warm-up clicks per bot, not measured.
    #[arg(long, default_value_t = 1_000)]
    warmup: u64,
    /// Stop a bot's measured phase after this long whatever the count.
    #[arg(long, default_value_t = 300)]
    max_seconds: u64,
    /// Which bots, comma-separated: ours, floor (bare), sized (same-size floor); `all`
    /// for the three, `both` for ours and the bare floor. They run one after the other.
    #[arg(long, default_value = "all")]
    only: String,
    /// Pre-populate the bot's data directory with this many stored sessions.
    #[arg(long, default_value_t = 0)]
    sessions: u64,
    /// The bot binary [default: next to this example, ../activation-check].
    #[arg(long)]
    bot_bin: Option<PathBuf>,
    /// The floor binary [default: next to this example, floor_bot].
    #[arg(long)]
    floor_bin: Option<PathBuf>,
    /// The same-size floor binary [default: next to this example, floor_bot_sized].
    #[arg(long)]
    sized_bin: Option<PathBuf>,
    /// Conversation depth of the floor bot (answers before its "card").
    #[arg(long, default_value_t = 4)]
    floor_depth: u32,
    /// Pad the floor bot's embed description to this many characters (0: a short fixed
    /// text), to compare at the bot's message sizes.
    #[arg(long, default_value_t = 0)]
    floor_pad: usize,
    /// Keep the stand-in's full history and tracing (slower; for debugging).
    #[arg(long)]
    no_lean: bool,
    /// Print each bot's context switches per click by thread name.
    #[arg(long)]
    threads: bool,
    /// Print where each bot's idle resident memory is (per mapping, from /proc/<pid>/smaps)
    #[arg(long)]
    smaps: bool,
    /// Run the bots at the same time, each with its own stand-in and users, instead of
    /// one after the other: they then share the same minutes of a machine whose speed
    /// drifts, which makes their CPU per click comparable. (The stand-in+driver figures
    /// are then the driver process's as a whole.)
    #[arg(long)]
    together: bool,
}

const GUILD: u64 = 900_000_000_000_000_001;
const FIRST_USER: u64 = 930_000_000_000_000_000;
/// Users of the stored sessions (`--sessions`): `STORED_USER` plus a bijection of the
/// index onto 40 bits, so no two collide and none is a `FIRST_USER + n` of the load.
const STORED_USER: u64 = 940_000_000_000_000_000;
const CLICK_TIMEOUT: Duration = Duration::from_secs(5);

// ---- /proc ---------------------------------------------------------------------------------

fn clk_tck() -> f64 {
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// (utime, stime) of a process, in seconds.
fn cpu_secs(pid: &str) -> (f64, f64) {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
    (ticks(11) / clk_tck(), ticks(12) / clk_tck())
}

/// Context switches (voluntary + involuntary) of all of a process's threads alive now,
/// from `/proc/<pid>/task/*/status`; a thread that exits between two readings takes its
/// count with it, so a difference can only undercount. Waking a sleeping thread costs far
/// more CPU in a VM than on bare metal, so this shows where a bot's system time goes.
fn context_switches(pid: &str) -> u64 {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return 0;
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("status")).ok())
        .flat_map(|status| {
            status
                .lines()
                .filter_map(|l| {
                    let v = l
                        .strip_prefix("voluntary_ctxt_switches:")
                        .or_else(|| l.strip_prefix("nonvoluntary_ctxt_switches:"))?;
                    v.trim().parse::<u64>().ok()
                })
                .collect::<Vec<_>>()
        })
        .sum()
}

/// Context switches and CPU seconds (utime + stime) by thread name
/// (`/proc/<pid>/task/*/comm`), summed over threads of the same name: where a bot's
/// switches and CPU go.
fn by_thread(pid: &str) -> std::collections::BTreeMap<String, (u64, f64)> {
    let mut out = std::collections::BTreeMap::new();
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return out;
    };
    for t in tasks.flatten() {
        let name = std::fs::read_to_string(t.path().join("comm"))
            .unwrap_or_default()
            .trim()
            .to_owned();
        let status = std::fs::read_to_string(t.path().join("status")).unwrap_or_default();
        let n: u64 = status
            .lines()
            .filter_map(|l| {
                let v = l
                    .strip_prefix("voluntary_ctxt_switches:")
                    .or_else(|| l.strip_prefix("nonvoluntary_ctxt_switches:"))?;
                v.trim().parse::<u64>().ok()
            })
            .sum();
        let stat = std::fs::read_to_string(t.path().join("stat")).unwrap_or_default();
        let rest = stat.rsplit_once(')').map(|(_, r)| r).unwrap_or("");
        let f: Vec<&str> = rest.split_whitespace().collect();
        let ticks = |i: usize| f.get(i).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        let cpu = (ticks(11) + ticks(12)) / clk_tck();
        let e = out.entry(name).or_insert((0, 0.0));
        e.0 += n;
        e.1 += cpu;
    }
    out
}

/// A `/proc/<pid>/status` field in KiB (VmRSS, VmHWM).
fn status_kib(pid: &str, field: &str) -> f64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field)?.strip_prefix(':'))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0)
}

/// The resident memory of `pid` by mapping (file, `[heap]`, `[stack]`, anonymous), largest
/// first, to stderr.
fn print_smaps(which: Which, pid: &str) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps")).unwrap_or_default();
    let mut by: std::collections::HashMap<String, f64> = Default::default();
    let mut name = String::new();
    for line in text.lines() {
        let mut words = line.split_whitespace();
        match words.next() {
            Some(range) if range.contains('-') && !range.ends_with(':') => {
                name = words.nth(4).unwrap_or("[anonymous]").to_owned();
            }
            Some("Rss:") => {
                let kib: f64 = words.next().and_then(|v| v.parse().ok()).unwrap_or(0.0);
                *by.entry(name.clone()).or_default() += kib;
            }
            _ => {}
        }
    }
    let mut rows: Vec<_> = by.into_iter().collect();
    rows.sort_by(|a, b| b.1.total_cmp(&a.1));
    eprintln!("{which:?} (pid {pid}) resident memory by mapping:");
    for (name, kib) in rows.iter().take(10) {
        eprintln!("  {:8.1} MiB  {name}", mib(*kib));
    }
}

fn mib(kib: f64) -> f64 {
    kib / 1024.0
}

fn dir_size(p: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(p) else {
        return std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    };
    entries
        .filter_map(Result::ok)
        .map(|e| {
            let path = e.path();
            if path.is_dir() {
                dir_size(&path)
            } else {
                // Allocated size, as `du` counts it.
                std::fs::metadata(&path)
                    .map(|m| {
                        use std::os::unix::fs::MetadataExt;
                        m.blocks() * 512
                    })
                    .unwrap_or(0)
            }
        })
        .sum()
}

// ---- the bot process -------------------------------------------------------------------------

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Which {
    Ours,
    Floor,
    Sized,
    /// `serve` on sled: one worker answering HTTP interactions.
    Serve,
    /// `serve` on PostgreSQL, one worker.
    ServePg,
    /// Two `serve` workers on one PostgreSQL database, round robin.
    ServePg2,
}

impl Which {
    fn name(self) -> &'static str {
        match self {
            Which::Ours => "activation-check",
            Which::Floor => "floor (bare serenity)",
            Which::Sized => "floor at the bot's message sizes",
            Which::Serve => "serve, sled",
            Which::ServePg => "serve, PostgreSQL",
            Which::ServePg2 => "2 × serve, PostgreSQL",
        }
    }

    /// How many `serve` workers (0 for the gateway bots).
    fn workers(self) -> usize {
        match self {
            Which::Serve | Which::ServePg => 1,
            Which::ServePg2 => 2,
            _ => 0,
        }
    }
}

struct Proc {
    child: Child,
}

impl Proc {
    fn pid(&self) -> String {
        self.child.id().to_string()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        // SIGTERM first, so the bot flushes and exits the way it would in production.
        let _ = Command::new("kill").arg("-TERM").arg(self.pid()).status();
        for _ in 0..50 {
            if let Ok(Some(_)) = self.child.try_wait() {
                return;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn spawn(which: Which, args: &Args, standin: &StandIn, data: &Path, log: &Path) -> Proc {
    let here = std::env::current_exe().expect("the current exe is known");
    let examples = here.parent().expect("the exe has a directory");
    let mut cmd = match which {
        Which::Ours => {
            let bin = args.bot_bin.clone().unwrap_or_else(|| {
                examples
                    .parent()
                    .expect("examples/ has a parent")
                    .join("activation-check")
            });
            let mut c = Command::new(bin);
            c.current_dir(env!("CARGO_MANIFEST_DIR"))
                .arg("run")
                .arg("--data-dir")
                .arg(data);
            c
        }
        Which::Floor => {
            let bin = args
                .floor_bin
                .clone()
                .unwrap_or_else(|| examples.join("floor_bot"));
            let mut c = Command::new(bin);
            c.env("FLOOR_DEPTH", args.floor_depth.to_string())
                .env("FLOOR_PAD", args.floor_pad.to_string());
            c
        }
        Which::Sized => Command::new(
            args.sized_bin
                .clone()
                .unwrap_or_else(|| examples.join("floor_bot_sized")),
        ),
        Which::Serve | Which::ServePg | Which::ServePg2 => {
            unreachable!("serve workers start with spawn_serve")
        }
    };
    as_a_service(&mut cmd);
    cmd.env("DISCORD_TOKEN", standin.token())
        .env("DISCORD_API_BASE", standin.base_url())
        .env("RUST_LOG", "warn")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(log).expect("the log file can be created"));
    Proc {
        child: cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start {which:?} ({e}); build it first: cargo build --release --bin \
                 activation-check --example floor_bot --example floor_bot_sized --example load"
            )
        }),
    }
}

/// The environment a bot starts with under systemd or in the container: neither TLS
/// variable set (a shell here may set them, and the bot would then read the operator's
/// CA bundle at start, see src/discord/tls.rs).
fn as_a_service(cmd: &mut Command) {
    cmd.env_remove("SSL_CERT_FILE").env_remove("SSL_CERT_DIR");
}

/// A `serve` worker on `store` (sled in `data` when `None`); its address once listening.
fn spawn_serve(
    args: &Args,
    standin: &StandIn,
    key: &str,
    data: &Path,
    store: Option<&str>,
    log: &Path,
) -> (Proc, std::net::SocketAddr) {
    let here = std::env::current_exe().expect("the current exe is known");
    let bin = args.bot_bin.clone().unwrap_or_else(|| {
        here.parent()
            .and_then(Path::parent)
            .expect("examples/ has a parent")
            .join("activation-check")
    });
    let mut cmd = Command::new(bin);
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(data);
    if let Some(url) = store {
        cmd.args(["--store", url]);
    }
    as_a_service(&mut cmd);
    cmd.env("DISCORD_TOKEN", standin.token())
        .env("DISCORD_API_BASE", standin.base_url())
        .env("DISCORD_PUBLIC_KEY", key)
        .env("RUST_LOG", "warn");
    let (child, addr) = support::interactions::spawn_listening(&mut cmd, log);
    (Proc { child }, addr)
}

/// CPU seconds of the test PostgreSQL cluster (`.ci/postgres start`): the postmaster and
/// every backend it forked.
fn database_cpu() -> f64 {
    let Ok(dir) = std::env::var("ACTIVATION_CHECK_TEST_POSTGRES_DIR") else {
        return 0.0;
    };
    let Some(master) = std::fs::read_to_string(Path::new(&dir).join("data/postmaster.pid"))
        .ok()
        .and_then(|t| t.lines().next().map(str::to_owned))
    else {
        return 0.0;
    };
    let mut total = {
        let (u, s) = cpu_secs(&master);
        u + s
    };
    for entry in std::fs::read_dir("/proc").into_iter().flatten().flatten() {
        let pid = entry.file_name().to_string_lossy().into_owned();
        if !pid.bytes().all(|b| b.is_ascii_digit()) {
            continue;
        }
        let stat = std::fs::read_to_string(entry.path().join("stat")).unwrap_or_default();
        let ppid = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1).map(str::to_owned));
        if ppid.as_deref() == Some(master.as_str()) {
            let (u, s) = cpu_secs(&pid);
            total += u + s;
        }
    }
    total
}

// ---- waiting for callbacks -----------------------------------------------------------------

enum Slot {
    Waiting(oneshot::Sender<CallbackRecord>),
    Arrived(CallbackRecord),
}

/// Routes the stand-in's callbacks to the users waiting for them.
#[derive(Clone, Default)]
struct Router {
    slots: Arc<Mutex<HashMap<u64, Slot>>>,
}

impl Router {
    fn start(standin: &StandIn) -> Router {
        let router = Router::default();
        let mut rx = standin.subscribe_callbacks();
        let r = router.clone();
        tokio::spawn(async move {
            while let Some(cb) = rx.recv().await {
                let mut slots = r.slots.lock().unwrap();
                match slots.remove(&cb.interaction_id) {
                    Some(Slot::Waiting(tx)) => {
                        let _ = tx.send(cb);
                    }
                    // A second callback for one interaction: keep the first.
                    Some(arrived @ Slot::Arrived(_)) => {
                        slots.insert(cb.interaction_id, arrived);
                    }
                    None => {
                        slots.insert(cb.interaction_id, Slot::Arrived(cb));
                    }
                }
            }
        });
        router
    }

    async fn wait(&self, interaction: u64) -> Option<CallbackRecord> {
        let rx = {
            let mut slots = self.slots.lock().unwrap();
            match slots.remove(&interaction) {
                Some(Slot::Arrived(cb)) => return Some(cb),
                _ => {
                    let (tx, rx) = oneshot::channel();
                    slots.insert(interaction, Slot::Waiting(tx));
                    rx
                }
            }
        };
        let got = tokio::time::timeout(CLICK_TIMEOUT, rx).await.ok()?.ok();
        if got.is_none() {
            self.slots.lock().unwrap().remove(&interaction);
        }
        got
    }
}

// ---- users -----------------------------------------------------------------------------------

#[derive(Default)]
struct Stats {
    /// Bot-side latencies of measured clicks, in microseconds.
    latencies_us: Vec<u64>,
    /// No callback within CLICK_TIMEOUT.
    lost: u64,
    /// A callback that was refused, or a reply saying the click was outdated.
    errors: u64,
    slash: u64,
    buttons: u64,
    cards: u64,
    /// Bytes of the callbacks' JSON bodies, summed.
    response_bytes: u64,
    first_error: Option<String>,
}

struct Shared {
    standin: StandIn,
    router: Router,
    /// Clicks dispatched so far in this phase.
    issued: AtomicU64,
    /// Clicks this phase may dispatch.
    budget: AtomicU64,
    measuring: AtomicBool,
    stop: AtomicBool,
    /// Open loop: one permit per scheduled click.
    permits: Option<Arc<Semaphore>>,
    stats: Mutex<Stats>,
    /// State of the random choice of buttons.
    rng: AtomicU64,
}

impl Shared {
    fn rand(&self, n: usize) -> usize {
        // A shared LCG is enough to pick buttons.
        let x = self
            .rng
            .fetch_add(0x9E37_79B9_7F4A_7C15, Ordering::Relaxed)
            .wrapping_mul(0xBF58_476D_1CE4_E5B9);
        ((x >> 33) as usize) % n.max(1)
    }

    /// Takes one click from the phase's budget (open loop: waits for its slot; between
    /// phases: waits for the next one); false once the run is over.
    async fn take_click(&self) -> bool {
        loop {
            if self.stop.load(Ordering::Relaxed) {
                return false;
            }
            if let Some(p) = &self.permits {
                match p.acquire().await {
                    Ok(permit) => permit.forget(),
                    Err(_) => return false,
                }
            }
            let n = self.issued.fetch_add(1, Ordering::Relaxed);
            if n < self.budget.load(Ordering::Relaxed) {
                return true;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    fn record(&self, cb: Option<&CallbackRecord>, what: &str) {
        let mut s = self.stats.lock().unwrap();
        let Some(cb) = cb else {
            s.lost += 1;
            s.first_error
                .get_or_insert_with(|| format!("{what}: no callback within {CLICK_TIMEOUT:?}"));
            return;
        };
        let content = cb
            .body
            .as_ref()
            .and_then(|b| b["data"]["content"].as_str())
            .unwrap_or("");
        if cb.status != 204 || !cb.accepted || !content.is_empty() {
            s.errors += 1;
            s.first_error.get_or_insert_with(|| {
                format!(
                    "{what}: status {} content {content:?} body {}",
                    cb.status,
                    cb.body
                        .as_ref()
                        .map(|b| b.to_string().chars().take(300).collect::<String>())
                        .unwrap_or_default()
                )
            });
        }
        if self.measuring.load(Ordering::Relaxed) {
            s.latencies_us.push(cb.latency.as_micros() as u64);
            s.response_bytes += cb.body.as_ref().map_or(0, |b| b.to_string().len() as u64);
        }
    }
}

/// What a reply offers: answer buttons, select menus and Start over.
struct Offer {
    answers: Vec<String>,
    selects: Vec<(String, Vec<String>)>,
    restart: Option<String>,
}

fn offer(cb: &CallbackRecord) -> Offer {
    let mut o = Offer {
        answers: Vec::new(),
        selects: Vec::new(),
        restart: None,
    };
    let rows = cb
        .body
        .as_ref()
        .and_then(|b| b["data"]["components"].as_array().cloned())
        .unwrap_or_default();
    for row in rows {
        for c in row["components"].as_array().into_iter().flatten() {
            let Some(id) = c["custom_id"].as_str() else {
                continue;
            };
            if id.starts_with("ac1:a:") {
                o.answers.push(id.to_owned());
            } else if id.starts_with("ac1:s:") {
                let values = c["options"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|o| o["value"].as_str().map(str::to_owned))
                    .collect();
                o.selects.push((id.to_owned(), values));
            } else if id.starts_with("ac1:r:") {
                o.restart = Some(id.to_owned());
            }
        }
    }
    o
}

async fn user(shared: Arc<Shared>, index: u64) {
    let uid = FIRST_USER + index;
    let locale = if index.is_multiple_of(2) {
        "ja"
    } else {
        "en-US"
    };
    'conversation: loop {
        if !shared.take_click().await {
            return;
        }
        let d = shared
            .standin
            .send_slash_command(
                SlashCommand::new("activation-check")
                    .user(uid)
                    .locale(locale)
                    .in_guild(GUILD, 900_000_000_000_000_002),
            )
            .await;
        let cb = shared.router.wait(d.interaction_id).await;
        shared.record(cb.as_ref(), "slash command");
        shared.stats.lock().unwrap().slash += 1;
        let Some(mut cb) = cb else { continue };
        let Some(message) = cb.message_id else {
            continue;
        };
        loop {
            let o = offer(&cb);
            let click = if !o.answers.is_empty() {
                ComponentClick::button(message, &o.answers[shared.rand(o.answers.len())])
            } else if let Some((id, values)) = o.selects.first() {
                let v = &values[shared.rand(values.len())];
                ComponentClick::select(message, id, &[v.as_str()])
            } else if let Some(id) = &o.restart {
                shared.stats.lock().unwrap().cards += 1;
                ComponentClick::button(message, id)
            } else {
                shared.standin.forget_message(message);
                continue 'conversation;
            };
            let restart = o.answers.is_empty() && o.selects.is_empty();
            if !shared.take_click().await {
                shared.standin.forget_message(message);
                return;
            }
            let d = shared
                .standin
                .send_component(click.user(uid).locale(locale))
                .await;
            let next = shared.router.wait(d.interaction_id).await;
            shared.record(next.as_ref(), "button");
            shared.stats.lock().unwrap().buttons += 1;
            match next {
                Some(n) if !restart => cb = n,
                _ => {
                    // Start over answered (or the click was lost): a new conversation
                    // begins with the slash command again.
                    shared.standin.forget_message(message);
                    continue 'conversation;
                }
            }
        }
    }
}

// ---- one bot, one run ----------------------------------------------------------------------

#[derive(Debug, Default, Clone)]
struct Report {
    start_to_ready_ms: f64,
    start_to_first_answer_ms: f64,
    rss_idle_mib: f64,
    rss_after_mib: f64,
    hwm_after_mib: f64,
    clicks: u64,
    seconds: f64,
    clicks_per_s: f64,
    p50_ms: f64,
    p90_ms: f64,
    p99_ms: f64,
    max_ms: f64,
    mean_ms: f64,
    bot_cpu_per_1000: f64,
    bot_user_per_1000: f64,
    bot_sys_per_1000: f64,
    bot_cpu_util: f64,
    bot_switches_per_click: f64,
    response_bytes: f64,
    harness_cpu_per_1000: f64,
    harness_cpu_util: f64,
    lost: u64,
    errors: u64,
    slash: u64,
    buttons: u64,
    cards: u64,
    disk_mib: f64,
    /// CPU of the PostgreSQL cluster per 1,000 clicks (the `serve` runs on it).
    db_cpu_per_1000: f64,
    first_error: Option<String>,
}

async fn run_phase(shared: &Arc<Shared>, clicks: u64, rate: Option<u32>, max_secs: u64) -> f64 {
    shared.budget.store(0, Ordering::SeqCst);
    shared.issued.store(0, Ordering::SeqCst);
    shared.budget.store(clicks, Ordering::SeqCst);
    let started = Instant::now();
    let ticker = rate.map(|r| {
        let permits = shared.permits.clone().expect("open loop has permits");
        tokio::spawn(async move {
            let period = Duration::from_secs_f64(1.0 / f64::from(r.max(1)));
            let t0 = tokio::time::Instant::now();
            let mut n: u64 = 0;
            while n < clicks + 1 {
                n += 1;
                tokio::time::sleep_until(t0 + period.mul_f64(n as f64)).await;
                permits.add_permits(1);
            }
        })
    });
    let deadline = started + Duration::from_secs(max_secs);
    loop {
        let (done, lost) = {
            let s = shared.stats.lock().unwrap();
            (s.slash + s.buttons, s.lost)
        };
        if done >= clicks || Instant::now() >= deadline {
            break;
        }
        if lost >= 20 {
            eprintln!("  giving up: {lost} clicks got no answer");
            shared.stop.store(true, Ordering::SeqCst);
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let secs = started.elapsed().as_secs_f64();
    // Stop issuing; clicks already dispatched are still answered.
    shared.budget.store(0, Ordering::SeqCst);
    if let Some(t) = ticker {
        t.abort();
    }
    secs
}

/// The stats counters since the last reset, and a reset.
fn take_stats(shared: &Shared) -> Stats {
    std::mem::take(&mut *shared.stats.lock().unwrap())
}

async fn run_bot(which: Which, args: &Args, tmp: &Path) -> Report {
    let mut report = Report::default();
    let standin = StandIn::start_with(StandInConfig::default()).await;
    standin.set_lean(!args.no_lean);
    let router = Router::start(&standin);
    let data = tmp.join(format!("data-{which:?}"));
    if which == Which::Ours && args.sessions > 0 {
        populate(&data, args.sessions).await;
        report.disk_mib = dir_size(&data) as f64 / 1048576.0;
        eprintln!(
            "  {} sessions stored: {:.1} MiB on disk",
            args.sessions, report.disk_mib
        );
    }
    let log = tmp.join(format!("{which:?}.log"));

    // Start-up: process start → READY (for `serve`: listening) → the first interaction
    // answered.
    let store = if matches!(which, Which::ServePg | Which::ServePg2) {
        Some(support::postgres::fresh_database().await.expect(
            "a PostgreSQL cluster for the serve runs: eval \"$(.ci/postgres start)\" first",
        ))
    } else {
        None
    };
    let t0 = Instant::now();
    let (procs, ready) = if which.workers() == 0 {
        let proc = spawn(which, args, &standin, &data, &log);
        let ready = standin
            .wait_for(Duration::from_secs(30), |s| {
                (s.ready_count() > 0).then(Instant::now)
            })
            .await
            .unwrap_or_else(|| {
                panic!(
                    "{} never became ready:\n{}",
                    which.name(),
                    std::fs::read_to_string(&log).unwrap_or_default()
                )
            });
        (vec![proc], ready)
    } else {
        let signer = support::interactions::Signer::new(3);
        let key = signer.public_key_hex();
        let (procs, addrs): (Vec<Proc>, Vec<std::net::SocketAddr>) = (0..which.workers())
            .map(|i| {
                spawn_serve(
                    args,
                    &standin,
                    &key,
                    &data.join(format!("w{i}")),
                    store.as_deref(),
                    &log.with_extension(format!("w{i}.log")),
                )
            })
            .unzip();
        let balancer = support::interactions::Balancer::new(
            addrs,
            support::interactions::Policy::RoundRobin,
            signer,
        );
        standin.deliver_over_http(move |o| balancer.clone().post(o));
        (procs, Instant::now())
    };
    let pids: Vec<String> = procs.iter().map(Proc::pid).collect();
    let pid = pids[0].clone();
    let cpu_all = |pids: &[String]| {
        pids.iter().fold((0.0, 0.0), |(u, s), p| {
            let (pu, ps) = cpu_secs(p);
            (u + pu, s + ps)
        })
    };
    let switches_all = |pids: &[String]| pids.iter().map(|p| context_switches(p)).sum::<u64>();
    let rss_all = |field: &str| pids.iter().map(|p| status_kib(p, field)).sum::<f64>();
    let show_smaps = || {
        if args.smaps {
            pids.iter().for_each(|pid| print_smaps(which, pid));
        }
    };
    report.start_to_ready_ms = (ready - t0).as_secs_f64() * 1000.0;
    let d = standin
        .send_slash_command(
            SlashCommand::new("activation-check")
                .user(FIRST_USER - 1)
                .in_guild(GUILD, 900_000_000_000_000_002),
        )
        .await;
    let first = router.wait(d.interaction_id).await;
    report.start_to_first_answer_ms = first
        .as_ref()
        .map(|cb| (cb.received_at - t0).as_secs_f64() * 1000.0)
        .unwrap_or(f64::NAN);
    tokio::time::sleep(Duration::from_secs(2)).await;
    report.rss_idle_mib = mib(rss_all("VmRSS"));
    show_smaps();

    let open_loop = (!args.max).then_some(args.rate);
    let shared = Arc::new(Shared {
        standin,
        router,
        issued: AtomicU64::new(0),
        budget: AtomicU64::new(0),
        measuring: AtomicBool::new(false),
        stop: AtomicBool::new(false),
        permits: open_loop.map(|_| Arc::new(Semaphore::new(0))),
        stats: Mutex::new(Stats::default()),
        rng: AtomicU64::new(0x1234_5678),
    });
    let users: Vec<_> = (0..args.users)
        .map(|i| tokio::spawn(user(shared.clone(), i)))
        .collect();

    // Warm-up (not measured), then the measured phase.
    run_phase(&shared, args.warmup, open_loop, args.max_seconds).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    let warm = take_stats(&shared);
    if warm.lost + warm.errors > 0 {
        eprintln!(
            "  warm-up: {} lost, {} errors; first: {:?}",
            warm.lost, warm.errors, warm.first_error
        );
    }
    shared.measuring.store(true, Ordering::SeqCst);
    let me = std::process::id().to_string();
    let ((bu0, bs0), (mu0, ms0)) = (cpu_all(&pids), cpu_secs(&me));
    let cs0 = switches_all(&pids);
    let db0 = database_cpu();
    let by_thread0 = by_thread(&pid);
    let secs = run_phase(&shared, args.clicks, open_loop, args.max_seconds).await;
    let ((bu1, bs1), (mu1, ms1)) = (cpu_all(&pids), cpu_secs(&me));
    let cs1 = switches_all(&pids);
    let db1 = database_cpu();
    if args.threads {
        let clicks = (shared.stats.lock().unwrap().latencies_us.len() as f64).max(1.0);
        let list: Vec<String> = by_thread(&pid)
            .into_iter()
            .map(|(name, (n, cpu))| {
                let (n0, cpu0) = by_thread0.get(&name).copied().unwrap_or((0, 0.0));
                format!(
                    "{name} {:.2} / {:.3}",
                    n.saturating_sub(n0) as f64 / clicks,
                    (cpu - cpu0) / clicks * 1000.0
                )
            })
            .collect();
        eprintln!(
            "  by thread, context switches / CPU ms per click: {}",
            list.join(", ")
        );
    }
    let (bot0, bot1, me0, me1) = (bu0 + bs0, bu1 + bs1, mu0 + ms0, mu1 + ms1);
    shared.measuring.store(false, Ordering::SeqCst);
    shared.stop.store(true, Ordering::SeqCst);
    if let Some(p) = &shared.permits {
        p.close();
    }
    for u in users {
        let _ = tokio::time::timeout(CLICK_TIMEOUT * 2, u).await;
    }
    let s = take_stats(&shared);
    let mut lat = s.latencies_us.clone();
    lat.sort_unstable();
    let n = lat.len().max(1);
    let q = |p: f64| {
        lat.get(((n as f64 * p) as usize).min(n - 1))
            .copied()
            .unwrap_or(0) as f64
            / 1000.0
    };
    report.clicks = lat.len() as u64;
    report.seconds = secs;
    report.clicks_per_s = lat.len() as f64 / secs;
    report.p50_ms = q(0.50);
    report.p90_ms = q(0.90);
    report.p99_ms = q(0.99);
    report.max_ms = lat.last().copied().unwrap_or(0) as f64 / 1000.0;
    report.mean_ms = lat.iter().sum::<u64>() as f64 / n as f64 / 1000.0;
    let k = lat.len().max(1) as f64 / 1000.0;
    report.bot_cpu_per_1000 = (bot1 - bot0) / k;
    report.bot_user_per_1000 = (bu1 - bu0) / k;
    report.bot_sys_per_1000 = (bs1 - bs0) / k;
    report.response_bytes = s.response_bytes as f64 / lat.len().max(1) as f64;
    report.bot_cpu_util = (bot1 - bot0) / secs;
    report.bot_switches_per_click = cs1.saturating_sub(cs0) as f64 / lat.len().max(1) as f64;
    report.harness_cpu_per_1000 = (me1 - me0) / k;
    report.harness_cpu_util = (me1 - me0) / secs;
    report.db_cpu_per_1000 = if store.is_some() {
        (db1 - db0) / k
    } else {
        0.0
    };
    report.lost = s.lost;
    report.errors = s.errors;
    report.slash = s.slash;
    report.buttons = s.buttons;
    report.cards = s.cards;
    report.first_error = s.first_error;
    tokio::time::sleep(Duration::from_secs(1)).await;
    report.rss_after_mib = mib(rss_all("VmRSS"));
    show_smaps();
    report.hwm_after_mib = mib(rss_all("VmHWM"));
    drop(procs);
    if which == Which::Ours {
        report.disk_mib = dir_size(&data) as f64 / 1048576.0;
    }
    let log_text = std::fs::read_to_string(&log).unwrap_or_default();
    let log_lines = log_text.lines().count();
    if log_lines > 0 {
        eprintln!(
            "  {} wrote {log_lines} log lines; the first ones:",
            which.name()
        );
        for l in log_text.lines().take(5) {
            eprintln!("    {l}");
        }
    }
    report
}

/// Stores `n` finished sessions through the library's store, as the bot would have.
async fn populate(dir: &Path, n: u64) {
    use futures::StreamExt;
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let k = knowledge::load(
        &root.join("rules/activation-check.toml"),
        &root.join("i18n"),
        "en-US",
    )
    .expect("the shipped rules load");
    let rules = k.rules.clone();
    let store = Arc::new(SledStore::open(dir, StoreOptions::default()).expect("the store opens"));
    let now = activation_check::clock::unix_now();
    let t = Instant::now();
    futures::stream::iter(0..n)
        .map(|i| {
            let store = store.clone();
            let rules = rules.clone();
            async move {
                let mut w = Walk::start(&rules);
                let mut x = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
                while let Position::Asking(_, q) = w.position(&rules) {
                    x = x
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    w = w
                        .answer(&rules, (x >> 33) as usize % q.choices.len())
                        .expect("a valid choice");
                }
                let mut r = SessionRecord::new(
                    &rules.meta.version,
                    if i % 2 == 0 { "ja" } else { "en-US" },
                    now - 3600,
                );
                r.answers = w.answers(&rules);
                r.step = r.answers.len() as u64;
                // As the bot would have written them: in time order over the last hour,
                // by users whose ids are scattered (snowflakes of people who joined at
                // different times), none of them a user of the load below.
                r.updated_at = now - 3600 + (i * 3600 / n) as i64;
                let user = STORED_USER + (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) & ((1 << 40) - 1));
                let key = SessionKey::new(Scope::Guild(GUILD), user.to_string());
                store.put(&key, &r).await.expect("the session is stored");
            }
        })
        .buffer_unordered(64)
        .collect::<()>()
        .await;
    // As the bot leaves its store when it stops.
    store
        .checkpoint(Duration::from_secs(30))
        .expect("the store checkpoints");
    eprintln!(
        "  stored {n} sessions in {:.1} s",
        t.elapsed().as_secs_f64()
    );
}

fn ratio(a: f64, b: f64) -> String {
    if b > 0.0 && a.is_finite() {
        format!("{:.2}×", a / b)
    } else {
        "–".to_owned()
    }
}

/// A line of the table: its name, the value, the digits shown.
type Row = (&'static str, fn(&Report) -> f64, usize);

fn print(reports: &[(Which, Report)], args: &Args) {
    let mode = if args.max {
        "closed loop (max throughput)".to_owned()
    } else {
        format!("open loop at {} clicks/s", args.rate)
    };
    println!();
    println!(
        "{mode}; {} users; {} measured clicks per bot after {} warm-up; {} stored sessions; \
         floor depth {}, pad {}",
        args.users, args.clicks, args.warmup, args.sessions, args.floor_depth, args.floor_pad
    );
    let get = |w: Which| reports.iter().find(|(x, _)| *x == w).map(|(_, r)| r);
    let (ours, floor, sized) = (get(Which::Ours), get(Which::Floor), get(Which::Sized));
    let rows: Vec<Row> = vec![
        ("clicks measured", |r| r.clicks as f64, 0),
        ("sustained clicks/s", |r| r.clicks_per_s, 1),
        ("latency p50 (ms)", |r| r.p50_ms, 3),
        ("latency p90 (ms)", |r| r.p90_ms, 3),
        ("latency p99 (ms)", |r| r.p99_ms, 3),
        ("latency max (ms)", |r| r.max_ms, 3),
        ("latency mean (ms)", |r| r.mean_ms, 3),
        ("bot CPU s / 1,000 clicks", |r| r.bot_cpu_per_1000, 3),
        ("  of which user", |r| r.bot_user_per_1000, 3),
        ("  of which system", |r| r.bot_sys_per_1000, 3),
        ("bot CPU (cores busy)", |r| r.bot_cpu_util, 2),
        (
            "bot context switches / click",
            |r| r.bot_switches_per_click,
            1,
        ),
        (
            "stand-in+driver CPU s / 1,000 clicks",
            |r| r.harness_cpu_per_1000,
            3,
        ),
        (
            "stand-in+driver CPU (cores busy)",
            |r| r.harness_cpu_util,
            2,
        ),
        ("mean answer size (JSON bytes)", |r| r.response_bytes, 0),
        ("VmRSS idle after READY (MiB)", |r| r.rss_idle_mib, 1),
        ("VmRSS after the load (MiB)", |r| r.rss_after_mib, 1),
        ("VmHWM peak (MiB)", |r| r.hwm_after_mib, 1),
        ("process start → READY (ms)", |r| r.start_to_ready_ms, 1),
        (
            "process start → first answer (ms)",
            |r| r.start_to_first_answer_ms,
            1,
        ),
        ("data dir on disk (MiB)", |r| r.disk_mib, 1),
        ("lost clicks", |r| r.lost as f64, 0),
        ("refused/outdated clicks", |r| r.errors as f64, 0),
    ];
    println!(
        "| measure | activation-check | floor | same-size floor | ours / floor | ours / same-size |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for (name, f, digits) in &rows {
        let cell = |r: Option<&Report>| {
            r.map(|r| format!("{:.*}", *digits, f(r)))
                .unwrap_or_else(|| "–".into())
        };
        let versus = |base: Option<&Report>| match (ours, base) {
            (Some(o), Some(b)) => ratio(f(o), f(b)),
            _ => "–".into(),
        };
        println!(
            "| {name} | {} | {} | {} | {} | {} |",
            cell(ours),
            cell(floor),
            cell(sized),
            versus(floor),
            versus(sized)
        );
    }
    for (w, r) in reports {
        println!(
            "{}: {} slash commands, {} buttons, {} cards reached",
            w.name(),
            r.slash,
            r.buttons,
            r.cards
        );
        if let Some(e) = &r.first_error {
            println!("{}: first problem: {e}", w.name());
        }
    }
}

fn main() {
    let args = Args::parse();
    let which: Vec<Which> = match args.only.as_str() {
        "all" => vec![Which::Floor, Which::Sized, Which::Ours],
        "both" => vec![Which::Floor, Which::Ours],
        "scale" => vec![
            Which::Floor,
            Which::Ours,
            Which::Serve,
            Which::ServePg,
            Which::ServePg2,
        ],
        list => list
            .split(',')
            .map(|w| match w.trim() {
                "ours" => Which::Ours,
                "floor" => Which::Floor,
                "sized" => Which::Sized,
                "serve" => Which::Serve,
                "serve-pg" => Which::ServePg,
                "serve-pg2" => Which::ServePg2,
                other => panic!(
                    "--only: unknown bot {other:?} (ours, floor, sized, serve, serve-pg, \
                     serve-pg2, all, both, scale)"
                ),
            })
            .collect(),
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let tmp = tempfile::tempdir().expect("a temporary directory");
    let mut reports = Vec::new();
    if args.together {
        let names: Vec<&str> = which.iter().map(|w| w.name()).collect();
        eprintln!("running {} at the same time …", names.join(", "));
        let runs = which.iter().map(|&w| {
            let (args, tmp) = (&args, tmp.path());
            async move { (w, run_bot(w, args, tmp).await) }
        });
        reports = rt.block_on(futures::future::join_all(runs));
    } else {
        for w in which {
            eprintln!("running {} …", w.name());
            let r = rt.block_on(run_bot(w, &args, tmp.path()));
            eprintln!(
                "  done: {:.0} clicks/s, p99 {:.3} ms",
                r.clicks_per_s, r.p99_ms
            );
            reports.push((w, r));
        }
    }
    if reports.iter().any(|(w, _)| w.workers() > 0) {
        print_columns(&reports, &args);
    } else {
        print(&reports, &args);
    }
}

/// The table with one column per run (for `serve` and its stores beside `run`).
fn print_columns(reports: &[(Which, Report)], args: &Args) {
    let mode = if args.max {
        "closed loop (max throughput)".to_owned()
    } else {
        format!("open loop at {} clicks/s", args.rate)
    };
    println!();
    println!(
        "{mode}; {} users; {} measured clicks per run after {} warm-up",
        args.users, args.clicks, args.warmup
    );
    let rows: Vec<Row> = vec![
        ("clicks measured", |r| r.clicks as f64, 0),
        ("sustained clicks/s", |r| r.clicks_per_s, 1),
        ("latency p50 (ms)", |r| r.p50_ms, 3),
        ("latency p99 (ms)", |r| r.p99_ms, 3),
        (
            "bot CPU s / 1,000 clicks (all workers)",
            |r| r.bot_cpu_per_1000,
            3,
        ),
        ("PostgreSQL CPU s / 1,000 clicks", |r| r.db_cpu_per_1000, 3),
        ("bot CPU (cores busy)", |r| r.bot_cpu_util, 2),
        (
            "stand-in+driver CPU s / 1,000 clicks",
            |r| r.harness_cpu_per_1000,
            3,
        ),
        (
            "VmRSS after the load (MiB, all workers)",
            |r| r.rss_after_mib,
            1,
        ),
        ("lost clicks", |r| r.lost as f64, 0),
        ("refused/outdated clicks", |r| r.errors as f64, 0),
    ];
    let names: Vec<&str> = reports.iter().map(|(w, _)| w.name()).collect();
    println!("| measure | {} |", names.join(" | "));
    println!("|---|{}", "---:|".repeat(names.len()));
    for (name, f, digits) in &rows {
        let cells: Vec<String> = reports
            .iter()
            .map(|(_, r)| format!("{:.*}", *digits, f(r)))
            .collect();
        println!("| {name} | {} |", cells.join(" | "));
    }
    for (w, r) in reports {
        if let Some(e) = &r.first_error {
            println!("{}: first problem: {e}", w.name());
        }
    }
}
