//! RSA-OAEP (SHA-1, MGF1-SHA-1) encryption of sensitive request fields, to the key WeChat Pay names by serial;
//! the request must then carry that serial in `Wechatpay-Serial`.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012365344>.

use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rsa::{Oaep, RsaPublicKey};

use super::verify::KeyRing;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum OaepError {
    #[error("no WeChat Pay key to encrypt to: configure the WeChat Pay public key or download the certificates")]
    NoKey,
    #[error("the field is too long to encrypt")]
    TooLong,
}

/// A sensitive value encrypted for WeChat Pay, with the serial the request must send in `Wechatpay-Serial`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Encrypted {
    pub ciphertext: String,
    pub serial: String,
}

/// Encrypts `plaintext` to WeChat Pay's current encryption key.
pub fn encrypt(keys: &KeyRing, plaintext: &str, now: i64) -> Result<Encrypted, OaepError> {
    let (serial, key) = keys.encryption_key(now).ok_or(OaepError::NoKey)?;
    Ok(Encrypted {
        ciphertext: encrypt_to(&key, plaintext)?,
        serial,
    })
}

fn encrypt_to(key: &RsaPublicKey, plaintext: &str) -> Result<String, OaepError> {
    let ciphertext = key
        .encrypt(
            &mut rsa::rand_core::OsRng,
            Oaep::new::<sha1::Sha1>(),
            plaintext.as_bytes(),
        )
        .map_err(|_| OaepError::TooLong)?;
    Ok(BASE64.encode(ciphertext))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;
    use rsa::pkcs8::DecodePrivateKey;

    #[test]
    fn encrypts_to_the_public_key_so_its_private_half_reads_it_back() {
        let private = rsa::RsaPrivateKey::from_pkcs8_pem(testdata::MERCHANT_KEY_PEM).expect("key");
        let keys = KeyRing::default();
        keys.add_public_key("PUB_KEY_ID_0114", private.to_public_key());

        let encrypted = encrypt(&keys, "张三", 0).expect("encrypts");
        assert_eq!(encrypted.serial, "PUB_KEY_ID_0114");
        let bytes = BASE64.decode(&encrypted.ciphertext).expect("base64");
        let plaintext = private
            .decrypt(Oaep::new::<sha1::Sha1>(), &bytes)
            .expect("decrypts");
        assert_eq!(plaintext, "张三".as_bytes());
    }

    #[test]
    fn without_a_key_it_says_what_to_configure() {
        assert_eq!(encrypt(&KeyRing::default(), "x", 0), Err(OaepError::NoKey));
    }
}
