//! WeChat Pay API v3, split by job as wechatpay-go does: sign, credential, verify, validate, aead, certificates.

pub mod aead;
pub mod certificate;
pub mod credential;
pub mod notify;
pub mod oaep;
pub mod sign;
pub mod validate;
pub mod verify;
