//! AEAD_AES_256_GCM decryption of notification resources and downloaded certificates, keyed by the APIv3 key.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012071382>.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;

/// The only algorithm WeChat Pay uses for encrypted resources.
pub const ALGORITHM: &str = "AEAD_AES_256_GCM";
/// The nonce is 12 ASCII bytes.
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum AeadError {
    #[error("the APIv3 key must be 32 bytes")]
    KeyLength,
    #[error("the nonce must be 12 bytes")]
    NonceLength,
    #[error("the ciphertext is not base64")]
    Base64,
    #[error(
        "the authentication tag does not match: the APIv3 key is wrong (check WECHAT_PAY_API_V3_KEY) \
         or the resource was altered"
    )]
    TagMismatch,
}

/// Decrypts `ciphertext` (base64 of ciphertext ‖ 16-byte tag) with the APIv3 key.
pub fn decrypt(
    api_v3_key: &[u8],
    nonce: &str,
    associated_data: &str,
    ciphertext: &str,
) -> Result<Vec<u8>, AeadError> {
    let cipher = Aes256Gcm::new_from_slice(api_v3_key).map_err(|_| AeadError::KeyLength)?;
    if nonce.len() != NONCE_LEN {
        return Err(AeadError::NonceLength);
    }
    let data = BASE64.decode(ciphertext).map_err(|_| AeadError::Base64)?;
    cipher
        .decrypt(
            Nonce::from_slice(nonce.as_bytes()),
            Payload {
                msg: &data,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| AeadError::TagMismatch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn decrypts_the_easywechat_known_answer() {
        let vector = &testdata::known_answers()["aes_gcm"];
        let field = |name: &str| vector[name].as_str().expect("field");
        let plaintext = decrypt(
            field("key").as_bytes(),
            field("nonce"),
            field("aad"),
            field("ciphertext"),
        )
        .expect("decrypts");
        assert_eq!(
            String::from_utf8(plaintext).expect("utf-8"),
            field("plaintext")
        );
    }

    #[test]
    fn wrong_key_is_reported_as_a_tag_mismatch_naming_the_key() {
        let vector = &testdata::known_answers()["aes_gcm"];
        let field = |name: &str| vector[name].as_str().expect("field");
        let error = decrypt(
            b"0123456789abcdef0123456789abcdef",
            field("nonce"),
            field("aad"),
            field("ciphertext"),
        )
        .expect_err("rejected");
        assert_eq!(error, AeadError::TagMismatch);
        assert!(error.to_string().contains("APIv3 key is wrong"));
    }

    #[test]
    fn altered_associated_data_or_short_key_is_rejected() {
        let vector = &testdata::known_answers()["aes_gcm"];
        let field = |name: &str| vector[name].as_str().expect("field");
        assert_eq!(
            decrypt(
                field("key").as_bytes(),
                field("nonce"),
                "refund",
                field("ciphertext")
            ),
            Err(AeadError::TagMismatch)
        );
        assert_eq!(
            decrypt(b"short", field("nonce"), field("aad"), field("ciphertext")),
            Err(AeadError::KeyLength)
        );
    }
}
