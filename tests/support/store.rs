#![allow(dead_code)]
//! Opening the bot's data directory from a test process.
//!
//! A test that spawns children (the bot, the CLI) while a store is open in its own process
//! hands each child a copy of the locked `db` descriptor for the moment between `fork` and
//! `exec`. Another test's reopen in that moment sees `Locked`; so tests open stores here,
//! where `Locked` is retried for a while before it fails the test.

use std::path::Path;
use std::time::Duration;

use activation_check::store::{OpenError, SledStore, StoreOptions};

/// Opens `dir` with default options (the bot using it must be stopped).
pub fn open_store(dir: &Path) -> SledStore {
    for _ in 0..100 {
        match SledStore::open(dir, StoreOptions::default()) {
            Err(OpenError::Locked { .. }) => std::thread::sleep(Duration::from_millis(50)),
            other => return other.expect("the data directory opens"),
        }
    }
    panic!("{} stayed locked", dir.display());
}
