pub mod bot;
pub mod buttons;
pub mod standin;
pub mod store;
