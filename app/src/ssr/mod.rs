//! Server-only code: configuration, storage and the use-cases behind the pages and routes.

pub mod auth;
pub mod bounds;
pub mod config;
pub mod context;
pub mod db;
pub mod ids;
pub mod payments;
pub mod share;
pub mod shared_tokens;
pub mod status;
pub mod wechat;
