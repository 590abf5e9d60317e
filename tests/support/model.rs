//! What the reliability tests (soak, concurrency, faults) share: the real bot binary as a
//! child process against the Discord stand-in, a model of what a conversation must show
//! (built from the library's own rules, texts and message layout), and a router that
//! hands each interaction its callback without every waiting task scanning every callback.
//!
//! Soak, concurrency and faults use it as `support::model`; not every file uses everything.
#![allow(dead_code)]

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::Value;

use activation_check::card::TimeStyle;
use activation_check::clock::system_clock;
use activation_check::conversation::{Conversation, Input};
use activation_check::custom_id::{rules_tag, Place};
use activation_check::discord::spec::{self, Component, Owner};
use activation_check::engine::{Position, Walk};
use activation_check::i18n::LocaleId;
use activation_check::knowledge::{self, Knowledge};
use activation_check::session::{MemoryStore, Scope, SessionKey, SessionRecord, SessionStore};

use activation_check::store::SledStore;

use crate::support::standin::{
    CallbackRecord, ComponentClick, Dispatched, InteractionOpts, SlashCommand, StandIn,
    StoredMessage,
};

/// Discord's first-response deadline.
pub const THREE_SECONDS: Duration = Duration::from_secs(3);

// ---- the bot process ---------------------------------------------------------------------

#[allow(unused_imports)]
pub use crate::support::bot::{Bot, CHANNEL, GUILD, MEMBER, MOD_PERMS, PIN_COMMAND, WAIT};

#[allow(unused_imports)]
pub use crate::support::store::open_store;

pub fn key(user: u64) -> SessionKey {
    SessionKey::new(Scope::Guild(GUILD), user.to_string())
}

/// The stored record of `user`: present and readable, or a failed test.
pub fn record(store: &SledStore, user: u64) -> SessionRecord {
    store
        .get(&key(user))
        .expect("the store reads")
        .unwrap_or_else(|| panic!("user {user}: no readable session record"))
}

// ---- what a reply shows --------------------------------------------------------------------

/// What a message shows, as far as the tests judge it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shown {
    pub content: String,
    pub title: String,
    pub custom_ids: Vec<String>,
}

impl Shown {
    /// From a message payload (`data` of a callback, or a stored message's JSON).
    pub fn from_json(data: &Value) -> Shown {
        let custom_ids = data["components"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|row| row["components"].as_array().cloned().unwrap_or_default())
            .filter_map(|c| c["custom_id"].as_str().map(str::to_owned))
            .collect();
        Shown {
            content: data["content"].as_str().unwrap_or_default().to_owned(),
            title: data["embeds"][0]["title"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
            custom_ids,
        }
    }

    pub fn from_message(m: &StoredMessage) -> Shown {
        Shown::from_json(&m.json)
    }

    /// The step the buttons were made for (`ac1:<verb>:<owner>:<tag>:<step>:...`).
    pub fn step(&self) -> Option<u64> {
        step_of(self.custom_ids.first()?)
    }
}

pub fn step_of(custom_id: &str) -> Option<u64> {
    custom_id.split(':').nth(4)?.parse().ok()
}

/// The `data` of a callback's body.
pub fn callback_data(cb: &CallbackRecord) -> Value {
    cb.body
        .as_ref()
        .map(|b| b["data"].clone())
        .unwrap_or(Value::Null)
}

// ---- the model -----------------------------------------------------------------------------

/// The rules, texts and layout the bot uses, loaded by the test itself: the model of what
/// every reply must show.
pub struct Model {
    pub k: Knowledge,
    conv: Conversation<MemoryStore>,
    pub tag: String,
}

impl Model {
    pub fn load() -> Model {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let k = knowledge::load(
            &root.join("rules/activation-check.toml"),
            &root.join("i18n"),
            "en-US",
        )
        .expect("the shipped rules and texts load");
        let conv = Conversation::new(
            k.rules.clone(),
            k.l10n.clone(),
            Arc::new(MemoryStore::new()),
            system_clock(),
            TimeStyle::Discord,
        );
        let tag = rules_tag(&k.rules.meta.version);
        Model { k, conv, tag }
    }

    pub fn locale(&self, tag: &str) -> LocaleId {
        self.k.l10n.negotiate(&[tag])
    }

    pub fn text(&self, locale: &str, id: &str) -> String {
        self.k.l10n.text(self.locale(locale), id)
    }

    /// What the bot must show for `walk` at `step` to `user`.
    pub fn shown(&self, walk: &Walk, step: u64, user: u64, locale: &str) -> Shown {
        let locale = self.locale(locale);
        let view = self.conv.view(walk, 0, locale);
        let owner = Owner {
            user,
            place: Place::Server,
            rules_tag: self.tag.clone(),
            step,
            answers: walk.symbols(&self.k.rules),
        };
        let m = spec::view_message(&view, &self.k.l10n, locale, &owner);
        Shown {
            content: m.content.clone().unwrap_or_default(),
            title: m
                .embeds
                .first()
                .and_then(|e| e.title.clone())
                .unwrap_or_default(),
            custom_ids: m
                .rows
                .iter()
                .flatten()
                .map(|c| match c {
                    Component::Button { custom_id, .. } | Component::Select { custom_id, .. } => {
                        custom_id.clone()
                    }
                })
                .collect(),
        }
    }

