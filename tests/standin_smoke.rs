//! Proof that the real serenity 0.12.5 client works against the Discord stand-in:
//! READY, every interaction kind, the 3-second rule, validation, permissions, auth and
//! reconnects.

mod support;

use std::sync::Arc;
use std::time::{Duration, Instant};

use serenity::all::{
    ButtonStyle, ChannelId, Client, ClientBuilder, Command, CommandType,
    ComponentInteractionDataKind, Context, CreateActionRow, CreateAllowedMentions, CreateButton,
    CreateCommand, CreateInteractionResponse, CreateInteractionResponseFollowup,
    CreateInteractionResponseMessage, CreateMessage, EditInteractionResponse, EventHandler,
    GatewayIntents, Http, HttpBuilder, Interaction, MessageId, Ready, ShardManager,
};
use serenity::async_trait;
use support::standin::{
    perms, ComponentClick, InteractionOpts, MentionsPolicy, MessageCommand, SlashCommand, StandIn,
    ViolationKind,
};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

const WAIT: Duration = Duration::from_secs(20);
const GUILD: u64 = 910_000_000_000_000_001;
const CHANNEL: u64 = 910_000_000_000_000_002;
const USER: u64 = 910_000_000_000_000_003;
const OTHER_USER: u64 = 910_000_000_000_000_004;

// ---------------------------------------------------------------------------------------------
// A tiny serenity bot
// ---------------------------------------------------------------------------------------------

#[derive(Debug, Clone)]
enum Seen {
    Ready { user_id: u64, application_id: u64 },
    Command(SeenCommand),
    Component(SeenComponent),
}

/// A command interaction as the bot saw it, and how its answer went.
#[derive(Debug, Clone)]
struct SeenCommand {
    id: u64,
    kind: CommandType,
    name: String,
    locale: String,
    guild_locale: Option<String>,
    guild_id: Option<u64>,
    user_id: u64,
    target_content: Option<String>,
    result: Result<(), String>,
}

/// A component interaction as the bot saw it, and how its answer went.
#[derive(Debug, Clone)]
struct SeenComponent {
    id: u64,
    custom_id: String,
    values: Vec<String>,
    locale: String,
    guild_id: Option<u64>,
    user_id: u64,
    message_id: u64,
    result: Result<(), String>,
}

struct Bot {
    tx: mpsc::UnboundedSender<Seen>,
}

fn no_pings() -> CreateAllowedMentions {
    CreateAllowedMentions::new()
}

fn err_string(r: serenity::Result<()>) -> Result<(), String> {
    r.map_err(|e| format!("{e:?}"))
}

#[async_trait]
impl EventHandler for Bot {
    async fn ready(&self, _ctx: Context, ready: Ready) {
        let _ = self.tx.send(Seen::Ready {
            user_id: ready.user.id.get(),
            application_id: ready.application.id.get(),
        });
    }

