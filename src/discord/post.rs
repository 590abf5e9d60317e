//! "Post in this channel": the finished card as a public message, once per card (a
//! nonce makes a retry or a second click give back the same message), recorded in the
//! [`Registry`](super::registry::Registry).

use serenity::all::{ComponentInteraction, CreateAllowedMentions, CreateMessage, Message, Nonce};

use super::failure::Failure;
use super::handler::Handler;
use super::registry::PostedCard;
use super::respond::{embeds, rows, with_retry, Call, CallError, ComponentAnswer};
use super::spec;
use crate::conversation::ToPost;
use crate::session::SessionKey;

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

impl Handler {
    /// "Post in this channel": the finished card as a new public message.
    pub(super) async fn post(
        &self,
        call: Call<'_, ComponentInteraction>,
        key: &SessionKey,
        post: ToPost,
    ) -> Result<(), Failure> {
        let (ctx, c, locale) = (call.ctx, call.interaction, call.locale);
        // Acknowledge first: posting is a REST call of its own, and the first response
        // must arrive within 3 seconds whatever Discord's latency.
        let deferred = call
            .responder(ComponentAnswer::NewMessage)
            .defer(ctx, "the post")
            .await?;
        let card = post.card;
        let message = spec::posted_card_message(
            &card,
            self.l10n(),
            locale,
            &self.rules_tag,
            crate::conversation::place_of(&key.scope),
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
                let e = CallError::Discord(serenity::Error::Other("the post returned no message"));
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
}
