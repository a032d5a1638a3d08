//! The key ring of WeChat Pay's verifying keys, chosen by `Wechatpay-Serial`: platform certificates (several valid
//! at once during a rotation) and the WeChat Pay public key (`PUB_KEY_ID_…`), both at once during a migration.

use std::collections::HashMap;
use std::sync::RwLock;

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::sha2::Sha256;
use rsa::signature::Verifier as _;
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
    public_key: RsaPublicKey,
    source: KeySource,
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
            Entry {
                public_key,
                source: KeySource::PublicKey,
            },
        );
    }

    /// Adds (or refreshes) a platform certificate.
    pub fn add_certificate(&self, certificate: PlatformCertificate) {
        self.write().insert(
            certificate.serial.clone(),
            Entry {
                public_key: certificate.public_key,
                source: KeySource::Certificate {
                    not_before: certificate.not_before,
                    not_after: certificate.not_after,
                },
            },
        );
    }

    /// True when a key with this serial is known.
    pub fn contains(&self, serial: &str) -> bool {
        self.read().contains_key(&normalize_serial(serial))
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
        let entry = self
            .read()
            .get(&serial)
            .cloned()
            .ok_or_else(|| VerifyError::UnknownSerial(serial.clone()))?;
        if let KeySource::Certificate { not_after, .. } = entry.source {
            if now > not_after {
                return Err(VerifyError::Expired(serial));
            }
        }
        let signature = BASE64
            .decode(signature)
            .map_err(|_| VerifyError::BadSignature)?;
        let signature =
            Signature::try_from(signature.as_slice()).map_err(|_| VerifyError::BadSignature)?;
        VerifyingKey::<Sha256>::new(entry.public_key)
            .verify(message, &signature)
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
