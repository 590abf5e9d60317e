//! The `activation-check` command: parses the command line and dispatches. Everything it
//! runs lives in the library; see its module map.

use std::collections::BTreeMap;
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use clap::{CommandFactory, Parser, Subcommand, ValueEnum};

use activation_check::card::TimeStyle;
use activation_check::clock::{system_clock, unix_now};
use activation_check::config::{Config, ConfigArgs};
use activation_check::conversation::Conversation;
use activation_check::knowledge::{self, Knowledge};
use activation_check::session::{Scope, SessionKey};
use activation_check::store::backend::Backend;
use activation_check::store::{SledStore, StoreOptions};
use activation_check::term;

#[derive(Debug, Parser)]
#[command(
    name = "activation-check",
    version,
    about = "Walks a Windows user through a few facts to a dated, sourced answer on lost activation"
)]
struct Cli {
    #[command(flatten)]
    config: ConfigArgs,
    /// Log filter, as in RUST_LOG (for example `info` or `activation_check=debug`).
    #[arg(
        long,
        global = true,
        env = "RUST_LOG",
        default_value = "warn",
        value_name = "FILTER"
    )]
    log: String,
    /// Log lines as text, or as one JSON object per line for a log collector.
    #[arg(
        long,
        global = true,
        env = "ACTIVATION_CHECK_LOG_FORMAT",
        value_enum,
        default_value_t = activation_check::logging::LogFormat::Text
    )]
    log_format: activation_check::logging::LogFormat,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the conversation in this terminal, or answer from given facts.
    Ask(AskArgs),
    /// Run the Discord bot (needs DISCORD_TOKEN).
    Run(BotArgs),
    /// Register the bot's commands with Discord and exit.
    Register(BotArgs),
    /// Answer interactions over HTTP (the application's Interactions Endpoint URL)
    /// instead of the gateway; several workers may share one PostgreSQL store.
    Serve(Box<ServeArgs>),
    /// Operate on stored sessions.
    Sessions {
        #[command(subcommand)]
        command: SessionsCommand,
    },
    /// Check the rules and texts.
    Rules {
        #[command(subcommand)]
        command: RulesCommand,
    },
    /// Write the knowledge as a static web site: the tree, every card as the bot posts
    /// it, the answers that reach each, and the sources with their dates and age.
    Site(SiteArgs),
    /// Ask the running bot's /healthz (at --metrics-addr); exit 0 if it is healthy, 1 if
    /// not (for a container HEALTHCHECK or a monitoring script).
    Health,
    /// Back up and restore the data directory (sessions, posted cards, usage figures).
    Data {
        #[command(subcommand)]
        command: DataCommand,
    },
    /// Print the usage figures (no personal data): conversations started, finished and
    /// given up at each question, outcomes, posts, pins, and "Did this help?". Reads the
    /// data directory, so stop the bot first (or ask /activation-stats in Discord).
    Stats(StatsArgs),
}

#[derive(Debug, Subcommand)]
enum DataCommand {
    /// Write everything in the data directory to a file of JSON lines. Works while the
    /// bot runs (it serves the export, read at one moment) or when it is stopped.
    Export {
        /// The file to write (replaced once the export is complete; readable by its owner
        /// only), or `-` for standard output.
        #[arg(long, value_name = "FILE")]
        out: std::path::PathBuf,
        /// The PostgreSQL store the workers share (`postgres://...`), instead of sled in
        /// --data-dir. The format is the same, so an export of one imports into the other.
        #[arg(long, env = "ACTIVATION_CHECK_STORE", value_name = "URL")]
        store: Option<String>,
    },
    /// Read an export into an empty data directory (stop the bot first). The whole file
    /// is checked before anything is written.
    Import {
        /// The export to read (made by `data export`).
        #[arg(value_name = "FILE")]
        file: std::path::PathBuf,
        /// The PostgreSQL store the workers share (`postgres://...`), instead of sled in
        /// --data-dir. The format is the same, so an export of one imports into the other.
        #[arg(long, env = "ACTIVATION_CHECK_STORE", value_name = "URL")]
        store: Option<String>,
    },
}

#[derive(Debug, clap::Args)]
struct StatsArgs {
    /// Text for people, or JSON for scripts.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
    /// Only this server's figures (its id) [default: every server, DMs and the terminal].
    #[arg(long, value_name = "ID")]
    guild: Option<u64>,
    /// Only the last DAYS days, today included [default: every day].
    #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..))]
    days: Option<u32>,
    /// The PostgreSQL store the workers share (`postgres://...`), instead of sled in
    /// --data-dir (which may be read while workers run).
    #[arg(long, env = "ACTIVATION_CHECK_STORE", value_name = "URL")]
    store: Option<String>,
}

