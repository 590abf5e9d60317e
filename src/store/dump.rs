//! The whole store read at one moment, and written back record by record: what
//! `activation-check data export` and `data import` (in `crate::data`) are built on.
//!
//! Why it looks the way it does:
//!
//! * **One moment for the sessions.** [`SledStore::snapshot`] holds the turn that every
//!   write of a session record takes (the writer's groups, `put`, `remove`), copies the
//!   sessions saved and not yet written, and reads the records tree; a record saved
//!   later is in the next export, never half in this one. Saving (the click path) only
//!   queues in memory and never waits for this; the writer waits for the read (0.1 s for
//!   10,000 sessions in a debug build, tests/data.rs) and writes its next group after it.
//! * **Every other tree, whatever it holds.** Posted cards, usage figures, and any tree a
//!   later build adds are exported as their raw key and value bytes, each tree by its
//!   sled name, so an export never silently leaves out data this build does not know.
//!   Each entry is written whole by sled; entries of a tree written during the read are
//!   in or out, never torn.
//! * **The index is rebuilt, not copied.** [`SledStore::restore_session`] writes a
//!   record as any write does, with its expiry-index entry.
//! * **Nothing durable until the end.** An import writes every record and then
//!   [`SledStore::flush`]es once: 10,000 sessions in one flush instead of 10,000.

use std::collections::HashMap;

use super::{
    read_error, record_bytes, write_error, SledStore, INDEX_TREE, JSON_TREE_PREFIX, RECORDS_TREE,
};
use crate::session::{SessionKey, SessionRecord, StoreError, SESSION_FORMAT};

/// sled's own default tree: this store never writes it.
const DEFAULT_TREE: &[u8] = b"__sled__default";

/// Everything in the store, read at one moment (see the module documentation).
#[derive(Debug, Default)]
pub struct Snapshot {
    /// Every session record this build can read, expired ones included, in key order.
    pub sessions: Vec<(SessionKey, SessionRecord)>,
    /// Session records left out: in a format this build does not read, or damaged.
    pub unreadable: usize,
    /// Every other tree with its entries, in name and key order.
    pub trees: Vec<TreeDump>,
}

/// One tree: its sled name and its raw entries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TreeDump {
    pub name: String,
    pub entries: Vec<(Vec<u8>, Vec<u8>)>,
}

impl SledStore {
    /// The sled name of the tree [`SledStore::open_tree_json`] opens as `name`.
    pub fn json_tree_name(name: &str) -> String {
        format!("{JSON_TREE_PREFIX}{name}")
    }

    /// Reads the whole store at one moment, leaving out the trees named in `leave_out`
    /// (sled names, for example a scratch tree of the health probe).
    pub fn snapshot(&self, leave_out: &[String]) -> Result<Snapshot, StoreError> {
        let _turn = self.shared.apply_turn();
        let queued: HashMap<String, Vec<u8>> = self
            .shared
            .queue()
            .by_key
            .iter()
            .map(|(k, p)| (k.clone(), p.value.clone()))
            .collect();
        let mut out = Snapshot::default();
        let decode = |key: &str, bytes: &[u8], out: &mut Snapshot| match (
            SessionKey::decode(key),
            record_bytes::decode(bytes, SESSION_FORMAT),
        ) {
            (Some(k), Ok(r)) => out.sessions.push((k, r)),
            _ => out.unreadable += 1,
        };
        let mut trees = Vec::new();
        let mut in_tree = std::collections::HashSet::new();
        self.shared.with(read_error, |h| {
            for entry in h.records.iter() {
                let (key, bytes) = entry?;
                let Ok(key) = std::str::from_utf8(&key) else {
                    out.unreadable += 1;
                    continue;
                };
                match queued.get(key) {
                    Some(newer) => {
                        in_tree.insert(key.to_owned());
                        decode(key, newer, &mut out)
                    }
                    None => decode(key, &bytes, &mut out),
                }
            }
            for name in h.db.tree_names() {
                let Ok(text) = std::str::from_utf8(&name) else {
                    continue;
                };
                if &*name == DEFAULT_TREE
                    || text == RECORDS_TREE
                    || text == INDEX_TREE
                    || leave_out.iter().any(|l| l == text)
                {
                    continue;
                }
                let tree = h.db.open_tree(&name)?;
                let entries = tree
                    .iter()
                    .map(|e| e.map(|(k, v)| (k.to_vec(), v.to_vec())))
                    .collect::<Result<Vec<_>, _>>()?;
                trees.push(TreeDump {
                    name: text.to_owned(),
                    entries,
                });
            }
            Ok(())
        })?;
        // Saved and never written yet: not in the records tree at all.
        let mut added = false;
        for (key, bytes) in &queued {
            if !in_tree.contains(key.as_str()) {
                decode(key, bytes, &mut out);
                added = true;
            }
        }
        if added {
            out.sessions.sort_by_key(|(k, _)| k.encode());
        }
        trees.sort_by(|a, b| a.name.cmp(&b.name));
        out.trees = trees;
        Ok(out)
    }

    /// How many session records, and how many entries in other trees (but those named in
    /// `leave_out`), the store holds; `(0, 0)` for an empty store.
    pub fn contents(&self, leave_out: &[String]) -> Result<(usize, usize), StoreError> {
        let queued = self.shared.queue().by_key.len();
        self.shared.with(read_error, |h| {
            let sessions = h.records.len() + queued;
            let mut entries = 0;
            for name in h.db.tree_names() {
                let text = String::from_utf8_lossy(&name);
                if &*name == DEFAULT_TREE
                    || text == RECORDS_TREE
                    || text == INDEX_TREE
                    || leave_out.iter().any(|l| *l == text)
                {
                    continue;
                }
                entries += h.db.open_tree(&name)?.len();
            }
            Ok((sessions, entries))
        })
    }

    /// Writes one session record as it is (with its expiry-index entry). Not flushed:
    /// [`SledStore::flush`] once the last record is written.
    pub fn restore_session(
        &self,
        key: &SessionKey,
        record: &SessionRecord,
    ) -> Result<(), StoreError> {
        let key = key.encode();
        let value = record_bytes::encode(record);
        let _turn = self.shared.apply_turn();
        self.shared.with(write_error, |h| {
            h.write_record(&key, &value, record.updated_at)
        })
    }

    /// Writes one entry of the tree `tree` (a sled name from a [`Snapshot`]) as it is.
    /// The session trees are refused: sessions go through [`SledStore::restore_session`].
    /// Not flushed.
    pub fn restore_entry(&self, tree: &str, key: &[u8], value: &[u8]) -> Result<(), StoreError> {
        if tree == RECORDS_TREE || tree == INDEX_TREE || tree.as_bytes() == DEFAULT_TREE {
            return Err(StoreError::Write(format!(
                "the tree {tree:?} holds sessions; they are restored as sessions"
            )));
        }
        self.shared.with(write_error, |h| {
            h.db.open_tree(tree)?.insert(key, value).map(drop)
        })
    }
}
