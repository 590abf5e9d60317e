//! The production [`SessionStore`]: sessions kept in a sled database in the data directory.
//!
//! Why it looks the way it does:
//!
//! * **Written behind the reply, in groups.** A session is a resume point (what
//!   `/activation-check` offers to continue), not what a click is judged by: buttons carry
//!   their conversation's answers. So the bot does not make a user wait for the disk:
//!   once [`SledStore::write_behind`] has started the writer, [`SessionStore::save`] only
//!   records the session in memory (where [`SessionStore::get`] reads it back at once)
//!   and wakes the writer, which writes everything saved since its last group to sled
//!   and makes it durable with one flush, at most once every [`WRITE_BEHIND`] (and once
//!   more at shutdown, [`SledStore::flush_async`]). A crash (SIGKILL, power loss) can
//!   therefore lose the resume points saved in the last [`WRITE_BEHIND`] plus one flush;
//!   never a step a user can see, because the buttons on their screen hold it. If a
//!   group cannot be written (a full disk), its records stay in memory and are retried
//!   with a growing pause, and until a write succeeds again `save` writes durably
//!   before it returns, so the user is told their answer could not be saved instead of
//!   it being lost unseen. [`SessionStore::put`] and [`SessionStore::remove`] stay
//!   durable before they return; they and the writer take turns, so a group never
//!   writes an older record over a later `put` or brings back a removed one. Pruning is
//!   not flushed: a prune lost to a crash is simply redone.
//! * **Expiry index.** Records expire a TTL after `updated_at`. Next to the `sessions`
//!   tree (session key → record, in [`record_bytes`]'s layout) a second tree maps
//!   `updated_at` (order-preserving big-endian bytes) followed by the session key to
//!   nothing, so [`SledStore::prune_expired`] reads only the expired prefix instead of
//!   every record. The key is kept there in a compact binary form ([`compact_key`]):
//!   sled rewrites the newest index leaf over and over, so these bytes dominate the
//!   size on disk; entries of earlier builds (text keys) are still read, and simply age
//!   out. A write adds the new index entry *before* it writes the record and removes
//!   the replaced record's entry after; sled recovers its log in order, so after a
//!   crash a record always has its entry, and the worst left behind is an entry whose
//!   record was since rewritten or removed. Such an entry is harmless: pruning
//!   re-checks the record's own `updated_at` and drops it. [`SessionStore::get`] also
//!   hides an expired record that has not been pruned yet.
//! * **No sled transactions.** The first transaction (or batch) a sled 0.34.7 process
//!   runs switches sled's global concurrency control to a reader-writer lock that every
//!   later read and write takes, and a flush holds it for reading while it syncs the
//!   disk. A transaction then waits for the sync, and every read and write queued behind
//!   the waiting transaction waits too, on the runtime's threads. The ordering above
//!   gives what the transaction gave, without the lock (and a read no longer takes it:
//!   a get went from 4.3 to 1.1 µs in benches/micro.rs).
//! * **One process per directory.** sled takes an exclusive file lock on `<dir>/db`. When
//!   another instance holds it, [`SledStore::open`] says so in plain words
//!   ([`OpenError::Locked`]) instead of passing on sled's I/O error.
//! * **Reopened after a storage error.** sled 0.34.7 poisons itself on a failed write (a
//!   full disk, an I/O error): every later write fails with the same error until the
//!   database is opened again, and its memory may hold the write that never reached disk.
//!   So after any sled error the store drops the database and opens the directory again
//!   before its next operation, recovering exactly what is on disk: the user is told the
//!   save failed and nothing changed, and once space returns the bot works again without
//!   a restart.
//! * **One flush at a time, shared (group commit).** sled 0.34.7's `flush_async`
//!   deadlocks when several run at once (spacejam/sled#1308, fixed on sled's main branch
//!   but never released): each occupies a thread of sled's small I/O pool while it waits
//!   for a log write that needs a thread of that same pool. Under a few dozen users
//!   clicking at once the bot stopped answering for good. So a write is made durable by
//!   [`Shared::durable`]: one blocking `flush` at a time on tokio's blocking pool, which
//!   every write completed before it started shares. A write returns only after a flush
//!   that began after it, on the same open database it was written to (a write made
//!   before a reopen reports failure rather than a false success).
//! * **Leave foreign directories alone.** sled writes `blobs/`, `conf` and `db` into
//!   whatever directory it is given, before it checks anything. `open` refuses a path that
//!   is a file, and a non-empty directory holding anything sled would not have written
//!   (say, a home directory passed to `--data-dir` by mistake), before sled touches it.
//!
//! This is the only module that names sled. Other persistent data (for example a registry
//! of posted cards) gets typed storage through [`SledStore::open_tree_json`].

use std::fmt;
use std::future::Future;
use std::io;
use std::marker::PhantomData;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::record_bytes::{self, DecodeError};
use crate::session::{Scope, SessionKey, SessionRecord, SessionStore, StoreError, SESSION_FORMAT};

/// Tree holding `SessionKey::encode()` → [`SessionRecord`] in [`record_bytes`]'s layout.
const RECORDS_TREE: &str = "sessions";
/// Tree holding [`index_key`]s (`ts_bytes(updated_at)` ++ compact session key) → empty.
const INDEX_TREE: &str = "sessions_by_updated_at";
/// Prefix of the trees handed out by [`SledStore::open_tree_json`], so that their names
/// can never collide with the session trees.
const JSON_TREE_PREFIX: &str = "json/";

/// The source of "now" in unix seconds. Tests inject one to move time forward.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The real clock: unix seconds from the system time (0 if the clock is before 1970).
pub fn system_clock() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// How to open a [`SledStore`].
#[derive(Clone)]
pub struct StoreOptions {
    /// sled's page cache size in bytes. sled's own default is 1 GiB, far more than a few
    /// thousand small sessions need, so it is always set explicitly.
    pub cache_capacity: u64,
    /// How long after its `updated_at` a session expires.
    pub ttl: Duration,
    /// Where "now" comes from; [`system_clock`] by default.
    pub clock: Clock,
}

impl StoreOptions {
    /// 16 MiB.
    pub const DEFAULT_CACHE_CAPACITY: u64 = 16 * 1024 * 1024;
    /// 30 days.
    pub const DEFAULT_TTL: Duration = Duration::from_secs(30 * 24 * 60 * 60);
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            cache_capacity: Self::DEFAULT_CACHE_CAPACITY,
            ttl: Self::DEFAULT_TTL,
            clock: Arc::new(system_clock),
        }
    }
}

impl fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoreOptions")
            .field("cache_capacity", &self.cache_capacity)
            .field("ttl", &self.ttl)
            .finish_non_exhaustive()
    }
}

/// Why the data directory could not be opened. The `Display` text is written for the
/// operator and names the directory.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    /// Another process (normally another instance of the bot) holds sled's lock on the
    /// directory.
    #[error(
        "another activation-check instance is using the data directory {}; \
         stop it or pass a different --data-dir",
        .dir.display()
    )]
    Locked { dir: PathBuf },
    /// The path exists but is not a directory.
    #[error(
        "the data directory {} is a file, not a directory; pass a directory to --data-dir",
        .dir.display()
    )]
    NotADirectory { dir: PathBuf },
    /// The directory holds files that the store did not write; it was left untouched.
    #[error(
        "the data directory {} is not empty and is not an activation-check data directory \
         (it contains {entry:?}); it was left untouched: pass an empty or new directory to \
         --data-dir",
        .dir.display()
    )]
    NotAStore { dir: PathBuf, entry: String },
    /// The directory could not be read or written.
    #[error("cannot open the data directory {}: {source}", .dir.display())]
    Io { dir: PathBuf, source: io::Error },
    /// The store's files are damaged or were written by an incompatible sled version.
    #[error(
        "the data directory {} is damaged or was written by an incompatible version ({cause}); \
         move it aside or pass a different --data-dir",
        .dir.display()
    )]
    Corrupt { dir: PathBuf, cause: String },
}

/// Sessions in sled. Cheap to share behind an `Arc`; all methods take `&self`.
pub struct SledStore {
    shared: Arc<Shared>,
    ttl_secs: i64,
    clock: Clock,
    dir: PathBuf,
    /// Told of every session [`SledStore::prune_expired`] removes (see
    /// [`SledStore::on_pruned`]).
    on_pruned: std::sync::OnceLock<PrunedHook>,
}

/// What [`SledStore::on_pruned`] calls with each pruned session.
pub type PrunedHook = Box<dyn Fn(&SessionKey, &SessionRecord) + Send + Sync>;

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
struct Pending {
    /// Which save this is; a later save of the same key gets a higher one.
    seq: u64,
    /// The record in [`record_bytes`]'s layout.
    value: Vec<u8>,
    updated_at: i64,
}

/// Sessions saved and not yet durable, newest per session key.
#[derive(Default)]
struct Queue {
    next_seq: u64,
    by_key: std::collections::HashMap<String, Pending>,
    /// The writer waits on [`QueueCell::saved`] for the next save.
    writer_idle: bool,
}