    async fn interaction_create(&self, ctx: Context, interaction: Interaction) {
        match interaction {
            Interaction::Command(cmd) => {
                let name = cmd.data.name.clone();
                let target_content = cmd
                    .data
                    .target_id
                    .and_then(|t| cmd.data.resolved.messages.get(&t.to_message_id()))
                    .map(|m| m.content.clone());
                let result = match (cmd.data.kind, name.as_str()) {
                    (CommandType::Message, _) => {
                        let msg = CreateInteractionResponseMessage::new()
                            .content(format!(
                                "target: {}",
                                target_content.clone().unwrap_or_default()
                            ))
                            .ephemeral(true)
                            .allowed_mentions(no_pings());
                        cmd.create_response(&ctx.http, CreateInteractionResponse::Message(msg))
                            .await
                    }
                    (_, "big") => {
                        // Six action rows: Discord allows five.
                        let rows = (0..6)
                            .map(|i| {
                                CreateActionRow::Buttons(vec![CreateButton::new(format!(
                                    "row:{i}"
                                ))
                                .label("x")])
                            })
                            .collect();
                        let msg = CreateInteractionResponseMessage::new()
                            .content("too many rows")
                            .components(rows)
                            .allowed_mentions(no_pings());
                        cmd.create_response(&ctx.http, CreateInteractionResponse::Message(msg))
                            .await
                    }
                    (_, "defer") => {
                        let flow = async {
                            cmd.defer_ephemeral(&ctx.http).await?;
                            let edit = EditInteractionResponse::new()
                                .content("done")
                                .allowed_mentions(no_pings());
                            cmd.edit_response(&ctx.http, edit).await?;
                            let more = CreateInteractionResponseFollowup::new()
                                .content("more")
                                .ephemeral(true)
                                .allowed_mentions(no_pings());
                            cmd.create_followup(&ctx.http, more).await?;
                            Ok(())
                        };
                        flow.await
                    }
                    (_, "twice") => {
                        let first = cmd
                            .create_response(
                                &ctx.http,
                                CreateInteractionResponse::Defer(Default::default()),
                            )
                            .await;
                        let second = cmd
                            .create_response(
                                &ctx.http,
                                CreateInteractionResponse::Defer(Default::default()),
                            )
                            .await;
                        first.and(second)
                    }
                    (_, other) => {
                        if other == "slow" {
                            tokio::time::sleep(Duration::from_millis(600)).await;
                        }
                        let row = CreateActionRow::Buttons(vec![
                            CreateButton::new("btn:ok")
                                .label("OK")
                                .style(ButtonStyle::Primary),
                            CreateButton::new("btn:no")
                                .label("No")
                                .style(ButtonStyle::Secondary),
                        ]);
                        let msg = CreateInteractionResponseMessage::new()
                            .content(format!("pong in {}", cmd.locale))
                            .ephemeral(true)
                            .components(vec![row])
                            .allowed_mentions(no_pings());
                        cmd.create_response(&ctx.http, CreateInteractionResponse::Message(msg))
                            .await
                    }
                };
                let _ = self.tx.send(Seen::Command(SeenCommand {
                    id: cmd.id.get(),
                    kind: cmd.data.kind,
                    name,
                    locale: cmd.locale.clone(),
                    guild_locale: cmd.guild_locale.clone(),
                    guild_id: cmd.guild_id.map(|g| g.get()),
                    user_id: cmd.user.id.get(),
                    target_content,
                    result: err_string(result),
                }));
            }
            Interaction::Component(comp) => {
                let custom_id = comp.data.custom_id.clone();
                let values = match &comp.data.kind {
                    ComponentInteractionDataKind::StringSelect { values } => values.clone(),
                    _ => Vec::new(),
                };
                let msg = CreateInteractionResponseMessage::new()
                    .content(format!("clicked {custom_id}"))
                    .components(Vec::new())
                    .allowed_mentions(no_pings());
                let result = comp
                    .create_response(&ctx.http, CreateInteractionResponse::UpdateMessage(msg))
                    .await;
                let _ = self.tx.send(Seen::Component(SeenComponent {
                    id: comp.id.get(),
                    custom_id,
                    values,
                    locale: comp.locale.clone(),
                    guild_id: comp.guild_id.map(|g| g.get()),
                    user_id: comp.user.id.get(),
                    message_id: comp.message.id.get(),
                    result: err_string(result),
                }));
            }
            _ => {}
        }
    }
}

struct RunningBot {
    rx: mpsc::UnboundedReceiver<Seen>,
    manager: Arc<ShardManager>,
    task: JoinHandle<serenity::Result<()>>,
}

impl RunningBot {
    async fn next(&mut self, what: &str, mut pred: impl FnMut(&Seen) -> bool) -> Seen {
        let deadline = tokio::time::Instant::now() + WAIT;
        loop {
            let seen = tokio::time::timeout_at(deadline, self.rx.recv())
                .await
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
                .unwrap_or_else(|| panic!("bot event channel closed while waiting for {what}"));
            if pred(&seen) {
                return seen;
            }
        }
    }

    async fn interaction(&mut self, id: u64) -> Seen {
        self.next(&format!("interaction {id}"), |s| match s {
            Seen::Command(SeenCommand { id: i, .. })
            | Seen::Component(SeenComponent { id: i, .. }) => *i == id,
            Seen::Ready { .. } => false,
        })
        .await
    }

    /// The command interaction `id`, once the bot saw it.
    async fn command(&mut self, id: u64) -> SeenCommand {
        match self.interaction(id).await {
            Seen::Command(c) => c,
            _ => panic!("expected a command"),
        }
    }

