//! The conversation layer over a `MemoryStore`, as every front end uses it: `open` resumes
//! an unfinished conversation after a restart and starts a new one otherwise (counting
//! steps on); `click` judges a button from the button alone, never reading the store;
//! within a process, a click on a message the conversation has moved on from is
//! `Outdated` and the same click again `Repeated`; Back at the first question is
//! `AtFirst`; a conversation saved under other rules is not resumed; a button made under
//! older rules carries its answers into the running ones; deleted conversations and
//! other places lead nowhere.

mod support;

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use activation_check::card::TimeStyle;
use activation_check::conversation::{carried, Click, Conversation, Reply, Step, View};
use activation_check::custom_id::{rules_tag, Action, CustomId, Place, Symbol};
use activation_check::engine::{Position, Walk};
use activation_check::session::{
    Answer, MemoryStore, Scope, SessionKey, SessionRecord, SessionStore, StoreError,
};
use support::cli::*;

const USER: u64 = 80351110224678912;

/// A `MemoryStore` that fails the test when it is read while `reads_allowed` is off.
#[derive(Default)]
struct Guarded {
    inner: MemoryStore,
    no_reads: AtomicBool,
}

impl SessionStore for Guarded {
    fn get(&self, key: &SessionKey) -> Result<Option<SessionRecord>, StoreError> {
        assert!(
            !self.no_reads.load(Ordering::SeqCst),
            "a click read the store"
        );
        self.inner.get(key)
    }

    async fn put(&self, key: &SessionKey, record: &SessionRecord) -> Result<(), StoreError> {
        self.inner.put(key, record).await
    }

    async fn remove(&self, key: &SessionKey) -> Result<bool, StoreError> {
        self.inner.remove(key).await
    }
}

fn conversation<S: SessionStore>(store: Arc<S>) -> Conversation<S> {
    let k = knowledge();
    Conversation::new(
        k.rules.clone(),
        k.l10n.clone(),
        store,
        Arc::new(|| FIXED_TIME),
        TimeStyle::Discord,
    )
}

/// A conversation over a new memory store, opened in English for [`key`]: the store, the
/// conversation and its first reply.
async fn opened() -> (Arc<MemoryStore>, Conversation<MemoryStore>, Reply) {
    let store = Arc::new(MemoryStore::new());
    let conv = conversation(store.clone());
    let first = conv.open(&key(), en()).await.unwrap().reply;
    (store, conv, first)
}

fn key() -> SessionKey {
    SessionKey::new(Scope::Guild(81_384_788_765_712_384), USER.to_string())
}

fn en() -> activation_check::i18n::LocaleId {
    locale("en-US")
}

/// The button of `reply` that does `action`, as the bot lays it out.
fn button(conv: &Conversation<impl SessionStore>, reply: &Reply, action: Action) -> CustomId {
    CustomId::new(
        action,
        USER,
        conv.rules_tag(),
        reply.step,
        Place::Server,
        reply.answers,
    )
}

/// The answer button choosing `value` at the question `reply` shows.
fn answer(conv: &Conversation<impl SessionStore>, reply: &Reply, value: &str) -> CustomId {
    let View::Question(q) = &reply.view else {
        panic!("not at a question: {reply:?}")
    };
    let symbol = Symbol::of(&q.fact, value).unwrap_or_else(|| panic!("no symbol for {value}"));
    assert!(
        q.symbols.contains(&symbol),
        "`{}` offers no `{value}`",
        q.node
    );
    button(conv, reply, Action::Answer(symbol))
}

async fn click<S: SessionStore>(conv: &Conversation<S>, id: &CustomId) -> Step {
    click_in(conv, &key(), USER, id).await
}

/// A click on `id` by `clicker`, in the place of `key`.
async fn click_in<S: SessionStore>(
    conv: &Conversation<S>,
    key: &SessionKey,
    clicker: u64,
    id: &CustomId,
) -> Step {
    conv.click(Click {
        key,
        clicker,
        locale: en(),
        id,
        picked: None,
    })
    .await
    .unwrap()
}

