//! Session records and the storage contract, without any storage engine.
//!
//! A session is one user's walk through the tree in one *scope* (a Discord server, a DM
//! with the bot, or the terminal). The record keeps the answers as `(question id, value)`
//! pairs rather than choice positions, so that a reordered choice list in a new rules
//! version cannot silently change what a user answered; the engine replays them against
//! the rules in force and reports a mismatch as a stale session.
//!
//! The record is versioned (`format`): a record written by an unknown (for example
//! future) format is treated as expired by the store, never as a panic.
//!
//! [`SessionStore`] is the seam between the conversation layer and storage. Its only
//! production implementation lives in `crate::store` (sled); [`MemoryStore`] serves tests
//! and fault-injection wrappers.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

/// The record format this build writes and understands.
pub const SESSION_FORMAT: u32 = 1;

/// Where a conversation takes place. Sessions in different scopes never mix: the same
/// user may have one unfinished walk in a server and another in a DM.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Scope {
    /// A Discord server (guild), by its snowflake.
    Guild(u64),
    /// A direct-message conversation with the bot.
    Dm,
    /// The terminal front end (`activation-check ask`).
    Terminal,
}

/// Identifies one session: a scope and a user within it. Discord users are snowflakes
/// written as decimal strings; terminal users are login names.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SessionKey {
    pub scope: Scope,
    pub user: String,
}

impl SessionKey {
    pub fn new(scope: Scope, user: impl Into<String>) -> Self {
        Self {
            scope,
            user: user.into(),
        }
    }

    /// The stable byte key used by stores: `g/<guild>/<user>`, `dm/<user>` or
    /// `term/<user>`. Readable in a dump, and sorted by scope.
    pub fn encode(&self) -> String {
        match &self.scope {
            Scope::Guild(g) => format!("g/{g}/{}", self.user),
            Scope::Dm => format!("dm/{}", self.user),
            Scope::Terminal => format!("term/{}", self.user),
        }
    }

    /// The inverse of [`SessionKey::encode`]; `None` for anything it did not write.
    pub fn decode(s: &str) -> Option<Self> {
        let mut parts = s.splitn(3, '/');
        match (parts.next()?, parts.next(), parts.next()) {
            ("g", Some(g), Some(user)) if !user.is_empty() => {
                Some(Self::new(Scope::Guild(g.parse().ok()?), user))
            }
            ("dm", Some(user), None) if !user.is_empty() => Some(Self::new(Scope::Dm, user)),
            ("term", Some(user), None) if !user.is_empty() => {
                Some(Self::new(Scope::Terminal, user))
            }
            _ => None,
        }
    }
}

impl fmt::Display for SessionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.encode())
    }
}

/// One answered question, by question (node) id and the fact value chosen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answer {
    pub node: String,
    pub value: String,
}

/// What is stored for one session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionRecord {
    /// Record format, [`SESSION_FORMAT`] when written by this build.
    pub format: u32,
    /// The rules version the answers were given under.
    pub rules_version: String,
    /// The locale the user was last served in (a BCP 47 tag such as `ja` or `en-US`).
    pub locale: String,
    /// The answers so far, in the order they were given.
    pub answers: Vec<Answer>,
    /// Counts every accepted transition (answer, back, restart). A button carries the
    /// step it was shown at, so a repeated click on an already-taken step is recognised
    /// and answered with the same result instead of moving twice.
    pub step: u64,
    /// The transition that produced `step` (see `conversation::Input::key`), so that a
    /// repeated click can be told from a new one.
    #[serde(default)]
    pub last_input: Option<String>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds of the last accepted transition; expiry counts from here.
    pub updated_at: i64,
}

impl SessionRecord {
    pub fn new(rules_version: &str, locale: &str, now: i64) -> Self {
        Self {
            format: SESSION_FORMAT,
            rules_version: rules_version.to_owned(),
            locale: locale.to_owned(),
            answers: Vec::new(),
            step: 0,
            last_input: None,
            created_at: now,
            updated_at: now,
        }
    }
}

/// Why a store operation failed. The conversation layer turns every variant into a
/// localized sentence for the user; the operator gets the `Display` text in the log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The write did not reach disk (disk full, I/O error). The previous state is intact.
    #[error("could not save the session: {0}")]
    Write(String),
    /// Reading failed for a reason other than an unknown record format.
    #[error("could not read the session store: {0}")]
    Read(String),
}

/// Storage for sessions. [`SessionStore::put`] and [`SessionStore::remove`] are durable
/// before they return `Ok`; [`SessionStore::save`] may make the write durable a moment
/// later, and an implementation that does so says how long that moment is.
///
/// A session is a *resume point*: what `/activation-check` offers to continue, and what
/// "Delete my saved answers" deletes. It is not what a click is judged by: a button
/// carries its conversation's answers (see `custom_id`), so a reply never needs the
/// store to have caught up with the step before it.
pub trait SessionStore: Send + Sync {
    /// The record for `key`, or `None` when there is none, it expired, or it was written
    /// in a format this build does not understand (logged by the implementation). A
    /// record given to [`SessionStore::save`] is read back at once, even before it is
    /// durable.
    fn get(&self, key: &SessionKey) -> Result<Option<SessionRecord>, StoreError>;

