//! The same-size floor for `examples/load.rs`: the minimal serenity 0.12.5 bot of
//! `examples/floor_bot.rs` (same setup, no state), but answering with **exactly the
//! messages activation-check sends**, byte for byte but for the card's generation time and
//! the step: every question and card along every path of the shipped rules, in ja and
//! en-US, laid out by the library's own `spec` and converted by the bot's own
//! `response_message`, all of it prepared once at start.
//!
//! Per click it only reads the button (`ac1:<verb>:<owner>:<tag>:<step>:<place>:<answers>
//! [:<value>]`, by splitting the string), looks up the message for the next state, and
//! sends a copy of it. So the difference between activation-check and this bot is the
//! bot's own work per click (judging the click, the conversation, Fluent, the layout, the
//! store), at the same bytes in and out: the interactions Discord sends carry the message
//! clicked, so they are the same size too.
//!
//! ```text
//! DISCORD_TOKEN=… DISCORD_API_BASE=http://127.0.0.1:PORT cargo run --release --example floor_bot_sized
//! ```

use std::collections::HashMap;
use std::path::Path;

use serenity::all::{
    ClientBuilder, Context, CreateInteractionResponse, CreateInteractionResponseMessage,
    EventHandler, GatewayIntents, HttpBuilder, Interaction,
};
use serenity::async_trait;

use activation_check::card::TimeStyle;
use activation_check::conversation::{view_of, Reply};
use activation_check::custom_id::{rules_tag, Answers, Place};
use activation_check::discord::response_message;
use activation_check::discord::spec::{view_message, Owner};
use activation_check::engine::{Position, Walk};
use activation_check::knowledge;

/// An owner id as long as a real user's, and a step of two digits.
const OWNER: u64 = 930_000_000_000_000_000;
const STEP: u64 = 12;

/// The prepared message of every state, by locale (0: ja, 1: en-US) and the answers'
/// symbols as the button writes them.
struct Sized {
    messages: [HashMap<String, CreateInteractionResponseMessage>; 2],
}

impl Sized {
    fn prepare() -> Self {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let k = knowledge::load(
            &root.join("rules/activation-check.toml"),
            &root.join("i18n"),
            "en-US",
        )
        .expect("the shipped rules and texts load");
        let rules = &*k.rules;
        let tag = rules_tag(&rules.meta.version);
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        let mut messages = [HashMap::new(), HashMap::new()];
        for (i, locale) in ["ja", "en-US"].into_iter().enumerate() {
            let locale = k.l10n.exact(locale).expect("a shipped locale");
            let mut walks = vec![Walk::start(rules)];
            while let Some(walk) = walks.pop() {
                if let Position::Asking(_, q) = walk.position(rules) {
                    for c in 0..q.choices.len() {
                        walks.push(walk.answer(rules, c).expect("every choice leads on"));
                    }
                }
                let answers: Answers = walk.symbols(rules);
                let reply = Reply {
                    step: STEP,
                    answers,
                    locale,
                    view: view_of(rules, &k.l10n, &walk, now, locale, TimeStyle::Discord),
                };
                let owner = Owner::of(OWNER, Place::Server, &tag, &reply);
                let spec = view_message(&reply.view, &k.l10n, locale, &owner);
                let written: String = answers.iter().map(|s| s.char()).collect();
                messages[i].insert(written, response_message(&spec, false));
            }
        }
        Self { messages }
    }

    /// The message after a click on `custom_id` (the first question if it is not an
    /// answer, or the state is unknown).
    fn after(&self, locale: usize, custom_id: &str) -> CreateInteractionResponseMessage {
        let parts: Vec<&str> = custom_id.split(':').collect();
        let next = match (parts.get(1), parts.get(6), parts.get(7)) {
            (Some(&"a"), Some(answers), Some(value)) => format!("{answers}{value}"),
            _ => String::new(),
        };
        self.messages[locale]
            .get(&next)
            .or_else(|| self.messages[locale].get(""))
            .expect("the first question is prepared")
            .clone()
    }
}

#[async_trait]
impl EventHandler for Sized {
    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let result = match &interaction {
            Interaction::Command(c) => {
                let locale = usize::from(c.locale != "ja");
                let m = self.after(locale, "").ephemeral(true);
                c.create_response(&ctx.http, CreateInteractionResponse::Message(m))
                    .await
            }
            Interaction::Component(c) => {
                let locale = usize::from(c.locale != "ja");
                let m = self.after(locale, &c.data.custom_id);
                c.create_response(&ctx.http, CreateInteractionResponse::UpdateMessage(m))
                    .await
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            eprintln!("floor_bot_sized: answering failed: {e}");
        }
    }
}

#[tokio::main]
async fn main() {
    let token = std::env::var("DISCORD_TOKEN").expect("DISCORD_TOKEN is set");
    let sized = Sized::prepare();
    let mut b = HttpBuilder::new(&token);
    if let Ok(base) = std::env::var("DISCORD_API_BASE") {
        b = b
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    let http = b.build();
    let mut client = ClientBuilder::new_with_http(http, GatewayIntents::GUILDS)
        .event_handler(sized)
        .await
        .expect("the client builds");
    if let Err(e) = client.start().await {
        eprintln!("floor_bot_sized: {e}");
        std::process::exit(1);
    }
}
