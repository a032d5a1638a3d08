//! WeChat Pay notifications: validate the raw bytes, check the algorithm, decrypt the resource, parse it.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012791861>.

use serde::Deserialize;

use super::aead::{self, AeadError, ALGORITHM};
use super::client::{now, PayClient};
use super::refund::RefundNotice;
use super::transactions::Transaction;
use super::validate::{validate, SignatureHeaders, ValidationError};
use super::verify::{KeyRing, VerifyError};

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

/// A notification that passed every check, with its decrypted resource read by its `event_type` (as
/// wechatpay-go's `ParseNotifyRequest` hands back the typed content).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedNotification {
    pub notification: Notification,
    pub resource: Result<Resource, UnreadableResource>,
    /// The decrypted resource as WeChat Pay wrote it, for tools that show it; read [`Self::resource`] instead.
    pub plaintext: String,
}

impl VerifiedNotification {
    /// The merchant's order the resource names, even when the rest of it could not be read.
    pub fn out_trade_no(&self) -> Option<&str> {
        match &self.resource {
            Ok(Resource::Transaction(transaction)) => Some(&transaction.out_trade_no),
            Ok(Resource::Refund(refund)) => Some(&refund.out_trade_no),
            Ok(Resource::Other(_)) => None,
            Err(unreadable) => unreadable.out_trade_no.as_deref(),
        }
    }
}

/// What a notification is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resource {
    /// `TRANSACTION.*`: a payment (`TRANSACTION.SUCCESS`).
    Transaction(Transaction),
    /// `REFUND.*`: a refund's outcome.
    Refund(RefundNotice),
    /// Another event: its resource as the decrypted JSON text.
    Other(String),
}

/// A verified, decrypted resource that is not the JSON its event type promises.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the {event_type} resource cannot be read: {cause}")]
pub struct UnreadableResource {
    pub event_type: String,
    /// The order it names, when at least that could be read.
    pub out_trade_no: Option<String>,
    pub cause: String,
}

/// Reads the decrypted `plaintext` of an `event_type` notification.
fn read_resource(event_type: &str, plaintext: &str) -> Result<Resource, UnreadableResource> {
    let typed = if event_type.starts_with("TRANSACTION.") {
        serde_json::from_str(plaintext).map(Resource::Transaction)
    } else if event_type.starts_with("REFUND.") {
        serde_json::from_str(plaintext).map(Resource::Refund)
    } else {
        return Ok(Resource::Other(plaintext.to_owned()));
    };
    typed.map_err(|error| UnreadableResource {
        event_type: event_type.to_owned(),
        out_trade_no: serde_json::from_str::<serde_json::Value>(plaintext)
            .ok()
            .and_then(|resource| resource["out_trade_no"].as_str().map(str::to_owned)),
        cause: error.to_string(),
    })
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

/// The one entry point: headers and the exact body bytes in, the decrypted, typed resource out.
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
    let resource = read_resource(&notification.event_type, &plaintext);
    Ok(VerifiedNotification {
        notification,
        resource,
        plaintext,
    })
}

/// Verifies and decrypts a notification with `client`'s keys; an unknown serial downloads the platform
/// certificates once (rate limited) before giving up.
pub async fn verify(
    client: &PayClient,
    headers: &SignatureHeaders,
    body: &[u8],
) -> Result<VerifiedNotification, NotifyError> {
    let keys = client.keys();
    match verify_and_decrypt(keys, client.api_v3_key(), headers, body, now()) {
        Err(NotifyError::Validation(ValidationError::Verify(VerifyError::UnknownSerial(_)))) => {
            if let Err(error) = client.refresh_certificates_for_unknown_serial().await {
                tracing::warn!(%error, "could not download the platform certificates");
            }
            verify_and_decrypt(keys, client.api_v3_key(), headers, body, now())
        }
        other => other,
    }
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