    /// The component interaction `id`, once the bot saw it.
    async fn component(&mut self, id: u64) -> SeenComponent {
        match self.interaction(id).await {
            Seen::Component(c) => c,
            _ => panic!("expected a component"),
        }
    }

    async fn stop(self) {
        self.manager.shutdown_all().await;
        let _ = tokio::time::timeout(Duration::from_secs(10), self.task).await;
    }
}

fn http_for(standin: &StandIn, token: &str) -> Http {
    HttpBuilder::new(token)
        .proxy(standin.base_url())
        .ratelimiter_disabled(true)
        .build()
}

/// `RUST_LOG=serenity=debug cargo test` shows serenity's view of the stand-in.
fn init_tracing() {
    let _ = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .with_test_writer()
        .try_init();
}

async fn start_bot(standin: &StandIn, token: &str) -> RunningBot {
    init_tracing();
    let (tx, rx) = mpsc::unbounded_channel();
    let intents = GatewayIntents::GUILDS | GatewayIntents::DIRECT_MESSAGES;
    let mut client: Client = ClientBuilder::new_with_http(http_for(standin, token), intents)
        .event_handler(Bot { tx })
        .await
        .expect("build serenity client");
    let manager = client.shard_manager.clone();
    let task = tokio::spawn(async move { client.start().await });
    RunningBot { rx, manager, task }
}

async fn started() -> (StandIn, RunningBot) {
    let standin = StandIn::start().await;
    let mut bot = start_bot(&standin, &standin.token()).await;
    standin.wait_ready().await;
    bot.next("READY", |s| matches!(s, Seen::Ready { .. })).await;
    (standin, bot)
}

