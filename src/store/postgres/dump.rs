//! The whole PostgreSQL store read at one moment, and written back: `data export` and
//! `data import` with `--store postgres://...`.
//!
//! The export format is sled's (see `crate::data` and [`crate::store::Snapshot`]): the
//! sessions, then the posted cards and the usage figures as the entries of the sled trees
//! that hold them, under the same names, keys and JSON values. So an export of a sled
//! data directory imports into PostgreSQL and back (the way from one machine to many
//! workers, and back), and the two exports of the same data are the same lines.
//!
//! One moment: the snapshot reads in one `REPEATABLE READ` transaction, so workers
//! answering meanwhile change what the next export holds, never half of this one. An
//! import writes in one transaction into an empty database: all of it, or nothing.

use tokio_postgres::types::Json;

use super::figures::{add_figure_rows_with, figure_from_export, figures_with};
use super::{card_of, decode, describe, pool_read, pool_write, read, write, PgStore, SessionRow};
use crate::domain::posted::PostedCard;
use crate::session::{SessionKey, SessionRecord, StoreError};
use crate::store::records::CARDS_TREE;
use crate::store::{figures, SledStore, Snapshot, TreeDump};

/// One thing an import writes: a session, or an entry of one of sled's trees.
#[derive(Debug)]
pub enum Restore {
    Session(SessionKey, SessionRecord),
    Entry {
        tree: String,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    /// The end of the export: only then is the import committed.
    End,
}

impl PgStore {
    /// Everything in the store at one moment, as sled's [`Snapshot`] (see the module
    /// documentation). Expired sessions not pruned yet are in it, as in sled's.
    pub async fn snapshot(&self) -> Result<Snapshot, StoreError> {
        let mut client = self.pool.get().await.map_err(pool_read)?;
        let tx = client
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await
            .map_err(|e| read(describe(&e)))?;
        let mut out = Snapshot::default();
        for row in tx
            // A marker of a deleted conversation is no session, and is not exported.
            .query("SELECT key, record FROM sessions WHERE NOT forgotten", &[])
            .await
            .map_err(|e| read(describe(&e)))?
        {
            match (
                SessionKey::decode(row.get::<_, &str>(0)),
                decode(row.get(1)),
            ) {
                (Some(k), Some(r)) => out.sessions.push((k, r)),
                _ => out.unreadable += 1,
            }
        }
        // sled's order: by the key's bytes.
        out.sessions.sort_by_key(|(k, _)| k.encode());

        let mut cards = Vec::new();
        for row in tx
            .query("SELECT card FROM posted_cards", &[])
            .await
            .map_err(|e| read(describe(&e)))?
        {
            let card = card_of(row.get(0))?;
            let value = serde_json::to_vec(&card).map_err(read)?;
            cards.push((card.message_id.to_string().into_bytes(), value));
        }
        let mut figures = Vec::new();
        for (key, counts) in figures_with(&tx).await? {
            let value = serde_json::to_vec(&counts).map_err(read)?;
            figures.push((key.into_bytes(), value));
        }
        tx.commit().await.map_err(|e| read(describe(&e)))?;
        for (name, mut entries) in [
            (SledStore::json_tree_name(figures::TREE), figures),
            (SledStore::json_tree_name(CARDS_TREE), cards),
        ] {
            if !entries.is_empty() {
                entries.sort();
                out.trees.push(TreeDump { name, entries });
            }
        }
        out.trees.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(out)
    }

    /// Writes what `items` brings in one transaction, committed at [`Restore::End`], into
    /// a store holding no session, posted card or figure (else nothing is written). An entry of a tree this store does
    /// not keep is refused, and nothing is written.
    pub async fn restore(
        &self,
        mut items: tokio::sync::mpsc::Receiver<Restore>,
    ) -> Result<(), StoreError> {
        let mut client = self.pool.get().await.map_err(pool_write)?;
        let tx = client
            .transaction()
            .await
            .map_err(|e| write(describe(&e)))?;
        let (sessions, cards, figure_rows) = {
            let row = tx
                .query_one(
                    "SELECT (SELECT COUNT(*) FROM sessions WHERE NOT forgotten), \
                     (SELECT COUNT(*) FROM posted_cards), (SELECT COUNT(*) FROM figures)",
                    &[],
                )
                .await
                .map_err(|e| read(describe(&e)))?;
            (
                row.get::<_, i64>(0),
                row.get::<_, i64>(1),
                row.get::<_, i64>(2),
            )
        };
        if sessions + cards + figure_rows > 0 {
            return Err(write(format!(
                "the database at {} is not empty (it holds {sessions} session(s), {cards} \
                 posted card(s) and {figure_rows} usage figure(s)); import only into an empty \
                 one",
                self.target
            )));
        }
        let upsert = tx
            .prepare(super::UPSERT_SESSION)
            .await
            .map_err(|e| write(describe(&e)))?;
        let (figures_tree, cards_tree) = (
            SledStore::json_tree_name(figures::TREE),
            SledStore::json_tree_name(CARDS_TREE),
        );
        loop {
            let Some(item) = items.recv().await else {
                return Err(write(
                    "the export ended before its closing line; nothing was written",
                ));
            };
            match item {
                Restore::End => break,
                Restore::Session(key, record) => {
                    let row = SessionRow::of(&key, &record, self.expires_at(record.updated_at));
                    tx.execute(&upsert, &row.params())
                        .await
                        .map_err(|e| write(describe(&e)))?;
                }
                Restore::Entry { tree, value, .. } if tree == cards_tree => {
                    let card: PostedCard = serde_json::from_slice(&value)
                        .map_err(|e| write(format!("a posted card cannot be read: {e}")))?;
                    tx.execute(
                        "INSERT INTO posted_cards (message_id, card) VALUES ($1, $2)",
                        &[&(card.message_id as i64), &Json(&card)],
                    )
                    .await
                    .map_err(|e| write(describe(&e)))?;
                }
                Restore::Entry { tree, key, value } if tree == figures_tree => {
                    let key = String::from_utf8(key)
                        .map_err(|_| write("a usage figure under a key that is not text"))?;
                    let counts = figure_from_export(&value).map_err(|e| {
                        write(format!(
                            "the usage figure {key:?} cannot be kept: {e}; nothing was written"
                        ))
                    })?;
                    add_figure_rows_with(&tx, &[(key, &counts)]).await?;
                }
                Restore::Entry { tree, .. } => {
                    return Err(write(format!(
                        "the export holds entries of the tree {tree:?}, which the PostgreSQL \
                         store does not keep (an export of a newer build?); nothing was written"
                    )));
                }
            }
        }
        tx.commit().await.map_err(|e| write(describe(&e)))
    }
}
