//! The usage figures in the store: counted in memory as things happen, added to the
//! store's `figures` tree in groups.
//!
//! # Record layout (tree `figures`)
//!
//! One entry per [`Key`]: the key is the UTF-8 text `<day>|<rules version>|<locale>|<place>`
//! ([`Key::encode`]; day `YYYY-MM-DD` in UTC, place `g<server id>`, `dm` or `terminal`),
//! the value the [`Counts`] under it as a JSON object:
//!
//! ```json
//! {"started": 4, "finished": 3,
//!  "abandoned": {"<question id>": 1},
//!  "outcomes": {"<outcome id>": 3}, "posted": {"<outcome id>": 1},
//!  "pinned": {"<outcome id>": 1},
//!  "helped": {"<outcome id>": 2}, "not_helped": {"<outcome id>": 1}}
//! ```
//!
//! Every field may be missing (zero). Nothing else is stored: no user id, no message, no
//! time finer than the day. An export writes these entries as they are; an import may add
//! entries under the same key together, field by field.
//!
//! A click must not wait for the disk, so [`Tally::record`] only counts in memory; the
//! bot adds what was counted to the tree every [`FLUSH_EVERY`] and at shutdown
//! ([`Tally::flush`]). A crash loses at most that much counting, never a conversation.
//!
//! With PostgreSQL (`serve` workers sharing one database) the figures live in its
//! `figures` table instead, one row per counted thing, and a flush adds to the rows in
//! one statement (see `crate::store::postgres`): workers flushing at once never lose a
//! count. A worker's report is what every worker has flushed, plus its own counts not
//! flushed yet.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use super::postgres::PgStore;
use super::records::Records;
use super::SledStore;
use crate::figures::{Counts, Event, Filter, Key, Report};
use crate::session::StoreError;

/// The name of the store's tree of figures (for export and import).
pub const TREE: &str = "figures";

/// How often the bot adds the figures counted in memory to the store.
pub const FLUSH_EVERY: Duration = Duration::from_secs(30);

/// Where the figures are added to.
type Stored = Records<Counts>;

/// The usage figures: stored ones and those counted since the last flush.
#[derive(Debug, Clone)]
pub struct Tally {
    stored: Stored,
    pending: Arc<Mutex<BTreeMap<Key, Counts>>>,
    /// One flush at a time, so two never add the same counts twice.
    flushing: Arc<tokio::sync::Mutex<()>>,
}

impl Tally {
    pub fn open(store: &SledStore) -> Result<Tally, StoreError> {
        Ok(Tally {
            stored: Stored::Sled(store.open_tree_json(TREE)?),
            pending: Arc::default(),
            flushing: Arc::default(),
        })
    }

    /// The figures in PostgreSQL, shared by every worker on it.
    pub fn postgres(store: Arc<PgStore>) -> Tally {
        Tally {
            stored: Stored::Postgres(store),
            pending: Arc::default(),
            flushing: Arc::default(),
        }
    }

    fn pending(&self) -> std::sync::MutexGuard<'_, BTreeMap<Key, Counts>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts `event` under `key`, in memory (see the module documentation).
    pub fn record(&self, key: Key, event: &Event<'_>) {
        self.pending().entry(key).or_default().apply(event);
    }

    /// Adds what was counted in memory to the store, durably; returns how many keys it
    /// wrote. What could not be written stays counted in memory for the next flush.
    pub async fn flush(&self) -> Result<usize, StoreError> {
        let _one = self.flushing.lock().await;
        let taken: Vec<(Key, Counts)> = std::mem::take(&mut *self.pending()).into_iter().collect();
        let tree = match &self.stored {
            Stored::Sled(tree) => tree,
            Stored::Postgres(pg) => {
                // One statement: every key is added, or none is and all stay counted.
                return match pg.add_figures(&taken).await {
                    Ok(()) => Ok(taken.len()),
                    Err(e) => {
                        let mut pending = self.pending();
                        for (k, c) in &taken {
                            pending.entry(k.clone()).or_default().add(c);
                        }
                        Err(e)
                    }
                };
            }
        };
        let mut written = 0;
        for (i, (key, counts)) in taken.iter().enumerate() {
            let id = key.encode();
            let result = async {
                let mut stored = tree.get(&id)?.unwrap_or_default();
                stored.add(counts);
                tree.insert(&id, &stored).await
            }
            .await;
            if let Err(e) = result {
                // This key's counts and the rest go back, added to whatever was counted
                // meanwhile.
                let mut pending = self.pending();
                for (k, c) in &taken[i..] {
                    pending.entry(k.clone()).or_default().add(c);
                }
                return Err(e);
            }
            written += 1;
        }
        Ok(written)
    }

    /// Every figure: stored, plus what is counted in memory.
    pub async fn all(&self) -> Result<BTreeMap<Key, Counts>, StoreError> {
        let stored = match &self.stored {
            Stored::Sled(tree) => tree.iter().collect::<Result<Vec<_>, _>>()?,
            Stored::Postgres(pg) => pg.figures().await?,
        };
        let mut all: BTreeMap<Key, Counts> = BTreeMap::new();
        for (id, counts) in stored {
            match Key::decode(&id) {
                Some(key) => all.entry(key).or_default().add(&counts),
                None => tracing::warn!(key = id, "ignoring a usage figure under an unreadable key"),
            }
        }
        for (key, counts) in self.pending().iter() {
            all.entry(key.clone()).or_default().add(counts);
        }
        Ok(all)
    }

    /// The figures `filter` admits, summed; waits for a flush under way, whose counts
    /// are in neither place while it writes.
    pub async fn report(&self, filter: &Filter) -> Result<Report, StoreError> {
        let _one = self.flushing.lock().await;
        let all = self.all().await?;
        Ok(Report::of(&all, filter))
    }
}