/// A group taken from the queue and written to sled: which saves it holds, so that they
/// leave the queue once durable (unless saved again meanwhile).
struct Group {
    generation: u64,
    written: Vec<(String, u64)>,
}

/// The open database, replaced as a whole when it has to be reopened.
struct Handles {
    /// Which opening of the database these are; every reopen gets a new one.
    generation: u64,
    db: sled::Db,
    records: sled::Tree,
    index: sled::Tree,
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
struct Shared {
    dir: PathBuf,
    cache_capacity: u64,
    live: std::sync::Mutex<Option<Arc<Handles>>>,
    /// The generation the next opening gets.
    next_generation: AtomicU64,
    /// Writes that asked to be made durable so far; each takes a ticket.
    tickets: AtomicU64,
    /// The last successful flush: its generation and the highest ticket it covers.
    flushed: std::sync::Mutex<(u64, u64)>,
    /// One flush at a time.
    turn: tokio::sync::Mutex<()>,
    /// Sessions saved and not yet written durably (see the module documentation).
    queue: Arc<QueueCell>,
    /// Held while a group moves from the queue into sled, and by every other write or
    /// removal of a session record, so they never overtake one another.
    apply: std::sync::Mutex<()>,
    /// Set while the store cannot write (the last group or durable write failed).
    unsaved: std::sync::atomic::AtomicBool,
    /// Set once [`SledStore::write_behind`] started the writer.
    writer: std::sync::OnceLock<()>,
}

/// The queue of saved sessions and what wakes the writer when a session is saved into it
/// empty. Shared with the writer's thread apart from the rest of the store, so that a
/// waiting writer does not keep the store (and its database) open.
#[derive(Default)]
struct QueueCell {
    queue: std::sync::Mutex<Queue>,
    saved: std::sync::Condvar,
}

impl Shared {
    fn open_handles(&self) -> Result<Handles, OpenError> {
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

    fn slot(&self) -> std::sync::MutexGuard<'_, Option<Arc<Handles>>> {
        self.live.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Opens the directory again after this store dropped its database. The lock of the
    /// database just closed goes a moment after the drop (when sled's threads let go of
    /// it, or a child process forked meanwhile execs), so `Locked` is waited out until
    /// `deadline` rather than reported.
    fn reopen(&self, deadline: std::time::Instant) -> Result<Handles, OpenError> {
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
    fn handles(&self) -> Result<Arc<Handles>, sled::Error> {
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
    fn handles_or_unsaved(&self) -> Result<Arc<Handles>, StoreError> {
        self.handles().map_err(write_error)
    }

    /// Closes `handles` after a storage error, unless they were already replaced. The
    /// database is dropped once the last operation using it finishes.
    fn failed(&self, handles: &Arc<Handles>, e: &sled::Error) {
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
    fn with<T>(
        &self,
        map: fn(sled::Error) -> StoreError,
        op: impl FnOnce(&Handles) -> Result<T, sled::Error>,
    ) -> Result<T, StoreError> {
        self.write(map, op).map(|(t, _)| t)
    }

    /// [`Shared::with`] for a write: also returns the generation written to, which
    /// [`Shared::durable`] needs.
    fn write<T>(
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
    async fn durable(&self, written_to: u64) -> Result<(), StoreError> {
        let ticket = self.tickets.fetch_add(1, Ordering::SeqCst) + 1;
        let _turn = self.turn.lock().await;
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
            // A flush that started after this write already finished.
            return Ok(());
        }
        // Every ticket up to `upto` was taken after its write completed, so before this
        // flush starts: the flush covers them all.
        let upto = self.tickets.load(Ordering::SeqCst);
        let db = h.db.clone();
        let result = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let result = db.flush();
            let took = started.elapsed();
            if took > SLOW_FLUSH {
                tracing::debug!(took_ms = took.as_secs_f64() * 1e3, "a slow flush");
            }
            result
        })
        .await
        .map_err(|e| StoreError::Write(format!("the flush did not run: {e}")))?;
        match result {
            Ok(_) => {
                let mut flushed = self.flushed.lock().unwrap_or_else(|e| e.into_inner());
                if flushed.0 != h.generation || flushed.1 < upto {
                    *flushed = (h.generation, upto);
                }
                Ok(())
            }
            Err(e) => {
                self.failed(&h, &e);
                Err(write_error(e))
            }
        }
    }

    /// Writes everything written so far to disk without blocking the async runtime.
    async fn flush(&self) -> Result<(), StoreError> {
        let generation = self.handles_or_unsaved()?.generation;
        self.durable(generation).await
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.queue.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn apply_turn(&self) -> std::sync::MutexGuard<'_, ()> {
        self.apply.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The bytes of a session saved and not yet durable.
    fn queued(&self, key: &str) -> Option<Vec<u8>> {
        self.queue().by_key.get(key).map(|p| p.value.clone())
    }

    /// Writes every queued session to sled (not flushed); `None` when none is queued.
    fn apply_queue(&self) -> Result<Option<Group>, StoreError> {
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
                write_record(h, key, value, *updated_at)?;
            }
            Ok(())
        })?;
        Ok(Some(Group {
            generation,
            written: group.into_iter().map(|(k, seq, ..)| (k, seq)).collect(),
        }))
    }

    /// The saves of `group` are durable: they leave the queue, unless saved again since.
    fn written(&self, group: Group) {
        let mut queue = self.queue();
        for (key, seq) in group.written {
            if queue.by_key.get(&key).is_some_and(|p| p.seq == seq) {
                queue.by_key.remove(&key);
            }
        }
    }

    /// Writes every queued session and makes it durable with one flush; returns how
    /// many were written. On failure they stay queued.
    async fn write_queue(&self) -> Result<usize, StoreError> {
        let Some(group) = self.apply_queue()? else {
            return Ok(0);
        };
        self.durable(group.generation).await?;
        let n = group.written.len();
        self.written(group);
        Ok(n)
    }

    /// [`Shared::write_queue`] for the writer's own thread: the flush runs right there.
    fn write_queue_blocking(&self) -> Result<usize, StoreError> {
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
    fn durable_blocking(&self, written_to: u64) -> Result<(), StoreError> {
        let ticket = self.tickets.fetch_add(1, Ordering::SeqCst) + 1;
        let _turn = self.turn.blocking_lock();
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
            return Ok(());
        }
        let upto = self.tickets.load(Ordering::SeqCst);
        let started = std::time::Instant::now();
        let result = h.db.flush();
        let took = started.elapsed();
        if took > SLOW_FLUSH {
            tracing::debug!(took_ms = took.as_secs_f64() * 1e3, "a slow flush");
        }
        match result {
            Ok(_) => {
                let mut flushed = self.flushed.lock().unwrap_or_else(|e| e.into_inner());
                if flushed.0 != h.generation || flushed.1 < upto {
                    *flushed = (h.generation, upto);
                }
                Ok(())
            }
            Err(e) => {
                self.failed(&h, &e);
                Err(write_error(e))
            }
        }
    }

    /// Records whether the last write reached the disk; logs a change.
    fn set_unsaved(&self, failed: bool) {
        let was = self.unsaved.swap(failed, Ordering::SeqCst);
        if was && !failed {
            tracing::info!("the store writes again; saved sessions are written behind the replies");
        }
    }
}

/// The writer started by [`SledStore::write_behind`], on a thread of its own: one group and
/// one flush at most every [`WRITE_BEHIND`], for as long as the store exists. While
/// sessions keep coming it sleeps from one group to the next; once a whole interval
/// passed without one, it waits on a condition variable, and the next `save` wakes it.
/// It flushes on its own thread, so a group costs the runtime's worker threads nothing
/// (no task to wake, no timer, no hand-off to a blocking thread).
fn write_behind(shared: std::sync::Weak<Shared>, cell: Arc<QueueCell>) {
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

impl fmt::Debug for SledStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SledStore")
            .field("dir", &self.dir)
            .field("ttl_secs", &self.ttl_secs)
            .finish_non_exhaustive()
    }
}

