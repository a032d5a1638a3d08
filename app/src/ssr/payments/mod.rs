//! Payments use-cases: the catalogue, checkout per surface, the WeChat Pay webhook, looking at orders, refunds,
//! the sweeper and reconciliation.

pub mod admin;
pub mod catalogue;
pub mod checkout;
pub mod daily;
pub mod error;
pub mod orders;
pub mod reconcile;
pub mod refunds;
pub mod status;
pub mod surface;
pub mod sweeper;
pub mod trade_bill;
pub mod views;
pub mod webhook;

pub use error::PaymentError;
