//! Durability: the open database, reopened after a storage error; one flush at a time,
//! shared by every write completed before it (group commit); and the writer that writes
//! saved sessions behind the replies. The module documentation of [`super`] says why.

use std::io;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use super::dir::{open_error, OpenError};
use super::index::{index_key, remove_index_entry};
use super::{write_error, INDEX_TREE, RECORDS_TREE};
use crate::session::StoreError;

/// How long reopening the store after a storage error waits for the lock of the
/// database it has just closed.
const REOPEN_LOCK_WAIT: Duration = Duration::from_secs(1);

/// A flush slower than this is logged (at debug level): the disk, not the bot, is then
/// what a user waits for.
const SLOW_FLUSH: Duration = Duration::from_millis(5);

/// The writer started by [`SledStore::write_behind`] writes one group of saved sessions
/// and flushes at most this often.
pub const WRITE_BEHIND: Duration = Duration::from_millis(50);

/// After a group could not be written, the writer waits this long at most before it
/// tries again (the pause doubles from [`WRITE_BEHIND`] up to this).
const RETRY_AT_MOST: Duration = Duration::from_secs(5);

/// A session saved with [`SessionStore::save`] and not yet durable.
pub(super) struct Pending {
    /// Which save this is; a later save of the same key gets a higher one.
    pub(super) seq: u64,
    /// The record in [`record_bytes`]'s layout.
    pub(super) value: Vec<u8>,
    pub(super) updated_at: i64,
}

/// Sessions saved and not yet durable, newest per session key.
#[derive(Default)]
pub(super) struct Queue {
    pub(super) next_seq: u64,
    pub(super) by_key: std::collections::HashMap<String, Pending>,
    /// The writer waits on [`QueueCell::saved`] for the next save.
    pub(super) writer_idle: bool,
}

/// A group taken from the queue and written to sled: which saves it holds, so that they
/// leave the queue once durable (unless saved again meanwhile).
pub(super) struct Group {
    pub(super) generation: u64,
    pub(super) written: Vec<(String, u64)>,
}

/// The open database, replaced as a whole when it has to be reopened.
pub(super) struct Handles {
    /// Which opening of the database these are; every reopen gets a new one.
    pub(super) generation: u64,
    pub(super) db: sled::Db,
    pub(super) records: sled::Tree,
    pub(super) index: sled::Tree,
}

impl Handles {
    /// Writes one session record: its index entry first, the record second, the replaced
    /// record's entry last (see the module documentation). Not flushed.
    pub(super) fn write_record(
        &self,
        key: &str,
        value: &[u8],
        updated_at: i64,
    ) -> Result<(), sled::Error> {
        let new_entry = index_key(updated_at, key);
        self.index.insert(new_entry.as_slice(), &[] as &[u8])?;
        let old = self.records.insert(key.as_bytes(), value)?;
        remove_index_entry(&self.index, key, old.as_deref(), Some(&new_entry))
    }
}

/// What the store and its [`JsonTree`]s share: the database, reopened after a storage
/// error.
///
/// sled 0.34.7 poisons itself on the first failed write (say, a full disk): it records
/// a global error that every later write and flush returns, until the database is opened
/// again, and its in-memory trees may hold the write that never reached the disk. So
/// after any sled error the handles are dropped, and the next operation opens the
/// directory again, which recovers what is on disk: the user is told that the save
/// failed, nothing changed, and once space returns the store works again without a
/// restart.
pub(super) struct Shared {
    pub(super) dir: PathBuf,
    pub(super) cache_capacity: u64,
    pub(super) live: std::sync::Mutex<Option<Arc<Handles>>>,
    /// The generation the next opening gets.
    pub(super) next_generation: AtomicU64,
    /// Writes that asked to be made durable so far; each takes a ticket.
    pub(super) tickets: AtomicU64,
    /// The last successful flush: its generation and the highest ticket it covers.
    pub(super) flushed: std::sync::Mutex<(u64, u64)>,
    /// One flush at a time.
    pub(super) turn: tokio::sync::Mutex<()>,
    /// Sessions saved and not yet written durably (see the module documentation).
    pub(super) queue: Arc<QueueCell>,
    /// Held while a group moves from the queue into sled, and by every other write or
    /// removal of a session record, so they never overtake one another.
    pub(super) apply: std::sync::Mutex<()>,
    /// Set while the store cannot write (the last group or durable write failed).
    pub(super) unsaved: std::sync::atomic::AtomicBool,
    /// Set once [`SledStore::write_behind`] started the writer.
    pub(super) writer: std::sync::OnceLock<()>,
}

