//! The control API of the WeChat Pay sandbox, under `/sandbox/pay/`: show orders, confirm payments, settle refunds, rotate
//! certificates, inject faults, and watch, repeat, hold and probe notifications. JSON in and out; errors are
//! `{"error": "…"}` with a 4xx status.

use std::collections::HashMap;
use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::faults::FaultSettings;
use super::keyring::KeyMode;
use super::ledger::{RefundStatus, TradeState, TransitionError};
use super::notify::{Event, ReleaseOrder};
use super::{clock, ids, orders, PaySandbox};
use crate::Sandbox;

#[derive(Debug, thiserror::Error)]
pub enum ControlError {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    BadRequest(String),
    #[error(transparent)]
    Transition(#[from] TransitionError),
    #[error("{0}")]
    Internal(String),
}

impl IntoResponse for ControlError {
    fn into_response(self) -> Response {
        let status = match &self {
            ControlError::NotFound(_) => StatusCode::NOT_FOUND,
            ControlError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ControlError::Transition(_) => StatusCode::CONFLICT,
            ControlError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        (status, Json(json!({ "error": self.to_string() }))).into_response()
    }
}

/// A JSON body, or the default when the body is empty.
fn input<T: DeserializeOwned + Default>(body: &Bytes) -> Result<T, ControlError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(body).map_err(|error| {
        ControlError::BadRequest(format!("the body is not the expected JSON: {error}"))
    })
}

/// A JSON body of `shape` (told in the error, e.g. `{"at_once": true | false}`).
fn required_input<T: DeserializeOwned>(body: &Bytes, shape: &str) -> Result<T, ControlError> {
    serde_json::from_slice(body)
        .map_err(|error| ControlError::BadRequest(format!("the body must be {shape}: {error}")))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct PayInput {
    openid: Option<String>,
}

/// `POST /sandbox/pay/orders/{out_trade_no}/pay` `{"openid"?}`: the payer pays; the order's TRANSACTION.SUCCESS
/// notification goes out. Answers the Transaction.
async fn pay_order(
    State(sandbox): State<Arc<Sandbox>>,
    Path(out_trade_no): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ControlError> {
    let PayInput { openid } = input(&body)?;
    confirm_payment(&sandbox.pay, &out_trade_no, openid).map(Json)
}

/// Pays an order as a person would, and sends its notification; used by the control API and the pages.
pub(super) fn confirm_payment(
    pay: &Arc<PaySandbox>,
    out_trade_no: &str,
    openid: Option<String>,
) -> Result<Value, ControlError> {
    let (resource, url, mode) = {
        let mut ledger = pay.ledger();
        let order = ledger.orders.get_mut(out_trade_no).ok_or_else(|| {
            ControlError::NotFound(format!("order {out_trade_no} does not exist"))
        })?;
        let transaction_id = ids::transaction_id();
        order.pay(openid, transaction_id.clone(), clock::now_unix())?;
        let details = (
            orders::paid_event_resource(order),
            order.request.notify_url.clone(),
            order.mode,
        );
        ledger.index_transaction(&transaction_id, out_trade_no);
        details
    };
    let event = Event {
        event_type: "TRANSACTION.SUCCESS",
        summary: "支付成功",
        original_type: "transaction",
        resource: &resource,
    };
    let notification = pay
        .notification(&event, &url, mode)
        .map_err(|error| ControlError::Internal(error.to_string()))?;
    pay.dispatch(notification);
    Ok(resource)
}

/// `GET /sandbox/pay/orders/{out_trade_no}`: the order as the sandbox keeps it: its trade state, its
/// `time_expire` as the merchant sent it, until when it can be paid (`payable_until`, at least a minute after the
/// prepay) and whether that has passed, and the whole prepay body as sent.
async fn show_order(
    State(sandbox): State<Arc<Sandbox>>,
    Path(out_trade_no): Path<String>,
) -> Result<Json<Value>, ControlError> {
    let ledger = sandbox.pay.ledger();
    let order = ledger
        .orders
        .get(&out_trade_no)
        .ok_or_else(|| ControlError::NotFound(format!("order {out_trade_no} does not exist")))?;
    Ok(Json(json!({
        "out_trade_no": out_trade_no,
        "trade_state": order.state.wire(),
        "time_expire": order.request_body.get("time_expire"),
        "payable_until": order.payable_until.map(clock::rfc3339_beijing),
        "expired": order.is_expired(clock::now_unix()),
        "request": order.request_body,
    })))
}

/// `POST /sandbox/pay/orders/{out_trade_no}/expire`: an unpaid order's time to pay runs out now, as if its
/// `time_expire` (at least a minute after the prepay) had come, to try the refusal without waiting.
async fn expire_order(
    State(sandbox): State<Arc<Sandbox>>,
    Path(out_trade_no): Path<String>,
) -> Result<Json<Value>, ControlError> {
    {
        let mut ledger = sandbox.pay.ledger();
        let order = ledger.orders.get_mut(&out_trade_no).ok_or_else(|| {
            ControlError::NotFound(format!("order {out_trade_no} does not exist"))
        })?;
        if order.state != TradeState::NotPay {
            return Err(ControlError::BadRequest(format!(
                "order {out_trade_no} is {}; only an unpaid order's time runs out",
                order.state.wire()
            )));
        }
        order.payable_until = Some(clock::now_unix());
    }
    show_order(State(sandbox), Path(out_trade_no)).await
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct OutcomeInput {
    status: RefundStatus,
}

/// `POST /sandbox/pay/refunds/{out_refund_no}/outcome` `{"status": "SUCCESS"|"ABNORMAL"|"CLOSED"}`: settles a
/// PROCESSING refund and sends REFUND.SUCCESS / REFUND.ABNORMAL / REFUND.CLOSED. Answers the Refund.
async fn settle_refund(
    State(sandbox): State<Arc<Sandbox>>,
    Path(out_refund_no): Path<String>,
    body: Bytes,
) -> Result<Json<Value>, ControlError> {
    let OutcomeInput { status } =
        required_input(&body, r#"{"status": "SUCCESS" | "ABNORMAL" | "CLOSED"}"#)?;
    let pay = &sandbox.pay;
    let (reply, resource, url, mode) = {
        let mut ledger = pay.ledger();
        let refund = ledger.refunds.get_mut(&out_refund_no).ok_or_else(|| {
            ControlError::NotFound(format!("refund {out_refund_no} does not exist"))
        })?;
        refund.settle(status, clock::now_unix())?;
        (
            refund.json(),
            refund.notification(&pay.merchant.mchid),
            refund.notify_url.clone(),
            refund.mode,
        )
    };
    let (event_type, summary) = match status {
        RefundStatus::Success => ("REFUND.SUCCESS", "退款成功"),
        RefundStatus::Abnormal => ("REFUND.ABNORMAL", "退款异常"),
        RefundStatus::Closed | RefundStatus::Processing => ("REFUND.CLOSED", "退款关闭"),
    };
    let event = Event {
        event_type,
        summary,
        original_type: "refund",
        resource: &resource,
    };
    // No refund callback (none in the request, none configured for the merchant): WeChat sends nothing.
    if let Some(url) = url {
        let notification = pay
            .notification(&event, &url, mode)
            .map_err(|error| ControlError::Internal(error.to_string()))?;
        pay.dispatch(notification);
    }
    Ok(Json(reply))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BillTimingInput {
    at_once: bool,
}

/// `POST /sandbox/pay/bills/timing {"at_once": true}`: a day's bills are ready at once (to reconcile what was just
/// paid) or, `false`, from 10:00 the next day as WeChat's (400 STATEMENT_CREATING before).
async fn set_bill_timing(
    State(sandbox): State<Arc<Sandbox>>,
    body: Bytes,
) -> Result<Json<Value>, ControlError> {
    let BillTimingInput { at_once } = required_input(&body, r#"{"at_once": true | false}"#)?;
    sandbox.pay.platform().bill_timing = if at_once {
        super::bills::BillTiming::AtOnce
    } else {
        super::bills::BillTiming::NextDay
    };
    Ok(Json(json!({ "at_once": at_once })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct H5DomainsInput {
    domains: Vec<String>,
}

/// `POST /sandbox/pay/merchant/h5-domains {"domains": ["shop.example.com"]}`: the merchant platform's H5 payment
/// domains; the H5 cashier opens only for a Referer on one of them (or a subdomain). Answers the domains.
async fn set_h5_domains(
    State(sandbox): State<Arc<Sandbox>>,
    body: Bytes,
) -> Result<Json<Value>, ControlError> {
    let H5DomainsInput { domains } =
        required_input(&body, r#"{"domains": ["shop.example.com", …]}"#)?;
    let domains: Vec<String> = domains
        .iter()
        .map(|domain| domain.trim().to_ascii_lowercase())
        .collect();
    if domains.len() > 16
        || domains.iter().any(|domain| {
            domain.is_empty()
                || domain.len() > 253
                || !domain
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '-')
        })
    {
        return Err(ControlError::BadRequest(
            "domains are at most 16 host names (letters, digits, dots and hyphens), without scheme or port"
                .to_owned(),
        ));
    }
    sandbox.pay.platform().h5_domains = domains.clone();
    Ok(Json(json!({ "domains": domains })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RefundCallbackInput {
    url: Option<String>,
}

/// `POST /sandbox/pay/merchant/refund-callback {"url": "https://…" | null}`: the merchant platform's refund
/// callback, where refunds asked for without a `notify_url` are announced (none at first: then nothing is sent).
async fn set_refund_callback(
    State(sandbox): State<Arc<Sandbox>>,
    body: Bytes,
) -> Result<Json<Value>, ControlError> {
    let RefundCallbackInput { url } =
        required_input(&body, r#"{"url": "https://…"} or {"url": null}"#)?;
    if let Some(url) = &url {
        super::validate::check_notify_url("/url", url)
            .map_err(|error| ControlError::BadRequest(error.to_string()))?;
    }
    sandbox.pay.platform().refund_notify_url = url.clone();
    Ok(Json(json!({ "url": url })))
}

/// `POST /sandbox/pay/certificates/rotate`: adds a newer platform certificate; answers every current serial.
async fn rotate(State(sandbox): State<Arc<Sandbox>>) -> Result<Json<Value>, ControlError> {
    let certificates = &sandbox.pay.keys.certificates;
    let newest = certificates
        .rotate()
        .map_err(|error| ControlError::Internal(error.to_string()))?;
    let serials: Vec<String> = certificates
        .all()
        .iter()
        .map(|c| c.serial.clone())
        .collect();
    Ok(Json(json!({ "newest": newest.serial, "serials": serials })))
}

/// `GET /sandbox/pay/faults`.
async fn faults(State(sandbox): State<Arc<Sandbox>>) -> Json<FaultSettings> {
    Json(sandbox.pay.faults.current())
}

/// `POST /sandbox/pay/faults` with the whole settings (absent fields are off).
async fn set_faults(
    State(sandbox): State<Arc<Sandbox>>,
    body: Bytes,
) -> Result<Json<FaultSettings>, ControlError> {
    let settings: FaultSettings = input(&body)?;
    sandbox.pay.faults.set(settings.clone());
    Ok(Json(settings))
}

/// `DELETE /sandbox/pay/faults`: back to no faults.
async fn clear_faults(State(sandbox): State<Arc<Sandbox>>) -> Json<FaultSettings> {
    sandbox.pay.faults.set(FaultSettings::default());
    Json(FaultSettings::default())
}

/// `GET /sandbox/pay/deliveries[?notification_id=]`: every delivery attempt, oldest first.
async fn deliveries(
    State(sandbox): State<Arc<Sandbox>>,
    Query(query): Query<HashMap<String, String>>,
) -> Json<Value> {
    let id = query.get("notification_id").map(String::as_str);
    Json(json!({ "deliveries": sandbox.pay.notifier.deliveries(id) }))
}

/// `POST /sandbox/pay/notifications/{id}/resend`: the same notification again (a duplicate, as WeChat sends).
async fn resend(
    State(sandbox): State<Arc<Sandbox>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ControlError> {
    let notification = sandbox
        .pay
        .notifier
        .find(&id)
        .ok_or_else(|| ControlError::NotFound(format!("notification {id} does not exist")))?;
    sandbox.pay.resend(notification);
    Ok(Json(json!({ "resent": id })))
}

/// `POST /sandbox/pay/notifications/hold`: new notifications wait until released.
async fn hold(State(sandbox): State<Arc<Sandbox>>) -> Json<Value> {
    sandbox.pay.notifier.hold();
    Json(json!({ "holding": true }))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReleaseInput {
    #[serde(default)]
    order: ReleaseOrder,
}

/// `POST /sandbox/pay/notifications/release` `{"order": "newest_first"|"oldest_first"}` (default newest first):
/// sends the held notifications one after the other in that order. Answers their ids in sending order.
async fn release(
    State(sandbox): State<Arc<Sandbox>>,
    body: Bytes,
) -> Result<Json<Value>, ControlError> {
    let ReleaseInput { order } = input(&body)?;
    Ok(Json(json!({ "released": sandbox.pay.release(order) })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProbeInput {
    url: String,
    #[serde(default)]
    mode: Option<KeyMode>,
}

/// `POST /sandbox/pay/probes` `{"url", "mode"?}`: one `WECHATPAY/SIGNTEST/` probe; answers the recorded attempt
/// (a merchant that verifies signatures answers it with a 4xx or 5xx).
async fn probe(
    State(sandbox): State<Arc<Sandbox>>,
    body: Bytes,
) -> Result<Json<Value>, ControlError> {
    let ProbeInput { url, mode } = required_input(&body, r#"{"url": "…"}"#)?;
    if url::Url::parse(&url).is_err() {
        return Err(ControlError::BadRequest(format!(
            "`{url}` is not an absolute URL"
        )));
    }
    let delivery = sandbox
        .pay
        .probe(&url, mode.unwrap_or(KeyMode::Certificate))
        .await
        .map_err(|error| ControlError::Internal(error.to_string()))?;
    Ok(Json(json!({ "probe": delivery })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TimeScaleInput {
    time_scale: u32,
}

/// `POST /sandbox/pay/time-scale` `{"time_scale": N}`: notification retry delays are divided by N from now on
/// (the start value comes from `WXGATE_SANDBOX_TIME_SCALE`, default 1).
async fn set_time_scale(
    State(sandbox): State<Arc<Sandbox>>,
    body: Bytes,
) -> Result<Json<Value>, ControlError> {
    let TimeScaleInput { time_scale } = required_input(&body, r#"{"time_scale": N} with N >= 1"#)?;
    if time_scale == 0 {
        return Err(ControlError::BadRequest(
            "time_scale must be at least 1".to_owned(),
        ));
    }
    sandbox.pay.notifier.set_time_scale(time_scale);
    Ok(Json(
        json!({ "time_scale": sandbox.pay.notifier.time_scale() }),
    ))
}

/// `POST /sandbox/pay/links/expire`: the `h5_url` and `code_url` of every unpaid order expire now, to try the
/// expired-link pages without waiting; an identical repeat prepay renews them. Answers how many.
async fn expire_links(State(sandbox): State<Arc<Sandbox>>) -> Json<Value> {
    let aged = clock::now_unix() - 3 * 24 * 60 * 60;
    let mut ledger = sandbox.pay.ledger();
    let mut count = 0;
    for order in ledger
        .orders
        .values_mut()
        .filter(|order| order.state == TradeState::NotPay)
    {
        order.link_issued_at = aged;
        count += 1;
    }
    Json(json!({ "expired": count }))
}

/// The control routes, relative to `/sandbox`.
pub fn routes() -> axum::Router<Arc<Sandbox>> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/pay/orders/{out_trade_no}", get(show_order))
        .route("/pay/orders/{out_trade_no}/pay", post(pay_order))
        .route("/pay/orders/{out_trade_no}/expire", post(expire_order))
        .route("/pay/refunds/{out_refund_no}/outcome", post(settle_refund))
        .route("/pay/certificates/rotate", post(rotate))
        .route(
            "/pay/faults",
            get(faults).post(set_faults).delete(clear_faults),
        )
        .route("/pay/deliveries", get(deliveries))
        .route("/pay/notifications/{id}/resend", post(resend))
        .route("/pay/notifications/hold", post(hold))
        .route("/pay/notifications/release", post(release))
        .route("/pay/probes", post(probe))
        .route("/pay/time-scale", post(set_time_scale))
        .route("/pay/merchant/refund-callback", post(set_refund_callback))
        .route("/pay/merchant/h5-domains", post(set_h5_domains))
        .route("/pay/bills/timing", post(set_bill_timing))
        .route("/pay/links/expire", post(expire_links))
}