async fn moved<S: SessionStore>(conv: &Conversation<S>, id: &CustomId) -> Reply {
    match click(conv, id).await {
        Step::Moved(r) => r,
        other => panic!("expected a move: {other:?}"),
    }
}

fn node(reply: &Reply) -> &str {
    match &reply.view {
        View::Question(q) => &q.node,
        View::Card(c) => &c.outcome,
    }
}

#[tokio::test]
async fn a_conversation_resumes_after_reopening() {
    let store = Arc::new(MemoryStore::new());
    let conv = conversation(store.clone());
    let opened = conv.open(&key(), en()).await.unwrap();
    assert!(!opened.resumed);
    let r = opened.reply;
    let r = moved(&conv, &answer(&conv, &r, "lost-activation")).await;
    let r = moved(&conv, &answer(&conv, &r, "free-upgrade-win7-8")).await;
    assert_eq!(r.step, 2);
    assert_eq!(node(&r), "lost-hardware");

    // A new conversation over the same store, as after a restart of the bot.
    let reopened = conversation(store.clone())
        .open(&key(), en())
        .await
        .unwrap();
    assert!(reopened.resumed);
    assert_eq!(
        reopened.reply, r,
        "the same question, progress, step and answers"
    );
    let View::Question(q) = &reopened.reply.view else {
        unreachable!()
    };
    assert_eq!(q.progress_text, "Question 3 of at most 6");
    assert!(q.can_go_back);

    // Other users and scopes are not affected.
    let other = SessionKey::new(Scope::Dm, USER.to_string());
    assert!(!conv.open(&other, en()).await.unwrap().resumed);
    assert_eq!(store.len(), 2);
}

#[tokio::test]
async fn a_finished_conversation_is_not_resumed() {
    let (_, conv, r) = opened().await;
    let r = moved(&conv, &answer(&conv, &r, "planning-update")).await;
    let r = moved(&conv, &answer(&conv, &r, "native-win10")).await;
    assert!(matches!(r.view, View::Card(_)));
    let reopened = conv.open(&key(), en()).await.unwrap();
    assert!(!reopened.resumed);
    assert_eq!(node(&reopened.reply), "concern");
    assert_eq!(reopened.reply.step, r.step + 1);
}

#[tokio::test]
async fn back_at_the_first_question_is_at_first() {
    let (store, conv, r) = opened().await;
    let before = store.get(&key()).unwrap().unwrap();
    let step = click(&conv, &button(&conv, &r, Action::Back)).await;
    assert!(
        matches!(step, Step::AtFirst(ref at) if *at == r),
        "{step:?}"
    );
    assert_eq!(store.get(&key()).unwrap().unwrap(), before, "nothing moved");

    // One answer later, back works and lands on the first question again.
    let r = moved(&conv, &answer(&conv, &r, "reinstall")).await;
    let back = moved(&conv, &button(&conv, &r, Action::Back)).await;
    assert_eq!(node(&back), "concern");
    assert_eq!(back.step, r.step + 1);
    assert!(back.answers.is_empty());
}

#[tokio::test]
async fn the_same_click_again_gets_the_same_reply_without_moving() {
    let (store, conv, r0) = opened().await;
    let id = answer(&conv, &r0, "hardware-change");
    let r1 = moved(&conv, &id).await;
    assert_eq!(r1.step, r0.step + 1);
    assert_eq!(node(&r1), "hardware");
    let stored = store.get(&key()).unwrap().unwrap();

    // The same click again (a double click, or Discord redelivering it).
    assert_eq!(click(&conv, &id).await, Step::Repeated(r1.clone()));
    assert_eq!(store.get(&key()).unwrap().unwrap(), stored, "nothing moved");
    assert_eq!(stored.answers.len(), 1);
    assert_eq!(stored.last_input.as_deref(), Some("a:concern:2"));
}

