//! Interactions in, replies out.
//!
//! Each interaction is handled by one function that returns `Result<(), Failure>`;
//! [`Handler::fail`] is the single place that turns a failure into a localized sentence
//! for the user and a log line for the operator, and it never fails itself (a reply that
//! cannot be sent is logged).

use std::collections::BTreeSet;
use std::sync::Arc;

use serenity::all::{
    ButtonStyle as SButtonStyle, ChannelId, CommandInteraction, CommandType, ComponentInteraction,
    ComponentInteractionDataKind, Context, CreateActionRow, CreateAllowedMentions, CreateButton,
    CreateEmbed, CreateEmbedFooter, CreateInteractionResponse, CreateInteractionResponseMessage,
    CreateMessage, CreateSelectMenu, CreateSelectMenuKind, CreateSelectMenuOption,
    EditInteractionResponse, Event, Interaction, InteractionId, Message, Nonce, RawEventHandler,
};
use serenity::async_trait;
use serenity::http::HttpError;
use std::time::{Duration, Instant};

use super::commands;
use super::gate::{self, Busy, Gates, Seen};
use super::spec::{self, ButtonStyle, Component, MessageSpec, Owner};
use crate::card::TimeStyle;
use crate::conversation::{
    place_of, system_clock, Click, ConvError, Conversation, Reply, Step, ToPost, View,
};
use crate::custom_id::{rules_tag, Action, Answers, CustomId};
use crate::i18n::{LocaleId, Localizer};
use crate::knowledge::Knowledge;
use crate::registry::{ChannelPins, PostedCard, Registry};
use crate::rules::Rules;
use crate::session::{Scope, SessionKey};
use crate::store::SledStore;

pub struct Handler {
    pub(super) conv: Conversation<SledStore>,
    registry: Registry,
    bot_user: u64,
    pub(super) rules_tag: String,
    gates: Arc<Gates<SessionKey>>,
    seen: Arc<Seen>,
    /// What outlives a reload of the rules and texts (see `reload`).
    pub(super) kept: Arc<super::reload::Kept>,
    /// Negotiated locales by the user's and the server's locale codes.
    locales: std::sync::Mutex<
        std::collections::HashMap<String, std::collections::HashMap<String, LocaleId>>,
    >,
}

/// At most this many user locale codes are remembered with their negotiated locale (Discord
/// has about thirty; a forged interaction may send anything).
const LOCALES_REMEMBERED: usize = 256;

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
    CannotPost(serenity::Error),
    /// The target of the pin command is not one of the bot's cards.
    NotACard,
    /// The moderator command was used outside a server.
    GuildOnly,
    /// Discord refused the pin.
    PinRefused(serenity::Error),
    /// The member who asked lacks Pin Messages in the card's channel.
    MayNotPin,
    /// The member's permissions could not be read from Discord.
    PinCheckFailed(serenity::Error),
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

impl From<ConvError> for Failure {
    fn from(e: ConvError) -> Self {
        match e {
            ConvError::Store(s) => s.into(),
            forged @ ConvError::Forged(_) => Failure::BadComponent(forged.to_string()),
        }
    }
}

/// The Discord error code of a failed REST call, if Discord answered with one.
fn discord_code(e: &serenity::Error) -> Option<isize> {
    match e {
        serenity::Error::Http(HttpError::UnsuccessfulRequest(r)) => Some(r.error.code),
        _ => None,
    }
}

fn key_for(guild: Option<u64>, user: u64) -> SessionKey {
    match guild {
        Some(g) => SessionKey::new(Scope::Guild(g), user.to_string()),
        None => SessionKey::new(Scope::Dm, user.to_string()),
    }
}

/// The button of a component interaction, and the position picked in a select menu. The
/// bot makes buttons and string selects only: an id of ours on any other kind of
/// component (or a button id on a select) was not made by this bot.
fn decode(c: &ComponentInteraction) -> Result<(CustomId, Option<usize>), String> {
    let id =
        CustomId::decode(&c.data.custom_id).map_err(|e| format!("{e}: {:?}", c.data.custom_id))?;
    let picked = match (&id.action, &c.data.kind) {
        (Action::Select, ComponentInteractionDataKind::StringSelect { values }) => {
            let picked = values.first().and_then(|v| v.parse::<usize>().ok());
            if picked.is_none() {
                return Err(format!("select without a numeric value: {:?}", c.data.kind));
            }
            picked
        }
        (Action::Select, _) | (_, ComponentInteractionDataKind::StringSelect { .. }) => None,
        (_, ComponentInteractionDataKind::Button) => return Ok((id, None)),
        _ => None,
    };
    match picked {
        Some(_) => Ok((id, picked)),
        None => Err(format!(
            "{:?} on a component of another kind ({:?})",
            c.data.custom_id, c.data.kind
        )),
    }
}

