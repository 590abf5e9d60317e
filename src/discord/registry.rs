//! The registry of answer cards the bot has posted publicly.
//!
//! Moderators pin posted cards instead of retyping answers, and the rules change over
//! time; so the bot remembers every card it posted (where, which verdict, under which
//! rules version, when) and who pinned it. From this it can refuse to pin anything that
//! is not its own card, and list the pinned cards made under an older rules version so
//! moderators can refresh them. Stored in the same data directory as sessions.

use std::sync::Arc;

pub use crate::domain::posted::{Pin, PostedCard};
use crate::session::StoreError;
use crate::store::backend::Backend;
use crate::store::postgres::PgStore;
use crate::store::records::Records;
use crate::store::JsonTree;

impl PostedCard {
    /// The message's address in Discord's clients.
    pub fn link(&self) -> String {
        let guild = self
            .guild_id
            .map_or_else(|| "@me".to_owned(), |g| g.to_string());
        format!(
            "https://discord.com/channels/{guild}/{}/{}",
            self.channel_id, self.message_id
        )
    }
}

/// One channel's pins as Discord listed them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChannelPins {
    pub channel_id: u64,
    /// Message ids.
    pub pinned: Vec<u64>,
    /// Whether the list holds every pin of the channel (it may be cut off otherwise).
    pub complete: bool,
}

/// Where the posted cards are kept.
type Cards = Records<PostedCard>;

/// Posted cards by message id.
#[derive(Debug, Clone)]
pub struct Registry {
    cards: Cards,
    /// Updates read an entry and write it back (a post again, a pin); one at a time, so
    /// neither undoes the other. (In PostgreSQL the database orders them.)
    updating: Arc<tokio::sync::Mutex<()>>,
}

/// A card brought in line with its channel's pins as listed at `asked_at` (see
/// [`Registry::sync_pins`]); `None` when it does not change.
fn resynced(mut card: PostedCard, channels: &[ChannelPins], asked_at: i64) -> Option<PostedCard> {
    let list = channels.iter().find(|c| c.channel_id == card.channel_id)?;
    let listed = list.pinned.contains(&card.message_id);
    card.pin = match (card.pin.take(), listed) {
        (None, true) => Some(Pin {
            by: None,
            at: asked_at,
        }),
        (Some(pin), false) if list.complete && pin.at < asked_at => None,
        _ => return None,
    };
    Some(card)
}

impl Registry {
    /// The name of the tree the registry keeps its cards in.
    pub const TREE: &'static str = crate::store::records::CARDS_TREE;

    /// The posted cards kept beside the sessions of `store`.
    pub fn of(store: &Backend) -> Result<Registry, StoreError> {
        match store {
            Backend::Sled(s) => Ok(Registry::open(s.open_tree_json(Self::TREE)?)),
            Backend::Postgres(p) => Ok(Registry::postgres(p.clone())),
        }
    }

    /// The registry over its tree (opened by the caller, normally
    /// `store.open_tree_json(Registry::TREE)`): it needs typed values under keys, not
    /// the session store.
    pub fn open(cards: JsonTree<PostedCard>) -> Self {
        Self {
            cards: Cards::Sled(cards),
            updating: Arc::default(),
        }
    }

    /// The registry in PostgreSQL.
    pub fn postgres(store: Arc<PgStore>) -> Self {
        Self {
            cards: Cards::Postgres(store),
            updating: Arc::default(),
        }
    }

    /// Records a card as posted. Posting the same card again gives back the message
    /// Discord already made (see the post's nonce), so an entry for that message may
    /// exist: its first post time and its pin are kept.
    pub async fn record_post(&self, card: &PostedCard) -> Result<PostedCard, StoreError> {
        if let Cards::Postgres(pg) = &self.cards {
            return pg.record_post(card).await;
        }
        let _one_at_a_time = self.updating.lock().await;
        let mut entry = card.clone();
        if let Some(known) = self.get(card.message_id).await? {
            entry.posted_at = known.posted_at;
            entry.pin = known.pin;
        }
        self.record(&entry).await?;
        Ok(entry)
    }

    /// Writes an entry as it is.
    async fn record(&self, card: &PostedCard) -> Result<(), StoreError> {
        match &self.cards {
            Cards::Sled(tree) => tree.insert(&card.message_id.to_string(), card).await,
            Cards::Postgres(pg) => pg.put_card(card).await,
        }
    }

