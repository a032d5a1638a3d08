//! The server-to-server API of the product's backend under `/api/v1/` (issue #15): API keys with scopes, and what
//! the keys may do.

pub mod checkouts;
pub mod error;
pub mod idempotency;
pub mod keys;
pub mod users;

pub use error::ProductApiError;
