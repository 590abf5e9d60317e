//! The conversation: one call per user action, one [`Step`] back.
//!
//! Every front end (Discord, the terminal) goes through [`Conversation`], so they share
//! one behaviour. Opening (`/activation-check`, `ask`) is [`Conversation::open`]: it
//! offers to resume an unfinished conversation, else starts one. Every click after that
//! is [`Conversation::click`], which judges it and says what happened as one [`Step`]:
//!
//! - **The button decides.** A button carries its conversation's owner, place, rules tag,
//!   step and answers (`custom_id`). The answers are replayed through the rules and the
//!   action applied to them: a click is correct without reading the store, after a
//!   restart as before it, and a double click computes the same reply.
//! - **What was shown last, remembered.** The conversation keeps, in memory, the last step
//!   it showed each user recently ([`Recent`]). A click on a message the conversation
//!   has moved on from since (an older message, or a second device clicking the same
//!   step) is answered with where it stands now, so a conversation moves once per step;
//!   the same click again gets the same reply ([`Step::Repeated`]). Without that memory
//!   (after a restart, or for a user not seen for a while) the button alone decides:
//!   every message a user sees keeps working.
//! - **Buttons from older rules** carry their answers, as fact values of the fixed
//!   contract, into the running rules: the user continues at the first question those
//!   answers do not settle ([`Step::Updated`]); only answers the running rules no longer
//!   have are dropped, and named.
//! - **The store holds resume points.** Each step is saved with
//!   [`SessionStore::save`] (the bot's store writes it behind the reply, in groups): it
//!   is what `open` offers to continue and what "Delete my saved answers" deletes. A
//!   click never reads it.
//! - **A shared store keeps deletions.** Where several processes share the store
//!   ([`Conversation::shared`]), "Delete my saved answers" leaves a marker there instead
//!   of this process's memory alone: a step from a button shown before is refused by the
//!   store's conditional write ([`Advanced::Forgotten`]), and the clicks that write
//!   nothing (Continue, Post, "Did this help?") ask it ([`SessionStore::forgotten_at`]).
//!
//! Replies are data ([`Reply`]); front ends lay them out.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use crate::domain::card::{Card, TimeStyle};
use crate::domain::clock::Clock;
use crate::domain::custom_id::{rules_tag, Action, Answers, CustomId, Place, Symbol};
use crate::domain::engine::{Position, Progress, Walk};
use crate::domain::i18n::{LocaleId, Localizer};
use crate::domain::rules::{NodeIdx, Question, Rules};
use crate::domain::session::{
    Advanced, Scope, SessionKey, SessionRecord, SessionStore, StoreError,
};

/// What the user did, in the rules' own terms: the model the tests use, and what a
/// saved session records as its last input ([`Input::key`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Input {
    /// Answer question `node` with the choice at position `choice`.
    Answer { node: String, choice: usize },
    /// One question back.
    Back,
    /// Back to the first question.
    Restart,
}

impl Input {
    /// A compact, stable description, stored with the step it produced.
    pub fn key(&self) -> String {
        match self {
            Input::Answer { node, choice } => format!("a:{node}:{choice}"),
            Input::Back => "b".to_owned(),
            Input::Restart => "r".to_owned(),
        }
    }
}

/// A question as shown: every text localized.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QuestionView {
    pub node: String,
    pub fact: String,
    pub text: String,
    pub help: Option<String>,
    /// Choice labels, in order; a choice is answered by its position.
    pub choices: Vec<String>,
    /// The symbol of each choice's value, in the same order (what its button carries).
    pub symbols: Vec<Symbol>,
    pub progress: Progress,
    /// "Question 2 of at most 5", localized.
    pub progress_text: String,
    /// False at the first question.
    pub can_go_back: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub enum View {
    Question(QuestionView),
    Card(Box<Card>),
}

/// Where a conversation stands, as shown to its user.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The conversation's step this reply shows; the buttons made for it carry it.
    pub step: u64,
    /// The answers behind it; the buttons made for it carry them.
    pub answers: Answers,
    pub locale: LocaleId,
    pub view: View,
}

