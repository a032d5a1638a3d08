//! WeChat Pay platform certificates: their serial number, public key and validity, read from PEM or DER.

use rsa::pkcs8::DecodePublicKey;
use rsa::RsaPublicKey;
use x509_cert::der::{Decode, DecodePem, Encode};
use x509_cert::Certificate;

/// A platform certificate as far as verification needs it.
#[derive(Debug, Clone)]
pub struct PlatformCertificate {
    /// The serial number in uppercase hex, as WeChat writes it in `Wechatpay-Serial`.
    pub serial: String,
    pub public_key: RsaPublicKey,
    /// Validity in Unix seconds.
    pub not_before: i64,
    pub not_after: i64,
}

#[derive(Debug, thiserror::Error)]
pub enum CertificateError {
    #[error("not an X.509 certificate: {0}")]
    Parse(String),
    #[error("the certificate does not hold an RSA public key")]
    NotRsa,
}

impl PlatformCertificate {
    pub fn from_pem(pem: &str) -> Result<PlatformCertificate, CertificateError> {
        let certificate = Certificate::from_pem(pem.trim().as_bytes())
            .map_err(|error| CertificateError::Parse(error.to_string()))?;
        PlatformCertificate::from_certificate(&certificate)
    }

    pub fn from_der(der: &[u8]) -> Result<PlatformCertificate, CertificateError> {
        let certificate = Certificate::from_der(der)
            .map_err(|error| CertificateError::Parse(error.to_string()))?;
        PlatformCertificate::from_certificate(&certificate)
    }

    fn from_certificate(
        certificate: &Certificate,
    ) -> Result<PlatformCertificate, CertificateError> {
        let tbs = &certificate.tbs_certificate;
        let spki = tbs
            .subject_public_key_info
            .to_der()
            .map_err(|error| CertificateError::Parse(error.to_string()))?;
        let public_key =
            RsaPublicKey::from_public_key_der(&spki).map_err(|_| CertificateError::NotRsa)?;
        let seconds = |time: x509_cert::time::Time| {
            i64::try_from(time.to_unix_duration().as_secs()).unwrap_or(i64::MAX)
        };
        Ok(PlatformCertificate {
            serial: normalize_serial(&hex::encode_upper(tbs.serial_number.as_bytes())),
            public_key,
            not_before: seconds(tbs.validity.not_before),
            not_after: seconds(tbs.validity.not_after),
        })
    }

    /// True while `now` (Unix seconds) is inside the validity period.
    pub fn is_valid_at(&self, now: i64) -> bool {
        self.not_before <= now && now <= self.not_after
    }
}

/// Serials compare as uppercase hex without leading zeros (DER may add a zero byte; SDKs print `%X`).
pub fn normalize_serial(serial: &str) -> String {
    let upper = serial.trim().to_ascii_uppercase();
    let trimmed = upper.trim_start_matches('0');
    if trimmed.is_empty() {
        "0".to_owned()
    } else {
        trimmed.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_serial_and_validity_of_the_wechatpay_go_certificate() {
        let certificate =
            PlatformCertificate::from_pem(include_str!("../../testdata/platform-cert.pem"))
                .expect("parses");
        assert_eq!(certificate.serial, "D7CE59D1F522D701");
        // notBefore=Apr 27 08:55:23 2021 GMT, notAfter=Apr 25 08:55:23 2031 GMT
        assert_eq!(certificate.not_before, 1_619_513_723);
        assert_eq!(certificate.not_after, 1_934_873_723);
        assert!(certificate.is_valid_at(1_624_523_846));
        assert!(!certificate.is_valid_at(1_934_873_724));
    }

    #[test]
    fn serials_compare_without_case_or_leading_zeros() {
        assert_eq!(normalize_serial("00d7ce59d1f522d701"), "D7CE59D1F522D701");
        assert_eq!(normalize_serial("PUB_KEY_ID_0112"), "PUB_KEY_ID_0112");
    }
}