/// The queue of saved sessions and what wakes the writer when a session is saved into it
/// empty. Shared with the writer's thread apart from the rest of the store, so that a
/// waiting writer does not keep the store (and its database) open.
#[derive(Default)]
pub(super) struct QueueCell {
    pub(super) queue: std::sync::Mutex<Queue>,
    pub(super) saved: std::sync::Condvar,
}

impl Shared {
    /// The shared part of a store on `dir`, its database not opened yet.
    pub(super) fn new(dir: &std::path::Path, cache_capacity: u64) -> Shared {
        Shared {
            dir: dir.to_path_buf(),
            cache_capacity,
            live: std::sync::Mutex::new(None),
            next_generation: AtomicU64::new(0),
            tickets: AtomicU64::new(0),
            flushed: std::sync::Mutex::new((0, 0)),
            turn: tokio::sync::Mutex::new(()),
            queue: Arc::default(),
            apply: std::sync::Mutex::new(()),
            unsaved: std::sync::atomic::AtomicBool::new(false),
            writer: std::sync::OnceLock::new(),
        }
    }

    pub(super) fn open_handles(&self) -> Result<Handles, OpenError> {
        let dir = &self.dir;
        let config = sled::Config::new()
            .path(dir)
            .cache_capacity(self.cache_capacity)
            // LowSpace rather than HighThroughput: writes come at the pace of people
            // clicking buttons and each record is a few hundred bytes, so throughput is
            // never the limit, while the data directory may sit on a small volume. (sled
            // 0.34.7 stores this setting without acting on it; LowSpace is also its
            // default. It is set explicitly so the choice survives a sled upgrade.)
            .mode(sled::Mode::LowSpace)
            // Every write this store makes durable is flushed by the store itself (puts
            // and removals before they return, saved sessions by the writer): sled's own
            // flusher, every 500 ms, would only wake a thread to find nothing to do.
            .flush_every_ms(None);
        let db = config.open().map_err(|e| open_error(dir, e))?;
        let records = db.open_tree(RECORDS_TREE).map_err(|e| open_error(dir, e))?;
        let index = db.open_tree(INDEX_TREE).map_err(|e| open_error(dir, e))?;
        Ok(Handles {
            generation: self.next_generation.fetch_add(1, Ordering::SeqCst),
            db,
            records,
            index,
        })
    }

    pub(super) fn slot(&self) -> std::sync::MutexGuard<'_, Option<Arc<Handles>>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens the directory again after this store dropped its database. The lock of the
    /// database just closed goes a moment after the drop (when sled's threads let go of
    /// it, or a child process forked meanwhile execs), so `Locked` is waited out until
    /// `deadline` rather than reported.
    pub(super) fn reopen(&self, deadline: std::time::Instant) -> Result<Handles, OpenError> {
        loop {
            match self.open_handles() {
                Err(OpenError::Locked { .. }) if std::time::Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                opened => return opened,
            }
        }
    }