#[derive(Debug, Subcommand)]
enum SessionsCommand {
    /// Delete every stored session of a user (a Discord user id, or a terminal login
    /// name), in every server, DM and the terminal. Stop the bot first: the data
    /// directory is held by one process at a time.
    Forget {
        /// The user whose sessions to delete: a Discord user id (as in Discord's "Copy User
        /// ID"), or the login name a terminal conversation ran under.
        #[arg(long, value_name = "ID")]
        user: String,
        /// The PostgreSQL store the workers share (`postgres://...`), instead of sled in
        /// --data-dir.
        #[arg(long, env = "ACTIVATION_CHECK_STORE", value_name = "URL")]
        store: Option<String>,
    },
}

#[derive(Debug, Subcommand)]
enum RulesCommand {
    /// Validate rules/ and i18n/ and print a summary; exit 1 with file:line on any problem.
    Check,
    /// Print the tree: questions with their facts, choices on the edges, outcomes
    /// coloured by severity with their verdict.
    Graph(GraphArgs),
}

#[derive(Debug, clap::Args)]
struct GraphArgs {
    /// Mermaid (what the README embeds), Graphviz DOT, or a self-contained SVG.
    #[arg(long, value_enum, default_value_t = GraphFormat::Mermaid)]
    format: GraphFormat,
    /// Label the picture with the texts of this locale (`ja`, `en-US`) instead of the
    /// rules' ids and values.
    #[arg(long, value_name = "TAG")]
    locale: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum GraphFormat {
    Mermaid,
    Dot,
    Svg,
}

#[derive(Debug, clap::Args)]
struct SiteArgs {
    /// The directory to write into (created if missing). Outcome pages left there by an
    /// earlier run for outcomes that no longer exist are removed; nothing else is.
    #[arg(long, value_name = "DIR")]
    out: std::path::PathBuf,
    /// The time the cards on the site are dated with: RFC 3339 (`2026-12-06T09:00:00Z`)
    /// or unix seconds. Fix it to get the same files from the same rules [default: now].
    #[arg(long, value_name = "TIME", env = "SOURCE_DATE_EPOCH", value_parser = activation_check::site::parse_time)]
    generated_at: Option<i64>,
}

#[derive(Debug, clap::Args)]
struct BotArgs {
    /// The bot token from the Discord Developer Portal (required; never logged).
    #[arg(
        long,
        env = "DISCORD_TOKEN",
        hide_env_values = true,
        value_name = "TOKEN"
    )]
    token: Option<String>,
    /// A file holding the bot token (for example a mounted secret); under systemd,
    /// `LoadCredential=discord-token:FILE` is read without this.
    #[arg(long, env = "DISCORD_TOKEN_FILE", value_name = "FILE")]
    token_file: Option<std::path::PathBuf>,
    /// A Discord-compatible origin for REST and gateway discovery, for example an HTTP
    /// proxy in front of Discord [default: Discord itself].
    #[arg(long, env = "DISCORD_API_BASE", value_name = "URL")]
    api_base: Option<String>,
    /// Register the commands in this server only (instant updates while setting up)
    /// [default: globally].
    #[arg(long, value_name = "ID")]
    guild: Option<u64>,
}

#[derive(Debug, clap::Args)]
struct ServeArgs {
    #[command(flatten)]
    bot: BotArgs,
    /// Where to listen for Discord's POSTs, for example 127.0.0.1:8080 behind a reverse
    /// proxy that terminates TLS (port 0 picks a free port; the address is printed).
    #[arg(long, env = "ACTIVATION_CHECK_LISTEN", value_name = "ADDR")]
    listen: std::net::SocketAddr,
    /// The application's public key (Developer Portal → General Information → Public
    /// Key); a request not signed with it gets 401.
    #[arg(long, env = "DISCORD_PUBLIC_KEY", value_name = "HEX")]
    public_key: activation_check::discord::endpoint::verify::PublicKey,
    /// Where the sessions and posted cards live: `postgres://user:password@host/db` for
    /// a database several workers share [default: sled in --data-dir, one process].
    #[arg(long, env = "ACTIVATION_CHECK_STORE", value_name = "URL")]
    store: Option<String>,
}

