//! Merchant request authentication: the `Authorization: WECHATPAY2-SHA256-RSA2048 …` header, verified with the
//! merchant's registered key over `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n`, within 5 minutes.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012365336> (signature generation). Every failure is a 401
//! SIGN_ERROR whose message says what was wrong.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::Verifier;

use super::error::PayError;

/// The only scheme WeChat Pay API v3 accepts.
pub const SCHEME: &str = "WECHATPAY2-SHA256-RSA2048";
/// How far a request's timestamp may be from the sandbox's clock, as WeChat allows.
pub const MAX_SKEW_SECONDS: i64 = 300;

/// The parameters of an Authorization header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Credential {
    pub mchid: String,
    pub nonce_str: String,
    pub signature: String,
    pub timestamp: String,
    pub serial_no: String,
}

/// Parses `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`.
/// Values may be quoted or not; the order of the parameters is free.
pub fn parse(header: &str) -> Result<Credential, PayError> {
    let rest = header.trim().strip_prefix(SCHEME).ok_or_else(|| {
        PayError::SignError(format!(
            "the Authorization header must start with `{SCHEME} ` (got `{}`)",
            header.split_whitespace().next().unwrap_or_default()
        ))
    })?;
    if !rest.starts_with(' ') {
        return Err(PayError::SignError(format!(
            "the Authorization header must be `{SCHEME} ` followed by its parameters"
        )));
    }
    let mut fields: [(&str, Option<String>); 5] = [
        ("mchid", None),
        ("nonce_str", None),
        ("signature", None),
        ("timestamp", None),
        ("serial_no", None),
    ];
    for part in rest.split(',') {
        let Some((name, value)) = part.split_once('=') else {
            return Err(PayError::SignError(format!(
                "the Authorization parameter `{}` is not name=\"value\"",
                part.trim()
            )));
        };
        let name = name.trim();
        let value = value.trim();
        let value = value
            .strip_prefix('"')
            .and_then(|inner| inner.strip_suffix('"'))
            .unwrap_or(value);
        if let Some((_, slot)) = fields.iter_mut().find(|(known, _)| *known == name) {
            *slot = Some(value.to_owned());
        }
    }
    let mut take = |index: usize| -> Result<String, PayError> {
        let (name, value) = &mut fields[index];
        match value.take() {
            Some(value) if !value.is_empty() => Ok(value),
            _ => Err(PayError::SignError(format!(
                "the Authorization header has no {name}"
            ))),
        }
    };
    Ok(Credential {
        mchid: take(0)?,
        nonce_str: take(1)?,
        signature: take(2)?,
        timestamp: take(3)?,
        serial_no: take(4)?,
    })
}

/// The merchant as the sandbox knows it: who may call, and with which key.
#[derive(Debug)]
pub struct Merchant {
    pub mchid: String,
    /// The merchant API certificate serial (`serial_no` in Authorization).
    pub serial: String,
    /// The merchant's public key, ready to check its signatures (Authorization, paySign).
    pub verifying_key: VerifyingKey<Sha256>,
}

/// One request as it arrived: what the merchant signed.
pub struct SignedRequest<'a> {
    pub method: &'a str,
    /// Path and query exactly as requested (the original URI when the sandbox is nested).
    pub path_and_query: &'a str,
    pub authorization: Option<&'a str>,
    pub body: &'a [u8],
}

/// Checks the Authorization header of `request` at time `now` (Unix seconds).
pub fn verify(merchant: &Merchant, request: &SignedRequest<'_>, now: i64) -> Result<(), PayError> {
    let header = request
        .authorization
        .ok_or_else(|| PayError::SignError("the request has no Authorization header".to_owned()))?;
    let credential = parse(header)?;
    if credential.mchid != merchant.mchid {
        return Err(PayError::SignError(format!(
            "mchid {} in Authorization is not the sandbox's merchant {}",
            credential.mchid, merchant.mchid
        )));
    }
    if !credential.serial_no.eq_ignore_ascii_case(&merchant.serial) {
        return Err(PayError::SignError(format!(
            "serial_no {} in Authorization is not the merchant API certificate serial {}",
            credential.serial_no, merchant.serial
        )));
    }
    let timestamp: i64 = credential.timestamp.parse().map_err(|_| {
        PayError::SignError(format!(
            "timestamp {} in Authorization is not Unix seconds",
            credential.timestamp
        ))
    })?;
    // Unsigned distance: a timestamp near i64::MIN or i64::MAX cannot overflow the subtraction.
    let skew = now.abs_diff(timestamp);
    if skew > MAX_SKEW_SECONDS.unsigned_abs() {
        return Err(PayError::SignError(format!(
            "timestamp {timestamp} in Authorization is {skew} s away from the sandbox's clock ({now}); \
             at most {MAX_SKEW_SECONDS} s is allowed"
        )));
    }
    let raw = BASE64
        .decode(&credential.signature)
        .map_err(|_| PayError::SignError("signature in Authorization is not base64".to_owned()))?;
    let signature = Signature::try_from(raw.as_slice()).map_err(|_| {
        PayError::SignError("signature in Authorization is not an RSA signature".to_owned())
    })?;
    // The path is signed exactly as it was sent, percent-encoding and all: WeChat refuses a signature over the
    // decoded path (<https://pay.weixin.qq.com/doc/v3/merchant/4012365336>, "URL": the request's absolute URL
    // without the host, as requested).
    let signed = message(
        request.method,
        request.path_and_query,
        &credential,
        request.body,
    );
    if merchant.verifying_key.verify(&signed, &signature).is_ok() {
        return Ok(());
    }
    Err(PayError::SignError(format!(
        "the signature does not verify with the merchant's registered key over \
         `{method}\\n{path}\\n{timestamp}\\n{nonce}\\n<{len} body bytes>\\n`: check the key, and sign the method, \
         the full path with its query as requested, the timestamp, the nonce_str and the exact body bytes",
        method = request.method,
        path = request.path_and_query,
        timestamp = credential.timestamp,
        nonce = credential.nonce_str,
        len = request.body.len(),
    )))
}