    /// The open database, opening it again first if a storage error closed it.
    pub(super) fn handles(&self) -> Result<Arc<Handles>, sled::Error> {
        let mut slot = self.slot();
        if let Some(h) = &*slot {
            return Ok(h.clone());
        }
        match self.reopen(std::time::Instant::now() + REOPEN_LOCK_WAIT) {
            Ok(h) => {
                tracing::info!(dir = %self.dir.display(), "reopened the store after a storage error");
                let h = Arc::new(h);
                *slot = Some(h.clone());
                Ok(h)
            }
            Err(e) => {
                tracing::warn!(error = %e, "the store could not be reopened yet; will retry");
                Err(sled::Error::Io(io::Error::other(e.to_string())))
            }
        }
    }

    /// [`Shared::handles`] for an operation: a store that cannot be reopened yet (sled
    /// needs to write to open, so a full disk keeps it closed) is a failed save, whatever
    /// the operation, so the user is asked to try again in a moment.
    pub(super) fn handles_or_unsaved(&self) -> Result<Arc<Handles>, StoreError> {
        self.handles().map_err(write_error)
    }

    /// Closes `handles` after a storage error, unless they were already replaced. The
    /// database is dropped once the last operation using it finishes.
    pub(super) fn failed(&self, handles: &Arc<Handles>, e: &sled::Error) {
        let dropped = {
            let mut slot = self.slot();
            match &*slot {
                Some(h) if Arc::ptr_eq(h, handles) => slot.take(),
                _ => None,
            }
        };
        if dropped.is_some() {
            tracing::warn!(
                error = %e,
                "a storage error; the store will be reopened before its next use"
            );
        }
    }

    /// Runs `op` on the open database; a sled error closes it for reopening and is
    /// reported through `map`.
    pub(super) fn with<T>(
        &self,
        map: fn(sled::Error) -> StoreError,
        op: impl FnOnce(&Handles) -> Result<T, sled::Error>,
    ) -> Result<T, StoreError> {
        self.write(map, op).map(|(t, _)| t)
    }

    /// [`Shared::with`] for a write: also returns the generation written to, which
    /// [`Shared::durable`] needs.
    pub(super) fn write<T>(
        &self,
        map: fn(sled::Error) -> StoreError,
        op: impl FnOnce(&Handles) -> Result<T, sled::Error>,
    ) -> Result<(T, u64), StoreError> {
        let h = self.handles_or_unsaved()?;
        match op(&h) {
            Ok(t) => Ok((t, h.generation)),
            Err(e) => {
                self.failed(&h, &e);
                Err(map(e))
            }
        }
    }

    /// Returns once everything written to generation `written_to` before this call is
    /// on disk (see the module documentation).
    pub(super) async fn durable(&self, written_to: u64) -> Result<(), StoreError> {
        let ticket = self.tickets.fetch_add(1, Ordering::SeqCst) + 1;
        let _turn = self.turn.lock().await;
        let Some((h, upto)) = self.flush_due(written_to, ticket)? else {
            return Ok(());
        };
        let db = h.db.clone();
        let result = tokio::task::spawn_blocking(move || timed_flush(&db))
            .await
            .map_err(|e| StoreError::Write(format!("the flush did not run: {e}")))?;
        self.flushed(&h, upto, result)
    }

    /// Writes everything written so far to disk without blocking the async runtime.
    pub(super) async fn flush(&self) -> Result<(), StoreError> {
        let generation = self.handles_or_unsaved()?.generation;
        self.durable(generation).await
    }

    pub(super) fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub(super) fn apply_turn(&self) -> std::sync::MutexGuard<'_, ()> {
        self.apply.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The bytes of a session saved and not yet durable.
    pub(super) fn queued(&self, key: &str) -> Option<Vec<u8>> {
        self.queue().by_key.get(key).map(|p| p.value.clone())
    }

