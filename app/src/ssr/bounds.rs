//! Size bounds on what clients send, checked first: before rate limits count a request, before the database or
//! WeChat sees a field. A field that fits is wrapped in a type that proves it ([`LoginCode`]) or checked with
//! [`fit`]; one that does not is refused with its name and its bound.
//!
//! The bounds follow WeChat's own where it has one (an OAuth `state` is at most 128 bytes, a refund reason at most
//! 80 characters: <https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html>,
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791862>), and leave ample room over what WeChat really sends
//! elsewhere (its codes are 32 characters, an `iv` is 24).

/// `wx.login` codes, phone-button codes and OAuth codes.
pub const MAX_CODE_BYTES: usize = 128;
/// OAuth `state` (WeChat's limit).
pub const MAX_STATE_BYTES: usize = 128;
/// A `next` path to return to after a login.
pub const MAX_NEXT_BYTES: usize = 2048;
/// Legacy open data's base64 `encryptedData` (the largest, WeRun's 30 days of steps, is a few KiB).
pub const MAX_ENCRYPTED_DATA_BYTES: usize = 16 * 1024;
/// Legacy open data's base64 `iv` (16 bytes are 24 characters).
pub const MAX_IV_BYTES: usize = 32;
/// wxgate's own ids that clients send back: order ids, product ids, refund request ids, provider ids, scopes.
pub const MAX_ID_BYTES: usize = 64;
/// A refund's reason (WeChat Pay's limit, in characters).
pub const MAX_REASON_CHARS: usize = 80;
/// A page URL the browser sends to be signed for the JS-SDK.
pub const MAX_URL_BYTES: usize = 2048;
/// A share card's title.
pub const MAX_TITLE_BYTES: usize = 1024;
/// The largest JSON (or form) request body the API takes; the WeChat Pay webhook keeps its own.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// A field longer than its bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{field} is too long: at most {max} {unit}")]
pub struct TooLong {
    pub field: &'static str,
    pub max: usize,
    pub unit: &'static str,
}

/// `value` if it has at most `max` bytes, else [`TooLong`] naming `field`.
pub fn fit<'a>(field: &'static str, value: &'a str, max: usize) -> Result<&'a str, TooLong> {
    if value.len() <= max {
        Ok(value)
    } else {
        Err(TooLong {
            field,
            max,
            unit: "bytes",
        })
    }
}

/// Like [`fit`], for an optional field.
pub fn fit_optional<'a>(
    field: &'static str,
    value: Option<&'a str>,
    max: usize,
) -> Result<Option<&'a str>, TooLong> {
    value.map(|value| fit(field, value, max)).transpose()
}

/// `value` if it has at most `max` characters (for text people write, counted as WeChat counts it).
pub fn fit_chars<'a>(field: &'static str, value: &'a str, max: usize) -> Result<&'a str, TooLong> {
    // The byte length bounds the work: four bytes per character at most.
    if value.len() <= max * 4 && value.chars().count() <= max {
        Ok(value)
    } else {
        Err(TooLong {
            field,
            max,
            unit: "characters",
        })
    }
}

/// A single-use code from WeChat (`wx.login`, a phone button, an OAuth redirect), trimmed, of at most
/// [`MAX_CODE_BYTES`].
#[derive(Clone, PartialEq, Eq)]
pub struct LoginCode(String);

impl LoginCode {
    /// `field` names the code in the error (`code`).
    pub fn parse(field: &'static str, value: &str) -> Result<LoginCode, TooLong> {
        fit(field, value, MAX_CODE_BYTES).map(|value| LoginCode(value.trim().to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Codes are credentials for five minutes: never written out whole.
impl std::fmt::Debug for LoginCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LoginCode(…)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_of_128_bytes_fits_and_one_of_129_is_refused_by_name() {
        let longest = "c".repeat(MAX_CODE_BYTES);
        assert_eq!(
            LoginCode::parse("code", &longest).map(|code| code.as_str().len()),
            Ok(128)
        );
        let refused = LoginCode::parse("code", &format!("{longest}c")).expect_err("too long");
        assert_eq!(refused.to_string(), "code is too long: at most 128 bytes");
    }

    #[test]
    fn a_code_is_trimmed_and_never_debug_printed() {
        let code = LoginCode::parse("code", "  abc  ").expect("fits");
        assert_eq!(code.as_str(), "abc");
        assert_eq!(format!("{code:?}"), "LoginCode(…)");
    }

    #[test]
    fn text_is_counted_in_characters_where_wechat_counts_characters() {
        let reason = "退".repeat(MAX_REASON_CHARS);
        assert_eq!(
            fit_chars("reason", &reason, MAX_REASON_CHARS),
            Ok(reason.as_str())
        );
        assert_eq!(
            fit_chars("reason", &format!("{reason}退"), MAX_REASON_CHARS)
                .map_err(|error| error.to_string()),
            Err("reason is too long: at most 80 characters".to_owned())
        );
    }

    #[test]
    fn a_missing_optional_field_fits() {
        assert_eq!(fit_optional("next", None, MAX_NEXT_BYTES), Ok(None));
        assert!(fit_optional("next", Some(&"/".repeat(2049)), MAX_NEXT_BYTES).is_err());
    }
}