/// The nonce of the post of one card: FNV-1a (64 bit) of the session key, the channel
/// and the step, stable across restarts and within Discord's 25 characters.
fn post_nonce(key: &SessionKey, channel: u64, step: u64) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in format!("{key}/{channel}/{step}").bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    format!("ac{h:016x}")
}

/// serenity's builders for a laid-out message.
fn embeds(spec: &MessageSpec) -> Vec<CreateEmbed> {
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

impl Handler {
    /// The handler of one version of the rules and texts; `kept` is what outlives it.
    pub fn new(k: Knowledge, kept: Arc<super::reload::Kept>) -> Self {
        let rules_tag = rules_tag(&k.rules.meta.version);
        Self {
            conv: Conversation::new(
                k.rules,
                k.l10n,
                kept.store.clone(),
                system_clock(),
                TimeStyle::Discord,
            ),
            registry: kept.registry.clone(),
            bot_user: kept.bot_user,
            rules_tag,
            gates: kept.gates.clone(),
            seen: kept.seen.clone(),
            kept,
            locales: Default::default(),
        }
    }

    pub(super) fn l10n(&self) -> &Localizer {
        &self.conv.l10n
    }

    async fn enter(&self, key: &SessionKey) -> Result<gate::Pass<'_, SessionKey>, Failure> {
        self.gates.enter(key).await.map_err(Failure::Busy)
    }

    /// The user's locale, then the server's, then the default.
    fn locale(&self, user_locale: &str, guild_locale: Option<&str>) -> LocaleId {
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
    fn owner(&self, user: u64, key: &SessionKey, reply: &Reply) -> Owner {
        Owner::of(user, place_of(&key.scope), &self.rules_tag, reply)
    }

    /// The message showing `reply` to `user`.
    fn view_spec(&self, reply: &Reply, user: u64, key: &SessionKey) -> MessageSpec {
        let owner = self.owner(user, key, reply);
        spec::view_message(&reply.view, self.l10n(), reply.locale, &owner)
    }

    /// The one place failures become replies: one log line for the operator, and the
    /// localized sentence sent the way `respond` says (a new ephemeral message, or an
    /// edit of a deferred response). Never fails.
    async fn fail(
        &self,
        ctx: &Context,
        respond: Responder<'_>,
        locale: LocaleId,
        user: u64,
        failure: Failure,
    ) {
        let l10n = self.l10n();
        let (id, detail) = match &failure {
            Failure::BadComponent(d) => ("error-bad-component", d.clone()),
            Failure::NotYours => ("error-not-yours", String::new()),
            Failure::Save(e) => ("error-save", e.to_string()),
            Failure::CannotPost(e) if timed_out(e) => ("error-discord-slow", e.to_string()),
            Failure::CannotPost(e) => ("error-cannot-post", e.to_string()),
            Failure::NotACard => ("error-not-a-card", String::new()),
            Failure::GuildOnly => ("error-guild-only", String::new()),
            Failure::PinRefused(e) if timed_out(e) => ("error-discord-slow", e.to_string()),
            Failure::PinRefused(e) => (
                match discord_code(e) {
                    Some(50013) => "error-pin-permission",
                    Some(30003) => "error-pin-limit",
                    Some(10008) => "error-pin-unknown-message",
                    _ => "error-pin-failed",
                },
                e.to_string(),
            ),
            Failure::MayNotPin => ("error-member-cannot-pin", String::new()),
            Failure::PinCheckFailed(e) if timed_out(e) => ("error-discord-slow", e.to_string()),
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
            if discord_code(e) == Some(40060) {
                sent = deferred.send(ctx, &spec).await;
            }
        }
        if let Err(e) = sent {
            tracing::error!(user, error = %e, "could not even tell the user about a failure");
        }
    }

    async fn on_command(&self, ctx: &Context, c: &CommandInteraction, received: Instant) {
        let user = c.user.id.get();
        let locale = self.locale(&c.locale, c.guild_locale.as_deref());
        let result = match (c.data.kind, c.data.name.as_str()) {
            (CommandType::ChatInput, commands::ASK) => self.ask(ctx, c, locale, received).await,
            (CommandType::ChatInput, commands::PINS) => {
                self.list_outdated(ctx, c, locale, received).await
            }
            (CommandType::Message, commands::PIN) => self.pin(ctx, c, locale, received).await,
            (CommandType::ChatInput, super::usage::STATS) => {
                self.stats_command(ctx, c, locale, received).await;
                Ok(())
            }
            (CommandType::ChatInput, super::reload::RELOAD) => {
                self.reload_command(ctx, c, locale, received).await;
                Ok(())
            }
            (kind, name) => Err(Failure::Internal(format!(
                "unknown command {name:?} ({kind:?})"
            ))),
        };
        if let Err(f) = result {
            let respond = Responder::Command(c, received);
            self.fail(ctx, respond, locale, user, f).await;
        }
    }

    /// `/activation-check`: offer to continue an unfinished conversation, else start.
    async fn ask(
        &self,
        ctx: &Context,
        c: &CommandInteraction,
        locale: LocaleId,
        received: Instant,
    ) -> Result<(), Failure> {
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
        Responder::Command(c, received)
            .send(ctx, &spec)
            .await
            .map_err(|e| Failure::NotShown(Box::new(spec), e.to_string()))
    }

    async fn on_component(&self, ctx: &Context, c: &ComponentInteraction, received: Instant) {
        let user = c.user.id.get();
        let locale = self.locale(&c.locale, c.guild_locale.as_deref());
        if let Err(f) = self.component(ctx, c, locale, received).await {
            self.fail(
                ctx,
                Responder::Component(c, false, received),
                locale,
                user,
                f,
            )
            .await;
        }
    }

    /// One click: decode, gate, the conversation's judgement, render, respond. The store
    /// is not read here, and the conversation is entered once.
    async fn component(
        &self,
        ctx: &Context,
        c: &ComponentInteraction,
        locale: LocaleId,
        received: Instant,
    ) -> Result<(), Failure> {
        let user = c.user.id.get();
        let (id, picked) = decode(c).map_err(Failure::BadComponent)?;
        let key = key_for(c.guild_id.map(|g| g.get()), user);
        let _pass = self.enter(&key).await?;
        let step = self
            .conv
            .click(Click {
                key: &key,
                clicker: user,
                locale,
                id: &id,
                picked,
            })
            .await?;
        let l10n = self.l10n();
        let show = |reply: &Reply| self.view_spec(reply, user, &key);
        let (spec, changed) = match step {
            Step::Moved(reply) => {
                self.count_finished(&key, &reply);
                (show(&reply), true)
            }
            Step::Repeated(reply) => (show(&reply), true),
            Step::Shown(reply) => (show(&reply), false),
            Step::Outdated(reply) | Step::AtFirst(reply) => {
                tracing::info!(
                    user,
                    step = id.step,
                    now = reply.step,
                    "click on an outdated message"
                );
                let mut spec = show(&reply);
                spec.content = Some(l10n.text(locale, "outdated-click"));
                (spec, false)
            }
            Step::Updated { reply, dropped } => {
                self.count_finished(&key, &reply);
                tracing::info!(
                    user,
                    tag = %id.rules_tag,
                    dropped = dropped.len(),
                    "a button made under other rules; its answers carried into the running ones"
                );
                let mut spec = show(&reply);
                spec.content = Some(self.updated_sentence(locale, &dropped));
                (spec, true)
            }
            Step::Post(post) => return self.post(ctx, c, &key, post, locale, received).await,
            Step::Forgotten { removed } => {
                tracing::info!(user, removed, "user deleted their session");
                let text = l10n.text(locale, "forgotten");
                (spec::notice(text, Vec::new()), true)
            }
            Step::Gone => {
                tracing::info!(
                    user,
                    "click on a conversation that was deleted or is not here"
                );
                let owner = spec::Owner {
                    user,
                    place: place_of(&key.scope),
                    rules_tag: self.rules_tag.clone(),
                    step: id.step,
                    answers: Answers::new(),
                };
                let text = l10n.text(locale, "stale-session");
                (spec::start_again(text, l10n, locale, &owner), false)
            }
            Step::NotYours => return Err(Failure::NotYours),
            Step::Opened(opened) => {
                return self
                    .own_opened(ctx, c, &key, opened, received)
                    .await
                    .map_err(Failure::Internal);
            }
            Step::Voted {
                reply,
                outcome,
                yes,
                before,
            } => {
                return self
                    .voted(ctx, c, &key, reply, &outcome, yes, before, received)
                    .await
                    .map_err(Failure::Internal);
            }
        };
        match Responder::Component(c, true, received)
            .send(ctx, &spec)
            .await
        {
            Ok(()) => Ok(()),
            // The conversation moved: the user is told where it stands, not that nothing
            // happened.
            Err(e) if changed => Err(Failure::NotShown(Box::new(spec), e.to_string())),
            Err(e) => Err(Failure::Internal(format!("updating the message: {e}"))),
        }
    }

    /// The sentence above a conversation carried over from older rules.
    fn updated_sentence(&self, locale: LocaleId, dropped: &[(&str, &str)]) -> String {
        let l10n = self.l10n();
        if dropped.is_empty() {
            return l10n.text(locale, "rules-updated");
        }
        let names: Vec<String> = dropped
            .iter()
            .map(|(fact, value)| {
                // The value's own label while the texts still have it; else its name.
                let label = Rules::default_label(fact, value);
                if l10n.messages(locale).contains_key(&label) {
                    l10n.text(locale, &label)
                } else {
                    format!("{fact} = {value}")
                }
            })
            .collect();
        l10n.format(
            locale,
            "rules-updated-dropped",
            &[("dropped", names.join(", "))],
        )
    }

    /// "Post in this channel": the finished card as a new public message.
    async fn post(
        &self,
        ctx: &Context,
        c: &ComponentInteraction,
        key: &SessionKey,
        post: ToPost,
        locale: LocaleId,
        received: Instant,
    ) -> Result<(), Failure> {
        // Acknowledge first: posting is a REST call of its own, and the first response
        // must arrive within 3 seconds whatever Discord's latency.
        let deferred = Responder::Component(c, false, received)
            .defer(ctx, "the post")
            .await?;
        let card = post.card;
        let message = spec::posted_card_message(
            &card,
            self.l10n(),
            locale,
            &self.rules_tag,
            place_of(&key.scope),
        );
        // One nonce per card (user, place, channel and step), with `enforce_nonce`: a
        // retry after a server error or a lost answer, a double click, or a click again
        // after the bot restarted, gets back the message Discord already made instead of
        // a second card.
        let nonce = post_nonce(key, c.channel_id.get(), post.step);
        let sent = std::sync::Mutex::new(None::<Message>);
        let posted = with_retry(deferred.deadline(), "posting a card", || {
            let create = CreateMessage::new()
                .embeds(embeds(&message))
                .components(rows(&message))
                .allowed_mentions(CreateAllowedMentions::new())
                .nonce(Nonce::String(nonce.clone()))
                .enforce_nonce(true);
            let sent = &sent;
            async move {
                let m = c.channel_id.send_message(&ctx.http, create).await?;
                *sent.lock().unwrap_or_else(|e| e.into_inner()) = Some(m);
                Ok(())
            }
        })
        .await;
        let sent = posted.map(|()| sent.into_inner().unwrap_or_else(|e| e.into_inner()));
        let user = c.user.id.get();
        let sent = match sent {
            Ok(Some(m)) => m,
            Ok(None) => {
                let e = serenity::Error::Other("the post returned no message");
                self.fail(ctx, deferred, locale, user, Failure::CannotPost(e))
                    .await;
                return Ok(());
            }
            Err(e) => {
                self.fail(ctx, deferred, locale, user, Failure::CannotPost(e))
                    .await;
                return Ok(());
            }
        };
        let posted = PostedCard {
            guild_id: c.guild_id.map(|g| g.get()),
            channel_id: c.channel_id.get(),
            message_id: sent.id.get(),
            outcome: card.outcome.clone(),
            verdict: card.verdict.as_str().to_owned(),
            locale: card.locale.clone(),
            rules_version: card.rules_version.clone(),
            generated_at: card.generated_at,
            posted_at: self.conv.now(),
            pin: None,
        };
        self.count(
            key,
            locale,
            &crate::figures::Event::Posted {
                outcome: &card.outcome,
            },
        );
        if let Err(e) = self.registry.record_post(&posted).await {
            // The card is public; only the registry entry is missing.
            tracing::error!(message = posted.message_id, error = %e, "posted a card but could not record it");
        }
        tracing::info!(
            channel = posted.channel_id,
            message = posted.message_id,
            verdict = %posted.verdict,
            "posted a card"
        );
        let text = self
            .l10n()
            .format(locale, "posted", &[("link", posted.link())]);
        deferred
            .send(ctx, &spec::notice(text, Vec::new()))
            .await
            .map_err(|e| Failure::Internal(format!("confirming the post: {e}")))
    }

    /// "Pin activation answer": pins one of the bot's own posted cards.
    async fn pin(
        &self,
        ctx: &Context,
        c: &CommandInteraction,
        locale: LocaleId,
        received: Instant,
    ) -> Result<(), Failure> {
        let Some(guild) = c.guild_id else {
            return Err(Failure::GuildOnly);
        };
        let Some(target) = c.data.target_id.map(|t| t.get()) else {
            return Err(Failure::NotACard);
        };
        // Only messages this bot posted as cards: both its registry and Discord's record
        // of the author must agree, so a forged interaction naming another message fails.
        let authored_by_bot = c
            .data
            .resolved
            .messages
            .get(&target.into())
            .is_some_and(|m| m.author.id.get() == self.bot_user);
        let Some(card) = self.registry.get(target)? else {
            return Err(Failure::NotACard);
        };
        if !authored_by_bot || card.guild_id != Some(guild.get()) {
            return Err(Failure::NotACard);
        }
        let deferred = Responder::Command(c, received)
            .defer(ctx, "the pin")
            .await?;
        let user = c.user.id.get();
        // Discord offers the command to members with Pin Messages by default, but a
        // server admin may open it to anyone: the member must be able to pin here
        // themselves, or the bot would pin with its own permission.
        let refused = match self
            .member_may_pin(ctx, c, guild.get(), card.channel_id, deferred.deadline())
            .await
        {
            Ok(true) => None,
            Ok(false) => Some(Failure::MayNotPin),
            Err(e) => Some(Failure::PinCheckFailed(e)),
        };
        if let Some(f) = refused {
            self.fail(ctx, deferred, locale, user, f).await;
            return Ok(());
        }
        // Pinning a pinned message changes nothing, so a failed pin may be repeated.
        let pinned = with_retry(deferred.deadline(), "pinning a card", || {
            ChannelId::new(card.channel_id).pin(&ctx.http, target)
        })
        .await;
        if let Err(e) = pinned {
            self.fail(ctx, deferred, locale, user, Failure::PinRefused(e))
                .await;
            return Ok(());
        }
        if let Err(e) = self
            .registry
            .mark_pinned(target, user, self.conv.now())
            .await
        {
            tracing::error!(message = target, error = %e, "pinned a card but could not record it");
        }
        tracing::info!(message = target, moderator = user, "pinned a card");
        let at = crate::figures::Key::new(
            self.conv.now(),
            &card.rules_version,
            &card.locale,
            crate::figures::Place::Guild(guild.get()),
        );
        self.kept.tally.record(
            at,
            &crate::figures::Event::Pinned {
                outcome: &card.outcome,
            },
        );
        deferred
            .send(
                ctx,
                &spec::notice(self.l10n().text(locale, "pinned"), Vec::new()),
            )
            .await
            .map_err(|e| Failure::Internal(format!("confirming the pin: {e}")))
    }

    /// Whether the member behind `c` has Pin Messages in `channel` (or is the owner or
    /// an administrator). serenity drops PIN_MESSAGES from the interaction's
    /// `member.permissions`, so beyond ADMINISTRATOR (which it keeps) the permissions
    /// are computed from the guild's roles and the channel's overwrites as raw JSON
    /// ([`super::permissions`]).
    pub(super) async fn member_may_pin(
        &self,
        ctx: &Context,
        c: &CommandInteraction,
        guild: u64,
        channel: u64,
        deadline: Instant,
    ) -> Result<bool, serenity::Error> {
        use serenity::http::{LightMethod, Request, Route};
        let Some(member) = &c.member else {
            return Ok(false);
        };
        if member
            .permissions
            .is_some_and(|p| p.contains(serenity::all::Permissions::ADMINISTRATOR))
        {
            return Ok(true);
        }
        let fetch = |route: Route<'static>| {
            let got = std::sync::Mutex::new(serde_json::Value::Null);
            async move {
                with_retry(deadline, "reading permissions", || async {
                    let v: serde_json::Value =
                        ctx.http.fire(Request::new(route, LightMethod::Get)).await?;
                    *got.lock().unwrap_or_else(|e| e.into_inner()) = v;
                    Ok(())
                })
                .await
                .map(|()| got.into_inner().unwrap_or_else(|e| e.into_inner()))
            }
        };
        let guild_json = fetch(Route::Guild {
            guild_id: guild.into(),
        })
        .await?;
        let mut channel_json = fetch(Route::Channel {
            channel_id: channel.into(),
        })
        .await?;
        if super::permissions::is_thread(&channel_json) {
            if let Some(parent) = channel_json["parent_id"]
                .as_str()
                .and_then(|p| p.parse::<u64>().ok())
            {
                channel_json = fetch(Route::Channel {
                    channel_id: parent.into(),
                })
                .await?;
            }
        }
        let now = serenity::all::Timestamp::now();
        let asker = super::permissions::Asker {
            user: c.user.id.get(),
            roles: member.roles.iter().map(|r| r.get()).collect(),
            timed_out: member
                .communication_disabled_until
                .is_some_and(|until| until > now),
        };
        let permissions = super::permissions::in_channel(&guild_json, &channel_json, &asker);
        if permissions.is_none() {
            tracing::warn!(guild, "the guild object lacks its roles; refusing the pin");
        }
        Ok(permissions.is_some_and(|p| p & super::PIN_MESSAGES != 0))
    }

    /// `/activation-pins`: pinned cards made under older rules, with links.
    async fn list_outdated(
        &self,
        ctx: &Context,
        c: &CommandInteraction,
        locale: LocaleId,
        received: Instant,
    ) -> Result<(), Failure> {
        let Some(guild) = c.guild_id else {
            return Err(Failure::GuildOnly);
        };
        // Asking Discord for the channels' pins may take longer than the first answer
        // may wait.
        let deferred = Responder::Command(c, received)
            .defer(ctx, "the list")
            .await?;
        self.sync_pins(ctx, guild.get()).await;
        let rules = &self.conv.rules;
        let current = &rules.meta.version;
        let cards = match self.registry.outdated_pins(Some(guild.get()), current) {
            Ok(cards) => cards,
            Err(e) => {
                let user = c.user.id.get();
                self.fail(ctx, deferred, locale, user, Failure::from(e))
                    .await;
                return Ok(());
            }
        };
        let l10n = self.l10n();
        let review = self.review_sentence(locale);
        let text = if cards.is_empty() {
            let none = l10n.format(locale, "outdated-none", &[("version", current.clone())]);
            review.map_or(none.clone(), |r| format!("{r}\n\n{none}"))
        } else {
            let header = l10n.format(
                locale,
                "outdated-header",
                &[
                    ("count", cards.len().to_string()),
                    ("version", current.clone()),
                ],
            );
            let header = review.map_or(header.clone(), |r| format!("{r}\n\n{header}"));
            let lines: Vec<String> = cards
                .iter()
                .map(|card| {
                    // The answer in the moderator's language, while the running rules
                    // still have that outcome; else its verdict's name.
                    let answer = rules
                        .outcomes()
                        .find(|o| o.id == card.outcome)
                        .map_or_else(|| card.verdict.clone(), |o| l10n.text(locale, &o.headline));
                    let mut args = vec![
                        ("link", card.link()),
                        ("version", card.rules_version.clone()),
                        ("answer", answer),
                    ];
                    let at = card.pin.as_ref().map_or(0, |p| p.at);
                    match card.pin.as_ref().and_then(|p| p.by) {
                        Some(by) => {
                            args.push(("pinner", format!("<@{by}>")));
                            args.push(("pinned_at", format!("<t:{at}:f>")));
                            l10n.format(locale, "outdated-line", &args)
                        }
                        // Pinned in Discord's own menu: who is unknown, and the time is
                        // when the bot first saw it.
                        None => {
                            args.push(("seen", format!("<t:{at}:f>")));
                            l10n.format(locale, "outdated-line-menu", &args)
                        }
                    }
                })
                .collect();
            spec::fit_list(header, &lines, |left| {
                l10n.format(locale, "outdated-more", &[("count", left.to_string())])
            })
        };
        deferred
            .send(ctx, &spec::notice(text, Vec::new()))
            .await
            .map_err(|e| Failure::Internal(format!("sending the list: {e}")))
    }

    /// Brings the registry's pins for `guild` in line with what Discord lists for each
    /// channel holding one of the bot's cards: moderators also pin and unpin in
    /// Discord's own menu. A channel whose pins cannot be read keeps what the registry
    /// knows, with a warning in the log.
    async fn sync_pins(&self, ctx: &Context, guild: u64) {
        let channels: BTreeSet<u64> = match self.registry.all() {
            Ok(cards) => cards
                .iter()
                .filter(|c| c.guild_id == Some(guild))
                .map(|c| c.channel_id)
                .collect(),
            Err(e) => {
                tracing::warn!(error = %e, "could not read the registry to check pins");
                return;
            }
        };
        let asked_at = self.conv.now();
        let until = Instant::now() + PIN_SYNC_BUDGET;
        let mut lists = Vec::new();
        for channel in channels {
            let left = until.saturating_duration_since(Instant::now());
            let read = tokio::time::timeout(left, ChannelId::new(channel).pins(&ctx.http)).await;
            match read {
                Ok(Ok(pins)) => lists.push(ChannelPins {
                    channel_id: channel,
                    complete: pins.len() < LEGACY_PINS_LISTED,
                    pinned: pins.iter().map(|m| m.id.get()).collect(),
                }),
                // The channel is gone, and its pins with it.
                Ok(Err(e)) if discord_code(&e) == Some(10003) => lists.push(ChannelPins {
                    channel_id: channel,
                    complete: true,
                    pinned: Vec::new(),
                }),
                Ok(Err(e)) => {
                    tracing::warn!(channel, error = %e, "could not read the channel's pins; listing what the bot recorded")
                }
                Err(_) => {
                    tracing::warn!(
                        channel,
                        "reading pins took too long; listing what the bot recorded for the rest"
                    );
                    break;
                }
            }
        }
        match self.registry.sync_pins(&lists, asked_at).await {
            Ok(0) => {}
            Ok(n) => tracing::info!(changed = n, "pins changed in Discord"),
            Err(e) => tracing::warn!(error = %e, "could not record the channels' pins"),
        }
    }
}

