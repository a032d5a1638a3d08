//! Server functions: a few lines each that take the context and session, call a use-case and return a DTO.

pub mod auth;
pub mod shop;
pub mod status;
pub mod wechat_page;