#[derive(Debug, clap::Args)]
struct AskArgs {
    /// Language of the conversation, such as `ja` or `en-US` [default: from LC_ALL,
    /// LC_MESSAGES or LANG, else --default-locale].
    #[arg(long, value_name = "TAG")]
    locale: Option<String>,
    /// Whose session to resume [default: the login name from USER, LOGNAME or USERNAME,
    /// else user].
    #[arg(long, value_name = "NAME")]
    user: Option<String>,
    /// Answer from this fact instead of asking (repeatable); prints the card and exits
    /// [default: none; the questions are asked].
    #[arg(long = "answer", value_name = "FACT=VALUE", value_parser = term::parse_answer)]
    answers: Vec<(String, String)>,
    /// Output format for --answer.
    #[arg(long, value_enum, default_value_t = Format::Text)]
    format: Format,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Format {
    Text,
    Json,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return unusable_arguments(e),
    };
    // The token is read before logging starts, so that it is redacted from every line.
    let token = cli
        .command
        .bot_args()
        .map(|a| activation_check::token::from_env(a.token.as_deref(), a.token_file.as_deref()));
    let secrets = match &token {
        Some(Ok(t)) => vec![t.secret().to_owned()],
        _ => a_token_as_given(&cli.command),
    };
    activation_check::logging::init_with_format(&cli.log, cli.log_format, secrets);
    if cli.command.bot_args().is_some() {
        // Before the runtime's threads start: it sets environment variables.
        let ca = activation_check::discord::tls::look_up_authorities_by_hash();
        tracing::debug!(?ca, "where TLS finds certificate authorities");
    }
    let config = match cli.config.resolve() {
        Ok(c) => c,
        Err(e) => return failed(e),
    };
    match cli.command {
        Command::Ask(args) => ask(&config, args),
        Command::Run(args) => bot(&config, args, token, false),
        Command::Serve(args) => serve(&config, *args, token),
        Command::Sessions {
            command: SessionsCommand::Forget { user, store },
        } => forget(&config, &user, store.as_deref()),
        Command::Register(args) => bot(&config, args, token, true),
        Command::Rules {
            command: RulesCommand::Check,
        } => rules_check(&config),
        Command::Rules {
            command: RulesCommand::Graph(args),
        } => rules_graph(&config, args),
        Command::Site(args) => site(&config, args),
        Command::Health => health(&config),
        Command::Data {
            command: DataCommand::Export { out, store },
        } => data_export(&config, &out, store.as_deref()),
        Command::Data {
            command: DataCommand::Import { file, store },
        } => data_import(&config, &file, store.as_deref()),
        Command::Stats(args) => stats(&config, args),
    }
}

fn store_options(config: &Config) -> StoreOptions {
    StoreOptions {
        cache_capacity: config.cache_capacity_bytes,
        ttl: config.session_ttl,
        ..StoreOptions::default()
    }
}

fn data_export(config: &Config, out: &std::path::Path, store: Option<&str>) -> ExitCode {
    use activation_check::data;
    // The header names the rules in force; a backup is still taken when they do not load.
    let rules = match knowledge::load(
        &config.rules_file(),
        &config.i18n_dir,
        &config.default_locale,
    ) {
        Ok(k) => Some(data::RulesInfo::of(&k.rules.meta)),
        Err(_) => {
            eprintln!(
                "activation-check: warning: the rules do not load (see `activation-check \
                     rules check`); the export names no rules version"
            );
            None
        }
    };
    let started = std::time::Instant::now();
    let exported = match postgres(config, store) {
        None => data::export(&config.data_dir, store_options(config), rules, out),
        Some(Err(code)) => return code,
        Some(Ok((pg, runtime))) => runtime
            .block_on(pg.snapshot())
            .map_err(|e| format!("cannot read PostgreSQL at {}: {e}", pg.target()))
            .and_then(|snapshot| data::export_snapshot(&snapshot, rules, out)),
    };
    let from = match store.filter(|u| !u.is_empty()) {
        Some(_) => "PostgreSQL".to_owned(),
        None => config.data_dir.display().to_string(),
    };
    match exported {
        Ok(e) => {
            let to = if out == std::path::Path::new("-") {
                "standard output".to_owned()
            } else {
                out.display().to_string()
            };
            eprintln!(
                "exported {} session(s) and {} other record(s) from {} to {to} in {} ms{}{}",
                e.counts.sessions,
                e.counts.entries,
                from,
                started.elapsed().as_millis(),
                if e.from_running_bot {
                    " (served by the running bot)"
                } else {
                    ""
                },
                if e.counts.left_out > 0 {
                    format!(
                        "; {} session record(s) this build cannot read were left out",
                        e.counts.left_out
                    )
                } else {
                    String::new()
                }
            );
            ExitCode::SUCCESS
        }
        Err(e) => failed(e),
    }
}

fn data_import(config: &Config, file: &std::path::Path, store: Option<&str>) -> ExitCode {
    let started = std::time::Instant::now();
    // The whole file is checked before the data directory is even created.
    if let Err(e) = activation_check::data::check(file) {
        return failed(e);
    }
    let (imported, into) = match postgres(config, store) {
        Some(Err(code)) => return code,
        Some(Ok((pg, runtime))) => (
            runtime.block_on(activation_check::data::write_into_postgres(file, &pg)),
            format!("PostgreSQL at {}", pg.target()),
        ),
        None => {
            let store = match open_store(config) {
                Ok(s) => s,
                Err(code) => return code,
            };
            (
                activation_check::data::write_into(file, &store),
                config.data_dir.display().to_string(),
            )
        }
    };
    match imported {
        Ok(i) => {
            let rules = i
                .header
                .rules
                .as_ref()
                .map(|r| format!(", rules {}", r.version))
                .unwrap_or_default();
            println!(
                "imported {} session(s) and {} other record(s) into {} in {} ms (exported {} \
                 by {}{rules})",
                i.counts.sessions,
                i.counts.entries,
                into,
                started.elapsed().as_millis(),
                i.header.exported_at,
                i.header.build,
            );
            ExitCode::SUCCESS
        }
        Err(e) => failed(e),
    }
}