    /// Writes every queued session to sled (not flushed); `None` when none is queued.
    pub(super) fn apply_queue(&self) -> Result<Option<Group>, StoreError> {
        let _turn = self.apply_turn();
        let group: Vec<(String, u64, Vec<u8>, i64)> = self
            .queue()
            .by_key
            .iter()
            .map(|(k, p)| (k.clone(), p.seq, p.value.clone(), p.updated_at))
            .collect();
        if group.is_empty() {
            return Ok(None);
        }
        let ((), generation) = self.write(write_error, |h| {
            for (key, _, value, updated_at) in &group {
                h.write_record(key, value, *updated_at)?;
            }
            Ok(())
        })?;
        Ok(Some(Group {
            generation,
            written: group.into_iter().map(|(k, seq, ..)| (k, seq)).collect(),
        }))
    }

    /// The saves of `group` are durable: they leave the queue, unless saved again since.
    pub(super) fn written(&self, group: Group) {
        let mut queue = self.queue();
        for (key, seq) in group.written {
            if queue.by_key.get(&key).is_some_and(|p| p.seq == seq) {
                queue.by_key.remove(&key);
            }
        }
    }

    /// Writes every queued session and makes it durable with one flush; returns how
    /// many were written. On failure they stay queued.
    pub(super) async fn write_queue(&self) -> Result<usize, StoreError> {
        let Some(group) = self.apply_queue()? else {
            return Ok(0);
        };
        self.durable(group.generation).await?;
        let n = group.written.len();
        self.written(group);
        Ok(n)
    }

    /// [`Shared::write_queue`] for the writer's own thread: the flush runs right there.
    pub(super) fn write_queue_blocking(&self) -> Result<usize, StoreError> {
        let Some(group) = self.apply_queue()? else {
            return Ok(0);
        };
        self.durable_blocking(group.generation)?;
        let n = group.written.len();
        self.written(group);
        Ok(n)
    }

    /// [`Shared::durable`] on a thread outside the async runtime (the writer's): the same
    /// turns and tickets, the flush run on the calling thread.
    pub(super) fn durable_blocking(&self, written_to: u64) -> Result<(), StoreError> {
        let ticket = self.tickets.fetch_add(1, Ordering::SeqCst) + 1;
        let _turn = self.turn.blocking_lock();
        let Some((h, upto)) = self.flush_due(written_to, ticket)? else {
            return Ok(());
        };
        let result = timed_flush(&h.db);
        self.flushed(&h, upto, result)
    }

    /// With the flush turn held: the open database and the highest ticket a flush
    /// starting now covers, or `None` if a flush that started after the write of
    /// `ticket` to generation `written_to` already finished. A write to a database
    /// since reopened fails: it may never reach the disk.
    fn flush_due(
        &self,
        written_to: u64,
        ticket: u64,
    ) -> Result<Option<(Arc<Handles>, u64)>, StoreError> {
        let h = self.handles_or_unsaved()?;
        if h.generation != written_to {
            return Err(StoreError::Write(
                "the store was reopened after a storage error before this write reached the \
                 disk"
                    .to_owned(),
            ));
        }
        let covered = {
            let flushed = self.flushed.lock().unwrap_or_else(|e| e.into_inner());
            flushed.0 == written_to && flushed.1 >= ticket
        };
        if covered {
            return Ok(None);
        }
        // Every ticket up to `upto` was taken after its write completed, so before this
        // flush starts: the flush covers them all.
        let upto = self.tickets.load(Ordering::SeqCst);
        Ok(Some((h, upto)))
    }

    /// Records a flush of `h` covering tickets up to `upto`, or closes `h` after its
    /// error.
    fn flushed(
        &self,
        h: &Arc<Handles>,
        upto: u64,
        result: Result<usize, sled::Error>,
    ) -> Result<(), StoreError> {
        match result {
            Ok(_) => {
                let mut flushed = self.flushed.lock().unwrap_or_else(|e| e.into_inner());
                if flushed.0 != h.generation || flushed.1 < upto {
                    *flushed = (h.generation, upto);
                }
                Ok(())
            }
            Err(e) => {
                self.failed(h, &e);
                Err(write_error(e))
            }
        }
    }

