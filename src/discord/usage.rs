//! The bot's side of the usage figures: counting what happens (without names), "Did
//! this help?" on the user's own card, "Check my own PC" on a posted card, and
//! `/activation-stats` for moderators.

use std::time::Instant;

use serenity::all::{
    CommandInteraction, ComponentInteraction, CreateAllowedMentions, CreateInteractionResponse,
    CreateInteractionResponseMessage, Permissions,
};

use super::handler::Handler;
use super::respond::{rows, with_retry, Call, ComponentAnswer, Responder, FIRST_RESPONSE_BUDGET};
use super::rest::Rest;
use super::spec::{self, Owner};
use crate::conversation::{place_of, Opened, Reply, View};
use crate::figures::{Event, Filter, Key, Place, Report};
use crate::i18n::{LocaleId, Localizer};
use crate::rules::Rules;
use crate::session::SessionKey;

/// The moderators' usage figures.
impl Handler {
    /// Counts `event` for a conversation in `key`'s place, served in `locale`, under the
    /// running rules, today.
    pub(super) fn count(&self, key: &SessionKey, locale: LocaleId, event: &Event<'_>) {
        let at = Key::new(
            self.conv.now(),
            &self.conv.rules.meta.version,
            self.l10n().tag(locale),
            Place::of(&key.scope),
        );
        self.kept.tally.record(at, event);
    }

    /// Counts a card reached by a click that moved the conversation.
    pub(super) fn count_finished(&self, key: &SessionKey, reply: &Reply) {
        if let View::Card(card) = &reply.view {
            self.count(
                key,
                reply.locale,
                &Event::Finished {
                    outcome: &card.outcome,
                },
            );
        }
    }

    /// The sentence the moderators' commands open with while the knowledge is due for
    /// review (see [`crate::review`]).
    pub(super) fn review_sentence(&self, locale: LocaleId) -> Option<String> {
        crate::review::sentence(&self.conv.rules, self.l10n(), locale, self.conv.now())
    }

    /// "Check my own PC": the clicker's own conversation, as `/activation-check` would
    /// open it, in a new ephemeral message.
    pub(super) async fn own_opened(
        &self,
        ctx: &Rest,
        c: &ComponentInteraction,
        key: &SessionKey,
        opened: Opened,
        received: Instant,
    ) -> Result<(), String> {
        let user = c.user.id.get();
        if !opened.resumed {
            self.count(key, opened.reply.locale, &Event::Started);
        }
        let owner = Owner::of(user, place_of(&key.scope), &self.rules_tag, &opened.reply);
        let l10n = self.l10n();
        let locale = opened.reply.locale;
        let spec = match (&opened.reply.view, opened.resumed) {
            (View::Question(q), true) => spec::resume_offer(q, l10n, locale, &owner),
            (view, _) => spec::view_message(view, l10n, locale, &owner),
        };
        tracing::info!(
            user,
            resumed = opened.resumed,
            "a check started from a posted card"
        );
        Responder::Component(c, ComponentAnswer::NewMessage, received)
            .send(ctx, &spec)
            .await
            .map_err(|e| format!("opening a conversation from a posted card: {e}"))
    }

