//! Concurrency against the real bot binary: simultaneous clicks on the same step move a
//! conversation exactly once, and one user flooding clicks neither blocks nor noticeably
//! slows anyone else (users never share a lock; a flooder's surplus is refused at once).
//!
//! Latency here is the stand-in's: from the dispatch of an interaction to the arrival of
//! its callback. The bound asserted is generous (isolation, not speed: speed targets live in
//! the benchmarks).
//!
//! `cargo test --test concurrency -- --nocapture` prints the figures.

mod support;

use std::time::Duration;

use activation_check::conversation::Input;
use futures::future::join_all;

use support::bot::{assert_no_violations, started};
use support::model::{
    accepted, button, callback_data, custom_id_for, open_store, percentile, record, start_user,
    step, Model, Shown, User, THREE_SECONDS,
};
use support::standin::{CallbackRecord, StandIn};

const USER: u64 = 950_000_000_000_000_001;

/// How one of several simultaneous clicks was answered.
#[derive(Debug, PartialEq, Eq)]
enum Answer {
    /// The message now shows this state (the click that moved, or a repeat of it).
    State(Shown),
    /// "That button was from an earlier step", with the current state.
    Outdated(Shown),
    /// "Your earlier clicks are still being handled", as a separate ephemeral message.
    Busy,
}

fn classify(model: &Model, locale: &str, cb: &CallbackRecord) -> Answer {
    let data = callback_data(cb);
    let shown = Shown::from_json(&data);
    let outdated = model.text(locale, "outdated-click");
    let busy = model.text(locale, "error-busy");
    match cb.response_type {
        Some(7) if shown.content.is_empty() => Answer::State(shown),
        Some(7) if shown.content == outdated => Answer::Outdated(Shown {
            content: String::new(),
            ..shown
        }),
        Some(4) if shown.content == busy && data["flags"].as_u64() == Some(64) => Answer::Busy,
        _ => panic!("neither the state, `outdated` nor `busy`: {cb:?}"),
    }
}

/// Dispatches a click on each of `custom_ids` back to back (as Discord delivers a double
/// click, or the same button pressed on two devices), then collects the answers.
async fn burst(
    standin: &StandIn,
    model: &Model,
    user: &User,
    custom_ids: &[String],
) -> Vec<(Answer, CallbackRecord)> {
    let clicks: Vec<_> = custom_ids.iter().map(|id| button(user, id)).collect();
    let sent = standin.send_components(&clicks).await;
    let mut out = Vec::new();
    for d in sent {
        let cb = accepted(standin, d.interaction_id).await;
        assert_eq!(
            standin.callbacks_for(d.interaction_id).len(),
            1,
            "one callback per interaction"
        );
        assert!(cb.latency < THREE_SECONDS, "late: {:?}", cb.latency);
        out.push((classify(model, user.locale, &cb), cb));
    }
    out
}

/// Applies the one transition a burst of `inputs` may make: every answer shows the same
/// state, which is the model after exactly one of the inputs at the next step.
fn one_transition(
    model: &Model,
    user: &mut User,
    inputs: &[Input],
    answers: &[(Answer, CallbackRecord)],
) -> usize {
    let states: Vec<&Shown> = answers
        .iter()
        .filter_map(|(a, _)| match a {
            Answer::State(s) | Answer::Outdated(s) => Some(s),
            Answer::Busy => None,
        })
        .collect();
    assert!(
        answers.iter().any(|(a, _)| matches!(a, Answer::State(_))),
        "one click moved the conversation: {answers:#?}"
    );
    let first = states[0];
    assert!(
        states.iter().all(|s| *s == first),
        "every reply shows the same single move, never a second one: {answers:#?}"
    );
    let winner = inputs
        .iter()
        .find(|i| {
            model.shown(
                &model.after(&user.walk, i),
                user.step + 1,
                user.id,
                user.locale,
            ) == *first
        })
        .unwrap_or_else(|| {
            panic!(
                "the state shown is one move from step {}: {first:?}",
                user.step
            )
        });
    user.moved(model.after(&user.walk, winner));
    answers.iter().filter(|(a, _)| *a == Answer::Busy).count()
}