fn health(config: &Config) -> ExitCode {
    let Some(addr) = config.metrics_addr else {
        return failed(
            "health needs the address the bot serves /healthz on: --metrics-addr or \
             ACTIVATION_CHECK_METRICS_ADDR",
        );
    };
    match activation_check::ops::check(addr, std::time::Duration::from_secs(3)) {
        Ok(body) => {
            println!("{body}");
            ExitCode::SUCCESS
        }
        Err(e) => failed(e),
    }
}

fn load(config: &Config) -> Result<Knowledge, ExitCode> {
    knowledge::load(&config.rules_file(), &config.i18n_dir, &config.default_locale).map_err(|p| {
        eprintln!("{p}");
        let rules = config.rules_file();
        if !rules.is_file() || !config.i18n_dir.is_dir() {
            // Most likely run from outside the project: say where it looked, and how to
            // point it elsewhere.
            let cwd = std::env::current_dir()
                .map(|d| d.display().to_string())
                .unwrap_or_else(|_| "?".to_owned());
            eprintln!(
                "activation-check: looked for the rules in {} and the texts in {} (relative \
                 paths are taken from the working directory, {cwd}); run it from the \
                 directory holding rules/ and i18n/, or give --rules-dir and --i18n-dir \
                 (or ACTIVATION_CHECK_RULES_DIR and ACTIVATION_CHECK_I18N_DIR)",
                rules.display(),
                config.i18n_dir.display()
            );
        } else {
            eprintln!(
                "activation-check: {} problem(s) in the rules or texts; fix them (see `activation-check rules check`)",
                p.len()
            );
        }
        ExitCode::from(1)
    })
}

fn rules_check(config: &Config) -> ExitCode {
    let k = match load_for_discord(config) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let rules = &k.rules;
    let covered = rules.verdicts();
    println!(
        "{}: rules `{}` version {} (review by {})",
        config.rules_file().display(),
        rules.meta.id,
        rules.meta.version,
        rules.meta.review_by
    );
    println!(
        "  questions: {}, outcomes: {}, at most {} questions per conversation",
        rules.questions().count(),
        rules.outcomes().count(),
        rules.max_depth()
    );
    println!(
        "  verdicts covered: {} of {}",
        covered.len(),
        activation_check::rules::Verdict::ALL.len()
    );
    for v in activation_check::rules::Verdict::ALL {
        if !covered.contains(v) {
            println!("    not reached: {v}");
        }
    }
    let locales: Vec<String> = k
        .l10n
        .counts()
        .iter()
        .map(|(tag, n)| format!("{tag} ({n} messages)"))
        .collect();
    println!(
        "  locales: {} (default {})",
        locales.join(", "),
        config.default_locale
    );
    // Texts that work but read badly: warnings, printed with file:line; the exit status
    // stays 0.
    let warnings = activation_check::style::check(rules, &k.l10n);
    for w in &warnings {
        eprintln!("{w}");
    }
    println!("  style warnings: {}", warnings.len());
    // Past review-by: a warning, not a failure.
    if let Some(w) = activation_check::review::warning(rules, (system_clock())()) {
        eprintln!("{w}");
        println!("  review: due since {}", rules.meta.review_by);
    }
    println!("ok");
    ExitCode::SUCCESS
}

/// [`load`], and every message the rules and texts make must fit in Discord.
fn load_for_discord(config: &Config) -> Result<Knowledge, ExitCode> {
    let k = load(config)?;
    let problems = activation_check::discord::spec::fit_problems(&k);
    if problems.is_empty() {
        return Ok(k);
    }
    for p in &problems {
        eprintln!("{p}");
    }
    eprintln!(
        "activation-check: {} message(s) would not fit in Discord; shorten the texts they name",
        problems.len()
    );
    Err(ExitCode::from(1))
}

/// `DISCORD_TOKEN` as given, for redaction when no token could be resolved (say, both
/// it and `DISCORD_TOKEN_FILE` are set).
fn a_token_as_given(command: &Command) -> Vec<String> {
    command
        .bot_args()
        .map(|a| a.token.iter().cloned().collect())
        .unwrap_or_default()
}

impl Command {
    /// The token and Discord settings of a command that talks to Discord.
    fn bot_args(&self) -> Option<&BotArgs> {
        match self {
            Command::Run(a) | Command::Register(a) => Some(a),
            Command::Serve(s) => Some(&s.bot),
            _ => None,
        }
    }
}

