//! The floor for `examples/load.rs`: a minimal serenity 0.12.5 bot set up exactly like
//! activation-check (`HttpBuilder` proxy + `ratelimiter_disabled(true)`,
//! `ClientBuilder::new_with_http`, GUILDS intent, tokio's default multi-thread runtime),
//! which answers every interaction with a fixed ephemeral message (commands) or an
//! `UpdateMessage` (components) and keeps no state.
//!
//! So that the load driver can walk "conversations" on it as on the real bot, its buttons
//! look like the bot's (`ac1:a:…` answers, `ac1:r:…` Start over): the depth is carried in
//! the custom_id, and after `FLOOR_DEPTH` answers (default 4) it shows a "card" whose only
//! way on is Start over. `FLOOR_PAD=N` pads its embed to N characters, to compare at the
//! real bot's message sizes.
//!
//! ```text
//! DISCORD_TOKEN=… DISCORD_API_BASE=http://127.0.0.1:PORT cargo run --release --example floor_bot
//! ```

use serenity::all::{
    ButtonStyle, ClientBuilder, Context, CreateActionRow, CreateAllowedMentions, CreateButton,
    CreateEmbed, CreateInteractionResponse, CreateInteractionResponseMessage, EventHandler,
    GatewayIntents, HttpBuilder, Interaction,
};
use serenity::async_trait;

struct Floor {
    depth: u64,
    /// The embed description (`FLOOR_PAD` characters, or a short fixed text).
    text: String,
}

impl Floor {
    /// The message at `step` answers taken: question buttons, or the "card".
    fn message(&self, user: u64, step: u64) -> CreateInteractionResponseMessage {
        let id = |verb: &str, rest: &str| format!("ac1:{verb}:{user}:00000000:{step}{rest}");
        let rows = if step < self.depth {
            vec![
                CreateActionRow::Buttons(
                    (0..3)
                        .map(|i| {
                            CreateButton::new(id("a", &format!(":q{step}:{i}")))
                                .label(format!("Choice {i}"))
                                .style(ButtonStyle::Primary)
                        })
                        .collect(),
                ),
                CreateActionRow::Buttons(vec![CreateButton::new(id("r", ""))
                    .label("Start over")
                    .style(ButtonStyle::Secondary)]),
            ]
        } else {
            vec![CreateActionRow::Buttons(vec![CreateButton::new(id(
                "r", "",
            ))
            .label("Start over")
            .style(ButtonStyle::Secondary)])]
        };
        CreateInteractionResponseMessage::new()
            .content("")
            .embed(
                CreateEmbed::new()
                    .title(if step < self.depth {
                        "Question"
                    } else {
                        "Card"
                    })
                    .description(&self.text)
                    .footer(serenity::all::CreateEmbedFooter::new(format!("{step}"))),
            )
            .components(rows)
            .allowed_mentions(CreateAllowedMentions::new())
    }
}

#[async_trait]
impl EventHandler for Floor {
    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        let result = match &interaction {
            Interaction::Command(c) => {
                let m = self.message(c.user.id.get(), 0).ephemeral(true);
                c.create_response(&ctx.http, CreateInteractionResponse::Message(m))
                    .await
            }
            Interaction::Component(c) => {
                // ac1:<verb>:<owner>:<tag>:<step>[…]: an answer moves one deeper, anything
                // else starts over. No state is read or kept.
                let mut parts = c.data.custom_id.split(':');
                let verb = parts.nth(1).unwrap_or("r");
                let step: u64 = parts.nth(2).and_then(|s| s.parse().ok()).unwrap_or(0);
                let next = if verb == "a" { step + 1 } else { 0 };
                let m = self.message(c.user.id.get(), next);
                c.create_response(&ctx.http, CreateInteractionResponse::UpdateMessage(m))
                    .await
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            eprintln!("floor_bot: answering failed: {e}");
        }
    }
}

#[tokio::main]
async fn main() {
    let token = std::env::var("DISCORD_TOKEN").expect("DISCORD_TOKEN is set");
    let depth = std::env::var("FLOOR_DEPTH")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(4);
    let pad: usize = std::env::var("FLOOR_PAD")
        .ok()
        .and_then(|d| d.parse().ok())
        .unwrap_or(0);
    let text = if pad == 0 {
        "A fixed answer from the floor bot.".to_owned()
    } else {
        "x".repeat(pad.min(4096))
    };
    let mut b = HttpBuilder::new(&token);
    if let Ok(base) = std::env::var("DISCORD_API_BASE") {
        b = b
            .proxy(base.trim_end_matches('/'))
            .ratelimiter_disabled(true);
    }
    let http = b.build();
    let mut client = ClientBuilder::new_with_http(http, GatewayIntents::GUILDS)
        .event_handler(Floor { depth, text })
        .await
        .expect("the client builds");
    if let Err(e) = client.start().await {
        eprintln!("floor_bot: {e}");
        std::process::exit(1);
    }
}
