//! The authorization endpoint (OpenID Connect Core §3.1.2): checks the request, sends a person who is not signed
//! in (or must sign in again: `prompt=login`, `max_age`) to wxgate's login page, which picks the WeChat way by where
//! they are, and comes back with a single-use code for the client's exact redirect URI.
//!
//! An unknown client or a redirect URI it did not register is answered here, never redirected (§3.1.2.6; RFC 6749
//! §4.1.2.1); every other error goes back to the redirect URI with `error`, `state` and `iss` (RFC 9207).

use url::Url;

use super::clients::{self, Client};
use super::{has_scope, issuer, known_scopes, new_secret, OidcError, AUTHORIZE_PATH, CODE_SECONDS};
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;
use crate::ssr::db::new_id;
use crate::ssr::db::openid::NewCode;
use crate::ssr::digest::sha256_hex;
use crate::ssr::redirect::MAX_NEXT_BYTES;
use crate::types::channel::BrowserKind;

/// The longest `state` and `nonce` taken.
pub const MAX_STATE_BYTES: usize = 512;
/// The parameter wxgate adds when it sends a person to sign in again: they must have signed in at this Unix time
/// or later when they come back.
pub const SIGNED_IN_AFTER: &str = "signed_in_after";

/// The parameters of an authorization request, as the query (or form) carried them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuthorizeParams {
    pub client_id: Option<String>,
    pub redirect_uri: Option<String>,
    pub response_type: Option<String>,
    pub scope: Option<String>,
    pub state: Option<String>,
    pub nonce: Option<String>,
    pub code_challenge: Option<String>,
    pub code_challenge_method: Option<String>,
    pub prompt: Option<String>,
    pub max_age: Option<String>,
    pub response_mode: Option<String>,
    pub signed_in_after: Option<String>,
}

impl AuthorizeParams {
    /// Reads the parameters from `pairs` (a query or a form); a parameter given twice is refused (RFC 6749 §3.1).
    pub fn from_pairs<'a>(
        pairs: impl IntoIterator<Item = (String, String)> + 'a,
    ) -> Result<AuthorizeParams, &'static str> {
        let mut params = AuthorizeParams::default();
        for (name, value) in pairs {
            let slot = match name.as_str() {
                "client_id" => &mut params.client_id,
                "redirect_uri" => &mut params.redirect_uri,
                "response_type" => &mut params.response_type,
                "scope" => &mut params.scope,
                "state" => &mut params.state,
                "nonce" => &mut params.nonce,
                "code_challenge" => &mut params.code_challenge,
                "code_challenge_method" => &mut params.code_challenge_method,
                "prompt" => &mut params.prompt,
                "max_age" => &mut params.max_age,
                "response_mode" => &mut params.response_mode,
                SIGNED_IN_AFTER => &mut params.signed_in_after,
                _ => continue,
            };
            if slot.is_some() {
                return Err("a parameter is given twice");
            }
            *slot = Some(value);
        }
        Ok(params)
    }

    /// The parameters as a query again, for the way back from the login page.
    fn to_query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        let pairs = [
            ("client_id", &self.client_id),
            ("redirect_uri", &self.redirect_uri),
            ("response_type", &self.response_type),
            ("scope", &self.scope),
            ("state", &self.state),
            ("nonce", &self.nonce),
            ("code_challenge", &self.code_challenge),
            ("code_challenge_method", &self.code_challenge_method),
            ("max_age", &self.max_age),
            ("response_mode", &self.response_mode),
            (SIGNED_IN_AFTER, &self.signed_in_after),
        ];
        for (name, value) in pairs {
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
        query.finish()
    }
}

/// Who the browser's session has signed in, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionUser {
    pub user_id: String,
    /// `None` for a session from before wxgate recorded it: such a person signs in again when asked to.
    pub signed_in_at: Option<i64>,
}

/// What becomes of an authorization request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// Answered here with this sentence (400): the client or its redirect URI is not known.
    Refused(String),
    /// The browser goes to this URL at the client: a code, or an error.
    Redirect(String),
    /// The browser goes to this path on wxgate to sign in, and comes back after.
    SignIn(String),
}

