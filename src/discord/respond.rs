//! The responder: how an interaction is answered (a new ephemeral message, an update of
//! the clicked message, an edit of a deferred answer), within Discord's deadlines, with
//! the retries that a server error or a rate limit allows; and the message specs turned
//! into serenity's builders.

use std::time::{Duration, Instant};

use serenity::all::{
    ButtonStyle as SButtonStyle, CommandInteraction, ComponentInteraction, CreateActionRow,
    CreateAllowedMentions, CreateButton, CreateEmbed, CreateEmbedFooter, CreateInteractionResponse,
    CreateInteractionResponseMessage, CreateSelectMenu, CreateSelectMenuKind,
    CreateSelectMenuOption, EditInteractionResponse, InteractionId,
};

use super::endpoint::reply;
use super::rest::Rest;
use serenity::http::HttpError;

use super::spec::{self, ButtonStyle, Component, MessageSpec};
use crate::i18n::LocaleId;

/// The Discord error code of a failed REST call, if Discord answered with one.
pub(super) fn discord_code(e: &serenity::Error) -> Option<isize> {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => Some(r.error.code),
        _ => None,
    }
}

/// serenity's builders for a laid-out message.
pub(super) fn embeds(spec: &MessageSpec) -> Vec<CreateEmbed> {
    spec.embeds
        .iter()
        .map(|e| {
            let mut b = CreateEmbed::new();
            if let Some(t) = &e.title {
                b = b.title(t);
            }
            if let Some(d) = &e.description {
                b = b.description(d);
            }
            if let Some(c) = e.colour {
                b = b.colour(c);
            }
            for f in &e.fields {
                b = b.field(&f.name, &f.value, false);
            }
            if let Some(f) = &e.footer {
                b = b.footer(CreateEmbedFooter::new(f));
            }
            b
        })
        .collect()
}

pub(super) fn rows(spec: &MessageSpec) -> Vec<CreateActionRow> {
    spec.rows
        .iter()
        .map(|row| match row.as_slice() {
            [Component::Select {
                custom_id,
                placeholder,
                options,
            }] => CreateActionRow::SelectMenu(
                CreateSelectMenu::new(
                    custom_id,
                    CreateSelectMenuKind::String {
                        options: options
                            .iter()
                            .map(|(l, v)| CreateSelectMenuOption::new(l, v))
                            .collect(),
                    },
                )
                .placeholder(placeholder),
            ),
            buttons => CreateActionRow::Buttons(
                buttons
                    .iter()
                    .filter_map(|c| match c {
                        Component::Button {
                            custom_id,
                            label,
                            style,
                            disabled,
                        } => Some(
                            CreateButton::new(custom_id)
                                .label(label)
                                .style(match style {
                                    ButtonStyle::Primary => SButtonStyle::Primary,
                                    ButtonStyle::Secondary => SButtonStyle::Secondary,
                                    ButtonStyle::Success => SButtonStyle::Success,
                                    ButtonStyle::Danger => SButtonStyle::Danger,
                                })
                                .disabled(*disabled),
                        ),
                        Component::Select { .. } => None,
                    })
                    .collect(),
            ),
        })
        .collect()
}

/// An interaction response message from a spec. Mentions are always off.
pub fn response_message(spec: &MessageSpec, ephemeral: bool) -> CreateInteractionResponseMessage {
    let mut m = CreateInteractionResponseMessage::new()
        .embeds(embeds(spec))
        .components(rows(spec))
        .allowed_mentions(CreateAllowedMentions::new());
    if let Some(c) = &spec.content {
        m = m.content(c);
    } else {
        m = m.content("");
    }
    if ephemeral {
        m = m.ephemeral(true);
    }
    m
}