impl SledStore {
    /// Opens (creating if needed) the store in `dir`.
    ///
    /// Nothing is written before the checks pass: a path that is a file, or a non-empty
    /// directory with entries sled would not have created, is refused untouched.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<SledStore, OpenError> {
        check_dir(dir)?;
        let shared = Shared {
            dir: dir.to_path_buf(),
            cache_capacity: options.cache_capacity,
            live: std::sync::Mutex::new(None),
            next_generation: AtomicU64::new(0),
            tickets: AtomicU64::new(0),
            flushed: std::sync::Mutex::new((0, 0)),
            turn: tokio::sync::Mutex::new(()),
            queue: Arc::default(),
            apply: std::sync::Mutex::new(()),
            unsaved: std::sync::atomic::AtomicBool::new(false),
            writer: std::sync::OnceLock::new(),
        };
        let before = entries(dir);
        let handles = shared
            .open_handles()
            .inspect_err(|_| undo_new_entries(dir, &before))?;
        *shared.slot() = Some(Arc::new(handles));
        Ok(SledStore {
            shared: Arc::new(shared),
            ttl_secs: i64::try_from(options.ttl.as_secs()).unwrap_or(i64::MAX),
            clock: options.clock,
            dir: dir.to_path_buf(),
            on_pruned: std::sync::OnceLock::new(),
        })
    }

    /// Calls `hook` with every session record pruned from now on (the usage figures count
    /// a conversation that expired unfinished as abandoned). Set once; a second call does
    /// nothing.
    pub fn on_pruned(&self, hook: PrunedHook) {
        let _ = self.on_pruned.set(hook);
    }

    /// The directory this store was opened in.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// "Now" according to the store's clock, in unix seconds.
    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    fn is_expired(&self, updated_at: i64, now: i64) -> bool {
        updated_at <= now.saturating_sub(self.ttl_secs)
    }

    /// Removes every record that expired at `now`, with its index entries, and returns how
    /// many records were removed. Only the expired part of the index is read. Not flushed:
    /// a prune lost to a crash is redone by the next one.
    pub fn prune_expired(&self, now: i64) -> Result<usize, StoreError> {
        let cutoff = now.saturating_sub(self.ttl_secs);
        let expired = self.shared.with(write_error, |h| {
            let mut expired = Vec::new();
            for entry in h.index.iter() {
                let (index_key, _) = entry?;
                match split_index_key(&index_key) {
                    Some((ts, _)) if ts > cutoff => break,
                    Some((ts, key)) => expired.push((index_key.to_vec(), ts, key)),
                    None => {
                        // Not written by this module; drop it so it cannot block the scan.
                        tracing::warn!(entry = ?index_key, "dropping an unreadable session index entry");
                        h.index.remove(&index_key)?;
                    }
                }
            }
            Ok(expired)
        })?;

        let mut pruned = 0;
        for (index_key, ts, key) in expired {
            let removed = self.shared.with(write_error, |h| {
                let removed = match h.records.get(key.as_bytes())? {
                    None => false,
                    Some(bytes) => {
                        // A record rewritten since this entry was made has a newer
                        // updated_at and its own entry; this one is just stale. A record
                        // whose time cannot be read is judged by the entry, which says it
                        // expired.
                        let stale = record_bytes::updated_at_of(&bytes)
                            .is_some_and(|updated_at| updated_at != ts);
                        // Removed only if it is still the record just read: a user who
                        // clicks meanwhile keeps the conversation they just saved.
                        let removed = !stale
                            && h.records
                                .compare_and_swap(key.as_bytes(), Some(&bytes), None::<&[u8]>)?
                                .is_ok();
                        if removed {
                            if let (Some(hook), Some(k), Ok(r)) = (
                                self.on_pruned.get(),
                                SessionKey::decode(&key),
                                record_bytes::decode(&bytes, SESSION_FORMAT),
                            ) {
                                hook(&k, &r);
                            }
                        }
                        removed
                    }
                };
                // After the record: a crash in between leaves an entry without a record,
                // which the next prune drops, never a record without an entry.
                h.index.remove(index_key.as_slice())?;
                Ok(removed)
            })?;
            if removed {
                pruned += 1;
            }
        }
        Ok(pruned)
    }

    /// Starts writing sessions given to [`SessionStore::save`] behind the replies: one
    /// group and one flush at most every [`WRITE_BEHIND`], on a thread of its own (see
    /// the module documentation). Until this is called, `save` is durable before it
    /// returns, as the terminal wants. A second call does nothing.
    pub fn write_behind(&self) {
        self.shared.writer.get_or_init(|| {
            let shared = Arc::downgrade(&self.shared);
            let cell = self.shared.queue.clone();
            std::thread::Builder::new()
                .name("session-writer".to_owned())
                .spawn(move || write_behind(shared, cell))
                .expect("the session writer thread starts");
        });
    }

    /// Sessions saved and not yet durable (for tests and metrics).
    pub fn queued(&self) -> usize {
        self.shared.queue().by_key.len()
    }

    /// Writes everything to disk (blocking), sessions saved for later included. For
    /// shutdown.
    pub fn flush(&self) -> Result<(), StoreError> {
        let group = self.shared.apply_queue()?;
        let ((), generation) = self.shared.write(write_error, |h| h.db.flush().map(drop))?;
        if let Some(group) = group {
            if group.generation != generation {
                return Err(StoreError::Write(
                    "the store was reopened after a storage error before the saved sessions \
                     reached the disk"
                        .to_owned(),
                ));
            }
            self.shared.written(group);
        }
        Ok(())
    }

    /// Flushes, then closes the database and opens it again, so that the work sled does
    /// when it opens a directory happens now instead of at the next start. For shutdown.
    ///
    /// Why: sled 0.34.7 writes a snapshot of its page table only while opening, after it
    /// has replayed all of its log written since the last snapshot. A bot that ran for a
    /// while therefore started slowly the next time: with 100,000 sessions, the first
    /// start after a run took 160 ms to open the store, a second start 26 ms. Calling
    /// this when the bot stops moves that replay to the stop, so the next start opens
    /// the store as fast as the second (after a crash, the next start still replays).
    ///
    /// The store stays usable. Operations still running keep the database open for a
    /// moment; this waits up to `wait` for them and then gives up, leaving the store as
    /// it was (a failed checkpoint only means a slower next start).
    pub fn checkpoint(&self, wait: Duration) -> Result<(), StoreError> {
        let deadline = std::time::Instant::now() + wait;
        // Sessions saved for later go first; the flush below makes them durable.
        let group = self.shared.apply_queue()?;
        let mut slot = self.shared.slot();
        let Some(mut handles) = slot.take() else {
            // Closed after a storage error; the next operation reopens it anyway.
            return Ok(());
        };
        if let Err(e) = handles.db.flush() {
            // Left closed, as after any storage error: the next operation reopens it.
            tracing::warn!(error = %e, "a storage error; the store will be reopened before its next use");
            return Err(write_error(e));
        }
        if let Some(group) = group {
            if group.generation == handles.generation {
                self.shared.written(group);
            }
        }
        // Operations hold the handles only briefly; one that meets a storage error meanwhile
        // waits for the slot, so this gives up instead of waiting for it forever.
        let closed = loop {
            match Arc::try_unwrap(handles) {
                Ok(only) => break only,
                Err(shared) if std::time::Instant::now() < deadline => {
                    handles = shared;
                    std::thread::sleep(Duration::from_millis(1));
                }
                Err(shared) => {
                    *slot = Some(shared);
                    return Err(StoreError::Write(
                        "the store is still in use; it was not checkpointed".to_owned(),
                    ));
                }
            }
        };
        drop(closed);
        // On failure it is left closed: the next operation tries to open it again.
        let h = self
            .shared
            .reopen(deadline)
            .map_err(|e| StoreError::Write(e.to_string()))?;
        *slot = Some(Arc::new(h));
        Ok(())
    }

    /// Writes everything to disk without blocking the async runtime, sessions saved for
    /// later included. For shutdown.
    pub async fn flush_async(&self) -> Result<(), StoreError> {
        self.shared.write_queue().await?;
        self.shared.flush().await
    }

    /// The number of live sessions: stored in this build's format and not expired.
    /// Reads every record; meant for operator commands, not the hot path.
    pub fn len(&self) -> Result<usize, StoreError> {
        let now = self.now();
        self.shared.with(read_error, |h| {
            let mut live = 0;
            for entry in h.records.iter() {
                let (_, bytes) = entry?;
                if record_bytes::decode(&bytes, SESSION_FORMAT)
                    .is_ok_and(|r| !self.is_expired(r.updated_at, now))
                {
                    live += 1;
                }
            }
            Ok(live)
        })
    }

    /// Whether there is no live session (see [`SledStore::len`]).
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        self.len().map(|n| n == 0)
    }

    /// The keys of all stored records, in key order, including expired or unreadable
    /// records that have not been pruned yet.
    pub fn keys(&self) -> impl Iterator<Item = Result<SessionKey, StoreError>> {
        let (keys, unavailable) = match self.shared.handles_or_unsaved() {
            Ok(h) => (Some(h.records.iter().keys()), None),
            Err(e) => (None, Some(Err(e))),
        };
        unavailable
            .into_iter()
            .chain(keys.into_iter().flatten().filter_map(|key| match key {
            Err(e) => Some(Err(read_error(e))),
            Ok(key) => {
                let decoded = std::str::from_utf8(&key).ok().and_then(SessionKey::decode);
                if decoded.is_none() {
                    tracing::warn!(key = ?key, "skipping a session record under an unreadable key");
                }
                decoded.map(Ok)
            }
        }))
    }

    /// Removes every record of `user`, in every scope, durably, and returns how many were
    /// removed (expired and unreadable ones included). Index entries naming the user are
    /// removed too, so no trace of the user id is left.
    pub async fn forget_user(&self, user: &str) -> Result<usize, StoreError> {
        let keys = self
            .keys()
            .filter(|k| k.as_ref().map_or(true, |k| k.user == user))
            .collect::<Result<Vec<_>, _>>()?;
        let mut removed = 0;
        // Every removal must reach the disk of the same opening of the database.
        let generation = self.shared.handles_or_unsaved()?.generation;
        for key in &keys {
            let (old, written_to) = self.remove_raw(&key.encode())?;
            if written_to != generation {
                return Err(StoreError::Write(
                    "the store was reopened after a storage error; run this again".to_owned(),
                ));
            }
            if old.is_some() {
                removed += 1;
            }
        }
        // Entries left behind by records whose updated_at could not be read. An entry
        // that belongs to a record written since (the user came back meanwhile) stays,
        // so that record can still expire.
        let index_keys = self.shared.with(read_error, |h| {
            h.index.iter().keys().collect::<Result<Vec<_>, _>>()
        })?;
        for index_key in index_keys {
            let Some((ts, key)) = split_index_key(&index_key) else {
                continue;
            };
            if SessionKey::decode(&key).is_none_or(|k| k.user != user) {
                continue;
            }
            // The bot cannot be running (it holds the directory's lock), so nothing
            // writes between this read and the removal.
            let ((), written_to) = self.shared.write(write_error, |h| {
                let current = h.records.get(key.as_bytes())?;
                let owned = current.as_deref().and_then(record_bytes::updated_at_of) == Some(ts);
                if !owned {
                    h.index.remove(index_key.as_ref())?;
                }
                Ok(())
            })?;
            if written_to != generation {
                return Err(StoreError::Write(
                    "the store was reopened after a storage error; run this again".to_owned(),
                ));
            }
        }
        self.shared.durable(generation).await?;
        Ok(removed)
    }

    /// Removes the record under `key` (and a save of it not yet written), then its index
    /// entry; returns the removed bytes (the saved ones, if not yet written). Not flushed.
    fn remove_raw(&self, key: &str) -> Result<(Option<Vec<u8>>, u64), StoreError> {
        let _turn = self.shared.apply_turn();
        let queued = self.shared.queue().by_key.remove(key);
        let (old, generation) = self.shared.write(write_error, |h| {
            let old = h.records.remove(key.as_bytes())?;
            remove_index_entry(&h.index, key, old.as_deref(), None)?;
            Ok(old)
        })?;
        Ok((
            queued.map(|p| p.value).or(old.map(|o| o.to_vec())),
            generation,
        ))
    }

    /// Typed storage in a tree of its own (named `name`, kept apart from the session
    /// trees), values stored as JSON. For data such as a registry of posted cards.
    pub fn open_tree_json<T: Serialize + DeserializeOwned>(
        &self,
        name: &str,
    ) -> Result<JsonTree<T>, StoreError> {
        let tree = format!("{JSON_TREE_PREFIX}{name}");
        self.shared
            .with(read_error, |h| h.db.open_tree(&tree).map(drop))?;
        Ok(JsonTree {
            shared: self.shared.clone(),
            tree,
            name: name.to_owned(),
            _values: PhantomData,
        })
    }

    /// The record under `key` if it is in this build's format and not expired at `now`;
    /// logs (once per call) why an existing record is ignored.
    fn decode_live(&self, key: &str, bytes: &[u8], now: i64) -> Option<SessionRecord> {
        match record_bytes::decode(bytes, SESSION_FORMAT) {
            Err(DecodeError::Unreadable(e)) => {
                tracing::warn!(
                    key,
                    format = "unreadable",
                    error = %e,
                    "ignoring an unreadable session record; treating it as absent"
                );
                None
            }
            Err(DecodeError::Format { found, .. }) => {
                tracing::warn!(
                    key,
                    format = found,
                    "ignoring a session record in a format this build does not understand; \
                     treating it as absent"
                );
                None
            }
            Ok(record) if self.is_expired(record.updated_at, now) => None,
            Ok(record) => Some(record),
        }
    }
}

