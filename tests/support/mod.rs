//! The tests' one harness, a file per job: the Discord stand-in (`standin/`), the bot
//! under test (`bot.rs`) and the readers of its answers (`replies.rs`, `buttons.rs`), HTTP
//! interactions for `serve` (`interactions.rs`), storage opened from a test process
//! (`store.rs`, `postgres.rs`), the command line and the shipped knowledge (`cli.rs`),
//! conversations walked through the bot (`walks.rs`), and the model the reliability tests
//! check every reply against (`model.rs`). A test file declares `mod support;` and uses
//! what it needs; the load driver (`examples/load.rs`) includes this folder too.

pub mod bot;
pub mod buttons;
pub mod cli;
pub mod interactions;
pub mod model;
pub mod postgres;
pub mod replies;
pub mod standin;
pub mod store;
pub mod walks;