/// An error sent back to the client's redirect URI.
#[derive(Debug)]
struct Failure {
    code: &'static str,
    description: &'static str,
}

fn failure(code: &'static str, description: &'static str) -> Failure {
    Failure { code, description }
}

/// Decides what an authorization request comes to for the person signed in (if anyone), in `browser`.
pub async fn decide(
    context: &AppContext,
    params: &AuthorizeParams,
    signed_in: Option<SessionUser>,
    browser: BrowserKind,
) -> Result<Decision, OidcError> {
    let Some(client_id) = params.client_id.as_deref() else {
        return Ok(Decision::Refused("client_id is missing".to_owned()));
    };
    let Some(client) = clients::find(context, client_id).await? else {
        return Ok(Decision::Refused(format!(
            "no client {client_id:?} is registered"
        )));
    };
    let Some(redirect_uri) = params
        .redirect_uri
        .as_deref()
        .filter(|uri| client.redirects_to(uri))
    else {
        return Ok(Decision::Refused(format!(
            "redirect_uri is missing or not one registered for {client_id:?} (compared exactly)"
        )));
    };
    let back = |outcome: Result<Vec<(&str, String)>, Failure>| {
        Decision::Redirect(redirect_to(
            context,
            redirect_uri,
            params.state.as_deref(),
            outcome,
        ))
    };
    let request = match check(&client, params) {
        Ok(request) => request,
        Err(failure) => return Ok(back(Err(failure))),
    };
    let person = signed_in.filter(|person| request.satisfied_by(person));
    let Some(person) = person else {
        if request.prompt_none {
            return Ok(back(Err(failure(
                "login_required",
                "the person is not signed in to wxgate",
            ))));
        }
        // Inside WeChat a client asking for the profile gets it: the official account's consent (snsapi_userinfo)
        // instead of the silent login, which brings no nickname.
        let with_profile = browser == BrowserKind::WeChat && has_scope(&request.scope, "profile");
        return Ok(
            match sign_in_path(params, request.fresh_login, with_profile) {
                Some(path) => Decision::SignIn(path),
                None => back(Err(failure("invalid_request", "the request is too long"))),
            },
        );
    };
    let Some(user) = context.db.user(&person.user_id).await? else {
        return Ok(match sign_in_path(params, true, false) {
            Some(path) => Decision::SignIn(path),
            None => back(Err(failure("invalid_request", "the request is too long"))),
        });
    };
    let code = new_secret();
    context
        .db
        .issue_code(&NewCode {
            digest: &sha256_hex(&code),
            grant_id: &new_id(),
            client_id: &client.id,
            user_id: &user.id,
            scope: &request.scope,
            auth_time: person.signed_in_at.unwrap_or_else(now),
            redirect_uri,
            code_challenge: params.code_challenge.as_deref(),
            nonce: params.nonce.as_deref(),
            expires_at: now() + CODE_SECONDS,
        })
        .await?;
    Ok(back(Ok(vec![("code", code)])))
}

/// A request that passed its checks.
#[derive(Debug)]
struct Checked {
    scope: String,
    prompt_none: bool,
    /// The person must have signed in at this time or later (`prompt=login`, `max_age`, or coming back from it).
    fresh_login: bool,
    signed_in_after: Option<i64>,
    max_age: Option<i64>,
}

impl Checked {
    fn satisfied_by(&self, person: &SessionUser) -> bool {
        if self.fresh_login {
            return false;
        }
        let signed_in_at = person.signed_in_at;
        if let Some(after) = self.signed_in_after {
            if signed_in_at.is_none_or(|at| at < after) {
                return false;
            }
        }
        if let Some(max_age) = self.max_age {
            if signed_in_at.is_none_or(|at| at + max_age < now()) {
                return false;
            }
        }
        true
    }
}

