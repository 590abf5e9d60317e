//! Routing: every gateway event reaches the bot here, and each interaction goes to the
//! function that serves it (a command, a click), guarded so that a panic still answers.
//!
//! Each interaction is handled by one function that returns `Result<(), Failure>`;
//! [`Handler::fail`] is the single place that turns a failure into a localized sentence
//! for the user and a log line for the operator, and it never fails itself (a reply that
//! cannot be sent is logged).

use std::sync::Arc;
use std::time::Instant;

use serenity::all::{
    CommandInteraction, CommandType, ComponentInteraction, Context, Event, Interaction,
    InteractionId, RawEventHandler,
};

use super::endpoint::reply;
use super::rest::Rest;
use serenity::async_trait;

use super::commands;
use super::failure::Failure;
use super::gate::{self, Gates, Seen};
use super::registry::Registry;
use super::respond::{with_retry, Call, ComponentAnswer, Responder, FIRST_RESPONSE_BUDGET};
use super::spec::{self, MessageSpec, Owner};
use crate::card::TimeStyle;
use crate::clock::system_clock;
use crate::conversation::{place_of, Conversation, Reply, View};
use crate::custom_id::rules_tag;
use crate::i18n::{LocaleId, Localizer};
use crate::knowledge::Knowledge;
use crate::ops::metric::{self, Kind, Outcome};
use crate::session::{Scope, SessionKey};
use crate::store::backend::Backend;

pub struct Handler {
    pub(super) conv: Conversation<Backend>,
    pub(super) registry: Registry,
    pub(super) bot_user: u64,
    pub(super) rules_tag: String,
    pub(super) gates: Arc<Gates<SessionKey>>,
    pub(super) seen: Arc<Seen>,
    /// What outlives a reload of the rules and texts (see `reload`).
    pub(super) kept: Arc<super::kept::Kept>,
    /// Negotiated locales by the user's and the server's locale codes.
    pub(super) locales: std::sync::Mutex<
        std::collections::HashMap<String, std::collections::HashMap<String, LocaleId>>,
    >,
}

/// At most this many user locale codes are remembered with their negotiated locale (Discord
/// has about thirty; a forged interaction may send anything).
const LOCALES_REMEMBERED: usize = 256;

pub(super) fn key_for(guild: Option<u64>, user: u64) -> SessionKey {
    match guild {
        Some(g) => SessionKey::new(Scope::Guild(g), user.to_string()),
        None => SessionKey::new(Scope::Dm, user.to_string()),
    }
}

impl Handler {
    /// The handler of one version of the rules and texts; `kept` is what outlives it.
    pub fn new(k: Knowledge, kept: Arc<super::kept::Kept>) -> Self {
        let rules_tag = rules_tag(&k.rules.meta.version);
        let conv = Conversation::new(
            k.rules,
            k.l10n,
            kept.store.clone(),
            system_clock(),
            TimeStyle::Discord,
        );
        Self {
            conv: if kept.store.is_shared() {
                conv.shared()
            } else {
                conv
            },
            registry: kept.registry.clone(),
            bot_user: kept.bot_user,
            rules_tag,
            gates: kept.gates.clone(),
            seen: kept.seen.clone(),
            kept,
            locales: Default::default(),
        }
    }

    /// The one place failures become replies (see [`Failure::tell`]). Never fails.
    pub(super) async fn fail(
        &self,
        ctx: &Rest,
        respond: Responder<'_>,
        locale: LocaleId,
        user: u64,
        failure: Failure,
    ) {
        failure.tell(ctx, respond, self.l10n(), locale, user).await
    }

    pub(super) fn l10n(&self) -> &Localizer {
        &self.conv.l10n
    }

