//! Plain HTTP routes that are not Leptos pages.

pub mod auth;
pub mod bearer;
pub mod body_limit;
pub mod client;
pub mod errors;
pub mod health;
pub mod hosted_checkout;
pub mod lang;
pub mod oidc;
pub mod payments;
pub mod product_api;
pub mod profile;
pub mod push;
pub mod session_lifetime;
pub mod stale_session;