/// (HTTP status, Discord error code) of a failed serenity call.
fn discord_error<T: std::fmt::Debug>(r: serenity::Result<T>) -> (u16, isize) {
    match r {
        Err(serenity::Error::Http(serenity::http::HttpError::UnsuccessfulRequest(e))) => {
            (e.status_code.as_u16(), e.error.code)
        }
        other => panic!("expected an unsuccessful HTTP request, got {other:?}"),
    }
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ready_and_every_interaction_kind_reach_serenity() {
    let standin = StandIn::start().await;
    let mut bot = start_bot(&standin, &standin.token()).await;
    standin.wait_ready().await;
    let Seen::Ready {
        user_id,
        application_id,
    } = bot.next("READY", |s| matches!(s, Seen::Ready { .. })).await
    else {
        unreachable!()
    };
    assert_eq!(user_id, standin.bot_user_id());
    assert_eq!(application_id, standin.application_id());

    let ident = standin.identifies();
    assert_eq!(ident.len(), 1);
    assert!(ident[0].accepted);
    assert_eq!(ident[0].token, standin.token());
    assert_eq!(
        ident[0].intents,
        (GatewayIntents::GUILDS | GatewayIntents::DIRECT_MESSAGES).bits()
    );
    assert!(ident[0].compress, "serenity identifies with compress: true");

    // Command registration through serenity's bulk overwrite.
    let http = http_for(&standin, &standin.token());
    http.set_application_id(standin.application_id().into());
    let created = Command::set_global_commands(
        &http,
        vec![
            CreateCommand::new("ping").description("Ping"),
            CreateCommand::new("Check activation").kind(CommandType::Message),
        ],
    )
    .await
    .expect("bulk overwrite");
    assert_eq!(created.len(), 2);
    let registered = standin.commands();
    let ping = registered
        .iter()
        .find(|c| c.name == "ping")
        .expect("ping registered");
    assert_eq!(created[0].id.get(), ping.id);

    // 1. Slash command in a guild.
    let d = standin
        .send_slash_command(
            SlashCommand::new("ping")
                .user(USER)
                .in_guild(GUILD, CHANNEL)
                .locale("de")
                .guild_locale("fr")
                .member_permissions(perms::MEMBER_DEFAULT | perms::PIN_MESSAGES),
        )
        .await;
    let SeenCommand {
        kind,
        name,
        locale,
        guild_locale,
        guild_id,
        user_id,
        result,
        ..
    } = bot.command(d.interaction_id).await;
    assert_eq!((kind, name.as_str()), (CommandType::ChatInput, "ping"));
    assert_eq!(locale, "de");
    assert_eq!(guild_locale.as_deref(), Some("fr"));
    assert_eq!((guild_id, user_id), (Some(GUILD), USER));
    result.expect("slash response accepted");
    let cb = standin
        .wait_for_callback(d.interaction_id, WAIT)
        .await
        .expect("callback");
    assert_eq!(
        (cb.status, cb.response_type, cb.accepted),
        (204, Some(4), true)
    );
    assert!(cb.latency < Duration::from_secs(3));
    let original = standin
        .original_response(d.interaction_id)
        .expect("original response stored");
    assert!(original.is_ephemeral());
    assert_eq!(original.custom_ids(), vec!["btn:ok", "btn:no"]);
    assert_eq!(original.content(), "pong in de");

    // 2. Button click in the guild, on the bot's own ephemeral response.
    let click = standin
        .send_component(
            ComponentClick::button(original.id, "btn:ok")
                .user(USER)
                .locale("de")
                .guild_locale("fr"),
        )
        .await;
    let SeenComponent {
        custom_id,
        locale,
        guild_id,
        message_id,
        result,
        ..
    } = bot.component(click.interaction_id).await;
    assert_eq!(custom_id, "btn:ok");
    assert_eq!(locale, "de");
    assert_eq!((guild_id, message_id), (Some(GUILD), original.id));
    result.expect("update accepted");
    let cb = standin
        .wait_for_callback(click.interaction_id, WAIT)
        .await
        .expect("callback");
    assert_eq!((cb.status, cb.response_type), (204, Some(7)));
    let updated = standin.message(original.id).expect("message still there");
    assert_eq!(updated.content(), "clicked btn:ok");
    assert!(updated.components().is_empty());

    // 3. Slash + button click in a DM (context 1, `user` instead of `member`).
    let dm = standin
        .send_slash_command(
            SlashCommand::new("ping")
                .user(OTHER_USER)
                .in_dm()
                .locale("ja"),
        )
        .await;
    let SeenCommand {
        guild_id,
        user_id,
        locale,
        result,
        ..
    } = bot.command(dm.interaction_id).await;
    assert_eq!(
        (guild_id, user_id, locale.as_str()),
        (None, OTHER_USER, "ja")
    );
    result.expect("dm slash accepted");
    let dm_msg = standin
        .original_response(dm.interaction_id)
        .expect("dm response");
    assert_eq!(dm_msg.channel_id, standin.dm_channel(OTHER_USER));
    let dm_click = standin
        .send_component(
            ComponentClick::button(dm_msg.id, "btn:no")
                .user(OTHER_USER)
                .locale("ja"),
        )
        .await;
    assert_eq!(dm_click.guild_id, None);
    let SeenComponent {
        custom_id,
        guild_id,
        user_id,
        locale,
        result,
        ..
    } = bot.component(dm_click.interaction_id).await;
    assert_eq!(
        (custom_id.as_str(), guild_id, user_id, locale.as_str()),
        ("btn:no", None, OTHER_USER, "ja")
    );
    result.expect("dm update accepted");
    assert_eq!(
        standin
            .wait_for_callback(dm_click.interaction_id, WAIT)
            .await
            .expect("callback")
            .status,
        204
    );

    // 4. Select menu values survive the trip.
    let select_msg = standin.seed_message_with(
        CHANNEL,
        standin.bot_user_id(),
        serde_json::json!({
            "content": "pick",
            "components": [{"type": 1, "components": [{
                "type": 3, "custom_id": "pick:edition",
                "options": [{"label": "Home", "value": "home"}, {"label": "Pro", "value": "pro"}],
            }]}],
        }),
    );
    let sel = standin
        .send_component(
            ComponentClick::select(select_msg, "pick:edition", &["pro"])
                .user(USER)
                .in_guild(GUILD, CHANNEL),
        )
        .await;
    let SeenComponent {
        custom_id,
        values,
        result,
        ..
    } = bot.component(sel.interaction_id).await;
    assert_eq!(
        (custom_id.as_str(), values),
        ("pick:edition", vec!["pro".to_owned()])
    );
    result.expect("select update accepted");

    // 5. Message context-menu command on a user's message.
    let target = standin.seed_message(CHANNEL, USER, "is my Windows activated?");
    let mc = standin
        .send_message_command(
            MessageCommand::new("Check activation", target)
                .user(OTHER_USER)
                .locale("pt-BR"),
        )
        .await;
    let SeenCommand {
        kind,
        name,
        locale,
        target_content,
        result,
        ..
    } = bot.command(mc.interaction_id).await;
    assert_eq!(
        (kind, name.as_str(), locale.as_str()),
        (CommandType::Message, "Check activation", "pt-BR")
    );
    assert_eq!(target_content.as_deref(), Some("is my Windows activated?"));
    result.expect("message command response accepted");
    assert_eq!(
        standin
            .wait_for_callback(mc.interaction_id, WAIT)
            .await
            .expect("callback")
            .status,
        204
    );

    // Every message-bearing request had empty allowed_mentions; nothing unexpected happened.
    let sends = standin.message_sends();
    assert!(sends.len() >= 5, "{sends:?}");
    assert!(
        sends
            .iter()
            .all(|r| r.allowed_mentions == Some(MentionsPolicy::Empty)),
        "{sends:?}"
    );
    assert!(
        standin.violations().is_empty(),
        "{:?}",
        standin.violations()
    );
    assert!(
        standin.unhandled_requests().is_empty(),
        "{:?}",
        standin.unhandled_requests()
    );
    assert!(standin
        .requests()
        .iter()
        .any(|r| r.path == "/api/v10/gateway"));

    bot.stop().await;
    standin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn late_and_duplicate_callbacks_are_flagged() {
    let (standin, mut bot) = started().await;
    standin.set_callback_deadline(Duration::from_millis(200));

    let d = standin.send_slash_command(SlashCommand::new("slow")).await;
    let result = bot.command(d.interaction_id).await.result;
    assert!(result.is_err(), "late response must fail");
    let cb = standin
        .wait_for_callback(d.interaction_id, WAIT)
        .await
        .expect("callback recorded");
    assert!(!cb.accepted);
    assert_eq!(cb.status, 404);
    assert!(cb.latency >= Duration::from_millis(600), "{:?}", cb.latency);
    let v = standin
        .wait_for_violation(ViolationKind::LateCallback, WAIT)
        .await
        .expect("late flagged");
    assert_eq!(v.interaction_id, Some(d.interaction_id));
    let req = standin
        .requests_matching("POST /api/v10/interactions/*/*/callback")
        .pop()
        .expect("request");
    assert_eq!(req.error_code(), Some(10062));

    // Simulated time: the same rule via advance_clock, no sleeping in the bot.
    standin.set_callback_deadline(Duration::from_secs(3));
    standin.advance_clock(Duration::from_secs(5));
    let d = standin.send_slash_command(SlashCommand::new("ping")).await;
    let result = bot.command(d.interaction_id).await.result;
    assert!(result.is_err());
    assert!(standin.callbacks_for(d.interaction_id)[0].latency >= Duration::from_secs(5));

    // Duplicate: the second callback gets 40060.
    let fresh = StandIn::start().await;
    let mut bot2 = start_bot(&fresh, &fresh.token()).await;
    fresh.wait_ready().await;
    let d = fresh.send_slash_command(SlashCommand::new("twice")).await;
    let result = bot2.command(d.interaction_id).await.result;
    assert!(result.unwrap_err().contains("40060"));
    let cbs = fresh.callbacks_for(d.interaction_id);
    assert_eq!(
        cbs.iter().map(|c| c.status).collect::<Vec<_>>(),
        vec![204, 400]
    );
    assert_eq!(fresh.violations()[0].kind, ViolationKind::DuplicateCallback);

    bot.stop().await;
    bot2.stop().await;
    standin.shutdown().await;
    fresh.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn oversized_component_set_is_rejected_with_50035() {
    let (standin, mut bot) = started().await;
    let d = standin.send_slash_command(SlashCommand::new("big")).await;
    let result = bot.command(d.interaction_id).await.result;
    let err = result.unwrap_err();
    assert!(err.contains("50035"), "{err}");
    // serenity parsed the nested `errors` object into a path.
    assert!(err.contains("data.components"), "{err}");
    let cb = standin
        .wait_for_callback(d.interaction_id, WAIT)
        .await
        .expect("callback");
    assert_eq!((cb.status, cb.accepted), (400, false));
    let v = standin.violations();
    assert_eq!(v.len(), 1);
    assert_eq!(v[0].kind, ViolationKind::InvalidFormBody);
    assert!(v[0].detail.contains("data.components"), "{}", v[0].detail);

    // Channel messages are validated too: custom_id > 100 chars.
    let http = http_for(&standin, &standin.token());
    let long = "x".repeat(101);
    let r = ChannelId::new(standin.config().default_channel_id)
        .send_message(
            &http,
            CreateMessage::new()
                .content("hi")
                .components(vec![CreateActionRow::Buttons(vec![CreateButton::new(
                    long,
                )
                .label("l")])])
                .allowed_mentions(no_pings()),
        )
        .await;
    assert_eq!(discord_error(r), (400, 50035));

    bot.stop().await;
    standin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pins_and_permissions_behave_like_discord() {
    let standin = StandIn::start().await;
    let http = http_for(&standin, &standin.token());
    let channel = standin.config().default_channel_id;
    let msg = standin.seed_message(channel, USER, "pin me");

    // Without PIN_MESSAGES (bit 51) → 403 50013.
    standin.set_bot_permissions(channel, perms::ALL_EXCEPT_ADMIN & !perms::PIN_MESSAGES);
    let r = http
        .pin_message(ChannelId::new(channel), MessageId::new(msg), None)
        .await;
    assert_eq!(discord_error(r), (403, 50013));
    assert!(standin.pins_in(channel).is_empty());
    // serenity 0.12.5 uses the legacy pin path.
    let seen = standin.requests_matching("PUT /api/v10/channels/*/pins/*");
    assert_eq!(seen.len(), 1, "{:?}", standin.requests());

    // With it → 204, and the pin is listed by both APIs.
    standin.set_bot_permissions(channel, perms::ALL_EXCEPT_ADMIN);
    http.pin_message(ChannelId::new(channel), MessageId::new(msg), None)
        .await
        .expect("pin");
    assert_eq!(standin.pins_in(channel), vec![msg]);
    let pins = http
        .get_pins(ChannelId::new(channel))
        .await
        .expect("get pins");
    assert_eq!(pins.len(), 1);
    assert!(pins[0].pinned);

    // 250 pins → 30003.
    let full = 920_000_000_000_000_001;
    standin.add_guild_channel(GUILD, full);
    standin.fill_pins(full, 250);
    let extra = standin.seed_message(full, USER, "one too many");
    let r = http
        .pin_message(ChannelId::new(full), MessageId::new(extra), None)
        .await;
    assert_eq!(discord_error(r), (400, 30003));

    // Unknown message → 404 10008.
    let r = http
        .pin_message(ChannelId::new(channel), MessageId::new(12345), None)
        .await;
    assert_eq!(discord_error(r), (404, 10008));

    // Sending without SEND_MESSAGES → 403 50013; with it → a full message authored by the bot.
    standin.set_bot_permissions(channel, perms::ALL_EXCEPT_ADMIN & !perms::SEND_MESSAGES);
    let send = || {
        ChannelId::new(channel).send_message(
            &http,
            CreateMessage::new()
                .content("hello")
                .allowed_mentions(no_pings()),
        )
    };
    assert_eq!(discord_error(send().await), (403, 50013));
    standin.set_bot_permissions(channel, perms::ALL_EXCEPT_ADMIN);
    let sent = send().await.expect("send");
    assert_eq!(sent.author.id.get(), standin.bot_user_id());
    assert_eq!(
        standin.message(sent.id.get()).expect("stored").content(),
        "hello"
    );
    let fetched = http
        .get_message(ChannelId::new(channel), sent.id)
        .await
        .expect("get");
    assert_eq!(fetched.content, "hello");

    standin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_token_is_rejected_on_rest_and_gateway() {
    let standin = StandIn::start().await;

    let bad = http_for(&standin, "not-the-token");
    assert_eq!(discord_error(bad.get_current_user().await), (401, 0));
    assert!(standin
        .violations()
        .iter()
        .any(|v| v.kind == ViolationKind::Unauthorized));
    let good = http_for(&standin, &standin.token());
    assert_eq!(
        good.get_current_user().await.expect("users/@me").id.get(),
        standin.bot_user_id()
    );

    // The gateway closes with 4004 and serenity's client gives up.
    let bot = start_bot(&standin, "not-the-token").await;
    let res = tokio::time::timeout(WAIT, bot.task)
        .await
        .expect("client stops")
        .expect("join");
    assert!(
        format!("{res:?}").contains("InvalidAuthentication"),
        "{res:?}"
    );
    let ident = standin.identifies();
    assert_eq!(ident.len(), 1);
    assert!(!ident[0].accepted);

    standin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bot_reconnects_and_still_receives_interactions() {
    let (standin, mut bot) = started().await;
    let first_session = standin.session_id().expect("session");

    // Close 4000 → serenity resumes the same session.
    standin.close_gateway(4000);
    let resumed = standin
        .wait_for(WAIT, |s| s.resumes().into_iter().find(|r| r.accepted))
        .await
        .expect("resumed");
    assert_eq!(resumed.session_id, first_session);
    standin.wait_ready().await;
    let d = standin
        .send_slash_command(SlashCommand::new("ping").locale("es-ES"))
        .await;
    let SeenCommand { locale, result, .. } = bot.command(d.interaction_id).await;
    assert_eq!(locale, "es-ES");
    result.expect("accepted after resume");
    assert_eq!(
        standin
            .wait_for_callback(d.interaction_id, WAIT)
            .await
            .expect("callback")
            .status,
        204
    );

    // Op 7 RECONNECT → another resume.
    standin.send_reconnect();
    standin
        .wait_for(WAIT, |s| {
            (s.resumes().iter().filter(|r| r.accepted).count() == 2).then_some(())
        })
        .await
        .expect("2nd resume");
    let d = standin.send_slash_command(SlashCommand::new("ping")).await;
    bot.interaction(d.interaction_id).await;

    // Dispatched while the bot is disconnected → replayed on RESUME.
    standin.close_gateway(4000);
    standin.set_dispatch_wait(Duration::ZERO);
    let missed = standin
        .send_slash_command(SlashCommand::new("ping").locale("it"))
        .await;
    standin.set_dispatch_wait(WAIT);
    let SeenCommand { locale, result, .. } = bot.command(missed.interaction_id).await;
    assert_eq!(locale, "it");
    result.expect("replayed interaction answered");
    let last_resume = standin.resumes().pop().expect("resume");
    assert!(last_resume.accepted);
    assert_eq!(last_resume.replayed, 1);

    // Op 9 (not resumable) → a fresh IDENTIFY and a new session.
    standin.send_invalid_session(false);
    standin
        .wait_for(WAIT, |s| (s.ready_count() == 2).then_some(()))
        .await
        .expect("re-identified");
    assert_ne!(standin.session_id().expect("session"), first_session);
    bot.next("second READY", |s| matches!(s, Seen::Ready { .. }))
        .await;
    let d = standin.send_slash_command(SlashCommand::new("ping")).await;
    let result = bot.command(d.interaction_id).await.result;
    result.expect("accepted after re-identify");

    // Process restart: a brand-new client connects and identifies again.
    bot.stop().await;
    let mut bot = start_bot(&standin, &standin.token()).await;
    bot.next("READY after restart", |s| matches!(s, Seen::Ready { .. }))
        .await;
    assert_eq!(standin.ready_count(), 3);
    let d = standin.send_slash_command(SlashCommand::new("ping")).await;
    let result = bot.command(d.interaction_id).await.result;
    result.expect("accepted after restart");
    assert!(standin.connection_count() >= 4);
    assert!(
        standin.violations().is_empty(),
        "{:?}",
        standin.violations()
    );

    bot.stop().await;
    let t = Instant::now();
    standin.shutdown().await;
    assert!(t.elapsed() < Duration::from_secs(5));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forced_responses_and_delays() {
    let standin = StandIn::start().await;
    let http = http_for(&standin, &standin.token());
    standin.force_response(
        "GET /api/v10/users/@me",
        1,
        support::standin::ForcedResponse::rate_limited(0.25, false),
    );
    standin.force_response(
        "GET /api/v10/users/**",
        1,
        support::standin::ForcedResponse::bad_gateway(),
    );
    assert_eq!(discord_error(http.get_current_user().await).0, 429);
    assert!(http.get_current_user().await.is_err());
    assert_eq!(standin.pending_forced(), 0);
    let reqs = standin.requests_matching("GET /api/v10/users/@me");
    assert_eq!(
        reqs.iter()
            .map(|r| (r.status, r.forced))
            .collect::<Vec<_>>(),
        vec![(429, true), (502, true)]
    );

    // Unknown routes: 404 with a JSON body, recorded as unhandled.
    let r = http
        .get_guild_roles(serenity::all::GuildId::new(GUILD))
        .await;
    assert_eq!(discord_error(r), (404, 0));
    let unhandled = standin.unhandled_requests();
    assert_eq!(unhandled.len(), 1);
    assert_eq!(unhandled[0].path, format!("/api/v10/guilds/{GUILD}/roles"));

    standin.set_delay("/api/v10/users/@me", Duration::from_millis(300));
    let t = Instant::now();
    http.get_current_user()
        .await
        .expect("works after the faults");
    assert!(t.elapsed() >= Duration::from_millis(300));
    standin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_response_edit_followup_and_token_expiry() {
    let (standin, mut bot) = started().await;
    let d = standin.send_slash_command(SlashCommand::new("defer")).await;
    let result = bot.command(d.interaction_id).await.result;
    result.expect("defer + edit + follow-up");
    let cb = standin.callbacks_for(d.interaction_id);
    assert_eq!(
        (cb.len(), cb[0].status, cb[0].response_type),
        (1, 204, Some(5))
    );
    let original = standin
        .original_response(d.interaction_id)
        .expect("original");
    assert_eq!(original.content(), "done");
    assert!(original.is_ephemeral());
    assert_eq!(
        original.flags() & (1 << 7),
        0,
        "LOADING cleared by the edit"
    );
    let followups = standin.followups(d.interaction_id);
    assert_eq!(followups.len(), 1);
    assert_eq!(followups[0].content(), "more");
    let app = standin.application_id();
    assert_eq!(
        standin
            .requests_matching(&format!(
                "PATCH /api/v10/webhooks/{app}/*/messages/@original"
            ))
            .len(),
        1
    );
    assert_eq!(
        standin
            .requests_matching(&format!("POST /api/v10/webhooks/{app}/*"))
            .len(),
        1
    );
    assert!(standin
        .message_sends()
        .iter()
        .all(|r| r.allowed_mentions == Some(MentionsPolicy::Empty)));

    // Interaction tokens expire after 15 minutes.
    let http = http_for(&standin, &standin.token());
    http.set_application_id(app.into());
    let edit = EditInteractionResponse::new().content("again");
    http.edit_original_interaction_response(&d.token, &edit, Vec::new())
        .await
        .expect("still valid");
    standin.advance_clock(Duration::from_secs(16 * 60));
    let r = http
        .edit_original_interaction_response(&d.token, &edit, Vec::new())
        .await;
    assert_eq!(discord_error(r), (401, 50027));
    assert_eq!(
        standin.violations().pop().expect("violation").kind,
        ViolationKind::ExpiredWebhookToken
    );

    bot.stop().await;
    standin.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_guild_reads_with_roles_holding_each_members_permissions() {
    let (standin, bot) = started().await;
    let http = http_for(&standin, &standin.token());
    let bits = perms::MEMBER_DEFAULT | perms::PIN_MESSAGES;
    standin
        .send_slash_command(
            SlashCommand::new("x")
                .user(7)
                .in_guild(GUILD, CHANNEL)
                .member_permissions(bits),
        )
        .await;
    let guild = http
        .get_guild(serenity::all::GuildId::new(GUILD))
        .await
        .expect("serenity reads the stand-in's guild");
    assert_eq!(guild.owner_id.get(), support::standin::STANDIN_GUILD_OWNER);
    let everyone = &guild.roles[&serenity::all::RoleId::new(GUILD)];
    assert!(everyone.permissions.is_empty());
    // serenity drops bit 51 when it parses the role; the raw JSON keeps it.
    let role = support::standin::perms_role(bits);
    assert!(guild.roles.contains_key(&serenity::all::RoleId::new(role)));
    let raw: serde_json::Value = http
        .fire(serenity::http::Request::new(
            serenity::http::Route::Guild {
                guild_id: serenity::all::GuildId::new(GUILD),
            },
            serenity::http::LightMethod::Get,
        ))
        .await
        .unwrap();
    let listed = raw["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["id"] == serde_json::json!(role.to_string()))
        .expect("the member's role is listed");
    assert_eq!(listed["permissions"], serde_json::json!(bits.to_string()));
    bot.stop().await;
    standin.shutdown().await;
}