impl SessionStore for SledStore {
    fn get(&self, key: &SessionKey) -> Result<Option<SessionRecord>, StoreError> {
        let key = key.encode();
        if let Some(bytes) = self.shared.queued(&key) {
            return Ok(self.decode_live(&key, &bytes, self.now()));
        }
        let Some(bytes) = self
            .shared
            .with(read_error, |h| h.records.get(key.as_bytes()))?
        else {
            return Ok(None);
        };
        Ok(self.decode_live(&key, &bytes, self.now()))
    }

    async fn put(&self, key: &SessionKey, record: &SessionRecord) -> Result<(), StoreError> {
        let key = key.encode();
        let value = record_bytes::encode(record);
        let written = {
            let _turn = self.shared.apply_turn();
            // This record is newer than one saved for later.
            self.shared.queue().by_key.remove(&key);
            self.shared.write(write_error, |h| {
                write_record(h, &key, &value, record.updated_at)
            })
        };
        let result = match written {
            Ok(((), generation)) => self.shared.durable(generation).await,
            Err(e) => Err(e),
        };
        self.shared.set_unsaved(result.is_err());
        result
    }

    /// Queued for the writer when it runs and the store writes; durable first otherwise
    /// (see the module documentation).
    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<(), StoreError> {
        if self.shared.writer.get().is_none() || self.shared.unsaved.load(Ordering::SeqCst) {
            return self.put(key, record).await;
        }
        let value = record_bytes::encode(record);
        let key = key.encode();
        let wake = {
            let mut queue = self.shared.queue();
            queue.next_seq += 1;
            let seq = queue.next_seq;
            queue.by_key.insert(
                key,
                Pending {
                    seq,
                    value,
                    updated_at: record.updated_at,
                },
            );
            queue.writer_idle
        };
        // Only a writer waiting for saves needs waking; a busy one comes by itself.
        if wake {
            self.shared.queue.saved.notify_one();
        }
        Ok(())
    }

    /// `true` if there was a record that [`SessionStore::get`] would have returned; an
    /// expired or unreadable one is removed as well, but reported as `false`.
    async fn remove(&self, key: &SessionKey) -> Result<bool, StoreError> {
        let (Some(old), generation) = self.remove_raw(&key.encode())? else {
            return Ok(false);
        };
        self.shared.durable(generation).await?;
        let now = self.now();
        Ok(record_bytes::decode(&old, SESSION_FORMAT)
            .is_ok_and(|r| !self.is_expired(r.updated_at, now)))
    }
}

/// Prunes `store` every `every` (the first time at once) until `shutdown` completes,
/// using the store's clock, and logs how many sessions were pruned. Does not spawn: the
/// caller decides where this future runs.
pub async fn prune_periodically(
    store: Arc<SledStore>,
    every: Duration,
    shutdown: impl Future<Output = ()>,
) {
    let mut ticker = tokio::time::interval(every.max(Duration::from_millis(1)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            _ = ticker.tick() => {
                // Only the expired prefix of the index is read, so this is short enough to
                // run on the async thread.
                match store.prune_expired(store.now()) {
                    Ok(0) => tracing::debug!(pruned = 0, "no expired sessions to prune"),
                    Ok(n) => tracing::info!(pruned = n, "pruned expired sessions"),
                    Err(e) => tracing::warn!(error = %e, "pruning expired sessions failed; will retry"),
                }
            }
        }
    }
}

/// A tree of JSON values of type `T` under string keys. Writes are durable before they
/// return, like session writes.
pub struct JsonTree<T> {
    shared: Arc<Shared>,
    /// The sled tree's name; opened on each use, so a reopened database is used.
    tree: String,
    name: String,
    _values: PhantomData<fn() -> T>,
}

impl<T> Clone for JsonTree<T> {
    fn clone(&self) -> Self {
        Self {
            shared: self.shared.clone(),
            tree: self.tree.clone(),
            name: self.name.clone(),
            _values: PhantomData,
        }
    }
}

