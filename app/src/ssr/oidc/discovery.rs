//! The provider's metadata at `/.well-known/openid-configuration` (OpenID Connect Discovery 1.0 §3, with RFC 8414
//! and RFC 9207's `authorization_response_iss_parameter_supported`), every URL under `APP_URL`.

use serde_json::{json, Value};
use url::Url;

use super::{issuer, AUTHORIZE_PATH, JWKS_PATH, LOGOUT_PATH, SCOPES, TOKEN_PATH, USERINFO_PATH};

/// The claims wxgate can give, by scope (see `claims`).
const CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "azp",
    "name",
    "nickname",
    "picture",
    "phone_number",
    "phone_number_verified",
    "unionid",
    "openids",
];

/// The discovery document of the provider at `app_url`.
pub fn document(app_url: &Url) -> Value {
    let issuer = issuer(app_url);
    let at = |path: &str| format!("{issuer}{path}");
    json!({
        "issuer": issuer,
        "authorization_endpoint": at(AUTHORIZE_PATH),
        "token_endpoint": at(TOKEN_PATH),
        "userinfo_endpoint": at(USERINFO_PATH),
        "jwks_uri": at(JWKS_PATH),
        "end_session_endpoint": at(LOGOUT_PATH),
        "scopes_supported": SCOPES,
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "subject_types_supported": ["public"],
        "id_token_signing_alg_values_supported": ["ES256"],
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
        "code_challenge_methods_supported": ["S256"],
        "claims_supported": CLAIMS,
        "prompt_values_supported": ["none", "login", "consent", "select_account"],
        "claims_parameter_supported": false,
        "request_parameter_supported": false,
        "request_uri_parameter_supported": false,
        "authorization_response_iss_parameter_supported": true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_endpoint_is_under_the_issuer() {
        let document = document(&Url::parse("https://login.example.com/").expect("url"));
        assert_eq!(document["issuer"], "https://login.example.com");
        assert_eq!(
            document["token_endpoint"],
            "https://login.example.com/oauth2/token"
        );
        assert_eq!(
            document["code_challenge_methods_supported"],
            json!(["S256"])
        );
    }
}
