//! Where one kind of record beside the sessions is kept, whichever store the bot runs on.

use std::sync::Arc;

use super::postgres::PgStore;
use super::JsonTree;

/// The name of the tree (sled) the posted cards are kept in, and of their lines in an export.
pub const CARDS_TREE: &str = "posted_cards";

/// Posted cards or usage figures: a JSON tree in the sled store, or a table in the
/// PostgreSQL database every worker shares, where each change is one statement or one
/// transaction.
#[derive(Debug, Clone)]
pub enum Records<T> {
    Sled(JsonTree<T>),
    Postgres(Arc<PgStore>),
}