    pub(super) async fn enter(
        &self,
        key: &SessionKey,
    ) -> Result<gate::Pass<'_, SessionKey>, Failure> {
        self.gates.enter(key).await.map_err(Failure::Busy)
    }

    /// The user's locale, then the server's, then the default.
    pub(super) fn locale(&self, user_locale: &str, guild_locale: Option<&str>) -> LocaleId {
        // Discord sends one of a few dozen locale codes: each pair is negotiated once.
        let mut known = self.locales.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&id) = known
            .get(user_locale)
            .and_then(|by_guild| by_guild.get(guild_locale.unwrap_or_default()))
        {
            return id;
        }
        let mut requested = vec![user_locale];
        requested.extend(guild_locale);
        let id = self.l10n().negotiate(&requested);
        if known.len() < LOCALES_REMEMBERED {
            known
                .entry(user_locale.to_owned())
                .or_default()
                .insert(guild_locale.unwrap_or_default().to_owned(), id);
        }
        id
    }

    /// The owner of the buttons showing `reply` to `user` in `key`'s place.
    pub(super) fn owner(&self, user: u64, key: &SessionKey, reply: &Reply) -> Owner {
        Owner::of(user, place_of(&key.scope), &self.rules_tag, reply)
    }

    /// The message showing `reply` to `user`.
    pub(super) fn view_spec(&self, reply: &Reply, user: u64, key: &SessionKey) -> MessageSpec {
        let owner = self.owner(user, key, reply);
        spec::view_message(&reply.view, self.l10n(), reply.locale, &owner)
    }

    async fn on_command(&self, ctx: &Rest, c: &CommandInteraction, received: Instant) -> Outcome {
        let locale = self.locale(&c.locale, c.guild_locale.as_deref());
        let call = Call {
            ctx,
            interaction: c,
            locale,
            received,
        };
        let result = match (c.data.kind, c.data.name.as_str()) {
            (CommandType::ChatInput, commands::ASK) => self.ask(call).await,
            (CommandType::ChatInput, commands::PINS) => self.list_outdated(call).await,
            (CommandType::Message, commands::PIN) => self.pin(call).await,
            (CommandType::ChatInput, commands::STATS) => {
                self.stats_command(call).await;
                Ok(())
            }
            (CommandType::ChatInput, commands::RELOAD) => {
                self.reload_command(call).await;
                Ok(())
            }
            (kind, name) => Err(Failure::Internal(format!(
                "unknown command {name:?} ({kind:?})"
            ))),
        };
        self.outcome(ctx, call.responder(), locale, c.user.id.get(), result)
            .await
    }

    /// What an interaction came to; a failure is told to the user the way `respond` says
    /// (see [`Handler::fail`]).
    async fn outcome(
        &self,
        ctx: &Rest,
        respond: Responder<'_>,
        locale: LocaleId,
        user: u64,
        result: Result<(), Failure>,
    ) -> Outcome {
        let Err(f) = result else {
            return Outcome::Answered;
        };
        let outcome = f.outcome();
        self.fail(ctx, respond, locale, user, f).await;
        outcome
    }

    /// `/activation-check`: offer to continue an unfinished conversation, else start.
    async fn ask(&self, call: Call<'_, CommandInteraction>) -> Result<(), Failure> {
        let (c, locale) = (call.interaction, call.locale);
        let user = c.user.id.get();
        let key = key_for(c.guild_id.map(|g| g.get()), user);
        let _pass = self.enter(&key).await?;
        let opened = self.conv.open(&key, locale).await?;
        if !opened.resumed {
            self.count(&key, locale, &crate::figures::Event::Started);
        }
        let owner = self.owner(user, &key, &opened.reply);
        let spec = match (&opened.reply.view, opened.resumed) {
            (View::Question(q), true) => spec::resume_offer(q, self.l10n(), locale, &owner),
            (view, _) => spec::view_message(view, self.l10n(), locale, &owner),
        };
        // The conversation is saved: if Discord does not take the answer, the user is
        // told where it stands rather than that nothing happened.
        call.responder()
            .send(call.ctx, &spec)
            .await
            .map_err(|e| Failure::NotShown(Box::new(spec), e.to_string()))
    }

    async fn on_component(
        &self,
        ctx: &Rest,
        c: &ComponentInteraction,
        received: Instant,
    ) -> Outcome {
        let call = Call {
            ctx,
            interaction: c,
            locale: self.locale(&c.locale, c.guild_locale.as_deref()),
            received,
        };
        let result = self.component(call).await;
        let respond = call.responder(ComponentAnswer::NewMessage);
        self.outcome(ctx, respond, call.locale, c.user.id.get(), result)
            .await
    }
}

/// Every gateway event reaches the bot here, and only here. serenity 0.12.5 gives an
/// interaction it could not read (a field of an unexpected type or size makes it drop the
/// whole dispatch) only to raw-event handlers, so the bot is one: with an `EventHandler`
/// beside it, serenity would clone every event and spawn a second task for it (and wake a
/// second worker thread), for every click.
#[async_trait]
impl RawEventHandler for Handler {
    async fn raw_event(&self, ctx: Context, event: Event) {
        match event {
            Event::InteractionCreate(e) => self.interaction(Rest::from(&ctx), e.interaction).await,
            Event::Unknown(unknown) if unknown.kind == "INTERACTION_CREATE" => {
                // serenity's own JSON value (serde_json's, or simd_json's when that
                // feature is on), read here as serde_json's.
                let value = serde_json::to_value(&unknown.value).unwrap_or_default();
                self.unreadable(Rest::from(&ctx), &value).await
            }
            Event::Ready(e) => {
                tracing::info!(user = %e.ready.user.name, guilds = e.ready.guilds.len(), "connected to the gateway")
            }
            _ => {}
        }
    }
}