fn message(method: &str, path: &str, credential: &Credential, body: &[u8]) -> Vec<u8> {
    let mut message = format!(
        "{method}\n{path}\n{}\n{}\n",
        credential.timestamp, credential.nonce_str
    )
    .into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::SigningKey;
    use rsa::signature::{SignatureEncoding, Signer};

    const MCHID: &str = "1900000001";
    const SERIAL: &str = "5157F09EFDC096DE15EBE81A47057A7232F1B8E1";

    fn header(mchid: &str, signature: &str, timestamp: i64) -> String {
        format!(
            "{SCHEME} mchid=\"{mchid}\",nonce_str=\"N1\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{SERIAL}\""
        )
    }

    fn setup() -> (Merchant, SigningKey<Sha256>) {
        let key = crate::keys::generate_rsa_key().expect("key");
        let merchant = Merchant {
            mchid: MCHID.to_owned(),
            serial: SERIAL.to_owned(),
            verifying_key: VerifyingKey::new(key.to_public_key()),
        };
        (merchant, SigningKey::<Sha256>::new(key))
    }

    fn sign(key: &SigningKey<Sha256>, message: &str) -> String {
        BASE64.encode(key.sign(message.as_bytes()).to_bytes())
    }

    #[test]
    fn parses_wechats_documented_header_in_any_order() {
        let credential = parse(
            "WECHATPAY2-SHA256-RSA2048 serial_no=\"ABC\",mchid=\"1900009191\",nonce_str=\"593BEC0C930BF1AFEB40B4A08C8FB242\",timestamp=\"1554208460\",signature=\"uOVRnA==\"",
        )
        .expect("parses");
        assert_eq!(credential.mchid, "1900009191");
        assert_eq!(credential.serial_no, "ABC");
        assert_eq!(credential.timestamp, "1554208460");
        assert_eq!(credential.signature, "uOVRnA==");
    }

    #[test]
    fn a_wrong_scheme_or_a_missing_parameter_is_named() {
        let wrong = parse("Bearer abc").expect_err("scheme");
        assert!(wrong.to_string().contains("WECHATPAY2-SHA256-RSA2048"));
        let missing = parse(&format!(
            "{SCHEME} mchid=\"1\",nonce_str=\"n\",timestamp=\"1\",serial_no=\"s\""
        ))
        .expect_err("no signature");
        assert_eq!(
            missing.to_string(),
            "the Authorization header has no signature"
        );
    }

    #[test]
    fn a_correct_signature_over_the_path_and_body_verifies() {
        let (merchant, key) = setup();
        let signature = sign(
            &key,
            "POST\n/v3/pay/transactions/native\n1000\nN1\n{\"a\":1}\n",
        );
        let request = SignedRequest {
            method: "POST",
            path_and_query: "/v3/pay/transactions/native",
            authorization: Some(&header(MCHID, &signature, 1000)),
            body: b"{\"a\":1}",
        };
        assert_eq!(verify(&merchant, &request, 1100), Ok(()));
    }

    #[test]
    fn an_altered_body_a_stale_timestamp_and_another_mchid_are_refused() {
        let (merchant, key) = setup();
        let signature = sign(&key, "GET\n/v3/certificates\n1000\nN1\n\n");
        let good = header(MCHID, &signature, 1000);
        let altered = SignedRequest {
            method: "GET",
            path_and_query: "/v3/certificates",
            authorization: Some(&good),
            body: b"x",
        };
        assert!(verify(&merchant, &altered, 1000)
            .expect_err("altered")
            .to_string()
            .contains("does not verify"));
        let fresh = SignedRequest {
            body: b"",
            ..altered
        };
        assert!(verify(&merchant, &fresh, 1000).is_ok());
        assert!(verify(&merchant, &fresh, 1301)
            .expect_err("stale")
            .to_string()
            .contains("301 s away"));
        let other = header("1900000002", &signature, 1000);
        let other_mchid = SignedRequest {
            authorization: Some(&other),
            ..fresh
        };
        assert!(verify(&merchant, &other_mchid, 1000)
            .expect_err("mchid")
            .to_string()
            .contains("mchid 1900000002"));
    }

    #[test]
    fn a_path_signed_before_percent_encoding_is_refused_and_as_sent_verifies() {
        let (merchant, key) = setup();
        let signature = sign(
            &key,
            "GET\n/v3/pay/transactions/out-trade-no/T 1中?mchid=1\n1000\nN1\n\n",
        );
        let request = SignedRequest {
            method: "GET",
            path_and_query: "/v3/pay/transactions/out-trade-no/T%201%E4%B8%AD?mchid=1",
            authorization: Some(&header(MCHID, &signature, 1000)),
            body: b"",
        };
        assert!(matches!(
            verify(&merchant, &request, 1000),
            Err(PayError::SignError(_))
        ));
        let as_sent = sign(
            &key,
            "GET\n/v3/pay/transactions/out-trade-no/T%201%E4%B8%AD?mchid=1\n1000\nN1\n\n",
        );
        let request = SignedRequest {
            authorization: Some(&header(MCHID, &as_sent, 1000)),
            ..request
        };
        assert!(verify(&merchant, &request, 1000).is_ok());
    }
}
