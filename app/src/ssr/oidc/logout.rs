//! RP-initiated logout (OpenID Connect RP-Initiated Logout 1.0 §2–§3): the client sends the browser to
//! `/oauth2/logout` (GET, or a form POST from its own page) with the ID token it holds as `id_token_hint`; wxgate
//! ends the person's session and sends the browser to a `post_logout_redirect_uri` the client registered, with its
//! `state`. Without a valid `id_token_hint` nothing proves a client of the person asked, so the person is asked to
//! confirm on wxgate's own page first (§2: the OP asks when the request may not be the person's wish).

use jsonwebtoken::{decode, decode_header, Validation};
use url::Url;

use super::clients::{self, Client};
use super::{issuer, keys, OidcError};
use crate::ssr::context::AppContext;

/// The longest `id_token_hint`, `state` or URI read.
const MAX_PARAM_BYTES: usize = 4096;

/// A logout request's parameters.
#[derive(Debug, Clone, Default)]
pub struct LogoutParams {
    pub id_token_hint: Option<String>,
    pub client_id: Option<String>,
    pub post_logout_redirect_uri: Option<String>,
    pub state: Option<String>,
}

/// Where the browser goes once the session has ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AfterLogout {
    /// The client's post-logout redirect URI, with `state`.
    Client(String),
    /// No client redirect was asked for: wxgate's own page.
    Wxgate,
}

/// A logout request that passed its checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    pub after: AfterLogout,
    /// Whether it came with an ID token wxgate issued (else the person confirms it first).
    pub hinted: bool,
}

/// Checks a logout request before the session ends; `Err` is the sentence a refused request is answered with.
pub async fn check(
    context: &AppContext,
    params: &LogoutParams,
) -> Result<Result<Checked, String>, OidcError> {
    let too_long = [
        &params.id_token_hint,
        &params.client_id,
        &params.post_logout_redirect_uri,
        &params.state,
    ]
    .iter()
    .any(|value| value.as_ref().is_some_and(|v| v.len() > MAX_PARAM_BYTES));
    if too_long {
        return Ok(Err("a parameter is too long".to_owned()));
    }
    let hinted = match &params.id_token_hint {
        Some(hint) => match audience_of(context, hint).await? {
            Some(audience) => Some(audience),
            None => {
                return Ok(Err(
                    "id_token_hint is not an ID token wxgate issued".to_owned()
                ))
            }
        },
        None => None,
    };
    let has_hint = hinted.is_some();
    let checked = |after| {
        Ok(Ok(Checked {
            after,
            hinted: has_hint,
        }))
    };
    let client_id = match (hinted, params.client_id.as_deref()) {
        (Some(hinted), Some(named)) if hinted != named => {
            return Ok(Err(
                "client_id is not the audience of id_token_hint".to_owned()
            ))
        }
        (Some(hinted), _) => Some(hinted),
        (None, named) => named.map(str::to_owned),
    };
    let Some(uri) = params.post_logout_redirect_uri.as_deref() else {
        return checked(AfterLogout::Wxgate);
    };
    let client: Option<Client> = match &client_id {
        Some(id) => clients::find(context, id).await?,
        None => None,
    };
    match client {
        Some(client) if client.returns_after_logout_to(uri) => {
            let Ok(mut url) = Url::parse(uri) else {
                return Ok(Err("post_logout_redirect_uri is not a URL".to_owned()));
            };
            if let Some(state) = &params.state {
                url.query_pairs_mut().append_pair("state", state);
            }
            checked(AfterLogout::Client(url.to_string()))
        }
        Some(_) => Ok(Err(
            "post_logout_redirect_uri is not one registered for this client".to_owned(),
        )),
        None => Ok(Err(
            "post_logout_redirect_uri needs id_token_hint or client_id to name its client"
                .to_owned(),
        )),
    }
}

/// The client an ID token was issued to, if wxgate signed it (an expired one still names its client, §2).
async fn audience_of(context: &AppContext, token: &str) -> Result<Option<String>, OidcError> {
    let Some(kid) = decode_header(token).ok().and_then(|header| header.kid) else {
        return Ok(None);
    };
    let Some(key) = keys::published(&context.db)
        .await?
        .into_iter()
        .find(|key| key.kid == kid)
    else {
        return Ok(None);
    };
    let mut validation = Validation::new(keys::ALGORITHM);
    validation.validate_exp = false;
    validation.validate_aud = false;
    validation.set_required_spec_claims(&["iss", "aud", "sub"]);
    validation.set_issuer(&[issuer(&context.settings.app_url)]);
    #[derive(serde::Deserialize)]
    struct Audience {
        aud: String,
    }
    Ok(decode::<Audience>(token, &key.decoding()?, &validation)
        .ok()
        .map(|data| data.claims.aud))
}