/// What the conversation found when a user (re)opened it.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub reply: Reply,
    /// True when an unfinished conversation was found and is offered to be continued.
    pub resumed: bool,
}

/// One click, as the front end received it.
#[derive(Debug, Clone, Copy)]
pub struct Click<'a> {
    /// The clicking user in the place of the click.
    pub key: &'a SessionKey,
    /// The clicking user, to compare with the button's owner.
    pub clicker: u64,
    pub locale: LocaleId,
    /// The button, decoded.
    pub id: &'a CustomId,
    /// The position picked in a select menu, for [`Action::Select`].
    pub picked: Option<usize>,
}

/// A card ready to be posted publicly.
#[derive(Debug, Clone, PartialEq)]
pub struct ToPost {
    pub card: Box<Card>,
    /// The step the card was shown at: with the place and channel, it names the post.
    pub step: u64,
}

/// What one click did.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// The conversation moved (an answer, Back, Start over): where it stands now.
    Moved(Reply),
    /// The resume offer's Continue: the conversation where it stopped, unchanged.
    Shown(Reply),
    /// The click that made the current step, again (a double click, a redelivery): the
    /// same reply, nothing moved.
    Repeated(Reply),
    /// A click that does not fit where the conversation stands (a button of a message
    /// it has moved on from, or one that answers another question): nothing moved;
    /// where it stands.
    Outdated(Reply),
    /// Back at the first question: nothing moved.
    AtFirst(Reply),
    /// A button made under other rules: its answers carried into the running rules.
    Updated {
        reply: Reply,
        /// Answers (fact, value) the running rules no longer have, dropped.
        dropped: Vec<(&'static str, &'static str)>,
    },
    /// "Post in this channel" on a finished card.
    Post(ToPost),
    /// The user's saved answers in this place were deleted (`removed`: there were some).
    Forgotten { removed: bool },
    /// There is no conversation for this button here: deleted, or made in another place.
    Gone,
    /// Someone else's button.
    NotYours,
    /// "Check my own PC" on a posted card: the clicker's own conversation, opened.
    Opened(Opened),
    /// "Did this help?" on the card of `outcome` (an outcome id), answered `yes` or no,
    /// replacing `before` (this conversation's earlier answer on the card). Nothing moved.
    Voted {
        reply: Reply,
        outcome: String,
        yes: bool,
        before: Option<bool>,
    },
}

/// Why a click could not be served. Every variant maps to a localized sentence.
#[derive(Debug, thiserror::Error)]
pub enum ConvError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A button of these rules whose answers do not replay: not made by this bot.
    #[error("the button's answers do not fit the rules it claims: {0:?}")]
    Forged(Answers),
}

/// How many users' last steps [`Recent`] keeps before it forgets the oldest.
pub const RECENT_CAPACITY: usize = 16_384;
/// On overflow, [`Recent`] keeps the users seen within this many seconds (an interaction
/// token lasts 15 minutes).
const RECENT_KEEP_SECS: i64 = 15 * 60;

/// The last step the conversation showed one user.
#[derive(Debug, Clone, Copy)]
struct Latest {
    step: u64,
    /// The click that made this step, to know it again.
    by: Option<(Action, Option<usize>)>,
    answers: Answers,
    created_at: i64,
    /// When the step was taken; a card shown at it is dated so.
    updated_at: i64,
    /// The user deleted their saved answers at this step.
    forgotten: bool,
    /// "Did this help?" as answered on the card shown at this step.
    vote: Option<bool>,
}

/// The last step shown to each user recently, in memory only (bounded).
#[derive(Default)]
struct Recent {
    by_key: Mutex<HashMap<SessionKey, Latest>>,
}