impl<T> fmt::Debug for JsonTree<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JsonTree")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl<T: Serialize + DeserializeOwned> JsonTree<T> {
    /// The value under `key`. A value that does not decode as `T` is an error.
    pub fn get(&self, key: &str) -> Result<Option<T>, StoreError> {
        let value = self.shared.with(read_error, |h| {
            h.db.open_tree(&self.tree)?.get(key.as_bytes())
        })?;
        match value {
            None => Ok(None),
            Some(bytes) => self.decode(key, &bytes).map(Some),
        }
    }

    /// Stores `value` under `key`, durably.
    pub async fn insert(&self, key: &str, value: &T) -> Result<(), StoreError> {
        let bytes = serde_json::to_vec(value).map_err(|e| StoreError::Write(e.to_string()))?;
        let (_, generation) = self.shared.write(write_error, |h| {
            h.db.open_tree(&self.tree)?.insert(key.as_bytes(), bytes)
        })?;
        self.shared.durable(generation).await
    }

    /// Removes the value under `key`, durably; `true` if there was one.
    pub async fn remove(&self, key: &str) -> Result<bool, StoreError> {
        let (removed, generation) = self.shared.write(write_error, |h| {
            h.db.open_tree(&self.tree)?.remove(key.as_bytes())
        })?;
        if removed.is_none() {
            return Ok(false);
        }
        self.shared.durable(generation).await?;
        Ok(true)
    }

    /// All entries in key order.
    pub fn iter(&self) -> impl Iterator<Item = Result<(String, T), StoreError>> + '_ {
        let (entries, unavailable) =
            match self.shared.with(read_error, |h| h.db.open_tree(&self.tree)) {
                Ok(tree) => (Some(tree.iter()), None),
                Err(e) => (None, Some(Err(e))),
            };
        unavailable
            .into_iter()
            .chain(entries.into_iter().flatten().map(move |entry| {
                let (key, bytes) = entry.map_err(read_error)?;
                let key = String::from_utf8(key.to_vec()).map_err(|_| {
                    StoreError::Read(format!("a key in tree {:?} is not UTF-8", self.name))
                })?;
                let value = self.decode(&key, &bytes)?;
                Ok((key, value))
            }))
    }

    fn decode(&self, key: &str, bytes: &[u8]) -> Result<T, StoreError> {
        serde_json::from_slice(bytes)
            .map_err(|e| StoreError::Read(format!("value {key:?} in tree {:?}: {e}", self.name)))
    }
}

/// Writes one session record: its index entry first, the record second, the replaced
/// record's entry last (see the module documentation). Not flushed.
fn write_record(h: &Handles, key: &str, value: &[u8], updated_at: i64) -> Result<(), sled::Error> {
    let new_entry = index_key(updated_at, key);
    h.index.insert(new_entry.as_slice(), &[] as &[u8])?;
    let old = h.records.insert(key.as_bytes(), value)?;
    remove_index_entry(&h.index, key, old.as_deref(), Some(&new_entry))
}

/// Removes the index entry of the replaced record `old` (if it had one we can compute),
/// unless it is `keep`: a record rewritten within the same second has the same entry as
/// its successor.
fn remove_index_entry(
    index: &sled::Tree,
    key: &str,
    old: Option<&[u8]>,
    keep: Option<&[u8]>,
) -> Result<(), sled::Error> {
    if let Some(updated_at) = old.and_then(record_bytes::updated_at_of) {
        let entry = index_key(updated_at, key);
        if keep != Some(entry.as_slice()) {
            index.remove(entry)?;
        }
    }
    Ok(())
}

/// `i64` as 8 bytes whose byte order is the numeric order (sign bit flipped, big-endian),
/// so timestamps before 1970 would still sort first.
fn ts_bytes(ts: i64) -> [u8; 8] {
    ((ts as u64) ^ (1 << 63)).to_be_bytes()
}

/// An index entry: [`ts_bytes`] of `updated_at`, then the session key in the compact
/// form of [`compact_key`].
fn index_key(updated_at: i64, key: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(8 + 17);
    out.extend_from_slice(&ts_bytes(updated_at));
    compact_key(key, &mut out);
    out
}

/// Tags of the compact session keys in index entries. Every text key
/// ([`SessionKey::encode`]) starts with a printable letter, so an entry written by an
/// earlier build (`ts ++ text key`) is told apart by its ninth byte and still read.
const KEY_TEXT: u8 = 0x00;
const KEY_GUILD: u8 = 0x01;
const KEY_DM: u8 = 0x02;

/// Appends `key` (a [`SessionKey::encode`] string) in the index's compact form: for a
/// server or DM session of a user whose id is a decimal `u64` (every Discord user), the
/// tag and the ids as 8 big-endian bytes each; for anything else, [`KEY_TEXT`] and the
/// text.
///
/// Why: index entries are appended in time order, so sled keeps rewriting the newest
/// index leaf, and the bytes of the key are paid many times over on disk. With the
/// text key (41 bytes for a server session) 100,000 sessions took 117 MiB; with this
/// form (17 bytes) 77 MiB (sled alone, same writes; see benches/README.md).
fn compact_key(key: &str, out: &mut Vec<u8>) {
    // A decimal `u64` as `u64::to_string` writes it (no sign, no leading zero), so that
    // the compact form reads back as exactly `key`.
    let decimal = |s: &str| {
        let canonical = !s.is_empty()
            && s.len() <= 20
            && s.bytes().all(|b| b.is_ascii_digit())
            && (s.len() == 1 || !s.starts_with('0'));
        canonical.then(|| s.parse::<u64>().ok()).flatten()
    };
    match key.split_once('/') {
        Some(("g", rest)) => {
            if let Some((Some(guild), Some(user))) =
                rest.split_once('/').map(|(g, u)| (decimal(g), decimal(u)))
            {
                out.push(KEY_GUILD);
                out.extend_from_slice(&guild.to_be_bytes());
                out.extend_from_slice(&user.to_be_bytes());
                return;
            }
        }
        Some(("dm", user)) => {
            if let Some(user) = decimal(user) {
                out.push(KEY_DM);
                out.extend_from_slice(&user.to_be_bytes());
                return;
            }
        }
        _ => {}
    }
    out.push(KEY_TEXT);
    out.extend_from_slice(key.as_bytes());
}

/// The `updated_at` and text session key of an index entry, in this build's form or an
/// earlier build's (`ts ++ text key`); `None` for anything else.
fn split_index_key(bytes: &[u8]) -> Option<(i64, String)> {
    if bytes.len() < 9 {
        return None;
    }
    let (ts, key) = bytes.split_at(8);
    let ts = (u64::from_be_bytes(ts.try_into().ok()?) ^ (1 << 63)) as i64;
    let u64_at =
        |b: &[u8], at: usize| Some(u64::from_be_bytes(b.get(at..at + 8)?.try_into().ok()?));
    let key = match key[0] {
        KEY_TEXT => std::str::from_utf8(&key[1..]).ok()?.to_owned(),
        KEY_GUILD if key.len() == 17 => {
            SessionKey::new(Scope::Guild(u64_at(key, 1)?), u64_at(key, 9)?.to_string()).encode()
        }
        KEY_DM if key.len() == 9 => {
            SessionKey::new(Scope::Dm, u64_at(key, 1)?.to_string()).encode()
        }
        // An entry of an earlier build: the text key itself.
        b if b.is_ascii_alphabetic() => std::str::from_utf8(key).ok()?.to_owned(),
        _ => return None,
    };
    Some((ts, key))
}

fn read_error(e: sled::Error) -> StoreError {
    StoreError::Read(e.to_string())
}

fn write_error(e: sled::Error) -> StoreError {
    StoreError::Write(e.to_string())
}

/// Entries sled itself creates in its directory. A directory holding anything else is
/// not ours. `lost+found` is allowed so a dedicated volume's root can be the data dir.
fn is_sled_entry(name: &str) -> bool {
    matches!(name, "blobs" | "conf" | "db" | "lost+found") || name.starts_with("snap.")
}

/// The names in `dir`, or `None` if it cannot be listed (say, it does not exist yet).
fn entries(dir: &Path) -> Option<Vec<std::ffi::OsString>> {
    let listing = std::fs::read_dir(dir).ok()?;
    Some(
        listing
            .filter_map(|e| e.ok().map(|e| e.file_name()))
            .collect(),
    )
}

/// After sled refused to open `dir`, removes what it created there before refusing
/// (it makes `blobs/` before it reads `conf`, and writes `conf` before it finds that
/// `db` cannot be opened), so a damaged directory is left exactly as it was found. Only
/// entries that were not there before the attempt and bear sled's names are removed
/// (directories only when empty); [`check_dir`] already refused any other content.
fn undo_new_entries(dir: &Path, before: &Option<Vec<std::ffi::OsString>>) {
    let Some(before) = before else {
        return;
    };
    for name in entries(dir).unwrap_or_default() {
        if before.contains(&name) || !is_sled_entry(&name.to_string_lossy()) {
            continue;
        }
        let path = dir.join(&name);
        let Ok(meta) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        let removed = if meta.is_dir() {
            std::fs::remove_dir(&path)
        } else if meta.is_file() {
            std::fs::remove_file(&path)
        } else {
            continue;
        };
        if let Err(e) = removed {
            tracing::warn!(path = %path.display(), error = %e, "could not remove what sled created");
        }
    }
}

/// Refuses, without writing anything, a path sled must not be pointed at.
fn check_dir(dir: &Path) -> Result<(), OpenError> {
    let io_error = |source| OpenError::Io {
        dir: dir.to_path_buf(),
        source,
    };
    let meta = match std::fs::metadata(dir) {
        Ok(meta) => meta,
        // sled creates it (and its parents).
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(()),
        Err(e) => return Err(io_error(e)),
    };
    if !meta.is_dir() {
        return Err(OpenError::NotADirectory {
            dir: dir.to_path_buf(),
        });
    }
    for entry in std::fs::read_dir(dir).map_err(io_error)? {
        let name = entry.map_err(io_error)?.file_name();
        let name = name.to_string_lossy();
        if !is_sled_entry(&name) {
            return Err(OpenError::NotAStore {
                dir: dir.to_path_buf(),
                entry: name.into_owned(),
            });
        }
    }
    Ok(())
}