#[tokio::test]
async fn a_click_on_a_message_the_conversation_moved_on_from_is_outdated() {
    let (store, conv, r0) = opened().await;
    let r1 = moved(&conv, &answer(&conv, &r0, "virtual-machine")).await;
    let r2 = moved(&conv, &answer(&conv, &r1, "free-upgrade-win10")).await;
    assert_eq!(node(&r2), "vm-disk");
    let stored = store.get(&key()).unwrap().unwrap();

    // Another button of the first question's message.
    let step = click(&conv, &answer(&conv, &r0, "reinstall")).await;
    assert_eq!(step, Step::Outdated(r2.clone()));
    // A different button of the previous step's message is not the same click either.
    let step = click(&conv, &answer(&conv, &r1, "native-win10")).await;
    assert_eq!(step, Step::Outdated(r2.clone()));
    // A step from the future is outdated too.
    let mut future = button(&conv, &r2, Action::Back);
    future.step += 5;
    assert_eq!(click(&conv, &future).await, Step::Outdated(r2.clone()));
    // Nothing moved.
    assert_eq!(store.get(&key()).unwrap().unwrap(), stored);
}

#[tokio::test]
async fn an_answer_for_another_question_moves_nothing() {
    let (_, conv, r) = opened().await;
    let vm = Symbol::of("vm_disk", "new-vm").unwrap();
    let step = click(&conv, &button(&conv, &r, Action::Answer(vm))).await;
    assert_eq!(step, Step::Outdated(r));
}

/// After a restart the conversation remembers nothing: every message the user still
/// sees works from its own buttons, and the store is not read to judge a click.
#[tokio::test]
async fn after_a_restart_the_button_alone_decides() {
    let store = Arc::new(Guarded::default());
    let conv = conversation(store.clone());
    let r0 = conv.open(&key(), en()).await.unwrap().reply;
    let r1 = moved(&conv, &answer(&conv, &r0, "lost-activation")).await;
    let r2 = moved(&conv, &answer(&conv, &r1, "free-upgrade-win10")).await;

    store.no_reads.store(true, Ordering::SeqCst);
    // The process restarts: nothing remembered, and the store is not consulted.
    let fresh = conversation(store.clone());
    let r3 = moved(&fresh, &answer(&fresh, &r2, "yes")).await;
    assert!(matches!(r3.view, View::Card(_)), "{}", node(&r3));
    assert_eq!(r3.step, r2.step + 1);
    // Clicking the same button again after a second restart gives the same answer.
    let again = conversation(store.clone());
    assert_eq!(
        moved(&again, &answer(&again, &r2, "yes")).await.view,
        r3.view
    );
    // An older message (another device) continues from what it shows.
    let other = conversation(store.clone());
    let r2b = moved(&other, &answer(&other, &r1, "native-win10")).await;
    assert_eq!(r2b.step, r1.step + 1);
    assert_ne!(node(&r2b), node(&r2));
    store.no_reads.store(false, Ordering::SeqCst);
    // What was saved last is the resume point.
    let saved = store.get(&key()).unwrap().unwrap();
    assert_eq!(saved.step, r2b.step);
    assert_eq!(saved.answers.len(), 2);
}

#[tokio::test]
async fn a_conversation_saved_under_other_rules_is_not_resumed() {
    let store = Arc::new(MemoryStore::new());
    let conv = conversation(store.clone());
    let mut record = SessionRecord::new("1999.01.01", "en-US", FIXED_TIME);
    record.answers = vec![Answer {
        node: "concern".into(),
        value: "lost-activation".into(),
    }];
    record.step = 4;
    store.put(&key(), &record).await.unwrap();
    // The answers would replay cleanly, but the rules version differs.
    let opened = conv.open(&key(), en()).await.unwrap();
    assert!(!opened.resumed);
    assert_eq!(node(&opened.reply), "concern");
    assert_eq!(opened.reply.step, 5, "steps keep counting");

    // Same version, but an answer the rules no longer have.
    let version = knowledge().rules.meta.version.clone();
    let mut record = SessionRecord::new(&version, "en-US", FIXED_TIME);
    record.answers = vec![Answer {
        node: "concern".into(),
        value: "bought-a-mac".into(),
    }];
    store.put(&key(), &record).await.unwrap();
    let conv = conversation(store.clone());
    let opened = conv.open(&key(), en()).await.unwrap();
    assert!(!opened.resumed);
    assert_eq!(node(&opened.reply), "concern");
    assert_eq!(opened.reply.step, 1);
    let stored = store.get(&key()).unwrap().unwrap();
    assert_eq!(stored.rules_version, version);
    assert!(stored.answers.is_empty());
}

