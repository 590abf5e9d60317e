//! The store contract, run against every store: sled (the default) and PostgreSQL (the
//! store `serve` workers share), through the same `Backend` the bot uses. Then what only
//! a shared store must do: take a step once however many workers try (`advance`), and
//! record each handled interaction once.
//!
//! PostgreSQL comes from `.ci/postgres start` (`ACTIVATION_CHECK_TEST_POSTGRES`); each
//! test gets a database of its own.

mod support;

use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use activation_check::discord::registry::{ChannelPins, Pin, PostedCard, Registry};
use activation_check::figures::{Event, Filter, Key, Place};
use activation_check::session::{Advanced, Answer, Scope, SessionKey, SessionRecord, SessionStore};
use activation_check::store::backend::Backend;
use activation_check::store::postgres::PgStore;
use activation_check::store::{SledStore, StoreOptions};

const T0: i64 = 1_800_000_000;
const TTL: Duration = Duration::from_secs(3600);

/// A store and the clock it reads.
struct Under {
    store: Backend,
    clock: Arc<AtomicI64>,
    _dir: Option<tempfile::TempDir>,
    /// The database's URL (PostgreSQL).
    url: Option<String>,
}

fn options(clock: &Arc<AtomicI64>) -> StoreOptions {
    let c = clock.clone();
    StoreOptions {
        ttl: TTL,
        clock: Arc::new(move || c.load(Ordering::SeqCst)),
        ..StoreOptions::default()
    }
}

fn sled() -> Under {
    let clock = Arc::new(AtomicI64::new(T0));
    let dir = tempfile::tempdir().unwrap();
    let store = SledStore::open(dir.path(), options(&clock)).unwrap();
    Under {
        store: Backend::Sled(Arc::new(store)),
        clock,
        _dir: Some(dir),
        url: None,
    }
}

async fn postgres() -> Option<Under> {
    let url = support::postgres::database().await?;
    let clock = Arc::new(AtomicI64::new(T0));
    let store = PgStore::connect(&url, options(&clock))
        .await
        .expect("the test database migrates");
    Some(Under {
        store: Backend::Postgres(Arc::new(store)),
        clock,
        _dir: None,
        url: Some(url),
    })
}

/// Runs `check` against sled, then PostgreSQL (when a cluster runs).
macro_rules! every_store {
    ($name:ident, $check:ident) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            $check(sled()).await;
            if let Some(pg) = postgres().await {
                $check(pg).await;
            }
        }
    };
}

fn key(user: &str) -> SessionKey {
    SessionKey::new(Scope::Guild(42), user)
}

fn record(step: u64, at: i64) -> SessionRecord {
    let mut r = SessionRecord::new("2026.12.06", "ja", at);
    r.step = step;
    r.answers = vec![Answer {
        node: "concern".into(),
        value: "lost-activation".into(),
    }];
    r.last_input = Some(format!("answer:concern:{step}"));
    r
}

async fn records_round_trip_and_are_removed(u: Under) {
    let s = &u.store;
    assert_eq!(s.load(&key("1")).await.unwrap(), None);
    s.put(&key("1"), &record(1, T0)).await.unwrap();
    assert_eq!(s.load(&key("1")).await.unwrap(), Some(record(1, T0)));
    // A save is read back at once, durable or not yet.
    s.save(&key("1"), &record(2, T0)).await.unwrap();
    assert_eq!(s.load(&key("1")).await.unwrap(), Some(record(2, T0)));
    assert_eq!(s.get(&key("1")).unwrap(), Some(record(2, T0)));
    // Scopes never mix.
    let dm = SessionKey::new(Scope::Dm, "1");
    assert_eq!(s.load(&dm).await.unwrap(), None);
    assert!(s.remove(&key("1")).await.unwrap());
    assert!(!s.remove(&key("1")).await.unwrap());
    assert_eq!(s.load(&key("1")).await.unwrap(), None);
}
every_store!(records_round_trip, records_round_trip_and_are_removed);

