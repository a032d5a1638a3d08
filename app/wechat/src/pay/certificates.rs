//! Platform certificates from `GET /v3/certificates`: decrypted with the APIv3 key and read for their keys.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012551764>.

use serde::Deserialize;

use super::aead;
use super::certificate::PlatformCertificate;
use super::error::PayError;

/// The path of the certificate list.
pub const PATH: &str = "/v3/certificates";

#[derive(Debug, Deserialize)]
struct CertificateList {
    data: Vec<CertificateItem>,
}

#[derive(Debug, Deserialize)]
struct CertificateItem {
    serial_no: String,
    encrypt_certificate: EncryptedCertificate,
}

#[derive(Debug, Deserialize)]
struct EncryptedCertificate {
    algorithm: String,
    nonce: String,
    associated_data: String,
    ciphertext: String,
}

/// Decrypts and parses every certificate of a `/v3/certificates` answer.
pub fn decrypt_certificate_list(
    body: &[u8],
    api_v3_key: &[u8],
) -> Result<Vec<PlatformCertificate>, PayError> {
    let list: CertificateList = serde_json::from_slice(body)
        .map_err(|error| PayError::Decode(format!("certificate list: {error}")))?;
    list.data
        .into_iter()
        .map(|item| {
            let encrypted = &item.encrypt_certificate;
            if encrypted.algorithm != aead::ALGORITHM {
                return Err(PayError::Decode(format!(
                    "certificate {} uses {}, not {}",
                    item.serial_no,
                    encrypted.algorithm,
                    aead::ALGORITHM
                )));
            }
            let pem = aead::decrypt(
                api_v3_key,
                &encrypted.nonce,
                &encrypted.associated_data,
                &encrypted.ciphertext,
            )
            .map_err(|error| {
                PayError::Decode(format!("certificate {}: {error}", item.serial_no))
            })?;
            let pem = String::from_utf8(pem).map_err(|_| {
                PayError::Decode(format!("certificate {} is not PEM text", item.serial_no))
            })?;
            PlatformCertificate::from_pem(&pem).map_err(|error| {
                PayError::Decode(format!("certificate {}: {error}", item.serial_no))
            })
        })
        .collect()
}