impl Recent {
    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionKey, Latest>> {
        self.by_key.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn get(&self, key: &SessionKey) -> Option<Latest> {
        self.lock().get(key).copied()
    }

    fn set(&self, key: &SessionKey, latest: Latest, now: i64) {
        let mut map = self.lock();
        if let Some(known) = map.get_mut(key) {
            *known = latest;
            return;
        }
        if map.len() >= RECENT_CAPACITY {
            map.retain(|_, l| l.updated_at > now - RECENT_KEEP_SECS);
            if map.len() >= RECENT_CAPACITY {
                map.clear();
            }
        }
        map.insert(key.clone(), latest);
    }
}

/// The conversation layer over a store.
pub struct Conversation<S> {
    pub rules: Arc<Rules>,
    pub l10n: Arc<Localizer>,
    pub store: Arc<S>,
    clock: Clock,
    style: TimeStyle,
    tag: String,
    recent: Arc<Recent>,
    /// Every question's texts in every locale, formatted once, and what else a reply
    /// needs that does not change while the bot runs.
    texts: Arc<Texts>,
    /// Other processes take steps in the same store (see [`Conversation::shared`]).
    shared: bool,
}

/// What saving a step found.
enum Saved {
    /// The step is the resume point now.
    Now(Reply),
    /// The store had this step or a later one already (another process took it):
    /// where the conversation stands, and whether it was this very click.
    Already { reply: Reply, same: bool },
    /// The user deleted the conversation after the button was shown (found by the
    /// store: [`Advanced::Forgotten`]); nothing was saved.
    Gone,
}

impl<S> Clone for Conversation<S> {
    fn clone(&self) -> Self {
        Self {
            rules: self.rules.clone(),
            l10n: self.l10n.clone(),
            store: self.store.clone(),
            clock: self.clock.clone(),
            style: self.style,
            tag: self.tag.clone(),
            recent: self.recent.clone(),
            texts: self.texts.clone(),
            shared: self.shared,
        }
    }
}

/// The place of a session scope, as a button records it.
pub fn place_of(scope: &Scope) -> Place {
    match scope {
        Scope::Guild(_) => Place::Server,
        Scope::Dm => Place::Dm,
        Scope::Terminal => Place::Terminal,
    }
}

impl<S: SessionStore> Conversation<S> {
    pub fn new(
        rules: Arc<Rules>,
        l10n: Arc<Localizer>,
        store: Arc<S>,
        clock: Clock,
        style: TimeStyle,
    ) -> Self {
        let tag = rules_tag(&rules.meta.version);
        let texts = Texts::of(&rules, &l10n);
        Self {
            rules,
            l10n,
            store,
            clock,
            style,
            tag,
            recent: Arc::default(),
            texts: Arc::new(texts),
            shared: false,
        }
    }

    /// For a store that several processes share (workers behind a load balancer): what
    /// this process showed each user last is not what the conversation stands at, since
    /// any worker may have taken the next step. The memory of recent steps is not
    /// consulted; the button decides, and the store's conditional write
    /// ([`SessionStore::advance`]) finds a step another worker took first, or that the
    /// user deleted the conversation since (through any worker: [`SessionStore::forget`]).
    pub fn shared(mut self) -> Self {
        self.shared = true;
        self
    }

