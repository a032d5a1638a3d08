//! The key ring of WeChat Pay's verifying keys, chosen by `Wechatpay-Serial`: platform certificates (several valid
//! at once during a rotation) and the WeChat Pay public key (`PUB_KEY_ID_…`), both at once during a migration.
//! Signatures are checked with aws-lc-rs (about 7× faster than the `rsa` crate: it is most of a webhook's cost).

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use aws_lc_rs::signature::{ParsedPublicKey, RSA_PKCS1_2048_8192_SHA256};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rsa::pkcs1::EncodeRsaPublicKey as _;
use rsa::RsaPublicKey;

use super::certificate::{normalize_serial, PlatformCertificate};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VerifyError {
    #[error("no WeChat Pay key has the serial {0}")]
    UnknownSerial(String),
    #[error("the platform certificate {0} has expired")]
    Expired(String),
    #[error("the signature is not valid")]
    BadSignature,
}

/// Where a verifying key came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    PublicKey,
    Certificate { not_before: i64, not_after: i64 },
}

#[derive(Debug, Clone)]
struct Entry {
    /// For encrypting sensitive fields to WeChat Pay.
    public_key: RsaPublicKey,
    /// The same key, parsed once for checking signatures; `None` if aws-lc-rs refused it (e.g. under 2048 bits),
    /// and then every signature made with it is refused.
    verifier: Option<Arc<ParsedPublicKey>>,
    source: KeySource,
}

impl Entry {
    fn new(public_key: RsaPublicKey, source: KeySource) -> Entry {
        let verifier = public_key
            .to_pkcs1_der()
            .ok()
            .and_then(|der| ParsedPublicKey::new(&RSA_PKCS1_2048_8192_SHA256, der.as_bytes()).ok())
            .map(Arc::new);
        Entry {
            public_key,
            verifier,
            source,
        }
    }
}

/// Verifying keys by normalized serial. Shared by every request; cheap reads, rare writes.
#[derive(Debug, Default)]
pub struct KeyRing {
    entries: RwLock<HashMap<String, Entry>>,
}

impl KeyRing {
    /// Adds the WeChat Pay public key under its id.
    pub fn add_public_key(&self, id: &str, public_key: RsaPublicKey) {
        self.write().insert(
            normalize_serial(id),
            Entry::new(public_key, KeySource::PublicKey),
        );
    }

    /// Adds (or refreshes) a platform certificate.
    pub fn add_certificate(&self, certificate: PlatformCertificate) {
        self.write().insert(
            certificate.serial.clone(),
            Entry::new(
                certificate.public_key,
                KeySource::Certificate {
                    not_before: certificate.not_before,
                    not_after: certificate.not_after,
                },
            ),
        );
    }

    /// The serials known, sorted, for messages and diagnostics.
    pub fn serials(&self) -> Vec<String> {
        let mut serials: Vec<_> = self.read().keys().cloned().collect();
        serials.sort();
        serials
    }

    /// The key to encrypt sensitive fields to, with the serial to send in `Wechatpay-Serial`: the public key when
    /// there is one, else the platform certificate valid at `now` that expires last.
    pub fn encryption_key(&self, now: i64) -> Option<(String, RsaPublicKey)> {
        let entries = self.read();
        let public_key = entries
            .iter()
            .find(|(_, entry)| entry.source == KeySource::PublicKey);
        let newest_certificate = entries
            .iter()
            .filter_map(|(serial, entry)| match entry.source {
                KeySource::Certificate {
                    not_before,
                    not_after,
                } if not_before <= now && now <= not_after => Some((not_after, serial, entry)),
                _ => None,
            })
            .max_by_key(|(not_after, serial, _)| (*not_after, (*serial).clone()))
            .map(|(_, serial, entry)| (serial, entry));
        public_key
            .or(newest_certificate)
            .map(|(serial, entry)| (serial.clone(), entry.public_key.clone()))
    }

    /// Checks a base64 SHA256withRSA `signature` of `message` with the key named by `serial`, valid at `now`.
    pub fn verify(
        &self,
        serial: &str,
        message: &[u8],
        signature: &str,
        now: i64,
    ) -> Result<(), VerifyError> {
        let serial = normalize_serial(serial);
        let (verifier, source) = self
            .read()
            .get(&serial)
            .map(|entry| (entry.verifier.clone(), entry.source.clone()))
            .ok_or_else(|| VerifyError::UnknownSerial(serial.clone()))?;
        if let KeySource::Certificate { not_after, .. } = source {
            if now > not_after {
                return Err(VerifyError::Expired(serial));
            }
        }
        let signature = BASE64
            .decode(signature)
            .map_err(|_| VerifyError::BadSignature)?;
        verifier
            .ok_or(VerifyError::BadSignature)?
            .verify_sig(message, &signature)
            .map_err(|_| VerifyError::BadSignature)
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, HashMap<String, Entry>> {
        self.entries
            .read()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, HashMap<String, Entry>> {
        self.entries
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}
