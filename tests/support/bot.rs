#![allow(dead_code)]
//! The bot under test: the real binary as a child process against the Discord stand-in,
//! logging to a file next to its data directory, and the helpers that wait for its
//! answers. Every test file that runs the bot uses this one harness.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use crate::support::standin::{
    perms, ComponentClick, Dispatched, InteractionOpts, MessageCommand, SlashCommand, StandIn,
    StoredMessage,
};

/// The bot binary, which cargo builds for integration tests (the load driver, which
/// includes this folder too, starts its own).
const BOT_BINARY: Option<&str> = option_env!("CARGO_BIN_EXE_activation-check");

/// How long a test waits for the bot (to start, to answer).
pub const WAIT: Duration = Duration::from_secs(20);

/// The server and channel the shared tests run in, and the permissions of a member and
/// of a moderator there.
pub const GUILD: u64 = 930_000_000_000_000_001;
pub const CHANNEL: u64 = 930_000_000_000_000_002;
pub const MEMBER: u64 =
    perms::VIEW_CHANNEL | perms::SEND_MESSAGES | perms::USE_APPLICATION_COMMANDS;
pub const MOD_PERMS: u64 = MEMBER | perms::PIN_MESSAGES;
/// The moderators' context-menu command, by its base name.
pub const PIN_COMMAND: &str = "Pin activation answer";

/// How to run the bot.
#[derive(Clone, Debug)]
pub struct BotRun {
    pub log_level: String,
    pub rules_dir: Option<PathBuf>,
    /// Capture standard output to a file next to the log.
    pub capture_stdout: bool,
    /// DISCORD_TOKEN as set (default: the stand-in's token).
    pub token: Option<String>,
    /// More arguments after `run`.
    pub args: Vec<String>,
}

impl Default for BotRun {
    fn default() -> Self {
        Self {
            log_level: "info".to_owned(),
            rules_dir: None,
            capture_stdout: false,
            token: None,
            args: Vec::new(),
        }
    }
}

/// The custom id of choice `choice` of question `node` on `m`.
pub fn answer_id(m: &StoredMessage, node: &str, choice: usize) -> String {
    crate::support::buttons::answer_button(&m.custom_ids(), node, choice)
        .unwrap_or_else(|| panic!("no answer {node}:{choice} in {:?}", m.custom_ids()))
}

/// The custom id of the button for `verb` (`b` Back, `r` Start over, `p` Post…) on `m`.
pub fn verb_id(m: &StoredMessage, verb: char) -> String {
    let prefix = format!("ac1:{verb}:");
    component(m, |id| id.starts_with(&prefix))
}

/// `user` clicks choice `choice` of question `node` on `m`; the bot's answer.
pub async fn answer(
    standin: &StandIn,
    m: &StoredMessage,
    node: &str,
    choice: usize,
    user: u64,
    locale: &str,
) -> StoredMessage {
    click(standin, m, &answer_id(m, node, choice), user, locale).await
}

/// `/activation-check` as `user` in `locale`: in a DM, or in `place` (server, channel) as
/// a member. The caller adds anything more (the server's locale) and sends it.
pub fn slash_command(user: u64, locale: &str, place: Option<(u64, u64)>) -> SlashCommand {
    let cmd = SlashCommand::new("activation-check")
        .user(user)
        .locale(locale);
    match place {
        None => cmd.in_dm(),
        Some((guild, channel)) => cmd.in_guild(guild, channel).member_permissions(MEMBER),
    }
}

