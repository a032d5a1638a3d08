//! The login routes: the mini program's JSON API, the OAuth start and callback shared by the WeChat browser and the
//! desktop QR, the start/poll pair for clients that cannot follow redirects, the provider list, me and logout.

use app::ssr::auth::account::{self, SignedIn};
use app::ssr::auth::callback::{self, Finished};
use app::ssr::auth::oauth::{self as web_oauth, Provider};
use app::ssr::auth::{attempts, mini_program, poll, session as auth_session, AuthError};
use app::ssr::bounds::{self, fit, fit_optional, LoginCode};
use app::ssr::cause::chain;
use app::ssr::context::AppContext;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};
use tower_sessions::Session;
use wechat::oauth::{QrStyle, Scope};

use super::client::ClientIp;
use super::errors::ApiFailure;
use crate::state::ServerState;

pub fn router() -> Router<ServerState> {
    Router::new()
        .route("/api/auth/wechat/login", post(mini_program_login))
        .route("/api/auth/wechat/phone", post(bind_phone))
        .route("/api/auth/wechat/decrypt", post(decrypt))
        .route("/api/auth/wechat/oauth/start", get(oauth_start))
        .route("/api/auth/wechat/oauth/callback", get(oauth_callback))
        .route("/api/auth/oauth/start", post(poll_start))
        .route("/api/auth/oauth/result", get(poll_result))
        .route("/api/auth/providers", get(providers))
        .route("/api/me", get(me))
        .route("/api/auth/logout", post(logout))
        .layer(DefaultBodyLimit::max(bounds::MAX_BODY_BYTES))
}

type ApiResult = Result<Response, ApiFailure>;

/// The JSON body, or a `bad_request` naming it (or saying it is over [`bounds::MAX_BODY_BYTES`]).
fn body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, AuthError> {
    body.map(|Json(body)| body).map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AuthError::BadRequest("JSON body (at most 64 KiB)")
        } else {
            AuthError::BadRequest("JSON body")
        }
    })
}

async fn signed_in(session: &Session) -> Result<String, AuthError> {
    auth_session::user_id(session)
        .await?
        .ok_or(AuthError::Unauthenticated)
}

#[derive(Deserialize)]
struct CodeBody {
    code: String,
}

/// `POST /api/auth/wechat/login {code}`: the session as a cookie and as `session_token`, and the user's state.
async fn mini_program_login(
    State(context): State<AppContext>,
    ClientIp(client): ClientIp,
    session: Session,
    request: Result<Json<CodeBody>, JsonRejection>,
) -> ApiResult {
    let CodeBody { code } = body(request)?;
    let code = LoginCode::parse("code", &code)?;
    attempts::count(&context, client, Some(code.as_str())).await?;
    let user_id = mini_program::log_in(&context, &code).await?;
    let session_token = auth_session::sign_in(&session, &user_id).await?;
    let state = mini_program::user_state(&context, &user_id).await?;
    tracing::info!(user_id = %state.user_id, "mini program login");
    Ok(Json(json!({
        "session_token": session_token,
        "user_id": state.user_id,
        "has_phone": state.has_phone,
        "next_step": state.next_step,
    }))
    .into_response())
}

/// `POST /api/auth/wechat/phone {code}`: binds the phone number behind a phone button's code.
async fn bind_phone(
    State(context): State<AppContext>,
    ClientIp(client): ClientIp,
    session: Session,
    request: Result<Json<CodeBody>, JsonRejection>,
) -> ApiResult {
    let CodeBody { code } = body(request)?;
    let code = LoginCode::parse("code", &code)?;
    let user_id = signed_in(&session).await?;
    attempts::count(&context, client, Some(code.as_str())).await?;
    mini_program::bind_phone(&context, &user_id, &code).await?;
    let state = mini_program::user_state(&context, &user_id).await?;
    Ok(Json(json!({ "user_id": state.user_id, "has_phone": state.has_phone, "next_step": state.next_step })).into_response())
}

#[derive(Deserialize)]
struct EncryptedBody {
    encrypted_data: String,
    iv: String,
}

