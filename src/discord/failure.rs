//! Failures and their sentences: why an interaction could not be served ([`Failure`]),
//! and [`Failure::tell`], the one place a failure becomes a localized sentence for the user
//! and a log line for the operator. It never fails itself: a sentence that cannot be sent
//! is logged.

use serenity::all::Context;

use super::gate::Busy;
use super::respond::{CallError, Responder, Unacknowledged};
use super::spec::{self, MessageSpec};
use crate::conversation::ConvError;
use crate::i18n::{LocaleId, Localizer};

/// Why an interaction could not be served; each maps to a localized sentence.
#[derive(Debug)]
pub(super) enum Failure {
    /// A `custom_id` the bot did not make (forged, or from another bot version).
    BadComponent(String),
    /// Someone clicked another user's buttons.
    NotYours,
    /// Saving failed; nothing changed.
    Save(crate::session::StoreError),
    /// Posting in the channel was refused.
    CannotPost(CallError),
    /// The target of the pin command is not one of the bot's cards.
    NotACard,
    /// The moderator command was used outside a server.
    GuildOnly,
    /// Discord refused the pin.
    PinRefused(CallError),
    /// The member who asked lacks Pin Messages in the card's channel.
    MayNotPin,
    /// The member's permissions could not be read from Discord.
    PinCheckFailed(CallError),
    /// The user's earlier interactions are still being handled.
    Busy(Busy),
    /// Anything else; the user is asked to try again.
    Internal(String),
    /// The conversation moved (or the answers were deleted) but Discord did not take the
    /// message saying so: the user is told, with this message, where it stands.
    NotShown(Box<MessageSpec>, String),
    /// Acknowledging (deferring) failed; it may have reached Discord all the same.
    Unacknowledged(String),
}

impl From<crate::session::StoreError> for Failure {
    fn from(e: crate::session::StoreError) -> Self {
        match e {
            crate::session::StoreError::Write(_) => Failure::Save(e),
            crate::session::StoreError::Read(r) => Failure::Internal(r),
        }
    }
}

impl From<Unacknowledged> for Failure {
    fn from(Unacknowledged(what): Unacknowledged) -> Self {
        Failure::Unacknowledged(what)
    }
}

impl From<ConvError> for Failure {
    fn from(e: ConvError) -> Self {
        match e {
            ConvError::Store(s) => s.into(),
            forged @ ConvError::Forged(_) => Failure::BadComponent(forged.to_string()),
        }
    }
}

impl Failure {
    /// The one place failures become replies: one log line for the operator, and the
    /// localized sentence sent the way `respond` says (a new ephemeral message, or an
    /// edit of a deferred response). Never fails.
    pub(super) async fn tell(
        self,
        ctx: &Context,
        respond: Responder<'_>,
        l10n: &Localizer,
        locale: LocaleId,
        user: u64,
    ) {
        let failure = self;
        let (id, detail) = match &failure {
            Failure::BadComponent(d) => ("error-bad-component", d.clone()),
            Failure::NotYours => ("error-not-yours", String::new()),
            Failure::Save(e) => ("error-save", e.to_string()),
            Failure::CannotPost(e @ CallError::TimedOut) => ("error-discord-slow", e.to_string()),
            Failure::CannotPost(e) => ("error-cannot-post", e.to_string()),
            Failure::NotACard => ("error-not-a-card", String::new()),
            Failure::GuildOnly => ("error-guild-only", String::new()),
            Failure::PinRefused(e @ CallError::TimedOut) => ("error-discord-slow", e.to_string()),
            Failure::PinRefused(e) => (
                match e.code() {
                    Some(50013) => "error-pin-permission",
                    Some(30003) => "error-pin-limit",
                    Some(10008) => "error-pin-unknown-message",
                    _ => "error-pin-failed",
                },
                e.to_string(),
            ),
            Failure::MayNotPin => ("error-member-cannot-pin", String::new()),
            Failure::PinCheckFailed(e @ CallError::TimedOut) => {
                ("error-discord-slow", e.to_string())
            }
            Failure::PinCheckFailed(e) => ("error-pin-check-failed", e.to_string()),
            Failure::Busy(b) => ("error-busy", format!("{b:?}")),
            Failure::Internal(d) | Failure::Unacknowledged(d) => ("error-internal", d.clone()),
            Failure::NotShown(_, d) => ("step-not-shown", d.clone()),
        };
        let interaction = respond.interaction_id();
        match &failure {
            Failure::Save(_) | Failure::Internal(_) | Failure::Unacknowledged(_) => {
                tracing::error!(%interaction, user, reason = id, %detail, "interaction failed")
            }
            Failure::NotShown(..) => tracing::warn!(
                %interaction,
                user,
                reason = id,
                %detail,
                "Discord did not take the reply; telling the user where the conversation stands"
            ),
            _ => tracing::warn!(%interaction, user, reason = id, %detail, "interaction refused"),
        }
        let text = l10n.text(locale, id);
        // Whether a first answer that reached Discord after all is replaced (below).
        let replaces = matches!(failure, Failure::Unacknowledged(_) | Failure::NotShown(..));
        let spec = match failure {
            // The sentence, then the message the user did not get (a notice's text after
            // it, a conversation with its buttons, so the next click works).
            Failure::NotShown(shown, _) => {
                let mut shown = *shown;
                shown.content = Some(match shown.content.take() {
                    Some(said) if !said.is_empty() => format!("{text}\n\n{said}"),
                    _ => text,
                });
                shown
            }
            _ => spec::notice(text, Vec::new()),
        };
        let mut sent = respond.send(ctx, &spec).await;
        // A first answer that reached Discord although the bot saw it fail (cut off at
        // the deadline, or its answer lost): the sentence replaces that answer (the
        // "thinking…" state of a defer, or the message a click updated).
        if let (Err(e), Some(deferred), true) = (&sent, respond.as_deferred(), replaces) {
            if e.code() == Some(40060) {
                sent = deferred.send(ctx, &spec).await;
            }
        }
        if let Err(e) = sent {
            tracing::error!(user, error = %e, "could not even tell the user about a failure");
        }
    }
}
