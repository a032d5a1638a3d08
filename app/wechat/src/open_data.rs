//! Mini-program open data: legacy `encryptedData` (AES-128-CBC keyed by the session_key, watermark checked),
//! the `rawData` signature, and the signature `checksession` wants.
//!
//! Docs: <https://developers.weixin.qq.com/miniprogram/dev/framework/open-ability/signature.html>,
//! <https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/checkSessionKey.html>.

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha1::{Digest, Sha1};
use sha2::Sha256;

type Aes128CbcDec = cbc::Decryptor<aes::Aes128>;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OpenDataError {
    #[error("{0} is not base64 (a `+` turned into a space on the way is the usual cause: send it as JSON)")]
    Base64(&'static str),
    #[error("the session_key must be 16 bytes")]
    KeyLength,
    #[error("the iv must be 16 bytes")]
    IvLength,
    #[error(
        "decryption failed: the session_key is stale (call wx.login again) or the data was altered"
    )]
    Decrypt,
    #[error("the decrypted data is not JSON")]
    NotJson,
    #[error("the data's watermark names appid {found}, not {expected}")]
    Watermark { expected: String, found: String },
}

/// Decrypts `encrypted_data` with the user's session_key; with `appid`, checks the watermark names it.
pub fn decrypt(
    session_key: &str,
    iv: &str,
    encrypted_data: &str,
    appid: Option<&str>,
) -> Result<Value, OpenDataError> {
    let key = BASE64
        .decode(session_key)
        .map_err(|_| OpenDataError::Base64("session_key"))?;
    let iv = BASE64.decode(iv).map_err(|_| OpenDataError::Base64("iv"))?;
    let mut data = BASE64
        .decode(encrypted_data)
        .map_err(|_| OpenDataError::Base64("encrypted_data"))?;
    let key: [u8; 16] = key.try_into().map_err(|_| OpenDataError::KeyLength)?;
    let iv: [u8; 16] = iv.try_into().map_err(|_| OpenDataError::IvLength)?;
    let plaintext = Aes128CbcDec::new(&key.into(), &iv.into())
        .decrypt_padded_mut::<Pkcs7>(&mut data)
        .map_err(|_| OpenDataError::Decrypt)?;
    let value: Value = serde_json::from_slice(plaintext).map_err(|_| OpenDataError::NotJson)?;
    if let Some(expected) = appid {
        let found = value["watermark"]["appid"].as_str().unwrap_or_default();
        if found != expected {
            return Err(OpenDataError::Watermark {
                expected: expected.to_owned(),
                found: found.to_owned(),
            });
        }
    }
    Ok(value)
}

/// True when `signature` is `sha1(raw_data + session_key)` in hex.
pub fn raw_data_signature_matches(raw_data: &str, session_key: &str, signature: &str) -> bool {
    let expected = hex::encode(Sha1::digest(format!("{raw_data}{session_key}").as_bytes()));
    expected.eq_ignore_ascii_case(signature.trim())
}

/// The `signature` of `checksession`: hex HMAC-SHA256 keyed by the session_key string, over the empty string.
pub fn check_session_signature(session_key: &str) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(session_key.as_bytes())
        .expect("HMAC takes any key length");
    mac.update(b"");
    hex::encode(mac.finalize().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn decrypts_the_documentation_example_and_checks_its_watermark() {
        let vector = &testdata::known_answers()["decrypt_data"];
        let field = |name: &str| vector[name].as_str().expect("field");
        let value = decrypt(
            field("session_key"),
            field("iv"),
            field("data"),
            Some(field("appid")),
        )
        .expect("decrypts");
        assert_eq!(value["openId"], field("openid"));
        assert_eq!(value["nickName"], field("nickname"));
        assert_eq!(value["unionId"], field("unionid"));

        assert_eq!(
            decrypt(
                field("session_key"),
                field("iv"),
                field("data"),
                Some("wx0000000000000000")
            ),
            Err(OpenDataError::Watermark {
                expected: "wx0000000000000000".to_owned(),
                found: field("appid").to_owned()
            })
        );
    }

    #[test]
    fn a_stale_session_key_says_to_log_in_again() {
        let vector = &testdata::known_answers()["decrypt_data"];
        let field = |name: &str| vector[name].as_str().expect("field");
        let error = decrypt("HyVFkGl5F5OQWJZZaNzBBg==", field("iv"), field("data"), None)
            .expect_err("wrong key");
        assert_eq!(error, OpenDataError::Decrypt);
        assert!(error.to_string().contains("call wx.login again"));
    }

    #[test]
    fn a_plus_turned_into_a_space_is_named() {
        assert_eq!(
            decrypt(
                "tiihtNczf5v6AKRyjwEUhQ==",
                "r7BXXKkLb8qrSNn05n0qiA==",
                "a b",
                None
            ),
            Err(OpenDataError::Base64("encrypted_data"))
        );
    }

    #[test]
    fn raw_data_signatures_match_wechatpy_examples() {
        for vector in testdata::known_answers()["rawdata"]
            .as_array()
            .expect("list")
        {
            let field = |name: &str| vector[name].as_str().expect("field");
            assert!(raw_data_signature_matches(
                field("raw"),
                field("session_key"),
                field("signature")
            ));
            assert!(!raw_data_signature_matches(
                &format!("{} ", field("raw")),
                field("session_key"),
                field("signature")
            ));
        }
    }

    #[test]
    fn check_session_signature_is_hmac_sha256_of_nothing() {
        // HMAC-SHA256(key = "key", message = "") from RFC 4231-style tooling.
        assert_eq!(
            check_session_signature("key"),
            "5d5d139563c95b5967b9bd9a8c9b233a9dedb45072794cd232dc1b74832607d0"
        );
    }
}