async fn records_expire_after_the_ttl_and_are_pruned(u: Under) {
    let s = &u.store;
    s.put(&key("old"), &record(1, T0)).await.unwrap();
    s.put(&key("new"), &record(1, T0 + 1800)).await.unwrap();
    u.clock.store(T0 + 3600, Ordering::SeqCst);
    assert_eq!(
        s.load(&key("old")).await.unwrap(),
        None,
        "expired at updated_at + ttl"
    );
    assert!(s.load(&key("new")).await.unwrap().is_some());
    assert_eq!(s.prune_expired(T0 + 3600).await.unwrap(), 1);
    assert_eq!(s.prune_expired(T0 + 3600).await.unwrap(), 0);
    assert_eq!(s.len().await.unwrap(), 1);
}
every_store!(expiry, records_expire_after_the_ttl_and_are_pruned);

async fn forgetting_a_user_removes_every_scope_and_nothing_else(u: Under) {
    let s = &u.store;
    for k in [
        SessionKey::new(Scope::Guild(1), "7"),
        SessionKey::new(Scope::Guild(2), "7"),
        SessionKey::new(Scope::Dm, "7"),
        SessionKey::new(Scope::Guild(1), "8"),
        SessionKey::new(Scope::Guild(1), "77"),
    ] {
        s.put(&k, &record(1, T0)).await.unwrap();
    }
    assert_eq!(s.forget_user("7").await.unwrap(), 3);
    assert_eq!(s.forget_user("7").await.unwrap(), 0);
    assert!(s
        .load(&SessionKey::new(Scope::Guild(1), "8"))
        .await
        .unwrap()
        .is_some());
    assert!(s
        .load(&SessionKey::new(Scope::Guild(1), "77"))
        .await
        .unwrap()
        .is_some());
}
every_store!(
    forget_user,
    forgetting_a_user_removes_every_scope_and_nothing_else
);

async fn a_first_advance_saves(u: Under) {
    let s = &u.store;
    assert_eq!(
        s.advance(&key("a"), &record(1, T0)).await.unwrap(),
        Advanced::Saved
    );
    assert_eq!(
        s.advance(&key("a"), &record(2, T0)).await.unwrap(),
        Advanced::Saved
    );
    assert_eq!(s.load(&key("a")).await.unwrap(), Some(record(2, T0)));
}
every_store!(advance_forward, a_first_advance_saves);

async fn deleting_saved_answers_leaves_no_session(u: Under) {
    let s = &u.store;
    s.put(&key("d"), &record(3, T0)).await.unwrap();
    assert!(
        s.forget(&key("d"), 3).await.unwrap(),
        "a session was deleted"
    );
    assert!(
        !s.forget(&key("d"), 3).await.unwrap(),
        "none the second time"
    );
    assert_eq!(s.load(&key("d")).await.unwrap(), None);
    assert_eq!(s.get(&key("d")).unwrap(), None);
    assert_eq!(s.len().await.unwrap(), 0, "nothing counted");
    assert!(!s.remove(&key("d")).await.unwrap(), "nothing to remove");
    assert_eq!(s.forget_user("d").await.unwrap(), 0, "nothing to forget");
}
every_store!(forget_one, deleting_saved_answers_leaves_no_session);

fn card(message_id: u64, version: &str, pinned: bool) -> PostedCard {
    PostedCard {
        guild_id: Some(1),
        channel_id: 2,
        message_id,
        outcome: "win10-phone".into(),
        verdict: "phone-reactivation".into(),
        locale: "ja".into(),
        rules_version: version.into(),
        generated_at: 10,
        posted_at: 11,
        pin: pinned.then_some(Pin {
            by: Some(5),
            at: 12,
        }),
    }
}