/// How to answer an interaction; every variant carries when it was received, which
/// sets how long a failed call may be retried.
#[derive(Clone, Copy)]
pub(super) enum Responder<'a> {
    /// A new ephemeral message in response to a command.
    Command(&'a CommandInteraction, Instant),
    /// In response to a component: replace its message, or send a new ephemeral one.
    Component(&'a ComponentInteraction, ComponentAnswer, Instant),
    /// Edit the deferred original response of a command or a component.
    DeferredCommand(&'a CommandInteraction, Instant),
    DeferredComponent(&'a ComponentInteraction, Instant),
}

/// One interaction being answered: how the bot reaches Discord, the interaction, the
/// locale negotiated for it, and when it arrived (which bounds how long its calls may be
/// retried). Every command and click body takes one instead of the four apart.
pub(super) struct Call<'a, I> {
    pub(super) ctx: &'a Rest,
    pub(super) interaction: &'a I,
    pub(super) locale: LocaleId,
    pub(super) received: Instant,
}

impl<I> Clone for Call<'_, I> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<I> Copy for Call<'_, I> {}

impl<'a> Call<'a, CommandInteraction> {
    /// Answers the command with a new ephemeral message.
    pub(super) fn responder(&self) -> Responder<'a> {
        Responder::Command(self.interaction, self.received)
    }
}

impl<'a> Call<'a, ComponentInteraction> {
    /// Answers the click by updating its message, or with a new ephemeral one.
    pub(super) fn responder(&self, answer: ComponentAnswer) -> Responder<'a> {
        Responder::Component(self.interaction, answer, self.received)
    }
}

/// Acknowledging an interaction failed (it may have reached Discord all the same).
#[derive(Debug)]
pub(super) struct Unacknowledged(pub(super) String);

/// How a component interaction is answered when it is not deferred.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum ComponentAnswer {
    /// Replace the message whose component was used (a conversation's next step).
    UpdateMessage,
    /// A new ephemeral message (a failure's sentence).
    NewMessage,
}

/// The first response must reach Discord within 3 seconds of the interaction; retries
/// stop early enough to leave the last attempt time to arrive.
pub const FIRST_RESPONSE_BUDGET: Duration = Duration::from_millis(2500);
/// An interaction token lasts 15 minutes; edits of a deferred response retry for a
/// bounded while within that.
pub const FOLLOW_UP_BUDGET: Duration = Duration::from_secs(10);

/// Whether a failed call may succeed if repeated: Discord's server errors and rate
/// limits, and connection failures.
fn retryable(e: &serenity::Error) -> bool {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => {
            let s = r.status_code.as_u16();
            s == 429 || (500..=599).contains(&s)
        }
        serenity::Error::Http(HttpError::Request(_)) => true,
        _ => false,
    }
}

/// Why a call to Discord failed.
#[derive(Debug, thiserror::Error)]
pub(super) enum CallError {
    /// [`with_retry`] cut the call off at its deadline: it may have reached Discord.
    #[error("Discord did not answer in time")]
    TimedOut,
    /// Discord refused it, or it could not be sent.
    #[error(transparent)]
    Discord(#[from] serenity::Error),
}

impl CallError {
    /// The Discord error code, if Discord answered with one.
    pub(super) fn code(&self) -> Option<isize> {
        match self {
            CallError::Discord(e) => discord_code(e),
            CallError::TimedOut => None,
        }
    }
}

/// The least time one attempt is given, even past the deadline: a last call (the
/// sentence after a failure) still gets its chance.
pub const MIN_ATTEMPT: Duration = Duration::from_millis(500);

/// Runs `op` until it succeeds, fails for good, or `deadline` would pass, backing off
/// 50 ms, 100 ms, 200 ms, ... between attempts. Each attempt is cut off at the deadline
/// (or after [`MIN_ATTEMPT`]): serenity sets no timeout of its own, and its rate limiter
/// sleeps for whatever `retry-after` Discord names, so a call that never returns would
/// otherwise hold the user's later clicks behind it.
pub(super) async fn with_retry<F, Fut>(
    deadline: Instant,
    what: &str,
    mut op: F,
) -> Result<(), CallError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<(), serenity::Error>>,
{
    let mut delay = Duration::from_millis(50);
    let mut attempt = 1;
    loop {
        let allowed = deadline
            .saturating_duration_since(Instant::now())
            .max(MIN_ATTEMPT);
        let Ok(result) = tokio::time::timeout(allowed, op()).await else {
            tracing::warn!(
                attempt,
                "{what}: Discord did not answer within {allowed:?}; giving up"
            );
            return Err(CallError::TimedOut);
        };
        if let Err(serenity::Error::Http(HttpError::UnsuccessfulRequest(r))) = &result {
            crate::ops::metric::discord_http_failure(r.status_code.as_u16());
        }
        match result {
            Ok(()) => return Ok(()),
            // A call that failed on our side may still have reached Discord: a repeat
            // is then refused as already acknowledged, which means the first worked.
            Err(e) if attempt > 1 && discord_code(&e) == Some(40060) => return Ok(()),
            Err(e) if retryable(&e) && Instant::now() + delay < deadline => {
                tracing::warn!(attempt, error = %e, "{what} failed; retrying in {delay:?}");
                tokio::time::sleep(delay).await;
                delay *= 2;
                attempt += 1;
            }
            Err(e) => return Err(CallError::Discord(e)),
        }
    }
}

/// An edit of a deferred response from a spec. Mentions are always off.
fn edit(spec: &MessageSpec) -> EditInteractionResponse {
    EditInteractionResponse::new()
        .content(spec.content.clone().unwrap_or_default())
        .embeds(embeds(spec))
        .components(rows(spec))
        .allowed_mentions(CreateAllowedMentions::new())
}

impl Responder<'_> {
    /// The edit of the original response, for a responder that makes a new one.
    pub(super) fn as_deferred(self) -> Option<Self> {
        match self {
            Responder::Command(c, t) => Some(Responder::DeferredCommand(c, t)),
            Responder::Component(c, _, t) => Some(Responder::DeferredComponent(c, t)),
            Responder::DeferredCommand(..) | Responder::DeferredComponent(..) => None,
        }
    }

