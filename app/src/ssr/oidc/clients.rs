//! The relying parties wxgate signs people in for: registered in the configuration (`WXGATE_OIDC_CLIENTS`) or with
//! `wxgate clients add`, each with exact redirect URIs and, for a confidential client, a secret kept as a digest.
//! Client authentication at the token endpoint follows OpenID Connect Core §9 (`client_secret_basic`,
//! `client_secret_post`, and `none` for public clients, which RFC 7636 PKCE protects instead).

use base64::Engine;
use url::Url;

use crate::ssr::context::AppContext;
use crate::ssr::db::openid::OidcClientRow;
use crate::ssr::db::DbError;
use crate::ssr::digest::{same_digest, sha256_hex};

/// The longest client id.
pub const MAX_CLIENT_ID_BYTES: usize = 64;
/// The shortest secret a client may be configured with (a generated one is 43 characters).
pub const MIN_SECRET_CHARS: usize = 32;
/// The most redirect URIs (and, separately, post-logout URIs) a client has.
pub const MAX_URIS: usize = 10;
/// The longest redirect URI.
pub const MAX_URI_BYTES: usize = 2000;

/// A client as the provider uses it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub id: String,
    pub name: String,
    /// SHA-256 (hex) of the secret; `None` for a public client.
    pub secret_digest: Option<String>,
    pub redirect_uris: Vec<String>,
    pub post_logout_redirect_uris: Vec<String>,
    /// Whether it comes from `WXGATE_OIDC_CLIENTS` (and so cannot be removed by the CLI).
    pub configured: bool,
}

impl Client {
    pub fn is_public(&self) -> bool {
        self.secret_digest.is_none()
    }

    /// Whether `uri` is one of its redirect URIs, compared as strings (OpenID Connect Core §3.1.2.1: "exact
    /// string matching").
    pub fn redirects_to(&self, uri: &str) -> bool {
        self.redirect_uris
            .iter()
            .any(|registered| registered == uri)
    }

    pub fn returns_after_logout_to(&self, uri: &str) -> bool {
        self.post_logout_redirect_uris
            .iter()
            .any(|registered| registered == uri)
    }

    /// Whether `secret` is this client's secret.
    pub fn secret_matches(&self, secret: &str) -> bool {
        self.secret_digest
            .as_deref()
            .is_some_and(|digest| same_digest(&sha256_hex(secret), digest))
    }

    fn from_row(row: OidcClientRow) -> Client {
        Client {
            id: row.client_id,
            name: row.name,
            secret_digest: row.secret_digest,
            redirect_uris: row.redirect_uris,
            post_logout_redirect_uris: row.post_logout_redirect_uris,
            configured: false,
        }
    }
}

/// The client `id`: the configured one, else the registered one.
pub async fn find(context: &AppContext, id: &str) -> Result<Option<Client>, DbError> {
    if id.is_empty() || id.len() > MAX_CLIENT_ID_BYTES {
        return Ok(None);
    }
    if let Some(client) = context.settings.oidc_clients.iter().find(|c| c.id == id) {
        return Ok(Some(client.clone()));
    }
    Ok(context.db.oidc_client(id).await?.map(Client::from_row))
}

/// Every client: the configured ones, then the registered ones.
pub async fn all(context: &AppContext) -> Result<Vec<Client>, DbError> {
    let mut clients = context.settings.oidc_clients.clone();
    clients.extend(
        context
            .db
            .oidc_clients()
            .await?
            .into_iter()
            .map(Client::from_row),
    );
    Ok(clients)
}

/// Checks a client id: 1 to 64 of `[A-Za-z0-9._-]`.
pub fn check_id(id: &str) -> Result<(), String> {
    if id.is_empty()
        || id.len() > MAX_CLIENT_ID_BYTES
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-".contains(c))
    {
        return Err(format!(
            "a client id is 1 to {MAX_CLIENT_ID_BYTES} of A-Z a-z 0-9 . _ - (got {id:?})"
        ));
    }
    Ok(())
}

/// Checks a list of redirect (or post-logout) URIs: 1 to 10 absolute URIs without a fragment (RFC 6749 §3.1.2),
/// https, or http on a loopback host (RFC 8252 §7.3) for development.
pub fn check_uris(uris: &[String], what: &str, required: bool) -> Result<(), String> {
    if required && uris.is_empty() {
        return Err(format!("a client needs at least one {what}"));
    }
    if uris.len() > MAX_URIS {
        return Err(format!("a client has at most {MAX_URIS} of {what}"));
    }
    for uri in uris {
        check_uri(uri).map_err(|why| format!("{what} {uri:?}: {why}"))?;
    }
    Ok(())
}