/// sled 0.34.7 reports a held lock as `Error::Io` of kind `Other` whose message is
/// `could not acquire lock on "<dir>/db": <Debug of the OS error>`; the OS error is
/// `WouldBlock` (EWOULDBLOCK from `flock(LOCK_EX | LOCK_NB)`) on Unix and
/// `ERROR_LOCK_VIOLATION` (33) on Windows. Any other lock failure (say, a file system
/// without locks) is not "another instance" and is reported as an I/O error.
fn is_lock_contention(e: &io::Error) -> bool {
    if e.kind() == io::ErrorKind::WouldBlock {
        return true;
    }
    let message = e.to_string();
    e.kind() == io::ErrorKind::Other
        && message.starts_with("could not acquire lock")
        && (message.contains("WouldBlock") || message.contains("code: 33,"))
}

fn open_error(dir: &Path, e: sled::Error) -> OpenError {
    let dir = dir.to_path_buf();
    match e {
        sled::Error::Io(e) if is_lock_contention(&e) => OpenError::Locked { dir },
        sled::Error::Io(source) => OpenError::Io { dir, source },
        sled::Error::Corruption { at, .. } => OpenError::Corrupt {
            dir,
            cause: match at {
                Some(at) => format!("corrupt data at {at:?}"),
                None => "corrupt conf file".to_owned(),
            },
        },
        other => OpenError::Corrupt {
            dir,
            cause: other.to_string(),
        },
    }
}

#[cfg(test)]
impl SledStore {
    fn records(&self) -> sled::Tree {
        self.shared.handles().unwrap().records.clone()
    }

    fn index(&self) -> sled::Tree {
        self.shared.handles().unwrap().index.clone()
    }

