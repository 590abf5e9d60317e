//! Crash safety under load: many users walk whole conversations through the Discord
//! stand-in while the real bot binary is killed with SIGKILL at random moments and
//! restarted on the same data directory.
//!
//! What "reached Discord" means here is exact: a step is *acknowledged* when the stand-in
//! accepted its callback (204) and so shows the new message. The driver only clicks while
//! a bot instance is up; after a kill it waits until every click sent to the dead instance
//! is settled (its callback arrived, or the process is gone and nothing came), and only
//! then is the next instance started. So at every kill the test knows, for each user, every
//! acknowledged step and when it was acknowledged, and the one click, if any, whose reply
//! never arrived.
//!
//! **No step a user can see is lost.** A step lives in the buttons of the message showing
//! it (they carry the conversation's answers); the store holds resume points, written
//! behind the replies in groups. After each restart the users continue on the messages
//! Discord shows, the instant their think time allows (often 0 ms): an unanswered click is
//! clicked again and must give the same result as if it had been answered (idempotent per
//! step), and every reply is compared with a model of the conversation built from the
//! library's own rules, texts and layout (question or card title, and every button's
//! custom_id `ac1:<verb>:<owner>:<tag>:<step>:<place>:<answers>...`, so the step and the
//! answers too). Any click that fails or is answered otherwise fails the test.
//!
//! **What a kill may lose is bounded.** With the bot down the test opens the data directory
//! itself and checks every record:
//!
//! - every record is readable (as many live sessions as users, every key decodes);
//! - each stored resume point is a state that user was shown (the step and exactly its
//!   answers), or the result of their one unanswered click (exactly that click, as
//!   `last_input`, with exactly its answers);
//! - it is never older than the last step acknowledged [`DURABLE_WITHIN`] before the kill:
//!   only the last group of resume points can be lost. How far behind Discord the stored
//!   points were is counted and printed.
//!
//! After the last kill (made once the bot had been idle for a while) the store holds
//! exactly what Discord shows, and `/activation-check` offers to continue there.
//!
//! Reproduce a run with the seed it prints: `SOAK_SEED=<seed>` fixes every user's choices,
//! think times and the kill schedule (the exact interleaving with the bot still varies).
//! `SOAK_USERS` and `SOAK_KILLS` override the sizes.
//!
//! - CI (runs with every `cargo test`): `cargo test --test soak -- --nocapture`: 50 users,
//!   20 kills, about 30 s on two cores.
//! - Full: `cargo test --test soak -- --ignored --nocapture`: 200 users, 100 kills, about
//!   3 minutes on two cores.
//!
//! The figures are printed (with `--nocapture`); one summary line goes straight to standard
//! error, so it shows even when the output is captured.

mod support;

use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use activation_check::conversation::Input;
use tokio::sync::watch;

use support::model::{
    ask, button, callback_data, custom_id_for, open_store, percentile, record, verb_id, Bot, Model,
    Rng, Router, Shown, User, THREE_SECONDS,
};
use support::standin::{CallbackRecord, StandIn};

/// How long after a SIGKILL a callback of the dead process may still be in the stand-in's
/// socket buffer; after this, an unanswered click counts as never having reached Discord.
const GRACE: Duration = Duration::from_millis(150);
/// A click that gets no reply this long while its bot instance is up fails the test.
const CLICK_TIMEOUT: Duration = Duration::from_secs(15);
/// A step acknowledged this long before a kill must have been saved durably: the bot
/// writes a group every 50 ms, and a flush on a slow virtual disk takes up to a few
/// hundred milliseconds; this leaves room for a VM that stalls.
const DURABLE_WITHIN: Duration = Duration::from_secs(3);
/// How long the bot is left idle before the last kill, so it has written everything.
const IDLE_BEFORE_LAST_KILL: Duration = Duration::from_secs(1);

