//! [`JsonTree`]: typed values stored as JSON in a sled tree of their own, for data other
//! than sessions (the registry of posted cards, the health probe).

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::Serialize;

use super::durability::Shared;
use super::{read_error, write_error};
use crate::session::StoreError;

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
        super::debug_some(f, "JsonTree", &[("name", &self.name)])
    }
}

impl<T: Serialize + DeserializeOwned> JsonTree<T> {
    /// The tree `tree` (already opened) of the store behind `shared`, called `name` in
    /// error messages.
    pub(super) fn new(shared: Arc<Shared>, tree: String, name: &str) -> Self {
        JsonTree {
            shared,
            tree,
            name: name.to_owned(),
            _values: PhantomData,
        }
    }

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

#[cfg(test)]
mod tests {
    use serde::Serialize;

    use super::super::testing::*;
    use super::super::{SledStore, StoreOptions, RECORDS_TREE};
    use crate::clock::unix_now;
    use crate::session::{Scope, SessionKey, SessionStore, StoreError};

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
                .put(&SessionKey::new(Scope::Dm, "1"), &record(unix_now()))
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
}
