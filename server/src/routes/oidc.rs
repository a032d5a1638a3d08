//! The OpenID Connect provider's endpoints (see `app::ssr::oidc`): discovery, the JWKS, authorize, token,
//! userinfo and logout. OpenID Connect clients find them through the discovery document; the OpenAPI document
//! describes them too (tag `openid-connect`), with the statuses and bodies each answers.

use app::ssr::auth::session as auth_session;
use app::ssr::cause::chain;
use app::ssr::context::AppContext;
use app::ssr::oidc::authorize::{self, AuthorizeParams, Decision, SessionUser};
use app::ssr::oidc::logout::{self, AfterLogout, LogoutParams};
use app::ssr::oidc::token::{self, TokenAnswer, TokenError, TokenParams};
use app::ssr::oidc::{self, claims, clients, discovery, keys, OidcError};
use app::types::channel::BrowserKind;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, RawQuery, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Json;
use std::time::Duration;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_sessions::Session;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::contract::answers::{AuthorizeAnswers, LogoutAnswers, OAuthRefusal, UserinfoAnswers};
use crate::contract::requests::{AuthorizeRequest, LogoutRequest, TokenForm, UserinfoForm};
use crate::hardening::origin::AppOrigin;
use crate::state::ServerState;

/// A form to these endpoints is a few hundred bytes.
const MAX_FORM_BYTES: usize = 16 * 1024;

pub fn router() -> OpenApiRouter<ServerState> {
    // What a single-page app (a public client) calls from its own origin with fetch: discovery, the keys, the
    // token endpoint and userinfo. None of them reads a cookie (the code and verifier, the client's credentials
    // or the access token in the request are the authority), so any origin may read their answers, never with
    // credentials. The authorization and logout endpoints are navigations, and stay same-site for changes.
    let read_by_any_origin = CorsLayer::new()
        .allow_origin(AllowOrigin::any())
        .allow_methods([Method::GET, Method::POST])
        .allow_headers([header::AUTHORIZATION, header::CONTENT_TYPE])
        .max_age(Duration::from_secs(3600));
    let for_apps = OpenApiRouter::new()
        .routes(routes!(discovery_document))
        .routes(routes!(jwks))
        .routes(routes!(token))
        .routes(routes!(userinfo_by_get, userinfo_by_form))
        .layer(read_by_any_origin);
    OpenApiRouter::new()
        .routes(routes!(authorize_by_get, authorize_by_form))
        .routes(routes!(logout_by_get, logout_by_form))
        .merge(for_apps)
        .layer(DefaultBodyLimit::max(MAX_FORM_BYTES))
}

/// OpenID Connect Discovery 1.0 §4.
#[utoipa::path(
    get,
    path = "/.well-known/openid-configuration",
    tag = "openid-connect",
    operation_id = "oidc_discovery",
    summary = "The provider's metadata (OpenID Connect Discovery 1.0): its endpoints, scopes, claims and algorithms",
    responses((status = 200, body = Object, description = "The provider metadata")),
)]
async fn discovery_document(State(context): State<AppContext>) -> Response {
    (
        [(header::CACHE_CONTROL, "public, max-age=3600")],
        Json(discovery::document(&context.settings.app_url)),
    )
        .into_response()
}

/// RFC 7517: the public keys that sign ID tokens.
#[utoipa::path(
    get,
    path = "/oauth2/jwks",
    tag = "openid-connect",
    operation_id = "oidc_jwks",
    summary = "The JSON Web Key Set of the keys that sign ID tokens (RFC 7517), old ones kept while their tokens live",
    responses(
        (status = 200, body = Object, description = "`{\"keys\": [JWK…]}`"),
        (status = 500, body = OAuthRefusal, description = "The server could not answer (the cause is in its log)"),
    ),
)]
async fn jwks(State(context): State<AppContext>) -> Response {
    match keys::jwks(&context.db).await {
        // Short-lived in caches: a new key signs as soon as it is made, and clients fetch again for an unknown kid.
        Ok(set) => ([(header::CACHE_CONTROL, "public, max-age=300")], Json(set)).into_response(),
        Err(error) => internal(&error),
    }
}

/// The parameters of a GET's query or a POST's form (OpenID Connect Core §3.1.2.1 allows both).
fn pairs(method: &Method, query: Option<&str>, body: &[u8]) -> Vec<(String, String)> {
    let source = if method == Method::POST {
        body
    } else {
        query.unwrap_or_default().as_bytes()
    };
    url::form_urlencoded::parse(source).into_owned().collect()
}

