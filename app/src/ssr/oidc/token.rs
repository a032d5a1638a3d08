//! The token endpoint (OpenID Connect Core §3.1.3; RFC 6749 §4.1.3 and §6): a code, with its PKCE verifier and
//! redirect URI, becomes an access token, a refresh token and a signed ID token; a refresh token becomes the next
//! set, and is used up doing so. Errors are RFC 6749 §5.2's.

use base64::Engine;
use jsonwebtoken::Header;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::claims;
use super::clients::{self, Presented};
use super::keys;
use super::{issuer, new_secret, OidcError, ACCESS_TOKEN_SECONDS, REFRESH_TOKEN_SECONDS};
use crate::ssr::cause::Cause;
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;
use crate::ssr::db::openid::{GrantRow, NewToken, Redemption, TokenKind};
use crate::ssr::digest::{same_digest, sha256_hex};

/// The longest code, verifier or refresh token read (a verifier is at most 128 characters, RFC 7636 §4.1).
const MAX_PARAM_BYTES: usize = 512;

/// A token request's form.
#[derive(Debug, Clone, Default)]
pub struct TokenParams {
    pub grant_type: Option<String>,
    pub code: Option<String>,
    pub redirect_uri: Option<String>,
    pub code_verifier: Option<String>,
    pub refresh_token: Option<String>,
    pub client: Option<Presented>,
}

/// A successful answer (RFC 6749 §5.1, OpenID Connect Core §3.1.3.3).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TokenAnswer {
    pub access_token: String,
    pub token_type: &'static str,
    pub expires_in: i64,
    pub refresh_token: String,
    pub id_token: String,
    pub scope: String,
}

/// A refusal (RFC 6749 §5.2).
#[derive(Debug)]
pub enum TokenError {
    /// `error` and `error_description`; `unauthorized` when the client authenticated with Basic and failed
    /// (answered 401 with `WWW-Authenticate`).
    Refused {
        code: &'static str,
        description: &'static str,
        unauthorized: bool,
    },
    Internal(OidcError),
}

impl From<OidcError> for TokenError {
    fn from(error: OidcError) -> Self {
        TokenError::Internal(error)
    }
}

impl From<crate::ssr::db::DbError> for TokenError {
    fn from(error: crate::ssr::db::DbError) -> Self {
        TokenError::Internal(OidcError::Db(error))
    }
}

fn refused(code: &'static str, description: &'static str) -> TokenError {
    TokenError::Refused {
        code,
        description,
        unauthorized: false,
    }
}

/// Answers a token request.
pub async fn exchange(
    context: &AppContext,
    params: &TokenParams,
) -> Result<TokenAnswer, TokenError> {
    let client = authenticate(context, params.client.as_ref()).await?;
    let bounded =
        |value: &Option<String>| value.as_ref().is_none_or(|v| v.len() <= MAX_PARAM_BYTES);
    if !(bounded(&params.code) && bounded(&params.code_verifier) && bounded(&params.refresh_token))
    {
        return Err(refused("invalid_request", "a parameter is too long"));
    }
    match params.grant_type.as_deref() {
        Some("authorization_code") => by_code(context, &client, params).await,
        Some("refresh_token") => by_refresh_token(context, &client, params).await,
        Some(_) => Err(refused(
            "unsupported_grant_type",
            "grant_type is authorization_code or refresh_token",
        )),
        None => Err(refused("invalid_request", "grant_type is missing")),
    }
}

/// The client the request authenticated as (OpenID Connect Core §9): a confidential client by its secret, a
/// public one by its id alone.
async fn authenticate(
    context: &AppContext,
    presented: Option<&Presented>,
) -> Result<clients::Client, TokenError> {
    let failed = |basic: bool| TokenError::Refused {
        code: "invalid_client",
        description: "the client is unknown or its credentials are wrong",
        unauthorized: basic,
    };
    let Some(presented) = presented else {
        return Err(failed(false));
    };
    let client = clients::find(context, &presented.client_id)
        .await?
        .ok_or(failed(presented.basic))?;
    let authenticated = match (&client.secret_digest, &presented.secret) {
        (Some(_), Some(secret)) => client.secret_matches(secret),
        (None, None) => true,
        _ => false,
    };
    if !authenticated {
        return Err(failed(presented.basic));
    }
    Ok(client)
}

