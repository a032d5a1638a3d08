//! WeChat Pay's side of the messages the benchmark sends or verifies: bodies signed with the sandbox's WeChat Pay
//! private key, and notification resources encrypted with the APIv3 key. Written from WeChat's docs, not with
//! wxgate's code, as the integration tests forge them.

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rand::distributions::{Alphanumeric, DistString};
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::{json, Value};
use wechat::pay::validate::SignatureHeaders;

use super::wxgate::Credentials;

/// A body and the signature headers WeChat Pay sends with it.
#[derive(Debug, Clone)]
pub struct Signed {
    pub headers: SignatureHeaders,
    pub body: String,
}

/// The sandbox's WeChat Pay keys, held as WeChat Pay holds them.
pub struct WeChatPay {
    key: SigningKey<Sha256>,
    serial: String,
    apiv3_key: Aes256Gcm,
}

impl WeChatPay {
    pub fn new(credentials: &Credentials) -> WeChatPay {
        let key = rsa::RsaPrivateKey::from_pkcs8_pem(&credentials.pay_private_key_pem)
            .expect("the WeChat Pay private key");
        WeChatPay {
            key: SigningKey::new(key),
            serial: credentials.pay_public_key_id.clone(),
            apiv3_key: Aes256Gcm::new_from_slice(credentials.apiv3_key.as_bytes())
                .expect("a 32-byte APIv3 key"),
        }
    }

    /// `body` signed now, as an answer or a notification: SHA256withRSA over `TIMESTAMP\nNONCE\nBODY\n`.
    pub fn sign(&self, body: String) -> Signed {
        let timestamp = time::OffsetDateTime::now_utc().unix_timestamp().to_string();
        let nonce = nonce(32);
        let message = format!("{timestamp}\n{nonce}\n{body}\n");
        let signature = BASE64.encode(self.key.sign(message.as_bytes()).to_vec());
        Signed {
            headers: SignatureHeaders {
                timestamp,
                nonce,
                signature,
                serial: self.serial.clone(),
            },
            body,
        }
    }

    /// A TRANSACTION.SUCCESS notification carrying `resource` (a transaction, as the sandbox reports it).
    pub fn payment_notification(&self, resource: &Value) -> Signed {
        let nonce = nonce(12);
        let ciphertext = self
            .apiv3_key
            .encrypt(
                Nonce::from_slice(nonce.as_bytes()),
                Payload {
                    msg: resource.to_string().as_bytes(),
                    aad: b"transaction",
                },
            )
            .expect("encrypts");
        self.sign(
            json!({
                "id": format!("EV-{}", resource["out_trade_no"].as_str().expect("an out_trade_no")),
                "create_time": resource["success_time"],
                "resource_type": "encrypt-resource",
                "event_type": "TRANSACTION.SUCCESS",
                "summary": "支付成功",
                "resource": {
                    "original_type": "transaction",
                    "algorithm": "AEAD_AES_256_GCM",
                    "ciphertext": BASE64.encode(ciphertext),
                    "associated_data": "transaction",
                    "nonce": nonce,
                },
            })
            .to_string(),
        )
    }
}

fn nonce(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), len)
}
