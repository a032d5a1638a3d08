//! Reading PEM material that is given either inline in a variable or as the path of a file.

use rsa::pkcs8::{der, DecodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::RsaPublicKey;
use wechat::pay::sign::MerchantSigner;

/// WeChat Pay only issues 2048-bit RSA keys and certificates.
const RSA_BITS: usize = 2048;

/// The PEM text of a variable: its value when it holds PEM (literal `\n` escapes allowed), else the file it names.
pub fn read_pem(value: &str) -> Result<String, String> {
    if value.contains("-----BEGIN") {
        return Ok(if value.contains('\n') {
            value.to_owned()
        } else {
            value.replace("\\n", "\n")
        });
    }
    std::fs::read_to_string(value).map_err(|error| {
        format!("holds neither PEM text nor the path of a readable file ({value}: {error})")
    })
}

/// Parses a merchant private key in PKCS#8 (`BEGIN PRIVATE KEY`) or PKCS#1 (`BEGIN RSA PRIVATE KEY`) PEM, once,
/// into the signer every request and paySign uses.
pub fn parse_private_key(pem: &str) -> Result<MerchantSigner, String> {
    let signer = MerchantSigner::from_pem(pem).map_err(|_| {
        "is not an RSA private key in PKCS#8 (BEGIN PRIVATE KEY) or PKCS#1 (BEGIN RSA PRIVATE KEY) PEM \
         (use apiclient_key.pem from the merchant platform)"
            .to_owned()
    })?;
    check_bits(signer.modulus_bits() / 8)?;
    Ok(signer)
}

/// Parses the WeChat Pay public key (`BEGIN PUBLIC KEY`, SubjectPublicKeyInfo PEM).
pub fn parse_public_key(pem: &str) -> Result<RsaPublicKey, String> {
    let key = RsaPublicKey::from_public_key_pem(pem)
        .map_err(|_| "is not an RSA public key in PEM (BEGIN PUBLIC KEY)".to_owned())?;
    check_bits(key.size())?;
    Ok(key)
}

/// Checks that the PEM holds an X.509 certificate and returns its DER bytes.
pub fn parse_certificate(pem: &str) -> Result<Vec<u8>, String> {
    match der::pem::decode_vec(pem.trim().as_bytes()) {
        Ok(("CERTIFICATE", der)) => Ok(der),
        Ok((label, _)) => Err(format!("holds a PEM {label}, not a CERTIFICATE")),
        Err(_) => Err("is not a PEM certificate (BEGIN CERTIFICATE)".to_owned()),
    }
}

fn check_bits(size_in_bytes: usize) -> Result<(), String> {
    if size_in_bytes * 8 == RSA_BITS {
        Ok(())
    } else {
        Err(format!(
            "is a {}-bit RSA key; WeChat Pay uses {RSA_BITS}-bit keys",
            size_in_bytes * 8
        ))
    }
}
