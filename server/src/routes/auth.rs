//! The login routes: the mini program's JSON API, the OAuth start and callback shared by the WeChat browser and the
//! desktop QR, the start/poll pair for clients that cannot follow redirects, the provider list, me and logout.

use app::ssr::auth::account::{self, SignedIn};
use app::ssr::auth::callback::{self, Finished};
use app::ssr::auth::mini_program::{self, UserState};
use app::ssr::auth::oauth::{self as web_oauth, Provider};
use app::ssr::auth::{attempts, cloud_hosting, poll, session as auth_session, AuthError};
use app::ssr::bounds::{self, fit, fit_optional, LoginCode};
use app::ssr::cause::chain;
use app::ssr::context::AppContext;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use tower_sessions::Session;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use wechat::oauth::{QrStyle, Scope};

use super::client::ClientIp;
use super::errors::ApiFailure;
use crate::contract::answers::{
    DecryptedAnswer, LoginAnswer, MeAnswer, PollResult, PollStarted, ProviderEntry, ProviderKind,
};
use crate::contract::refusals::LoginRefusals;
use crate::contract::requests::{
    CallbackQuery, CodeBody, EncryptedDataBody, PollQuery, PollStartBody, StartQuery,
};
use crate::state::ServerState;

pub fn router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::new()
        .routes(routes!(mini_program_login))
        .routes(routes!(cloud_hosting_login))
        .routes(routes!(bind_phone))
        .routes(routes!(decrypt))
        .routes(routes!(oauth_start))
        .routes(routes!(oauth_callback))
        .routes(routes!(poll_start))
        .routes(routes!(poll_result))
        .routes(routes!(providers))
        .routes(routes!(me))
        .routes(routes!(logout))
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

/// `POST /api/auth/wechat/login {code}`: the session as a cookie and as `session_token`, and the user's state.
#[utoipa::path(
    post,
    path = "/api/auth/wechat/login",
    tag = "login",
    summary = "Log in with wx.login's code",
    request_body = CodeBody,
    responses((status = 200, body = LoginAnswer), LoginRefusals),
)]
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
    Ok(Json(LoginAnswer::new(session_token, state)).into_response())
}

/// `POST /api/auth/wechat/cloud-login`: through WeChat Cloud Hosting's gateway (`wx.cloud.callContainer`), the
/// caller its headers name signs in, with no code; only with `WXGATE_CLOUD_HOSTING=1`.
#[utoipa::path(
    post,
    path = "/api/auth/wechat/cloud-login",
    tag = "login",
    summary = "Log in through WeChat Cloud Hosting's gateway, by its identity headers (WXGATE_CLOUD_HOSTING=1)",
    params(
        ("X-WX-SOURCE" = String, Header, description = "Set by the gateway"),
        ("X-WX-APPID" = String, Header, description = "The mini program's appid, set by the gateway"),
        ("X-WX-OPENID" = String, Header, description = "The caller's openid, set by the gateway"),
        ("X-WX-UNIONID" = Option<String>, Header, description = "The caller's unionid, when the mini program is bound to an Open Platform account"),
    ),
    responses((status = 200, body = LoginAnswer), LoginRefusals),
)]
async fn cloud_hosting_login(
    State(context): State<AppContext>,
    ClientIp(client): ClientIp,
    session: Session,
    headers: HeaderMap,
) -> ApiResult {
    if !context.settings.cloud_hosting {
        return Err(AuthError::NotEnabled("Cloud Hosting").into());
    }
    attempts::count(&context, client, None).await?;
    let caller = cloud_hosting::caller(&headers)?;
    let user_id = cloud_hosting::log_in(&context, &caller).await?;
    let session_token = auth_session::sign_in(&session, &user_id).await?;
    let state = mini_program::user_state(&context, &user_id).await?;
    tracing::info!(user_id = %state.user_id, "Cloud Hosting login");
    Ok(Json(LoginAnswer::new(session_token, state)).into_response())
}

/// `POST /api/auth/wechat/phone {code}`: binds the phone number behind a phone button's code.
#[utoipa::path(
    post,
    path = "/api/auth/wechat/phone",
    tag = "login",
    summary = "Bind the phone number behind a getPhoneNumber button's code",
    request_body = CodeBody,
    responses((status = 200, body = UserState), LoginRefusals),
    security(("session_token" = []), ("session_cookie" = [])),
)]
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
    Ok(Json(mini_program::user_state(&context, &user_id).await?).into_response())
}

/// `POST /api/auth/wechat/decrypt {encrypted_data, iv}`: legacy open data, decrypted with the newest session_key.
#[utoipa::path(
    post,
    path = "/api/auth/wechat/decrypt",
    tag = "login",
    summary = "Decrypt legacy open data (encryptedData, iv)",
    request_body = EncryptedDataBody,
    responses((status = 200, body = DecryptedAnswer), LoginRefusals),
    security(("session_token" = []), ("session_cookie" = [])),
)]
async fn decrypt(
    State(context): State<AppContext>,
    session: Session,
    request: Result<Json<EncryptedDataBody>, JsonRejection>,
) -> ApiResult {
    let EncryptedDataBody { encrypted_data, iv } = body(request)?;
    fit(
        "encrypted_data",
        &encrypted_data,
        bounds::MAX_ENCRYPTED_DATA_BYTES,
    )?;
    fit("iv", &iv, bounds::MAX_IV_BYTES)?;
    let user_id = signed_in(&session).await?;
    let data = mini_program::decrypt(&context, &user_id, &encrypted_data, &iv).await?;
    Ok(Json(DecryptedAnswer { data }).into_response())
}

