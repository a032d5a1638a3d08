//! WeChat Pay API v3, split by job as wechatpay-go does: sign, credential, verify, validate, aead and certificates
//! for the crypto; client for the transport; transactions, params, refund and bill for the APIs, and trade_bill to read a
//! downloaded trade bill.
//! Without the `client` feature only [`params`]' types are here.

pub mod params;

client! {
    pub mod aead;
    pub mod bill;
    pub mod certificate;
    pub mod certificates;
    pub mod client;
    pub mod credential;
    pub mod error;
    pub mod notify;
    pub mod oaep;
    pub mod refund;
    pub mod sign;
    pub mod trade_bill;
    pub mod transactions;
    pub mod validate;
    pub mod verify;
}
