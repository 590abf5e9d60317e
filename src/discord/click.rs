//! One click: the component interaction decoded into the button the bot made, the
//! conversation's judgement of it, and the message that answers it.

use serenity::all::{ComponentInteraction, ComponentInteractionDataKind};

use super::failure::Failure;
use super::handler::{key_for, Handler};
use super::respond::{Call, ComponentAnswer};
use super::spec;
use crate::conversation::{place_of, Click, Reply, Step};
use crate::custom_id::{Action, Answers, CustomId};
use crate::i18n::LocaleId;
use crate::rules::Rules;

/// The button of a component interaction, and the position picked in a select menu. The
/// bot makes buttons and string selects only: an id of ours on any other kind of
/// component (or a button id on a select) was not made by this bot.
pub(super) fn decode(c: &ComponentInteraction) -> Result<(CustomId, Option<usize>), String> {
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

impl Handler {
    /// One click: decode, gate, the conversation's judgement, render, respond. The store
    /// is not read here, and the conversation is entered once.
    pub(super) async fn component(
        &self,
        call: Call<'_, ComponentInteraction>,
    ) -> Result<(), Failure> {
        let (ctx, c, locale) = (call.ctx, call.interaction, call.locale);
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
            Step::Post(post) => return self.post(call, &key, post).await,
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
                    .own_opened(ctx, c, &key, opened, call.received)
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
                    .voted(ctx, c, &key, reply, &outcome, yes, before, call.received)
                    .await
                    .map_err(Failure::Internal);
            }
        };
        match call
            .responder(ComponentAnswer::UpdateMessage)
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
}
