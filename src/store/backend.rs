//! The store a bot runs on: sled in its data directory (one process; the default), or
//! PostgreSQL (`--store postgres://...`), which several `serve` workers share.

use std::sync::Arc;

use crate::session::{Advanced, SessionKey, SessionRecord, SessionStore, StoreError};
use crate::store::figures::{count_abandoned, Tally};
use crate::store::postgres::PgStore;
use crate::store::SledStore;

/// One of the two stores, as the conversation and the commands use it.
#[derive(Debug, Clone)]
pub enum Backend {
    Sled(Arc<SledStore>),
    Postgres(Arc<PgStore>),
}

impl Backend {
    /// Whether other processes take steps in this store too.
    pub fn is_shared(&self) -> bool {
        matches!(self, Backend::Postgres(_))
    }

    /// The usage figures kept beside the sessions (shared by every worker on PostgreSQL).
    pub fn tally(&self) -> Result<Tally, StoreError> {
        match self {
            Backend::Sled(s) => Tally::open(s),
            Backend::Postgres(p) => Ok(Tally::postgres(p.clone())),
        }
    }

    /// Counts a session pruned unfinished as given up, at its question (see
    /// [`count_abandoned`]), under the rules `rules` gives at the time.
    pub fn count_abandoned(
        &self,
        tally: &Tally,
        rules: impl Fn() -> Arc<crate::rules::Rules> + Send + Sync + 'static,
    ) {
        let hook = count_abandoned(tally.clone(), rules);
        match self {
            Backend::Sled(s) => s.on_pruned(hook),
            Backend::Postgres(p) => p.on_pruned(hook),
        }
    }

    /// Deletes every session of `user`; returns how many.
    pub async fn forget_user(&self, user: &str) -> Result<usize, StoreError> {
        match self {
            Backend::Sled(s) => s.forget_user(user).await,
            Backend::Postgres(p) => p.forget_user(user).await,
        }
    }

    /// Removes the sessions expired at `now`; returns how many.
    pub async fn prune_expired(&self, now: i64) -> Result<usize, StoreError> {
        match self {
            Backend::Sled(s) => s.prune_expired(now),
            Backend::Postgres(p) => p.prune_expired(now).await,
        }
    }

    /// Sessions stored (not expired, for PostgreSQL; sled counts until pruned).
    pub async fn len(&self) -> Result<usize, StoreError> {
        match self {
            Backend::Sled(s) => s.len(),
            Backend::Postgres(p) => p.len().await,
        }
    }

    /// Whether no session is stored.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len().await? == 0)
    }

    /// Sessions written behind the replies, in groups, from now on (sled; PostgreSQL
    /// writes each before the reply, since the write decides whether the step was taken).
    pub fn write_behind(&self) {
        if let Backend::Sled(s) = self {
            s.write_behind();
        }
    }

    /// Makes every write so far durable (PostgreSQL's are already).
    pub async fn flush(&self) -> Result<(), StoreError> {
        match self {
            Backend::Sled(s) => s.flush_async().await,
            Backend::Postgres(_) => Ok(()),
        }
    }
}

impl SessionStore for Backend {
    fn get(&self, key: &SessionKey) -> Result<Option<SessionRecord>, StoreError> {
        match self {
            Backend::Sled(s) => s.get(key),
            Backend::Postgres(p) => p.get(key),
        }
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>, StoreError> {
        match self {
            Backend::Sled(s) => s.load(key).await,
            Backend::Postgres(p) => p.load(key).await,
        }
    }

    async fn put(&self, key: &SessionKey, record: &SessionRecord) -> Result<(), StoreError> {
        match self {
            Backend::Sled(s) => s.put(key, record).await,
            Backend::Postgres(p) => p.put(key, record).await,
        }
    }

    async fn save(&self, key: &SessionKey, record: &SessionRecord) -> Result<(), StoreError> {
        match self {
            Backend::Sled(s) => s.save(key, record).await,
            Backend::Postgres(p) => p.save(key, record).await,
        }
    }

    async fn advance(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
    ) -> Result<Advanced, StoreError> {
        match self {
            Backend::Sled(s) => s.advance(key, record).await,
            Backend::Postgres(p) => p.advance(key, record).await,
        }
    }

    async fn forget(&self, key: &SessionKey, step: u64) -> Result<bool, StoreError> {
        match self {
            Backend::Sled(s) => s.forget(key, step).await,
            Backend::Postgres(p) => p.forget(key, step).await,
        }
    }

    async fn forgotten_at(&self, key: &SessionKey) -> Result<Option<u64>, StoreError> {
        match self {
            Backend::Sled(s) => s.forgotten_at(key).await,
            Backend::Postgres(p) => p.forgotten_at(key).await,
        }
    }

    async fn remove(&self, key: &SessionKey) -> Result<bool, StoreError> {
        match self {
            Backend::Sled(s) => s.remove(key).await,
            Backend::Postgres(p) => p.remove(key).await,
        }
    }
}
