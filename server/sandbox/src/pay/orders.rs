//! The order APIs: JSAPI, Native, H5 and App prepay; query by out_trade_no and by transaction_id; close.
//!
//! Docs: JSAPI prepay <https://pay.weixin.qq.com/doc/v3/merchant/4012791897>, Native prepay
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791877>, query by transaction_id
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791899>, query by out_trade_no
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791900>, close <https://pay.weixin.qq.com/doc/v3/merchant/4012791901>.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde_json::json;

use super::call::{PayCall, Reply};
use super::error::PayError;
use super::ledger::{Order, TradeState};
use super::param_error::{field_error, mismatch, Rule};
use super::validate::{self, Binding, TradeType};
use super::{ids, PaySandbox};
use crate::Sandbox;

/// `POST /v3/pay/transactions/{jsapi|native|h5|app}`.
pub async fn prepay(
    State(sandbox): State<Arc<Sandbox>>,
    Path(kind): Path<String>,
    call: PayCall,
) -> Response {
    call.respond(prepay_order(&sandbox, &kind, &call))
}

fn prepay_order(sandbox: &Sandbox, kind: &str, call: &PayCall) -> Result<Reply, PayError> {
    let kind = TradeType::from_path(kind).ok_or_else(|| {
        PayError::ResourceNotExists(format!(
            "/v3/pay/transactions/{kind} is not an API; use jsapi, native, h5 or app"
        ))
    })?;
    let pay = &sandbox.pay;
    let body = validate::json_body(&call.body)?;
    let request = validate::order_request(
        kind,
        &body,
        Binding {
            mchid: &pay.merchant.mchid,
            apps: &pay.apps,
        },
    )?;
    if let Some(openid) = &request.openid {
        payer_of_appid(sandbox, &request.appid, openid)?;
    }
    let mut ledger = pay.ledger();
    if let Some(existing) = ledger.orders.get_mut(&request.out_trade_no) {
        if existing.kind != kind || existing.request_body != body {
            return Err(PayError::ReentryDiffers(request.out_trade_no));
        }
        return match existing.state {
            // WeChat Pay refuses the order from its time_expire on; it stays NOTPAY until the merchant closes it.
            TradeState::NotPay if existing.is_expired(super::clock::now_unix()) => {
                Err(PayError::OrderClosed(request.out_trade_no))
            }
            // An identical repeat renews the link (h5_url lives 5 minutes; WeChat says to prepay again with the
            // same parameters: <https://pay.weixin.qq.com/docs/merchant/products/h5-payment/development.html>),
            // and WeChat answers a repeated Native prepay with a new code_url, the old ones still working.
            TradeState::NotPay => {
                existing.link_issued_at = super::clock::now_unix();
                if kind == TradeType::Native {
                    existing.code_urls.push(new_code_url());
                }
                Ok(Reply::Json(existing.prepay_reply()))
            }
            TradeState::Closed => Err(PayError::OrderClosed(request.out_trade_no)),
            TradeState::Success | TradeState::Refund => {
                Err(PayError::OrderPaid(request.out_trade_no))
            }
        };
    }
    let prepay_id = ids::prepay_id();
    let now = super::clock::now_unix();
    // WeChat raises a time_expire less than a minute away to one minute.
    let payable_until = request
        .time_expire
        .map(|time_expire| time_expire.max(now + MIN_PAYABLE_SECONDS));
    let order = Order {
        kind,
        request_body: body,
        code_urls: (kind == TradeType::Native)
            .then(new_code_url)
            .into_iter()
            .collect(),
        h5_url: (kind == TradeType::H5).then(|| {
            format!(
                "{}/sandbox/pay/h5?prepay_id={prepay_id}",
                control_base(&sandbox.wechat_base)
            )
        }),
        request,
        prepay_id,
        state: TradeState::NotPay,
        transaction_id: None,
        payer_openid: None,
        success_time: None,
        link_issued_at: now,
        payable_until,
        mode: call.mode,
    };
    let reply = order.prepay_reply();
    ledger.insert_order(order);
    Ok(Reply::Json(reply))
}

/// The least time WeChat leaves for paying an order with a `time_expire`.
const MIN_PAYABLE_SECONDS: i64 = 60;

