//! Server-only code: configuration, storage and the use-cases behind the pages and routes.

pub mod auth;
pub mod bounds;
pub mod cause;
pub mod client_ip;
pub mod clock;
pub mod config;
pub mod context;
pub mod db;
pub mod digest;
pub mod events;
pub mod limits;
pub mod metrics;
pub mod oidc;
pub mod payments;
pub mod product_api;
pub mod profile;
pub mod push;
pub mod redirect;
pub mod retention;
pub mod share;
pub mod shared_tokens;
pub mod shipping;
pub mod status;