async fn by_code(
    context: &AppContext,
    client: &clients::Client,
    params: &TokenParams,
) -> Result<TokenAnswer, TokenError> {
    let (Some(code), Some(redirect_uri)) = (&params.code, &params.redirect_uri) else {
        return Err(refused(
            "invalid_request",
            "code and redirect_uri are required",
        ));
    };
    let issued = match context.db.redeem_code(&sha256_hex(code)).await? {
        Redemption::First(issued) => issued,
        Redemption::Replayed => {
            tracing::warn!(client_id = %client.id, "an authorization code was presented again; its grant is revoked");
            return Err(refused("invalid_grant", "the code was already used"));
        }
        Redemption::Invalid => {
            return Err(refused("invalid_grant", "the code is unknown or expired"))
        }
    };
    if issued.grant.client_id != client.id {
        return Err(refused(
            "invalid_grant",
            "the code was issued to another client",
        ));
    }
    if &issued.redirect_uri != redirect_uri {
        return Err(refused(
            "invalid_grant",
            "redirect_uri is not the one of the authorization request",
        ));
    }
    match (&issued.code_challenge, &params.code_verifier) {
        (Some(challenge), Some(verifier)) if pkce_verifies(challenge, verifier) => {}
        (Some(_), Some(_)) => return Err(refused("invalid_grant", "code_verifier does not match")),
        (Some(_), None) => return Err(refused("invalid_grant", "code_verifier is missing")),
        (None, Some(_)) => {
            return Err(refused(
                "invalid_grant",
                "code_verifier was sent but the authorization request had no code_challenge",
            ))
        }
        (None, None) => {}
    }
    issue(context, &issued.grant, issued.nonce.as_deref()).await
}

async fn by_refresh_token(
    context: &AppContext,
    client: &clients::Client,
    params: &TokenParams,
) -> Result<TokenAnswer, TokenError> {
    let Some(refresh_token) = &params.refresh_token else {
        return Err(refused("invalid_request", "refresh_token is required"));
    };
    let grant = match context
        .db
        .use_refresh_token(&sha256_hex(refresh_token))
        .await?
    {
        Redemption::First(grant) => grant,
        Redemption::Replayed => {
            tracing::warn!(client_id = %client.id, "a rotated refresh token was presented again; its grant is revoked");
            return Err(refused(
                "invalid_grant",
                "the refresh token was already used",
            ));
        }
        Redemption::Invalid => {
            return Err(refused(
                "invalid_grant",
                "the refresh token is unknown, expired or revoked",
            ))
        }
    };
    if grant.client_id != client.id {
        return Err(refused(
            "invalid_grant",
            "the refresh token was issued to another client",
        ));
    }
    issue(context, &grant, None).await
}

/// RFC 7636 §4.6: BASE64URL(SHA256(ASCII(code_verifier))) == code_challenge, for a verifier of 43 to 128
/// unreserved characters.
fn pkce_verifies(challenge: &str, verifier: &str) -> bool {
    let well_formed = (43..=128).contains(&verifier.len())
        && verifier
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-._~".contains(c));
    let computed =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(verifier));
    well_formed && same_digest(&computed, challenge)
}

/// The claims of an ID token beyond the person's (whose claims carry `sub`).
#[derive(Serialize)]
struct IdTokenClaims<'a> {
    iss: String,
    aud: &'a str,
    azp: &'a str,
    exp: i64,
    iat: i64,
    auth_time: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    nonce: Option<&'a str>,
    #[serde(flatten)]
    person: serde_json::Map<String, serde_json::Value>,
}

/// New tokens for `grant`, stored as digests, and its ID token signed with the current key.
async fn issue(
    context: &AppContext,
    grant: &GrantRow,
    nonce: Option<&str>,
) -> Result<TokenAnswer, TokenError> {
    let person = claims::of_grant(context, grant)
        .await?
        .ok_or(refused("invalid_grant", "the person of this grant is gone"))?;
    let now = now();
    let access_token = new_secret();
    let refresh_token = new_secret();
    context
        .db
        .store_oidc_tokens(
            &grant.id,
            &[
                NewToken {
                    digest: &sha256_hex(&access_token),
                    kind: TokenKind::Access,
                    expires_at: now + ACCESS_TOKEN_SECONDS,
                },
                NewToken {
                    digest: &sha256_hex(&refresh_token),
                    kind: TokenKind::Refresh,
                    expires_at: now + REFRESH_TOKEN_SECONDS,
                },
            ],
        )
        .await?;
    let key = keys::current(&context.db).await?;
    let mut header = Header::new(keys::ALGORITHM);
    header.kid = Some(key.kid.clone());
    let claims = IdTokenClaims {
        iss: issuer(&context.settings.app_url),
        aud: &grant.client_id,
        azp: &grant.client_id,
        exp: now + ACCESS_TOKEN_SECONDS,
        iat: now,
        auth_time: grant.auth_time,
        nonce,
        person,
    };
    let id_token = jsonwebtoken::encode(&header, &claims, &key.encoding)
        .map_err(|error| OidcError::Internal(Cause::new(error)))?;
    Ok(TokenAnswer {
        access_token,
        token_type: "Bearer",
        expires_in: ACCESS_TOKEN_SECONDS,
        refresh_token,
        id_token,
        scope: grant.scope.clone(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pkce_s256_matches_rfc_7636_appendix_b() {
        let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        assert!(pkce_verifies(challenge, verifier));
        assert!(!pkce_verifies(
            challenge,
            "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXj"
        ));
        assert!(!pkce_verifies(challenge, "short"));
    }
}
