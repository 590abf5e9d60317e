//! The pure core: what the bot knows and decides, with no Discord, storage engine or async
//! runtime in it, so everything here is tested without them.
//!
//! What it owns:
//! - [`rules`]: the decision tree as validated data, loaded from `rules/*.toml` (every
//!   problem reported as `file:line`); [`engine`]: the walk through it, as pure functions.
//! - [`card`]: the answer card as localized data; [`i18n`]: the Fluent texts and locale
//!   negotiation; [`knowledge`]: rules and texts loaded and checked together; [`style`]:
//!   warnings about texts that read badly; [`problem`]: `file:line` diagnostics.
//! - [`conversation`]: one input in, one step out; the only caller of the session store,
//!   which it reaches through the [`session::SessionStore`] trait (the sled store is an
//!   edge, `crate::store`).
//! - [`custom_id`]: what a button carries (the conversation's answers, as symbols of the
//!   facts contract). The terminal hands the conversation the same ids as Discord's
//!   buttons, so the encoding is the core's; it fits Discord's 100 characters.
//! - [`clock`]: the one clock type, passed in.
//! - [`figures`]: usage figures without personal data, and their report; [`review`]: the
//!   rules' review-by date and the warnings once it has passed.
//!
//! What it may not touch: tokio, serenity, sled, or an edge module (`discord`, `store`,
//! `term`, `ops`, `site`, `graph`, `config`, `token`, `logging`). `tests/layout.rs`
//! fails if a file here names one of them.

pub mod card;
pub mod clock;
pub mod conversation;
pub mod custom_id;
pub mod engine;
pub mod figures;
pub mod i18n;
pub mod knowledge;
pub mod posted;
pub mod problem;
pub mod review;
pub mod rules;
pub mod session;
pub mod style;
