/// The bot binary under test (test files only: the load driver runs its own).
#[cfg(test)]
pub mod bot;
pub mod buttons;
pub mod standin;
pub mod store;