    /// "Did this help?": counts the vote (once per conversation's card; a change moves
    /// it), and shows it on the card's buttons. The card itself is left as it is.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn voted(
        &self,
        ctx: &Rest,
        c: &ComponentInteraction,
        key: &SessionKey,
        reply: Reply,
        outcome: &str,
        yes: bool,
        before: Option<bool>,
        received: Instant,
    ) -> Result<(), String> {
        let user = c.user.id.get();
        if before != Some(yes) {
            self.count(
                key,
                reply.locale,
                &Event::Vote {
                    outcome,
                    helped: yes,
                    before,
                },
            );
        }
        tracing::info!(
            outcome,
            helped = yes,
            changed = before.is_some(),
            "a card was rated"
        );
        let owner = Owner::of(user, place_of(&key.scope), &self.rules_tag, &reply);
        let l10n = self.l10n();
        let locale = reply.locale;
        let text = l10n.text(
            locale,
            if yes {
                "voted-helped"
            } else {
                "voted-not-helped"
            },
        );
        let buttons = spec::card_rows(l10n, locale, &owner, Some(yes));
        let shown = spec::MessageSpec {
            content: Some(spec::clip(&text, spec::limits::CONTENT_CHARS)),
            embeds: Vec::new(),
            rows: buttons,
        };
        // Content and buttons only: Discord keeps the card's embeds as they are.
        let update = CreateInteractionResponseMessage::new()
            .content(shown.content.clone().unwrap_or_default())
            .components(rows(&shown))
            .allowed_mentions(CreateAllowedMentions::new());
        with_retry(received + FIRST_RESPONSE_BUDGET, "showing a vote", || {
            c.create_response(
                &ctx.http,
                CreateInteractionResponse::UpdateMessage(update.clone()),
            )
        })
        .await
        .map_err(|e| format!("showing a vote: {e}"))
    }

    /// `/activation-stats`: this server's figures, for members with Manage Server or Pin
    /// Messages, ephemeral, in the member's language.
    pub(super) async fn stats_command(&self, call: Call<'_, CommandInteraction>) {
        let (ctx, c, locale) = (call.ctx, call.interaction, call.locale);
        let l10n = self.l10n();
        let respond = call.responder();
        let Some(guild) = c.guild_id else {
            let text = l10n.text(locale, "error-guild-only");
            respond.notice_or_log(ctx, text, "/activation-stats").await;
            return;
        };
        let deferred = match respond.defer(ctx, "the usage figures").await {
            Ok(d) => d,
            Err(_) => respond,
        };
        let manages = c
            .member
            .as_ref()
            .and_then(|m| m.permissions)
            .is_some_and(|p| {
                p.contains(Permissions::ADMINISTRATOR) || p.contains(Permissions::MANAGE_GUILD)
            });
        let allowed = manages
            || self
                .member_may_pin(ctx, c, guild.get(), c.channel_id.get(), deferred.deadline())
                .await
                .unwrap_or_else(|e| {
                    tracing::warn!(error = %e, "could not read the member's permissions for /activation-stats");
                    false
                });
        let text = if !allowed {
            tracing::warn!(
                user = c.user.id.get(),
                "/activation-stats refused: neither Manage Server nor Pin Messages"
            );
            l10n.text(locale, "error-may-not-see-stats")
        } else {
            let filter = Filter {
                place: Some(Place::Guild(guild.get())),
                since: None,
            };
            match self.kept.tally.report(&filter).await {
                Ok(report) => self.stats_text(&report, locale),
                Err(e) => {
                    tracing::error!(error = %e, "could not read the usage figures");
                    l10n.text(locale, "error-internal")
                }
            }
        };
        deferred.notice_or_log(ctx, text, "/activation-stats").await;
    }

    /// [`stats_text`] under the running rules and texts.
    pub fn stats_text(&self, r: &Report, locale: LocaleId) -> String {
        stats_text(
            &self.conv.rules,
            self.l10n(),
            locale,
            r,
            self.review_sentence(locale),
        )
    }
}

