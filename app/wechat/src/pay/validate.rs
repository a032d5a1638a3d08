//! One validator for everything WeChat Pay signs, responses and notifications alike:
//! headers → probe → time window → message over the raw bytes → the key ring.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4013053249>.

use super::sign::response_message;
use super::verify::{KeyRing, VerifyError};

/// WeChat Pay rejects, and so do we, a signature more than five minutes from our clock.
pub const TIME_WINDOW_SECONDS: i64 = 300;
/// WeChat sends probe traffic whose signature starts with this; it must fail cleanly.
pub const PROBE_PREFIX: &str = "WECHATPAY/SIGNTEST/";

pub const TIMESTAMP_HEADER: &str = "Wechatpay-Timestamp";
pub const NONCE_HEADER: &str = "Wechatpay-Nonce";
pub const SIGNATURE_HEADER: &str = "Wechatpay-Signature";
pub const SERIAL_HEADER: &str = "Wechatpay-Serial";

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ValidationError {
    #[error("the {0} header is missing")]
    MissingHeader(&'static str),
    #[error("this is a WeChat Pay signature probe (WECHATPAY/SIGNTEST/), not a real message")]
    Probe,
    #[error("the {TIMESTAMP_HEADER} header is not a Unix time")]
    BadTimestamp,
    #[error("the signature is {0} s away from our clock (more than {TIME_WINDOW_SECONDS} s)")]
    Stale(i64),
    #[error(transparent)]
    Verify(#[from] VerifyError),
}

/// The signature headers of a response or notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

impl SignatureHeaders {
    /// Reads the four headers (names are case-insensitive).
    pub fn from_headers(headers: &http::HeaderMap) -> Result<SignatureHeaders, ValidationError> {
        let get = |name: &'static str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .map(str::to_owned)
                .ok_or(ValidationError::MissingHeader(name))
        };
        Ok(SignatureHeaders {
            timestamp: get(TIMESTAMP_HEADER)?,
            nonce: get(NONCE_HEADER)?,
            signature: get(SIGNATURE_HEADER)?,
            serial: get(SERIAL_HEADER)?,
        })
    }
}

/// Validates `body` (the exact bytes received) against its signature headers at time `now` (Unix seconds).
pub fn validate(
    keys: &KeyRing,
    headers: &SignatureHeaders,
    body: &[u8],
    now: i64,
) -> Result<(), ValidationError> {
    if headers.signature.starts_with(PROBE_PREFIX) {
        return Err(ValidationError::Probe);
    }
    let timestamp: i64 = headers
        .timestamp
        .trim()
        .parse()
        .map_err(|_| ValidationError::BadTimestamp)?;
    // A forged timestamp near i64::MIN or i64::MAX must not overflow (a panic in debug builds, a wrapped-around
    // "fresh" skew in release ones): the distance is taken unsigned, and a skew past i64 is stale all the same.
    if now.abs_diff(timestamp) > TIME_WINDOW_SECONDS.unsigned_abs() {
        return Err(ValidationError::Stale(now.saturating_sub(timestamp)));
    }
    let message = response_message(&headers.timestamp, &headers.nonce, body);
    keys.verify(&headers.serial, &message, &headers.signature, now)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pay::certificate::PlatformCertificate;
    use crate::testdata;

    const SIGNED_AT: i64 = 1_624_523_846;

    fn ring() -> KeyRing {
        let ring = KeyRing::default();
        ring.add_certificate(
            PlatformCertificate::from_pem(include_str!("../../testdata/platform-cert.pem"))
                .expect("certificate"),
        );
        ring
    }

    fn notification() -> (SignatureHeaders, &'static [u8]) {
        let headers = testdata::notify_headers();
        let field = |name: &str| headers[name].as_str().expect("header").to_owned();
        (
            SignatureHeaders {
                timestamp: field("Wechatpay-Timestamp"),
                nonce: field("Wechatpay-Nonce"),
                signature: field("Wechatpay-Signature"),
                serial: field("Wechatpay-Serial"),
            },
            testdata::NOTIFY_BODY,
        )
    }

    #[test]
    fn wechatpay_go_notification_is_valid() {
        let (headers, body) = notification();
        assert_eq!(validate(&ring(), &headers, body, SIGNED_AT + 60), Ok(()));
    }

    #[test]
    fn altered_body_is_rejected() {
        let (headers, body) = notification();
        let mut altered = body.to_vec();
        altered.push(b' ');
        assert_eq!(
            validate(&ring(), &headers, &altered, SIGNED_AT),
            Err(ValidationError::Verify(VerifyError::BadSignature))
        );
    }

    #[test]
    fn stale_timestamp_is_rejected_before_the_signature_is_checked() {
        let (headers, body) = notification();
        assert_eq!(
            validate(&ring(), &headers, body, SIGNED_AT + 301),
            Err(ValidationError::Stale(301))
        );
        assert_eq!(
            validate(&ring(), &headers, body, SIGNED_AT - 301),
            Err(ValidationError::Stale(-301))
        );
    }

    #[test]
    fn timestamps_at_the_ends_of_i64_are_stale_not_an_overflow() {
        let (mut headers, body) = notification();
        headers.timestamp = i64::MIN.to_string();
        assert_eq!(
            validate(&ring(), &headers, body, i64::MAX),
            Err(ValidationError::Stale(i64::MAX))
        );
        assert_eq!(
            validate(&ring(), &headers, body, SIGNED_AT),
            Err(ValidationError::Stale(i64::MAX))
        );
        headers.timestamp = i64::MAX.to_string();
        assert_eq!(
            validate(&ring(), &headers, body, i64::MIN),
            Err(ValidationError::Stale(i64::MIN))
        );
        assert_eq!(
            validate(&ring(), &headers, body, SIGNED_AT),
            Err(ValidationError::Stale(SIGNED_AT - i64::MAX))
        );
    }

    #[test]
    fn probe_and_unknown_serial_are_rejected_cleanly() {
        let (mut headers, body) = notification();
        let mut unknown = headers.clone();
        unknown.serial = "5157F09EFDC096DE15EBE81A47057A72".to_owned();
        assert_eq!(
            validate(&ring(), &unknown, body, SIGNED_AT),
            Err(ValidationError::Verify(VerifyError::UnknownSerial(
                "5157F09EFDC096DE15EBE81A47057A72".to_owned()
            )))
        );
        headers.signature = format!("{PROBE_PREFIX}{}", headers.signature);
        assert_eq!(
            validate(&ring(), &headers, body, SIGNED_AT),
            Err(ValidationError::Probe)
        );
    }

    #[test]
    fn missing_headers_are_named() {
        let headers = http::HeaderMap::new();
        assert_eq!(
            SignatureHeaders::from_headers(&headers),
            Err(ValidationError::MissingHeader(TIMESTAMP_HEADER))
        );
    }
}