/// `GET /api/auth/wechat/oauth/start?scope=base|userinfo&next=/path[&provider=wechat_web]`: to WeChat's page.
#[utoipa::path(
    get,
    path = "/api/auth/wechat/oauth/start",
    tag = "login",
    summary = "Start a browser login: a redirect to WeChat's consent or QR page",
    params(StartQuery),
    responses(
        (status = 303, description = "To WeChat's page; a failure goes to `/login?error=<code>` instead"),
        (status = 400, body = crate::contract::refusals::ErrorAnswer, description = "bad_request: a parameter past its bound"),
    ),
)]
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

/// `GET /api/auth/wechat/oauth/callback?code&state`: finishes a browser login (state in its session) or a
/// start/poll login (state in the database), on whichever process WeChat's redirect reaches.
#[utoipa::path(
    get,
    path = "/api/auth/wechat/oauth/callback",
    tag = "login",
    summary = "Where WeChat returns a browser login (the redirect_uri)",
    params(CallbackQuery),
    responses(
        (status = 303, description = "Signed in: to `next`; declined or failed: to `/login?error=<code>`"),
        (status = 200, content_type = "text/html", description = "A start/poll login finished: the page says to go back to the app"),
        (status = 400, body = crate::contract::refusals::ErrorAnswer, description = "bad_request: a parameter past its bound"),
    ),
)]
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

/// `POST /api/auth/oauth/start {provider: "wechat_web"}` → `{url, state, poll_secret}`: the website QR login for
/// clients that cannot follow redirects; `poll_secret` goes only into the `Wxgate-Poll-Secret` header of the polls.
#[utoipa::path(
    post,
    path = "/api/auth/oauth/start",
    tag = "login",
    summary = "Start a website QR login to poll for",
    request_body = PollStartBody,
    responses((status = 200, body = PollStarted), LoginRefusals),
)]
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
    Ok(Json(PollStarted {
        url: started.url,
        state: started.state,
        poll_secret: started.poll_secret,
    })
    .into_response())
}

/// `GET /api/auth/oauth/result?state=…` with header `Wxgate-Poll-Secret` → pending, done with a session token
/// (once), failed, or expired; without the right secret, the unknown state's answer.
#[utoipa::path(
    get,
    path = "/api/auth/oauth/result",
    tag = "login",
    summary = "Poll a website QR login",
    params(
        PollQuery,
        ("Wxgate-Poll-Secret" = String, Header, description = "The start's poll_secret"),
    ),
    responses((status = 200, body = PollResult), LoginRefusals),
)]
async fn poll_result(
    State(context): State<AppContext>,
    headers: HeaderMap,
    query: Result<Query<PollQuery>, QueryRejection>,
) -> ApiResult {
    let Query(query) = query.map_err(|_| AuthError::BadRequest("state"))?;
    fit("state", &query.state, bounds::MAX_STATE_BYTES)?;
    let secret = headers
        .get(poll::SECRET_HEADER)
        .and_then(|value| value.to_str().ok());
    Ok(
        Json(match poll::result(&context, &query.state, secret).await? {
            poll::Answer::Pending => PollResult::Pending,
            poll::Answer::Expired => PollResult::Expired,
            poll::Answer::Done {
                user_id,
                session_token,
                next,
            } => PollResult::Done {
                user_id,
                session_token,
                next,
            },
            poll::Answer::Failed { error } => PollResult::Failed { error },
        })
        .into_response(),
    )
}

/// `GET /api/auth/providers`: what is really switched on, so no client hard-codes a provider.
#[utoipa::path(
    get,
    path = "/api/auth/providers",
    tag = "login",
    summary = "The ways of logging in, and which are switched on",
    responses((status = 200, body = Vec<ProviderEntry>)),
)]
async fn providers(State(context): State<AppContext>) -> Json<Vec<ProviderEntry>> {
    let wechat = &context.wechat;
    let entry = |id, kind, enabled| ProviderEntry { id, kind, enabled };
    Json(vec![
        entry(
            "wechat_mp",
            ProviderKind::Miniprogram,
            wechat.mini_program.is_some(),
        ),
        entry(
            "wechat_oa",
            ProviderKind::Oauth,
            wechat.official_account.is_some(),
        ),
        entry("wechat_web", ProviderKind::Oauth, wechat.website.is_some()),
    ])
}

/// `GET /api/me`: the signed-in user with their identities.
#[utoipa::path(
    get,
    path = "/api/me",
    tag = "account",
    summary = "The signed-in user and their WeChat identities",
    responses((status = 200, body = MeAnswer), LoginRefusals),
    security(("session_token" = []), ("session_cookie" = [])),
)]
async fn me(State(context): State<AppContext>, session: Session) -> ApiResult {
    let SignedIn { user, identities } = account::signed_in(&context, &session)
        .await?
        .ok_or(AuthError::Unauthenticated)?;
    Ok(Json(MeAnswer::new(user, identities)).into_response())
}

/// `POST /api/auth/logout`: ends the session.
#[utoipa::path(
    post,
    path = "/api/auth/logout",
    tag = "account",
    summary = "End the session",
    responses((status = 204, description = "Signed out (also when no one was signed in)"), LoginRefusals),
)]
async fn logout(session: Session) -> ApiResult {
    auth_session::sign_out(&session).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