    /// `walk` after `input`, as the conversation layer computes it.
    pub fn after(&self, walk: &Walk, input: &Input) -> Walk {
        let rules = &self.k.rules;
        match input {
            Input::Answer { node, choice } => walk
                .answer_node(rules, node, *choice)
                .expect("the model only answers the current question"),
            Input::Back => walk.back().expect("the model only goes back when it can"),
            Input::Restart => Walk::restart(rules),
        }
    }

    pub fn is_done(&self, walk: &Walk) -> bool {
        walk.is_done(&self.k.rules)
    }

    /// The current question's node id and number of choices, if asking.
    pub fn question(&self, walk: &Walk) -> Option<(String, usize)> {
        match walk.position(&self.k.rules) {
            Position::Asking(_, q) => Some((q.id.clone(), q.choices.len())),
            Position::Done(..) => None,
        }
    }

    pub fn answers_match(&self, walk: &Walk, record: &SessionRecord) -> bool {
        walk.answers(&self.k.rules) == record.answers
    }
}

/// The custom_id a user clicks for `input` among those shown.
pub fn custom_id_for(shown: &Shown, input: &Input) -> String {
    let found = match input {
        Input::Answer { node, choice } => {
            crate::support::buttons::answer_button(&shown.custom_ids, node, *choice)
        }
        Input::Back => shown
            .custom_ids
            .iter()
            .find(|id| id.starts_with("ac1:b:"))
            .cloned(),
        Input::Restart => shown
            .custom_ids
            .iter()
            .find(|id| id.starts_with("ac1:r:"))
            .cloned(),
    };
    found.unwrap_or_else(|| panic!("no button for {input:?} in {:?}", shown.custom_ids))
}

pub fn verb_id(shown: &Shown, verb: char) -> String {
    let prefix = format!("ac1:{verb}:");
    shown
        .custom_ids
        .iter()
        .find(|id| id.starts_with(&prefix))
        .unwrap_or_else(|| panic!("no `{verb}` button in {:?}", shown.custom_ids))
        .clone()
}

// ---- seeded randomness ---------------------------------------------------------------------

/// SplitMix64: small, seeded, reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `lo..hi` (`lo` if the range is empty).
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo {
            lo
        } else {
            lo + self.next_u64() % (hi - lo)
        }
    }

    /// True with probability `percent`/100.
    pub fn chance(&mut self, percent: u64) -> bool {
        self.range(0, 100) < percent
    }
}

/// The seed from `var` if set (decimal or 0x-hex), else from the clock; printed by callers.
pub fn seed_from_env(var: &str) -> u64 {
    match std::env::var(var) {
        Ok(s) => {
            let s = s.trim();
            let parsed = match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => s.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("{var}={s} is not a number"))
        }
        Err(_) => std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1),
    }
}