/// OpenID Connect Core §3.1.2: the authorization endpoint, by GET or by a form POST.
async fn authorize(
    State(context): State<AppContext>,
    session: Session,
    headers: HeaderMap,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let params = match AuthorizeParams::from_pairs(pairs(&method, query.as_deref(), &body)) {
        Ok(params) => params,
        Err(why) => return refused_page(why),
    };
    let signed_in = match session_user(&session).await {
        Ok(signed_in) => signed_in,
        Err(error) => return internal(&error),
    };
    let browser = BrowserKind::from_headers(&headers);
    match authorize::decide(&context, &params, signed_in, browser).await {
        Ok(Decision::Refused(why)) => refused_page(&why),
        Ok(Decision::Redirect(url)) => found(&url),
        Ok(Decision::SignIn(path)) => found(&path),
        Err(error) => internal(&error),
    }
}

async fn session_user(session: &Session) -> Result<Option<SessionUser>, OidcError> {
    let internal =
        |error: app::ssr::auth::AuthError| OidcError::Internal(app::ssr::cause::Cause::new(error));
    let Some(user_id) = auth_session::user_id(session).await.map_err(internal)? else {
        return Ok(None);
    };
    let signed_in_at = auth_session::signed_in_at(session)
        .await
        .map_err(internal)?;
    Ok(Some(SessionUser {
        user_id,
        signed_in_at,
    }))
}

/// RFC 6749 §3.2 and OpenID Connect Core §3.1.3: codes and refresh tokens exchanged for tokens.
#[utoipa::path(
    post,
    path = "/oauth2/token",
    tag = "openid-connect",
    operation_id = "oidc_token",
    summary = "The token endpoint: a code (with its PKCE verifier) or a refresh token (rotated) for an ID token and an access token",
    request_body(content = TokenForm, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 200, body = TokenAnswer),
        (status = 400, body = OAuthRefusal),
        (status = 401, body = OAuthRefusal, description = "invalid_client: the client's Basic credentials failed"),
        (status = 500, body = OAuthRefusal, description = "The server could not answer (the cause is in its log)"),
    ),
    security((), ("client_secret_basic" = [])),
)]
async fn token(State(context): State<AppContext>, headers: HeaderMap, body: Bytes) -> Response {
    let mut form = TokenParams::default();
    let (mut client_id, mut client_secret) = (None, None);
    for (name, value) in url::form_urlencoded::parse(&body).into_owned() {
        let slot = match name.as_str() {
            "grant_type" => &mut form.grant_type,
            "code" => &mut form.code,
            "redirect_uri" => &mut form.redirect_uri,
            "code_verifier" => &mut form.code_verifier,
            "refresh_token" => &mut form.refresh_token,
            "client_id" => &mut client_id,
            "client_secret" => &mut client_secret,
            _ => continue,
        };
        if slot.is_some() {
            return token_refusal("invalid_request", "a parameter is given twice", false);
        }
        *slot = Some(value);
    }
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    form.client = clients::presented(
        authorization,
        client_id.as_deref(),
        client_secret.as_deref(),
    );
    match token::exchange(&context, &form).await {
        Ok(answer) => (no_store(), Json(answer)).into_response(),
        Err(TokenError::Refused {
            code,
            description,
            unauthorized,
        }) => token_refusal(code, description, unauthorized),
        Err(TokenError::Internal(error)) => internal(&error),
    }
}

/// RFC 6749 §5.1: token answers are never cached.
fn no_store() -> [(header::HeaderName, &'static str); 2] {
    [
        (header::CACHE_CONTROL, "no-store"),
        (header::PRAGMA, "no-cache"),
    ]
}

/// RFC 6749 §5.2: 400 with `{error, error_description}`, or 401 with `WWW-Authenticate` for a client that failed
/// to authenticate through the Authorization header.
fn token_refusal(code: &str, description: &str, unauthorized: bool) -> Response {
    let body = refusal(code, description);
    if unauthorized {
        let mut response = (StatusCode::UNAUTHORIZED, no_store(), body).into_response();
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"wxgate\""),
        );
        return response;
    }
    (StatusCode::BAD_REQUEST, no_store(), body).into_response()
}

