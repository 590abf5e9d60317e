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
//! This folder is the only place that names sled. Other persistent data (for example the
//! registry of posted cards) gets typed storage through [`SledStore::open_tree_json`], a
//! [`JsonTree`] that knows nothing of sessions.
//!
//! # Layout
//!
//! - `mod.rs`: [`SledStore`] (opening, the [`SessionStore`] methods, expiry and pruning,
//!   forgetting a user, checkpoint) and [`StoreOptions`].
//! - `durability.rs`: the open database reopened after a storage error, the group flush,
//!   and the writer that writes saved sessions behind the replies.
//! - `index.rs`: the expiry index's byte layout (timestamps and compact session keys).
//! - `dir.rs`: the data-directory checks before sled touches a directory, and
//!   [`OpenError`].
//! - `json_tree.rs`: [`JsonTree`], typed JSON values in a tree of their own.
//! - `record_bytes.rs`: the compact layout a session record is stored in.
//! - `dump.rs`: the whole store read at one moment ([`SledStore::snapshot`]) and written
//!   back record by record, for `data export` and `data import`.
//!
//! It may not touch Discord, the terminal or the conversation: it stores what it is given.

pub mod backend;
mod dir;
mod dump;
mod durability;
pub mod figures;
mod index;
mod json_tree;
pub mod postgres;
pub mod record_bytes;
pub mod records;

use std::fmt;
use std::future::Future;
use std::path::{Path, PathBuf};
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::clock::{system_clock, Clock};
use crate::session::{SessionKey, SessionRecord, SessionStore, StoreError, SESSION_FORMAT};
use dir::{check_dir, entries, undo_new_entries};
use durability::{Pending, Shared};
use index::{remove_index_entry, split_index_key};
use record_bytes::DecodeError;

pub use dir::{OpenError, EXPORT_SOCKET};
pub use dump::{Snapshot, TreeDump};
pub use durability::WRITE_BEHIND;
pub use json_tree::JsonTree;

/// Tree holding `SessionKey::encode()` → [`SessionRecord`] in [`record_bytes`]'s layout.
const RECORDS_TREE: &str = "sessions";
/// Tree holding [`index_key`]s (`ts_bytes(updated_at)` ++ compact session key) → empty.
const INDEX_TREE: &str = "sessions_by_updated_at";
/// Prefix of the trees handed out by [`SledStore::open_tree_json`], so that their names
/// can never collide with the session trees.
const JSON_TREE_PREFIX: &str = "json/";

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
            clock: system_clock(),
        }
    }
}

/// `Debug` for the store's types: the name and the fields worth showing, then `..` for
/// what cannot be shown (the clock, hooks, open trees).
fn debug_some(
    f: &mut fmt::Formatter<'_>,
    name: &str,
    fields: &[(&str, &dyn fmt::Debug)],
) -> fmt::Result {
    let mut d = f.debug_struct(name);
    for (field, value) in fields {
        d.field(field, value);
    }
    d.finish_non_exhaustive()
}

impl fmt::Debug for StoreOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: [(&str, &dyn fmt::Debug); 2] =
            [("cache_capacity", &self.cache_capacity), ("ttl", &self.ttl)];
        debug_some(f, "StoreOptions", &fields)
    }
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
    /// Run before the store is read for a backup (see [`SledStore::before_export`]).
    before_export: std::sync::OnceLock<ExportHook>,
}

/// What [`SledStore::on_pruned`] calls with each pruned session.
pub type PrunedHook = Box<dyn Fn(&SessionKey, &SessionRecord) + Send + Sync>;

/// What [`SledStore::before_export`] runs: writes what is kept in memory first (the usage
/// figures), so that a backup taken while the bot runs holds everything a stopped one would.
pub type ExportHook =
    Box<dyn Fn() -> std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>> + Send + Sync>;

impl fmt::Debug for SledStore {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fields: [(&str, &dyn fmt::Debug); 2] =
            [("dir", &self.dir), ("ttl_secs", &self.ttl_secs)];
        debug_some(f, "SledStore", &fields)
    }
}