    /// Stores `record` under `key`, durably.
    fn put(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send;

    /// Stores `record` under `key` as the conversation's resume point. It may be made
    /// durable after this returns (within the implementation's stated delay), so that a
    /// reply need not wait for the disk; but while the store cannot write (its last
    /// write failed), it is written durably before this returns, so a failure reaches
    /// the user as "not saved" rather than being lost unseen. By default, [`put`].
    ///
    /// [`put`]: SessionStore::put
    fn save(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
    ) -> impl std::future::Future<Output = Result<(), StoreError>> + Send {
        self.put(key, record)
    }

    /// [`SessionStore::get`] for async callers: a store across the network answers here
    /// without holding a thread. By default, `get`.
    fn load(
        &self,
        key: &SessionKey,
    ) -> impl std::future::Future<Output = Result<Option<SessionRecord>, StoreError>> + Send {
        std::future::ready(self.get(key))
    }

    /// Stores `record` as the resume point unless the one stored is at `record.step` or
    /// later (and not expired): then it is left as it is and returned. This is what keeps
    /// a step from being taken twice when several processes share the store (two workers
    /// given the same click, or clicks on an older message): the store decides, in one
    /// conditional write. By default, [`save`] and `Saved`: a store one process owns,
    /// where the conversation's own memory orders the steps.
    ///
    /// [`save`]: SessionStore::save
    fn advance(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
    ) -> impl std::future::Future<Output = Result<Advanced, StoreError>> + Send {
        async move { self.save(key, record).await.map(|()| Advanced::Saved) }
    }

    /// "Delete my saved answers" at `step` (the step of the message it was clicked on):
    /// removes the record for `key`, durably; `true` if there was one. A store that
    /// several processes share also keeps a marker, without any answer, that the
    /// conversation was deleted, so that [`SessionStore::advance`] refuses a step from
    /// a button shown before ([`Advanced::Forgotten`]) whichever process is given it.
    /// By default, [`remove`]: a store one process owns, where the conversation's own
    /// memory refuses those buttons.
    ///
    /// [`remove`]: SessionStore::remove
    fn forget(
        &self,
        key: &SessionKey,
        step: u64,
    ) -> impl std::future::Future<Output = Result<bool, StoreError>> + Send {
        let _ = step;
        self.remove(key)
    }

    /// The step a deletion of the conversation at `key` took, while the marker
    /// [`SessionStore::forget`] keeps of it stands (a shared store; no later step was
    /// written since). For the clicks that write nothing, so that no
    /// [`SessionStore::advance`] would find the deletion. By default, `None`.
    fn forgotten_at(
        &self,
        key: &SessionKey,
    ) -> impl std::future::Future<Output = Result<Option<u64>, StoreError>> + Send {
        let _ = key;
        std::future::ready(Ok(None))
    }

    /// Removes the record for `key`; `true` if there was one.
    fn remove(
        &self,
        key: &SessionKey,
    ) -> impl std::future::Future<Output = Result<bool, StoreError>> + Send;
}

/// What [`SessionStore::advance`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Advanced {
    /// The record is the resume point now.
    Saved,
    /// A record at the same step or a later one was stored first; it stays, and this is it.
    Behind(SessionRecord),
    /// The user deleted their saved answers ([`SessionStore::forget`]) after the button
    /// this step comes from was shown: nothing was written. Deleting counts as a step of
    /// its own, `step`; a step after it (a new conversation, or Start over, at `step + 1`)
    /// is written.
    Forgotten { step: u64 },
}

/// A [`SessionStore`] in memory, for tests and for wrapping with faults.
#[derive(Debug, Default)]
pub struct MemoryStore {
    records: Mutex<BTreeMap<SessionKey, SessionRecord>>,
}

impl MemoryStore {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn len(&self) -> usize {
        self.records.lock().unwrap_or_else(|e| e.into_inner()).len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SessionStore for MemoryStore {
    fn get(&self, key: &SessionKey) -> Result<Option<SessionRecord>, StoreError> {
        let records = self.records.lock().unwrap_or_else(|e| e.into_inner());
        Ok(records
            .get(key)
            .filter(|r| r.format == SESSION_FORMAT)
            .cloned())
    }

    async fn put(&self, key: &SessionKey, record: &SessionRecord) -> Result<(), StoreError> {
        self.records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(key.clone(), record.clone());
        Ok(())
    }

    async fn remove(&self, key: &SessionKey) -> Result<bool, StoreError> {
        Ok(self
            .records
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key)
            .is_some())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        for key in [
            SessionKey::new(Scope::Guild(81384788765712384), "80351110224678912"),
            SessionKey::new(Scope::Dm, "80351110224678912"),
            SessionKey::new(Scope::Terminal, "alice"),
        ] {
            assert_eq!(SessionKey::decode(&key.encode()), Some(key.clone()));
        }
        assert_eq!(SessionKey::decode("g/notanumber/1"), None);
        assert_eq!(SessionKey::decode("dm/"), None);
        assert_eq!(SessionKey::decode("x/1"), None);
    }
}