/// The userinfo endpoint (OpenID Connect Core §5.3): the access token as `Authorization: Bearer` (or, in a POST,
/// the form's `access_token`, RFC 6750 §2.2).
async fn userinfo(
    State(context): State<AppContext>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let from_header = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.strip_prefix("Bearer "))
        .map(|token| token.trim().to_owned());
    let from_form = (method == Method::POST)
        .then(|| {
            url::form_urlencoded::parse(&body)
                .into_owned()
                .find(|(name, _)| name == "access_token")
                .map(|(_, token)| token)
        })
        .flatten();
    let Some(access_token) = from_header.or(from_form).filter(|token| token.len() <= 512) else {
        return bearer_refusal("invalid_request", "the access token is missing");
    };
    let digest = app::ssr::digest::sha256_hex(&access_token);
    let grant = match context.db.access_token_grant(&digest).await {
        Ok(Some(grant)) => grant,
        Ok(None) => {
            return bearer_refusal(
                "invalid_token",
                "the access token is unknown, expired or revoked",
            )
        }
        Err(error) => return internal(&OidcError::Db(error)),
    };
    match claims::of_grant(&context, &grant).await {
        Ok(Some(claims)) => (no_store(), Json(claims)).into_response(),
        Ok(None) => bearer_refusal("invalid_token", "the person of this token is gone"),
        Err(error) => internal(&error),
    }
}

/// RFC 6750 §3: 401 with `WWW-Authenticate: Bearer error=…`.
fn bearer_refusal(code: &str, description: &str) -> Response {
    let mut response = (StatusCode::UNAUTHORIZED, refusal(code, description)).into_response();
    if let Ok(value) = HeaderValue::from_str(&format!(
        "Bearer realm=\"wxgate\", error=\"{code}\", error_description=\"{description}\""
    )) {
        response
            .headers_mut()
            .insert(header::WWW_AUTHENTICATE, value);
    }
    response
}

/// OpenID Connect RP-Initiated Logout 1.0.
async fn logout(
    State(context): State<AppContext>,
    session: Session,
    headers: HeaderMap,
    method: Method,
    RawQuery(query): RawQuery,
    body: Bytes,
) -> Response {
    let mut params = LogoutParams::default();
    let mut confirmed = false;
    for (name, value) in pairs(&method, query.as_deref(), &body) {
        match name.as_str() {
            "id_token_hint" => params.id_token_hint = Some(value),
            "client_id" => params.client_id = Some(value),
            "post_logout_redirect_uri" => params.post_logout_redirect_uri = Some(value),
            "state" => params.state = Some(value),
            CONFIRM_FIELD => confirmed = value == "yes",
            _ => {}
        }
    }
    let checked = match logout::check(&context, &params).await {
        Ok(Ok(checked)) => checked,
        Ok(Err(why)) => return refused_page(&why),
        Err(error) => return internal(&error),
    };
    // The confirmation counts only from wxgate's own page: a form POST whose Origin is APP_URL's.
    let confirmed_here = confirmed
        && method == Method::POST
        && headers.get(header::ORIGIN).is_some_and(|origin| {
            AppOrigin::of(&context.settings.app_url).admits(origin.as_bytes())
        });
    if !checked.hinted && !confirmed_here {
        return confirmation_page(&params);
    }
    if let Err(error) = auth_session::sign_out(&session).await {
        return internal(&OidcError::Internal(app::ssr::cause::Cause::new(error)));
    }
    match checked.after {
        AfterLogout::Client(url) => found(&url),
        AfterLogout::Wxgate => found("/login"),
    }
}

/// The form field of the person's confirmation of a logout no ID token vouches for.
const CONFIRM_FIELD: &str = "confirm";

/// Asks the person whether to sign out, repeating the request as a form POST with their confirmation.
fn confirmation_page(params: &LogoutParams) -> Response {
    let hidden: String = [
        ("client_id", &params.client_id),
        ("post_logout_redirect_uri", &params.post_logout_redirect_uri),
        ("state", &params.state),
    ]
    .iter()
    .filter_map(|(name, value)| {
        value.as_ref().map(|value| {
            format!(
                r#"<input type="hidden" name="{name}" value="{}">"#,
                html_escape::encode_double_quoted_attribute(value)
            )
        })
    })
    .collect();
    let page = format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>退出登录 · Sign out</title></head>
<body><main><h1>退出 wxgate 登录？ · Sign out of wxgate?</h1>
<form method="post" action="{LOGOUT}">{hidden}<button type="submit" name="{CONFIRM_FIELD}" value="yes" data-testid="confirm-logout">退出登录 · Sign out</button></form>
<p><a href="/account">留在登录状态 · Stay signed in</a></p></main></body></html>"#,
        LOGOUT = oidc::LOGOUT_PATH,
    );
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}

