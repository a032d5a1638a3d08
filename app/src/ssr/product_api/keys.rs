//! API keys: `wxk_` and 43 characters of base64url (256 random bits), shown once when made, kept as their SHA-256
//! digest, each with scopes; a request presents one as `Authorization: Bearer` (RFC 6750 §2.1).

use std::fmt;
use std::str::FromStr;

use super::ProductApiError;
use crate::ssr::clock::now;
use crate::ssr::db::api_keys::ApiKeyRow;
use crate::ssr::db::{new_id, Database};
use crate::ssr::digest::sha256_hex;
use crate::ssr::oidc::new_secret;

/// What every key starts with, so a leaked one is recognisable (secret scanners, logs).
pub const KEY_PREFIX: &str = "wxk_";

/// The longest key name.
pub const MAX_NAME_CHARS: usize = 100;

/// What a key may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Create checkouts.
    CheckoutsWrite,
    /// Read checkouts.
    CheckoutsRead,
    /// Refund paid checkouts.
    RefundsWrite,
    /// Look up users and their identities.
    UsersRead,
}

impl Scope {
    pub const ALL: [Scope; 4] = [
        Scope::CheckoutsWrite,
        Scope::CheckoutsRead,
        Scope::RefundsWrite,
        Scope::UsersRead,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Scope::CheckoutsWrite => "checkouts:write",
            Scope::CheckoutsRead => "checkouts:read",
            Scope::RefundsWrite => "refunds:write",
            Scope::UsersRead => "users:read",
        }
    }
}

impl fmt::Display for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Scope {
    type Err = String;

    fn from_str(name: &str) -> Result<Scope, String> {
        Scope::ALL
            .into_iter()
            .find(|scope| scope.as_str() == name)
            .ok_or_else(|| {
                let known: Vec<&str> = Scope::ALL.iter().map(|scope| scope.as_str()).collect();
                format!("unknown scope {name:?} (known: {})", known.join(", "))
            })
    }
}

/// A key just made: its row, and the key itself, which exists only until it is shown.
pub struct MadeKey {
    pub row: ApiKeyRow,
    pub key: String,
}

/// Makes and stores a key named `name` with `scopes` (at least one; each once, in wxgate's order).
pub async fn create(db: &Database, name: &str, scopes: &[Scope]) -> Result<MadeKey, String> {
    let name = name.trim();
    if name.is_empty()
        || name.chars().count() > MAX_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(format!(
            "a key's name is 1 to {MAX_NAME_CHARS} characters, without control characters"
        ));
    }
    if scopes.is_empty() {
        return Err("a key needs at least one --scope".to_owned());
    }
    let scopes: Vec<&str> = Scope::ALL
        .iter()
        .filter(|scope| scopes.contains(scope))
        .map(|scope| scope.as_str())
        .collect();
    let key = format!("{KEY_PREFIX}{}", new_secret());
    let row = ApiKeyRow {
        id: format!("key_{}", new_id()),
        name: name.to_owned(),
        scopes: scopes.join(" "),
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
    };
    db.add_api_key(&row, &sha256_hex(&key))
        .await
        .map_err(|error| format!("the key could not be stored: {error}"))?;
    Ok(MadeKey { row, key })
}

/// The live key an `Authorization` header presents, if it has `scope`.
pub async fn authorize(
    db: &Database,
    authorization: Option<&str>,
    scope: Scope,
) -> Result<ApiKeyRow, ProductApiError> {
    let key = authorization
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|key| well_formed(key))
        .ok_or(ProductApiError::InvalidApiKey)?;
    let row = db
        .api_key_in_use(&sha256_hex(key), now())
        .await?
        .ok_or(ProductApiError::InvalidApiKey)?;
    if !row.scopes.split(' ').any(|held| held == scope.as_str()) {
        return Err(ProductApiError::InsufficientScope(scope.as_str()));
    }
    Ok(row)
}

/// Whether `key` is of the shape wxgate makes, checked before it is hashed and looked up.
fn well_formed(key: &str) -> bool {
    key.strip_prefix(KEY_PREFIX).is_some_and(|secret| {
        secret.len() == 43
            && secret
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_read_back_as_written() {
        for scope in Scope::ALL {
            assert_eq!(scope.as_str().parse::<Scope>(), Ok(scope));
        }
        assert!("admin"
            .parse::<Scope>()
            .expect_err("unknown")
            .contains("users:read"));
    }

    #[test]
    fn only_keys_of_wxgates_shape_are_looked_up() {
        let made = format!("{KEY_PREFIX}{}", new_secret());
        assert!(well_formed(&made));
        assert!(!well_formed(&made[..made.len() - 1]));
        assert!(!well_formed(&made.replace(KEY_PREFIX, "sk_")));
        assert!(!well_formed(&format!("{KEY_PREFIX}{}", "=".repeat(43))));
    }
}
