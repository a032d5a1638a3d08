//! The keys ID tokens are signed with: ES256 (P-256) keys wxgate makes itself (aws-lc-rs), stores in the database,
//! and rotates every 90 days; a retired key stays in the JWKS for a day, longer than any token it signed lives.
//! JOSE is jsonwebtoken's (RFC 7515 signatures, RFC 7517 JWKs, RFC 7638 thumbprints as `kid`).

use aws_lc_rs::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use base64::Engine;
use jsonwebtoken::jwk::{Jwk, JwkSet, PublicKeyUse, ThumbprintHash};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey};

use super::OidcError;
use crate::ssr::cause::Cause;
use crate::ssr::clock::now;
use crate::ssr::db::openid::SigningKeyRow;
use crate::ssr::db::Database;

/// The one signing algorithm (`id_token_signing_alg_values_supported`).
pub const ALGORITHM: Algorithm = Algorithm::ES256;
/// A key signs for this long before a new one takes over.
pub const ROTATE_AFTER_SECONDS: i64 = 90 * 24 * 60 * 60;
/// A retired key stays published this long: past the lifetime of every ID token it signed.
pub const RETIRED_KEY_SECONDS: i64 = 24 * 60 * 60;

/// A key able to sign, with its public half.
pub struct SigningKey {
    pub kid: String,
    pub encoding: EncodingKey,
    pub jwk: Jwk,
}

impl SigningKey {
    fn from_row(row: &SigningKeyRow) -> Result<SigningKey, OidcError> {
        let der = base64::engine::general_purpose::STANDARD
            .decode(&row.private_key)
            .map_err(|error| OidcError::Internal(Cause::new(error)))?;
        let encoding = EncodingKey::from_ec_der(&der);
        let mut jwk = Jwk::from_encoding_key(&encoding, ALGORITHM)
            .map_err(|error| OidcError::Internal(Cause::new(error)))?;
        jwk.common.key_id = Some(row.kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        Ok(SigningKey {
            kid: row.kid.clone(),
            encoding,
            jwk,
        })
    }

    pub fn decoding(&self) -> Result<DecodingKey, OidcError> {
        DecodingKey::from_jwk(&self.jwk).map_err(|error| OidcError::Internal(Cause::new(error)))
    }
}

/// A new P-256 key, named by its JWK thumbprint.
fn make() -> Result<SigningKeyRow, OidcError> {
    let rng = aws_lc_rs::rand::SystemRandom::new();
    let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
        .map_err(|error| OidcError::Internal(Cause::new(error)))?;
    let encoding = EncodingKey::from_ec_der(pkcs8.as_ref());
    let kid = Jwk::from_encoding_key(&encoding, ALGORITHM)
        .and_then(|jwk| jwk.thumbprint(ThumbprintHash::SHA256))
        .map_err(|error| OidcError::Internal(Cause::new(error)))?;
    Ok(SigningKeyRow {
        kid,
        private_key: base64::engine::general_purpose::STANDARD.encode(pkcs8.as_ref()),
        created_at: now(),
        retired_at: None,
    })
}

/// The published keys, newest first, the first being the one that signs; a new key is made when there is none
/// or the current one is due for rotation.
pub async fn published(db: &Database) -> Result<Vec<SigningKey>, OidcError> {
    let mut rows = db.signing_keys().await?;
    let current = rows.iter().find(|row| row.retired_at.is_none());
    if current.is_none_or(|row| row.created_at + ROTATE_AFTER_SECONDS <= now()) {
        db.rotate_signing_key(&make()?, now() + RETIRED_KEY_SECONDS)
            .await?;
        rows = db.signing_keys().await?;
    }
    // Unretired first (two processes rotating at once both leave a key; the newest signs).
    rows.sort_by_key(|row| (row.retired_at.is_some(), -row.created_at));
    rows.iter().map(SigningKey::from_row).collect()
}

/// The key that signs now.
pub async fn current(db: &Database) -> Result<SigningKey, OidcError> {
    published(db)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| OidcError::Internal(Cause::new("no signing key after rotation")))
}

/// The JWKS document.
pub async fn jwks(db: &Database) -> Result<JwkSet, OidcError> {
    Ok(JwkSet {
        keys: published(db)
            .await?
            .into_iter()
            .map(|key| key.jwk)
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_made_key_signs_what_its_jwk_verifies() {
        let row = make().expect("key");
        let key = SigningKey::from_row(&row).expect("parsed");
        assert_eq!(
            key.jwk.thumbprint(ThumbprintHash::SHA256).expect("kid"),
            row.kid
        );
        let claims = serde_json::json!({"sub": "u1", "exp": now() + 60});
        let mut header = jsonwebtoken::Header::new(ALGORITHM);
        header.kid = Some(key.kid.clone());
        let token = jsonwebtoken::encode(&header, &claims, &key.encoding).expect("signed");
        let mut validation = jsonwebtoken::Validation::new(ALGORITHM);
        validation.validate_aud = false;
        let decoded = jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &key.decoding().expect("public"),
            &validation,
        )
        .expect("verified");
        assert_eq!(decoded.claims["sub"], "u1");
        let other = SigningKey::from_row(&make().expect("key")).expect("parsed");
        assert!(jsonwebtoken::decode::<serde_json::Value>(
            &token,
            &other.decoding().expect("public"),
            &validation
        )
        .is_err());
    }
}
