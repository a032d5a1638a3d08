//! wxgate as an OpenID Connect provider: any web app signs people in with WeChat through the authorization code
//! flow (OpenID Connect Core 1.0 §3.1; RFC 6749; PKCE, RFC 7636, with S256 only and required of public clients),
//! with discovery (OpenID Connect Discovery 1.0), a JWKS of keys wxgate makes and rotates, refresh tokens that
//! rotate, userinfo and RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0).

pub mod authorize;
pub mod claims;
pub mod clients;
pub mod discovery;
pub mod keys;
pub mod logout;
pub mod token;

use base64::Engine;

use crate::ssr::cause::Cause;
use crate::ssr::db::DbError;

/// A code is exchanged within a minute (RFC 6749 §4.1.2 recommends at most ten).
pub const CODE_SECONDS: i64 = 60;
/// An access token and an ID token live an hour.
pub const ACCESS_TOKEN_SECONDS: i64 = 60 * 60;
/// A refresh token lives 30 days, and is replaced by the next each time it is used.
pub const REFRESH_TOKEN_SECONDS: i64 = 30 * 24 * 60 * 60;

/// The scopes wxgate knows; others asked for are left out of the grant (RFC 6749 §3.3).
pub const SCOPES: &[&str] = &["openid", "profile", "phone", "wechat"];

/// Where the endpoints are, under `APP_URL`.
pub const AUTHORIZE_PATH: &str = "/oauth2/authorize";
pub const TOKEN_PATH: &str = "/oauth2/token";
pub const USERINFO_PATH: &str = "/oauth2/userinfo";
pub const JWKS_PATH: &str = "/oauth2/jwks";
pub const LOGOUT_PATH: &str = "/oauth2/logout";
pub const DISCOVERY_PATH: &str = "/.well-known/openid-configuration";

/// What the provider cannot do for reasons of its own.
#[derive(Debug, thiserror::Error)]
pub enum OidcError {
    #[error("database: {0}")]
    Db(#[from] DbError),
    #[error("{0}")]
    Internal(Cause),
}

/// A new bearer secret (a code or a token): 32 random bytes, base64url, 43 characters.
pub fn new_secret() -> String {
    use rand::Rng;
    let bytes: [u8; 32] = rand::thread_rng().gen();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// The issuer: `APP_URL` without its trailing slash, as every token's `iss` and the discovery document say.
pub fn issuer(app_url: &url::Url) -> String {
    app_url.as_str().trim_end_matches('/').to_owned()
}

/// The known scopes of a space-separated `scope`, in wxgate's order, space-separated.
pub fn known_scopes(scope: &str) -> String {
    let asked: Vec<&str> = scope.split(' ').filter(|s| !s.is_empty()).collect();
    SCOPES
        .iter()
        .filter(|known| asked.contains(known))
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

/// Whether a granted, space-separated `scope` holds `wanted`.
pub fn has_scope(scope: &str, wanted: &str) -> bool {
    scope.split(' ').any(|s| s == wanted)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_scopes_are_left_out_and_known_ones_kept_in_order() {
        assert_eq!(
            known_scopes("wechat openid  email profile"),
            "openid profile wechat"
        );
        assert_eq!(known_scopes("email"), "");
        assert!(has_scope("openid phone", "phone"));
        assert!(!has_scope("openid phone", "pho"));
    }

    #[test]
    fn the_issuer_has_no_trailing_slash() {
        let url = url::Url::parse("https://login.example.com/").expect("url");
        assert_eq!(issuer(&url), "https://login.example.com");
    }
}
