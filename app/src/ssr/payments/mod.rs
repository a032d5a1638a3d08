//! Payments use-cases: the catalogue, checkout per channel, the WeChat Pay webhook, looking at orders, refunds,
//! the sweeper and the daily reconciliation with WeChat Pay's bill.
//!
//! The data flows one way: the use-cases (`checkout`, `orders`, `refunds`, `webhook`, `sweeper`, `reconcile`,
//! `admin`, `catalogue`) call `refresh` (ask WeChat Pay about one order), which calls `settle` (apply a verified
//! transaction or refund status, the only module that does); `access`, `merchant` and `views` are leaves.

pub mod access;
pub mod admin;
pub mod catalogue;
pub mod checkout;
pub mod checkouts;
pub mod daily;
pub mod error;
pub mod merchant;
pub mod orders;
pub mod pay_from;
pub mod reconcile;
pub mod refresh;
pub mod refunds;
pub mod settle;
pub mod sweeper;
pub mod views;
pub mod webhook;

pub use error::PaymentError;
