//! What outlives a reload of the rules and texts ([`Kept`]), and how a handler asks for
//! one ([`Request`], answered with an [`Outcome`]). Its own file so that the handler
//! (which holds a `Kept`) and the reload (which swaps handlers) need not import each
//! other.

use std::sync::{Arc, RwLock};

use tokio::sync::{mpsc, oneshot};

use super::gate::{Gates, Seen};
use super::registry::Registry;
use crate::rules::Rules;
use crate::session::SessionKey;
use crate::store::backend::Backend;
use crate::store::figures::Tally;

/// What outlives a version of the rules and texts.
pub struct Kept {
    pub store: Arc<Backend>,
    pub registry: Registry,
    /// The usage figures (shared by every worker on PostgreSQL).
    pub tally: Tally,
    pub bot_user: u64,
    /// The application's owner (and its team's owner): who may reload from Discord.
    pub owners: Vec<u64>,
    /// The servers /activation-reload is registered and accepted in.
    pub admin_guilds: Vec<u64>,
    pub gates: Arc<Gates<SessionKey>>,
    pub seen: Arc<Seen>,
    /// Asks the reload task for a reload; `None` when the bot cannot reload (it was not
    /// told where its rules are).
    pub reloads: Option<mpsc::UnboundedSender<Request>>,
    /// The rules in force, for what runs beside the handler (pruning, the review-by
    /// warning).
    pub rules: Arc<RwLock<Arc<Rules>>>,
}

impl Kept {
    pub fn rules(&self) -> Arc<Rules> {
        self.rules.read().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

/// What a reload did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The new version is in force.
    Done { version: String, previous: String },
    /// Nothing changed: these problems, with the version still in force.
    Refused {
        problems: Vec<String>,
        version: String,
    },
    /// The bot does not know where its rules are.
    Unavailable,
}

/// A request for a reload, answered when it is done.
pub type Request = oneshot::Sender<Outcome>;
