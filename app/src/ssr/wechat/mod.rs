//! The WeChat client: everything wxgate says to WeChat's servers. No database or web-framework types in here;
//! every base URL comes from configuration.

pub mod api;
pub mod clock;
pub mod failure;
pub mod jssdk;
pub mod mp;
pub mod oauth;
pub mod open_data;
pub mod pay;
pub mod token;

#[cfg(test)]
pub(crate) mod testdata;