    pub async fn get(&self, message_id: u64) -> Result<Option<PostedCard>, StoreError> {
        match &self.cards {
            Cards::Sled(tree) => tree.get(&message_id.to_string()),
            Cards::Postgres(pg) => pg.card(message_id).await,
        }
    }

    /// Records that `by` pinned the card; returns the updated entry, or `None` if the
    /// message is not a posted card.
    pub async fn mark_pinned(
        &self,
        message_id: u64,
        by: u64,
        at: i64,
    ) -> Result<Option<PostedCard>, StoreError> {
        let pin = Pin { by: Some(by), at };
        if let Cards::Postgres(pg) = &self.cards {
            return pg.mark_pinned(message_id, &pin).await;
        }
        let _one_at_a_time = self.updating.lock().await;
        let Some(mut card) = self.get(message_id).await? else {
            return Ok(None);
        };
        card.pin = Some(pin);
        self.record(&card).await?;
        Ok(Some(card))
    }

    /// Brings the registry in line with channels' pins as Discord listed them, asked
    /// at `asked_at`. For each listed channel: a card in its list but not known as
    /// pinned was pinned in Discord's own menu and is recorded so, at `asked_at`; when
    /// the list is complete (it holds every pin of the channel), a card known as pinned
    /// but not listed was unpinned or deleted and its pin is forgotten, unless it was
    /// pinned through the bot after the list was asked for. Returns how many entries
    /// changed.
    pub async fn sync_pins(
        &self,
        channels: &[ChannelPins],
        asked_at: i64,
    ) -> Result<usize, StoreError> {
        if let Cards::Postgres(pg) = &self.cards {
            return pg
                .update_cards(|card| resynced(card, channels, asked_at))
                .await;
        }
        let _one_at_a_time = self.updating.lock().await;
        let mut changed = 0;
        for card in self.all().await? {
            if let Some(card) = resynced(card, channels, asked_at) {
                self.record(&card).await?;
                changed += 1;
            }
        }
        Ok(changed)
    }

    /// Every posted card, in message id order.
    pub async fn all(&self) -> Result<Vec<PostedCard>, StoreError> {
        match &self.cards {
            Cards::Sled(tree) => tree.iter().map(|e| e.map(|(_, c)| c)).collect(),
            Cards::Postgres(pg) => pg.cards().await,
        }
    }