/// A JSAPI payer must be a user of the order's appid: WeChat answers PARAM_ERROR "appid和openid不匹配" for an openid
/// of another app (the classic mistake: the mini program's openid with the official account's appid). Every openid
/// the sandbox knows is a persona's in one app.
fn payer_of_appid(sandbox: &Sandbox, appid: &str, openid: &str) -> Result<(), PayError> {
    match sandbox.login.lock().persona_by_openid(appid, openid) {
        Some(_) => Ok(()),
        None => Err(mismatch(
            "/body/payer/openid",
            format!("appid和openid不匹配 (openid {openid} is not a user of appid {appid})"),
        )),
    }
}

/// A Native order's link, as WeChat's look: `weixin://wxpay/bizpayurl?pr=` and seven letters or digits.
fn new_code_url() -> String {
    format!("weixin://wxpay/bizpayurl?pr={}", ids::alphanumeric(7))
}

/// Where the control API and the sandbox's pages are: the process root. WeChat's paths are under `wechat_base`,
/// which is the root alone and `<root>/sandbox` when nested in `wxgate serve`.
pub fn control_base(wechat_base: &str) -> &str {
    wechat_base.strip_suffix("/sandbox").unwrap_or(wechat_base)
}

/// `GET /v3/pay/transactions/out-trade-no/{out_trade_no}?mchid=`.
pub async fn query_by_out_trade_no(
    State(sandbox): State<Arc<Sandbox>>,
    Path(out_trade_no): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    call: PayCall,
) -> Response {
    let pay = &sandbox.pay;
    let result = check_mchid_query(pay, &query).and_then(|()| {
        pay.ledger()
            .orders
            .get(&out_trade_no)
            .map(|order| Reply::Json(order.transaction()))
            .ok_or(PayError::OrderNotExist(out_trade_no))
    });
    call.respond(result)
}

/// `GET /v3/pay/transactions/id/{transaction_id}?mchid=`: only paid orders have a transaction id.
pub async fn query_by_transaction_id(
    State(sandbox): State<Arc<Sandbox>>,
    Path(transaction_id): Path<String>,
    Query(query): Query<HashMap<String, String>>,
    call: PayCall,
) -> Response {
    let pay = &sandbox.pay;
    let result = check_mchid_query(pay, &query).and_then(|()| {
        pay.ledger()
            .by_transaction(&transaction_id)
            .map(|order| Reply::Json(order.transaction()))
            .ok_or(PayError::OrderNotExist(transaction_id))
    });
    call.respond(result)
}

fn check_mchid_query(pay: &PaySandbox, query: &HashMap<String, String>) -> Result<(), PayError> {
    match query.get("mchid") {
        None => Err(field_error(
            "/query/mchid",
            Rule::Required,
            None,
            "the query parameter mchid is required",
        )),
        Some(mchid) if *mchid != pay.merchant.mchid => Err(PayError::MchNotExists(mchid.clone())),
        Some(_) => Ok(()),
    }
}

/// `POST /v3/pay/transactions/out-trade-no/{out_trade_no}/close` with `{"mchid"}`: 204.
pub async fn close(
    State(sandbox): State<Arc<Sandbox>>,
    Path(out_trade_no): Path<String>,
    call: PayCall,
) -> Response {
    call.respond(close_order(&sandbox.pay, &out_trade_no, &call))
}

fn close_order(pay: &PaySandbox, out_trade_no: &str, call: &PayCall) -> Result<Reply, PayError> {
    let body = validate::json_body(&call.body)?;
    match body.get("mchid").and_then(|mchid| mchid.as_str()) {
        None => {
            return Err(field_error(
                "/body/mchid",
                Rule::Required,
                None,
                "mchid is required",
            ))
        }
        Some(mchid) if mchid != pay.merchant.mchid => {
            return Err(PayError::MchNotExists(mchid.to_owned()))
        }
        Some(_) => {}
    }
    let mut ledger = pay.ledger();
    let order = ledger
        .orders
        .get_mut(out_trade_no)
        .ok_or_else(|| PayError::OrderNotExist(out_trade_no.to_owned()))?;
    order.close()?;
    Ok(Reply::NoContent)
}

/// What a paid order's notification says.
pub fn paid_event_resource(order: &Order) -> serde_json::Value {
    let mut transaction = order.transaction();
    // A TRANSACTION.SUCCESS notification always reports SUCCESS, even if a refund followed before it was sent.
    transaction["trade_state"] = json!("SUCCESS");
    transaction["trade_state_desc"] = json!("支付成功");
    transaction
}
