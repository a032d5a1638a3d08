//! AEAD_AES_256_GCM encryption with the merchant's APIv3 key, as WeChat Pay encrypts notification resources and
//! platform certificates: 12-character nonce, associated data, base64 of ciphertext ‖ 16-byte tag.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012071382>.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use serde::Serialize;

use super::ids;

pub const ALGORITHM: &str = "AEAD_AES_256_GCM";
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error)]
pub enum AeadError {
    #[error("the APIv3 key must be 32 bytes")]
    KeyLength,
    #[error("AES-256-GCM encryption failed")]
    Encrypt,
}

/// An encrypted resource as it appears in notifications (`resource`) and `/v3/certificates` (`encrypt_certificate`).
#[derive(Debug, Clone, Serialize)]
pub struct EncryptedResource {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub original_type: Option<String>,
    pub algorithm: &'static str,
    pub ciphertext: String,
    pub associated_data: String,
    pub nonce: String,
}

/// Encrypts `plaintext` under `key` with a fresh nonce and the given associated data.
pub fn encrypt(
    key: &[u8],
    associated_data: &str,
    plaintext: &[u8],
) -> Result<EncryptedResource, AeadError> {
    let cipher = Aes256Gcm::new_from_slice(key).map_err(|_| AeadError::KeyLength)?;
    let nonce = ids::alphanumeric(NONCE_LEN);
    let sealed = cipher
        .encrypt(
            Nonce::from_slice(nonce.as_bytes()),
            Payload {
                msg: plaintext,
                aad: associated_data.as_bytes(),
            },
        )
        .map_err(|_| AeadError::Encrypt)?;
    Ok(EncryptedResource {
        original_type: None,
        algorithm: ALGORITHM,
        ciphertext: BASE64.encode(sealed),
        associated_data: associated_data.to_owned(),
        nonce,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_resource_decrypts_with_the_same_key_nonce_and_associated_data() {
        let key = b"0123456789abcdef0123456789ABCDEF";
        let resource = encrypt(key, "transaction", b"{\"a\":1}").expect("encrypts");
        assert_eq!(resource.nonce.len(), 12);
        let cipher = Aes256Gcm::new_from_slice(key).expect("key");
        let sealed = BASE64.decode(&resource.ciphertext).expect("base64");
        let plain = cipher
            .decrypt(
                Nonce::from_slice(resource.nonce.as_bytes()),
                Payload {
                    msg: &sealed,
                    aad: b"transaction",
                },
            )
            .expect("decrypts");
        assert_eq!(plain, b"{\"a\":1}");
        let wrong_aad = cipher.decrypt(
            Nonce::from_slice(resource.nonce.as_bytes()),
            Payload {
                msg: &sealed,
                aad: b"refund",
            },
        );
        assert!(wrong_aad.is_err());
    }

    #[test]
    fn a_short_key_is_refused() {
        assert!(matches!(
            encrypt(b"short", "x", b"y"),
            Err(AeadError::KeyLength)
        ));
    }
}
