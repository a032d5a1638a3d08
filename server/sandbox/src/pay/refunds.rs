//! The refund APIs: apply for a refund (by transaction_id or out_trade_no) and query one by out_refund_no.
//!
//! Docs: <https://pay.weixin.qq.com/doc/v3/merchant/4012791903> (apply) and
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791904> (query). A refund starts PROCESSING; the control API moves
//! it to SUCCESS, ABNORMAL or CLOSED. The same out_refund_no is the same refund. Partial refunds may add up to the
//! paid total; beyond it the sandbox answers 403 NOT_ENOUGH.

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
    if let Some(existing) = ledger.refunds.get(&request.out_refund_no) {
        return Ok(Reply::Json(existing.json()));
    }
    let order = match &request.target {
        RefundTarget::TransactionId(id) => ledger.by_transaction(id),
        RefundTarget::OutTradeNo(no) => ledger.orders.get(no),
    };
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
    if request.refund > refundable {
        return Err(PayError::NotEnough {
            requested: request.refund,
            refundable,
        });
    }
    let refund = Refund {
        refund_id: ids::refund_id(),
        out_refund_no: request.out_refund_no.clone(),
        out_trade_no: order.request.out_trade_no.clone(),
        transaction_id: order.transaction_id.clone().unwrap_or_default(),
        notify_url: request
            .notify_url
            .clone()
            .unwrap_or_else(|| order.request.notify_url.clone()),
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
