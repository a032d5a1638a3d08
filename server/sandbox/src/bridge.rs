//! The sandbox's stand-in for WeChat's JS-SDK and `WeixinJSBridge`: `GET /sandbox/jsbridge.js` (which pages load
//! in sandbox mode instead of `res.wx.qq.com/open/js/jweixin-*.js`) and `POST /sandbox/jsbridge/config`, which checks
//! a `wx.config` signature against the jsapi_ticket the sandbox actually issued to that appId.
//!
//! Doc: JS-SDK 附录1 签名算法 <https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html>:
//! signature = hex sha1 of `jsapi_ticket=T&noncestr=N&timestamp=TS&url=U`, U the page URL without its `#` part; a
//! mismatch fires `wx.error({errMsg: "config:invalid signature"})`. The pay sheet's own checks are in `pay::jsapi`.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::json;
use sha1::{Digest, Sha1};

use super::Sandbox;

const SCRIPT: &str = include_str!("jsbridge.js");

/// `GET /sandbox/jsbridge.js`.
async fn script(State(sandbox): State<Arc<Sandbox>>) -> Response {
    let base = format!("{}/sandbox", super::pay::control_base(&sandbox.wechat_base));
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        SCRIPT.replace("__SANDBOX_BASE__", &base),
    )
        .into_response()
}

/// What `wx.config` posts: its parameters and `location.href.split('#')[0]`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct ConfigRequest {
    app_id: String,
    timestamp: String,
    nonce_str: String,
    signature: String,
    url: String,
}

/// The JSSDK signature: lowercase hex sha1 of `jsapi_ticket=…&noncestr=…&timestamp=…&url=…`.
fn jssdk_signature(ticket: &str, nonce: &str, timestamp: &str, url: &str) -> String {
    let string1 = format!("jsapi_ticket={ticket}&noncestr={nonce}&timestamp={timestamp}&url={url}");
    hex::encode(Sha1::digest(string1.as_bytes()))
}

/// `POST /sandbox/jsbridge/config`: 200 `{"errMsg":"config:ok"}`, or 401 `{"errMsg":"config:invalid signature",
/// "detail"}`. CORS is open: the shim runs on the merchant's pages.
async fn config(State(sandbox): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let (status, answer) = match serde_json::from_slice::<ConfigRequest>(&body) {
        Err(error) => (
            StatusCode::BAD_REQUEST,
            json!({ "errMsg": "config:fail", "detail": format!("the body must be JSON {{appId, timestamp, nonceStr, signature, url}} with string values: {error}") }),
        ),
        Ok(request) => {
            let ticket = sandbox
                .login
                .lock()
                .issued_jsapi_ticket(&request.app_id)
                .map(str::to_owned);
            match ticket {
                None => (
                    StatusCode::UNAUTHORIZED,
                    json!({ "errMsg": "config:invalid signature", "detail": format!("the sandbox has issued no valid jsapi_ticket to {}; get one from /cgi-bin/ticket/getticket", request.app_id) }),
                ),
                Some(ticket) => {
                    let expected = jssdk_signature(
                        &ticket,
                        &request.nonce_str,
                        &request.timestamp,
                        &request.url,
                    );
                    if expected.eq_ignore_ascii_case(request.signature.trim()) {
                        (StatusCode::OK, json!({ "errMsg": "config:ok" }))
                    } else {
                        (
                            StatusCode::UNAUTHORIZED,
                            json!({ "errMsg": "config:invalid signature", "detail": format!("sign jsapi_ticket=<the ticket issued to {}>&noncestr={}&timestamp={}&url={} (the URL without its #fragment, not re-encoded)", request.app_id, request.nonce_str, request.timestamp, request.url) }),
                        )
                    }
                }
            }
        }
    };
    (
        status,
        [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        Json(answer),
    )
        .into_response()
}

/// The bridge's routes, relative to `/sandbox`.
pub fn routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route(crate::JSBRIDGE_PATH, get(script))
        .route("/jsbridge/config", post(config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_matches_wechats_documented_example() {
        // JS-SDK 附录1: the example ticket, noncestr, timestamp and url give this signature.
        assert_eq!(
            jssdk_signature(
                "sM4AOVdWfPE4DxkXGEs8VMCPGGVi4C3VM0P37wVUCFvkVAy_90u5h9nbSlYy3-Sl-HhTdfl2fzFy1AOcHKP7qg",
                "Wm3WZYTPz0wzccnW",
                "1414587457",
                "http://mp.weixin.qq.com?params=value"
            ),
            "0f9de62fce790f9a083d5c99e95740ceb90c27ed"
        );
    }
}