fn bot(
    config: &Config,
    args: BotArgs,
    token: Option<Result<activation_check::token::Token, activation_check::token::TokenError>>,
    register_only: bool,
) -> ExitCode {
    let token = match token {
        Some(Ok(t)) => t,
        Some(Err(e)) => return failed(e),
        None => return failed(activation_check::token::TokenError::Missing),
    };
    tracing::info!(from = %token.source(), "read the bot token");
    if let Some(base) = &args.api_base {
        if !(base.starts_with("http://") || base.starts_with("https://")) {
            eprintln!(
                "activation-check: DISCORD_API_BASE is `{base}`; expected an http:// or https:// origin"
            );
            return ExitCode::from(1);
        }
    }
    let k = match load_for_discord(config) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let mut opts = activation_check::discord::BotOptions {
        token: token.secret().to_owned(),
        api_base: args.api_base,
        guild: args.guild,
        health: None,
        reload: Some(reload_source(config)),
        admin_guilds: config.admin_guilds.clone(),
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    if register_only {
        return match runtime.block_on(activation_check::discord::register(&k, &opts)) {
            Ok(n) => {
                println!("registered {n} commands");
                ExitCode::SUCCESS
            }
            Err(e) => failed_with_causes(&e),
        };
    }
    let store = match open_store(config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let ops = match config.metrics_addr {
        Some(addr) => {
            match runtime.block_on(activation_check::ops::start(
                addr,
                &k,
                Backend::Sled(store.clone()),
            )) {
                Ok(listener) => Some(listener),
                Err(e) => return failed(e),
            }
        }
        None => None,
    };
    opts.health = ops.as_ref().map(|l| l.health());
    // `data export` while the bot runs: it asks the bot through its data directory.
    let exports = serve_exports(&runtime, &store, &k);
    // Expired sessions are pruned by the bot itself (`discord::run`), which counts those
    // given up unfinished in the usage figures.
    let result = runtime.block_on(activation_check::discord::run(
        k,
        store.clone(),
        opts,
        activation_check::discord::shutdown_signal(),
    ));
    if let Some(listener) = ops {
        runtime.block_on(listener.stop());
    }
    if let Some(server) = exports {
        runtime.block_on(server.stop());
    }
    // Leave the store so that the next start opens it quickly (see SledStore::checkpoint).
    let started = std::time::Instant::now();
    match store.checkpoint(std::time::Duration::from_secs(5)) {
        Ok(()) => tracing::info!(
            took_ms = started.elapsed().as_millis() as u64,
            "the store is checkpointed"
        ),
        Err(e) => {
            tracing::warn!(error = %e, "the store was not checkpointed; the next start replays its log")
        }
    }
    // A gateway connection attempt may still sit in a DNS lookup on a blocking thread;
    // dropping the runtime would wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    exit_with(result)
}

/// `data export` while the bot runs on sled: it asks the bot through its data directory.
fn serve_exports(
    runtime: &tokio::runtime::Runtime,
    store: &Arc<SledStore>,
    k: &Knowledge,
) -> Option<activation_check::data::serve::ExportServer> {
    match runtime.block_on(activation_check::data::serve::start(
        store.clone(),
        Some(activation_check::data::RulesInfo::of(&k.rules.meta)),
    )) {
        Ok(server) => Some(server),
        Err(e) => {
            tracing::warn!(error = %e, "`data export` will not work while the bot runs (stop it to export)");
            None
        }
    }
}

/// Where a reload reads the rules and texts from: where the bot read them at start.
fn reload_source(config: &Config) -> activation_check::discord::reload::Source {
    activation_check::discord::reload::Source {
        rules_file: config.rules_file(),
        i18n_dir: config.i18n_dir.clone(),
        default_locale: config.default_locale.clone(),
    }
}

/// `serve`: the conversation over HTTP interactions.
fn serve(
    config: &Config,
    args: ServeArgs,
    token: Option<Result<activation_check::token::Token, activation_check::token::TokenError>>,
) -> ExitCode {
    let token = match token {
        Some(Ok(t)) => t,
        Some(Err(e)) => return failed(e),
        None => return failed(activation_check::token::TokenError::Missing),
    };
    let k = match load_for_discord(config) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let store = match open_backend(config, args.store.as_deref(), &runtime) {
        Ok(s) => s,
        Err(code) => return code,
    };
    // /healthz (whether the store answers) and /metrics, as with `run`.
    let ops = match config.metrics_addr {
        Some(addr) => {
            match runtime.block_on(activation_check::ops::start(addr, &k, store.clone())) {
                Ok(listener) => Some(listener),
                Err(e) => return failed(e),
            }
        }
        None => None,
    };
    let opts = activation_check::discord::endpoint::ServeOptions {
        listen: args.listen,
        public_key: args.public_key,
        bot: activation_check::discord::BotOptions {
            token: token.secret().to_owned(),
            api_base: args.bot.api_base,
            guild: args.bot.guild,
            health: ops.as_ref().map(|l| l.health()),
            // SIGHUP and the owner's /activation-reload reload this worker.
            reload: Some(reload_source(config)),
            admin_guilds: config.admin_guilds.clone(),
        },
    };
    let exports = match &store {
        Backend::Sled(s) => serve_exports(&runtime, s, &k),
        Backend::Postgres(_) => None,
    };
    let hourly = std::time::Duration::from_secs(3600);
    let pruner = match &store {
        Backend::Sled(s) => runtime.spawn(activation_check::store::prune_periodically(
            s.clone(),
            hourly,
            std::future::pending(),
        )),
        Backend::Postgres(p) => {
            runtime.spawn(activation_check::store::postgres::prune_periodically(
                p.clone(),
                hourly,
                std::future::pending(),
            ))
        }
    };
    let result = runtime.block_on(activation_check::discord::endpoint::serve(
        k,
        store.clone(),
        opts,
        |addr| {
            use std::io::Write;
            let mut out = std::io::stdout().lock();
            let _ = writeln!(out, "listening on http://{addr}");
            let _ = out.flush();
        },
        activation_check::discord::shutdown_signal(),
    ));
    pruner.abort();
    if let Some(listener) = ops {
        runtime.block_on(listener.stop());
    }
    if let Some(server) = exports {
        runtime.block_on(server.stop());
    }
    if let Backend::Sled(s) = &store {
        if let Err(e) = s.checkpoint(std::time::Duration::from_secs(5)) {
            tracing::warn!(error = %e, "the store was not checkpointed; the next start replays its log");
        }
    }
    runtime.shutdown_timeout(std::time::Duration::from_secs(1));
    exit_with(result)
}

fn forget(config: &Config, user: &str, store: Option<&str>) -> ExitCode {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let store = match open_backend(config, store, &runtime) {
        Ok(s) => s,
        Err(code) => return code,
    };
    match runtime.block_on(store.forget_user(user)) {
        Ok(n) => {
            println!("deleted {n} session(s) of user {user}");
            ExitCode::SUCCESS
        }
        Err(e) => failed_with_causes(&e),
    }
}

/// clap's report and exit status 2 for a mistake on the command line. A bad value that
/// came from an environment variable is a setting instead: it is named by its variable,
/// not by the flag the user never typed, and exits 1 like the other unusable settings.
fn unusable_arguments(e: clap::Error) -> ExitCode {
    use clap::error::{ContextKind, ContextValue, ErrorKind};
    if matches!(
        e.kind(),
        ErrorKind::ValueValidation | ErrorKind::InvalidValue
    ) {
        if let Some(ContextValue::String(arg)) = e.get(ContextKind::InvalidArg) {
            // "--session-ttl-days <DAYS>"
            let flag = arg.split_whitespace().next().unwrap_or_default();
            let typed = std::env::args_os().skip(1).any(|a| {
                let a = a.to_string_lossy();
                a == flag || a.starts_with(&format!("{flag}="))
            });
            if let Some(var) = env_of(&Cli::command(), flag.trim_start_matches("--")) {
                if let (false, Ok(value)) = (typed, std::env::var(&var)) {
                    let why = std::error::Error::source(&e)
                        .map_or_else(|| "not a valid value".to_owned(), ToString::to_string);
                    return failed(format!(
                        "the environment variable {var}={value:?} cannot be used: {why} \
                         (it sets {flag})"
                    ));
                }
            }
        }
    }
    e.exit()
}

/// The environment variable behind the flag `--long`, in `cmd` or its subcommands.
fn env_of(cmd: &clap::Command, long: &str) -> Option<String> {
    cmd.get_arguments()
        .find(|a| a.get_long() == Some(long))
        .and_then(|a| a.get_env())
        .map(|v| v.to_string_lossy().into_owned())
        .or_else(|| cmd.get_subcommands().find_map(|c| env_of(c, long)))
}

/// Says what went wrong and exits 1.
fn failed(e: impl std::fmt::Display) -> ExitCode {
    eprintln!("activation-check: {e}");
    ExitCode::from(1)
}

/// Says what went wrong, with every cause the error carries, and exits 1.
fn failed_with_causes(e: &(dyn std::error::Error + 'static)) -> ExitCode {
    failed(activation_check::problem::with_causes(e))
}

/// Success, or [`failed_with_causes`].
fn exit_with<E: std::error::Error + 'static>(result: Result<(), E>) -> ExitCode {
    result.map_or_else(|e| failed_with_causes(&e), |()| ExitCode::SUCCESS)
}

fn open_store(config: &Config) -> Result<Arc<SledStore>, ExitCode> {
    SledStore::open(&config.data_dir, store_options(config))
        .map(Arc::new)
        .map_err(|e| failed_with_causes(&e))
}

/// The PostgreSQL store named by `--store` (with a runtime to use it on), or `None`
/// when none is named (sled in the data directory).
fn postgres(
    config: &Config,
    url: Option<&str>,
) -> Option<
    Result<
        (
            Arc<activation_check::store::postgres::PgStore>,
            tokio::runtime::Runtime,
        ),
        ExitCode,
    >,
> {
    url.filter(|u| !u.is_empty())?;
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    Some(match open_backend(config, url, &runtime) {
        Ok(Backend::Postgres(pg)) => Ok((pg, runtime)),
        Ok(Backend::Sled(_)) => unreachable!("a URL names PostgreSQL"),
        Err(code) => Err(code),
    })
}

/// The store named by `--store`: PostgreSQL for a `postgres://` URL, else sled in the
/// data directory.
fn open_backend(
    config: &Config,
    url: Option<&str>,
    runtime: &tokio::runtime::Runtime,
) -> Result<Backend, ExitCode> {
    let Some(url) = url.filter(|u| !u.is_empty()) else {
        return open_store(config).map(Backend::Sled);
    };
    if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
        return Err(failed(format!(
            "--store (ACTIVATION_CHECK_STORE) must be a postgres:// or postgresql:// URL, \
             or empty for the store in the data directory; got `{}`",
            url.split('@').next_back().unwrap_or_default()
        )));
    }
    let options = StoreOptions {
        ttl: config.session_ttl,
        ..StoreOptions::default()
    };
    runtime
        .block_on(activation_check::store::postgres::PgStore::connect(
            url, options,
        ))
        .map(|p| Backend::Postgres(Arc::new(p)))
        .map_err(|e| failed_with_causes(&e))
}

/// The locale from LANG-style variables (`ja_JP.UTF-8` → `ja-JP`), if any.
fn env_locale() -> Option<String> {
    ["LC_ALL", "LC_MESSAGES", "LANG"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.is_empty())
        .map(|v| {
            v.split(['.', '@'])
                .next()
                .unwrap_or_default()
                .replace('_', "-")
        })
        .filter(|v| v != "C" && v != "POSIX" && !v.is_empty())
}

fn login_name() -> String {
    ["USER", "LOGNAME", "USERNAME"]
        .iter()
        .filter_map(|v| std::env::var(v).ok())
        .find(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "user".to_owned())
}

/// Resolves on SIGINT (Ctrl-C), whose handler is installed when this is called (inside
/// a runtime), not when it is first awaited.
fn interrupt_signal() -> impl std::future::Future<Output = ()> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let sigint = signal(SignalKind::interrupt());
        async move {
            match sigint {
                Ok(mut s) => {
                    s.recv().await;
                }
                Err(_) => std::future::pending().await,
            }
        }
    }
    #[cfg(not(unix))]
    async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    }
}

