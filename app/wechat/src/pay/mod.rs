//! WeChat Pay API v3, split by job as wechatpay-go does: sign, credential, verify, validate, aead and certificates
//! for the crypto; client for the transport; transactions, params, refund and bill for the APIs, and trade_bill to read a
//! downloaded trade bill.
//! Without the `client` feature only [`params`]' types are here.

#[cfg(feature = "client")]
pub mod aead;
#[cfg(feature = "client")]
pub mod bill;
#[cfg(feature = "client")]
pub mod certificate;
#[cfg(feature = "client")]
pub mod certificates;
#[cfg(feature = "client")]
pub mod client;
#[cfg(feature = "client")]
pub mod credential;
#[cfg(feature = "client")]
pub mod error;
#[cfg(feature = "client")]
pub mod notify;
#[cfg(feature = "client")]
pub mod oaep;
pub mod params;
#[cfg(feature = "client")]
pub mod refund;
#[cfg(feature = "client")]
pub mod sign;
#[cfg(feature = "client")]
pub mod trade_bill;
#[cfg(feature = "client")]
pub mod transactions;
#[cfg(feature = "client")]
pub mod validate;
#[cfg(feature = "client")]
pub mod verify;