    /// Opens `dir` again after a store on it was dropped in this process. A child process
    /// being spawned at that moment (the lock-probe test spawns some) holds a copy of every
    /// descriptor, the locked `db` file's included, until its `exec`; so `Locked` is
    /// retried for a while. Every unit test that reopens a directory goes through here.
    pub(crate) fn reopen_for_test(dir: &Path, options: impl Fn() -> StoreOptions) -> SledStore {
        for _ in 0..100 {
            match SledStore::open(dir, options()) {
                Err(OpenError::Locked { .. }) => std::thread::sleep(Duration::from_millis(50)),
                other => return other.unwrap(),
            }
        }
        panic!(
            "{} stayed locked after the store was dropped",
            dir.display()
        );
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;
    use crate::session::{Answer, Scope};

    const T0: i64 = 1_700_000_000;
    const DAY: i64 = 24 * 60 * 60;

    /// A clock the test moves by hand.
    fn manual_clock(start: i64) -> (Arc<AtomicI64>, Clock) {
        let now = Arc::new(AtomicI64::new(start));
        let read = now.clone();
        (now, Arc::new(move || read.load(Ordering::SeqCst)))
    }

    fn options(clock: Clock) -> StoreOptions {
        StoreOptions {
            clock,
            ..StoreOptions::default()
        }
    }

    fn record(now: i64) -> SessionRecord {
        let mut r = SessionRecord::new("2024.1", "ja", now);
        r.answers.push(Answer {
            node: "edition".into(),
            value: "home".into(),
        });
        r.step = 1;
        r
    }

    fn index_entries(store: &SledStore) -> Vec<(i64, String)> {
        store
            .index()
            .iter()
            .keys()
            .map(|k| split_index_key(&k.unwrap()).unwrap())
            .collect()
    }

    fn assert_send<T: Send>(t: T) -> T {
        t
    }

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
                            let mut rec = record(system_clock());
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

    #[tokio::test]
    async fn put_get_round_trip_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let key = SessionKey::new(Scope::Guild(81384788765712384), "80351110224678912");
        let rec = record(system_clock());
        {
            let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
            assert_eq!(store.get(&key).unwrap(), None);
            assert_send(store.put(&key, &rec)).await.unwrap();
            assert_eq!(store.get(&key).unwrap(), Some(rec.clone()));
            assert_eq!(store.len().unwrap(), 1);
        }
        let store = SledStore::reopen_for_test(dir.path(), StoreOptions::default);
        assert_eq!(store.get(&key).unwrap(), Some(rec));
        assert_eq!(
            store.keys().collect::<Result<Vec<_>, _>>().unwrap(),
            std::slice::from_ref(&key)
        );
        assert!(assert_send(store.remove(&key)).await.unwrap());
        assert!(!store.remove(&key).await.unwrap());
        assert_eq!(store.get(&key).unwrap(), None);
        assert!(index_entries(&store).is_empty());
        assert!(store.is_empty().unwrap());
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
        let mut rec = record(system_clock());
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
        let mut rec = record(system_clock());
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

    #[tokio::test]
    async fn expiry_hides_prunes_and_reindexes() {
        let dir = tempfile::tempdir().unwrap();
        let (now, clock) = manual_clock(T0);
        let store = SledStore::open(dir.path(), options(clock)).unwrap();
        let old = SessionKey::new(Scope::Dm, "1");
        let fresh = SessionKey::new(Scope::Dm, "2");
        let moved = SessionKey::new(Scope::Terminal, "alice");
        store.put(&old, &record(T0)).await.unwrap();
        store.put(&moved, &record(T0)).await.unwrap();
        store.put(&fresh, &record(T0 + 20 * DAY)).await.unwrap();

        // Re-putting moves the index entry: the old one is gone.
        store.put(&moved, &record(T0 + 25 * DAY)).await.unwrap();
        assert_eq!(
            index_entries(&store),
            [
                (T0, old.encode()),
                (T0 + 20 * DAY, fresh.encode()),
                (T0 + 25 * DAY, moved.encode()),
            ]
        );

        // Just before the TTL everything is live.
        now.store(T0 + 30 * DAY - 1, Ordering::SeqCst);
        assert!(store.get(&old).unwrap().is_some());
        assert_eq!(store.prune_expired(store.now()).unwrap(), 0);

        // At the TTL the old record is hidden before any prune, then pruned.
        now.store(T0 + 30 * DAY, Ordering::SeqCst);
        assert_eq!(store.get(&old).unwrap(), None);
        assert_eq!(store.len().unwrap(), 2);
        assert_eq!(store.keys().count(), 3);
        assert_eq!(store.prune_expired(store.now()).unwrap(), 1);
        assert_eq!(store.keys().count(), 2);
        assert!(store.get(&fresh).unwrap().is_some());
        assert!(store.get(&moved).unwrap().is_some());
        assert_eq!(
            index_entries(&store),
            [
                (T0 + 20 * DAY, fresh.encode()),
                (T0 + 25 * DAY, moved.encode()),
            ]
        );
        // Nothing more to do at the same instant.
        assert_eq!(store.prune_expired(store.now()).unwrap(), 0);
    }

    #[tokio::test]
    async fn prune_drops_stale_index_entries_without_touching_newer_records() {
        let dir = tempfile::tempdir().unwrap();
        let (_now, clock) = manual_clock(T0 + 40 * DAY);
        let store = SledStore::open(dir.path(), options(clock)).unwrap();
        let key = SessionKey::new(Scope::Dm, "7");
        store.put(&key, &record(T0 + 40 * DAY)).await.unwrap();
        // As if a crash had left an entry from an earlier version of the record.
        store
            .index()
            .insert(index_key(T0, &key.encode()), &[])
            .unwrap();
        // And one whose record is gone.
        let gone = SessionKey::new(Scope::Dm, "8");
        store
            .index()
            .insert(index_key(T0, &gone.encode()), &[])
            .unwrap();

        assert_eq!(store.prune_expired(store.now()).unwrap(), 0);
        assert!(store.get(&key).unwrap().is_some());
        assert_eq!(index_entries(&store), [(T0 + 40 * DAY, key.encode())]);
    }

    /// A user who clicks twice within one second rewrites the record under the same index
    /// entry; the second write must not remove the entry it shares with the first, or the
    /// record would never expire.
    #[tokio::test]
    async fn a_record_rewritten_within_the_same_second_keeps_its_entry_and_expires() {
        let dir = tempfile::tempdir().unwrap();
        let (now, clock) = manual_clock(T0);
        let store = SledStore::open(dir.path(), options(clock)).unwrap();
        let key = SessionKey::new(Scope::Dm, "9");
        store.put(&key, &record(T0)).await.unwrap();
        let mut again = record(T0);
        again.step = 2;
        store.put(&key, &again).await.unwrap();
        assert_eq!(index_entries(&store), [(T0, key.encode())]);

        now.store(T0 + 30 * DAY, Ordering::SeqCst);
        assert_eq!(store.prune_expired(store.now()).unwrap(), 1);
        assert_eq!(store.keys().count(), 0);
        assert!(index_entries(&store).is_empty());
    }

    #[tokio::test]
    async fn prune_periodically_prunes_and_stops_on_shutdown() {
        let dir = tempfile::tempdir().unwrap();
        let (now, clock) = manual_clock(T0);
        let store = Arc::new(SledStore::open(dir.path(), options(clock)).unwrap());
        let key = SessionKey::new(Scope::Dm, "1");
        store.put(&key, &record(T0)).await.unwrap();
        now.store(T0 + 31 * DAY, Ordering::SeqCst);

        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let task = tokio::spawn(prune_periodically(
            store.clone(),
            Duration::from_millis(10),
            async move {
                let _ = stopped.await;
            },
        ));
        tokio::time::timeout(Duration::from_secs(10), async {
            while store.keys().count() != 0 {
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
        })
        .await
        .expect("the expired record was never pruned");
        stop.send(()).unwrap();
        tokio::time::timeout(Duration::from_secs(10), task)
            .await
            .expect("prune_periodically did not stop on shutdown")
            .unwrap();
    }

    #[tokio::test]
    async fn unknown_format_and_garbage_read_as_none() {
        let dir = tempfile::tempdir().unwrap();
        let (_now, clock) = manual_clock(T0);
        let store = SledStore::open(dir.path(), options(clock)).unwrap();

        let future = SessionKey::new(Scope::Dm, "future");
        let mut rec = record(T0);
        rec.format = 999;
        store.put(&future, &rec).await.unwrap();
        assert_eq!(store.get(&future).unwrap(), None);

        // A future format that changed everything but `format`.
        let alien = SessionKey::new(Scope::Dm, "alien");
        store
            .records()
            .insert(alien.encode(), br#"{"format":2,"blob":[1,2,3]}"#.as_slice())
            .unwrap();
        assert_eq!(store.get(&alien).unwrap(), None);

        let garbage = SessionKey::new(Scope::Terminal, "garbage");
        for bytes in [
            b"\xff\xfe not json at all".as_slice(),
            b"",
            b"{\"format\":1,\"rules_version\":",
            b"{\"format\":1}",
            b"[]",
        ] {
            store.records().insert(garbage.encode(), bytes).unwrap();
            assert_eq!(store.get(&garbage).unwrap(), None);
        }
        assert_eq!(store.len().unwrap(), 0);
        // Still removable, and overwritable with a good record.
        store.put(&garbage, &record(T0)).await.unwrap();
        assert_eq!(store.get(&garbage).unwrap(), Some(record(T0)));
        assert!(!store.remove(&alien).await.unwrap());
        assert_eq!(store.records().get(alien.encode()).unwrap(), None);
    }

    #[tokio::test]
    async fn forget_user_removes_only_that_user_in_every_scope() {
        let dir = tempfile::tempdir().unwrap();
        let (_now, clock) = manual_clock(T0);
        let store = SledStore::open(dir.path(), options(clock)).unwrap();
        let user = "80351110224678912";
        let theirs = [
            SessionKey::new(Scope::Guild(1), user),
            SessionKey::new(Scope::Guild(2), user),
            SessionKey::new(Scope::Dm, user),
        ];
        let others = [
            SessionKey::new(Scope::Guild(1), "80351110224678913"),
            SessionKey::new(Scope::Dm, "8035111022467891"),
            SessionKey::new(Scope::Terminal, "alice"),
        ];
        for key in theirs.iter().chain(&others) {
            store.put(key, &record(T0)).await.unwrap();
        }
        // An unreadable record of theirs, with a leftover index entry naming them.
        let odd = SessionKey::new(Scope::Terminal, user);
        store
            .records()
            .insert(odd.encode(), b"garbage".as_slice())
            .unwrap();
        store
            .index()
            .insert(index_key(T0 - 5, &odd.encode()), &[])
            .unwrap();

        assert_eq!(assert_send(store.forget_user(user)).await.unwrap(), 4);
        for key in &theirs {
            assert_eq!(store.get(key).unwrap(), None);
        }
        for key in &others {
            assert!(store.get(key).unwrap().is_some());
        }
        assert!(index_entries(&store)
            .iter()
            .all(|(_, k)| !k.contains(user) || k.ends_with("80351110224678913")));
        assert_eq!(index_entries(&store).len(), others.len());
        assert_eq!(store.forget_user(user).await.unwrap(), 0);
    }

    #[tokio::test]
    async fn json_tree_round_trip_and_isolation() {
        #[derive(Debug, PartialEq, Serialize, serde::Deserialize)]
        struct Card {
            channel: u64,
            message: u64,
        }
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
            // A tree named like the session tree does not see sessions.
            let cards = store.open_tree_json::<Card>(RECORDS_TREE).unwrap();
            store
                .put(&SessionKey::new(Scope::Dm, "1"), &record(system_clock()))
                .await
                .unwrap();
            assert_eq!(cards.iter().count(), 0);
            let card = Card {
                channel: 1,
                message: 2,
            };
            assert_send(cards.insert("b", &card)).await.unwrap();
            cards
                .insert(
                    "a",
                    &Card {
                        channel: 3,
                        message: 4,
                    },
                )
                .await
                .unwrap();
            assert_eq!(cards.get("b").unwrap(), Some(card));
            assert!(cards.remove("a").await.unwrap());
            assert!(!cards.remove("a").await.unwrap());
        }
        let store = SledStore::reopen_for_test(dir.path(), StoreOptions::default);
        let cards = store.open_tree_json::<Card>(RECORDS_TREE).unwrap();
        let all = cards.iter().collect::<Result<Vec<_>, _>>().unwrap();
        assert_eq!(
            all,
            [(
                "b".to_owned(),
                Card {
                    channel: 1,
                    message: 2
                }
            )]
        );
        // A value of the wrong shape is an error, not a panic.
        let wrong = store.open_tree_json::<Vec<String>>(RECORDS_TREE).unwrap();
        assert!(matches!(wrong.get("b"), Err(StoreError::Read(_))));
    }

    #[test]
    fn second_open_in_the_same_process_is_refused_as_locked() {
        let dir = tempfile::tempdir().unwrap();
        let first = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
        let err = SledStore::open(dir.path(), StoreOptions::default()).unwrap_err();
        assert!(matches!(err, OpenError::Locked { .. }), "{err:?}");
        assert_eq!(
            err.to_string(),
            format!(
                "another activation-check instance is using the data directory {}; \
                 stop it or pass a different --data-dir",
                dir.path().display()
            )
        );
        drop(first);
        SledStore::reopen_for_test(dir.path(), StoreOptions::default);
    }

    const LOCK_PROBE_ENV: &str = "ACTIVATION_CHECK_STORE_LOCK_PROBE_DIR";
    const LOCK_PROBE_MARK: &str = "LOCK-PROBE-RESULT:";

    /// Run by `second_open_from_another_process_is_refused_as_locked` in a child process.
    #[test]
    #[ignore = "helper: run in a child process by another test"]
    fn lock_probe_child() {
        let Some(dir) = std::env::var_os(LOCK_PROBE_ENV) else {
            return;
        };
        match SledStore::open(Path::new(&dir), StoreOptions::default()) {
            Ok(_) => println!("{LOCK_PROBE_MARK} opened"),
            Err(e @ OpenError::Locked { .. }) => println!("{LOCK_PROBE_MARK} locked: {e}"),
            Err(e) => println!("{LOCK_PROBE_MARK} other: {e}"),
        }
    }

    fn run_lock_probe(dir: &Path) -> String {
        // Test names are module paths without the crate name. The harness prints the
        // probe's line after the test's name, so the mark is looked for anywhere.
        let module = module_path!().split_once("::").unwrap().1;
        let output = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", &format!("{module}::lock_probe_child")])
            .args(["--ignored", "--nocapture", "--test-threads=1"])
            .env(LOCK_PROBE_ENV, dir)
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&output.stdout);
        assert!(output.status.success(), "child failed: {stdout}");
        stdout
            .lines()
            .find_map(|l| l.split_once(LOCK_PROBE_MARK).map(|(_, rest)| rest))
            .unwrap_or_else(|| panic!("child did not run the probe: {stdout}"))
            .trim()
            .to_owned()
    }

    #[test]
    fn second_open_from_another_process_is_refused_as_locked() {
        let dir = tempfile::tempdir().unwrap();
        let first = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
        assert_eq!(
            run_lock_probe(dir.path()),
            format!(
                "locked: another activation-check instance is using the data directory {}; \
                 stop it or pass a different --data-dir",
                dir.path().display()
            )
        );
        drop(first);
        // Other tests' child processes may hold the lock for a moment (see `SledStore::reopen_for_test`).
        let mut probe = run_lock_probe(dir.path());
        for _ in 0..50 {
            if probe != "opened" {
                std::thread::sleep(Duration::from_millis(100));
                probe = run_lock_probe(dir.path());
            }
        }
        assert_eq!(probe, "opened");
    }

    #[test]
    fn lock_contention_is_told_from_other_lock_failures() {
        let held = io::Error::other(
            r#"could not acquire lock on "/d/db": Os { code: 11, kind: WouldBlock, message: "Resource temporarily unavailable" }"#,
        );
        assert!(is_lock_contention(&held));
        let unsupported = io::Error::other(
            r#"could not acquire lock on "/d/db": Os { code: 37, kind: Uncategorized, message: "No locks available" }"#,
        );
        assert!(!is_lock_contention(&unsupported));
        assert!(!is_lock_contention(&io::Error::other(
            "something else WouldBlock"
        )));
    }

    #[test]
    fn open_refuses_files_and_foreign_directories_untouched() {
        let parent = tempfile::tempdir().unwrap();

        let file = parent.path().join("file");
        std::fs::write(&file, b"x").unwrap();
        let err = SledStore::open(&file, StoreOptions::default()).unwrap_err();
        assert!(matches!(err, OpenError::NotADirectory { .. }), "{err:?}");
        assert!(err.to_string().contains(&file.display().to_string()));
        assert_eq!(std::fs::read(&file).unwrap(), b"x");

        let home = parent.path().join("home");
        std::fs::create_dir(&home).unwrap();
        std::fs::write(home.join("notes.txt"), b"keep").unwrap();
        let err = SledStore::open(&home, StoreOptions::default()).unwrap_err();
        assert!(matches!(err, OpenError::NotAStore { .. }), "{err:?}");
        assert!(err.to_string().contains("notes.txt"), "{err}");
        let entries: Vec<_> = std::fs::read_dir(&home)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(entries, ["notes.txt"]);

        // A new directory, parents included, is created.
        let fresh = parent.path().join("a/b/data");
        SledStore::open(&fresh, StoreOptions::default()).unwrap();
    }

    #[test]
    fn open_reports_damaged_directories() {
        let parent = tempfile::tempdir().unwrap();

        // sled's `conf` replaced by garbage.
        let bad_conf = parent.path().join("bad-conf");
        std::fs::create_dir(&bad_conf).unwrap();
        std::fs::write(bad_conf.join("conf"), b"definitely not a sled conf").unwrap();
        let err = SledStore::open(&bad_conf, StoreOptions::default()).unwrap_err();
        assert!(matches!(err, OpenError::Corrupt { .. }), "{err:?}");
        assert!(err.to_string().contains(&bad_conf.display().to_string()));
        assert_eq!(
            std::fs::read(bad_conf.join("conf")).unwrap(),
            b"definitely not a sled conf"
        );

        // `db` is a directory.
        let db_dir = parent.path().join("db-dir");
        std::fs::create_dir_all(db_dir.join("db")).unwrap();
        let err = SledStore::open(&db_dir, StoreOptions::default()).unwrap_err();
        assert!(matches!(err, OpenError::Io { .. }), "{err:?}");
        assert!(err.to_string().starts_with(&format!(
            "cannot open the data directory {}: ",
            db_dir.display()
        )));
    }

    /// The log positions of sled's snapshots in `dir`.
    fn snapshots(dir: &Path) -> Vec<u64> {
        std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().ok()?;
                u64::from_str_radix(name.strip_prefix("snap.")?, 16).ok()
            })
            .collect()
    }

    #[tokio::test]
    async fn checkpoint_snapshots_now_and_the_store_goes_on() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
        let keys: Vec<_> = (0..300)
            .map(|i| SessionKey::new(Scope::Guild(1), (1000 + i).to_string()))
            .collect();
        for k in &keys {
            store.put(k, &record(system_clock())).await.unwrap();
        }
        let before = snapshots(dir.path()).into_iter().max().unwrap_or(0);

        store.checkpoint(Duration::from_secs(10)).unwrap();
        let after = snapshots(dir.path()).into_iter().max().unwrap_or(0);
        assert!(after > before, "snapshot at {after:#x}, was {before:#x}");

        // Same data, still writable, and all of it there after a restart.
        assert_eq!(store.len().unwrap(), keys.len());
        let late = SessionKey::new(Scope::Dm, "7");
        store.put(&late, &record(system_clock())).await.unwrap();
        drop(store);
        let store = SledStore::reopen_for_test(dir.path(), StoreOptions::default);
        assert_eq!(store.len().unwrap(), keys.len() + 1);
        assert!(store.get(&late).unwrap().is_some());
    }

    #[tokio::test]
    async fn checkpoint_gives_up_while_the_store_is_in_use() {
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
        let key = SessionKey::new(Scope::Dm, "1");
        store.put(&key, &record(system_clock())).await.unwrap();
        let in_use = store.shared.handles().unwrap();

        let err = store.checkpoint(Duration::from_millis(30)).unwrap_err();
        assert!(err.to_string().contains("still in use"), "{err}");
        // Nothing was closed: the same database serves on.
        assert!(Arc::ptr_eq(&in_use, &store.shared.handles().unwrap()));
        assert!(store.get(&key).unwrap().is_some());
        drop(in_use);
        store.checkpoint(Duration::from_secs(10)).unwrap();
        assert!(store.get(&key).unwrap().is_some());
    }

    #[test]
    fn index_entries_hold_discord_keys_in_17_bytes_and_anything_else_as_text() {
        let cases = [
            (
                SessionKey::new(Scope::Guild(81384788765712384), "80351110224678912"),
                8 + 17,
            ),
            (
                SessionKey::new(Scope::Guild(u64::MAX), u64::MAX.to_string()),
                8 + 17,
            ),
            (SessionKey::new(Scope::Dm, "80351110224678912"), 8 + 9),
            (
                SessionKey::new(Scope::Terminal, "alice"),
                8 + 1 + "term/alice".len(),
            ),
            // Not the decimal form of a u64: kept as text, so it comes back unchanged.
            (SessionKey::new(Scope::Dm, "0123"), 8 + 1 + "dm/0123".len()),
            (
                SessionKey::new(Scope::Guild(7), "bob"),
                8 + 1 + "g/7/bob".len(),
            ),
            (
                SessionKey::new(Scope::Guild(7), "18446744073709551616"),
                8 + 1 + "g/7/18446744073709551616".len(),
            ),
        ];
        for (key, len) in cases {
            let entry = index_key(T0, &key.encode());
            assert_eq!(entry.len(), len, "{key}");
            assert_eq!(split_index_key(&entry), Some((T0, key.encode())), "{key}");
        }
        // A text key that SessionKey would not have written stays as it is too.
        let odd = index_key(T0, "g/007/1");
        assert_eq!(split_index_key(&odd), Some((T0, "g/007/1".to_owned())));
        // Damaged entries are refused rather than misread.
        let mut short = index_key(T0, "g/1/2");
        short.pop();
        assert_eq!(split_index_key(&short), None);
        assert_eq!(split_index_key(&ts_bytes(T0)), None);
    }

    #[tokio::test]
    async fn index_entries_of_earlier_builds_are_still_pruned() {
        let dir = tempfile::tempdir().unwrap();
        let (now, clock) = manual_clock(T0);
        let store = SledStore::open(dir.path(), options(clock)).unwrap();
        let key = SessionKey::new(Scope::Guild(81384788765712384), "80351110224678912");
        store.put(&key, &record(T0)).await.unwrap();
        // As an earlier build wrote it: the text key after the timestamp.
        let compact = index_key(T0, &key.encode());
        let mut legacy = ts_bytes(T0).to_vec();
        legacy.extend_from_slice(key.encode().as_bytes());
        store.index().remove(compact).unwrap();
        store.index().insert(legacy, &[]).unwrap();
        assert_eq!(index_entries(&store), [(T0, key.encode())]);

        now.store(T0 + 31 * DAY, Ordering::SeqCst);
        assert_eq!(store.prune_expired(T0 + 31 * DAY).unwrap(), 1);
        assert_eq!(store.get(&key).unwrap(), None);
        assert!(index_entries(&store).is_empty());
    }

    mod index_keys {
        use super::*;
        use proptest::prelude::*;

        proptest! {
            #[test]
            fn round_trip(
                ts in any::<i64>(),
                scope in prop_oneof![
                    any::<u64>().prop_map(Scope::Guild),
                    Just(Scope::Dm),
                    Just(Scope::Terminal),
                ],
                user in prop_oneof![any::<u64>().prop_map(|n| n.to_string()), "[^/]{1,24}"],
            ) {
                let key = SessionKey::new(scope, user).encode();
                prop_assert_eq!(split_index_key(&index_key(ts, &key)), Some((ts, key)));
            }
        }
    }

    #[test]
    fn timestamps_sort_numerically() {
        let mut stamps = [i64::MIN, -1, 0, 1, T0, i64::MAX];
        let mut keys: Vec<_> = stamps.iter().rev().map(|&t| index_key(t, "dm/1")).collect();
        keys.sort();
        let decoded: Vec<_> = keys.iter().map(|k| split_index_key(k).unwrap().0).collect();
        stamps.sort();
        assert_eq!(decoded, stamps);
    }
}