#[tokio::test]
async fn starting_over_keeps_counting_steps_and_the_creation_time() {
    let store = Arc::new(MemoryStore::new());
    let now = Arc::new(AtomicI64::new(FIXED_TIME));
    let clock = now.clone();
    let k = knowledge();
    let conv = Conversation::new(
        k.rules.clone(),
        k.l10n.clone(),
        store.clone(),
        Arc::new(move || clock.load(Ordering::SeqCst)),
        TimeStyle::Discord,
    );
    let r0 = conv.open(&key(), en()).await.unwrap().reply;
    assert_eq!(r0.step, 0);
    let r1 = moved(&conv, &answer(&conv, &r0, "check-risk")).await;
    now.store(FIXED_TIME + 60, Ordering::SeqCst);

    let fresh = moved(&conv, &button(&conv, &r1, Action::Restart)).await;
    assert_eq!(fresh.step, r1.step + 1);
    assert_eq!(node(&fresh), "concern");
    let stored = store.get(&key()).unwrap().unwrap();
    assert!(stored.answers.is_empty());
    assert_eq!(stored.step, fresh.step);
    assert_eq!(
        stored.created_at, FIXED_TIME,
        "the session keeps its creation time"
    );
    assert_eq!(stored.updated_at, FIXED_TIME + 60);

    // A button from before starting over is outdated now.
    let step = click(&conv, &answer(&conv, &r1, "native-win10")).await;
    assert_eq!(step, Step::Outdated(fresh.clone()));

    // Opening again with a conversation not begun starts another, one step on.
    let again = conv.open(&key(), en()).await.unwrap();
    assert!(!again.resumed);
    assert_eq!(again.reply.step, fresh.step + 1);
}

#[tokio::test]
async fn deleted_conversations_and_other_places_lead_nowhere() {
    let (store, conv, r0) = opened().await;
    let r1 = moved(&conv, &answer(&conv, &r0, "reinstall")).await;

    // Someone else's button, and a button clicked in another place.
    let back = button(&conv, &r1, Action::Back);
    let elsewhere = SessionKey::new(Scope::Guild(1), "42");
    assert_eq!(click_in(&conv, &elsewhere, 42, &back).await, Step::NotYours);
    let in_dm = SessionKey::new(Scope::Dm, USER.to_string());
    assert_eq!(click_in(&conv, &in_dm, USER, &back).await, Step::Gone);

    // Delete my saved answers: the session is gone, and so are its buttons.
    let step = click(&conv, &button(&conv, &r1, Action::Forget)).await;
    assert_eq!(step, Step::Forgotten { removed: true });
    assert!(store.get(&key()).unwrap().is_none());
    assert_eq!(
        click(&conv, &button(&conv, &r1, Action::Back)).await,
        Step::Gone
    );
    // Start over still starts over, counting on.
    let fresh = moved(&conv, &button(&conv, &r1, Action::Restart)).await;
    assert_eq!(node(&fresh), "concern");
    assert!(fresh.step > r1.step);
    assert!(store.get(&key()).unwrap().is_some());
}

/// The rules of 2026-11-21, as a button made then would have been made.
fn old_rules() -> activation_check::rules::Rules {
    activation_check::rules::load(&root().join("tests/data/rules-2026.11.21.toml"))
        .expect("the copy of the 2026-11-21 rules loads")
}

/// Walks `rules` choosing `values` in turn; the answers as a button carries them.
fn walk_values(rules: &activation_check::rules::Rules, values: &[&str]) -> Walk {
    let mut walk = Walk::start(rules);
    for v in values {
        let Position::Asking(_, q) = walk.position(rules) else {
            panic!("finished before {v}")
        };
        let choice = q
            .choices
            .iter()
            .position(|c| c.value == *v)
            .unwrap_or_else(|| panic!("`{}` offers no `{v}`", q.id));
        walk = walk.answer(rules, choice).unwrap();
    }
    walk
}

