//! The message push's cryptography, for official accounts and mini programs: the URL check's `signature`, safe
//! mode's `msg_signature`, and the message encryption (AES-256-CBC keyed by the EncodingAESKey).
//!
//! Docs: 消息加解密说明 <https://developers.weixin.qq.com/doc/offiaccount/Message_Management/Message_encryption_and_decryption_instructions.html>
//! and the same scheme's public test vector at <https://developer.work.weixin.qq.com/document/path/90968>.
//! - `signature` = hex(SHA-1(the token, timestamp and nonce, sorted and joined)); `msg_signature` sorts the
//!   `Encrypt` field in as a fourth string.
//! - The key is base64(EncodingAESKey + "=") (43 characters → 32 bytes), the IV its first 16 bytes; the plaintext
//!   is 16 random bytes, the message's length (4 bytes, big-endian), the message and the receiving appid, padded
//!   PKCS#7-style to a multiple of 32 bytes (not AES's 16).

use aes::cipher::{block_padding::NoPadding, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::alphabet::STANDARD as ALPHABET;
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD as BASE64};
use base64::Engine as _;
use sha1::{Digest, Sha1};

type Aes256CbcDec = cbc::Decryptor<aes::Aes256>;
type Aes256CbcEnc = cbc::Encryptor<aes::Aes256>;

/// The EncodingAESKey's length, in characters.
pub const ENCODING_AES_KEY_CHARS: usize = 43;
/// base64 as EncodingAESKeys are made: their last character carries bits past the 32 bytes, which a strict decoder
/// refuses (WeChat's own samples ignore them).
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &ALPHABET,
    GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
);
/// The padding's block: WeChat pads to 32 bytes.
const PAD_BLOCK: usize = 32;
/// The random prefix and the length field.
const HEADER: usize = 16 + 4;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PushError {
    #[error("the EncodingAESKey must be 43 characters of base64")]
    BadKey,
    #[error("the Encrypt field is not base64 of whole AES blocks")]
    NotCiphertext,
    #[error("the message does not decrypt to WeChat's layout (wrong EncodingAESKey, or altered)")]
    Layout,
    #[error("the message is for appid {found}, not {expected}")]
    OtherApp { expected: String, found: String },
}

/// hex(SHA-1(`parts` sorted and joined)), WeChat's push signature.
fn sorted_sha1(parts: &mut [&str]) -> String {
    parts.sort_unstable();
    hex::encode(Sha1::digest(parts.concat().as_bytes()))
}

/// The URL check's and plain mode's `signature`.
pub fn signature(token: &str, timestamp: &str, nonce: &str) -> String {
    sorted_sha1(&mut [token, timestamp, nonce])
}

/// Safe mode's `msg_signature`, over the `Encrypt` field as well.
pub fn msg_signature(token: &str, timestamp: &str, nonce: &str, encrypt: &str) -> String {
    sorted_sha1(&mut [token, timestamp, nonce, encrypt])
}

/// Whether `given` is `expected` (hex, any case), compared in constant time.
pub fn signature_matches(expected: &str, given: &str) -> bool {
    let given = given.trim().to_ascii_lowercase();
    expected.len() == given.len()
        && expected
            .bytes()
            .zip(given.bytes())
            .fold(0_u8, |diff, (a, b)| diff | (a ^ b))
            == 0
}

/// An app's message key, from its EncodingAESKey.
#[derive(Clone)]
pub struct PushKey {
    key: [u8; 32],
}

impl std::fmt::Debug for PushKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PushKey(..)")
    }
}

impl PushKey {
    /// The key of the 43-character EncodingAESKey.
    pub fn new(encoding_aes_key: &str) -> Result<PushKey, PushError> {
        if encoding_aes_key.len() != ENCODING_AES_KEY_CHARS {
            return Err(PushError::BadKey);
        }
        let key = KEY_BASE64
            .decode(format!("{encoding_aes_key}="))
            .map_err(|_| PushError::BadKey)?;
        Ok(PushKey {
            key: key.try_into().map_err(|_| PushError::BadKey)?,
        })
    }

    fn iv(&self) -> [u8; 16] {
        let mut iv = [0; 16];
        iv.copy_from_slice(&self.key[..16]);
        iv
    }

