//! The push's signatures and encryption, from the sandbox's own reading of 消息加解密说明: `signature` is hex
//! SHA-1 over the Token, timestamp and nonce sorted and joined (with the `Encrypt` field too for `msg_signature`);
//! the AES key is base64 of the EncodingAESKey with "=" added (32 bytes), the IV its first 16, AES-256-CBC over
//! 16 random bytes ‖ the message's length (4 bytes, big-endian) ‖ the message ‖ the appid, padded PKCS#7-style to
//! a multiple of 32 bytes.

use aes::cipher::{block_padding::NoPadding, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::{GeneralPurpose, GeneralPurposeConfig, STANDARD};
use base64::engine::DecodePaddingMode;
use base64::{alphabet, Engine as _};
use sha1::{Digest, Sha1};

/// WeChat pads to this block size, not AES's 16.
const PAD_TO: usize = 32;

/// An EncodingAESKey decodes with any trailing bits (WeChat makes keys whose last character carries some).
const KEY_BASE64: GeneralPurpose = GeneralPurpose::new(
    &alphabet::STANDARD,
    GeneralPurposeConfig::new()
        .with_decode_allow_trailing_bits(true)
        .with_decode_padding_mode(DecodePaddingMode::Indifferent),
);

/// Hex SHA-1 over `parts`, sorted and joined.
pub fn sorted_sha1(parts: &[&str]) -> String {
    let mut parts = parts.to_vec();
    parts.sort_unstable();
    hex::encode(Sha1::digest(parts.concat().as_bytes()))
}

/// `message` for `appid`, encrypted with `encoding_aes_key` after the 16 `random` bytes; base64. None when the key
/// is not 43 characters of base64.
pub fn encrypt(
    encoding_aes_key: &str,
    message: &[u8],
    appid: &str,
    random: [u8; 16],
) -> Option<String> {
    let key = KEY_BASE64
        .decode(format!("{encoding_aes_key}="))
        .ok()
        .filter(|key| key.len() == 32)?;
    let mut plain = Vec::with_capacity(message.len() + appid.len() + 20 + PAD_TO);
    plain.extend_from_slice(&random);
    plain.extend_from_slice(&u32::try_from(message.len()).ok()?.to_be_bytes());
    plain.extend_from_slice(message);
    plain.extend_from_slice(appid.as_bytes());
    let pad = PAD_TO - plain.len() % PAD_TO;
    plain.extend(std::iter::repeat_n(u8::try_from(pad).ok()?, pad));
    let cipher = cbc::Encryptor::<aes::Aes256>::new_from_slices(&key, &key[..16]).ok()?;
    let encrypted = cipher.encrypt_padded_vec_mut::<NoPadding>(&plain);
    Some(STANDARD.encode(encrypted))
}

#[cfg(test)]
mod tests {
    use super::*;

    // The public test vector of the scheme (企业微信 加解密方案说明).
    const TOKEN: &str = "QDG6eK";
    const ENCODING_AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    const RECEIVER: &str = "wx5823bf96d3bd56c7";

    #[test]
    fn the_public_vectors_msg_signature_is_made() {
        let encrypt = "RypEvHKD8QQKFhvQ6QleEB4J58tiPdvo+rtK1I9qca6aM/wvqnLSV5zEPeusUiX5L5X/0lWfrf0QADHHhGd3QczcdCUpj911L3vg3W/sYYvuJTs3TUUkSUXxaccAS0qhxchrRYt66wiSpGLYL42aM6A8dTT+6k4aSknmPj48kzJs8qLjvd4Xgpue06DOdnLxAUHzM6+kDZ+HMZfJYuR+LtwGc2hgf5gsijff0ekUNXZiqATP7PF5mZxZ3Izoun1s4zG4LUMnvw2r+KqCKIw+3IQH03v+BCA9nMELNqbSf6tiWSrXJB3LAVGUcallcrw8V2t9EL4EhzJWrQUax5wLVMNS0+rUPA3k22Ncx4XXZS9o0MBH27Bo6BpNelZpS+/uh9KsNlY6bHCmJU9p8g7m3fVKn28H3KDYA5Pl/T8Z1ptDAVe0lXdQ2YoyyH2uyPIGHBZZIs2pDBS8R07+qN+E7Q==";
        assert_eq!(
            sorted_sha1(&[TOKEN, "1409659813", "1372623149", encrypt]),
            "477715d11cdb4164915debcba66cb864d751f3e6"
        );
    }

    #[test]
    fn what_it_encrypts_wxgates_client_decrypts_for_that_appid_only() {
        let message = "<xml><Event><![CDATA[subscribe]]></Event></xml>".repeat(3);
        let encrypted =
            encrypt(ENCODING_AES_KEY, message.as_bytes(), RECEIVER, [9; 16]).expect("encrypts");
        let key = wechat::push::crypto::PushKey::new(ENCODING_AES_KEY).expect("key");
        assert_eq!(
            key.decrypt(&encrypted, RECEIVER).expect("decrypts"),
            message.as_bytes()
        );
        assert!(key.decrypt(&encrypted, "wx0000000000000000").is_err());
        assert_eq!(encrypt("short", b"x", RECEIVER, [0; 16]), None);
    }
}