    pub(super) fn interaction_id(self) -> InteractionId {
        match self {
            Responder::Command(c, _) | Responder::DeferredCommand(c, _) => c.id,
            Responder::Component(c, _, _) | Responder::DeferredComponent(c, _) => c.id,
        }
    }

    pub(super) fn deadline(self) -> Instant {
        match self {
            Responder::Command(_, t) | Responder::Component(_, _, t) => t + FIRST_RESPONSE_BUDGET,
            Responder::DeferredCommand(_, t) | Responder::DeferredComponent(_, t) => {
                t + FOLLOW_UP_BUDGET
            }
        }
    }

    /// Acknowledges `what` now to answer later (type 5, ephemeral); returns the
    /// responder that edits that answer.
    pub(super) async fn defer(self, ctx: &Rest, what: &str) -> Result<Self, Unacknowledged> {
        let defer = || {
            CreateInteractionResponse::Defer(
                CreateInteractionResponseMessage::new().ephemeral(true),
            )
        };
        with_retry(self.deadline(), "deferring a response", || async {
            match self {
                Responder::Command(c, _) | Responder::DeferredCommand(c, _) => {
                    reply::first(defer(), |r| c.create_response(&ctx.http, r)).await
                }
                Responder::Component(c, _, _) | Responder::DeferredComponent(c, _) => {
                    reply::first(defer(), |r| c.create_response(&ctx.http, r)).await
                }
            }
        })
        .await
        .map_err(|e| Unacknowledged(format!("acknowledging {what}: {e}")))?;
        Ok(self.as_deferred().unwrap_or(self))
    }

    /// Sends `text` as a notice where nothing is left to do if Discord does not take it:
    /// the failure is logged (as "could not answer `what`"), never returned.
    pub(super) async fn notice_or_log(self, ctx: &Rest, text: String, what: &str) {
        if let Err(e) = self.send(ctx, &spec::notice(text, Vec::new())).await {
            tracing::error!(error = %e, "could not answer {what}");
        }
    }

    pub(super) async fn send(self, ctx: &Rest, spec: &MessageSpec) -> Result<(), CallError> {
        with_retry(self.deadline(), "answering an interaction", || async {
            match self {
                Responder::Command(c, _) => {
                    let r = CreateInteractionResponse::Message(response_message(spec, true));
                    reply::first(r, |r| c.create_response(&ctx.http, r)).await
                }
                Responder::Component(c, ComponentAnswer::UpdateMessage, _) => {
                    let r = CreateInteractionResponse::UpdateMessage(response_message(spec, false));
                    reply::first(r, |r| c.create_response(&ctx.http, r)).await
                }
                Responder::Component(c, ComponentAnswer::NewMessage, _) => {
                    let r = CreateInteractionResponse::Message(response_message(spec, true));
                    reply::first(r, |r| c.create_response(&ctx.http, r)).await
                }
                Responder::DeferredCommand(c, _) => {
                    c.edit_response(&ctx.http, edit(spec)).await.map(drop)
                }
                Responder::DeferredComponent(c, _) => {
                    c.edit_response(&ctx.http, edit(spec)).await.map(drop)
                }
            }
        })
        .await
    }
}
