//! One step of a conversation: load the session, step the engine, save, reply.
//!
//! Every front end (Discord, the terminal) goes through [`Conversation`], so they share
//! one behaviour: a step is saved durably *before* its reply is returned (a reply the
//! user sees always reflects stored state), sessions made under other rules are detected
//! rather than misread, and a repeated input for a step already taken returns the same
//! reply instead of moving twice. Replies are data ([`Reply`]); front ends lay them out.

use std::sync::Arc;

use crate::card::{Card, TimeStyle};
use crate::engine::{Position, Progress, Stale, StepError, Walk};
use crate::i18n::{LocaleId, Localizer};
use crate::rules::Rules;
use crate::session::{SessionKey, SessionRecord, SessionStore, StoreError};

/// What the user did.
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

/// The reply to one input.
#[derive(Debug, Clone, PartialEq)]
pub struct Reply {
    /// The session step this reply shows; components made for it carry it.
    pub step: u64,
    pub locale: LocaleId,
    pub view: View,
}

/// What the conversation found when a user (re)opened it.
#[derive(Debug, Clone, PartialEq)]
pub struct Opened {
    pub reply: Reply,
    /// True when an unfinished session was picked up where it stopped.
    pub resumed: bool,
}

/// Why an input was not applied. Every variant maps to a localized sentence for the user.
#[derive(Debug, thiserror::Error)]
pub enum ConvError {
    #[error(transparent)]
    Store(#[from] StoreError),
    /// There is no session (never started, expired, forgotten).
    #[error("there is no conversation to continue")]
    NoSession,
    /// The stored answers do not fit the rules in force.
    #[error("the conversation was started under other rules: {0}")]
    Stale(#[from] Stale),
    /// The input was made for a step the session has moved past, and is not the input
    /// that moved it.
    #[error("this input was for step {given}, but the conversation is at step {current}")]
    Outdated { given: u64, current: u64 },
    /// The engine refused the input (a finished conversation, a wrong question).
    #[error(transparent)]
    Step(#[from] StepError),
    /// Back at the first question.
    #[error("already at the first question")]
    AtFirst,
}

/// A stored session and whether its answers still fit the rules in force.
pub type Peeked = (SessionRecord, Result<Walk, Stale>);

/// A clock returning unix seconds.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// The system clock.
pub fn system_clock() -> Clock {
    Arc::new(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0)
    })
}

/// The conversation layer over a store.
pub struct Conversation<S> {
    pub rules: Arc<Rules>,
    pub l10n: Arc<Localizer>,
    pub store: Arc<S>,
    clock: Clock,
    style: TimeStyle,
}

impl<S> Clone for Conversation<S> {
    fn clone(&self) -> Self {
        Self {
            rules: self.rules.clone(),
            l10n: self.l10n.clone(),
            store: self.store.clone(),
            clock: self.clock.clone(),
            style: self.style,
        }
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
        Self {
            rules,
            l10n,
            store,
            clock,
            style,
        }
    }

    pub fn now(&self) -> i64 {
        (self.clock)()
    }

    /// The stored session, if any, and whether its answers still fit the rules.
    pub fn peek(&self, key: &SessionKey) -> Result<Option<Peeked>, ConvError> {
        Ok(self.store.get(key)?.map(|r| {
            let walk = self.replay(&r);
            (r, walk)
        }))
    }

    fn replay(&self, r: &SessionRecord) -> Result<Walk, Stale> {
        if r.rules_version != self.rules.meta.version {
            // Answers from other rules may replay cleanly yet mean something else.
            return Err(Stale {
                index: 0,
                node: String::new(),
                value: format!("rules version {}", r.rules_version),
            });
        }
        Walk::replay(&self.rules, &r.answers)
    }

    /// Opens the conversation: an unfinished session that fits the rules is resumed
    /// where it stopped; otherwise a new one starts (and is saved).
    pub async fn open(&self, key: &SessionKey, locale: LocaleId) -> Result<Opened, ConvError> {
        if let Some((record, Ok(walk))) = self.peek(key)? {
            if !walk.is_done(&self.rules) && walk.answered() > 0 {
                let reply = self.reply(&walk, &record, locale);
                return Ok(Opened {
                    reply,
                    resumed: true,
                });
            }
        }
        Ok(Opened {
            reply: self.start_new(key, locale).await?,
            resumed: false,
        })
    }

