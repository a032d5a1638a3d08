//! Identifiers WeChat hands out, as types, so an appid is never mistaken for a merchant id.

use std::fmt;

/// A WeChat application id (`wx` + 16 hex digits): a mini program, an official account or a website app.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AppId(String);

impl AppId {
    /// Accepts what WeChat issues: `wx` followed by letters and digits.
    pub fn parse(value: &str) -> Result<AppId, String> {
        let rest = value.strip_prefix("wx").unwrap_or("");
        if !rest.is_empty() && rest.chars().all(|c| c.is_ascii_alphanumeric()) {
            Ok(AppId(value.to_owned()))
        } else {
            Err("must be a WeChat appid: \"wx\" followed by letters and digits".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AppId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A WeChat Pay merchant id (商户号): digits only.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct MchId(String);

impl MchId {
    pub fn parse(value: &str) -> Result<MchId, String> {
        if !value.is_empty() && value.chars().all(|c| c.is_ascii_digit()) {
            Ok(MchId(value.to_owned()))
        } else {
            Err("must be a WeChat Pay merchant id (digits only)".to_owned())
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for MchId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appid_must_start_with_wx_and_be_alphanumeric() {
        assert!(AppId::parse("wx1234567890abcdef").is_ok());
        assert!(AppId::parse("wx").is_err());
        assert!(AppId::parse("gh_1234").is_err());
        assert!(AppId::parse("wx12 34").is_err());
    }

    #[test]
    fn merchant_id_is_digits_only() {
        assert!(MchId::parse("1900000109").is_ok());
        assert!(MchId::parse("19000a").is_err());
        assert!(MchId::parse("").is_err());
    }
}
