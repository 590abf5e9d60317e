//! activation-check: a Discord bot that walks a Windows user through a few facts about
//! their PC to a dated, sourced answer on whether lost activation can come back.
//!
//! # Layout
//!
//! The folder tree is the architecture: a pure core in `src/domain/`, and an edge folder
//! for each thing the core must not know (Discord, sled, the terminal, running as a
//! service). `tests/layout.rs` keeps the core pure.
//!
//! ```text
//! src/
//!   domain/              the pure core: no tokio, serenity, sled, nor any edge module
//!     rules/             the decision tree as validated data (mod.rs), loaded from
//!                        rules/*.toml with every problem at file:line (load.rs)
//!     engine.rs          the walk: start, answer, back, restart, progress (pure functions)
//!     conversation.rs    one input in, one step out; the only caller of the session store
//!     session.rs         the session record and the SessionStore trait
//!     custom_id.rs       what a button carries: owner, place, step, the answers so far
//!     card.rs            the answer card as localized data, its dates and ages
//!     i18n.rs            Fluent texts, locale negotiation, cross-locale checks
//!     knowledge.rs       rules and texts loaded together and checked against each other
//!     style.rs           warnings about texts that read badly
//!     problem.rs         file:line diagnostics
//!     clock.rs           the one clock, passed in
//!     figures.rs         usage figures without personal data, summed into a report
//!     posted.rs          the cards the bot posted publicly, and their pins, as data
//!     review.rs          the rules' review-by date, and the warnings once it passed
//!   store/               sessions in sled (the only folder that names sled) or PostgreSQL
//!     mod.rs             SledStore: the SessionStore methods, expiry, forget, checkpoint
//!     durability.rs      reopen after a storage error, group flush, the write-behind writer
//!     index.rs           the expiry index's byte layout
//!     dir.rs             the data-directory checks and OpenError
//!     json_tree.rs       typed JSON trees (the registry of posted cards)
//!     figures.rs         the usage figures in their `figures` tree, counted in memory first
//!     record_bytes.rs    the compact layout a session is stored in
//!     dump.rs            the whole store read at one moment, and written back (backups)
//!     postgres/          the same in PostgreSQL, shared by `serve` workers: sessions with
//!                        a conditional write on the step, handled interaction ids, posted
//!                        cards, versioned migrations (migrations.rs), usage figures added
//!                        by upserts (figures.rs), export and import as sled's (dump.rs)
//!     backend.rs         the choice between the two, as the bot uses it
//!     records.rs         where posted cards and figures are kept, in either store
//!   discord/             the bot over the gateway (the only folder that names serenity)
//!     handler.rs         routing: every event in, each interaction to its function
//!     click.rs           a click decoded into the button the bot made, and answered
//!     respond.rs         answering within Discord's deadlines, retries, serenity builders;
//!                        the Call (interaction, locale, arrival) every body takes
//!     failure.rs         why an interaction failed, and the sentence the user gets
//!     post.rs, pins.rs   posting a card; moderators' pins and their sync
//!     registry.rs        the cards the bot posted, and their pins
//!     spec.rs            message specs and Discord's limits as named constants
//!     permissions.rs     a member's permissions in a channel (PIN_MESSAGES)
//!     commands.rs, gate.rs, watch.rs   commands, one click at a time, the gateway watch
//!     endpoint/          `serve`: the same bot over HTTP interactions, each request's
//!                        Ed25519 signature verified (verify.rs), the first response in the
//!                        HTTP response (reply.rs); rest.rs is what handlers reach Discord by
//!     usage.rs           counting, "Did this help?", "Check my own PC", /activation-stats
//!     reload.rs          SIGHUP and /activation-reload: check, then swap in one step
//!     kept.rs            what outlives a reload, and how a handler asks for one
//!     tls.rs             where OpenSSL finds certificate authorities (by hash, lazily)
//!   term.rs              `activation-check ask`, the terminal front end
//!   ops/                 running as a service: health and metrics listener, metric names
//!   data/                backup and restore as JSON lines (`data export`, `data import`);
//!                        the running bot serves exports on a socket in its data directory
//!   graph/, site/        for the people who keep the knowledge: the tree as a picture,
//!                        the knowledge as a static site (each card as the bot posts it)
//!   config.rs, token.rs, logging.rs   settings, the bot token, logs with it redacted
//!   main.rs              parses the command line and dispatches
//! ```
//!
//! Where things happen: a click is decoded in `discord/click.rs` (the id format in
//! `domain/custom_id.rs`) and judged in `domain/conversation.rs`; a session is saved in
//! `store/` through `domain/session.rs`'s trait; Discord's limits are checked in
//! `discord/spec.rs`; the sentence for a failure is chosen in `discord/failure.rs`.
//!
//! The core modules keep their short paths ([`rules`], [`engine`], [`card`], [`i18n`],
//! [`session`], [`custom_id`], [`knowledge`], [`style`], [`problem`], [`conversation`],
//! [`clock`], [`figures`], [`review`]); the edges are [`store`], [`discord`], [`term`],
//! [`ops`], [`data`], [`graph`], [`site`], [`config`], [`token`] and [`logging`].
//!
//! The binary (`src/main.rs`) only parses the command line and dispatches.

pub mod config;
pub mod data;
pub mod discord;
pub mod domain;
pub mod graph;
pub mod logging;
pub mod ops;
pub mod site;
pub mod store;
pub mod term;
pub mod token;

// The pure core keeps its short paths (`crate::engine`, `activation_check::rules`, ...).
pub use domain::{
    card, clock, conversation, custom_id, engine, figures, i18n, knowledge, posted, problem,
    review, rules, session, style,
};
