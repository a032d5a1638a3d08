//! The WeChat client: everything wxgate says to WeChat's servers. No database or web-framework types in here;
//! every base URL comes from configuration.

pub mod pay;

#[cfg(test)]
pub(crate) mod testdata;