async fn the_registry_keeps_posts_pins_and_lists_outdated_ones(u: Under) {
    let reg = Registry::of(&u.store).unwrap();
    reg.record_post(&card(100, "old", false)).await.unwrap();
    reg.record_post(&card(101, "new", false)).await.unwrap();
    reg.record_post(&card(102, "old", false)).await.unwrap();
    let pinned = reg.mark_pinned(100, 9, 99).await.unwrap().unwrap();
    assert_eq!(
        pinned.pin,
        Some(Pin {
            by: Some(9),
            at: 99
        })
    );
    assert_eq!(reg.mark_pinned(999, 9, 99).await.unwrap(), None);
    reg.mark_pinned(101, 9, 99).await.unwrap();
    // Posted again (the same message back from Discord): first post time and pin stay.
    let mut again = card(100, "old", false);
    again.posted_at = 500;
    let kept = reg.record_post(&again).await.unwrap();
    assert_eq!(
        kept.pin,
        Some(Pin {
            by: Some(9),
            at: 99
        })
    );
    assert_eq!(kept.posted_at, 11);
    assert_eq!(reg.get(100).await.unwrap(), Some(kept));
    let outdated: Vec<u64> = reg
        .outdated_pins(Some(1), "new")
        .await
        .unwrap()
        .iter()
        .map(|c| c.message_id)
        .collect();
    assert_eq!(outdated, vec![100]);
    // Discord's complete list: 102 was pinned in its menu, 101 unpinned.
    let list = [ChannelPins {
        channel_id: 2,
        pinned: vec![100, 102],
        complete: true,
    }];
    assert_eq!(reg.sync_pins(&list, 200).await.unwrap(), 2);
    assert_eq!(reg.get(101).await.unwrap().unwrap().pin, None);
    assert_eq!(
        reg.get(102).await.unwrap().unwrap().pin,
        Some(Pin { by: None, at: 200 })
    );
    assert_eq!(reg.sync_pins(&list, 210).await.unwrap(), 0);
    let all: Vec<u64> = reg
        .all()
        .await
        .unwrap()
        .iter()
        .map(|c| c.message_id)
        .collect();
    assert_eq!(all, vec![100, 101, 102]);
}
every_store!(
    registry,
    the_registry_keeps_posts_pins_and_lists_outdated_ones
);

async fn figures_add_up_across_flushes_and_count_sessions_given_up(u: Under) {
    let s = &u.store;
    let tally = s.tally().unwrap();
    let day = Key::new(T0, "2026.12.06", "ja", Place::Guild(42));
    tally.record(day.clone(), &Event::Started);
    tally.record(day.clone(), &Event::Finished { outcome: "o1" });
    assert_eq!(tally.flush().await.unwrap(), 1);
    assert_eq!(tally.flush().await.unwrap(), 0, "nothing added twice");
    tally.record(day.clone(), &Event::Started);
    tally.record(
        day.clone(),
        &Event::Vote {
            outcome: "o1",
            helped: false,
            before: None,
        },
    );
    // Read before the flush (stored plus in memory), and after it, from a second tally
    // on the same store (what another worker reads).
    let r = tally.report(&Filter::default()).await.unwrap();
    assert_eq!((r.totals.started, r.totals.finished), (2, 1));
    tally.flush().await.unwrap();
    let other = s.tally().unwrap();
    let all = other.all().await.unwrap();
    assert_eq!(all[&day].started, 2);
    assert_eq!(all[&day].outcomes["o1"], 1);
    assert_eq!(all[&day].not_helped["o1"], 1);

    // A conversation left at its second question and pruned: given up there.
    let rules = Arc::new(
        activation_check::rules::load(std::path::Path::new("rules/activation-check.toml")).unwrap(),
    );
    let shipped = rules.clone();
    s.count_abandoned(&tally, move || shipped.clone());
    let mut left = SessionRecord::new(&rules.meta.version, "ja", T0);
    left.answers = vec![Answer {
        node: "concern".into(),
        value: rules
            .question(rules.find("concern").unwrap())
            .unwrap()
            .choices[0]
            .value
            .clone(),
    }];
    s.put(&key("gone"), &left).await.unwrap();
    assert_eq!(s.prune_expired(T0 + 7200).await.unwrap(), 1);
    tally.flush().await.unwrap();
    let r = other.report(&Filter::default()).await.unwrap();
    assert_eq!(r.drop_off, vec![("lost-origin".to_owned(), 1)]);
}
every_store!(
    figures,
    figures_add_up_across_flushes_and_count_sessions_given_up
);

