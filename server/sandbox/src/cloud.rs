//! WeChat Cloud Hosting's gateway (微信云托管), as `wx.cloud.callContainer` goes through it: the mini program's
//! request goes on to the service with the caller's identity in headers the gateway sets — `X-WX-SOURCE`,
//! `X-WX-APPID`, `X-WX-OPENID`, `X-WX-UNIONID` when the mini program is bound to the Open Platform, `X-WX-ENV` — and
//! any the caller sent under those names are dropped
//! (<https://developers.weixin.qq.com/miniprogram/dev/wxcloudservice/wxcloudrun/src/guide/weixin/open.html>). The
//! answer comes back as callContainer's success: `{statusCode, header, data}`.
//!
//! The service is the host's own: `wxgate serve` in sandbox mode sets it to itself; the sandbox alone has none, and
//! never forwards to an address a request names.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Map, Value};

use crate::login::state::AppKind;
use crate::Sandbox;

/// What the sandbox's Cloud Hosting environment is called in `X-WX-ENV`.
const ENVIRONMENT: &str = "sandbox-env";

/// `wx.cloud.callContainer`'s options, with the persona who calls.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CallContainer {
    #[serde(default)]
    persona: Option<String>,
    /// The path on the service, from `/`.
    path: String,
    #[serde(default)]
    method: Option<String>,
    #[serde(default)]
    header: Map<String, Value>,
    #[serde(default)]
    data: Option<Value>,
}

fn refused(status: StatusCode, message: String) -> Response {
    (
        status,
        Json(json!({ "errMsg": format!("cloud.callContainer:fail {message}") })),
    )
        .into_response()
}

/// `POST /sandbox/cloud/call-container` with callContainer's options and `persona`: the request forwarded to the
/// service as the gateway forwards it.
pub async fn call_container(
    State(sandbox): State<Arc<Sandbox>>,
    Json(call): Json<CallContainer>,
) -> Response {
    let Some(service) = sandbox.cloud_service.get() else {
        return refused(
            StatusCode::NOT_FOUND,
            "this sandbox has no Cloud Hosting service (it is wxgate serve's own in sandbox mode)"
                .to_owned(),
        );
    };
    if !call.path.starts_with('/') || call.path.starts_with("//") {
        return refused(
            StatusCode::BAD_REQUEST,
            format!("path {} must start with one /", call.path),
        );
    }
    let method =
        match reqwest::Method::from_bytes(call.method.as_deref().unwrap_or("GET").as_bytes()) {
            Ok(method) => method,
            Err(_) => {
                return refused(
                    StatusCode::BAD_REQUEST,
                    "method is not an HTTP method".to_owned(),
                )
            }
        };
    let appid = sandbox.credentials.mp_appid.clone();
    let identity = {
        let login = sandbox.login.lock();
        if login.app(&appid, &[AppKind::MiniProgram]).is_err() {
            return refused(
                StatusCode::NOT_FOUND,
                format!("{appid} is not a mini program"),
            );
        }
        let Some(persona) = login.persona_or_default(call.persona.as_deref()) else {
            return refused(
                StatusCode::NOT_FOUND,
                "no such persona; GET /sandbox/personas lists them".to_owned(),
            );
        };
        (persona.openid(&appid), login.unionid_for(&appid, &persona))
    };
    let mut request = sandbox
        .http
        .request(method, format!("{service}{}", call.path));
    for (name, value) in &call.header {
        let gateways = name.to_ascii_lowercase().starts_with("x-wx-");
        if let (false, Some(value)) = (gateways, value.as_str()) {
            request = request.header(name.as_str(), value);
        }
    }
    request = request
        .header("X-WX-SOURCE", "wx_client")
        .header("X-WX-ENV", ENVIRONMENT)
        .header("X-WX-APPID", &appid)
        .header("X-WX-OPENID", &identity.0);
    if let Some(unionid) = &identity.1 {
        request = request.header("X-WX-UNIONID", unionid);
    }
    if let Some(data) = &call.data {
        request = request.json(data);
    }
    let answer = match request.send().await {
        Ok(answer) => answer,
        Err(error) => {
            return refused(
                StatusCode::BAD_GATEWAY,
                format!("the service did not answer: {error}"),
            )
        }
    };
    let status = answer.status().as_u16();
    let header: Map<String, Value> = answer
        .headers()
        .iter()
        .filter_map(|(name, value)| Some((name.to_string(), Value::from(value.to_str().ok()?))))
        .collect();
    let text = answer.text().await.unwrap_or_default();
    let data = serde_json::from_str::<Value>(&text).unwrap_or(Value::String(text));
    Json(json!({ "statusCode": status, "header": header, "data": data, "errMsg": "cloud.callContainer:ok" }))
        .into_response()
}