fn ask(config: &Config, args: AskArgs) -> ExitCode {
    let k = match load(config) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let locale = match &args.locale {
        Some(tag) => match k.l10n.exact(tag) {
            Some(l) => l,
            None => {
                eprintln!(
                    "activation-check: --locale `{tag}` is not available; choose one of: {}",
                    k.l10n.tags().join(", ")
                );
                return ExitCode::from(2);
            }
        },
        None => k
            .l10n
            .negotiate(&env_locale().into_iter().collect::<Vec<_>>()),
    };

    if !args.answers.is_empty() {
        let mut facts: BTreeMap<String, String> = BTreeMap::new();
        for (fact, value) in args.answers {
            match facts.get(&fact) {
                Some(first) if *first != value => {
                    let args = [
                        ("fact", fact.clone()),
                        ("first", first.clone()),
                        ("second", value),
                    ];
                    eprintln!("{}", k.l10n.format(locale, "ask-fact-twice", &args));
                    return ExitCode::from(2);
                }
                _ => {
                    facts.insert(fact, value);
                }
            }
        }
        if let Some(text) = term::unknown_facts_text(&facts, &k.rules, &k.l10n, locale) {
            eprintln!("{text}");
            return ExitCode::from(2);
        }
        let now = unix_now();
        // People read the text in their own time zone; JSON keeps the unambiguous UTC form.
        let style = match args.format {
            Format::Text => TimeStyle::Local,
            Format::Json => TimeStyle::Rfc3339,
        };
        return match term::draft(&k.rules, &k.l10n, locale, &facts, now, style) {
            Ok(d) => {
                match args.format {
                    Format::Text => print!(
                        "{}",
                        term::card_text(&d.card, &k.l10n, locale, term::Style::for_stdout())
                    ),
                    Format::Json => println!(
                        "{}",
                        serde_json::to_string_pretty(&d.to_json(&k.rules, &k.l10n, locale))
                            .expect("the answer serializes")
                    ),
                }
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("{}", term::fact_error_text(&e, &k.rules, &k.l10n, locale));
                ExitCode::from(2)
            }
        };
    }
    if args.format == Format::Json {
        eprintln!("activation-check: --format json needs --answer FACT=VALUE");
        return ExitCode::from(2);
    }

    let store = match open_store(config) {
        Ok(s) => s,
        Err(code) => return code,
    };
    let conv = Conversation::new(
        k.rules.clone(),
        k.l10n.clone(),
        store.clone(),
        system_clock(),
        TimeStyle::Local,
    );
    let key = SessionKey::new(Scope::Terminal, args.user.unwrap_or_else(login_name));
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let stdin = std::io::stdin();
    if !stdin.is_terminal() {
        tracing::debug!("standard input is not a terminal; reading answers line by line");
    }
    let mut stdout = std::io::stdout();
    // Ctrl-C: the conversation says what was saved and ends, instead of the process
    // being killed without a word.
    // The handler is installed now, before the first prompt, so an early Ctrl-C is not
    // lost to the default action.
    let interrupt = {
        let _runtime = runtime.enter();
        interrupt_signal()
    };
    let result = runtime.block_on(term::interactive(
        &conv,
        &key,
        locale,
        std::io::BufReader::new(stdin),
        &mut stdout,
        interrupt,
        term::Style::for_stdout(),
    ));
    let _ = store.flush();
    // The thread reading the input may still wait for a line: do not wait for it.
    runtime.shutdown_background();
    match result {
        Ok(term::Ending::Interrupted) => ExitCode::from(130),
        Ok(term::Ending::Quit | term::Ending::EndOfInput) => ExitCode::SUCCESS,
        Err(e) => failed_with_causes(&e),
    }
}

