//! The conversation layer over a `MemoryStore`, as every front end uses it: a session is
//! resumed after the conversation is reopened (a restart); back at the first question is
//! `ConvError::AtFirst`; a repeated input for a step already taken returns the same reply
//! without moving; an input for an older step that is not the repeated one is `Outdated`; a
//! session saved under another rules version (or with answers the rules no longer have) is
//! `Stale`; `start_new` keeps counting steps; there is no session before one is opened.

mod common;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

use activation_check::card::TimeStyle;
use activation_check::conversation::{ConvError, Conversation, Input, Reply, View};
use activation_check::engine::StepError;
use activation_check::session::{
    Answer, MemoryStore, Scope, SessionKey, SessionRecord, SessionStore,
};
use common::*;

fn conversation(store: Arc<MemoryStore>) -> Conversation<MemoryStore> {
    let k = knowledge();
    Conversation::new(
        k.rules.clone(),
        k.l10n.clone(),
        store,
        Arc::new(|| FIXED_TIME),
        TimeStyle::Discord,
    )
}

fn key() -> SessionKey {
    SessionKey::new(Scope::Guild(81_384_788_765_712_384), "80351110224678912")
}

fn en() -> activation_check::i18n::LocaleId {
    locale("en-US")
}

/// The answer input choosing `value` at the question `reply` shows.
fn answer(reply: &Reply, value: &str) -> Input {
    let View::Question(q) = &reply.view else {
        panic!("not at a question: {reply:?}")
    };
    let rules = &knowledge().rules;
    let question = rules.question(rules.find(&q.node).unwrap()).unwrap();
    let choice = question
        .choices
        .iter()
        .position(|c| c.value == value)
        .unwrap_or_else(|| panic!("`{}` offers no `{value}`", q.node));
    Input::Answer {
        node: q.node.clone(),
        choice,
    }
}

fn node(reply: &Reply) -> &str {
    match &reply.view {
        View::Question(q) => &q.node,
        View::Card(c) => &c.outcome,
    }
}

#[tokio::test]
async fn a_session_resumes_after_reopening() {
    let store = Arc::new(MemoryStore::new());
    let conv = conversation(store.clone());
    let opened = conv.open(&key(), en()).await.unwrap();
    assert!(!opened.resumed);
    let r = opened.reply;
    let r = conv
        .apply(&key(), en(), Some(r.step), answer(&r, "lost-activation"))
        .await
        .unwrap();
    let r = conv
        .apply(
            &key(),
            en(),
            Some(r.step),
            answer(&r, "free-upgrade-win7-8"),
        )
        .await
        .unwrap();
    assert_eq!(node(&r), "lost-hardware");

    // A new conversation over the same store, as after a restart of the bot.
    let reopened = conversation(store.clone())
        .open(&key(), en())
        .await
        .unwrap();
    assert!(reopened.resumed);
    assert_eq!(reopened.reply, r, "the same question, progress and step");
    let View::Question(q) = &reopened.reply.view else {
        unreachable!()
    };
    assert_eq!(q.progress_text, "Question 3 of at most 6");
    assert!(q.can_go_back);

    // Other users and scopes are not affected.
    let other = SessionKey::new(Scope::Dm, "80351110224678912");
    assert!(!conv.open(&other, en()).await.unwrap().resumed);
    assert_eq!(store.len(), 2);
}

#[tokio::test]
async fn a_finished_session_is_not_resumed() {
    let conv = conversation(Arc::new(MemoryStore::new()));
    let r = conv.open(&key(), en()).await.unwrap().reply;
    let r = conv
        .apply(&key(), en(), Some(r.step), answer(&r, "planning-update"))
        .await
        .unwrap();
    let r = conv
        .apply(&key(), en(), Some(r.step), answer(&r, "native-win10"))
        .await
        .unwrap();
    assert!(matches!(r.view, View::Card(_)));
    let reopened = conv.open(&key(), en()).await.unwrap();
    assert!(!reopened.resumed);
    assert_eq!(node(&reopened.reply), "concern");
    assert_eq!(reopened.reply.step, r.step + 1);
}

#[tokio::test]
async fn back_at_the_first_question_is_at_first() {
    let store = Arc::new(MemoryStore::new());
    let conv = conversation(store.clone());
    let r = conv.open(&key(), en()).await.unwrap().reply;
    let before = store.get(&key()).unwrap().unwrap();
    let err = conv
        .apply(&key(), en(), Some(r.step), Input::Back)
        .await
        .unwrap_err();
    assert!(matches!(err, ConvError::AtFirst), "{err:?}");
    assert_eq!(store.get(&key()).unwrap().unwrap(), before, "nothing moved");

    // One answer later, back works and lands on the first question again.
    let r = conv
        .apply(&key(), en(), Some(r.step), answer(&r, "reinstall"))
        .await
        .unwrap();
    let back = conv
        .apply(&key(), en(), Some(r.step), Input::Back)
        .await
        .unwrap();
    assert_eq!(node(&back), "concern");
    assert_eq!(back.step, r.step + 1);
}

