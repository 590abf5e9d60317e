//! Many users saving at once must all get through: sled 0.34.7's `flush_async` deadlocked
//! when several ran concurrently next to transactions (sled issue #1308), which hung the
//! bot for good with a few dozen users clicking at once. The store now shares one flush
//! at a time; this drives it the way the bot does, on a multi-thread runtime of its own,
//! watched from outside (a deadlock blocks the runtime's workers, so a timer inside it
//! would never fire).

use std::sync::{mpsc, Arc};
use std::time::Duration;

use activation_check::clock::unix_now;
use activation_check::session::{Scope, SessionKey, SessionRecord, SessionStore};
use activation_check::store::{SledStore, StoreOptions};

#[test]
fn concurrent_durable_writes_all_complete() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().to_path_buf();
    let (done, finished) = mpsc::channel();
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let live = rt.block_on(async {
            let store = Arc::new(SledStore::open(&path, StoreOptions::default()).unwrap());
            let now = unix_now();
            for round in 0..5u64 {
                let tasks: Vec<_> = (0..100u64)
                    .map(|user| {
                        let store = store.clone();
                        tokio::spawn(async move {
                            let key = SessionKey::new(Scope::Guild(1), user.to_string());
                            let mut r = SessionRecord::new("v1", "en-US", now);
                            r.step = round;
                            store.put(&key, &r).await.unwrap();
                            assert_eq!(store.get(&key).unwrap().unwrap().step, round);
                        })
                    })
                    .collect();
                for t in tasks {
                    t.await.unwrap();
                }
            }
            store.len().unwrap()
        });
        let _ = done.send(live);
    });
    let live = finished
        .recv_timeout(Duration::from_secs(60))
        .expect("500 concurrent durable writes finish within a minute (no deadlock)");
    assert_eq!(live, 100);
}
