//! One merchant call to the WeChat Pay paths: extracted (faults applied, Authorization verified) before the handler
//! runs, and answered with a signed response, whatever the outcome.
//!
//! The signed path is the ORIGINAL request path and query (axum's `OriginalUri`): nested inside `wxgate serve` under
//! `/sandbox`, merchants sign `/sandbox/v3/…`, because that is what they request.

use std::sync::Arc;

use axum::body::{Body, Bytes};
use axum::extract::{FromRequest, OriginalUri, Request};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use super::auth::{self, SignedRequest};
use super::error::PayError;
use super::keyring::KeyMode;
use super::param_error::{field_error, Rule};
use super::{clock, ids, PaySandbox};
use crate::Sandbox;

/// Bodies larger than this are refused (WeChat's APIs take small JSON bodies).
const BODY_LIMIT: usize = 1 << 20;
const JSON: &str = "application/json; charset=utf-8";

/// A successful answer, before signing.
#[derive(Debug)]
pub enum Reply {
    Json(Value),
    /// 204, empty body (still signed: SDKs verify every 2xx).
    NoContent,
}

/// An authenticated merchant request.
pub struct PayCall {
    pay: Arc<PaySandbox>,
    pub body: Bytes,
    /// The key the answer is signed with, as the request's `Wechatpay-Serial` asks.
    pub mode: KeyMode,
}

impl PayCall {
    /// Signs and sends `result`.
    pub fn respond(&self, result: Result<Reply, PayError>) -> Response {
        self.pay.respond(self.mode, result)
    }
}

impl FromRequest<Arc<Sandbox>> for PayCall {
    type Rejection = Response;

    async fn from_request(request: Request, sandbox: &Arc<Sandbox>) -> Result<PayCall, Response> {
        let pay = Arc::clone(&sandbox.pay);
        let headers = request.headers().clone();
        let mode = pay.keys.mode_for(
            headers
                .get("Wechatpay-Serial")
                .and_then(|value| value.to_str().ok()),
        );
        let uri = request
            .extensions()
            .get::<OriginalUri>()
            .map(|original| original.0.clone())
            .unwrap_or_else(|| request.uri().clone());
        let path_and_query = uri
            .path_and_query()
            .map(|path| path.as_str().to_owned())
            .unwrap_or_else(|| uri.path().to_owned());
        let method = request.method().clone();
        if let Some(delay) = pay.faults.delay() {
            tokio::time::sleep(delay).await;
        }
        let body = match axum::body::to_bytes(request.into_body(), BODY_LIMIT).await {
            Ok(body) => body,
            Err(_) => {
                return Err(pay.respond(
                    mode,
                    Err(PayError::InvalidRequest(format!(
                        "the body could not be read or is over {BODY_LIMIT} bytes"
                    ))),
                ))
            }
        };
        let signed = SignedRequest {
            method: method.as_str(),
            path_and_query: &path_and_query,
            authorization: headers
                .get(axum::http::header::AUTHORIZATION)
                .and_then(|value| value.to_str().ok()),
            body: &body,
        };
        if let Err(error) = auth::verify(&pay.merchant, &signed, clock::now_unix()) {
            return Err(pay.respond(mode, Err(error)));
        }
        if !accepts_json(&headers) {
            return Err(pay.respond(
                mode,
                Err(field_error(
                    "/header/Accept",
                    Rule::Required,
                    None,
                    "the request has no `Accept: application/json` header, which every API v3 request needs",
                )),
            ));
        }
        if let Some(injected) = pay.faults.take_failure() {
            return Err(pay.respond(mode, Err(injected)));
        }
        Ok(PayCall { pay, body, mode })
    }
}

/// Every API v3 request carries `Accept: application/json` (the basic rules,
/// <https://pay.weixin.qq.com/doc/v3/partner/4012081726>, the same for merchants). What WeChat answers one without
/// it is not documented; the sandbox takes the stricter reading and refuses it (400 PARAM_ERROR).
fn accepts_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get_all(axum::http::header::ACCEPT)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.to_ascii_lowercase().contains("application/json"))
}

impl PaySandbox {
    /// Builds the response: `Request-ID` always; the five `Wechatpay-*` headers over the exact body bytes, except
    /// on errors while the `unsigned_errors` fault is on.
    pub(super) fn respond(&self, mode: KeyMode, result: Result<Reply, PayError>) -> Response {
        let (status, content_type, body, failed) = match result {
            Ok(Reply::Json(value)) => (StatusCode::OK, Some(JSON), json_bytes(&value), false),
            Ok(Reply::NoContent) => (StatusCode::NO_CONTENT, None, Vec::new(), false),
            Err(error) => (error.status(), Some(JSON), json_bytes(&error.body()), true),
        };
        let mut response = Response::builder()
            .status(status)
            .header("Request-ID", ids::request_id());
        if let Some(content_type) = content_type {
            response = response.header(CONTENT_TYPE, content_type);
        }
        if !(failed && self.faults.unsigned_errors()) {
            match self.keys.sign(mode, &body, self.faults.clock_skew()) {
                Ok(signature) => {
                    for (name, value) in signature.pairs() {
                        response = response.header(name, value);
                    }
                }
                Err(error) => {
                    tracing::error!(%error, "the sandbox cannot sign a response");
                    return StatusCode::INTERNAL_SERVER_ERROR.into_response();
                }
            }
        }
        response
            .body(Body::from(body))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response())
    }
}

/// Compact UTF-8 JSON, exactly the bytes that are signed and sent.
fn json_bytes(value: &Value) -> Vec<u8> {
    serde_json::to_vec(value).unwrap_or_default()
}
