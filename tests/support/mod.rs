pub mod bot;
pub mod buttons;
pub mod interactions;
pub mod postgres;
pub mod replies;
pub mod standin;
pub mod store;
