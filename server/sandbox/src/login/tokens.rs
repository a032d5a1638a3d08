//! The sandbox's login codes, tokens and tickets: random URL-safe text, as WeChat's look.

/// A random token of `len` URL-safe characters (64 of them, so every byte maps without bias).
pub fn random_token(len: usize) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-";
    (0..len)
        .map(|_| char::from(ALPHABET[usize::from(rand::random::<u8>()) % ALPHABET.len()]))
        .collect()
}