fn check(client: &Client, params: &AuthorizeParams) -> Result<Checked, Failure> {
    match params.response_type.as_deref() {
        Some("code") => {}
        Some(_) => {
            return Err(failure(
                "unsupported_response_type",
                "only response_type=code is supported",
            ))
        }
        None => return Err(failure("invalid_request", "response_type is missing")),
    }
    if params
        .response_mode
        .as_deref()
        .is_some_and(|mode| mode != "query")
    {
        return Err(failure(
            "invalid_request",
            "only response_mode=query is supported",
        ));
    }
    let scope = known_scopes(params.scope.as_deref().unwrap_or_default());
    if !super::has_scope(&scope, "openid") {
        return Err(failure("invalid_scope", "the scope must include openid"));
    }
    let too_long =
        |value: &Option<String>| value.as_ref().is_some_and(|v| v.len() > MAX_STATE_BYTES);
    if too_long(&params.state) || too_long(&params.nonce) {
        return Err(failure(
            "invalid_request",
            "state and nonce are at most 512 bytes",
        ));
    }
    match (
        params.code_challenge.as_deref(),
        params.code_challenge_method.as_deref(),
    ) {
        (Some(challenge), Some("S256")) if is_s256_challenge(challenge) => {}
        (Some(_), Some("S256")) => {
            return Err(failure(
                "invalid_request",
                "code_challenge must be the base64url SHA-256 of the verifier (43 characters)",
            ))
        }
        (Some(_), _) | (None, Some(_)) => return Err(failure(
            "invalid_request",
            "PKCE needs code_challenge with code_challenge_method=S256 (plain is not supported)",
        )),
        (None, None) if client.is_public() => {
            return Err(failure(
                "invalid_request",
                "a public client must use PKCE (code_challenge, code_challenge_method=S256)",
            ))
        }
        (None, None) => {}
    }
    let prompts: Vec<&str> = params
        .prompt
        .as_deref()
        .unwrap_or_default()
        .split(' ')
        .filter(|p| !p.is_empty())
        .collect();
    if prompts
        .iter()
        .any(|p| !matches!(*p, "none" | "login" | "consent" | "select_account"))
    {
        return Err(failure("invalid_request", "prompt has an unknown value"));
    }
    let prompt_none = prompts.contains(&"none");
    if prompt_none && prompts.len() > 1 {
        return Err(failure(
            "invalid_request",
            "prompt=none cannot go with other values",
        ));
    }
    let max_age =
        match params.max_age.as_deref() {
            None => None,
            Some(value) => Some(value.parse::<i64>().ok().filter(|age| *age >= 0).ok_or(
                failure("invalid_request", "max_age must be a number of seconds"),
            )?),
        };
    let signed_in_after = params
        .signed_in_after
        .as_deref()
        .and_then(|value| value.parse::<i64>().ok());
    Ok(Checked {
        scope,
        prompt_none,
        // Signing in with WeChat again is how a person picks another account, so select_account asks for it too.
        fresh_login: prompts.contains(&"login") || prompts.contains(&"select_account"),
        signed_in_after,
        max_age,
    })
}