/// `POST /api/auth/wechat/decrypt {encrypted_data, iv}`: legacy open data, decrypted with the newest session_key.
async fn decrypt(
    State(context): State<AppContext>,
    session: Session,
    request: Result<Json<EncryptedBody>, JsonRejection>,
) -> ApiResult {
    let EncryptedBody { encrypted_data, iv } = body(request)?;
    fit(
        "encrypted_data",
        &encrypted_data,
        bounds::MAX_ENCRYPTED_DATA_BYTES,
    )?;
    fit("iv", &iv, bounds::MAX_IV_BYTES)?;
    let user_id = signed_in(&session).await?;
    let data = mini_program::decrypt(&context, &user_id, &encrypted_data, &iv).await?;
    Ok(Json(json!({ "data": data })).into_response())
}

#[derive(Deserialize)]
struct StartQuery {
    #[serde(default)]
    provider: Option<String>,
    #[serde(default)]
    scope: Option<String>,
    #[serde(default)]
    next: Option<String>,
}

/// `GET /api/auth/wechat/oauth/start?scope=base|userinfo&next=/path[&provider=wechat_web]`: to WeChat's page.
async fn oauth_start(
    State(context): State<AppContext>,
    session: Session,
    Query(query): Query<StartQuery>,
) -> Response {
    if let Err(too_long) = bounded_start(&query) {
        return ApiFailure::from(too_long).into_response();
    }
    let provider = match query.provider.as_deref().map(Provider::from_id) {
        None => Provider::OfficialAccount,
        Some(Some(provider)) => provider,
        Some(None) => return login_page_with_error(&AuthError::BadRequest("provider")),
    };
    let scope = match query.scope.as_deref() {
        Some("userinfo") | Some("snsapi_userinfo") => Scope::UserInfo,
        _ => Scope::Base,
    };
    let started = web_oauth::start(
        &context,
        provider,
        scope,
        QrStyle::Page,
        query.next.as_deref(),
    );
    match started {
        Ok((url, pending)) => match auth_session::remember_oauth(&session, &pending).await {
            Ok(()) => Redirect::to(&url).into_response(),
            Err(error) => login_page_with_error(&error),
        },
        Err(error) => login_page_with_error(&error),
    }
}

fn bounded_start(query: &StartQuery) -> Result<(), bounds::TooLong> {
    fit_optional("provider", query.provider.as_deref(), bounds::MAX_ID_BYTES)?;
    fit_optional("scope", query.scope.as_deref(), bounds::MAX_ID_BYTES)?;
    fit_optional("next", query.next.as_deref(), bounds::MAX_NEXT_BYTES)?;
    Ok(())
}

/// Back to the login page with a message for people (the page reads the code).
fn login_page_with_error(error: &AuthError) -> Response {
    if let AuthError::Internal(_) = error {
        tracing::error!(cause = %chain(error), "login failed");
    }
    Redirect::to(&format!("/login?error={}", error.code())).into_response()
}

#[derive(Deserialize)]
struct CallbackQuery {
    #[serde(default)]
    code: Option<String>,
    #[serde(default)]
    state: Option<String>,
}

/// `GET /api/auth/wechat/oauth/callback?code&state`: finishes a browser login (state in its session) or a
/// start/poll login (state in the database), on whichever process WeChat's redirect reaches.
async fn oauth_callback(
    State(context): State<AppContext>,
    ClientIp(client): ClientIp,
    session: Session,
    Query(query): Query<CallbackQuery>,
) -> Response {
    // Bounded before anything counts or looks them up: no state wxgate made is longer, nor any code WeChat makes.
    let bounded = fit_optional("state", query.state.as_deref(), bounds::MAX_STATE_BYTES).and(
        fit_optional("code", query.code.as_deref(), bounds::MAX_CODE_BYTES),
    );
    if let Err(too_long) = bounded {
        return ApiFailure::from(too_long).into_response();
    }
    let Some(state) = query.state.filter(|state| !state.is_empty()) else {
        return login_page_with_error(&AuthError::InvalidState);
    };
    if let Err(error) = attempts::count(&context, client, query.code.as_deref()).await {
        return login_page_with_error(&error);
    }
    match callback::finish(&context, &session, &state, query.code.as_deref()).await {
        Ok(Finished::SignedIn { next }) => Redirect::to(&next).into_response(),
        Ok(Finished::Declined { next }) => {
            Redirect::to(&format!("/login?error=declined&next={}", urlencode(&next)))
                .into_response()
        }
        Ok(Finished::Polled { completed }) => polled_login_page(completed),
        Err(error) => login_page_with_error(&error),
    }
}