#[tokio::test]
async fn a_button_made_under_older_rules_continues_in_the_running_ones() {
    let old = old_rules();
    let shipped = &knowledge().rules;
    assert_ne!(old.meta.version, shipped.meta.version);
    let conv = conversation(Arc::new(MemoryStore::new()));

    // Under the 2026-11-21 rules: hardware changed (other parts), a free upgrade from
    // 7/8.1, and the installation ID question on screen; the user clicks "yes".
    let before = walk_values(
        &old,
        &["hardware-change", "other-parts", "free-upgrade-win7-8"],
    );
    let Position::Asking(_, q) = before.position(&old) else {
        panic!("a question")
    };
    assert_eq!(q.fact, "installation_id_shown");
    let yes = Symbol::of("installation_id_shown", "yes").unwrap();
    let id = CustomId::new(
        Action::Answer(yes),
        USER,
        rules_tag(&old.meta.version),
        7,
        Place::Server,
        before.symbols(&old),
    );
    let step = click(&conv, &id).await;
    let Step::Updated { reply, dropped } = step else {
        panic!("carried over: {step:?}")
    };
    assert!(dropped.is_empty(), "{dropped:?}");
    // The running rules, as far as those four answers settle them.
    let expected = four_answers_settled(shipped);
    assert!(expected.answered() >= 2, "the answers carry over");
    assert_eq!(reply.answers, expected.symbols(shipped));
    assert_eq!(reply.view, conv.view(&expected, FIXED_TIME, en()));
    assert_eq!(reply.step, 8);
    if let View::Question(q) = &reply.view {
        // The first question the answers do not settle.
        assert!(
            !FOUR_ANSWERS.iter().any(|(f, _)| *f == q.fact),
            "{}",
            q.fact
        );
    }
    // Its buttons are of the running rules now, and work.
    if let View::Question(q) = &reply.view {
        let next = button(&conv, &reply, Action::Answer(q.symbols[0]));
        assert!(matches!(click(&conv, &next).await, Step::Moved(_)));
    }

    // Back on an old card: the answers without the last, carried over.
    let card = walk_values(
        &old,
        &[
            "hardware-change",
            "other-parts",
            "free-upgrade-win7-8",
            "no",
            "yes",
        ],
    );
    assert!(card.is_done(&old), "an old card");
    let conv = conversation(Arc::new(MemoryStore::new()));
    let id = CustomId::new(
        Action::Back,
        USER,
        rules_tag(&old.meta.version),
        3,
        Place::Server,
        card.symbols(&old),
    );
    let Step::Updated { reply, .. } = click(&conv, &id).await else {
        panic!("carried over")
    };
    let answers: Vec<Symbol> = card.symbols(&old).iter().collect();
    let (expected, _) = carried(shipped, &answers[..answers.len() - 1]);
    assert_eq!(reply.answers, expected.symbols(shipped));
}

/// Only answers the running rules lack are dropped, and named.
#[test]
fn answers_the_running_rules_lack_are_dropped() {
    // Running the 2026-11-21 rules (contract version 1), a button carrying contract
    // version 2's `installation_id_shown = not-checked`.
    let rules = old_rules();
    let symbols: Vec<Symbol> = [
        ("concern", "lost-activation"),
        ("license_origin", "free-upgrade-win7-8"),
        ("installation_id_shown", "not-checked"),
        ("system_backup", "yes"),
    ]
    .iter()
    .map(|(f, v)| Symbol::of(f, v).unwrap())
    .collect();
    let (walk, dropped) = carried(&rules, &symbols);
    assert_eq!(dropped, vec![("installation_id_shown", "not-checked")]);
    // Continues at the question the dropped answer left open.
    let Position::Asking(_, q) = walk.position(&rules) else {
        panic!("a question")
    };
    assert_eq!(q.fact, "installation_id_shown");
    assert_eq!(walk.answered(), 2);
}
