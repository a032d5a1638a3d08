//! The platform certificates the sandbox signs with, and `GET /v3/certificates`.
//!
//! The first certificate comes from the sandbox's credentials. Rotation (control API) adds a newer, overlapping one;
//! new responses and notifications are signed with the newest. Rotated certificates live in memory only: a restart
//! goes back to the one in the credentials file, as if the rotation had never happened.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012551764> (download platform certificates).

use std::sync::{Arc, RwLock};

use serde_json::{json, Value};
use x509_cert::der::DecodePem;
use x509_cert::Certificate;

use super::aead::{self, AeadError};
use super::clock;
use super::sign::{SignError, SigningKey};
use crate::credentials::{SandboxCredentials, CERTIFICATE_LIFETIME};
use crate::keys::{self, KeyError};

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("the platform certificate does not parse: {0}")]
    Parse(String),
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(transparent)]
    Aead(#[from] AeadError),
}

/// One platform certificate and its private key.
#[derive(Debug)]
pub struct PlatformCertificate {
    /// Uppercase hex of the X.509 serial, as `Wechatpay-Serial` carries it.
    pub serial: String,
    pub pem: String,
    pub not_before: i64,
    pub not_after: i64,
    pub key: SigningKey,
}

impl PlatformCertificate {
    fn from_pem(pem: &str, key: SigningKey) -> Result<PlatformCertificate, CertificateError> {
        let certificate = Certificate::from_pem(pem)
            .map_err(|error| CertificateError::Parse(error.to_string()))?;
        let validity = &certificate.tbs_certificate.validity;
        let seconds = |time: x509_cert::time::Time| {
            i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        Ok(PlatformCertificate {
            serial: hex::encode_upper(certificate.tbs_certificate.serial_number.as_bytes()),
            pem: pem.to_owned(),
            not_before: seconds(validity.not_before),
            not_after: seconds(validity.not_after),
            key,
        })
    }

    /// One entry of `/v3/certificates`' `data`, the PEM encrypted with the APIv3 key.
    fn listing(&self, apiv3_key: &[u8]) -> Result<Value, CertificateError> {
        let encrypted = aead::encrypt(apiv3_key, "certificate", self.pem.as_bytes())?;
        Ok(json!({
            "serial_no": self.serial,
            "effective_time": clock::rfc3339_beijing(self.not_before),
            "expire_time": clock::rfc3339_beijing(self.not_after),
            "encrypt_certificate": encrypted,
        }))
    }
}

/// Every current platform certificate, oldest first.
#[derive(Debug)]
pub struct Certificates {
    current: RwLock<Vec<Arc<PlatformCertificate>>>,
}

impl Certificates {
    pub fn from_credentials(
        credentials: &SandboxCredentials,
    ) -> Result<Certificates, CertificateError> {
        let key = SigningKey::from_pkcs8_pem(
            &credentials.platform_cert_serial,
            &credentials.platform_private_key_pem,
        )?;
        let first = PlatformCertificate::from_pem(&credentials.platform_cert_pem, key)?;
        Ok(Certificates {
            current: RwLock::new(vec![Arc::new(first)]),
        })
    }

    /// The certificate new signatures use.
    pub fn newest(&self) -> Arc<PlatformCertificate> {
        let current = self
            .current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        // Never empty: made with one, only ever added to.
        Arc::clone(&current[current.len() - 1])
    }

    pub fn all(&self) -> Vec<Arc<PlatformCertificate>> {
        self.current
            .read()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .clone()
    }

    /// Makes a new certificate valid from now, alongside the old ones, and returns it.
    pub fn rotate(&self) -> Result<Arc<PlatformCertificate>, CertificateError> {
        let private = keys::generate_rsa_key()?;
        let serial = keys::random_serial(20);
        let pem = keys::self_signed_certificate(&private, &serial, CERTIFICATE_LIFETIME)?;
        let key = SigningKey::from_rsa(&serial, &private)?;
        let certificate = Arc::new(PlatformCertificate::from_pem(&pem, key)?);
        self.current
            .write()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .push(Arc::clone(&certificate));
        Ok(certificate)
    }

    /// The body of `GET /v3/certificates`.
    pub fn listing(&self, apiv3_key: &[u8]) -> Result<Value, CertificateError> {
        let data = self
            .all()
            .iter()
            .map(|certificate| certificate.listing(apiv3_key))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(json!({ "data": data }))
    }
}