#[tokio::test]
async fn a_repeated_input_returns_the_same_reply_without_moving() {
    let store = Arc::new(MemoryStore::new());
    let conv = conversation(store.clone());
    let r0 = conv.open(&key(), en()).await.unwrap().reply;
    let click = answer(&r0, "hardware-change");
    let r1 = conv
        .apply(&key(), en(), Some(r0.step), click.clone())
        .await
        .unwrap();
    assert_eq!(r1.step, r0.step + 1);
    assert_eq!(node(&r1), "hardware");
    let stored = store.get(&key()).unwrap().unwrap();

    // The same click again (a double click, or Discord redelivering it).
    let again = conv
        .apply(&key(), en(), Some(r0.step), click)
        .await
        .unwrap();
    assert_eq!(again, r1);
    assert_eq!(store.get(&key()).unwrap().unwrap(), stored, "nothing moved");
    assert_eq!(stored.answers.len(), 1);
}

#[tokio::test]
async fn an_input_for_an_older_step_is_outdated() {
    let conv = conversation(Arc::new(MemoryStore::new()));
    let r0 = conv.open(&key(), en()).await.unwrap().reply;
    let r1 = conv
        .apply(&key(), en(), Some(r0.step), answer(&r0, "virtual-machine"))
        .await
        .unwrap();
    let r2 = conv
        .apply(
            &key(),
            en(),
            Some(r1.step),
            answer(&r1, "free-upgrade-win10"),
        )
        .await
        .unwrap();
    assert_eq!(node(&r2), "vm-disk");

    // Another button of the first question's message.
    let err = conv
        .apply(&key(), en(), Some(r0.step), answer(&r0, "reinstall"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConvError::Outdated { given, current } if given == r0.step && current == r2.step),
        "{err:?}"
    );
    // A different button of the previous step's message is not the repeated input either.
    let err = conv
        .apply(&key(), en(), Some(r1.step), answer(&r1, "native-win10"))
        .await
        .unwrap_err();
    assert!(matches!(err, ConvError::Outdated { .. }), "{err:?}");
    // A step from the future is outdated too.
    let err = conv
        .apply(&key(), en(), Some(r2.step + 5), Input::Back)
        .await
        .unwrap_err();
    assert!(matches!(err, ConvError::Outdated { .. }), "{err:?}");
    // The session is where it was.
    assert_eq!(conv.current(&key(), en()).unwrap(), r2);
}

#[tokio::test]
async fn an_answer_for_another_question_is_refused() {
    let conv = conversation(Arc::new(MemoryStore::new()));
    let r = conv.open(&key(), en()).await.unwrap().reply;
    let err = conv
        .apply(
            &key(),
            en(),
            Some(r.step),
            Input::Answer {
                node: "vm-disk".into(),
                choice: 0,
            },
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, ConvError::Step(StepError::NotCurrent { .. })),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_session_saved_under_other_rules_is_stale() {
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
    let err = conv
        .apply(&key(), en(), Some(4), Input::Back)
        .await
        .unwrap_err();
    assert!(matches!(err, ConvError::Stale(_)), "{err:?}");
    assert!(matches!(
        conv.current(&key(), en()),
        Err(ConvError::Stale(_))
    ));
    assert!(conv.peek(&key()).unwrap().unwrap().1.is_err());

    // Same version, but an answer the rules no longer have.
    let version = knowledge().rules.meta.version.clone();
    let mut record = SessionRecord::new(&version, "en-US", FIXED_TIME);
    record.answers = vec![Answer {
        node: "concern".into(),
        value: "bought-a-mac".into(),
    }];
    store.put(&key(), &record).await.unwrap();
    let err = conv
        .apply(&key(), en(), Some(0), Input::Back)
        .await
        .unwrap_err();
    assert!(matches!(err, ConvError::Stale(_)), "{err:?}");

    // Opening a stale session starts a new one rather than misreading it.
    let opened = conv.open(&key(), en()).await.unwrap();
    assert!(!opened.resumed);
    assert_eq!(node(&opened.reply), "concern");
    assert_eq!(opened.reply.step, 1);
    let stored = store.get(&key()).unwrap().unwrap();
    assert_eq!(stored.rules_version, version);
    assert!(stored.answers.is_empty());
}

#[tokio::test]
async fn start_new_increments_the_step() {
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
    let r1 = conv
        .apply(&key(), en(), Some(r0.step), answer(&r0, "check-risk"))
        .await
        .unwrap();
    now.store(FIXED_TIME + 60, Ordering::SeqCst);

    let fresh = conv.start_new(&key(), en()).await.unwrap();
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

    // A button from before the restart is outdated now.
    let err = conv
        .apply(&key(), en(), Some(r1.step), answer(&r1, "native-win10"))
        .await
        .unwrap_err();
    assert!(matches!(err, ConvError::Outdated { .. }), "{err:?}");

    // And again.
    let again = conv.start_new(&key(), en()).await.unwrap();
    assert_eq!(again.step, fresh.step + 1);
}

#[tokio::test]
async fn there_is_no_session_before_one_is_opened() {
    let conv = conversation(Arc::new(MemoryStore::new()));
    let err = conv
        .apply(&key(), en(), None, Input::Restart)
        .await
        .unwrap_err();
    assert!(matches!(err, ConvError::NoSession), "{err:?}");
    assert!(matches!(
        conv.current(&key(), en()),
        Err(ConvError::NoSession)
    ));
}
