//! The refund APIs: apply for a refund (by transaction_id or out_trade_no) and query one by out_refund_no.
//!
//! Docs: <https://pay.weixin.qq.com/doc/v3/merchant/4012791903> (apply) and
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791904> (query). A refund starts PROCESSING; the control API moves
//! it to SUCCESS, ABNORMAL or CLOSED. The same out_refund_no with the same order and amounts is the same refund;
//! with others it is refused. Partial refunds may add up to the paid total; beyond it WeChat refuses the refund
//! (400 INVALID_REQUEST, "订单已全额退款" once nothing is left). A refund without `notify_url` is announced at the
//! merchant's configured refund callback (the merchant platform's setting, here the control API's), never at the
//! payment's notify_url; with neither, nothing is sent.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::response::Response;

use super::call::{PayCall, Reply};
use super::error::PayError;
use super::ledger::{Refund, RefundStatus, TradeState};
use super::validate::{self, RefundTarget};
use super::{clock, ids, PaySandbox};
use crate::Sandbox;

/// `POST /v3/refund/domestic/refunds`.
pub async fn create(State(sandbox): State<Arc<Sandbox>>, call: PayCall) -> Response {
    call.respond(create_refund(&sandbox.pay, &call))
}

fn create_refund(pay: &PaySandbox, call: &PayCall) -> Result<Reply, PayError> {
    let body = validate::json_body(&call.body)?;
    let request = validate::refund_request(&body)?;
    let mut ledger = pay.ledger();
    let order = match &request.target {
        RefundTarget::TransactionId(id) => ledger.by_transaction(id),
        RefundTarget::OutTradeNo(no) => ledger.orders.get(no),
    };
    if let Some(existing) = ledger.refunds.get(&request.out_refund_no) {
        let same_order =
            order.is_some_and(|order| order.request.out_trade_no == existing.out_trade_no);
        if !same_order || existing.refund != request.refund || existing.total != request.total {
            return Err(PayError::InvalidRequest(format!(
                "订单金额或退款金额与之前请求不一致 (out_refund_no {} was first asked for {} of {} fen on order {})",
                existing.out_refund_no, existing.refund, existing.total, existing.out_trade_no
            )));
        }
        return Ok(Reply::Json(existing.json()));
    }
    let paid =
        order.filter(|order| matches!(order.state, TradeState::Success | TradeState::Refund));
    let order = paid.ok_or_else(|| {
        PayError::ResourceNotExists(
            "the order does not exist or is not paid; only paid orders can be refunded".to_owned(),
        )
    })?;
    if request.total != order.request.total {
        return Err(PayError::InvalidRequest(format!(
            "amount.total ({}) is not the order's total ({})",
            request.total, order.request.total
        )));
    }
    let refundable = ledger.refundable(order);
    if refundable == 0 {
        return Err(PayError::InvalidRequest(
            "订单已全额退款 (the order has been refunded in full)".to_owned(),
        ));
    }
    if request.refund > refundable {
        return Err(PayError::InvalidRequest(format!(
            "申请退款金额超过订单可退金额 (a refund of {} fen; {refundable} fen are left to refund)",
            request.refund
        )));
    }
    let refund = Refund {
        refund_id: ids::refund_id(),
        out_refund_no: request.out_refund_no.clone(),
        out_trade_no: order.request.out_trade_no.clone(),
        transaction_id: order.transaction_id.clone().unwrap_or_default(),
        notify_url: request
            .notify_url
            .clone()
            .or_else(|| pay.platform().refund_notify_url.clone()),
        refund: request.refund,
        total: order.request.total,
        status: RefundStatus::Processing,
        create_time: clock::now_unix(),
        success_time: None,
        mode: call.mode,
    };
    let out_trade_no = order.request.out_trade_no.clone();
    if let Some(order) = ledger.orders.get_mut(&out_trade_no) {
        order.state = TradeState::Refund;
    }
    let reply = refund.json();
    ledger.refunds.insert(request.out_refund_no, refund);
    Ok(Reply::Json(reply))
}

/// `GET /v3/refund/domestic/refunds/{out_refund_no}`.
pub async fn query(
    State(sandbox): State<Arc<Sandbox>>,
    Path(out_refund_no): Path<String>,
    call: PayCall,
) -> Response {
    let result = sandbox
        .pay
        .ledger()
        .refunds
        .get(&out_refund_no)
        .map(|refund| Reply::Json(refund.json()))
        .ok_or_else(|| {
            PayError::ResourceNotExists(format!("refund {out_refund_no} does not exist"))
        });
    call.respond(result)
}