/// A 303 to `location` (the browser follows it with a GET).
fn found(location: &str) -> Response {
    Redirect::to(location).into_response()
}

/// A request that cannot be sent back to a client, answered to the person (OpenID Connect Core §3.1.2.6).
fn refused_page(why: &str) -> Response {
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        format!("This sign-in request cannot be completed: {why}.\n"),
    )
        .into_response()
}

fn internal(error: &OidcError) -> Response {
    tracing::error!(cause = %chain(error), "the OpenID Connect provider failed");
    (
        StatusCode::INTERNAL_SERVER_ERROR,
        refusal("server_error", "wxgate could not answer; try again"),
    )
        .into_response()
}

fn refusal(code: &str, description: &str) -> Json<OAuthRefusal> {
    Json(OAuthRefusal {
        error: code.to_owned(),
        error_description: description.to_owned(),
    })
}

// Each endpoint taking GET and a form POST is documented as two operations, so each has an operation id of its own.

#[utoipa::path(
    get,
    path = "/oauth2/authorize",
    tag = "openid-connect",
    operation_id = "oidc_authorize",
    summary = "Authorization code flow (PKCE S256 required for public clients): signs the person in, then back to the client",
    params(AuthorizeRequest),
    responses(AuthorizeAnswers)
)]
async fn authorize_by_get(
    state: State<AppContext>,
    session: Session,
    headers: HeaderMap,
    method: Method,
    query: RawQuery,
    body: Bytes,
) -> Response {
    authorize(state, session, headers, method, query, body).await
}

#[utoipa::path(
    post,
    path = "/oauth2/authorize",
    tag = "openid-connect",
    operation_id = "oidc_authorize_form",
    summary = "Authorization code flow (PKCE S256 required for public clients): signs the person in, then back to the client",
    request_body(content = AuthorizeRequest, content_type = "application/x-www-form-urlencoded"),
    responses(AuthorizeAnswers),
)]
async fn authorize_by_form(
    state: State<AppContext>,
    session: Session,
    headers: HeaderMap,
    method: Method,
    query: RawQuery,
    body: Bytes,
) -> Response {
    authorize(state, session, headers, method, query, body).await
}

#[utoipa::path(
    get,
    path = "/oauth2/userinfo",
    tag = "openid-connect",
    operation_id = "oidc_userinfo",
    summary = "The person's claims the access token's scopes allow (sub, name, picture, phone_number, unionid, openids)",
    responses(UserinfoAnswers),
    security(("oidc_access_token" = [])),
)]
async fn userinfo_by_get(
    state: State<AppContext>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    userinfo(state, method, headers, body).await
}

#[utoipa::path(
    post,
    path = "/oauth2/userinfo",
    tag = "openid-connect",
    operation_id = "oidc_userinfo_form",
    summary = "The person's claims the access token's scopes allow (sub, name, picture, phone_number, unionid, openids)",
    request_body(content = UserinfoForm, content_type = "application/x-www-form-urlencoded"),
    responses(UserinfoAnswers),
    security((), ("oidc_access_token" = [])),
)]
async fn userinfo_by_form(
    state: State<AppContext>,
    method: Method,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    userinfo(state, method, headers, body).await
}

#[utoipa::path(
    get,
    path = "/oauth2/logout",
    tag = "openid-connect",
    operation_id = "oidc_logout",
    summary = "RP-initiated logout: ends the wxgate session, then back to a registered post_logout_redirect_uri",
    params(LogoutRequest),
    responses(LogoutAnswers)
)]
async fn logout_by_get(
    state: State<AppContext>,
    session: Session,
    headers: HeaderMap,
    method: Method,
    query: RawQuery,
    body: Bytes,
) -> Response {
    logout(state, session, headers, method, query, body).await
}

#[utoipa::path(
    post,
    path = "/oauth2/logout",
    tag = "openid-connect",
    operation_id = "oidc_logout_form",
    summary = "RP-initiated logout: ends the wxgate session, then back to a registered post_logout_redirect_uri",
    request_body(content = LogoutRequest, content_type = "application/x-www-form-urlencoded"),
    responses(LogoutAnswers),
)]
async fn logout_by_form(
    state: State<AppContext>,
    session: Session,
    headers: HeaderMap,
    method: Method,
    query: RawQuery,
    body: Bytes,
) -> Response {
    logout(state, session, headers, method, query, body).await
}
