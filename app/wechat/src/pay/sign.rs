//! SHA256withRSA signing with the merchant private key, through aws-lc-rs (fast and constant-time; see
//! ARCHITECTURE.md, "Crypto choice"), and the messages WeChat Pay API v3 has signed.
//!
//! Docs: <https://pay.weixin.qq.com/doc/v3/merchant/4012365336> (request signature) and
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012365340> (JSAPI paySign).

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::signature::{RsaKeyPair, RSA_PKCS1_SHA256};
use base64::engine::general_purpose::STANDARD as BASE64;
use std::sync::Arc;

use base64::Engine as _;
use rsa::pkcs8::der::pem;

/// Why the merchant key cannot sign.
#[derive(Debug, thiserror::Error)]
pub enum SignError {
    #[error("the merchant private key cannot be used for signing: {0}")]
    Key(String),
    #[error("signing failed")]
    Sign,
}

/// Signs with the merchant's private key, parsed once. Cheap to clone (the key is shared); never printed.
#[derive(Clone)]
pub struct MerchantSigner {
    key: Arc<RsaKeyPair>,
    random: SystemRandom,
}

impl std::fmt::Debug for MerchantSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("MerchantSigner([REDACTED])")
    }
}

impl MerchantSigner {
    /// The merchant private key (`apiclient_key.pem`) from its PEM: PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1
    /// (`BEGIN RSA PRIVATE KEY`).
    pub fn from_pem(text: &str) -> Result<MerchantSigner, SignError> {
        let (label, der) = pem::decode_vec(text.trim().as_bytes())
            .map_err(|error| SignError::Key(format!("not PEM ({error})")))?;
        let key = match label {
            "PRIVATE KEY" => RsaKeyPair::from_pkcs8(&der),
            "RSA PRIVATE KEY" => RsaKeyPair::from_der(&der),
            other => return Err(SignError::Key(format!("a PEM {other}, not a private key"))),
        }
        .map_err(|error| SignError::Key(error.to_string()))?;
        Ok(MerchantSigner {
            key: Arc::new(key),
            random: SystemRandom::new(),
        })
    }

    /// The size of the key's modulus in bits (WeChat Pay issues 2048-bit keys).
    pub fn modulus_bits(&self) -> usize {
        self.key.public_modulus_len() * 8
    }

    /// The base64 SHA256withRSA signature of `message`.
    pub fn sign(&self, message: &[u8]) -> Result<String, SignError> {
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(&RSA_PKCS1_SHA256, &self.random, message, &mut signature)
            .map_err(|_| SignError::Sign)?;
        Ok(BASE64.encode(signature))
    }
}

/// The message of a request signature: `METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nBODY\n` (BODY empty for GET).
pub fn request_message(
    method: &str,
    path_and_query: &str,
    timestamp: i64,
    nonce: &str,
    body: &[u8],
) -> Vec<u8> {
    let mut message = format!("{method}\n{path_and_query}\n{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

/// The message of a response or notification signature: `TIMESTAMP\nNONCE\nBODY\n` over the raw body bytes.
pub fn response_message(timestamp: &str, nonce: &str, body: &[u8]) -> Vec<u8> {
    let mut message = format!("{timestamp}\n{nonce}\n").into_bytes();
    message.extend_from_slice(body);
    message.push(b'\n');
    message
}

/// The message of a JSAPI / mini-program paySign: `appId\ntimeStamp\nnonceStr\npackage\n`.
pub fn pay_sign_message(appid: &str, timestamp: &str, nonce: &str, package: &str) -> String {
    format!("{appid}\n{timestamp}\n{nonce}\n{package}\n")
}

/// The message of an App payment signature: `appid\ntimestamp\nnoncestr\nprepayid\n`.
pub fn app_sign_message(appid: &str, timestamp: &str, nonce: &str, prepay_id: &str) -> String {
    format!("{appid}\n{timestamp}\n{nonce}\n{prepay_id}\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn signature_matches_wechatpay_go_known_answer() {
        let vector = &testdata::known_answers()["rsa_sign"];
        let signer = testdata::merchant_signer();
        let message = vector["message"].as_str().expect("message");
        assert_eq!(
            signer.sign(message.as_bytes()).expect("signs"),
            vector["signature"]
        );
    }

    #[test]
    fn request_signatures_match_the_derived_vectors() {
        let vectors = testdata::derived_request_signatures();
        let signer = testdata::merchant_signer();
        let get = request_message("GET", "/v3/certificates", 1624523846, "A1B2C3D4E5F6G7", b"");
        assert_eq!(
            get,
            vectors["get_certs"]["message"]
                .as_str()
                .expect("message")
                .as_bytes()
        );
        assert_eq!(
            signer.sign(&get).expect("signs"),
            vectors["get_certs"]["signature"]
        );

        let body = vectors["post_jsapi"]["message"].as_str().expect("message");
        let body = body.split('\n').nth(4).expect("body line");
        let post = request_message(
            "POST",
            "/v3/pay/transactions/jsapi",
            1624523846,
            "A1B2C3D4E5F6G7",
            body.as_bytes(),
        );
        assert_eq!(
            post,
            vectors["post_jsapi"]["message"]
                .as_str()
                .expect("message")
                .as_bytes()
        );
        assert_eq!(
            signer.sign(&post).expect("signs"),
            vectors["post_jsapi"]["signature"]
        );
    }

    #[test]
    fn pay_sign_matches_the_known_answer() {
        let vector = &testdata::known_answers()["pay_sign"];
        let field = |name: &str| vector[name].as_str().expect("field");
        let message = pay_sign_message(
            field("appid"),
            field("timestamp"),
            field("nonce"),
            field("package"),
        );
        let signer = testdata::merchant_signer();
        assert_eq!(
            signer.sign(message.as_bytes()).expect("signs"),
            field("signature")
        );
    }
}
