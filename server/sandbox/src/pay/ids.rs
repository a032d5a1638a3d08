//! Identifiers in WeChat's shapes: transaction ids, prepay ids, refund ids, nonces and notification ids.

use rand::distributions::{Alphanumeric, DistString};
use rand::Rng;

use super::clock;

/// `len` random characters of `[A-Za-z0-9]` (nonces, tokens).
pub fn alphanumeric(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), len)
}

/// `len` random decimal digits.
pub fn digits(len: usize) -> String {
    let mut rng = rand::thread_rng();
    (0..len)
        .map(|_| char::from(b'0' + rng.gen_range(0..10u8)))
        .collect()
}

/// 32 uppercase hex digits, as WeChat's response nonces look.
pub fn hex_nonce() -> String {
    hex::encode_upper(rand::random::<[u8; 16]>())
}

/// A UUID-shaped id, as notification ids and Request-IDs look.
/// A `Request-ID` as WeChat Pay sends them: 50 uppercase hex digits, e.g.
/// `08F78BB5AF0610D302189F99DD5C20BA9D9C7C28A6B1A8F006`.
pub fn request_id() -> String {
    hex::encode_upper(rand::random::<[u8; 25]>())
}

pub fn uuid_like() -> String {
    let hex = hex::encode(rand::random::<[u8; 16]>());
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

/// A 28-digit WeChat Pay transaction id, `4200…`.
pub fn transaction_id() -> String {
    format!("4200{}", digits(24))
}

/// A 29-digit refund id, `50…`.
pub fn refund_id() -> String {
    format!("50{}", digits(27))
}

/// `wx` + the Beijing time as `YYYYMMDDHHMMSS` + 20 random characters, like WeChat's prepay ids.
pub fn prepay_id() -> String {
    let stamp: String = clock::bill_time(clock::now_unix())
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    format!("wx{stamp}{}", alphanumeric(20).to_lowercase())
}