/// The figures as one message in `locale`: `review` (the review-by sentence, when due),
/// the totals, the top drop-off question (its text), the least helpful answer (its
/// headline), then each answer's line, as many as fit.
pub fn stats_text(
    rules: &Rules,
    l10n: &Localizer,
    locale: LocaleId,
    r: &Report,
    review: Option<String>,
) -> String {
    let with_review = |text: String| match &review {
        Some(r) => format!("{r}\n\n{text}"),
        None => text,
    };
    let mut head: Vec<String> = Vec::new();
    let (Some(from), Some(to)) = (&r.first_day, &r.last_day) else {
        return with_review(l10n.text(locale, "stats-none"));
    };
    let day = |d: &str| {
        d.parse()
            .map(|d| crate::card::date_text(l10n, locale, d))
            .unwrap_or_else(|_| d.to_owned())
    };
    let question = |id: &str| {
        rules
            .questions()
            .find(|q| q.id == id)
            .map_or_else(|| id.to_owned(), |q| l10n.text(locale, &q.text))
    };
    let answer = |id: &str| {
        rules
            .outcomes()
            .find(|o| o.id == id)
            .map_or_else(|| id.to_owned(), |o| l10n.text(locale, &o.headline))
    };
    let t = &r.totals;
    head.push(l10n.format(
        locale,
        "stats-header",
        &[
            ("from", day(from)),
            ("to", day(to)),
            ("started", t.started.to_string()),
            ("finished", t.finished.to_string()),
            ("abandoned", t.abandoned_total().to_string()),
        ],
    ));
    head.push(match &r.top_drop_off {
        Some((q, n)) => l10n.format(
            locale,
            "stats-top-drop-off",
            &[("question", question(q)), ("count", n.to_string())],
        ),
        None => l10n.text(locale, "stats-no-drop-off"),
    });
    head.push(match &r.least_helpful {
        Some(w) => l10n.format(
            locale,
            "stats-least-helpful",
            &[
                ("answer", answer(&w.outcome)),
                ("yes", w.helped.to_string()),
                ("no", w.not_helped.to_string()),
            ],
        ),
        None => l10n.text(locale, "stats-no-votes"),
    });
    if r.outcomes.is_empty() {
        return with_review(head.join("\n"));
    }
    head.push(l10n.text(locale, "stats-outcomes"));
    let lines: Vec<String> = r
        .outcomes
        .iter()
        .map(|o| {
            l10n.format(
                locale,
                "stats-outcome-line",
                &[
                    ("answer", answer(&o.outcome)),
                    ("reached", o.reached.to_string()),
                    ("posted", o.posted.to_string()),
                    ("pinned", o.pinned.to_string()),
                    ("yes", o.helped.to_string()),
                    ("no", o.not_helped.to_string()),
                ],
            )
        })
        .collect();
    spec::fit_list(with_review(head.join("\n")), &lines, |left| {
        l10n.format(locale, "stats-more", &[("count", left.to_string())])
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::figures::{Counts, Event, Filter, Key, Place};

    #[test]
    fn the_message_names_the_question_given_up_at_and_the_least_helpful_answer() {
        let k = crate::knowledge::load(
            std::path::Path::new("rules/activation-check.toml"),
            std::path::Path::new("i18n"),
            "en-US",
        )
        .unwrap();
        let (rules, l10n) = (&k.rules, &k.l10n);
        let outcome = rules.outcomes().next().unwrap();
        let c: Counts = [
            Event::Started,
            Event::Started,
            Event::Finished {
                outcome: &outcome.id,
            },
            Event::Abandoned {
                question: "lost-origin",
            },
            Event::Vote {
                outcome: &outcome.id,
                helped: false,
                before: None,
            },
        ]
        .into_iter()
        .collect();
        let key = Key::new(1_796_557_000, &rules.meta.version, "ja", Place::Guild(1));
        let report = Report::of([(&key, &c)], &Filter::default());
        let question = rules.question(rules.find("lost-origin").unwrap()).unwrap();
        for tag in ["en-US", "ja"] {
            let locale = l10n.exact(tag).unwrap();
            let text = stats_text(rules, l10n, locale, &report, Some("REVIEW".to_owned()));
            assert!(text.starts_with("REVIEW\n\n"), "{text}");
            assert!(text.contains(&l10n.text(locale, &question.text)), "{text}");
            let headline = l10n.text(locale, &outcome.headline);
            assert!(
                text.contains(&l10n.format(
                    locale,
                    "stats-least-helpful",
                    &[
                        ("answer", headline),
                        ("yes", "0".to_owned()),
                        ("no", "1".to_owned()),
                    ],
                )),
                "{text}"
            );
            assert!(text.chars().count() <= spec::limits::CONTENT_CHARS);
        }
        let none = stats_text(
            rules,
            l10n,
            l10n.exact("ja").unwrap(),
            &Report::default(),
            None,
        );
        assert_eq!(none, l10n.text(l10n.exact("ja").unwrap(), "stats-none"));
    }
}
