pub mod buttons;
pub mod interactions;
pub mod postgres;
pub mod standin;
pub mod store;