    /// Starts over from the first question, replacing any stored session.
    pub async fn start_new(&self, key: &SessionKey, locale: LocaleId) -> Result<Reply, ConvError> {
        let previous = self.store.get(key)?;
        self.start_after(key, locale, previous.as_ref()).await
    }

    /// [`Conversation::start_new`] for a caller that has just read the stored session:
    /// `previous` is what it found (`None` when there was none or it could not be read),
    /// so the store is not read, and an unreadable record not logged, a second time.
    pub async fn start_after(
        &self,
        key: &SessionKey,
        locale: LocaleId,
        previous: Option<&SessionRecord>,
    ) -> Result<Reply, ConvError> {
        let now = self.now();
        let mut record = SessionRecord::new(&self.rules.meta.version, self.l10n.tag(locale), now);
        // Keep counting steps, so components from before the restart stay outdated.
        if let Some(prev) = previous {
            record.step = prev.step.saturating_add(1);
            record.created_at = prev.created_at;
        }
        record.last_input = Some(Input::Restart.key());
        let walk = Walk::start(&self.rules);
        self.store.put(key, &record).await?;
        Ok(self.reply(&walk, &record, locale))
    }

    /// Shows the stored session as it is, without changing it.
    pub fn current(&self, key: &SessionKey, locale: LocaleId) -> Result<Reply, ConvError> {
        let (record, walk) = self.peek(key)?.ok_or(ConvError::NoSession)?;
        let walk = walk?;
        Ok(self.reply(&walk, &record, locale))
    }

    /// Applies `input`. With `at_step`, the input is taken only if the session is at that
    /// step; if the session already moved past it *because of this same input*, the
    /// current state is returned unchanged (a repeated click), else
    /// [`ConvError::Outdated`].
    pub async fn apply(
        &self,
        key: &SessionKey,
        locale: LocaleId,
        at_step: Option<u64>,
        input: Input,
    ) -> Result<Reply, ConvError> {
        let (mut record, walk) = self.peek(key)?.ok_or(ConvError::NoSession)?;
        let walk = walk?;
        if let Some(given) = at_step {
            if given != record.step {
                // A forged step may be anything, u64::MAX included.
                if given.checked_add(1) == Some(record.step)
                    && record.last_input.as_deref() == Some(input.key().as_str())
                {
                    return Ok(self.reply(&walk, &record, locale));
                }
                return Err(ConvError::Outdated {
                    given,
                    current: record.step,
                });
            }
        }
        let next = match &input {
            Input::Answer { node, choice } => walk.answer_node(&self.rules, node, *choice)?,
            Input::Back => walk.back().ok_or(ConvError::AtFirst)?,
            Input::Restart => Walk::restart(&self.rules),
        };
        record.answers = next.answers(&self.rules);
        record.step = record.step.saturating_add(1);
        record.last_input = Some(input.key());
        record.locale = self.l10n.tag(locale).to_owned();
        record.updated_at = self.now();
        self.store.put(key, &record).await?;
        Ok(self.reply(&next, &record, locale))
    }

    /// Deletes the user's session in this scope.
    pub async fn forget(&self, key: &SessionKey) -> Result<bool, ConvError> {
        Ok(self.store.remove(key).await?)
    }

    /// The reply showing `walk`.
    pub fn reply(&self, walk: &Walk, record: &SessionRecord, locale: LocaleId) -> Reply {
        Reply {
            step: record.step,
            locale,
            view: self.view(walk, record.updated_at, locale),
        }
    }

    /// What `walk` looks like in `locale`; a card is dated `generated_at`.
    pub fn view(&self, walk: &Walk, generated_at: i64, locale: LocaleId) -> View {
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
            let progress = walk.progress(rules);
            View::Question(QuestionView {
                node: q.id.clone(),
                fact: q.fact.clone(),
                text: l10n.text(locale, &q.text),
                help: q.help.as_ref().map(|h| l10n.text(locale, h)),
                choices: q
                    .choices
                    .iter()
                    .map(|c| l10n.text(locale, &c.label))
                    .collect(),
                progress,
                progress_text: progress_text(l10n, locale, progress),
                can_go_back: walk.answered() > 0,
            })
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
