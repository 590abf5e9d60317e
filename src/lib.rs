//! activation-check: a Discord bot that walks a Windows user through a few facts about
//! their PC to a dated, sourced answer on whether lost activation can come back.
//!
//! # Layout
//!
//! The crate is a pure core with thin edges around it. The core knows nothing of Discord,
//! storage engines or async runtimes, so everything it decides is tested without them.
//!
//! - **Core** (pure, no tokio, serenity or sled):
//!   - [`rules`]: the decision tree as validated data, loaded from `rules/*.toml`;
//!     every problem is reported as `file:line`.
//!   - [`engine`]: start, answer, back, restart, transcript and progress, as pure
//!     functions over a [`engine::Walk`].
//!   - [`card`]: the answer card as localized data, and its plain-text rendering.
//!   - [`i18n`]: Fluent bundles from `i18n/<locale>/*.ftl`, locale negotiation from
//!     Discord's codes, and the cross-locale consistency check.
//!   - [`session`]: the stored session record and the [`session::SessionStore`] trait.
//!   - [`custom_id`]: what a Discord button carries (owner, place, rules, step, the
//!     answers given so far as symbols of the fixed facts contract), within 100
//!     characters.
//!   - [`knowledge`]: rules and texts loaded together and checked against each other.
//!   - [`style`]: warnings about texts that read badly (long Japanese sentences,
//!     headlines and labels; hints quoting a label no button shows).
//!   - [`problem`]: `file:line: sentence` diagnostics shared by the loaders.
//! - **Conversation** ([`conversation`]): `open` (resume or start) and one `click` per
//!   user action, judged from the button alone, returning one `Step`; it saves resume
//!   points and never reads the store to judge a click. Every front end goes through it.
//! - **Edges**:
//!   - [`store`]: the sled implementation of the session store (the only file that
//!     names sled); [`record_bytes`] is the compact layout it stores a session in.
//!   - [`discord`]: the bot: `/activation-check` over the gateway, answer cards as
//!     embeds, posting and moderator pins (the only module that names serenity).
//!   - [`registry`]: the posted cards the bot remembers, for pinning and refreshing.
//!   - [`term`]: `activation-check ask`, the terminal front end.
//!   - [`logging`]: logs to standard error with the bot token redacted.
//!   - [`config`]: settings shared by every subcommand (flags, environment, TOML file).
//!   - [`token`]: the bot token from `DISCORD_TOKEN`, a file, or systemd's credentials.
//!   - [`ops`]: running as a service: the health and metrics listener, and the names of
//!     every metric the bot exports.
//!
//! - **For the people who keep the knowledge** (pure, no tokio, serenity or sled):
//!   - [`graph`]: the tree as a picture (Mermaid, DOT, or SVG laid out in Rust) for
//!     `rules graph` and the README.
//!   - [`site`]: the knowledge as a static web site (`activation-check site`), each
//!     card as the bot posts it.
//!   - [`figures`]: usage figures without personal data (starts, finishes, drop-off per
//!     question, outcomes, posts, pins, "Did this help?"), summed for `stats` and
//!     `/activation-stats`; [`figures::tally`] keeps them in the store's `figures` tree.
//!   - [`review`]: the rules' review-by date, and the warnings once it has passed.
//!
//! The binary (`src/main.rs`) only parses the command line and dispatches.

pub mod card;
pub mod config;
pub mod conversation;
pub mod custom_id;
pub mod discord;
pub mod engine;
pub mod figures;
pub mod graph;
pub mod i18n;
pub mod knowledge;
pub mod logging;
pub mod ops;
pub mod problem;
pub mod record_bytes;
pub mod registry;
pub mod review;
pub mod rules;
pub mod session;
pub mod site;
pub mod store;
pub mod style;
pub mod term;
pub mod token;
