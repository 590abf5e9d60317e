//! Moderators' pins: "Pin activation answer" (only the bot's own cards, only by a member
//! who may pin in that channel), `/activation-pins` (pinned cards made under older
//! rules), and the registry's pins kept in line with Discord's own pin menu.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serenity::all::{ChannelId, CommandInteraction};

use super::rest::Rest;

use super::failure::Failure;
use super::handler::Handler;
use super::registry::ChannelPins;
use super::respond::{discord_code, with_retry, Call, CallError};
use super::spec;

impl Handler {
    /// "Pin activation answer": pins one of the bot's own posted cards.
    pub(super) async fn pin(&self, call: Call<'_, CommandInteraction>) -> Result<(), Failure> {
        let (ctx, c, locale) = (call.ctx, call.interaction, call.locale);
        let guild = c.guild_id.ok_or(Failure::GuildOnly)?;
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
        let Some(card) = self.registry.get(target).await? else {
            return Err(Failure::NotACard);
        };
        if !authored_by_bot || card.guild_id != Some(guild.get()) {
            return Err(Failure::NotACard);
        }
        let deferred = call.responder().defer(ctx, "the pin").await?;
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
        ctx: &Rest,
        c: &CommandInteraction,
        guild: u64,
        channel: u64,
        deadline: Instant,
    ) -> Result<bool, CallError> {
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
        Ok(permissions.is_some_and(|p| p & super::permissions::PIN_MESSAGES != 0))
    }

    /// `/activation-pins`: pinned cards made under older rules, with links.
    pub(super) async fn list_outdated(
        &self,
        call: Call<'_, CommandInteraction>,
    ) -> Result<(), Failure> {
        let (ctx, c, locale) = (call.ctx, call.interaction, call.locale);
        let guild = c.guild_id.ok_or(Failure::GuildOnly)?;
        // Asking Discord for the channels' pins may take longer than the first answer
        // may wait.
        let deferred = call.responder().defer(ctx, "the list").await?;
        self.sync_pins(ctx, guild.get()).await;
        let rules = &self.conv.rules;
        let current = &rules.meta.version;
        let cards = match self
            .registry
            .outdated_pins(Some(guild.get()), current)
            .await
        {
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
    async fn sync_pins(&self, ctx: &Rest, guild: u64) {
        let channels: BTreeSet<u64> = match self.registry.all().await {
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