fn check_uri(uri: &str) -> Result<(), &'static str> {
    if uri.len() > MAX_URI_BYTES {
        return Err("too long");
    }
    let parsed = Url::parse(uri).map_err(|_| "not an absolute URL")?;
    if parsed.fragment().is_some() {
        return Err("must not have a fragment");
    }
    if parsed.as_str() != uri {
        return Err("must be written as browsers send it (lowercase scheme and host, a path)");
    }
    let loopback = matches!(parsed.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"));
    match parsed.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err("must be https (http only on localhost, 127.0.0.1 or [::1])"),
        _ => Err("must be https"),
    }
}

/// How a token request authenticated its client (OpenID Connect Core §9).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Presented {
    pub client_id: String,
    pub secret: Option<String>,
    /// Whether it came in `Authorization: Basic` (a refusal then answers 401 with `WWW-Authenticate`).
    pub basic: bool,
}

/// The credentials of a token request: `Authorization: Basic` (RFC 6749 §2.3.1: id and secret form-urlencoded,
/// then base64), else `client_id` / `client_secret` in the form. `None` when it names no client, or names two.
pub fn presented(
    authorization: Option<&str>,
    form_client_id: Option<&str>,
    form_secret: Option<&str>,
) -> Option<Presented> {
    if let Some(basic) = authorization.and_then(|value| value.strip_prefix("Basic ")) {
        if form_secret.is_some() {
            return None;
        }
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .ok()?;
        let decoded = String::from_utf8(decoded).ok()?;
        let (id, secret) = decoded.split_once(':')?;
        let id = form_decode(id)?;
        if form_client_id.is_some_and(|form_id| form_id != id) {
            return None;
        }
        return Some(Presented {
            client_id: id,
            secret: Some(form_decode(secret)?),
            basic: true,
        });
    }
    Some(Presented {
        client_id: form_client_id?.to_owned(),
        secret: form_secret.map(str::to_owned),
        basic: false,
    })
}

fn form_decode(value: &str) -> Option<String> {
    url::form_urlencoded::parse(format!("x={value}").as_bytes())
        .next()
        .map(|(_, decoded)| decoded.into_owned())
}

/// The configured clients from `WXGATE_OIDC_CLIENTS`, as read by the configuration.
pub fn configured(
    id: String,
    name: Option<String>,
    secret: Option<&str>,
    redirect_uris: Vec<String>,
    post_logout_redirect_uris: Vec<String>,
) -> Result<Client, String> {
    check_id(&id)?;
    if let Some(secret) = secret {
        if secret.chars().count() < MIN_SECRET_CHARS {
            return Err(format!(
                "client {id}: a client_secret has at least {MIN_SECRET_CHARS} characters"
            ));
        }
    }
    check_uris(&redirect_uris, "redirect_uris", true)
        .map_err(|why| format!("client {id}: {why}"))?;
    check_uris(
        &post_logout_redirect_uris,
        "post_logout_redirect_uris",
        false,
    )
    .map_err(|why| format!("client {id}: {why}"))?;
    Ok(Client {
        name: name.unwrap_or_else(|| id.clone()),
        id,
        secret_digest: secret.map(sha256_hex),
        redirect_uris,
        post_logout_redirect_uris,
        configured: true,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded_and_must_agree_with_the_form() {
        // RFC 6749 §2.3.1: "s3cr:t" form-encodes to "s3cr%3At".
        let header = format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode("my%20app:s3cr%3At")
        );
        let found = presented(Some(&header), None, None).expect("credentials");
        assert_eq!(found.client_id, "my app");
        assert_eq!(found.secret.as_deref(), Some("s3cr:t"));
        assert!(found.basic);
        assert!(presented(Some(&header), Some("other"), None).is_none());
        assert!(presented(Some(&header), None, Some("second secret")).is_none());
        let post = presented(None, Some("app"), Some("secret")).expect("post");
        assert!(!post.basic);
        assert!(presented(None, None, Some("secret")).is_none());
    }

    #[test]
    fn redirect_uris_are_exact_https_or_loopback_http_without_fragments() {
        let ok = |uri: &str| check_uris(&[uri.to_owned()], "redirect_uris", true).is_ok();
        assert!(ok("https://shop.example.com/callback"));
        assert!(ok("http://127.0.0.1:8080/cb"));
        assert!(ok("http://localhost:8080/cb"));
        assert!(!ok("http://shop.example.com/callback"));
        assert!(!ok("https://shop.example.com/cb#x"));
        assert!(!ok("HTTPS://Shop.example.com/cb"));
        assert!(!ok("/callback"));
        assert!(!ok("javascript:alert(1)"));
        assert!(check_uris(&[], "redirect_uris", true).is_err());
    }

    #[test]
    fn client_ids_are_short_and_plain() {
        assert!(check_id("shop-web_1.0").is_ok());
        assert!(check_id("").is_err());
        assert!(check_id("a b").is_err());
        assert!(check_id(&"a".repeat(65)).is_err());
    }
}
