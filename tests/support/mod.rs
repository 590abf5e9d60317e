pub mod standin;
pub mod store;