impl SledStore {
    /// Opens (creating if needed) the store in `dir`.
    ///
    /// Nothing is written before the checks pass: a path that is a file, or a non-empty
    /// directory with entries sled would not have created, is refused untouched.
    pub fn open(dir: &Path, options: StoreOptions) -> Result<SledStore, OpenError> {
        check_dir(dir)?;
        let shared = Shared::new(dir, options.cache_capacity);
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
            before_export: std::sync::OnceLock::new(),
        })
    }

    /// Runs `hook` before every export served while the bot runs. Set once; a second
    /// call does nothing.
    pub fn on_export(&self, hook: ExportHook) {
        let _ = self.before_export.set(hook);
    }

    /// What must reach the store before it is read for a backup (see [`ExportHook`]).
    pub async fn before_export(&self) {
        if let Some(hook) = self.before_export.get() {
            hook().await;
        }
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
                .spawn(move || durability::write_behind(shared, cell))
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
        Ok(JsonTree::new(self.shared.clone(), tree, name))
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
                h.write_record(&key, &value, record.updated_at)
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

fn read_error(e: sled::Error) -> StoreError {
    StoreError::Read(e.to_string())
}

fn write_error(e: sled::Error) -> StoreError {
    StoreError::Write(e.to_string())
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

/// What the tests beside each file of the store share.
#[cfg(test)]
mod testing {
    use std::sync::atomic::{AtomicI64, Ordering};

    use super::*;
    use crate::session::Answer;

    pub(super) const T0: i64 = 1_700_000_000;
    pub(super) const DAY: i64 = 24 * 60 * 60;

    /// A clock the test moves by hand.
    pub(super) fn manual_clock(start: i64) -> (Arc<AtomicI64>, Clock) {
        let now = Arc::new(AtomicI64::new(start));
        let read = now.clone();
        (now, Arc::new(move || read.load(Ordering::SeqCst)))
    }

    /// A store in a new directory whose clock starts at `start` and is moved by hand; the
    /// directory lives as long as the first of the three is kept.
    pub(super) fn store_at(start: i64) -> (tempfile::TempDir, Arc<AtomicI64>, SledStore) {
        let dir = tempfile::tempdir().unwrap();
        let (now, clock) = manual_clock(start);
        let store = SledStore::open(dir.path(), options(clock)).unwrap();
        (dir, now, store)
    }

    pub(super) fn options(clock: Clock) -> StoreOptions {
        StoreOptions {
            clock,
            ..StoreOptions::default()
        }
    }

    pub(super) fn record(now: i64) -> SessionRecord {
        let mut r = SessionRecord::new("2024.1", "ja", now);
        r.answers.push(Answer {
            node: "edition".into(),
            value: "home".into(),
        });
        r.step = 1;
        r
    }

    pub(super) fn index_entries(store: &SledStore) -> Vec<(i64, String)> {
        store
            .index()
            .iter()
            .keys()
            .map(|k| split_index_key(&k.unwrap()).unwrap())
            .collect()
    }

    pub(super) fn assert_send<T: Send>(t: T) -> T {
        t
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;
    use std::sync::atomic::Ordering;

    use super::index::index_key;
    use super::testing::*;
    use super::*;
    use crate::clock::unix_now;
    use crate::session::Scope;

    #[tokio::test]
    async fn put_get_round_trip_and_reopen() {
        let dir = tempfile::tempdir().unwrap();
        let key = SessionKey::new(Scope::Guild(81384788765712384), "80351110224678912");
        let rec = record(unix_now());
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

    #[tokio::test]
    async fn expiry_hides_prunes_and_reindexes() {
        let (_dir, now, store) = store_at(T0);
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
        let (_dir, _now, store) = store_at(T0 + 40 * DAY);
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
        let (_dir, now, store) = store_at(T0);
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
        let (_dir, now, store) = store_at(T0);
        let store = Arc::new(store);
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
        let (_dir, _now, store) = store_at(T0);

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
        let (_dir, _now, store) = store_at(T0);
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
            store.put(k, &record(unix_now())).await.unwrap();
        }
        let before = snapshots(dir.path()).into_iter().max().unwrap_or(0);

        store.checkpoint(Duration::from_secs(10)).unwrap();
        let after = snapshots(dir.path()).into_iter().max().unwrap_or(0);
        assert!(after > before, "snapshot at {after:#x}, was {before:#x}");

        // Same data, still writable, and all of it there after a restart.
        assert_eq!(store.len().unwrap(), keys.len());
        let late = SessionKey::new(Scope::Dm, "7");
        store.put(&late, &record(unix_now())).await.unwrap();
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
        store.put(&key, &record(unix_now())).await.unwrap();
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
}