/// The store's hook for pruned sessions ([`SledStore::on_pruned`]): a conversation whose
/// session expired before it reached an outcome is counted as abandoned at its question
/// ([`crate::figures::abandoned_at`], judged by the rules `rules` gives at the time), on the day it
/// was last touched, under its own rules version, locale and place.
pub fn count_abandoned(
    tally: Tally,
    rules: impl Fn() -> Arc<crate::rules::Rules> + Send + Sync + 'static,
) -> crate::store::PrunedHook {
    Box::new(move |key, record| {
        if let Some(question) = crate::figures::abandoned_at(&rules(), record) {
            let at = Key::new(
                record.updated_at,
                &record.rules_version,
                &record.locale,
                crate::figures::Place::of(&key.scope),
            );
            tally.record(
                at,
                &Event::Abandoned {
                    question: &question,
                },
            );
        }
    })
}

/// The store's hook before an export ([`SledStore::on_export`]): the figures counted in
/// memory are added first, so that a backup taken while the bot runs holds them.
pub fn flush_before_export(tally: Tally) -> crate::store::ExportHook {
    Box::new(move || {
        let tally = tally.clone();
        Box::pin(async move {
            if let Err(e) = tally.flush().await {
                tracing::warn!(error = %e, "could not store the usage figures before an export");
            }
        })
    })
}

/// Flushes `tally` every [`FLUSH_EVERY`] until `shutdown` completes, then once more.
pub async fn flush_periodically(tally: Tally, shutdown: impl std::future::Future<Output = ()>) {
    let mut ticks = tokio::time::interval(FLUSH_EVERY);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => break,
            _ = ticks.tick() => {
                if let Err(e) = tally.flush().await {
                    tracing::warn!(error = %e, "could not store the usage figures; they stay counted in memory");
                }
            }
        }
    }
    if let Err(e) = tally.flush().await {
        tracing::warn!(error = %e, "could not store the last usage figures");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::Place;
    use crate::store::StoreOptions;

    #[tokio::test]
    async fn a_session_pruned_unfinished_counts_as_abandoned_at_its_question() {
        use crate::session::{Answer, Scope, SessionKey, SessionRecord, SessionStore};
        use std::sync::atomic::{AtomicI64, Ordering};
        let rules = Arc::new(
            crate::rules::load(std::path::Path::new("rules/activation-check.toml")).unwrap(),
        );
        let answer = |node: &str, choice: usize| Answer {
            node: node.to_owned(),
            value: rules.question(rules.find(node).unwrap()).unwrap().choices[choice]
                .value
                .clone(),
        };
        let day = 1_796_557_000; // 2026-12-06
        let now = Arc::new(AtomicI64::new(day));
        let clock = now.clone();
        let dir = tempfile::tempdir().unwrap();
        let store = SledStore::open(
            dir.path(),
            StoreOptions {
                ttl: Duration::from_secs(86_400),
                clock: Arc::new(move || clock.load(Ordering::SeqCst)),
                ..StoreOptions::default()
            },
        )
        .unwrap();
        let tally = Tally::open(&store).unwrap();
        let shipped = rules.clone();
        store.on_pruned(count_abandoned(tally.clone(), move || shipped.clone()));
        let put = |user: &str, scope: Scope, answers: Vec<Answer>| {
            let mut r = SessionRecord::new(&rules.meta.version, "ja", day);
            r.answers = answers;
            let key = SessionKey::new(scope, user);
            let store = &store;
            async move { store.put(&key, &r).await.unwrap() }
        };
        // Opened and left at the first question; one answer in, then left; finished.
        put("1", Scope::Guild(7), vec![]).await;
        put("2", Scope::Guild(7), vec![answer("concern", 0)]).await;
        put(
            "3",
            Scope::Dm,
            vec![
                answer("concern", 0),
                answer("lost-origin", 2),
                answer("win10-upgrade-id", 0),
            ],
        )
        .await;
        assert_eq!(store.prune_expired(day).unwrap(), 0, "nothing expired yet");
        now.store(day + 2 * 86_400, Ordering::SeqCst);
        assert_eq!(store.prune_expired(day + 2 * 86_400).unwrap(), 3);
        tally.flush().await.unwrap();
        let r = tally.report(&Filter::default()).await.unwrap();
        assert_eq!(
            r.drop_off,
            vec![("concern".to_owned(), 1), ("lost-origin".to_owned(), 1)]
        );
        assert_eq!(r.by_place["g7"].abandoned_total(), 2);
        assert!(
            !r.by_place.contains_key("dm"),
            "a finished one was not given up"
        );
        assert_eq!(
            r.first_day.as_deref(),
            Some("2026-12-06"),
            "the day last touched"
        );
    }

    #[tokio::test]
    async fn counts_survive_a_reopen_and_add_up_with_those_in_memory() {
        let dir = tempfile::tempdir().unwrap();
        let key = Key::new(1_796_557_000, "v1", "ja", Place::Guild(5));
        {
            let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
            let tally = Tally::open(&store).unwrap();
            tally.record(key.clone(), &Event::Started);
            tally.record(key.clone(), &Event::Finished { outcome: "o" });
            assert_eq!(tally.flush().await.unwrap(), 1);
            assert_eq!(tally.flush().await.unwrap(), 0, "nothing counted twice");
            tally.record(key.clone(), &Event::Started);
            let r = tally.report(&Filter::default()).await.unwrap();
            assert_eq!((r.totals.started, r.totals.finished), (2, 1));
            tally.flush().await.unwrap();
        }
        let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
        let tally = Tally::open(&store).unwrap();
        let all = tally.all().await.unwrap();
        assert_eq!(all[&key].started, 2);
        assert_eq!(all[&key].outcomes["o"], 1);
    }
}
