//! Updates without a restart: `SIGHUP`, or `/activation-reload` from the application's
//! owner, loads the rules and texts again.
//!
//! The new version is loaded and checked completely (the checks of `rules check`,
//! every message fitting Discord included) before anything changes; then it replaces the
//! running handler in one step ([`Live::set`]). An invalid version changes nothing, and
//! every problem is logged as `file:line` (and listed to the owner who asked).
//!
//! Each interaction takes the handler that is current when it arrives and is served by
//! it to the end, so a reload under load loses no click: clicks that arrived before it
//! finish under the old version, later ones run under the new one. Buttons carry their
//! conversation's answers, so conversations in flight continue under the new rules (a
//! button of the old version is carried over, see `conversation`). What must outlive a
//! version is [`Kept`]: the store, the registry, the figures, and the per-user gates.
//!
//! One reload runs at a time: requests are served in turn by one task ([`serve`]).

use std::sync::{Arc, RwLock};
use std::time::Instant;

use serenity::all::{CommandInteraction, Context, CreateCommand, Event, GuildId, RawEventHandler};
use serenity::async_trait;
use serenity::http::Http;
use tokio::sync::{mpsc, oneshot};

use super::handler::Handler;
pub use super::kept::{Kept, Outcome, Request};
use super::respond::Call;
use super::spec;
use crate::i18n::Localizer;
use crate::knowledge::{self, Knowledge};
use crate::problem::Problem;

/// Where the rules and texts are read from, as the bot was started.
#[derive(Debug, Clone)]
pub struct Source {
    pub rules_file: std::path::PathBuf,
    pub i18n_dir: std::path::PathBuf,
    pub default_locale: String,
}

impl Source {
    /// Loads and checks the rules and texts as `rules check` does (every message must fit
    /// in Discord as well); every problem, or the knowledge.
    pub fn load(&self) -> Result<Knowledge, Vec<Problem>> {
        let k = knowledge::load(&self.rules_file, &self.i18n_dir, &self.default_locale)
            .map_err(|p| p.0)?;
        let problems = spec::fit_problems(&k);
        if problems.is_empty() {
            Ok(k)
        } else {
            Err(problems)
        }
    }
}

/// The handler in force; replaced in one step by a reload.
pub struct Live {
    current: RwLock<Arc<Handler>>,
}

impl Live {
    pub fn new(handler: Handler) -> Self {
        Self {
            current: RwLock::new(Arc::new(handler)),
        }
    }

    pub fn get(&self) -> Arc<Handler> {
        self.current
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn set(&self, handler: Handler) {
        *self.current.write().unwrap_or_else(|e| e.into_inner()) = Arc::new(handler);
    }
}

/// serenity's raw-event handler: each event goes to the handler in force when it arrives.
pub struct LiveHandler(pub Arc<Live>);

#[async_trait]
impl RawEventHandler for LiveHandler {
    async fn raw_event(&self, ctx: Context, event: Event) {
        let handler = self.0.get();
        RawEventHandler::raw_event(&*handler, ctx, event).await
    }
}

/// Loads, checks and swaps in a new version (see the module documentation).
pub struct Reloader {
    pub live: Arc<Live>,
    pub kept: Arc<Kept>,
    pub source: Source,
    /// To register the commands again: their names and descriptions are texts too.
    pub http: Arc<Http>,
    /// The one server the commands are registered in, if not globally.
    pub guild: Option<u64>,
}

impl Reloader {
    /// Registers the commands with the texts in force (after a reload); a failure is
    /// logged, and the commands keep their earlier names and descriptions.
    pub async fn register_commands(&self) {
        let handler = self.live.get();
        let l10n = handler.l10n();
        let registered = async {
            super::commands::register(&self.http, l10n, self.guild.map(GuildId::new)).await?;
            register(&self.http, l10n, &self.kept.admin_guilds).await
        };
        if let Err(e) = registered.await {
            tracing::warn!(error = %e, "reloaded, but the commands' names and descriptions could not be registered again");
        }
    }

