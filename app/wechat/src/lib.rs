//! A WeChat client: everything an application says to WeChat's servers, with no database, web-framework or UI
//! types in it. Every base URL comes from the caller, so the same client talks to WeChat, a staging proxy or the
//! wxgate sandbox.
//!
//! - Login: [`mp`] (mini program `jscode2session`), [`oauth`] (official-account and website OAuth), [`open_data`]
//!   (decrypting what `wx.getPhoneNumber` and friends hand the mini program).
//! - Server-side tokens: [`token`] (the `access_token` and `jsapi_ticket`, with a cache trait the caller backs).
//! - [`jssdk`]: the `wx.config` signature for pages inside WeChat.
//! - [`push`]: WeChat's message push, its signatures and its encryption.
//! - [`pay`]: WeChat Pay API v3 (signing, the platform's keys, validation, notifications, transactions, refunds,
//!   bills, OAEP for sensitive fields).
//! - [`failure`] and [`metrics`]: how failures read in logs, and the series the client records.
//!
//! See this crate's README.md for an example.
//!
//! Everything above is the `client` feature (on by default). Without it the crate is only
//! [`pay::params`]' types, which a WASM front end is handed by its server.

/// The items of the `client` feature (what `cfg_if` does, for one feature).
macro_rules! client {
    ($($item:item)*) => {
        $(
            #[cfg(feature = "client")]
            $item
        )*
    };
}

pub mod pay;

client! {
    pub mod api;
    pub mod clock;
    pub mod credentials;
    pub mod failure;
    pub mod ids;
    pub mod jssdk;
    pub mod metrics;
    pub mod mp;
    pub mod oauth;
    pub mod open_data;
    pub mod push;
    pub mod shipping;
    pub mod token;

    pub use api::WeChatError;
    pub use credentials::AppCredentials;
    pub use ids::{AppId, MchId};

    /// The result of a call to api.weixin.qq.com; WeChat Pay's calls fail with [`pay::error::PayError`].
    pub type Result<T, E = WeChatError> = std::result::Result<T, E>;
}

#[cfg(all(test, feature = "client"))]
pub(crate) mod testdata;