struct Soak {
    users: usize,
    kills: usize,
    seed: u64,
    /// How long each bot instance runs before it is killed, in ms.
    uptime: (u64, u64),
    /// A user's pause between clicks, in ms.
    think: (u64, u64),
}

impl Soak {
    /// `users` users and `kills` kills unless `SOAK_USERS`/`SOAK_KILLS` say otherwise, the
    /// seed from `SOAK_SEED` (or a fresh one).
    fn from_env(users: usize, kills: usize, uptime: (u64, u64), think: (u64, u64)) -> Soak {
        Soak {
            users: support::model::env_usize("SOAK_USERS", users),
            kills: support::model::env_usize("SOAK_KILLS", kills),
            seed: support::model::seed_from_env("SOAK_SEED"),
            uptime,
            think,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_at_random_moments_loses_no_acknowledged_step() {
    run(Soak::from_env(50, 20, (250, 1000), (0, 40))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "long (about 3 minutes): 200 users, 100 kills; run with --ignored"]
async fn sigkill_soak_full() {
    run(Soak::from_env(200, 100, (150, 1500), (0, 80))).await;
}

/// Which bot instance is serving, and whether its clicks are settled.
#[derive(Debug, Clone, Copy, Default)]
struct Phase {
    /// Counts bot instances; clicks are tagged with the instance they were sent to.
    instance: u64,
    up: bool,
    /// Clicks sent to instances up to this one are settled: the instance is dead and
    /// anything it sent has arrived.
    settled: u64,
    /// No more kills: users finish what they are doing.
    stop: bool,
}

/// One user as the driver knows them.
struct UserState {
    /// The acknowledged state: the model after the last step that reached Discord.
    user: User,
    /// A click whose reply never reached Discord; it is clicked again.
    pending: Option<Input>,
    /// Every acknowledged state, by step (the conversations start at step 0), and when
    /// it was acknowledged.
    shown: Vec<(activation_check::engine::Walk, Instant)>,
}

#[derive(Default)]
struct Stats {
    clicks: u64,
    acknowledged: u64,
    reclicked: u64,
    saved_unacknowledged: u64,
    /// Resume points found behind what Discord showed after a kill, and the largest gap
    /// between the step Discord showed and the stored one's acknowledgement.
    resume_points_behind: u64,
    largest_lag: Duration,
    cards: u64,
    restarts: u64,
    backs: u64,
    killed_with_clicks_in_flight: u64,
    latencies: Vec<Duration>,
    failures: Vec<String>,
}

struct Shared {
    standin: Arc<StandIn>,
    router: Arc<Router>,
    model: Model,
    phase: watch::Sender<Phase>,
    /// Clicks sent and not yet settled; changed together with `phase.up`.
    in_flight: Mutex<usize>,
    /// When the last instance was taken down (just before its SIGKILL).
    down_at: Mutex<Option<Instant>>,
    users: Vec<Mutex<UserState>>,
    stats: Mutex<Stats>,
    think: (u64, u64),
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

const USER_BASE: u64 = 940_000_000_000_000_000;

async fn run(cfg: Soak) {
    let started = Instant::now();
    println!(
        "soak: seed {:#x} (SOAK_SEED={:#x} reproduces it), {} users, {} kills",
        cfg.seed, cfg.seed, cfg.users, cfg.kills
    );
    let standin = Arc::new(StandIn::start().await);
    // Dispatch without waiting for a live connection: the driver itself only clicks while
    // an instance is up, and a click racing a kill must not block (it is then lost, as on
    // Discord, and clicked again).
    standin.set_dispatch_wait(Duration::ZERO);
    let (router, router_task) = Router::spawn(standin.clone());
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let mut bot = Some(Bot::start(&standin, &dir).await);
    let model = Model::load();

    // Everyone opens a conversation before the kills start.
    let mut users = Vec::new();
    for i in 0..cfg.users {
        let id = USER_BASE + i as u64;
        let locale = if i % 3 == 2 { "ja" } else { "en-US" };
        let d = standin.send_slash_command(ask(id, locale)).await;
        users.push((id, locale, d.interaction_id));
    }
    let mut states = Vec::new();
    for (id, locale, interaction) in users {
        let Some(cb) = router.first(interaction, CLICK_TIMEOUT).await else {
            panic!(
                "user {id}: no first question (interaction {interaction}); gateway live {}, \
                 readies {}, connections {}\n--- bot log ---\n{}",
                standin.gateway_live(),
                standin.ready_count(),
                standin.connection_count(),
                bot.as_ref().map(Bot::log).unwrap_or_default()
            );
        };
        assert!(cb.accepted && cb.latency < THREE_SECONDS, "{cb:?}");
        let walk = activation_check::engine::Walk::start(&model.k.rules);
        assert_eq!(
            Shown::from_json(&callback_data(&cb)),
            model.shown(&walk, 0, id, locale)
        );
        let message = standin.original_response(interaction).unwrap().id;
        states.push(Mutex::new(UserState {
            user: User {
                id,
                locale,
                walk: walk.clone(),
                step: 0,
                message,
            },
            pending: None,
            shown: vec![(walk, Instant::now())],
        }));
    }

    let shared = Arc::new(Shared {
        standin: standin.clone(),
        router,
        model,
        phase: watch::Sender::new(Phase {
            instance: 1,
            up: true,
            settled: 0,
            stop: false,
        }),
        in_flight: Mutex::new(0),
        down_at: Mutex::new(None),
        users: states,
        stats: Mutex::new(Stats::default()),
        think: cfg.think,
    });
    let mut tasks = Vec::new();
    for i in 0..cfg.users {
        let rng = Rng::new(cfg.seed ^ (i as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15));
        tasks.push(tokio::spawn(drive(shared.clone(), i, rng)));
    }

    // The killer.
    let mut rng = Rng::new(cfg.seed);
    for k in 0..cfg.kills {
        tokio::time::sleep(Duration::from_millis(rng.range(cfg.uptime.0, cfg.uptime.1))).await;
        let in_flight = {
            let n = lock(&shared.in_flight);
            *lock(&shared.down_at) = Some(Instant::now());
            shared.phase.send_modify(|p| p.up = false);
            *n
        };
        bot.take().expect("a running bot").kill();
        tokio::time::sleep(GRACE).await;
        shared.phase.send_modify(|p| p.settled = p.instance);
        wait_settled(&shared).await;
        let found = inspect(&shared, &dir, false);
        {
            let mut s = lock(&shared.stats);
            s.saved_unacknowledged += found.saved;
            s.resume_points_behind += found.behind;
            s.largest_lag = s.largest_lag.max(found.lag);
            s.killed_with_clicks_in_flight += u64::from(in_flight > 0);
        }
        println!(
            "kill {:>3}: {in_flight:>3} click(s) in flight, {} saved but unacknowledged, {} \
             resume point(s) behind Discord (by up to {:?})",
            k + 1,
            found.saved,
            found.behind,
            found.lag
        );
        bot = Some(Bot::start(&standin, &dir).await);
        shared.phase.send_modify(|p| {
            p.instance += 1;
            p.up = true;
        });
    }
    shared.phase.send_modify(|p| p.stop = true);
    for t in tasks {
        t.await.expect("a user task");
    }

    // A last kill with nothing in flight, once the bot has been idle long enough to
    // write its last group: the store holds exactly what Discord shows.
    tokio::time::sleep(IDLE_BEFORE_LAST_KILL).await;
    let last = bot.take().unwrap();
    last.kill();
    inspect(&shared, &dir, true);

    // A fresh instance: `/activation-check` offers to continue exactly where each
    // unfinished conversation stands, and Continue shows that question.
    let bot = Bot::start(&standin, &dir).await;
    let mut resumed = 0;
    for state in &shared.users {
        let u = lock(state).user.clone();
        if shared.model.is_done(&u.walk) || u.walk.answered() == 0 {
            continue;
        }
        let d = standin.send_slash_command(ask(u.id, u.locale)).await;
        let cb = support::model::accepted(&standin, d.interaction_id).await;
        let offer = Shown::from_json(&callback_data(&cb));
        let cont = verb_id(&offer, 'c');
        assert_eq!(
            support::model::step_of(&cont),
            Some(u.step),
            "user {}",
            u.id
        );
        let mut on_offer = u.clone();
        on_offer.message = standin.original_response(d.interaction_id).unwrap().id;
        let d = standin.send_component(button(&on_offer, &cont)).await;
        let cb = support::model::accepted(&standin, d.interaction_id).await;
        assert_eq!(
            Shown::from_json(&callback_data(&cb)),
            shared.model.shown(&u.walk, u.step, u.id, u.locale),
            "user {} continues where Discord last showed them",
            u.id
        );
        resumed += 1;
    }
    let violations = standin.violations();
    let log = bot.kill();
    router_task.abort();

    let mut stats = std::mem::take(&mut *lock(&shared.stats));
    let elapsed = started.elapsed();
    let p50 = percentile(&mut stats.latencies, 50);
    let p99 = percentile(&mut stats.latencies, 99);
    let max = stats.latencies.last().copied().unwrap_or_default();
    println!(
        "soak: {} users, {} kills ({} with clicks in flight), {} clicks, {} steps acknowledged, \
         {} replies lost to a kill and clicked again, {} of them saved before the kill \
         (answered the same on the second click), {} cards reached, {} Start over, {} Back, \
         {} conversations continued after the last restart; {} resume points found behind \
         Discord after a kill (the last group), the oldest acknowledged {:?} before its kill",
        cfg.users,
        cfg.kills,
        stats.killed_with_clicks_in_flight,
        stats.clicks,
        stats.acknowledged,
        stats.reclicked,
        stats.saved_unacknowledged,
        stats.cards,
        stats.restarts,
        stats.backs,
        resumed,
        stats.resume_points_behind,
        stats.largest_lag
    );
    println!("soak: callback latency p50 {p50:?}, p99 {p99:?}, max {max:?}");
    assert!(
        stats.failures.is_empty(),
        "{} failure(s):\n{}\n--- last bot log ---\n{log}",
        stats.failures.len(),
        stats.failures.join("\n")
    );
    assert!(violations.is_empty(), "{violations:#?}");
    assert!(max < THREE_SECONDS, "a reply took {max:?}");
    assert!(stats.acknowledged > 0 && stats.cards > 0);
    // Written to the stream itself: the test harness captures `eprintln!`, not this.
    let _ = writeln!(
        std::io::stderr(),
        "soak summary: seed {:#x}, {} users, {} kills survived, {} steps acknowledged, \
         {} lost replies clicked again ({} already saved), steps lost: 0, unreadable records: 0, \
         resume points behind after a kill: {} (up to {:?}), p99 {p99:?}, {:.1} s",
        cfg.seed,
        cfg.users,
        cfg.kills,
        stats.acknowledged,
        stats.reclicked,
        stats.saved_unacknowledged,
        stats.resume_points_behind,
        stats.largest_lag,
        elapsed.as_secs_f64()
    );
}

/// What a user does next where they stand: mostly answer, sometimes Back or Start over; at a
/// card, mostly Start over (and walk again).
fn choose(model: &Model, u: &User, rng: &mut Rng) -> Input {
    match model.question(&u.walk) {
        Some((node, n)) => {
            if u.walk.answered() > 0 && rng.chance(10) {
                Input::Back
            } else if rng.chance(4) {
                Input::Restart
            } else {
                Input::Answer {
                    node,
                    choice: rng.range(0, n as u64) as usize,
                }
            }
        }
        None if rng.chance(80) => Input::Restart,
        None => Input::Back,
    }
}

enum Outcome {
    Reply(CallbackRecord),
    Lost,
}

async fn drive(shared: Arc<Shared>, idx: usize, mut rng: Rng) {
    let model = &shared.model;
    let mut phase = shared.phase.subscribe();
    loop {
        // What to click: the unanswered click again, else a new choice.
        let (input, again) = {
            let st = lock(&shared.users[idx]);
            match &st.pending {
                Some(i) => (i.clone(), true),
                None if phase.borrow().stop => return,
                None => (choose(model, &st.user, &mut rng), false),
            }
        };
        if !again {
            let ms = rng.range(shared.think.0, shared.think.1);
            tokio::time::sleep(Duration::from_millis(ms)).await;
        }
        // Only while an instance is up; counted in flight together with that check.
        let instance = loop {
            {
                let mut n = lock(&shared.in_flight);
                let p = *phase.borrow_and_update();
                if p.up {
                    *n += 1;
                    break p.instance;
                }
            }
            if phase.changed().await.is_err() {
                return;
            }
        };
        let (user, custom_id) = {
            let st = lock(&shared.users[idx]);
            let shown = Shown::from_message(
                &shared
                    .standin
                    .message(st.user.message)
                    .expect("the user's message"),
            );
            // Discord shows the last acknowledged step, and the click is made there.
            assert_eq!(shown.step(), Some(st.user.step), "user {}", st.user.id);
            (st.user.clone(), custom_id_for(&shown, &input))
        };
        let sent_at = Instant::now();
        let d = shared
            .standin
            .send_component(button(&user, &custom_id))
            .await;
        lock(&shared.stats).clicks += 1;
        let mut settled = shared.phase.subscribe();
        let outcome = tokio::select! {
            cb = shared.router.first(d.interaction_id, CLICK_TIMEOUT) => match cb {
                Some(cb) => Outcome::Reply(cb),
                None => {
                    fail(&shared, format!(
                        "user {}: no reply to {custom_id} within {CLICK_TIMEOUT:?} while the bot was up",
                        user.id
                    ));
                    Outcome::Lost
                }
            },
            _ = settled.wait_for(|p| p.settled >= instance) => {
                match shared.router.all(d.interaction_id).into_iter().next() {
                    Some(cb) => Outcome::Reply(cb),
                    None => Outcome::Lost,
                }
            }
        };
        {
            let mut st = lock(&shared.users[idx]);
            match outcome {
                Outcome::Lost => {
                    // Lost to the kill, not to a bot that stopped answering while it ran.
                    let down = lock(&shared.down_at).unwrap_or(sent_at);
                    if down.saturating_duration_since(sent_at) > THREE_SECONDS {
                        fail(
                            &shared,
                            format!(
                                "user {}: no reply to {custom_id} in the {:?} before the kill",
                                user.id,
                                down - sent_at
                            ),
                        );
                    }
                    st.pending = Some(input);
                    lock(&shared.stats).reclicked += 1;
                }
                Outcome::Reply(cb) if !cb.accepted => {
                    fail(
                        &shared,
                        format!(
                            "user {}: Discord refused the reply to {custom_id}: {} {:?}",
                            user.id, cb.status, cb.body
                        ),
                    );
                    st.pending = Some(input);
                }
                Outcome::Reply(cb) => {
                    let walk = model.after(&user.walk, &input);
                    let expected = model.shown(&walk, user.step + 1, user.id, user.locale);
                    let got = Shown::from_json(&callback_data(&cb));
                    if cb.response_type != Some(7) || got != expected {
                        fail(
                            &shared,
                            format!(
                                "user {}: {custom_id}{} answered with type {:?}\n  got      {got:?}\n  expected {expected:?}",
                                user.id,
                                if again { " (clicked again)" } else { "" },
                                cb.response_type
                            ),
                        );
                    }
                    let mut s = lock(&shared.stats);
                    s.acknowledged += 1;
                    s.latencies.push(cb.latency);
                    if model.is_done(&walk) {
                        s.cards += 1;
                    }
                    match input {
                        Input::Restart => s.restarts += 1,
                        Input::Back => s.backs += 1,
                        Input::Answer { .. } => {}
                    }
                    st.shown.push((walk.clone(), Instant::now()));
                    st.user.walk = walk;
                    st.user.step += 1;
                    st.pending = None;
                }
            }
        }
        *lock(&shared.in_flight) -= 1;
    }
}

fn fail(shared: &Shared, what: String) {
    eprintln!("FAILURE: {what}");
    lock(&shared.stats).failures.push(what);
}

/// Waits until every click sent to the killed instance is settled.
async fn wait_settled(shared: &Shared) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while *lock(&shared.in_flight) > 0 {
        assert!(
            Instant::now() < deadline,
            "clicks still unsettled 30 s after a kill: {}\n{}",
            lock(&shared.in_flight),
            lock(&shared.stats).failures.join("\n")
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// What one inspection found.
struct Found {
    /// Users whose one unanswered click was saved before the kill.
    saved: u64,
    /// Users whose stored resume point is behind the step Discord shows.
    behind: u64,
    /// The largest time between the acknowledgement of the stored step's successor and
    /// the kill, over the users behind.
    lag: Duration,
}

/// With the bot down: every record readable, and each user's stored resume point a state
/// they were shown (or the result of their one unanswered click), no older than the last
/// step acknowledged [`DURABLE_WITHIN`] before the kill; with `exact`, the acknowledged one.
fn inspect(shared: &Shared, dir: &Path, exact: bool) -> Found {
    let store = open_store(dir);
    let keys = store
        .keys()
        .collect::<Result<Vec<_>, _>>()
        .expect("every key reads");
    assert_eq!(keys.len(), shared.users.len(), "one record per user");
    assert_eq!(
        store.len().expect("the store reads"),
        shared.users.len(),
        "every record is readable"
    );
    let killed_at = lock(&shared.down_at).unwrap_or_else(Instant::now);
    let model = &shared.model;
    let mut found = Found {
        saved: 0,
        behind: 0,
        lag: Duration::ZERO,
    };
    for state in &shared.users {
        let st = lock(state);
        let u = &st.user;
        let shown = Shown::from_message(&shared.standin.message(u.message).unwrap());
        assert_eq!(
            shown.step(),
            Some(u.step),
            "user {}: Discord shows the acknowledged step",
            u.id
        );
        let rec = record(&store, u.id);
        if rec.step <= u.step && !(exact && rec.step < u.step) {
            let (walk, _) = &st.shown[rec.step as usize];
            assert!(
                model.answers_match(walk, &rec),
                "user {}: step {} stored with other answers than were shown: {rec:?} vs {walk:?}",
                u.id,
                rec.step,
            );
            if rec.step < u.step {
                // Only the last group may be missing: the step after the stored one was
                // acknowledged shortly before the kill.
                let (_, next_acked) = st.shown[rec.step as usize + 1];
                let lag = killed_at.saturating_duration_since(next_acked);
                assert!(
                    lag < DURABLE_WITHIN,
                    "user {}: stored step {} but step {} was acknowledged {lag:?} before the \
                     kill (Discord shows {})",
                    u.id,
                    rec.step,
                    rec.step + 1,
                    u.step
                );
                found.behind += 1;
                found.lag = found.lag.max(lag);
            }
        } else if rec.step == u.step + 1 && !exact {
            let input = st.pending.as_ref().unwrap_or_else(|| {
                panic!(
                    "user {}: stored step {} is ahead of acknowledged {} without a lost click",
                    u.id, rec.step, u.step
                )
            });
            assert_eq!(rec.last_input.as_deref(), Some(input.key().as_str()));
            assert!(model.answers_match(&model.after(&u.walk, input), &rec));
            found.saved += 1;
        } else {
            panic!(
                "user {}: acknowledged step {} but the store has step {} (exact: {exact}) {rec:?}",
                u.id, u.step, rec.step,
            );
        }
    }
    found
}
