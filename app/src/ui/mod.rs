//! Pages and components, rendered on the server and hydrated in the browser; never feature-gated.

pub mod account;
pub mod home;
pub mod login;
pub mod nav;
pub mod not_found;
pub mod shop;
pub mod wechat;