    /// Records whether the last write reached the disk; logs a change.
    pub(super) fn set_unsaved(&self, failed: bool) {
        let was = self.unsaved.swap(failed, Ordering::SeqCst);
        if was && !failed {
            tracing::info!("the store writes again; saved sessions are written behind the replies");
        }
    }
}

/// `db.flush()`, logged (at debug level) when slower than [`SLOW_FLUSH`].
fn timed_flush(db: &sled::Db) -> Result<usize, sled::Error> {
    let started = std::time::Instant::now();
    let result = db.flush();
    let took = started.elapsed();
    if took > SLOW_FLUSH {
        tracing::debug!(took_ms = took.as_secs_f64() * 1e3, "a slow flush");
    }
    result
}

/// The writer started by [`SledStore::write_behind`], on a thread of its own: one group and
/// one flush at most every [`WRITE_BEHIND`], for as long as the store exists. While
/// sessions keep coming it sleeps from one group to the next; once a whole interval
/// passed without one, it waits on a condition variable, and the next `save` wakes it.
/// It flushes on its own thread, so a group costs the runtime's worker threads nothing
/// (no task to wake, no timer, no hand-off to a blocking thread).
pub(super) fn write_behind(shared: std::sync::Weak<Shared>, cell: Arc<QueueCell>) {
    let mut pause = WRITE_BEHIND;
    let mut last = std::time::Instant::now();
    loop {
        // Idle: wait for a save, looking now and then whether the store is gone (this
        // thread then ends).
        {
            let mut queue = cell.queue.lock().unwrap_or_else(|e| e.into_inner());
            while queue.by_key.is_empty() {
                queue.writer_idle = true;
                let (q, _) = cell
                    .saved
                    .wait_timeout(queue, Duration::from_secs(1))
                    .unwrap_or_else(|e| e.into_inner());
                queue = q;
                queue.writer_idle = false;
                if queue.by_key.is_empty() && shared.strong_count() == 0 {
                    return;
                }
            }
        }
        // Busy: one group per interval, for as long as sessions come.
        loop {
            let due = last + pause;
            let now = std::time::Instant::now();
            if due > now {
                std::thread::sleep(due - now);
            }
            if cell
                .queue
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .by_key
                .is_empty()
            {
                break;
            }
            last = std::time::Instant::now();
            let Some(s) = shared.upgrade() else {
                return;
            };
            match s.write_queue_blocking() {
                Ok(_) => {
                    pause = WRITE_BEHIND;
                    s.set_unsaved(false);
                }
                Err(e) => {
                    let queued = s.queue().by_key.len();
                    if !s.unsaved.swap(true, Ordering::SeqCst) {
                        tracing::error!(
                            sessions = queued,
                            error = %e,
                            "could not write the saved sessions; they stay in memory and are \
                             retried, and until a write succeeds each step is saved before its \
                             reply"
                        );
                    }
                    pause = (pause * 2).min(RETRY_AT_MOST);
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::time::Duration;

    use super::super::testing::*;
    use super::super::{SledStore, StoreOptions};
    use crate::clock::unix_now;
    use crate::session::{Scope, SessionKey, SessionStore};

    /// sled 0.34's `flush_async` deadlocks sled's thread pool when several run at once
    /// (spacejam/sled#1308), which hung bot handlers for good under load: every one of
    /// many concurrent puts must complete.
    #[test]
    fn many_concurrent_puts_all_complete() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().to_path_buf();
        let (done, finished) = std::sync::mpsc::channel();
        // On a thread of its own: a deadlocked sled blocks the runtime's threads too, and
        // the test must still end.
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .unwrap();
            let live = runtime.block_on(async {
                let store = Arc::new(SledStore::open(&path, StoreOptions::default()).unwrap());
                for round in 0..30 {
                    let puts = (0..64u64).map(|user| {
                        let store = store.clone();
                        tokio::spawn(async move {
                            let key = SessionKey::new(Scope::Dm, user.to_string());
                            let mut rec = record(unix_now());
                            rec.step = round;
                            store.put(&key, &rec).await
                        })
                    });
                    for put in futures::future::join_all(puts).await {
                        put.unwrap().unwrap();
                    }
                }
                store.len().unwrap()
            });
            let _ = done.send(live);
        });
        let live = finished
            .recv_timeout(Duration::from_secs(60))
            .expect("1920 puts, 64 at a time, completed within 60 s");
        assert_eq!(live, 64);
    }

    /// Waits until the writer has emptied the queue (it writes every 50 ms).
    fn written_behind(store: &SledStore) {
        let until = std::time::Instant::now() + Duration::from_secs(10);
        while store.queued() > 0 {
            assert!(std::time::Instant::now() < until, "the writer never wrote");
            std::thread::sleep(Duration::from_millis(5));
        }
    }

    #[tokio::test]
    async fn saved_sessions_are_read_at_once_and_written_behind() {
        let dir = tempfile::tempdir().unwrap();
        let key = SessionKey::new(Scope::Guild(81384788765712384), "80351110224678912");
        let mut rec = record(unix_now());
        {
            let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
            // Without the writer, a save is durable before it returns (the terminal).
            assert_send(store.save(&key, &rec)).await.unwrap();
            assert_eq!(store.queued(), 0);
            store.write_behind();
            rec.step = 2;
            store.save(&key, &rec).await.unwrap();
            // Read back at once, before the writer got to it.
            assert_eq!(store.get(&key).unwrap(), Some(rec.clone()));
            written_behind(&store);
            assert_eq!(store.get(&key).unwrap(), Some(rec.clone()));
            rec.step = 3;
            store.save(&key, &rec).await.unwrap();
            written_behind(&store);
        }
        // Durable: the writer flushed it.
        let store = SledStore::reopen_for_test(dir.path(), StoreOptions::default);
        assert_eq!(store.get(&key).unwrap(), Some(rec));
        assert_eq!(index_entries(&store).len(), 1);
    }

    #[tokio::test]
    async fn a_group_never_overtakes_a_removal_or_a_later_put() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
        store.write_behind();
        let key = SessionKey::new(Scope::Dm, "80351110224678912");
        let mut rec = record(unix_now());
        for round in 0..20u64 {
            rec.step = round * 10;
            store.save(&key, &rec).await.unwrap();
            // Deleted at once and durably, whether or not the group was written yet.
            assert!(store.remove(&key).await.unwrap());
            assert_eq!(store.get(&key).unwrap(), None);
            rec.step += 1;
            store.save(&key, &rec).await.unwrap();
            let mut later = rec.clone();
            later.step += 1;
            store.put(&key, &later).await.unwrap();
            assert_eq!(store.get(&key).unwrap(), Some(later.clone()));
            written_behind(&store);
            assert_eq!(store.get(&key).unwrap(), Some(later));
            std::thread::sleep(Duration::from_millis(round % 3 * 20));
        }
        store.save(&key, &rec).await.unwrap();
        assert!(store.remove(&key).await.unwrap());
        // The flush at shutdown writes what is queued, and nothing removed comes back.
        store.flush_async().await.unwrap();
        assert_eq!(store.queued(), 0);
        assert_eq!(store.get(&key).unwrap(), None);
        assert!(index_entries(&store).is_empty());
        let other = SessionKey::new(Scope::Dm, "42");
        store.save(&other, &rec).await.unwrap();
        store.flush().unwrap();
        assert_eq!(store.queued(), 0);
        drop(store);
        let store = SledStore::reopen_for_test(dir.path(), StoreOptions::default);
        assert_eq!(store.get(&key).unwrap(), None);
        assert_eq!(store.get(&other).unwrap(), Some(rec));
    }
}