fn rules_graph(config: &Config, args: GraphArgs) -> ExitCode {
    use activation_check::graph::{Format as G, Graph};
    let k = match load(config) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let labels = match &args.locale {
        None => None,
        Some(tag) => match k.l10n.exact(tag) {
            Some(l) => Some((&*k.l10n, l)),
            None => {
                eprintln!(
                    "activation-check: --locale `{tag}` is not available; choose one of: {}",
                    k.l10n.tags().join(", ")
                );
                return ExitCode::from(2);
            }
        },
    };
    let format = match args.format {
        GraphFormat::Mermaid => G::Mermaid,
        GraphFormat::Dot => G::Dot,
        GraphFormat::Svg => G::Svg,
    };
    print!("{}", Graph::of(&k.rules, labels).render(format));
    ExitCode::SUCCESS
}

fn site(config: &Config, args: SiteArgs) -> ExitCode {
    let k = match load(config) {
        Ok(k) => k,
        Err(code) => return code,
    };
    let generated_at = args.generated_at.unwrap_or_else(unix_now);
    let site = activation_check::site::build(&k, generated_at);
    match activation_check::site::write(&site, &args.out) {
        Ok(written) => {
            for p in &written.removed {
                println!(
                    "removed {} (its outcome is no longer in the rules)",
                    p.display()
                );
            }
            println!(
                "wrote {} files to {} (rules {}, cards dated {}); open {}",
                written.files.len(),
                args.out.display(),
                k.rules.meta.version,
                activation_check::card::rfc3339(generated_at),
                args.out.join("index.html").display()
            );
            ExitCode::SUCCESS
        }
        Err(e) => failed(format!(
            "cannot write the site to {}: {e}",
            args.out.display()
        )),
    }
}