    /// Decrypts an `Encrypt` field and checks it was meant for `appid`; the message.
    pub fn decrypt(&self, encrypt: &str, appid: &str) -> Result<Vec<u8>, PushError> {
        let mut data = BASE64
            .decode(encrypt.trim())
            .map_err(|_| PushError::NotCiphertext)?;
        if data.is_empty() || data.len() % PAD_BLOCK != 0 {
            return Err(PushError::NotCiphertext);
        }
        let plaintext = Aes256CbcDec::new(&self.key.into(), &self.iv().into())
            .decrypt_padded_mut::<NoPadding>(&mut data)
            .map_err(|_| PushError::NotCiphertext)?;
        let pad = usize::from(*plaintext.last().ok_or(PushError::Layout)?);
        if !(1..=PAD_BLOCK).contains(&pad) || pad > plaintext.len() {
            return Err(PushError::Layout);
        }
        let unpadded = &plaintext[..plaintext.len() - pad];
        if unpadded.len() < HEADER {
            return Err(PushError::Layout);
        }
        let length = u32::from_be_bytes([unpadded[16], unpadded[17], unpadded[18], unpadded[19]]);
        let length = usize::try_from(length).map_err(|_| PushError::Layout)?;
        let rest = &unpadded[HEADER..];
        if length > rest.len() {
            return Err(PushError::Layout);
        }
        let (message, receiver) = rest.split_at(length);
        if receiver != appid.as_bytes() {
            return Err(PushError::OtherApp {
                expected: appid.to_owned(),
                found: String::from_utf8_lossy(receiver).into_owned(),
            });
        }
        Ok(message.to_vec())
    }

    /// Encrypts `message` for `appid` behind the 16 `random` bytes, as WeChat sends it (and as a reply goes back).
    pub fn encrypt(&self, message: &[u8], appid: &str, random: [u8; 16]) -> String {
        let mut plaintext = Vec::with_capacity(HEADER + message.len() + appid.len() + PAD_BLOCK);
        plaintext.extend_from_slice(&random);
        let length = u32::try_from(message.len()).unwrap_or(u32::MAX);
        plaintext.extend_from_slice(&length.to_be_bytes());
        plaintext.extend_from_slice(message);
        plaintext.extend_from_slice(appid.as_bytes());
        let pad = PAD_BLOCK - plaintext.len() % PAD_BLOCK;
        plaintext.extend(std::iter::repeat_n(
            u8::try_from(pad).unwrap_or(32),
            pad,
        ));
        let length = plaintext.len();
        let ciphertext = Aes256CbcEnc::new(&self.key.into(), &self.iv().into())
            .encrypt_padded_mut::<NoPadding>(&mut plaintext, length)
            .map(<[u8]>::to_vec)
            .unwrap_or_default();
        BASE64.encode(ciphertext)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // The public test vector of WeChat's message encryption (企业微信 加解密方案说明, the same scheme; the receiving
    // id is the corp id where an official account's is its appid).
    const TOKEN: &str = "QDG6eK";
    const ENCODING_AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    const RECEIVER: &str = "wx5823bf96d3bd56c7";
    const TIMESTAMP: &str = "1409659813";
    const NONCE: &str = "1372623149";
    const MSG_SIGNATURE: &str = "477715d11cdb4164915debcba66cb864d751f3e6";
    const ENCRYPT: &str = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";

    #[test]
    fn the_public_vector_verifies_and_decrypts() {
        assert_eq!(msg_signature(TOKEN, TIMESTAMP, NONCE, ENCRYPT), MSG_SIGNATURE);
        assert!(signature_matches(
            &msg_signature(TOKEN, TIMESTAMP, NONCE, ENCRYPT),
            &MSG_SIGNATURE.to_ascii_uppercase()
        ));
        let key = PushKey::new(ENCODING_AES_KEY).expect("key");
        let message = String::from_utf8(key.decrypt(ENCRYPT, RECEIVER).expect("decrypts")).expect("UTF-8");
        assert!(message.starts_with("<xml>"), "{message}");
        assert!(message.contains("<ToUserName><![CDATA[wx5823bf96d3bd56c7]]></ToUserName>"), "{message}");
    }

    #[test]
    fn another_apps_message_or_an_altered_one_is_refused() {
        let key = PushKey::new(ENCODING_AES_KEY).expect("key");
        assert_eq!(
            key.decrypt(ENCRYPT, "wx0000000000000000"),
            Err(PushError::OtherApp {
                expected: "wx0000000000000000".to_owned(),
                found: RECEIVER.to_owned()
            })
        );
        let mut altered = BASE64.decode(ENCRYPT).expect("base64");
        let last = altered.len() - 1;
        altered[last] ^= 1;
        assert!(key.decrypt(&BASE64.encode(altered), RECEIVER).is_err());
        assert_eq!(key.decrypt("not base64!", RECEIVER), Err(PushError::NotCiphertext));
        assert!(!signature_matches(MSG_SIGNATURE, &signature(TOKEN, TIMESTAMP, NONCE)));
    }

    #[test]
    fn what_is_encrypted_decrypts_to_itself() {
        let key = PushKey::new(ENCODING_AES_KEY).expect("key");
        for message in ["", "a", &"长".repeat(40), &"x".repeat(12)] {
            let encrypted = key.encrypt(message.as_bytes(), RECEIVER, [7; 16]);
            assert_eq!(key.decrypt(&encrypted, RECEIVER).expect("decrypts"), message.as_bytes());
        }
    }

    #[test]
    fn a_key_must_be_43_characters_of_base64() {
        assert!(PushKey::new("short").is_err());
        assert!(PushKey::new(&"!".repeat(43)).is_err());
        assert!(PushKey::new(ENCODING_AES_KEY).is_ok());
    }
}