    /// Pinned cards in `guild` made under a rules version other than `current`.
    pub async fn outdated_pins(
        &self,
        guild_id: Option<u64>,
        current: &str,
    ) -> Result<Vec<PostedCard>, StoreError> {
        Ok(self
            .all()
            .await?
            .into_iter()
            .filter(|c| c.guild_id == guild_id && c.pin.is_some() && c.rules_version != current)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{SledStore, StoreOptions};

    fn card(message_id: u64, version: &str, pinned: bool) -> PostedCard {
        PostedCard {
            guild_id: Some(1),
            channel_id: 2,
            message_id,
            outcome: "win10-phone".into(),
            verdict: "phone-reactivation".into(),
            locale: "ja".into(),
            rules_version: version.into(),
            generated_at: 10,
            posted_at: 11,
            pin: pinned.then_some(Pin {
                by: Some(5),
                at: 12,
            }),
        }
    }

    /// A new store in a new directory, and the registry in it.
    fn fresh() -> (tempfile::TempDir, SledStore, Registry) {
        let dir = tempfile::tempdir().unwrap();
        let (store, reg) = open(SledStore::open(dir.path(), StoreOptions::default()).unwrap());
        (dir, store, reg)
    }

    /// The registry in an opened store (kept alive beside it).
    fn open(store: SledStore) -> (SledStore, Registry) {
        let reg = Registry::open(store.open_tree_json(Registry::TREE).unwrap());
        (store, reg)
    }

    /// Records a [`card`] for each `(message_id, rules version, pinned)`.
    async fn record(reg: &Registry, cards: &[(u64, &str, bool)]) {
        for &(id, version, pinned) in cards {
            reg.record(&card(id, version, pinned)).await.unwrap();
        }
    }

    /// The message ids of guild 1's pinned cards made under rules older than "new".
    async fn outdated(reg: &Registry) -> Vec<u64> {
        reg.outdated_pins(Some(1), "new")
            .await
            .unwrap()
            .iter()
            .map(|c| c.message_id)
            .collect()
    }

    #[tokio::test]
    async fn lists_only_outdated_pins_and_survives_reopen() {
        let (dir, store, reg) = fresh();
        record(
            &reg,
            &[
                (100, "old", true),
                (101, "new", true),
                (102, "old", false),
                (103, "new", false),
            ],
        )
        .await;
        let pinned = reg.mark_pinned(103, 9, 99).await.unwrap().unwrap();
        assert_eq!(
            pinned.pin,
            Some(Pin {
                by: Some(9),
                at: 99
            })
        );
        assert_eq!(reg.mark_pinned(999, 9, 99).await.unwrap(), None);
        // Closed before it is opened again (sled locks its directory).
        drop(reg);
        drop(store);
        let (_store, reg) = open(SledStore::reopen_for_test(
            dir.path(),
            StoreOptions::default,
        ));
        assert_eq!(outdated(&reg).await, vec![100]);
        assert!(reg.outdated_pins(Some(7), "new").await.unwrap().is_empty());
        assert_eq!(
            reg.get(100).await.unwrap().unwrap().link(),
            "https://discord.com/channels/1/2/100"
        );
    }

    #[tokio::test]
    async fn posting_a_pinned_card_again_keeps_its_pin_and_first_post_time() {
        let (_dir, _store, reg) = fresh();
        reg.record_post(&card(100, "old", false)).await.unwrap();
        reg.mark_pinned(100, 9, 99).await.unwrap().unwrap();
        // The same message comes back from a second post, later.
        let mut again = card(100, "old", false);
        again.posted_at = 500;
        let kept = reg.record_post(&again).await.unwrap();
        assert_eq!(
            kept.pin,
            Some(Pin {
                by: Some(9),
                at: 99
            })
        );
        assert_eq!(kept.posted_at, 11);
        assert_eq!(reg.get(100).await.unwrap(), Some(kept));
        assert_eq!(outdated(&reg).await, vec![100]);
        // A message seen for the first time is recorded as given.
        let fresh = reg.record_post(&card(101, "old", false)).await.unwrap();
        assert_eq!(fresh, card(101, "old", false));
    }

    #[tokio::test]
    async fn pins_follow_the_channel_as_discord_lists_them() {
        let (_dir, _store, reg) = fresh();
        record(
            &reg,
            &[(100, "old", true), (101, "old", false), (102, "old", true)],
        )
        .await;
        let mut elsewhere = card(103, "old", true);
        elsewhere.channel_id = 3;
        reg.record(&elsewhere).await.unwrap();
        let pins = |id: u64| {
            let reg = &reg;
            async move { reg.get(id).await.unwrap().unwrap().pin }
        };
        let list = |ids: &[u64], complete: bool| {
            vec![ChannelPins {
                channel_id: 2,
                pinned: ids.to_vec(),
                complete,
            }]
        };

        // 101 was pinned in Discord's menu, 102 unpinned; the list may be cut off, so
        // only what it shows is learned.
        assert_eq!(
            reg.sync_pins(&list(&[100, 101], false), 70).await.unwrap(),
            1
        );
        assert_eq!(pins(101).await, Some(Pin { by: None, at: 70 }));
        assert!(pins(102).await.is_some());
        // A complete list also tells what is no longer pinned.
        assert_eq!(
            reg.sync_pins(&list(&[100, 101], true), 80).await.unwrap(),
            1
        );
        assert_eq!(
            pins(100).await,
            Some(Pin {
                by: Some(5),
                at: 12
            })
        );
        assert_eq!(pins(101).await, Some(Pin { by: None, at: 70 }));
        assert_eq!(pins(102).await, None);
        // Channels without a list are left alone; nothing changes twice.
        assert!(pins(103).await.is_some());
        assert_eq!(
            reg.sync_pins(&list(&[100, 101], true), 90).await.unwrap(),
            0
        );
        // A pin made through the bot after the list was asked for is kept.
        reg.mark_pinned(102, 9, 95).await.unwrap();
        assert_eq!(
            reg.sync_pins(&list(&[100, 101], true), 94).await.unwrap(),
            0
        );
        assert_eq!(
            pins(102).await,
            Some(Pin {
                by: Some(9),
                at: 95
            })
        );
    }

    #[test]
    fn pins_recorded_by_earlier_builds_still_read() {
        let old = r#"{"by":5,"at":12}"#;
        let pin: Pin = serde_json::from_str(old).unwrap();
        assert_eq!(
            pin,
            Pin {
                by: Some(5),
                at: 12
            }
        );
    }
}