/// RFC 7636 §4.2: BASE64URL(SHA256(verifier)) is 43 characters of the base64url alphabet.
fn is_s256_challenge(challenge: &str) -> bool {
    challenge.len() == 43
        && challenge
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

/// The login page's path (or, `with_profile`, the official account's consent), coming back to this request
/// (without its `prompt`, and with `signed_in_after` when the person must sign in anew); `None` when it would be
/// longer than a `next` may be.
fn sign_in_path(params: &AuthorizeParams, fresh_login: bool, with_profile: bool) -> Option<String> {
    let mut back = params.clone();
    back.prompt = None;
    if fresh_login {
        back.signed_in_after = Some(now().to_string());
    }
    let next = format!("{AUTHORIZE_PATH}?{}", back.to_query());
    if next.len() > MAX_NEXT_BYTES {
        return None;
    }
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if with_profile {
        query.append_pair("scope", "userinfo");
    }
    query.append_pair("next", &next);
    let page = if with_profile {
        "/api/auth/wechat/oauth/start"
    } else {
        "/login"
    };
    Some(format!("{page}?{}", query.finish()))
}

/// The client's redirect URI with the outcome's parameters, `state` and `iss` added to its own query.
fn redirect_to(
    context: &AppContext,
    redirect_uri: &str,
    state: Option<&str>,
    outcome: Result<Vec<(&str, String)>, Failure>,
) -> String {
    // A registered redirect URI was checked to parse when it was registered.
    let Ok(mut url) = Url::parse(redirect_uri) else {
        return redirect_uri.to_owned();
    };
    {
        let mut query = url.query_pairs_mut();
        match outcome {
            Ok(pairs) => {
                for (name, value) in pairs {
                    query.append_pair(name, &value);
                }
            }
            Err(Failure { code, description }) => {
                query.append_pair("error", code);
                query.append_pair("error_description", description);
            }
        }
        if let Some(state) = state {
            query.append_pair("state", state);
        }
        query.append_pair("iss", &issuer(&context.settings.app_url));
    }
    url.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(pairs: &[(&str, &str)]) -> AuthorizeParams {
        AuthorizeParams::from_pairs(
            pairs
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string())),
        )
        .expect("params")
    }

    fn public_client() -> Client {
        clients::configured(
            "spa".to_owned(),
            None,
            None,
            vec!["https://app.example.com/cb".to_owned()],
            vec![],
        )
        .expect("client")
    }

    #[test]
    fn a_parameter_given_twice_is_refused() {
        let twice = AuthorizeParams::from_pairs(
            [("state", "a"), ("state", "b")]
                .iter()
                .map(|(name, value)| (name.to_string(), value.to_string())),
        );
        assert!(twice.is_err());
    }

    #[test]
    fn public_clients_need_s256_pkce() {
        let client = public_client();
        let base = [("response_type", "code"), ("scope", "openid")];
        assert_eq!(
            check(&client, &params(&base)).err().map(|f| f.code),
            Some("invalid_request")
        );
        let challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
        let mut plain = base.to_vec();
        plain.extend([
            ("code_challenge", challenge),
            ("code_challenge_method", "plain"),
        ]);
        assert!(check(&client, &params(&plain)).is_err());
        let mut s256 = base.to_vec();
        s256.extend([
            ("code_challenge", challenge),
            ("code_challenge_method", "S256"),
        ]);
        assert!(check(&client, &params(&s256)).is_ok());
    }

    #[test]
    fn prompts_and_scopes_are_checked() {
        let client = clients::configured(
            "web".to_owned(),
            None,
            Some("a-secret-of-at-least-thirty-two-characters"),
            vec!["https://app.example.com/cb".to_owned()],
            vec![],
        )
        .expect("client");
        let with = |extra: &[(&str, &str)]| {
            let mut pairs = vec![("response_type", "code"), ("scope", "openid profile")];
            pairs.extend_from_slice(extra);
            check(&client, &params(&pairs))
        };
        assert!(with(&[]).is_ok());
        assert!(with(&[("prompt", "none login")]).is_err());
        assert!(with(&[("prompt", "sometimes")]).is_err());
        assert!(with(&[("prompt", "login")]).expect("login").fresh_login);
        assert!(with(&[("max_age", "-1")]).is_err());
        let no_openid = check(
            &client,
            &params(&[("response_type", "code"), ("scope", "profile")]),
        );
        assert_eq!(no_openid.err().map(|f| f.code), Some("invalid_scope"));
        let implicit = check(
            &client,
            &params(&[("response_type", "id_token"), ("scope", "openid")]),
        );
        assert_eq!(
            implicit.err().map(|f| f.code),
            Some("unsupported_response_type")
        );
    }

    #[test]
    fn a_fresh_login_is_one_made_after_the_request() {
        let checked = Checked {
            scope: "openid".to_owned(),
            prompt_none: false,
            fresh_login: false,
            signed_in_after: Some(1_000),
            max_age: None,
        };
        let at = |signed_in_at| SessionUser {
            user_id: "u".to_owned(),
            signed_in_at,
        };
        assert!(checked.satisfied_by(&at(Some(1_000))));
        assert!(!checked.satisfied_by(&at(Some(999))));
        assert!(!checked.satisfied_by(&at(None)));
    }
}
