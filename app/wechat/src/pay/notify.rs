//! WeChat Pay notifications: validate the raw bytes, check the algorithm, decrypt the resource, parse it.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012791861>.

use serde::Deserialize;

use super::aead::{self, AeadError, ALGORITHM};
use super::validate::{validate, SignatureHeaders, ValidationError};
use super::verify::KeyRing;

/// The envelope WeChat Pay POSTs.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Notification {
    pub id: String,
    pub create_time: String,
    pub event_type: String,
    pub resource_type: String,
    #[serde(default)]
    pub summary: String,
    pub resource: EncryptedResource,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct EncryptedResource {
    pub algorithm: String,
    pub ciphertext: String,
    #[serde(default)]
    pub associated_data: String,
    pub nonce: String,
    #[serde(default)]
    pub original_type: String,
}

/// A notification that passed every check, with its decrypted resource (JSON text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNotification {
    pub notification: Notification,
    pub plaintext: String,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NotifyError {
    #[error(transparent)]
    Validation(#[from] ValidationError),
    #[error("the notification body is not the JSON WeChat Pay sends: {0}")]
    Malformed(String),
    #[error("the resource uses {0}, not {ALGORITHM}")]
    Algorithm(String),
    #[error(transparent)]
    Decrypt(#[from] AeadError),
    #[error("the decrypted resource is not UTF-8 text")]
    NotText,
}

/// The one entry point: headers and the exact body bytes in, the decrypted resource out.
pub fn verify_and_decrypt(
    keys: &KeyRing,
    api_v3_key: &[u8],
    headers: &SignatureHeaders,
    body: &[u8],
    now: i64,
) -> Result<VerifiedNotification, NotifyError> {
    validate(keys, headers, body, now)?;
    let notification: Notification =
        serde_json::from_slice(body).map_err(|error| NotifyError::Malformed(error.to_string()))?;
    let resource = &notification.resource;
    if resource.algorithm != ALGORITHM {
        return Err(NotifyError::Algorithm(resource.algorithm.clone()));
    }
    let plaintext = aead::decrypt(
        api_v3_key,
        &resource.nonce,
        &resource.associated_data,
        &resource.ciphertext,
    )?;
    let plaintext = String::from_utf8(plaintext).map_err(|_| NotifyError::NotText)?;
    Ok(VerifiedNotification {
        notification,
        plaintext,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pay::certificate::PlatformCertificate;
    use crate::testdata;

    #[test]
    fn wechatpay_go_notification_passes_validation_and_reaches_decryption() {
        let keys = KeyRing::default();
        keys.add_certificate(
            PlatformCertificate::from_pem(include_str!("../../testdata/platform-cert.pem"))
                .expect("certificate"),
        );
        let raw = testdata::notify_headers();
        let field = |name: &str| raw[name].as_str().expect("header").to_owned();
        let headers = SignatureHeaders {
            timestamp: field("Wechatpay-Timestamp"),
            nonce: field("Wechatpay-Nonce"),
            signature: field("Wechatpay-Signature"),
            serial: field("Wechatpay-Serial"),
        };
        // wechatpay-go encrypted this resource with a 16-byte key (AES-128), so a 32-byte APIv3 key fails at the
        // tag: the signature step passed, and the failure names the key.
        let error = verify_and_decrypt(
            &keys,
            b"0123456789abcdef0123456789abcdef",
            &headers,
            testdata::NOTIFY_BODY,
            1_624_523_846,
        )
        .expect_err("not decryptable with a 32-byte key");
        assert_eq!(error, NotifyError::Decrypt(AeadError::TagMismatch));
    }
}