impl Handler {
    pub(crate) async fn interaction(&self, ctx: Rest, interaction: Interaction) {
        let received = Instant::now();
        if !self.seen.first_time(interaction.id().get()) {
            tracing::info!(interaction = %interaction.id(), "ignoring a replayed interaction");
            return;
        }
        let kind = match &interaction {
            Interaction::Command(c) if c.data.kind == CommandType::Message => Kind::MessageCommand,
            Interaction::Command(_) => Kind::Command,
            Interaction::Component(_) => Kind::Component,
            _ => Kind::Other,
        };
        // Counted once the answer is sent (or has finally failed), whichever way it ends.
        let counted = |outcome| {
            metric::interaction(kind, outcome);
            metric::answer_latency(received.elapsed());
        };
        let handled = guard(async {
            match &interaction {
                Interaction::Command(c) => self.on_command(&ctx, c, received).await,
                Interaction::Component(c) => self.on_component(&ctx, c, received).await,
                other => {
                    tracing::debug!(kind = ?other.kind(), "ignoring an interaction of another kind");
                    Outcome::Refused
                }
            }
        })
        .await;
        let panic = match handled {
            Ok(outcome) => return counted(outcome),
            Err(panic) => panic,
        };
        // A bug, not bad input: still answer the user (unless the handler already did).
        tracing::error!(interaction = %interaction.id(), %panic, "the handler panicked; answering with a sentence");
        let (respond, locale) = match &interaction {
            Interaction::Command(c) => (
                Responder::Command(c, received),
                self.locale(&c.locale, c.guild_locale.as_deref()),
            ),
            Interaction::Component(c) => (
                Responder::Component(c, ComponentAnswer::NewMessage, received),
                self.locale(&c.locale, c.guild_locale.as_deref()),
            ),
            _ => return counted(Outcome::Failed),
        };
        let text = self.l10n().text(locale, "error-internal");
        respond.notice_or_log(&ctx, text, "after a panic").await;
        counted(Outcome::Failed);
    }

    /// An interaction serenity could not read: the user still gets a sentence, the
    /// operator a log line, instead of "This interaction failed".
    pub(crate) async fn unreadable(&self, ctx: Rest, v: &serde_json::Value) {
        let id = v["id"]
            .as_str()
            .and_then(|s| s.parse::<u64>().ok())
            .filter(|&i| i != 0);
        let token = v["token"]
            .as_str()
            .filter(|t| !t.is_empty() && t.len() <= 500);
        let (Some(id), Some(token)) = (id, token) else {
            tracing::warn!(
                "an unreadable interaction without a usable id or token; cannot answer it"
            );
            metric::interaction(Kind::Other, Outcome::Failed);
            return;
        };
        let l10n = self.l10n();
        let locale = l10n.negotiate(&[
            v["locale"].as_str().unwrap_or_default(),
            v["guild_locale"].as_str().unwrap_or_default(),
        ]);
        tracing::warn!(
            interaction = id,
            "serenity could not read an interaction; answering with a sentence"
        );
        let body = serde_json::json!({
            "type": 4,
            "data": {
                "content": l10n.text(locale, "error-unreadable"),
                "flags": 64,
                "allowed_mentions": { "parse": [] },
            }
        });
        let deadline = Instant::now() + FIRST_RESPONSE_BUDGET;
        let sent = with_retry(deadline, "answering an unreadable interaction", || {
            reply::first_json(&body, || {
                ctx.http.create_interaction_response(
                    InteractionId::new(id),
                    token,
                    &body,
                    Vec::new(),
                )
            })
        })
        .await;
        if let Err(e) = &sent {
            tracing::error!(interaction = id, error = %e, "could not answer an unreadable interaction");
        }
        metric::interaction(
            Kind::Other,
            if sent.is_ok() {
                Outcome::Refused
            } else {
                Outcome::Failed
            },
        );
    }
}

/// Runs `fut`, turning a panic inside it into an error carrying the panic's message, so
/// one bug costs one interaction a sentence instead of a silent failure.
pub async fn guard<F: std::future::Future>(fut: F) -> Result<F::Output, String> {
    use futures_util::FutureExt;
    std::panic::AssertUnwindSafe(fut)
        .catch_unwind()
        .await
        .map_err(|p| {
            p.downcast_ref::<&str>()
                .map(|s| (*s).to_owned())
                .or_else(|| p.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "a panic without a message".to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_panic_becomes_an_error_with_its_message() {
        assert_eq!(guard(async { 7 }).await, Ok(7));
        let r: Result<(), String> = guard(async { panic!("boom {}", 1) }).await;
        assert_eq!(r, Err("boom 1".to_owned()));
        let r: Result<(), String> = guard(async { panic!("static") }).await;
        assert_eq!(r, Err("static".to_owned()));
    }
}