/// The bot binary for a one-off command against `standin` on the data directory `data`:
/// no token in its environment (the caller adds the one it tests) and no input.
pub fn bot_command(standin: &StandIn, data: &Path) -> Command {
    let mut cmd = Command::new(BOT_BINARY.expect("the bot binary is built for integration tests"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--data-dir")
        .arg(data)
        .env("DISCORD_API_BASE", standin.base_url())
        .env_remove("DISCORD_TOKEN")
        .stdin(Stdio::null());
    cmd
}

/// `user` clicks a button with `custom_id` on `message` whether or not the message shows
/// it (an old copy on another device, a forged id), as Discord would deliver it; the
/// bot's reply.
pub async fn click_unseen(
    standin: &StandIn,
    message: u64,
    custom_id: &str,
    user: u64,
    locale: &str,
) -> StoredMessage {
    let click = ComponentClick::button(message, custom_id)
        .user(user)
        .locale(locale);
    let d = standin.send_component_edited(click, |_| {}).await;
    reply(standin, d.interaction_id).await
}

/// The stand-in found nothing wrong in what the bot sent (payloads Discord would refuse);
/// the failure shows `bot`'s log too where one is given.
#[track_caller]
pub fn assert_no_violations(standin: &StandIn, bot: Option<&Bot>) {
    let log = bot.map(|b| format!("\n{}", b.log())).unwrap_or_default();
    assert!(
        standin.violations().is_empty(),
        "{:#?}{log}",
        standin.violations()
    );
}

/// What most bot tests start from: the stand-in, a fresh temporary directory, the `data`
/// folder in it and the bot running on that folder. Bind the `TempDir` (to `_tmp` where it
/// is not used) so it lives until the test ends; the bindings drop in the same order as
/// four separate `let`s would.
pub async fn started() -> (StandIn, tempfile::TempDir, PathBuf, Bot) {
    started_on(StandIn::start().await).await
}

/// [`started`] against `standin` (a stand-in configured by the test).
pub async fn started_on(standin: StandIn) -> (StandIn, tempfile::TempDir, PathBuf, Bot) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let bot = Bot::start(&standin, &dir).await;
    (standin, tmp, dir, bot)
}

/// The bot as a child process; killed when dropped.
pub struct Bot {
    pub child: Child,
    pub log: PathBuf,
    pub stdout: Option<PathBuf>,
}

impl Bot {
    pub async fn start(standin: &StandIn, data: &Path) -> Bot {
        Self::start_with(standin, data, BotRun::default()).await
    }

    pub async fn start_with(standin: &StandIn, data: &Path, run: BotRun) -> Bot {
        let ready_before = standin.ready_count();
        let log = data.with_extension(format!("log{ready_before}"));
        let out = data.with_extension(format!("out{ready_before}"));
        let mut cmd =
            Command::new(BOT_BINARY.expect("the bot binary is built for integration tests"));
        cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
            .arg("run")
            .arg("--data-dir")
            .arg(data)
            .env(
                "DISCORD_TOKEN",
                run.token.clone().unwrap_or_else(|| standin.token()),
            )
            .env("DISCORD_API_BASE", standin.base_url())
            .env("RUST_LOG", &run.log_level)
            .stdin(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap());
        if run.capture_stdout {
            cmd.stdout(std::fs::File::create(&out).unwrap());
        } else {
            cmd.stdout(Stdio::null());
        }
        cmd.args(&run.args);
        if let Some(r) = &run.rules_dir {
            cmd.arg("--rules-dir").arg(r);
        }
        let child = cmd.spawn().expect("the bot starts");
        let bot = Bot {
            child,
            log,
            stdout: run.capture_stdout.then_some(out),
        };
        let ready = standin
            .wait_for(WAIT, |s| (s.ready_count() > ready_before).then_some(()))
            .await;
        assert!(
            ready.is_some(),
            "the bot never became ready:\n{}",
            bot.log()
        );
        bot
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    pub fn stdout(&self) -> String {
        self.stdout
            .as_ref()
            .and_then(|p| std::fs::read_to_string(p).ok())
            .unwrap_or_default()
    }

    /// Log lines at warn, info or error that mention `needle`, without colours.
    pub fn log_lines_mentioning(&self, needle: &str) -> Vec<String> {
        strip_ansi(&self.log())
            .lines()
            .filter(|l| l.contains(" WARN ") || l.contains(" INFO ") || l.contains(" ERROR "))
            .filter(|l| l.contains(needle))
            .map(str::to_owned)
            .collect()
    }

    /// SIGTERM, and wait for the exit: the bot writes the sessions it saved for later and
    /// stops, as under a supervisor. Returns the log.
    pub fn stop(mut self) -> String {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill -TERM runs");
        assert!(status.success());
        let exit = self.child.wait().expect("reaped");
        assert!(
            exit.success(),
            "a clean exit on SIGTERM: {exit:?}\n{}",
            self.log()
        );
        self.log()
    }

    /// SIGKILL, and reap: no shutdown code runs, nothing is flushed on the way out.
    /// Returns the log.
    pub fn kill(mut self) -> String {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
        self.log()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Panics if the process has exited.
    pub fn assert_alive(&mut self) {
        let status = self.child.try_wait().unwrap();
        assert!(
            status.is_none(),
            "the bot exited ({status:?}):\n{}",
            self.log()
        );
    }
}

impl Drop for Bot {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The response message of an interaction once its callback arrived (with 204) and, when
/// deferred, was edited.
pub async fn reply(standin: &StandIn, interaction: u64) -> StoredMessage {
    super::replies::reply_with_status(standin, interaction, Some(204)).await
}

pub fn title(m: &StoredMessage) -> String {
    m.embeds()
        .first()
        .and_then(|e| e["title"].as_str())
        .unwrap_or_default()
        .to_owned()
}

pub fn component(m: &StoredMessage, pred: impl Fn(&str) -> bool) -> String {
    m.custom_ids()
        .into_iter()
        .find(|id| pred(id))
        .unwrap_or_else(|| panic!("no such component in {:?}", m.custom_ids()))
}

/// `text` without ANSI colour sequences (`ESC [ ... m`).
pub fn strip_ansi(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

/// Clicks `custom_id` on message `m` as `user`; returns the message as it is afterwards
/// (updated in place, or a new ephemeral reply).
pub async fn click(
    standin: &StandIn,
    m: &StoredMessage,
    custom_id: &str,
    user: u64,
    locale: &str,
) -> StoredMessage {
    let d = standin
        .send_component(
            ComponentClick::button(m.id, custom_id)
                .user(user)
                .locale(locale),
        )
        .await;
    reply(standin, d.interaction_id).await
}

/// Clicks "Post in this channel" on `card` as `user`; returns the bot's answer to the
/// click and the card as posted in the card's channel.
pub async fn post(
    standin: &StandIn,
    card: &StoredMessage,
    user: u64,
    locale: &str,
) -> (StoredMessage, StoredMessage) {
    let before = standin.messages_in(card.channel_id).len();
    let confirm = click(standin, card, &verb_id(card, 'p'), user, locale).await;
    let posted = newest_post(standin, card.channel_id, before).await;
    (confirm, posted)
}

/// The newest message in `channel` once there are more than `before` (a post arrived).
pub async fn newest_post(standin: &StandIn, channel: u64, before: usize) -> StoredMessage {
    standin
        .wait_for(WAIT, |s| {
            let msgs = s.messages_in(channel);
            (msgs.len() > before)
                .then(|| msgs.last().cloned())
                .flatten()
        })
        .await
        .expect("a message was posted")
}

/// `activation-check --data-dir DATA ARGS…`, the way an operator runs a command beside the
/// bot: from the project directory, with neither the token nor the settings of the
/// environment running the tests.
pub fn cli(data: &Path, args: &[&str]) -> std::process::Output {
    Command::new(BOT_BINARY.expect("cargo builds the binary for integration tests"))
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .arg("--data-dir")
        .arg(data)
        .args(args)
        .env_remove("ACTIVATION_CHECK_DATA_DIR")
        .env_remove("RUST_LOG")
        .env_remove("DISCORD_TOKEN")
        .stdin(Stdio::null())
        .output()
        .expect("the command runs")
}

/// Asserts that a run of the bot's binary succeeded, showing its standard error if not.
pub fn assert_succeeded(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// "Pin activation answer" on `target`, sent by `user` holding `permissions` in the test
/// channel; `None` when Discord would not offer the command to that member.
pub async fn send_pin(
    standin: &StandIn,
    target: u64,
    user: u64,
    permissions: u64,
    locale: &str,
) -> Option<Dispatched> {
    send_pin_in(standin, (GUILD, CHANNEL), target, user, permissions, locale).await
}

/// [`send_pin`], and the bot's reply.
pub async fn pin_as(
    standin: &StandIn,
    target: u64,
    user: u64,
    permissions: u64,
    locale: &str,
) -> Option<StoredMessage> {
    let d = send_pin(standin, target, user, permissions, locale).await?;
    Some(reply(standin, d.interaction_id).await)
}

/// [`send_pin`] in the server and channel `place`.
pub async fn send_pin_in(
    standin: &StandIn,
    (guild, channel): (u64, u64),
    target: u64,
    user: u64,
    permissions: u64,
    locale: &str,
) -> Option<Dispatched> {
    standin
        .try_send_message_command(
            MessageCommand::new(PIN_COMMAND, target)
                .user(user)
                .in_guild(guild, channel)
                .member_permissions(permissions)
                .locale(locale),
        )
        .await
}
