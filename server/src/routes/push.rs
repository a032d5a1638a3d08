//! `/api/wechat/push/{appid}`: WeChat's message push for the mini program and the official account — the URL
//! check (`GET`) and the messages (`POST`), answered `success` once stored (see `app::ssr::push`).

use app::ssr::context::AppContext;
use app::ssr::push::{self, PushQuery, PushRefusal};
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::state::ServerState;

/// A pushed message is a few kilobytes; anything far larger is not WeChat's.
const MAX_PUSH_BYTES: usize = 64 * 1024;

pub fn router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::new()
        .routes(routes!(check_url, receive))
        .layer(DefaultBodyLimit::max(MAX_PUSH_BYTES))
}

/// `GET`: the console's URL check, answered with `echostr` when signed with the app's Token.
#[utoipa::path(
    get,
    path = "/api/wechat/push/{appid}",
    tag = "webhooks",
    summary = "WeChat's message push: the URL check of the app's console",
    description = "Signed with the app's Token: `signature` = hex SHA-1 of the sorted Token, `timestamp` and \
                   `nonce`. Docs: <https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html>.",
    params(
        ("appid" = String, Path, description = "The mini program's or the official account's appid"),
        ("signature" = String, Query), ("timestamp" = String, Query), ("nonce" = String, Query),
        ("echostr" = String, Query, description = "Answered back as it is"),
    ),
    responses(
        (status = 200, body = String, content_type = "text/plain", description = "The `echostr`"),
        (status = 400, body = String, content_type = "text/plain", description = "A parameter is missing or too long"),
        (status = 401, body = String, content_type = "text/plain", description = "Not signed with the Token"),
        (status = 404, body = String, content_type = "text/plain", description = "No app with this appid receives pushes here"),
    ),
)]
async fn check_url(
    State(context): State<AppContext>,
    Path(appid): Path<String>,
    Query(query): Query<PushQuery>,
) -> Response {
    match push::verify_url(&context, &appid, &query) {
        Ok(echostr) => text(StatusCode::OK, echostr),
        Err(refused) => refusal(&refused),
    }
}

/// `POST`: one message, in plain, compatible or safe mode, XML or JSON.
#[utoipa::path(
    post,
    path = "/api/wechat/push/{appid}",
    tag = "webhooks",
    summary = "WeChat's message push: events of the official account and the mini program, stored once",
    description = "Plain mode is signed by `signature`; safe and compatible mode (`encrypt_type=aes`) by \
                   `msg_signature` over the `Encrypt` field too, which is AES-256-CBC with the EncodingAESKey and \
                   must name this appid. A message WeChat sends again is answered `success` and stored once.",
    params(
        ("appid" = String, Path, description = "The mini program's or the official account's appid"),
        ("signature" = String, Query), ("timestamp" = String, Query), ("nonce" = String, Query),
        ("encrypt_type" = Option<String>, Query, description = "`aes` in safe and compatible mode"),
        ("msg_signature" = Option<String>, Query, description = "In safe and compatible mode"),
    ),
    request_body(content = String, content_type = "text/xml", description = "The message, XML or JSON"),
    responses(
        (status = 200, body = String, content_type = "text/plain", description = "`success`: stored, or stored before"),
        (status = 400, body = String, content_type = "text/plain", description = "Malformed, or encrypted for another app"),
        (status = 401, body = String, content_type = "text/plain", description = "Not signed with the Token"),
        (status = 404, body = String, content_type = "text/plain", description = "No app with this appid receives pushes here"),
        (status = 500, body = String, content_type = "text/plain", description = "Not stored; WeChat sends it again"),
    ),
)]
async fn receive(
    State(context): State<AppContext>,
    Path(appid): Path<String>,
    Query(query): Query<PushQuery>,
    body: Bytes,
) -> Response {
    match push::receive(&context, &appid, &query, &body).await {
        Ok(received) => {
            app::ssr::metrics::push_message(match received {
                push::Received::Stored => "stored",
                push::Received::Duplicate => "duplicate",
            });
            text(StatusCode::OK, "success".to_owned())
        }
        Err(refused) => {
            app::ssr::metrics::push_message("refused");
            refusal(&refused)
        }
    }
}

fn text(status: StatusCode, body: String) -> Response {
    (
        status,
        [(header::CONTENT_TYPE, "text/plain; charset=utf-8")],
        body,
    )
        .into_response()
}

fn refusal(refused: &PushRefusal) -> Response {
    let status = match refused {
        PushRefusal::UnknownApp => StatusCode::NOT_FOUND,
        PushRefusal::Unverified(_) => StatusCode::UNAUTHORIZED,
        PushRefusal::Malformed(_) => StatusCode::BAD_REQUEST,
        PushRefusal::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    tracing::warn!(%refused, "a WeChat message push was refused");
    text(status, refused.to_string())
}
