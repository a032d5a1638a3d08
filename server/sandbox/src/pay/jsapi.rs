//! The JSAPI pay sheet's checks, called by the sandbox `WeixinJSBridge` shim: the `getBrandWCPayRequest` parameters
//! are checked as WeChat's client does (signType RSA; paySign = RSA-SHA256 with the merchant's key over
//! `appId\ntimeStamp\nnonceStr\npackage\n`; the prepay_id an unpaid JSAPI order of that appId), then the persona pays.
//!
//! Doc: JSAPI 调起支付 <https://pay.weixin.qq.com/docs/partner/apis/ecommerce-payment/jsapi-transfer-payment.html>
//! (the direct merchant's page has the same parameters and signature). Answers are JSON with CORS open to
//! every origin (the shim runs on the merchant's pages; it posts `text/plain` so no preflight is needed). Failures
//! carry `err_msg: "get_brand_wcpay_request:fail"` and an `err_desc` saying why.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rsa::pkcs1v15::Signature;
use rsa::signature::Verifier;
use serde::Deserialize;
use serde_json::{json, Value};

use super::bill_text::yuan;
use super::clock;
use super::ledger::Order;
use super::pages::{self, Lookup, PageError};
use super::validate::TradeType;
use super::PaySandbox;
use crate::Sandbox;

/// A prepay_id lives two hours.
const PREPAY_LIFETIME: i64 = 2 * 60 * 60;

/// What `WeixinJSBridge.invoke('getBrandWCPayRequest', params)` is given, plus the persona on confirmation.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct PayRequest {
    app_id: String,
    time_stamp: String,
    nonce_str: String,
    package: String,
    sign_type: String,
    pay_sign: String,
    #[serde(default)]
    persona: Option<String>,
}

/// Why the sheet refuses; each is a `get_brand_wcpay_request:fail` with its own status.
#[derive(Debug, thiserror::Error)]
enum SheetError {
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    BadSignature(String),
    #[error(transparent)]
    Order(#[from] PageError),
}

/// A JSON answer anyone's page may read.
fn answer(status: StatusCode, body: Value) -> Response {
    (
        status,
        [(header::ACCESS_CONTROL_ALLOW_ORIGIN, "*")],
        Json(body),
    )
        .into_response()
}

impl IntoResponse for SheetError {
    fn into_response(self) -> Response {
        let status = match &self {
            SheetError::BadRequest(_) => StatusCode::BAD_REQUEST,
            SheetError::BadSignature(_) => StatusCode::UNAUTHORIZED,
            SheetError::Order(PageError::Unknown | PageError::Expired) => StatusCode::NOT_FOUND,
            SheetError::Order(_) => StatusCode::CONFLICT,
        };
        answer(
            status,
            json!({ "err_msg": "get_brand_wcpay_request:fail", "err_desc": self.to_string() }),
        )
    }
}

fn parse(body: &Bytes) -> Result<PayRequest, SheetError> {
    serde_json::from_slice(body).map_err(|error| {
        SheetError::BadRequest(format!(
            "the parameters must be JSON {{appId, timeStamp, nonceStr, package, signType, paySign}} with string values: {error}"
        ))
    })
}

/// `appId\ntimeStamp\nnonceStr\npackage\n` verified with the merchant's public key.
fn check_pay_sign(pay: &PaySandbox, request: &PayRequest) -> Result<(), SheetError> {
    if request.sign_type != "RSA" {
        return Err(SheetError::BadSignature(format!(
            "signType must be RSA for API v3 (got `{}`)",
            request.sign_type
        )));
    }
    let message = format!(
        "{}\n{}\n{}\n{}\n",
        request.app_id, request.time_stamp, request.nonce_str, request.package
    );
    let signature = BASE64
        .decode(&request.pay_sign)
        .ok()
        .and_then(|raw| Signature::try_from(raw.as_slice()).ok())
        .ok_or_else(|| {
            SheetError::BadSignature("paySign is not a base64 RSA signature".to_owned())
        })?;
    pay.merchant
        .verifying_key
        .verify(message.as_bytes(), &signature)
        .map_err(|_| {
            SheetError::BadSignature(
                "支付验证签名失败: paySign does not verify with the merchant's key over appId\\ntimeStamp\\nnonceStr\\npackage\\n"
                    .to_owned(),
            )
        })
}

/// The unpaid JSAPI order the checked parameters are for.
fn checked_order(sandbox: &Sandbox, request: &PayRequest) -> Result<Order, SheetError> {
    check_pay_sign(&sandbox.pay, request)?;
    let prepay_id = request.package.strip_prefix("prepay_id=").ok_or_else(|| {
        SheetError::BadRequest(format!(
            "package must be `prepay_id=…` (got `{}`)",
            request.package
        ))
    })?;
    let order = pages::payable_order(
        &sandbox.pay,
        Lookup::PrepayId(prepay_id),
        TradeType::Jsapi,
        PREPAY_LIFETIME,
        clock::now_unix(),
    )?;
    if order.request.appid != request.app_id {
        return Err(SheetError::BadRequest(format!(
            "appId {} is not the appid the order was placed with",
            request.app_id
        )));
    }
    Ok(order)
}

/// `POST /sandbox/pay/jsapi/check`: the sheet's content (order, personas, who must pay) or why it cannot open.
pub async fn check(State(sandbox): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let order = match parse(&body).and_then(|request| checked_order(&sandbox, &request)) {
        Ok(order) => order,
        Err(error) => return error.into_response(),
    };
    let login = sandbox.login.lock();
    let payer = order
        .request
        .openid
        .as_deref()
        .and_then(|openid| login.persona_by_openid(&order.request.appid, openid))
        .map(|persona| persona.id.clone());
    let personas: Vec<Value> = login
        .personas
        .iter()
        .map(|persona| json!({ "id": persona.id, "nickname": persona.nickname, "avatar_url": persona.avatar_url }))
        .collect();
    answer(
        StatusCode::OK,
        json!({
            "merchant": format!("沙盒商户 (sandbox merchant) {}", sandbox.pay.merchant.mchid),
            "description": order.request.description,
            "total": order.request.total,
            "amount": yuan(order.request.total),
            "payer": payer,
            "personas": personas,
        }),
    )
}

/// `POST /sandbox/pay/jsapi/confirm` (the parameters and `persona`): the persona pays, as the control API does.
pub async fn confirm(State(sandbox): State<Arc<Sandbox>>, body: Bytes) -> Response {
    let paid = parse(&body).and_then(|request| {
        let order = checked_order(&sandbox, &request)?;
        pages::pay_as(&sandbox, &order, request.persona.as_deref())?;
        Ok(())
    });
    match paid {
        Ok(()) => answer(
            StatusCode::OK,
            json!({ "err_msg": "get_brand_wcpay_request:ok" }),
        ),
        Err(error) => error.into_response(),
    }
}
