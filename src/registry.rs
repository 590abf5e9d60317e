//! The registry of answer cards the bot has posted publicly.
//!
//! Moderators pin posted cards instead of retyping answers, and the rules change over
//! time; so the bot remembers every card it posted (where, which verdict, under which
//! rules version, when) and who pinned it. From this it can refuse to pin anything that
//! is not its own card, and list the pinned cards made under an older rules version so
//! moderators can refresh them. Stored in the same data directory as sessions.

use serde::{Deserialize, Serialize};

use crate::session::StoreError;
use crate::store::{JsonTree, SledStore};

/// A pin of a posted card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pin {
    /// The moderator who pinned it.
    pub by: u64,
    /// Unix seconds.
    pub at: i64,
}

/// One posted card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PostedCard {
    pub guild_id: Option<u64>,
    pub channel_id: u64,
    pub message_id: u64,
    pub outcome: String,
    pub verdict: String,
    pub locale: String,
    pub rules_version: String,
    /// Unix seconds: when the card's answer was reached.
    pub generated_at: i64,
    /// Unix seconds: when it was posted.
    pub posted_at: i64,
    pub pin: Option<Pin>,
}

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

/// Posted cards by message id.
#[derive(Debug, Clone)]
pub struct Registry {
    cards: JsonTree<PostedCard>,
}

impl Registry {
    pub fn open(store: &SledStore) -> Result<Self, StoreError> {
        Ok(Self {
            cards: store.open_tree_json("posted_cards")?,
        })
    }

    pub async fn record(&self, card: &PostedCard) -> Result<(), StoreError> {
        self.cards.insert(&card.message_id.to_string(), card).await
    }

    pub fn get(&self, message_id: u64) -> Result<Option<PostedCard>, StoreError> {
        self.cards.get(&message_id.to_string())
    }

    /// Records that `by` pinned the card; returns the updated entry, or `None` if the
    /// message is not a posted card.
    pub async fn mark_pinned(
        &self,
        message_id: u64,
        by: u64,
        at: i64,
    ) -> Result<Option<PostedCard>, StoreError> {
        let Some(mut card) = self.get(message_id)? else {
            return Ok(None);
        };
        card.pin = Some(Pin { by, at });
        self.record(&card).await?;
        Ok(Some(card))
    }

    /// Every posted card, in message id order.
    pub fn all(&self) -> Result<Vec<PostedCard>, StoreError> {
        self.cards.iter().map(|e| e.map(|(_, c)| c)).collect()
    }

    /// Pinned cards in `guild` made under a rules version other than `current`.
    pub fn outdated_pins(
        &self,
        guild_id: Option<u64>,
        current: &str,
    ) -> Result<Vec<PostedCard>, StoreError> {
        Ok(self
            .all()?
            .into_iter()
            .filter(|c| c.guild_id == guild_id && c.pin.is_some() && c.rules_version != current)
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::StoreOptions;

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
            pin: pinned.then_some(Pin { by: 5, at: 12 }),
        }
    }

    #[tokio::test]
    async fn lists_only_outdated_pins_and_survives_reopen() {
        let dir = tempfile::tempdir().unwrap();
        {
            let store = SledStore::open(dir.path(), StoreOptions::default()).unwrap();
            let reg = Registry::open(&store).unwrap();
            reg.record(&card(100, "old", true)).await.unwrap();
            reg.record(&card(101, "new", true)).await.unwrap();
            reg.record(&card(102, "old", false)).await.unwrap();
            reg.record(&card(103, "new", false)).await.unwrap();
            let pinned = reg.mark_pinned(103, 9, 99).await.unwrap().unwrap();
            assert_eq!(pinned.pin, Some(Pin { by: 9, at: 99 }));
            assert_eq!(reg.mark_pinned(999, 9, 99).await.unwrap(), None);
        }
        let store = SledStore::reopen_for_test(dir.path(), StoreOptions::default);
        let reg = Registry::open(&store).unwrap();
        let outdated: Vec<u64> = reg
            .outdated_pins(Some(1), "new")
            .unwrap()
            .iter()
            .map(|c| c.message_id)
            .collect();
        assert_eq!(outdated, vec![100]);
        assert!(reg.outdated_pins(Some(7), "new").unwrap().is_empty());
        assert_eq!(
            reg.get(100).unwrap().unwrap().link(),
            "https://discord.com/channels/1/2/100"
        );
    }
}
