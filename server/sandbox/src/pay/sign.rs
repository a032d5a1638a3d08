//! Signing as WeChat Pay signs responses and notifications: SHA256withRSA (PKCS#1 v1.5) over
//! `TIMESTAMP\nNONCE\nBODY\n`, carried in the five `Wechatpay-*` headers.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4013053249> (signature verification of responses and callbacks).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::KeyPair;
use aws_lc_rs::signature::RSA_PKCS1_SHA256;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rsa::pkcs8::{DecodePrivateKey, EncodePrivateKey};
use rsa::RsaPrivateKey;

use super::{clock, ids};

/// The only signature type WeChat Pay uses; SDKs refuse anything else.
pub const SIGNATURE_TYPE: &str = "WECHATPAY2-SHA256-RSA2048";

#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("the signing key is not a PKCS#8 RSA key: {0}")]
    Key(String),
    #[error("RSA signing failed")]
    Sign,
}

/// A private key and the serial it is known by: a platform certificate serial or a `PUB_KEY_ID_…`.
pub struct SigningKey {
    pub serial: String,
    pair: KeyPair,
}

impl std::fmt::Debug for SigningKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SigningKey")
            .field("serial", &self.serial)
            .finish_non_exhaustive()
    }
}

impl SigningKey {
    pub fn from_pkcs8_pem(serial: &str, pem: &str) -> Result<SigningKey, SignError> {
        let key = RsaPrivateKey::from_pkcs8_pem(pem)
            .map_err(|error| SignError::Key(error.to_string()))?;
        SigningKey::from_rsa(serial, &key)
    }

    pub fn from_rsa(serial: &str, key: &RsaPrivateKey) -> Result<SigningKey, SignError> {
        let der = key
            .to_pkcs8_der()
            .map_err(|error| SignError::Key(error.to_string()))?;
        let pair = KeyPair::from_pkcs8(der.as_bytes())
            .map_err(|error| SignError::Key(error.to_string()))?;
        Ok(SigningKey {
            serial: serial.to_owned(),
            pair,
        })
    }

    /// base64 of the SHA256withRSA signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<String, SignError> {
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair
            .sign(
                &RSA_PKCS1_SHA256,
                &SystemRandom::new(),
                message,
                &mut signature,
            )
            .map_err(|_| SignError::Sign)?;
        Ok(BASE64.encode(signature))
    }
}

/// The signature headers of one response or notification.
#[derive(Debug, Clone)]
pub struct SignatureHeaders {
    pub timestamp: String,
    pub nonce: String,
    pub signature: String,
    pub serial: String,
}

impl SignatureHeaders {
    /// Signs `TIMESTAMP\nNONCE\nBODY\n` over the exact body bytes, with the clock moved by `skew_seconds`.
    pub fn sign(
        key: &SigningKey,
        body: &[u8],
        skew_seconds: i64,
    ) -> Result<SignatureHeaders, SignError> {
        let timestamp = (clock::now_unix() + skew_seconds).to_string();
        let nonce = ids::hex_nonce();
        let signature = key.sign(&message(&timestamp, &nonce, body))?;
        Ok(SignatureHeaders {
            timestamp,
            nonce,
            signature,
            serial: key.serial.clone(),
        })
    }

    /// The headers with WeChat's canonical names (wechatpayv3's `callback()` looks them up case-sensitively).
    pub fn pairs(&self) -> [(&'static str, &str); 5] {
        [
            ("Wechatpay-Timestamp", &self.timestamp),
            ("Wechatpay-Nonce", &self.nonce),
            ("Wechatpay-Signature", &self.signature),
            ("Wechatpay-Serial", &self.serial),
            ("Wechatpay-Signature-Type", SIGNATURE_TYPE),
        ]
    }
}

/// `TIMESTAMP\nNONCE\nBODY\n`.
pub fn message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut message = Vec::with_capacity(timestamp.len() + nonce.len() + body.len() + 3);
    message.extend_from_slice(timestamp.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(nonce.as_bytes());
    message.push(b'\n');
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

#[cfg(test)]
mod tests {
    use super::*;
    use rsa::pkcs1v15::{Signature, VerifyingKey};
    use rsa::sha2::Sha256;
    use rsa::signature::Verifier;

    #[test]
    fn a_signature_verifies_over_timestamp_nonce_and_body() {
        let key = crate::keys::generate_rsa_key().expect("key");
        let signer = SigningKey::from_rsa("PUB_KEY_ID_TEST", &key).expect("signer");
        let headers = SignatureHeaders::sign(&signer, b"", 0).expect("signs");
        let raw = BASE64.decode(&headers.signature).expect("base64");
        let signature = Signature::try_from(raw.as_slice()).expect("signature");
        let verifier = VerifyingKey::<Sha256>::new(key.to_public_key());
        let signed = format!("{}\n{}\n\n", headers.timestamp, headers.nonce);
        assert!(verifier.verify(signed.as_bytes(), &signature).is_ok());
        assert!(verifier.verify(b"other", &signature).is_err());
        assert_eq!(headers.serial, "PUB_KEY_ID_TEST");
    }
}
