//! The sandbox's WeChat Pay keys: the public-key pair (`PUB_KEY_ID_…`), the platform certificates, and the merchant's
//! APIv3 key; and the rule for which signs.
//!
//! The rule (WeChat's, <https://pay.weixin.qq.com/doc/v3/merchant/4013053249>): a request that carries
//! `Wechatpay-Serial: <PUB_KEY_ID>` is answered with the public-key pair; any other request with the newest platform
//! certificate. Notifications are signed in the mode the merchant used on the request that created the order (or
//! the refund), so a merchant on public keys gets notifications it can verify with its public key.

use serde::{Deserialize, Serialize};

use super::aead::{self, AeadError, EncryptedResource};
use super::certificates::{CertificateError, Certificates};
use super::sign::{SignError, SignatureHeaders, SigningKey};
use crate::credentials::SandboxCredentials;

/// Which key signs a response or notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyMode {
    PublicKey,
    Certificate,
}

pub struct KeyRing {
    public_key: SigningKey,
    pub certificates: Certificates,
    apiv3_key: Vec<u8>,
}

impl std::fmt::Debug for KeyRing {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyRing")
            .field("public_key", &self.public_key)
            .field("certificates", &self.certificates)
            .finish_non_exhaustive()
    }
}

impl KeyRing {
    pub fn from_credentials(credentials: &SandboxCredentials) -> Result<KeyRing, CertificateError> {
        Ok(KeyRing {
            public_key: SigningKey::from_pkcs8_pem(
                &credentials.pay_public_key_id,
                &credentials.pay_private_key_pem,
            )?,
            certificates: Certificates::from_credentials(credentials)?,
            apiv3_key: credentials.apiv3_key.as_bytes().to_vec(),
        })
    }

    /// The mode a request asks for with its `Wechatpay-Serial` header.
    pub fn mode_for(&self, wechatpay_serial: Option<&str>) -> KeyMode {
        if wechatpay_serial == Some(self.public_key.serial.as_str()) {
            KeyMode::PublicKey
        } else {
            KeyMode::Certificate
        }
    }

    pub fn sign(
        &self,
        mode: KeyMode,
        body: &[u8],
        skew_seconds: i64,
    ) -> Result<SignatureHeaders, SignError> {
        match mode {
            KeyMode::PublicKey => SignatureHeaders::sign(&self.public_key, body, skew_seconds),
            KeyMode::Certificate => {
                SignatureHeaders::sign(&self.certificates.newest().key, body, skew_seconds)
            }
        }
    }

    /// AEAD_AES_256_GCM with the APIv3 key.
    pub fn encrypt(
        &self,
        associated_data: &str,
        plaintext: &[u8],
    ) -> Result<EncryptedResource, AeadError> {
        aead::encrypt(&self.apiv3_key, associated_data, plaintext)
    }

    pub fn certificate_listing(&self) -> Result<serde_json::Value, CertificateError> {
        self.certificates.listing(&self.apiv3_key)
    }
}
