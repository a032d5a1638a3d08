//! SHA-256 digests of the secrets wxgate keeps at rest (session ids, poll secrets, OAuth states), so a copy of the
//! database hands out no bearer token, and their comparison in constant time.

use sha2::{Digest, Sha256};

/// The SHA-256 digest of `bytes`, as 64 lowercase hex digits (what the database stores instead of a secret, and
/// the name an uploaded avatar is kept under).
pub fn sha256_hex(bytes: impl AsRef<[u8]>) -> String {
    hex::encode(Sha256::digest(bytes.as_ref()))
}

/// Whether two digests are equal, taking the same time wherever they differ.
pub fn same_digest(a: &str, b: &str) -> bool {
    aws_lc_rs::constant_time::verify_slices_are_equal(a.as_bytes(), b.as_bytes()).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_digest_is_the_hex_sha256_and_compares_only_to_itself() {
        // FIPS 180-2, appendix B.1: SHA-256("abc").
        let abc = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";
        assert_eq!(sha256_hex("abc"), abc);
        assert!(same_digest(&sha256_hex("abc"), abc));
        assert!(!same_digest(&sha256_hex("abd"), abc));
        assert!(!same_digest("", abc));
    }
}