fn stats(config: &Config, args: StatsArgs) -> ExitCode {
    use activation_check::figures::{self, Filter, Place};
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime starts");
    let store = match args.store.as_deref().filter(|u| !u.is_empty()) {
        Some(url) => match open_backend(config, Some(url), &runtime) {
            Ok(b) => b,
            Err(code) => return code,
        },
        None => match SledStore::open(&config.data_dir, store_options(config)) {
            Ok(s) => Backend::Sled(Arc::new(s)),
            Err(e @ activation_check::store::OpenError::Locked { .. }) => {
                return failed(format!(
                    "{e}; the usage figures are in that directory: ask /activation-stats in \
                     Discord, or stop the bot and run this again"
                ))
            }
            Err(e) => return failed_with_causes(&e),
        },
    };
    let now = (system_clock())();
    let filter = Filter {
        place: args.guild.map(Place::Guild),
        since: args
            .days
            .map(|d| figures::day_of(now - (i64::from(d) - 1) * 86_400)),
    };
    let report = store
        .tally()
        .and_then(|tally| runtime.block_on(tally.report(&filter)));
    match report {
        Ok(r) => {
            match args.format {
                Format::Text => print!("{}", r.text()),
                Format::Json => println!(
                    "{}",
                    serde_json::to_string_pretty(&r).expect("the figures serialize")
                ),
            }
            ExitCode::SUCCESS
        }
        Err(e) => failed_with_causes(&e),
    }
}
