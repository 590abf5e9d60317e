//! PostgreSQL: the sessions, the posted cards and the handled interactions, shared by
//! every `serve` worker (`--store postgres://...`).
//!
//! sled is one process by design; several workers behind a load balancer need a store
//! they all reach. What the one process's locks and memory guarantee over the gateway
//! becomes the database's job here:
//!
//! - **A step is taken once.** [`PgStore::advance`](crate::session::SessionStore::advance)
//!   writes a session only when the stored step is older (one conditional `INSERT ... ON
//!   CONFLICT DO UPDATE ... WHERE`): two workers given the same click, or clicks on an
//!   old message, find the step taken and answer with where the conversation stands.
//! - **A deleted conversation stays deleted.** "Delete my saved answers" leaves a marker
//!   in the session's row (`forgotten`, the step of the deletion, no answers), expiring
//!   like a session; the same conditional write finds it, so a button shown before the
//!   deletion is refused by whichever worker gets it ([`Advanced::Forgotten`]). A marker
//!   is not a session: reads, counts, exports and pruning's figures pass over it.
//! - **An interaction is handled once.** [`PgStore::claim_interaction`] inserts a row per
//!   interaction id (primary key): a replay sent to any worker is refused.
//! - **Expiry is an index.** `sessions.expires_at` is indexed; pruning deletes by it.
//! - **Two rows that change together change in one transaction** (re-syncing pins);
//!   a card's post and pin are single statements, so two workers cannot undo each other.
//! - **Counts are added, never overwritten.** The usage figures are one row per counted
//!   thing, and a worker's flush adds to them in one upsert (`figures.rs`).
//! - **A backup is sled's.** `data export` reads everything at one moment and writes
//!   sled's export format; `data import` writes one in a single transaction (`dump.rs`).
//! - **Migrations are versioned** ([`MIGRATIONS`]) and run at start-up under an advisory
//!   lock, so workers starting together apply each once; a database migrated by a newer
//!   build is refused rather than misread.
//!
//! The client is tokio-postgres with a small deadpool pool per worker.

mod dump;
mod figures;
mod migrations;

pub use dump::Restore;

use std::sync::Arc;
use std::time::Duration;

use deadpool_postgres::{Manager, ManagerConfig, Pool, RecyclingMethod};
use tokio_postgres::types::Json;
use tokio_postgres::NoTls;

pub use migrations::MIGRATIONS;

use crate::domain::posted::{Pin, PostedCard};
use crate::session::{
    Advanced, SessionKey, SessionRecord, SessionStore, StoreError, SESSION_FORMAT,
};

/// Connections one worker keeps (tokio-postgres also pipelines on each).
pub const POOL_SIZE: usize = 8;

/// How long an interaction id is remembered: far beyond the signature's time window
/// (a replay older than that is refused by its timestamp).
pub const CLAIMS_KEPT: Duration = Duration::from_secs(3600);

/// Why the store cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum PgError {
    #[error("the store address is not a PostgreSQL connection string (postgres://user:password@host:port/database): {0}")]
    Url(String),
    #[error("cannot reach PostgreSQL at {target}: {detail}")]
    Connect { target: String, detail: String },
    #[error("migrating the database at {target} failed: {detail}")]
    Migrate { target: String, detail: String },
    #[error(
        "the database at {target} was migrated by a newer build (schema version {found}, \
         this build knows up to {known}); run the newer build, or restore a backup"
    )]
    Newer {
        target: String,
        found: i32,
        known: i32,
    },
}

/// A PostgreSQL error in words: the server's code and message when it sent one, else
/// the client's error with its causes (connection refused, ...).
fn describe(e: &tokio_postgres::Error) -> String {
    match e.as_db_error() {
        Some(db) => format!("{} ({})", db.message(), db.code().code()),
        None => crate::problem::with_causes(e),
    }
}

fn read(e: impl std::fmt::Display) -> StoreError {
    StoreError::Read(format!("PostgreSQL: {e}"))
}

fn write(e: impl std::fmt::Display) -> StoreError {
    StoreError::Write(format!("PostgreSQL: {e}"))
}

fn pool_read(e: deadpool_postgres::PoolError) -> StoreError {
    match &e {
        deadpool_postgres::PoolError::Backend(b) => read(describe(b)),
        _ => read(e),
    }
}