    /// One reload, asked for by `by` (for the log). Blocking: loading and checking every
    /// message takes a while.
    pub fn reload(&self, by: &str) -> Outcome {
        let started = Instant::now();
        let previous = self.kept.rules().meta.version.clone();
        match self.source.load() {
            Ok(k) => {
                let version = k.rules.meta.version.clone();
                let rules = k.rules.clone();
                self.live.set(Handler::new(k, self.kept.clone()));
                *self.kept.rules.write().unwrap_or_else(|e| e.into_inner()) = rules;
                tracing::warn!(
                    by,
                    %version,
                    %previous,
                    took_ms = started.elapsed().as_millis() as u64,
                    "reloaded the rules and texts"
                );
                Outcome::Done { version, previous }
            }
            Err(problems) => {
                for p in &problems {
                    tracing::error!(by, "{p}");
                }
                tracing::error!(
                    by,
                    problems = problems.len(),
                    running = %previous,
                    "the edited rules or texts have problems (listed above); nothing changed"
                );
                Outcome::Refused {
                    problems: problems.iter().map(ToString::to_string).collect(),
                    version: previous,
                }
            }
        }
    }
}

/// Starts the reload task for `live` (SIGHUP and /activation-reload, served one at a
/// time by [`serve`]), as `run` and `serve` both do once they reach Discord. Without
/// `source` (the bot was not told where its rules are) a reload is
/// [`Outcome::Unavailable`].
pub fn start(
    live: Arc<Live>,
    kept: Arc<Kept>,
    source: Option<Source>,
    http: Arc<Http>,
    guild: Option<u64>,
    requests: mpsc::UnboundedReceiver<Request>,
) -> tokio::task::JoinHandle<()> {
    let reloader = source.map(|source| {
        Arc::new(Reloader {
            live,
            kept,
            source,
            http,
            guild,
        })
    });
    tokio::spawn(serve(reloader, requests))
}

/// Serves reloads one at a time: on `SIGHUP`, and on every request, until both end.
pub async fn serve(
    reloader: Option<Arc<Reloader>>,
    mut requests: mpsc::UnboundedReceiver<Request>,
) {
    #[cfg(unix)]
    let mut hup = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::hangup()).ok();
    let run = |by: &'static str| {
        let reloader = reloader.clone();
        async move {
            match reloader {
                Some(r) => {
                    let reloading = r.clone();
                    let outcome = tokio::task::spawn_blocking(move || reloading.reload(by))
                        .await
                        .unwrap_or(Outcome::Unavailable);
                    if matches!(outcome, Outcome::Done { .. }) {
                        r.register_commands().await;
                    }
                    outcome
                }
                None => {
                    tracing::warn!(
                        by,
                        "asked to reload, but the bot was not told where its rules are"
                    );
                    Outcome::Unavailable
                }
            }
        }
    };
    loop {
        #[cfg(unix)]
        let hangup = async {
            match hup.as_mut() {
                Some(s) => s.recv().await,
                None => std::future::pending().await,
            }
        };
        #[cfg(not(unix))]
        let hangup = std::future::pending::<Option<()>>();
        tokio::select! {
            Some(()) = hangup => {
                tracing::info!("SIGHUP: reloading the rules and texts");
                run("SIGHUP").await;
            }
            request = requests.recv() => match request {
                Some(reply) => {
                    let outcome = run("/activation-reload").await;
                    let _ = reply.send(outcome);
                }
                None => break,
            },
        }
    }
}

/// The command's definition, localized.
pub fn definition(l10n: &Localizer) -> CreateCommand {
    super::commands::server_command(
        super::commands::RELOAD,
        l10n,
        "cmd-reload-name",
        "cmd-reload-description",
    )
}

/// Registers /activation-reload in each of `guilds` (and nowhere else).
pub async fn register(
    http: &Http,
    l10n: &Localizer,
    guilds: &[u64],
) -> Result<(), serenity::Error> {
    for &g in guilds {
        GuildId::new(g)
            .create_command(http, definition(l10n))
            .await?;
        tracing::info!(guild = g, "registered /activation-reload");
    }
    Ok(())
}

impl Handler {
    /// `/activation-reload`: the owner, in a server of the configuration, reloads; the
    /// answer (ephemeral) says which version is in force, or lists the problems.
    pub(super) async fn reload_command(&self, call: Call<'_, CommandInteraction>) {
        let (ctx, c, locale) = (call.ctx, call.interaction, call.locale);
        let l10n = self.l10n();
        let kept = &self.kept;
        let allowed = c
            .guild_id
            .is_some_and(|g| kept.admin_guilds.contains(&g.get()))
            && kept.owners.contains(&c.user.id.get());
        let respond = call.responder();
        if !allowed {
            tracing::warn!(
                user = c.user.id.get(),
                "/activation-reload refused: not the owner in a configured server"
            );
            let text = l10n.text(locale, "error-not-owner");
            respond.notice_or_log(ctx, text, "/activation-reload").await;
            return;
        }
        let deferred = match respond.defer(ctx, "the reload").await {
            Ok(d) => d,
            Err(_) => {
                tracing::error!("could not acknowledge /activation-reload; reloading all the same");
                respond
            }
        };
        let (tx, rx) = oneshot::channel();
        let outcome = match &kept.reloads {
            Some(requests) if requests.send(tx).is_ok() => rx.await.unwrap_or(Outcome::Unavailable),
            _ => Outcome::Unavailable,
        };
        let text = match outcome {
            Outcome::Done { version, previous } => {
                let done = l10n.format(
                    locale,
                    "reload-done",
                    &[("version", version), ("previous", previous)],
                );
                // Workers sharing a store are reloaded one by one: this one only, here.
                if kept.store.is_shared() {
                    format!("{done} {}", l10n.text(locale, "reload-this-worker-only"))
                } else {
                    done
                }
            }
            Outcome::Refused { problems, version } => {
                let header = l10n.format(
                    locale,
                    "reload-failed",
                    &[("count", problems.len().to_string()), ("version", version)],
                );
                let lines: Vec<String> = problems.iter().map(|p| format!("- `{p}`")).collect();
                spec::fit_list(header, &lines, |left| {
                    l10n.format(locale, "reload-more", &[("count", left.to_string())])
                })
            }
            Outcome::Unavailable => l10n.text(locale, "reload-unavailable"),
        };
        deferred
            .notice_or_log(ctx, text, "/activation-reload")
            .await;
    }
}