pub fn env_usize(var: &str, default: usize) -> usize {
    std::env::var(var)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

// ---- callbacks, routed -----------------------------------------------------------------------

/// Reads the stand-in's callbacks incrementally (one task, every few milliseconds) and
/// hands each to whoever waits for its interaction. Many tasks waiting through
/// `StandIn::wait_for` would each rescan every callback on every change.
pub struct Router {
    st: Mutex<RouterSt>,
    notify: tokio::sync::Notify,
}

#[derive(Default)]
struct RouterSt {
    cursor: usize,
    by_interaction: HashMap<u64, Vec<CallbackRecord>>,
}

impl Router {
    pub fn spawn(standin: Arc<StandIn>) -> (Arc<Router>, tokio::task::JoinHandle<()>) {
        let router = Arc::new(Router {
            st: Mutex::new(RouterSt::default()),
            notify: tokio::sync::Notify::new(),
        });
        let r = router.clone();
        let task = tokio::spawn(async move {
            loop {
                r.poll(&standin);
                tokio::time::sleep(Duration::from_millis(3)).await;
            }
        });
        (router, task)
    }

    fn poll(&self, standin: &StandIn) {
        let cursor = self.lock().cursor;
        let new = standin.callbacks_since(cursor);
        if new.is_empty() {
            return;
        }
        {
            let mut st = self.lock();
            st.cursor += new.len();
            for cb in new {
                st.by_interaction
                    .entry(cb.interaction_id)
                    .or_default()
                    .push(cb);
            }
        }
        self.notify.notify_waiters();
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, RouterSt> {
        self.st.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Every callback of `interaction` seen so far.
    pub fn all(&self, interaction: u64) -> Vec<CallbackRecord> {
        self.lock()
            .by_interaction
            .get(&interaction)
            .cloned()
            .unwrap_or_default()
    }

    /// The first accepted callback of `interaction`, if any yet.
    pub fn accepted(&self, interaction: u64) -> Option<CallbackRecord> {
        self.all(interaction).into_iter().find(|c| c.accepted)
    }

    /// Waits for the first callback (accepted or not) of `interaction`.
    pub async fn first(&self, interaction: u64, timeout: Duration) -> Option<CallbackRecord> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.notify.notified();
            if let Some(cb) = self.all(interaction).into_iter().next() {
                return Some(cb);
            }
            if tokio::time::Instant::now() >= deadline {
                return None;
            }
            let _ = tokio::time::timeout_at(deadline, notified).await;
        }
    }
}

// ---- driving one user by hand (concurrency and fault tests) ----------------------------------

/// One user's conversation as the test drives it: the model of where it stands and the
/// message its buttons sit on.
#[derive(Debug, Clone)]
pub struct User {
    pub id: u64,
    pub locale: &'static str,
    pub walk: Walk,
    pub step: u64,
    pub message: u64,
}

impl User {
    /// The conversation moved one step, to `walk`.
    pub fn moved(&mut self, walk: Walk) {
        self.walk = walk;
        self.step += 1;
    }
}

/// A click sent and not yet checked: its custom_id, the interaction, and the walk after
/// it with what the model expects the message to show then.
pub struct Clicked {
    pub id: String,
    pub dispatched: Dispatched,
    pub walk: Walk,
    pub expected: Shown,
}

/// Clicks the button for `input` on `user`'s message, as the message is now.
pub async fn click_input(standin: &StandIn, model: &Model, user: &User, input: &Input) -> Clicked {
    let shown = Shown::from_message(&standin.message(user.message).expect("the message"));
    let id = custom_id_for(&shown, input);
    let dispatched = standin.send_component(button(user, &id)).await;
    let walk = model.after(&user.walk, input);
    let expected = model.shown(&walk, user.step + 1, user.id, user.locale);
    Clicked {
        id,
        dispatched,
        walk,
        expected,
    }
}

/// `/activation-check` in the test guild.
pub fn ask(user: u64, locale: &str) -> SlashCommand {
    SlashCommand::new("activation-check")
        .user(user)
        .locale(locale)
        .in_guild(GUILD, CHANNEL)
        .member_permissions(MEMBER)
}

/// A click by `user` on `custom_id` of message `message`.
pub fn button(user: &User, custom_id: &str) -> ComponentClick {
    ComponentClick::button(user.message, custom_id)
        .user(user.id)
        .locale(user.locale)
        .in_guild(GUILD, CHANNEL)
        .member_permissions(MEMBER)
}

/// Waits for the accepted callback of `interaction`; fails the test otherwise.
pub async fn accepted(standin: &StandIn, interaction: u64) -> CallbackRecord {
    standin
        .wait_for(WAIT, |s| {
            s.callbacks_for(interaction)
                .into_iter()
                .find(|c| c.accepted)
        })
        .await
        .unwrap_or_else(|| {
            panic!(
                "interaction {interaction} was never answered: {:?}",
                standin.callbacks_for(interaction)
            )
        })
}

/// Starts a conversation for a fresh user and checks the first question.
pub async fn start_user(standin: &StandIn, model: &Model, id: u64, locale: &'static str) -> User {
    let d = standin.send_slash_command(ask(id, locale)).await;
    let cb = accepted(standin, d.interaction_id).await;
    assert!(cb.latency < THREE_SECONDS, "late: {:?}", cb.latency);
    let message = standin
        .original_response(d.interaction_id)
        .expect("a response message")
        .id;
    let walk = Walk::start(&model.k.rules);
    let shown = Shown::from_json(&callback_data(&cb));
    let step = shown
        .step()
        .unwrap_or_else(|| panic!("user {id}: the first question, with buttons: {cb:?}"));
    assert_eq!(shown, model.shown(&walk, step, id, locale));
    User {
        id,
        locale,
        walk,
        step,
        message,
    }
}

/// Clicks `input` once and checks the reply against the model; returns the callback.
pub async fn step(
    standin: &StandIn,
    model: &Model,
    user: &mut User,
    input: Input,
) -> CallbackRecord {
    let Clicked {
        id,
        dispatched,
        walk,
        expected,
    } = click_input(standin, model, user, &input).await;
    let cb = accepted(standin, dispatched.interaction_id).await;
    assert_eq!(
        cb.response_type,
        Some(7),
        "user {}: {id} updates its message in place: {cb:?}",
        user.id
    );
    assert_eq!(
        Shown::from_json(&callback_data(&cb)),
        expected,
        "user {}: the reply to {id} at step {}",
        user.id,
        user.step
    );
    assert_eq!(
        Shown::from_message(&standin.message(user.message).unwrap()),
        expected,
        "Discord shows the reply"
    );
    user.moved(walk);
    cb
}

/// The `p`-th percentile (0..=100) of `v` (sorted here).
pub fn percentile(v: &mut [Duration], p: usize) -> Duration {
    if v.is_empty() {
        return Duration::ZERO;
    }
    v.sort();
    let i = ((v.len() - 1) * p + 50) / 100;
    v[i.min(v.len() - 1)]
}