fn pool_write(e: deadpool_postgres::PoolError) -> StoreError {
    match &e {
        deadpool_postgres::PoolError::Backend(b) => write(describe(b)),
        _ => write(e),
    }
}

/// Whether a statement reads or writes: which [`StoreError`] its failure becomes.
#[derive(Debug, Clone, Copy)]
enum Access {
    Read,
    Write,
}

impl Access {
    fn pool(self, e: deadpool_postgres::PoolError) -> StoreError {
        match self {
            Access::Read => pool_read(e),
            Access::Write => pool_write(e),
        }
    }

    fn failed(self, e: &tokio_postgres::Error) -> StoreError {
        match self {
            Access::Read => read(describe(e)),
            Access::Write => write(describe(e)),
        }
    }
}

/// A statement's parameters, as tokio-postgres takes them.
type Params<'a> = [&'a (dyn tokio_postgres::types::ToSql + Sync)];

/// One statement through `client` (a pooled connection or a transaction), prepared once
/// per connection: its rows.
async fn query_with(
    client: &impl deadpool_postgres::GenericClient,
    access: Access,
    sql: &str,
    params: &Params<'_>,
) -> Result<Vec<tokio_postgres::Row>, StoreError> {
    let stmt = client
        .prepare_cached(sql)
        .await
        .map_err(|e| access.failed(&e))?;
    client
        .query(&stmt, params)
        .await
        .map_err(|e| access.failed(&e))
}

/// The store.
#[derive(Clone)]
pub struct PgStore {
    pool: Pool,
    ttl: Duration,
    clock: crate::store::Clock,
    /// Where it connects, without the password (for messages).
    target: String,
    /// Called with each session pruned (see [`PgStore::on_pruned`]).
    on_pruned: Arc<std::sync::OnceLock<crate::store::PrunedHook>>,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .finish_non_exhaustive()
    }
}