// ---- what a shared store must do --------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_takes_a_step_once_whoever_tries_it() {
    let Some(u) = postgres().await else {
        return;
    };
    let s = &u.store;
    assert_eq!(
        s.advance(&key("a"), &record(3, T0)).await.unwrap(),
        Advanced::Saved
    );
    // The same step again (another worker given the same click): left as it is.
    let mut other = record(3, T0 + 5);
    other.last_input = Some("back".into());
    assert_eq!(
        s.advance(&key("a"), &other).await.unwrap(),
        Advanced::Behind(record(3, T0))
    );
    // An older step (a click on an older message) changes nothing either.
    assert_eq!(
        s.advance(&key("a"), &record(2, T0 + 5)).await.unwrap(),
        Advanced::Behind(record(3, T0))
    );
    assert_eq!(s.load(&key("a")).await.unwrap(), Some(record(3, T0)));
    // An expired record does not stand in the way of a new conversation.
    u.clock.store(T0 + 4000, Ordering::SeqCst);
    assert_eq!(
        s.advance(&key("a"), &record(0, T0 + 4000)).await.unwrap(),
        Advanced::Saved
    );

    // Many writers racing on one step: exactly one wins.
    u.clock.store(T0 + 5000, Ordering::SeqCst);
    s.put(&key("race"), &record(10, T0 + 5000)).await.unwrap();
    let mut racers = Vec::new();
    for i in 0..16 {
        let s = s.clone();
        racers.push(tokio::spawn(async move {
            let mut r = record(11, T0 + 5000);
            r.last_input = Some(format!("racer {i}"));
            s.advance(&key("race"), &r).await.unwrap()
        }));
    }
    let mut won = 0;
    for r in racers {
        if r.await.unwrap() == Advanced::Saved {
            won += 1;
        }
    }
    assert_eq!(won, 1, "one step, one winner");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_refuses_a_step_of_a_deleted_conversation_whoever_is_asked() {
    let Some(u) = postgres().await else {
        return;
    };
    let s = &u.store;
    let Backend::Postgres(pg) = s else {
        unreachable!()
    };
    s.put(&key("d"), &record(3, T0)).await.unwrap();
    s.put(&key("kept"), &record(1, T0)).await.unwrap();
    // Deleted from the message shown at step 3: the deletion is step 4.
    assert!(s.forget(&key("d"), 3).await.unwrap());
    // A step from any button shown before (their clicks make steps 1 to 4): refused,
    // by this worker or another one on the same database.
    let other = PgStore::connect(u.url.as_deref().unwrap(), options(&u.clock))
        .await
        .unwrap();
    for step in 1..=4 {
        assert_eq!(
            s.advance(&key("d"), &record(step, T0 + 5)).await.unwrap(),
            Advanced::Forgotten { step: 4 }
        );
        assert_eq!(
            other
                .advance(&key("d"), &record(step, T0 + 5))
                .await
                .unwrap(),
            Advanced::Forgotten { step: 4 }
        );
    }
    assert_eq!(s.forgotten_at(&key("d")).await.unwrap(), Some(4));
    assert_eq!(s.forgotten_at(&key("kept")).await.unwrap(), None);
    // Deleting again from an older message keeps the deletion where it was.
    assert!(!other.forget(&key("d"), 1).await.unwrap());
    assert_eq!(
        s.advance(&key("d"), &record(2, T0 + 5)).await.unwrap(),
        Advanced::Forgotten { step: 4 }
    );
    // The marker is no session: not read, counted, exported, nor pruned as given up.
    assert_eq!(s.load(&key("d")).await.unwrap(), None);
    assert_eq!(s.len().await.unwrap(), 1);
    let snapshot = pg.snapshot().await.unwrap();
    assert_eq!(
        snapshot
            .sessions
            .iter()
            .map(|(k, _)| k.clone())
            .collect::<Vec<_>>(),
        vec![key("kept")]
    );
    assert_eq!(snapshot.unreadable, 0);
    // A step after the deletion (Start over, a new conversation) is written.
    assert_eq!(
        s.advance(&key("d"), &record(5, T0 + 5)).await.unwrap(),
        Advanced::Saved
    );
    assert_eq!(s.load(&key("d")).await.unwrap(), Some(record(5, T0 + 5)));
    assert_eq!(s.forgotten_at(&key("d")).await.unwrap(), None);
    assert_eq!(s.len().await.unwrap(), 2);

    // A marker expires like a session: then nothing stands in the way, and pruning it
    // counts no session.
    assert!(s.forget(&key("kept"), 1).await.unwrap());
    u.clock.store(T0 + 3600, Ordering::SeqCst);
    assert_eq!(s.prune_expired(T0 + 3600).await.unwrap(), 0);
    assert_eq!(
        s.advance(&key("kept"), &record(1, T0 + 3600))
            .await
            .unwrap(),
        Advanced::Saved
    );

    // `sessions forget --user` removes the markers too, and counts only sessions.
    assert!(s.forget(&key("d"), 5).await.unwrap());
    assert_eq!(s.forget_user("d").await.unwrap(), 0);
    assert_eq!(
        s.advance(&key("d"), &record(1, T0 + 3600)).await.unwrap(),
        Advanced::Saved,
        "no marker left"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_records_each_interaction_once_and_migrates_once() {
    let Some(url) = support::postgres::database().await else {
        return;
    };
    // Two workers starting together migrate the database once.
    let (a, b) = tokio::join!(
        PgStore::connect(&url, StoreOptions::default()),
        PgStore::connect(&url, StoreOptions::default())
    );
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(
        a.schema_version().await.unwrap(),
        activation_check::store::postgres::MIGRATIONS.len() as i32
    );
    assert!(a
        .claim_interaction(1_300_000_000_000_000_001)
        .await
        .unwrap());
    assert!(!b
        .claim_interaction(1_300_000_000_000_000_001)
        .await
        .unwrap());
    assert!(!a
        .claim_interaction(1_300_000_000_000_000_001)
        .await
        .unwrap());
    assert!(b
        .claim_interaction(1_300_000_000_000_000_002)
        .await
        .unwrap());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_two_workers_flushing_figures_at_once_lose_no_count() {
    let Some(u) = postgres().await else {
        return;
    };
    // Two workers: their own connections, their own tallies, the same rows.
    let url = u.url.clone().unwrap();
    const ROUNDS: i64 = 40;
    let mut workers = Vec::new();
    for w in 0..2 {
        let other = PgStore::connect(&url, StoreOptions::default())
            .await
            .unwrap();
        let tally = Backend::Postgres(Arc::new(other)).tally().unwrap();
        workers.push(tokio::spawn(async move {
            for round in 0..ROUNDS {
                // The same keys from both workers, and one of each worker's own.
                for place in [Place::Guild(1), Place::Dm, Place::Guild(100 + w)] {
                    let k = Key::new(T0, "v", "ja", place);
                    tally.record(k.clone(), &Event::Started);
                    tally.record(k, &Event::Finished { outcome: "o" });
                }
                if round % 2 == w as i64 % 2 {
                    tokio::task::yield_now().await;
                }
                tally.flush().await.unwrap();
            }
        }));
    }
    for w in workers {
        w.await.unwrap();
    }
    let all = u.store.tally().unwrap().all().await.unwrap();
    let shared = &all[&Key::new(T0, "v", "ja", Place::Guild(1))];
    assert_eq!(
        (shared.started, shared.outcomes["o"]),
        (2 * ROUNDS, 2 * ROUNDS)
    );
    assert_eq!(
        all[&Key::new(T0, "v", "ja", Place::Dm)].finished,
        2 * ROUNDS
    );
    assert_eq!(
        all[&Key::new(T0, "v", "ja", Place::Guild(100))].started,
        ROUNDS
    );
    assert_eq!(
        all[&Key::new(T0, "v", "ja", Place::Guild(101))].started,
        ROUNDS
    );
}
