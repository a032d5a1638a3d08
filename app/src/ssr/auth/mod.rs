//! Login use-cases: the mini program, the official account in the WeChat browser, the website QR on desktops;
//! one account per person through the unionid.

pub mod account;
pub mod attempts;
pub mod callback;
pub mod cloud_hosting;
pub mod error;
pub mod lifetime;
pub mod mini_program;
pub mod oauth;
pub mod poll;
pub mod session;

pub use error::AuthError;