/// `user@host:port/database` of a connection string, without the password.
fn target_of(config: &tokio_postgres::Config) -> String {
    let host = config
        .get_hosts()
        .first()
        .map(|h| match h {
            tokio_postgres::config::Host::Tcp(name) => name.clone(),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .unwrap_or_else(|| "localhost".to_owned());
    let port = config.get_ports().first().copied().unwrap_or(5432);
    format!(
        "{}@{host}:{port}/{}",
        config.get_user().unwrap_or("?"),
        config.get_dbname().unwrap_or("?")
    )
}

impl PgStore {
    /// Connects to `url`, checks the connection, and brings the schema up to date.
    pub async fn connect(url: &str, options: crate::store::StoreOptions) -> Result<Self, PgError> {
        let config: tokio_postgres::Config = url
            .parse()
            .map_err(|e: tokio_postgres::Error| PgError::Url(describe(&e)))?;
        let target = target_of(&config);
        let manager = Manager::from_config(
            config,
            NoTls,
            ManagerConfig {
                recycling_method: RecyclingMethod::Fast,
            },
        );
        let pool = Pool::builder(manager)
            .max_size(POOL_SIZE)
            .build()
            .map_err(|e| PgError::Url(e.to_string()))?;
        let store = PgStore {
            pool,
            ttl: options.ttl,
            clock: options.clock,
            target,
            on_pruned: Arc::default(),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Where this store connects (`user@host:port/database`).
    pub fn target(&self) -> &str {
        &self.target
    }

    fn now(&self) -> i64 {
        (self.clock)()
    }

    fn expires_at(&self, updated_at: i64) -> i64 {
        updated_at.saturating_add(i64::try_from(self.ttl.as_secs()).unwrap_or(i64::MAX))
    }

    /// Applies every migration the database lacks, in order, in one transaction under
    /// an advisory lock (workers starting together wait for each other).
    async fn migrate(&self) -> Result<(), PgError> {
        let failed = |detail: String| PgError::Migrate {
            target: self.target.clone(),
            detail,
        };
        let mut client = self.pool.get().await.map_err(|e| match &e {
            deadpool_postgres::PoolError::Backend(b) => PgError::Connect {
                target: self.target.clone(),
                detail: describe(b),
            },
            _ => PgError::Connect {
                target: self.target.clone(),
                detail: e.to_string(),
            },
        })?;
        let tx = client
            .transaction()
            .await
            .map_err(|e| failed(describe(&e)))?;
        tx.batch_execute(migrations::PRELUDE)
            .await
            .map_err(|e| failed(describe(&e)))?;
        let applied: i32 = tx
            .query_one(
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await
            .map_err(|e| failed(describe(&e)))?
            .get(0);
        let known = MIGRATIONS.last().map_or(0, |m| m.version);
        if applied > known {
            return Err(PgError::Newer {
                target: self.target.clone(),
                found: applied,
                known,
            });
        }
        for m in MIGRATIONS.iter().filter(|m| m.version > applied) {
            tx.batch_execute(m.sql).await.map_err(|e| {
                failed(format!(
                    "migration {} ({}): {}",
                    m.version,
                    m.name,
                    describe(&e)
                ))
            })?;
            tx.execute(
                "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                &[&m.version, &m.name],
            )
            .await
            .map_err(|e| failed(describe(&e)))?;
            tracing::info!(version = m.version, name = m.name, "migrated the database");
        }
        tx.commit().await.map_err(|e| failed(describe(&e)))
    }

    /// One statement on a pooled connection, prepared once per connection: its rows.
    async fn rows(
        &self,
        access: Access,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<Vec<tokio_postgres::Row>, StoreError> {
        let client = self.pool.get().await.map_err(|e| access.pool(e))?;
        query_with(&client, access, sql, params).await
    }

    /// A count the statement returns in its one row.
    async fn count(
        &self,
        access: Access,
        sql: &str,
        params: &Params<'_>,
    ) -> Result<usize, StoreError> {
        let n = self
            .rows(access, sql, params)
            .await?
            .into_iter()
            .next()
            .map_or(0, |r| r.get::<_, i64>(0));
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// The schema version the database is at.
    pub async fn schema_version(&self) -> Result<i32, StoreError> {
        let row = self
            .rows(
                Access::Read,
                "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
                &[],
            )
            .await?
            .into_iter()
            .next();
        Ok(row.map_or(0, |r| r.get(0)))
    }

    /// Records interaction `id` as handled; `false` if it was handled before (a replay),
    /// by any worker.
    pub async fn claim_interaction(&self, id: u64) -> Result<bool, StoreError> {
        let inserted = self
            .rows(
                Access::Write,
                "INSERT INTO interactions (id, claimed_at) VALUES ($1, $2) \
                 ON CONFLICT (id) DO NOTHING RETURNING id",
                &[&(id as i64), &self.now()],
            )
            .await?
            .into_iter()
            .next();
        Ok(inserted.is_some())
    }

    /// Deletes the sessions (and markers of deleted ones) expired at `now` (by the
    /// expiry index) and interaction ids older than [`CLAIMS_KEPT`]; returns how many
    /// sessions went.
    pub async fn prune_expired(&self, now: i64) -> Result<usize, StoreError> {
        // Each deleted row comes back to the worker that deleted it, and to no other:
        // a session given up unfinished is counted once however many workers prune.
        let deleted = self
            .rows(
                Access::Write,
                "DELETE FROM sessions WHERE expires_at <= $1 RETURNING key, record, forgotten",
                &[&now],
            )
            .await?;
        // A marker of a deleted conversation was no session, and was not given up.
        let deleted: Vec<_> = deleted
            .into_iter()
            .filter(|r| !r.get::<_, bool>(2))
            .collect();
        let sessions = deleted.len();
        if let Some(hook) = self.on_pruned.get() {
            for row in deleted {
                let key = SessionKey::decode(row.get::<_, &str>(0));
                if let (Some(key), Some(record)) = (key, decode(row.get(1))) {
                    hook(&key, &record);
                }
            }
        }
        let before = now - CLAIMS_KEPT.as_secs() as i64;
        self.rows(
            Access::Write,
            "DELETE FROM interactions WHERE claimed_at < $1",
            &[&before],
        )
        .await?;
        Ok(sessions)
    }

    /// Calls `hook` with each session [`PgStore::prune_expired`] deletes from now on (the
    /// usage figures count those given up unfinished); set once.
    pub fn on_pruned(&self, hook: crate::store::PrunedHook) {
        let _ = self.on_pruned.set(hook);
    }

    /// Deletes every session of `user` in every scope, and the markers of their deleted
    /// conversations; returns how many sessions.
    pub async fn forget_user(&self, user: &str) -> Result<usize, StoreError> {
        self.count(
            Access::Write,
            "WITH gone AS (DELETE FROM sessions WHERE user_id = $1 RETURNING forgotten) \
             SELECT COUNT(*) FILTER (WHERE NOT forgotten) FROM gone",
            &[&user],
        )
        .await
    }

    /// Sessions stored and not expired.
    pub async fn len(&self) -> Result<usize, StoreError> {
        self.count(
            Access::Read,
            "SELECT COUNT(*) FROM sessions WHERE expires_at > $1 AND NOT forgotten",
            &[&self.now()],
        )
        .await
    }

    /// Whether no live session is stored.
    pub async fn is_empty(&self) -> Result<bool, StoreError> {
        Ok(self.len().await? == 0)
    }

    async fn upsert(&self, key: &SessionKey, record: &SessionRecord) -> Result<(), StoreError> {
        let row = SessionRow::of(key, record, self.expires_at(record.updated_at));
        self.rows(Access::Write, UPSERT_SESSION, &row.params())
            .await
            .map(drop)
    }

    /// The session stored for `key` (not the marker of a deleted one).
    async fn fetch(&self, key: &SessionKey) -> Result<Option<SessionRecord>, StoreError> {
        Ok(match self.standing(key).await? {
            Some(Advanced::Behind(record)) => Some(record),
            _ => None,
        })
    }

    /// What is stored for `key` and not expired, as what stands in the way of a step
    /// [`SessionStore::advance`] did not write: a session, or the marker of a deleted one.
    async fn standing(&self, key: &SessionKey) -> Result<Option<Advanced>, StoreError> {
        let row = self
            .rows(
                Access::Read,
                "SELECT record, forgotten, step FROM sessions \
                 WHERE key = $1 AND expires_at > $2",
                &[&key.encode(), &self.now()],
            )
            .await?
            .into_iter()
            .next();
        Ok(row.and_then(|r| {
            if r.get::<_, bool>(1) {
                let step = u64::try_from(r.get::<_, i64>(2)).unwrap_or(0);
                Some(Advanced::Forgotten { step })
            } else {
                decode(r.get::<_, serde_json::Value>(0)).map(Advanced::Behind)
            }
        }))
    }

    /// "Delete my saved answers" at `step`: the session becomes a marker without answers,
    /// at the step after every step shown so far (the deletion's own step), in one
    /// statement. `true` if a session was deleted.
    async fn forget_session(&self, key: &SessionKey, step: u64) -> Result<bool, StoreError> {
        let now = self.now();
        let step = i64::try_from(step).unwrap_or(i64::MAX).saturating_add(1);
        let row = self
            .rows(
                Access::Write,
                FORGET_SESSION,
                &[&key.encode(), &key.user, &step, &now, &self.expires_at(now)],
            )
            .await?
            .into_iter()
            .next();
        Ok(row.is_some_and(|r| r.get(0)))
    }

    // ---- posted cards ------------------------------------------------------------------

    /// The posted card of `message_id`, if it is one.
    pub async fn card(&self, message_id: u64) -> Result<Option<PostedCard>, StoreError> {
        let row = self
            .rows(
                Access::Read,
                "SELECT card FROM posted_cards WHERE message_id = $1",
                &[&(message_id as i64)],
            )
            .await?
            .into_iter()
            .next();
        row.map(|r| card_of(r.get(0))).transpose()
    }

    /// Every posted card, in message id order.
    pub async fn cards(&self) -> Result<Vec<PostedCard>, StoreError> {
        let rows = self
            .rows(
                Access::Read,
                "SELECT card FROM posted_cards ORDER BY message_id",
                &[],
            )
            .await?;
        rows.into_iter().map(|r| card_of(r.get(0))).collect()
    }

    /// Records a post; a card already recorded for the message keeps its first post time
    /// and its pin (one statement: a worker recording the same post cannot undo a pin
    /// another recorded meanwhile).
    pub async fn record_post(&self, card: &PostedCard) -> Result<PostedCard, StoreError> {
        let row = self
            .rows(
                Access::Write,
                "INSERT INTO posted_cards (message_id, card) VALUES ($1, $2) \
                 ON CONFLICT (message_id) DO UPDATE SET card = EXCLUDED.card \
                 || jsonb_build_object('posted_at', posted_cards.card -> 'posted_at', \
                                       'pin', posted_cards.card -> 'pin') \
                 RETURNING card",
                &[&(card.message_id as i64), &Json(card)],
            )
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| write("an upsert returned no row"))?;
        card_of(row.get(0))
    }

    /// Writes a card as it is.
    pub async fn put_card(&self, card: &PostedCard) -> Result<(), StoreError> {
        self.rows(
            Access::Write,
            "INSERT INTO posted_cards (message_id, card) VALUES ($1, $2) \
             ON CONFLICT (message_id) DO UPDATE SET card = EXCLUDED.card",
            &[&(card.message_id as i64), &Json(card)],
        )
        .await
        .map(drop)
    }

    /// Records a pin of a posted card; `None` if the message is not one.
    pub async fn mark_pinned(
        &self,
        message_id: u64,
        pin: &Pin,
    ) -> Result<Option<PostedCard>, StoreError> {
        let row = self
            .rows(
                Access::Write,
                "UPDATE posted_cards SET card = jsonb_set(card, '{pin}', $2) \
                 WHERE message_id = $1 RETURNING card",
                &[&(message_id as i64), &Json(pin)],
            )
            .await?
            .into_iter()
            .next();
        row.map(|r| card_of(r.get(0))).transpose()
    }

    /// Changes several cards in one transaction: `change` sees each card (locked) and
    /// returns its new version, or `None` to leave it. Returns how many changed.
    pub async fn update_cards(
        &self,
        mut change: impl FnMut(PostedCard) -> Option<PostedCard> + Send,
    ) -> Result<usize, StoreError> {
        let mut client = self.pool.get().await.map_err(pool_write)?;
        let tx = client
            .transaction()
            .await
            .map_err(|e| write(describe(&e)))?;
        let rows = query_with(
            &tx,
            Access::Write,
            "SELECT card FROM posted_cards ORDER BY message_id FOR UPDATE",
            &[],
        )
        .await?;
        let mut changed = 0;
        for row in rows {
            let card = card_of(row.get(0))?;
            if let Some(new) = change(card) {
                tx.execute(
                    "UPDATE posted_cards SET card = $2 WHERE message_id = $1",
                    &[&(new.message_id as i64), &Json(&new)],
                )
                .await
                .map_err(|e| write(describe(&e)))?;
                changed += 1;
            }
        }
        tx.commit().await.map_err(|e| write(describe(&e)))?;
        Ok(changed)
    }
}

macro_rules! upsert_session {
    () => {
        "INSERT INTO sessions (key, user_id, step, record, updated_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6) \
         ON CONFLICT (key) DO UPDATE SET user_id = EXCLUDED.user_id, \
         step = EXCLUDED.step, record = EXCLUDED.record, \
         updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at, \
         forgotten = EXCLUDED.forgotten"
    };
}

/// Writes a session whatever is stored (over a marker of a deleted one too).
const UPSERT_SESSION: &str = upsert_session!();

/// Writes a session only over an older step (a session's, or a deleted one's marker) or
/// an expired row; returns a row when it wrote.
const ADVANCE_SESSION: &str = concat!(
    upsert_session!(),
    " WHERE sessions.step < EXCLUDED.step OR sessions.expires_at <= EXCLUDED.updated_at",
    " RETURNING 1"
);

/// Turns a session into the marker of its deletion (or writes one where there is
/// none): no answers, at the step after the deletion's (`$3`) or the stored session's,
/// whichever is later; a marker already there stays at least where it was. Returns
/// whether a session was there.
const FORGET_SESSION: &str = "\
    WITH old AS (SELECT forgotten FROM sessions WHERE key = $1) \
    INSERT INTO sessions (key, user_id, step, record, updated_at, expires_at, forgotten) \
    VALUES ($1, $2, $3, '{}', $4, $5, true) \
    ON CONFLICT (key) DO UPDATE SET \
    step = GREATEST(sessions.step + CASE WHEN sessions.forgotten THEN 0 ELSE 1 END, \
                    EXCLUDED.step), \
    record = EXCLUDED.record, updated_at = EXCLUDED.updated_at, \
    expires_at = EXCLUDED.expires_at, forgotten = true \
    RETURNING COALESCE((SELECT NOT forgotten FROM old), false)";

/// A session as the statements above take it.
struct SessionRow<'a> {
    key: String,
    user: &'a str,
    step: i64,
    record: Json<&'a SessionRecord>,
    updated_at: i64,
    expires_at: i64,
}

impl<'a> SessionRow<'a> {
    fn of(key: &'a SessionKey, record: &'a SessionRecord, expires_at: i64) -> Self {
        SessionRow {
            key: key.encode(),
            user: &key.user,
            step: i64::try_from(record.step).unwrap_or(i64::MAX),
            record: Json(record),
            updated_at: record.updated_at,
            expires_at,
        }
    }

    fn params(&self) -> [&(dyn tokio_postgres::types::ToSql + Sync); 6] {
        [
            &self.key,
            &self.user,
            &self.step,
            &self.record,
            &self.updated_at,
            &self.expires_at,
        ]
    }
}

fn card_of(v: serde_json::Value) -> Result<PostedCard, StoreError> {
    serde_json::from_value(v).map_err(|e| read(format!("a posted card cannot be read: {e}")))
}

/// A stored record, or `None` for one of a format this build does not understand.
fn decode(v: serde_json::Value) -> Option<SessionRecord> {
    match serde_json::from_value::<SessionRecord>(v) {
        Ok(r) if r.format == SESSION_FORMAT => Some(r),
        Ok(r) => {
            tracing::warn!(
                format = r.format,
                "a session of another record format; treated as expired"
            );
            None
        }
        Err(e) => {
            tracing::warn!(error = %e, "an unreadable session; treated as expired");
            None
        }
    }
}

impl SessionStore for PgStore {
    /// A blocking read, for callers without a runtime of their own (the terminal);
    /// the conversation reads through [`SessionStore::load`].
    fn get(&self, key: &SessionKey) -> Result<Option<SessionRecord>, StoreError> {
        match tokio::runtime::Handle::try_current() {
            Ok(h) if h.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
                tokio::task::block_in_place(|| h.block_on(self.fetch(key)))
            }
            _ => tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(read)?
                .block_on(self.fetch(key)),
        }
    }

    async fn load(&self, key: &SessionKey) -> Result<Option<SessionRecord>, StoreError> {
        self.fetch(key).await
    }

    async fn put(&self, key: &SessionKey, record: &SessionRecord) -> Result<(), StoreError> {
        self.upsert(key, record).await
    }

    async fn advance(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
    ) -> Result<Advanced, StoreError> {
        let row = SessionRow::of(key, record, self.expires_at(record.updated_at));
        let written = self
            .rows(Access::Write, ADVANCE_SESSION, &row.params())
            .await?
            .into_iter()
            .next();
        if written.is_some() {
            return Ok(Advanced::Saved);
        }
        // The step was taken first (by another worker, or a click on an older message),
        // or the conversation was deleted after the button was shown.
        match self.standing(key).await? {
            Some(standing) => Ok(standing),
            // Expired since, or of a format this build does not read: nothing stands in
            // the way.
            None => self.upsert(key, record).await.map(|()| Advanced::Saved),
        }
    }

    async fn forget(&self, key: &SessionKey, step: u64) -> Result<bool, StoreError> {
        self.forget_session(key, step).await
    }

    async fn forgotten_at(&self, key: &SessionKey) -> Result<Option<u64>, StoreError> {
        Ok(match self.standing(key).await? {
            Some(Advanced::Forgotten { step }) => Some(step),
            _ => None,
        })
    }

    async fn remove(&self, key: &SessionKey) -> Result<bool, StoreError> {
        // A marker of a deleted conversation goes too, but was no session.
        let old = self
            .rows(
                Access::Write,
                "DELETE FROM sessions WHERE key = $1 RETURNING forgotten",
                &[&key.encode()],
            )
            .await?
            .into_iter()
            .next();
        Ok(old.is_some_and(|r| !r.get::<_, bool>(0)))
    }
}

/// Prunes expired sessions every `every` until `shutdown` resolves (every worker may
/// run it; the deletes are idempotent).
pub async fn prune_periodically(
    store: Arc<PgStore>,
    every: Duration,
    shutdown: impl std::future::Future<Output = ()>,
) {
    let mut ticker = tokio::time::interval(every.max(Duration::from_millis(1)));
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            () = &mut shutdown => return,
            _ = ticker.tick() => {}
        }
        match store.prune_expired(store.now()).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(pruned = n, "pruned expired sessions"),
            Err(e) => tracing::warn!(error = %e, "could not prune expired sessions"),
        }
    }
}