/// The inputs of one round: the same button several times, or different buttons of the
/// same step (two devices).
fn round(model: &Model, user: &User, r: usize) -> Vec<Input> {
    match model.question(&user.walk) {
        Some((node, n)) if r % 3 == 1 => (0..n.min(3))
            .map(|choice| Input::Answer {
                node: node.clone(),
                choice,
            })
            .collect(),
        Some((_, _)) if r % 3 == 2 && user.walk.answered() > 0 => vec![Input::Back; 3],
        Some((node, n)) => vec![
            Input::Answer {
                node,
                choice: r % n,
            };
            2 + r % 4
        ],
        None => vec![Input::Restart; 2 + r % 3],
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn simultaneous_clicks_on_one_step_move_it_once() {
    let (standin, _tmp, dir, bot) = started().await;
    let model = Model::load();
    let mut user = start_user(&standin, &model, USER, "en-US").await;
    let first_step = user.step;
    let rounds = 24;
    let (mut clicks, mut busy) = (0, 0);
    for r in 0..rounds {
        let inputs = round(&model, &user, r);
        let shown = Shown::from_message(&standin.message(user.message).unwrap());
        let ids: Vec<String> = inputs.iter().map(|i| custom_id_for(&shown, i)).collect();
        let answers = burst(&standin, &model, &user, &ids).await;
        clicks += ids.len();
        busy += one_transition(&model, &mut user, &inputs, &answers);
        // Whichever answer came last, the message shows the one move.
        let shown = Shown {
            content: String::new(),
            ..Shown::from_message(&standin.message(user.message).unwrap())
        };
        assert_eq!(
            shown,
            model.shown(&user.walk, user.step, user.id, user.locale),
            "Discord shows the one move"
        );
    }
    assert_no_violations(&standin, None);
    // Stopped as a supervisor stops it, so the sessions saved for later are written.
    bot.stop();
    // The store took exactly one step per round.
    let store = open_store(&dir);
    let rec = record(&store, USER);
    assert_eq!(rec.step, first_step + rounds as u64);
    assert!(model.answers_match(&user.walk, &rec), "{rec:?}");
    println!(
        "concurrency: {rounds} rounds of simultaneous clicks ({clicks} clicks, {busy} told to \
         wait), {rounds} transitions"
    );
}

/// Walks `steps` model-checked clicks; returns their callback latencies.
async fn walk(standin: &StandIn, model: &Model, mut user: User, steps: usize) -> Vec<Duration> {
    let mut latencies = Vec::new();
    for i in 0..steps {
        let input = match model.question(&user.walk) {
            Some((node, n)) => Input::Answer {
                node,
                choice: (user.id as usize + i) % n,
            },
            None => Input::Restart,
        };
        let cb = step(standin, model, &mut user, input).await;
        latencies.push(cb.latency);
    }
    latencies
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_user_flooding_does_not_slow_the_others() {
    let (standin, _tmp, dir, bot) = started().await;
    let model = Model::load();
    let others = 12;
    let steps = 12;
    let mut users = Vec::new();
    for i in 0..=2 * others {
        let locale = if i % 2 == 0 { "en-US" } else { "ja" };
        users.push(start_user(&standin, &model, USER + 1 + i as u64, locale).await);
    }
    let mut flooder = users.pop().unwrap();
    let second: Vec<User> = users.split_off(others);

    // Baseline: the others alone, all at once.
    let mut base: Vec<Duration> =
        join_all(users.into_iter().map(|u| walk(&standin, &model, u, steps)))
            .await
            .concat();

    // The same load again while one user fires bursts of 50 clicks at once.
    let bursts = 4;
    let flood = async {
        let mut busy = 0;
        let mut flood_latencies = Vec::new();
        for _ in 0..bursts {
            let input = match model.question(&flooder.walk) {
                Some((node, _)) => Input::Answer { node, choice: 0 },
                None => Input::Restart,
            };
            let shown = Shown::from_message(&standin.message(flooder.message).unwrap());
            let ids = vec![custom_id_for(&shown, &input); 50];
            let answers = burst(&standin, &model, &flooder, &ids).await;
            flood_latencies.extend(answers.iter().map(|(_, cb)| cb.latency));
            busy += one_transition(&model, &mut flooder, &[input], &answers);
        }
        (busy, flood_latencies)
    };
    let others_walk = join_all(second.into_iter().map(|u| walk(&standin, &model, u, steps)));
    let ((busy, mut flood_latencies), during) = tokio::join!(flood, others_walk);
    let mut during = during.concat();

    let (b50, b99) = (percentile(&mut base, 50), percentile(&mut base, 99));
    let (d50, d99) = (percentile(&mut during, 50), percentile(&mut during, 99));
    let dmax = *during.last().unwrap();
    let fmax = percentile(&mut flood_latencies, 100);
    println!(
        "flood: {others} other users x {steps} clicks; without the flood p50 {b50:?} p99 {b99:?}; \
         during {bursts} bursts of 50 clicks by one user p50 {d50:?} p99 {d99:?} max {dmax:?}; \
         the flooder: {bursts} transitions, {busy} of {} clicks told to wait, slowest answer {fmax:?}",
        bursts * 50
    );
    // Generous, and relative to this machine as it is now: the median under 200 ms, or
    // within three times the median without the flood when the machine itself is slower
    // than that (the bound is about isolation; the speed targets live in the benchmarks).
    // Not the p99: on a shared VM one disk sync that stalls for a second delays every
    // user's click at once, and a p99 then measures the disk. Every answer still has to
    // come within Discord's 3 seconds.
    let bound = Duration::from_millis(200).max(b50 * 3);
    assert!(
        d50 < bound,
        "others slowed down: p50 {d50:?} (bound {bound:?}; p99 {d99:?})"
    );
    assert!(dmax < THREE_SECONDS && fmax < THREE_SECONDS);
    assert!(
        busy > 0,
        "a flood is cut short (bounded work per user), not queued in full"
    );
    assert_no_violations(&standin, None);
    bot.stop();
    let store = open_store(&dir);
    let rec = record(&store, flooder.id);
    assert_eq!(rec.step, flooder.step, "one transition per burst");
}
