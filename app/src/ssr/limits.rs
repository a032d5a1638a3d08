//! Abuse limits: attempts per subject per minute, counted in the database so that they hold across every wxgate
//! process sharing it. Subjects (client addresses, codes) are hashed before they become keys, and old windows are
//! purged, so nothing an attacker sends is stored as itself or grows without bound.

use crate::ssr::clock::now;
use crate::ssr::db::{Database, DbError};
use crate::ssr::digest::sha256_hex;

/// Windows are one minute long.
const WINDOW_SECONDS: i64 = 60;

/// A limit on attempts per subject per minute.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limit {
    /// What is limited; part of the key, so limits never share counts.
    pub name: &'static str,
    pub per_minute: i64,
}

/// Login attempts (mini program, OAuth callbacks, poll starts) from one client address.
pub const LOGINS_PER_CLIENT: Limit = Limit {
    name: "logins-per-client",
    per_minute: 30,
};
/// Attempts with one code (a code works once; repeats are a client bug or an attack).
pub const ATTEMPTS_PER_CODE: Limit = Limit {
    name: "attempts-per-code",
    per_minute: 3,
};

/// Counts an attempt of `subject` against `limit`; false once the subject has used up this minute.
pub async fn allow(db: &Database, limit: Limit, subject: &str) -> Result<bool, DbError> {
    let now = now();
    let hits = db
        .count_hit(&key(limit, subject), now - now.rem_euclid(WINDOW_SECONDS))
        .await?;
    Ok(hits <= limit.per_minute)
}

/// Removes the windows that have ended.
pub async fn purge(db: &Database) -> Result<u64, DbError> {
    let now = now();
    db.purge_rate_limits(now - now.rem_euclid(WINDOW_SECONDS))
        .await
}

/// The stored key: a digest of the limit's name and the subject.
fn key(limit: Limit, subject: &str) -> String {
    sha256_hex(format!("{}\0{subject}", limit.name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_digests_that_keep_limits_and_subjects_apart() {
        let code = "0a1b2c3d4e5f";
        let key_of_code = key(ATTEMPTS_PER_CODE, code);
        assert_eq!(key_of_code.len(), 64);
        assert!(!key_of_code.contains(code));
        assert_ne!(key_of_code, key(LOGINS_PER_CLIENT, code));
        assert_ne!(key_of_code, key(ATTEMPTS_PER_CODE, "0a1b2c3d4e5e"));
    }
}