/// How long `/activation-pins` spends reading channels' pins before it lists what the
/// bot recorded for the channels not read: well within the deferred response's budget.
const PIN_SYNC_BUDGET: Duration = Duration::from_secs(4);

/// The most pins `ChannelId::pins` (serenity 0.12.5 calls Discord's deprecated
/// `GET /channels/{id}/pins`) is taken to list: the 50 newest, as the paginated
/// endpoint's page. A list this long may be cut off, so pins missing from it are not
/// taken as unpinned.
const LEGACY_PINS_LISTED: usize = 50;

/// How to answer an interaction; every variant carries when it was received, which
/// sets how long a failed call may be retried.
#[derive(Clone, Copy)]
pub(super) enum Responder<'a> {
    /// A new ephemeral message in response to a command.
    Command(&'a CommandInteraction, Instant),
    /// In response to a component: replace its message (`true`) or send a new
    /// ephemeral message (`false`).
    Component(&'a ComponentInteraction, bool, Instant),
    /// Edit the deferred original response of a command or a component.
    DeferredCommand(&'a CommandInteraction, Instant),
    DeferredComponent(&'a ComponentInteraction, Instant),
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

/// The error of a call [`with_retry`] cut off at its deadline.
const TIMED_OUT: &str = "Discord did not answer in time";

/// Whether `e` is a call cut off at its deadline: it may have reached Discord.
fn timed_out(e: &serenity::Error) -> bool {
    matches!(e, serenity::Error::Other(m) if *m == TIMED_OUT)
}

/// The least time one attempt is given, even past the deadline: a last call (the
/// sentence after a failure) still gets its chance.
pub const MIN_ATTEMPT: Duration = Duration::from_millis(500);

/// Runs `op` until it succeeds, fails for good, or `deadline` would pass, backing off
/// 50 ms, 100 ms, 200 ms, ... between attempts. Each attempt is cut off at the deadline
/// (or after [`MIN_ATTEMPT`]): serenity sets no timeout of its own, and its rate limiter
/// sleeps for whatever `retry-after` Discord names, so a call that never returns would
/// otherwise hold the user's later clicks behind it.
pub async fn with_retry<F, Fut>(
    deadline: Instant,
    what: &str,
    mut op: F,
) -> Result<(), serenity::Error>
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
            return Err(serenity::Error::Other(TIMED_OUT));
        };
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
            Err(e) => return Err(e),
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
    fn as_deferred(self) -> Option<Self> {
        match self {
            Responder::Command(c, t) => Some(Responder::DeferredCommand(c, t)),
            Responder::Component(c, _, t) => Some(Responder::DeferredComponent(c, t)),
            Responder::DeferredCommand(..) | Responder::DeferredComponent(..) => None,
        }
    }

    fn interaction_id(self) -> InteractionId {
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
    pub(super) async fn defer(self, ctx: &Context, what: &str) -> Result<Self, Failure> {
        let defer = || {
            CreateInteractionResponse::Defer(
                CreateInteractionResponseMessage::new().ephemeral(true),
            )
        };
        with_retry(self.deadline(), "deferring a response", || async {
            match self {
                Responder::Command(c, _) | Responder::DeferredCommand(c, _) => {
                    c.create_response(&ctx.http, defer()).await
                }
                Responder::Component(c, _, _) | Responder::DeferredComponent(c, _) => {
                    c.create_response(&ctx.http, defer()).await
                }
            }
        })
        .await
        .map_err(|e| Failure::Unacknowledged(format!("acknowledging {what}: {e}")))?;
        Ok(self.as_deferred().unwrap_or(self))
    }

    pub(super) async fn send(
        self,
        ctx: &Context,
        spec: &MessageSpec,
    ) -> Result<(), serenity::Error> {
        with_retry(self.deadline(), "answering an interaction", || async {
            match self {
                Responder::Command(c, _) => {
                    c.create_response(
                        &ctx.http,
                        CreateInteractionResponse::Message(response_message(spec, true)),
                    )
                    .await
                }
                Responder::Component(c, true, _) => {
                    c.create_response(
                        &ctx.http,
                        CreateInteractionResponse::UpdateMessage(response_message(spec, false)),
                    )
                    .await
                }
                Responder::Component(c, false, _) => {
                    c.create_response(
                        &ctx.http,
                        CreateInteractionResponse::Message(response_message(spec, true)),
                    )
                    .await
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

/// Every gateway event reaches the bot here, and only here. serenity 0.12.5 gives an
/// interaction it could not read (a field of an unexpected type or size makes it drop the
/// whole dispatch) only to raw-event handlers, so the bot is one: with an `EventHandler`
/// beside it, serenity would clone every event and spawn a second task for it (and wake a
/// second worker thread), for every click.
#[async_trait]
impl RawEventHandler for Handler {
    async fn raw_event(&self, ctx: Context, event: Event) {
        match event {
            Event::InteractionCreate(e) => self.interaction(ctx, e.interaction).await,
            Event::Unknown(unknown) if unknown.kind == "INTERACTION_CREATE" => {
                // serenity's own JSON value (serde_json's, or simd_json's when that
                // feature is on), read here as serde_json's.
                let value = serde_json::to_value(&unknown.value).unwrap_or_default();
                self.unreadable(ctx, &value).await
            }
            Event::Ready(e) => {
                tracing::info!(user = %e.ready.user.name, guilds = e.ready.guilds.len(), "connected to the gateway")
            }
            _ => {}
        }
    }
}

impl Handler {
    async fn interaction(&self, ctx: Context, interaction: Interaction) {
        let received = Instant::now();
        if !self.seen.first_time(interaction.id().get()) {
            tracing::info!(interaction = %interaction.id(), "ignoring a replayed interaction");
            return;
        }
        let handled = guard(async {
            match &interaction {
                Interaction::Command(c) => self.on_command(&ctx, c, received).await,
                Interaction::Component(c) => self.on_component(&ctx, c, received).await,
                other => {
                    tracing::debug!(kind = ?other.kind(), "ignoring an interaction of another kind")
                }
            }
        })
        .await;
        let Err(panic) = handled else {
            return;
        };
        // A bug, not bad input: still answer the user (unless the handler already did).
        tracing::error!(interaction = %interaction.id(), %panic, "the handler panicked; answering with a sentence");
        let (respond, locale) = match &interaction {
            Interaction::Command(c) => (
                Responder::Command(c, received),
                self.locale(&c.locale, c.guild_locale.as_deref()),
            ),
            Interaction::Component(c) => (
                Responder::Component(c, false, received),
                self.locale(&c.locale, c.guild_locale.as_deref()),
            ),
            _ => return,
        };
        let text = self.l10n().text(locale, "error-internal");
        if let Err(e) = respond.send(&ctx, &spec::notice(text, Vec::new())).await {
            tracing::error!(error = %e, "could not answer after a panic");
        }
    }

    /// An interaction serenity could not read: the user still gets a sentence, the
    /// operator a log line, instead of "This interaction failed".
    async fn unreadable(&self, ctx: Context, v: &serde_json::Value) {
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
            ctx.http
                .create_interaction_response(InteractionId::new(id), token, &body, Vec::new())
        })
        .await;
        if let Err(e) = sent {
            tracing::error!(interaction = id, error = %e, "could not answer an unreadable interaction");
        }
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