    /// The last step shown to `key`'s user, when this process can know it.
    fn latest(&self, key: &SessionKey) -> Option<Latest> {
        if self.shared {
            None
        } else {
            self.recent.get(key)
        }
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The tag of the running rules, which every button made now carries.
    pub fn rules_tag(&self) -> &str {
        &self.tag
    }

    /// Opens the conversation (`/activation-check`, `ask`): an unfinished conversation
    /// saved under the running rules is offered to be resumed where it stopped;
    /// otherwise a new one starts (and is saved). Reads the store: opening is the one
    /// thing that needs what was saved.
    pub async fn open(&self, key: &SessionKey, locale: LocaleId) -> Result<Opened, ConvError> {
        let stored = self.store.load(key).await?;
        if let Some(record) = &stored {
            if let Some(walk) = self.resumable(record) {
                let answers = self.symbols(&walk);
                let latest = Latest {
                    step: record.step,
                    by: None,
                    answers,
                    created_at: record.created_at,
                    updated_at: record.updated_at,
                    forgotten: false,
                    vote: None,
                };
                self.recent.set(key, latest, self.now());
                return Ok(Opened {
                    reply: self.reply(&walk, &latest, locale),
                    resumed: true,
                });
            }
        }
        // Keep counting steps, so buttons of earlier conversations stay outdated.
        let recent = self.latest(key);
        let before = stored
            .as_ref()
            .map(|r| r.step)
            .into_iter()
            .chain(recent.map(|l| l.step))
            .max();
        let step = before.map_or(0, |s| s.saturating_add(1));
        let created_at = stored.as_ref().map(|r| r.created_at);
        let reply = match self
            .save(
                key,
                locale,
                &Walk::start(&self.rules),
                step,
                None,
                Some(Input::Restart),
                created_at,
            )
            .await?
        {
            Saved::Now(reply) | Saved::Already { reply, .. } => reply,
            // Deleted again each time it started anew (only by racing deletions).
            Saved::Gone => {
                return Err(StoreError::Write(
                    "the conversation was deleted again while it started anew".to_owned(),
                )
                .into())
            }
        };
        Ok(Opened {
            reply,
            resumed: false,
        })
    }

    /// The resume rule: a saved conversation is resumed when it was saved under the
    /// running rules, its answers still replay, and it is unfinished but begun.
    fn resumable(&self, record: &SessionRecord) -> Option<Walk> {
        if record.rules_version != self.rules.meta.version {
            // Answers from other rules may replay cleanly yet mean something else.
            return None;
        }
        let walk = Walk::replay(&self.rules, &record.answers).ok()?;
        (!walk.is_done(&self.rules) && walk.answered() > 0).then_some(walk)
    }

    /// Judges one click and does what it asks: the only call a front end makes per
    /// click. Never reads the store (see the module documentation), but for a deletion
    /// in a shared one.
    pub async fn click(&self, c: Click<'_>) -> Result<Step, ConvError> {
        let id = c.id;
        if id.action == Action::Own {
            // Anyone's button: the clicker's own conversation, not the poster's answers.
            return self.open(c.key, c.locale).await.map(Step::Opened);
        }
        if id.owner != c.clicker {
            return Ok(Step::NotYours);
        }
        if id.place != place_of(&c.key.scope) {
            return Ok(Step::Gone);
        }
        let latest = self.latest(c.key);
        if id.action == Action::Forget {
            return self.forget(c.key, id.step, latest).await;
        }
        let this = (id.action, c.picked);
        if let Some(l) = latest {
            if l.forgotten && id.action != Action::Restart {
                return Ok(Step::Gone);
            }
            if !l.forgotten && l.step != id.step {
                let reply = self.reply_latest(&l, c.locale);
                let again = id.step.checked_add(1) == Some(l.step) && l.by == Some(this);
                return Ok(if again {
                    Step::Repeated(reply)
                } else {
                    Step::Outdated(reply)
                });
            }
        }
        if self.shared
            && matches!(
                id.action,
                Action::Continue | Action::Post | Action::Helped { .. }
            )
        {
            // These write nothing, so no conditional write would find that the user
            // deleted the conversation since the button was shown (through any worker).
            if let Some(deleted) = self.store.forgotten_at(c.key).await? {
                if id.step < deleted {
                    return Ok(Step::Gone);
                }
            }
        }
        if let Action::Helped { yes, before } = id.action {
            return self.helped(c, latest, yes, before);
        }
        // From here on the button decides.
        let step = latest.map_or(id.step, |l| l.step.max(id.step));
        let created_at = latest.map(|l| l.created_at);
        if id.rules_tag != self.tag && id.action != Action::Restart {
            return self.carry_over(c, step, created_at).await;
        }
        let walk = if id.rules_tag == self.tag {
            self.replay(&id.answers)
                .ok_or(ConvError::Forged(id.answers))?
        } else {
            Walk::start(&self.rules)
        };
        // Where the button stands (nothing moved).
        let here = |walk: &Walk| {
            let latest = Latest {
                step: id.step,
                by: None,
                answers: self.symbols(walk),
                created_at: created_at.unwrap_or_else(|| self.now()),
                updated_at: self.now(),
                forgotten: false,
                vote: None,
            };
            self.reply(walk, &latest, c.locale)
        };
        let (next, input) = match id.action {
            Action::Continue => {
                if latest.is_none() {
                    let now = self.now();
                    let shown = Latest {
                        step: id.step,
                        by: None,
                        answers: id.answers,
                        created_at: now,
                        updated_at: now,
                        forgotten: false,
                        vote: None,
                    };
                    self.recent.set(c.key, shown, now);
                }
                return Ok(Step::Shown(here(&walk)));
            }
            Action::Post => {
                if !walk.is_done(&self.rules) {
                    return Ok(Step::Outdated(here(&walk)));
                }
                let generated_at = latest
                    .filter(|l| l.step == id.step)
                    .map_or_else(|| self.now(), |l| l.updated_at);
                let card = Card::build(
                    &self.rules,
                    &walk,
                    &self.l10n,
                    c.locale,
                    generated_at,
                    self.style,
                )
                .expect("a finished walk has a card");
                return Ok(Step::Post(ToPost {
                    card: Box::new(card),
                    step: id.step,
                }));
            }
            Action::Answer(symbol) => {
                let input = self.answer_input(&walk, |q| {
                    let (fact, value) = symbol.fact_value();
                    (q.fact == fact)
                        .then(|| q.choices.iter().position(|ch| ch.value == value))
                        .flatten()
                });
                match input {
                    Some((input, next)) => (next, input),
                    None => return Ok(Step::Outdated(here(&walk))),
                }
            }
            Action::Select => {
                let picked = c.picked;
                let input = self.answer_input(&walk, |q| picked.filter(|&p| p < q.choices.len()));
                match input {
                    Some((input, next)) => (next, input),
                    None => return Ok(Step::Outdated(here(&walk))),
                }
            }
            Action::Back => match walk.back() {
                Some(back) => (back, Input::Back),
                None => return Ok(Step::AtFirst(here(&walk))),
            },
            Action::Restart => (Walk::start(&self.rules), Input::Restart),
            Action::Forget | Action::Helped { .. } | Action::Own => {
                unreachable!("handled above")
            }
        };
        let Some(step) = step.checked_add(1) else {
            // A forged step: no conversation gets there.
            return Ok(Step::Outdated(here(&walk)));
        };
        let saved = self
            .save(
                c.key,
                c.locale,
                &next,
                step,
                Some(this),
                Some(input),
                created_at,
            )
            .await?;
        Ok(match saved {
            Saved::Now(reply) => Step::Moved(reply),
            Saved::Already { reply, same: true } => Step::Repeated(reply),
            Saved::Already { reply, same: false } => Step::Outdated(reply),
            Saved::Gone => Step::Gone,
        })
    }

    /// "Did this help?" on a finished card: one answer per conversation's card, which
    /// may be changed. The earlier answer is the one remembered for this step, else the
    /// one the message showed (after a restart); the same answer again changes nothing.
    fn helped(
        &self,
        c: Click<'_>,
        latest: Option<Latest>,
        yes: bool,
        before: Option<bool>,
    ) -> Result<Step, ConvError> {
        let id = c.id;
        let walk = if id.rules_tag == self.tag {
            self.replay(&id.answers)
                .ok_or(ConvError::Forged(id.answers))?
        } else {
            // A card of other rules: its answers, carried into the running ones.
            let answers: Vec<Symbol> = id.answers.iter().collect();
            carried(&self.rules, &answers).0
        };
        let now = self.now();
        let known = latest.filter(|l| l.step == id.step && !l.forgotten);
        let mut shown = known.unwrap_or(Latest {
            step: id.step,
            by: None,
            answers: self.symbols(&walk),
            created_at: now,
            updated_at: now,
            forgotten: false,
            vote: None,
        });
        let reply = self.reply(&walk, &shown, c.locale);
        let Some(outcome) = walk.outcome(&self.rules) else {
            return Ok(Step::Outdated(reply));
        };
        let before = known.and_then(|l| l.vote).or(before);
        shown.vote = Some(yes);
        self.recent.set(c.key, shown, now);
        Ok(Step::Voted {
            reply,
            outcome: outcome.id.clone(),
            yes,
            before,
        })
    }

    /// The walk after answering the current question with the choice `pick` finds.
    fn answer_input(
        &self,
        walk: &Walk,
        pick: impl Fn(&Question) -> Option<usize>,
    ) -> Option<(Input, Walk)> {
        let Position::Asking(_, q) = walk.position(&self.rules) else {
            return None;
        };
        let choice = pick(q)?;
        let next = walk.answer(&self.rules, choice).ok()?;
        Some((
            Input::Answer {
                node: q.id.clone(),
                choice,
            },
            next,
        ))
    }

    /// A button made under other rules: its answers (fact values of the contract) are
    /// carried into the running rules, and the action applied to them as well as it
    /// still means something (an answer is one more fact; Back drops the last answer).
    async fn carry_over(
        &self,
        c: Click<'_>,
        step: u64,
        created_at: Option<i64>,
    ) -> Result<Step, ConvError> {
        let id = c.id;
        let mut answers: Vec<Symbol> = id.answers.iter().collect();
        match id.action {
            Action::Answer(symbol) => answers.push(symbol),
            Action::Back => {
                answers.pop();
            }
            // A select's position means nothing in other rules: the question is asked again.
            _ => {}
        }
        let (walk, dropped) = carried(&self.rules, &answers);
        let Some(step) = step.checked_add(1) else {
            let walk = Walk::start(&self.rules);
            let latest = Latest {
                step: id.step,
                by: None,
                answers: Answers::new(),
                created_at: self.now(),
                updated_at: self.now(),
                forgotten: false,
                vote: None,
            };
            return Ok(Step::Outdated(self.reply(&walk, &latest, c.locale)));
        };
        let by = (id.action, c.picked);
        let saved = self
            .save(c.key, c.locale, &walk, step, Some(by), None, created_at)
            .await?;
        Ok(match saved {
            Saved::Now(reply) => Step::Updated { reply, dropped },
            Saved::Already { reply, .. } => Step::Outdated(reply),
            Saved::Gone => Step::Gone,
        })
    }

    /// "Delete my saved answers": removes the saved conversation durably, and remembers
    /// that buttons of this conversation lead nowhere now (in this process's memory; a
    /// shared store keeps a marker that every process finds, see
    /// [`SessionStore::forget`]).
    async fn forget(
        &self,
        key: &SessionKey,
        step: u64,
        latest: Option<Latest>,
    ) -> Result<Step, ConvError> {
        let step = latest.map_or(step, |l| l.step.max(step));
        let removed = self.store.forget(key, step).await?;
        let now = self.now();
        let gone = Latest {
            step,
            by: None,
            answers: Answers::new(),
            created_at: now,
            updated_at: now,
            forgotten: true,
            vote: None,
        };
        self.recent.set(key, gone, now);
        Ok(Step::Forgotten { removed })
    }

    /// Saves `walk` at `step` as the conversation's resume point, remembers it as the
    /// last step shown, and returns its reply.
    #[allow(clippy::too_many_arguments)]
    async fn save(
        &self,
        key: &SessionKey,
        locale: LocaleId,
        walk: &Walk,
        step: u64,
        by: Option<(Action, Option<usize>)>,
        input: Option<Input>,
        created_at: Option<i64>,
    ) -> Result<Saved, ConvError> {
        let now = self.now();
        // Start over, or a new conversation: what a deleted conversation still allows.
        let anew = input == Some(Input::Restart);
        let mut record = SessionRecord::new(&self.rules.meta.version, self.l10n.tag(locale), now);
        record.answers = walk.answers(&self.rules);
        record.step = step;
        record.last_input = input.map(|i| i.key());
        record.created_at = created_at.unwrap_or(now);
        let mut tries = 0;
        loop {
            match self.store.advance(key, &record).await? {
                Advanced::Saved => break,
                Advanced::Behind(stored) => {
                    if let Some(reply) = self.stored_reply(key, &stored, locale) {
                        let same = stored.step == record.step
                            && stored.last_input == record.last_input
                            && stored.answers == record.answers;
                        return Ok(Saved::Already { reply, same });
                    }
                    // Stored under other rules: this step stands (the store keeps the
                    // later one).
                    break;
                }
                // Deleted (in a shared store, by any process) after the button was shown:
                // the conversation starts again after the deletion, or the button is gone.
                Advanced::Forgotten { step: deleted } if anew && tries < 3 => {
                    tries += 1;
                    record.step = deleted.saturating_add(1);
                }
                Advanced::Forgotten { .. } => return Ok(Saved::Gone),
            }
        }
        let latest = Latest {
            step: record.step,
            by,
            answers: self.symbols(walk),
            created_at: record.created_at,
            updated_at: now,
            forgotten: false,
            vote: None,
        };
        self.recent.set(key, latest, now);
        Ok(Saved::Now(self.reply(walk, &latest, locale)))
    }

    /// Where a stored conversation stands, as a reply (`None` when it was saved under
    /// other rules, or its answers no longer replay).
    fn stored_reply(
        &self,
        key: &SessionKey,
        stored: &SessionRecord,
        locale: LocaleId,
    ) -> Option<Reply> {
        if stored.rules_version != self.rules.meta.version {
            return None;
        }
        let walk = Walk::replay(&self.rules, &stored.answers).ok()?;
        let latest = Latest {
            step: stored.step,
            by: None,
            answers: self.symbols(&walk),
            created_at: stored.created_at,
            updated_at: stored.updated_at,
            forgotten: false,
            vote: None,
        };
        self.recent.set(key, latest, self.now());
        Some(self.reply(&walk, &latest, locale))
    }

    fn reply_latest(&self, latest: &Latest, locale: LocaleId) -> Reply {
        let walk = self
            .replay(&latest.answers)
            .expect("a remembered step was made under the running rules");
        self.reply(&walk, latest, locale)
    }

    /// [`Walk::replay_symbols`], by the symbols of each question's choices found once
    /// rather than by comparing fact and value names.
    fn replay(&self, answers: &Answers) -> Option<Walk> {
        let mut walk = Walk::start(&self.rules);
        for symbol in answers.iter() {
            let Position::Asking(idx, _) = walk.position(&self.rules) else {
                return None;
            };
            let choice = self
                .texts
                .symbols
                .get(&idx)?
                .iter()
                .position(|&s| s == symbol)?;
            walk = walk.answer(&self.rules, choice).ok()?;
        }
        Some(walk)
    }

    /// [`Walk::symbols`], by the same table.
    fn symbols(&self, walk: &Walk) -> Answers {
        Answers::from_symbols(
            walk.steps()
                .iter()
                .map(|&(idx, choice)| self.texts.symbols[&idx][choice]),
        )
        .expect("a fact is asked at most once along a path")
    }

    fn reply(&self, walk: &Walk, latest: &Latest, locale: LocaleId) -> Reply {
        Reply {
            step: latest.step,
            answers: latest.answers,
            locale,
            view: self.view(walk, latest.updated_at, locale),
        }
    }

    /// What `walk` looks like in `locale`; a card is dated `generated_at`. The same as
    /// [`view_of`], with the question's texts formatted once rather than every time.
    pub fn view(&self, walk: &Walk, generated_at: i64, locale: LocaleId) -> View {
        if let Position::Asking(idx, q) = walk.position(&self.rules) {
            if let Some(texts) = self.texts.questions.get(&(idx, locale)) {
                let progress = walk.progress(&self.rules);
                let said = self
                    .texts
                    .progress
                    .get(&(locale, progress.number, progress.at_most))
                    .cloned()
                    .unwrap_or_else(|| progress_text(&self.l10n, locale, progress));
                return question_view(walk, q, texts, progress, said);
            }
        }
        // A card, or a question whose texts were not formatted ahead.
        view_of(
            &self.rules,
            &self.l10n,
            walk,
            generated_at,
            locale,
            self.style,
        )
    }
}

/// What a reply needs that does not change while the bot runs (texts are not reloaded).
struct Texts {
    /// Every question's texts in every locale.
    questions: HashMap<(NodeIdx, LocaleId), QuestionTexts>,
    /// "Question n of at most m" for every n and m a conversation can show.
    progress: HashMap<(LocaleId, usize, usize), String>,
    /// The symbol of each question's choices, in order.
    symbols: HashMap<NodeIdx, Vec<Symbol>>,
}

impl Texts {
    fn of(rules: &Rules, l10n: &Localizer) -> Self {
        let mut texts = Texts {
            questions: HashMap::new(),
            progress: HashMap::new(),
            symbols: HashMap::new(),
        };
        for (idx, node) in rules.nodes() {
            if let crate::domain::rules::Node::Question(q) = node {
                for locale in l10n.locale_ids() {
                    let t = QuestionTexts::of(l10n, q, locale);
                    texts.symbols.insert(idx, t.symbols.clone());
                    texts.questions.insert((idx, locale), t);
                }
            }
        }
        let depth = rules.max_depth();
        for locale in l10n.locale_ids() {
            for number in 1..=depth {
                for at_most in number..=depth {
                    let p = Progress { number, at_most };
                    texts
                        .progress
                        .insert((locale, number, at_most), progress_text(l10n, locale, p));
                }
            }
        }
        texts
    }
}

/// A question's texts in one locale.
#[derive(Debug, Clone)]
struct QuestionTexts {
    text: String,
    help: Option<String>,
    choices: Vec<String>,
    symbols: Vec<Symbol>,
}

impl QuestionTexts {
    fn of(l10n: &Localizer, q: &Question, locale: LocaleId) -> Self {
        Self {
            text: l10n.text(locale, &q.text),
            help: q.help.as_ref().map(|h| l10n.text(locale, h)),
            choices: q
                .choices
                .iter()
                .map(|c| l10n.text(locale, &c.label))
                .collect(),
            symbols: q
                .choices
                .iter()
                .map(|c| {
                    Symbol::of(&q.fact, &c.value)
                        .expect("validated rules only use values of the contract")
                })
                .collect(),
        }
    }
}

/// The view of question `q`, where `walk` stands, with its texts.
fn question_view(
    walk: &Walk,
    q: &Question,
    texts: &QuestionTexts,
    progress: Progress,
    progress_text: String,
) -> View {
    View::Question(QuestionView {
        node: q.id.clone(),
        fact: q.fact.clone(),
        text: texts.text.clone(),
        help: texts.help.clone(),
        choices: texts.choices.clone(),
        symbols: texts.symbols.clone(),
        progress,
        progress_text,
        can_go_back: walk.answered() > 0,
    })
}

/// Carries answers given under other rules into `rules`: the walk as far as they settle
/// its questions, and the answers `rules` does not have (by fact and value).
pub fn carried(rules: &Rules, answers: &[Symbol]) -> (Walk, Vec<(&'static str, &'static str)>) {
    let mut dropped = Vec::new();
    let mut facts: Vec<(&'static str, &'static str)> = Vec::new();
    for s in answers {
        let (fact, value) = s.fact_value();
        let known = rules
            .fact(fact)
            .is_some_and(|f| f.values.iter().any(|v| v == value));
        if known {
            // A later answer for the same fact (given after going back) wins.
            facts.retain(|(f, _)| *f != fact);
            facts.push((fact, value));
        } else {
            dropped.push((fact, value));
        }
    }
    let walk = Walk::settle(rules, |fact| {
        facts.iter().find(|(f, _)| *f == fact).map(|(_, v)| *v)
    });
    (walk, dropped)
}

/// What `walk` looks like in `locale`, with times in `style`; a card is dated
/// `generated_at`.
pub fn view_of(
    rules: &Rules,
    l10n: &Localizer,
    walk: &Walk,
    generated_at: i64,
    locale: LocaleId,
    style: TimeStyle,
) -> View {
    match walk.position(rules) {
        Position::Asking(_, q) => {
            let texts = QuestionTexts::of(l10n, q, locale);
            let progress = walk.progress(rules);
            let said = progress_text(l10n, locale, progress);
            question_view(walk, q, &texts, progress, said)
        }
        Position::Done(..) => View::Card(Box::new(
            Card::build(rules, walk, l10n, locale, generated_at, style)
                .expect("a walk at an outcome has a card"),
        )),
    }
}

/// "Question 2 of at most 5", localized.
pub fn progress_text(l10n: &Localizer, locale: LocaleId, p: Progress) -> String {
    l10n.format(
        locale,
        "progress",
        &[
            ("number", p.number.to_string()),
            ("at_most", p.at_most.to_string()),
        ],
    )
}