/// What the browser that finished a start/poll login shows: the polling client picks the session up.
fn polled_login_page(completed: bool) -> Response {
    let message = if completed {
        "登录成功，可以关闭此页面。Signed in: you can close this page."
    } else {
        "登录没有完成，请回到应用重试。The login did not complete: go back and try again."
    };
    Html(format!("<!DOCTYPE html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>wxgate</title><p>{message}</p></html>")).into_response()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

#[derive(Deserialize)]
struct PollStartBody {
    provider: String,
    #[serde(default)]
    next: Option<String>,
}

/// `POST /api/auth/oauth/start {provider: "wechat_web"}` → `{url, state, poll_secret}`: the website QR login for
/// clients that cannot follow redirects; `poll_secret` goes only into the `Wxgate-Poll-Secret` header of the polls.
async fn poll_start(
    State(context): State<AppContext>,
    ClientIp(client): ClientIp,
    request: Result<Json<PollStartBody>, JsonRejection>,
) -> ApiResult {
    let PollStartBody { provider, next } = body(request)?;
    fit("provider", &provider, bounds::MAX_ID_BYTES).and(fit_optional(
        "next",
        next.as_deref(),
        bounds::MAX_NEXT_BYTES,
    ))?;
    attempts::count(&context, client, None).await?;
    let started = poll::start(&context, &provider, next.as_deref()).await?;
    Ok(Json(json!({
        "url": started.url,
        "state": started.state,
        "poll_secret": started.poll_secret,
    }))
    .into_response())
}

#[derive(Deserialize)]
struct PollQuery {
    state: String,
}

/// `GET /api/auth/oauth/result?state=…` with header `Wxgate-Poll-Secret` → pending, done with a session token
/// (once), failed, or expired; without the right secret, the unknown state's answer.
async fn poll_result(
    State(context): State<AppContext>,
    headers: HeaderMap,
    Query(query): Query<PollQuery>,
) -> ApiResult {
    fit("state", &query.state, bounds::MAX_STATE_BYTES)?;
    let secret = headers
        .get(poll::SECRET_HEADER)
        .and_then(|value| value.to_str().ok());
    Ok(Json(match poll::result(&context, &query.state, secret).await? {
        poll::Answer::Pending => json!({ "status": "pending" }),
        poll::Answer::Expired => json!({ "status": "expired" }),
        poll::Answer::Done { user_id, session_token, next } => {
            json!({ "status": "done", "user_id": user_id, "session_token": session_token, "next": next })
        }
        poll::Answer::Failed { error } => json!({ "status": "failed", "error": error }),
    })
    .into_response())
}

/// `GET /api/auth/providers`: what is really switched on, so no client hard-codes a provider.
async fn providers(State(context): State<AppContext>) -> Json<Value> {
    let wechat = &context.wechat;
    Json(json!([
        { "id": "wechat_mp", "type": "miniprogram", "enabled": wechat.mini_program.is_some() },
        { "id": "wechat_oa", "type": "oauth", "enabled": wechat.official_account.is_some() },
        { "id": "wechat_web", "type": "oauth", "enabled": wechat.website.is_some() },
    ]))
}

/// `GET /api/me`: the signed-in user with their identities.
async fn me(State(context): State<AppContext>, session: Session) -> ApiResult {
    let SignedIn { user, identities } = account::signed_in(&context, &session)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    Ok(Json(json!({
        "user_id": user.id,
        "nickname": user.nickname,
        "avatar_url": user.avatar_url,
        "has_phone": user.phone.is_some(),
        "phone": user.phone,
        "identities": identities.iter().map(|identity| json!({
            "provider": identity.provider,
            "appid": identity.appid,
            "openid": identity.openid,
            "unionid": identity.unionid,
        })).collect::<Vec<_>>(),
    }))
    .into_response())
}

/// `POST /api/auth/logout`: ends the session.
async fn logout(session: Session) -> ApiResult {
    auth_session::sign_out(&session).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
