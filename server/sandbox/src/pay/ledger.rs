//! The sandbox's books: orders and refunds in memory, with their state machines and their JSON as WeChat shows them.
//!
//! Orders: NOTPAY → SUCCESS (paid) or CLOSED; SUCCESS → REFUND once a refund is applied. Refunds: PROCESSING →
//! SUCCESS, ABNORMAL or CLOSED. Bodies follow the query pages
//! (<https://pay.weixin.qq.com/doc/v3/merchant/4012791900>, <https://pay.weixin.qq.com/doc/v3/merchant/4012791904>).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::clock;
use super::error::PayError;
use super::keyring::KeyMode;
use super::validate::{OrderRequest, TradeType};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeState {
    NotPay,
    Success,
    Refund,
    Closed,
}

impl TradeState {
    pub fn wire(self) -> &'static str {
        match self {
            TradeState::NotPay => "NOTPAY",
            TradeState::Success => "SUCCESS",
            TradeState::Refund => "REFUND",
            TradeState::Closed => "CLOSED",
        }
    }

    fn description(self) -> &'static str {
        match self {
            TradeState::NotPay => "订单未支付",
            TradeState::Success => "支付成功",
            TradeState::Refund => "转入退款",
            TradeState::Closed => "订单已关闭",
        }
    }
}

/// Why a control action cannot change an order or refund.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum TransitionError {
    #[error("order {out_trade_no} is {state}; only a NOTPAY order can be paid")]
    NotPayable {
        out_trade_no: String,
        state: &'static str,
    },
    #[error(
        "order {out_trade_no} expired at its time_expire ({time_expire}); it can no longer be paid"
    )]
    Expired {
        out_trade_no: String,
        time_expire: String,
    },
    #[error("this JSAPI order was placed for openid {expected}; it cannot be paid by {given}")]
    WrongPayer { expected: String, given: String },
    #[error("refund {out_refund_no} is {status}; only a PROCESSING refund can change")]
    RefundSettled {
        out_refund_no: String,
        status: &'static str,
    },
    #[error("a refund can move to SUCCESS, ABNORMAL or CLOSED, not {0}")]
    NotAnOutcome(&'static str),
}

#[derive(Debug, Clone)]
pub struct Order {
    pub kind: TradeType,
    /// The prepay body as sent: an identical repeat gets the same prepay (a Native one a new `code_url`), any
    /// change is refused (INVALID_REQUEST).
    pub request_body: Value,
    pub request: OrderRequest,
    pub prepay_id: String,
    /// Every `code_url` a Native prepay (or an identical repeat) handed out, newest last; each one opens the order.
    pub code_urls: Vec<String>,
    pub h5_url: Option<String>,
    pub state: TradeState,
    pub transaction_id: Option<String>,
    pub payer_openid: Option<String>,
    pub success_time: Option<i64>,
    /// When the order's `h5_url` / `code_url` was last handed out (Unix seconds): prepay, or an identical repeat of
    /// it, which WeChat answers with a fresh link.
    pub link_issued_at: i64,
    /// Until when it can be paid: its `time_expire`, raised to a minute after the prepay when it was sooner, as
    /// WeChat raises it (the prepay pages, `time_expire`); none without a `time_expire`.
    pub payable_until: Option<i64>,
    pub mode: KeyMode,
}

impl Order {
    /// The prepay answer: `prepay_id` (JSAPI, App), `code_url` (Native) or `h5_url` (H5).
    pub fn prepay_reply(&self) -> Value {
        match self.kind {
            TradeType::Native => json!({ "code_url": self.code_urls.last() }),
            TradeType::H5 => json!({ "h5_url": self.h5_url }),
            TradeType::Jsapi | TradeType::App => json!({ "prepay_id": self.prepay_id }),
        }
    }

    /// Whether the order can no longer be paid at `now` (its time_expire, at least a minute after the prepay, has
    /// passed).
    pub fn is_expired(&self, now: i64) -> bool {
        self.payable_until.is_some_and(|until| now >= until)
    }

    /// NOTPAY → SUCCESS, paid by `openid` (a JSAPI order only by its own payer), before its `time_expire`.
    pub fn pay(
        &mut self,
        openid: Option<String>,
        transaction_id: String,
        now: i64,
    ) -> Result<(), TransitionError> {
        if self.state != TradeState::NotPay {
            return Err(TransitionError::NotPayable {
                out_trade_no: self.request.out_trade_no.clone(),
                state: self.state.wire(),
            });
        }
        if self.is_expired(now) {
            return Err(TransitionError::Expired {
                out_trade_no: self.request.out_trade_no.clone(),
                time_expire: self
                    .payable_until
                    .map(clock::rfc3339_beijing)
                    .unwrap_or_default(),
            });
        }
        let payer = match (&self.request.openid, openid) {
            (Some(expected), Some(given)) if *expected != given => {
                return Err(TransitionError::WrongPayer {
                    expected: expected.clone(),
                    given,
                })
            }
            (Some(expected), _) => expected.clone(),
            (None, Some(given)) => given,
            (None, None) => format!("o{}", super::ids::alphanumeric(27)),
        };
        self.payer_openid = Some(payer);
        self.transaction_id = Some(transaction_id);
        self.success_time = Some(now);
        self.state = TradeState::Success;
        Ok(())
    }

    /// Close: NOTPAY → CLOSED; closing a closed order again is fine; a paid order answers ORDERPAID.
    pub fn close(&mut self) -> Result<(), PayError> {
        match self.state {
            TradeState::NotPay | TradeState::Closed => {
                self.state = TradeState::Closed;
                Ok(())
            }
            TradeState::Success | TradeState::Refund => {
                Err(PayError::OrderPaid(self.request.out_trade_no.clone()))
            }
        }
    }

    /// The Transaction as queries and TRANSACTION.SUCCESS notifications carry it.
    pub fn transaction(&self) -> Value {
        let paid = matches!(self.state, TradeState::Success | TradeState::Refund);
        let mut amount =
            json!({ "total": self.request.total, "currency": "CNY", "payer_currency": "CNY" });
        let mut body = json!({
            "appid": self.request.appid,
            "mchid": self.request.mchid,
            "out_trade_no": self.request.out_trade_no,
            "trade_state": self.state.wire(),
            "trade_state_desc": self.state.description(),
        });
        if let Some(attach) = &self.request.attach {
            body["attach"] = json!(attach);
        }
        if paid {
            amount["payer_total"] = json!(self.request.total);
            body["transaction_id"] = json!(self.transaction_id);
            body["trade_type"] = json!(self.kind.wire());
            body["bank_type"] = json!("OTHERS");
            body["success_time"] = json!(self.success_time.map(clock::rfc3339_beijing));
            body["payer"] = json!({ "openid": self.payer_openid });
        }
        body["amount"] = amount;
        body
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundStatus {
    Processing,
    Success,
    Abnormal,
    Closed,
}

impl RefundStatus {
    pub fn wire(self) -> &'static str {
        match self {
            RefundStatus::Processing => "PROCESSING",
            RefundStatus::Success => "SUCCESS",
            RefundStatus::Abnormal => "ABNORMAL",
            RefundStatus::Closed => "CLOSED",
        }
    }
}

#[derive(Debug, Clone)]
pub struct Refund {
    pub refund_id: String,
    pub out_refund_no: String,
    pub out_trade_no: String,
    pub transaction_id: String,
    /// Where its outcome is announced: the request's notify_url, else the merchant's refund callback; with
    /// neither, nowhere.
    pub notify_url: Option<String>,
    pub refund: u64,
    pub total: u64,
    pub status: RefundStatus,
    pub create_time: i64,
    pub success_time: Option<i64>,
    pub mode: KeyMode,
}

impl Refund {
    /// PROCESSING → SUCCESS, ABNORMAL or CLOSED.
    pub fn settle(&mut self, outcome: RefundStatus, now: i64) -> Result<(), TransitionError> {
        if outcome == RefundStatus::Processing {
            return Err(TransitionError::NotAnOutcome(outcome.wire()));
        }
        if self.status != RefundStatus::Processing {
            return Err(TransitionError::RefundSettled {
                out_refund_no: self.out_refund_no.clone(),
                status: self.status.wire(),
            });
        }
        self.status = outcome;
        if outcome == RefundStatus::Success {
            self.success_time = Some(now);
        }
        Ok(())
    }

    /// The Refund as the refund APIs answer it.
    pub fn json(&self) -> Value {
        let mut body = json!({
            "refund_id": self.refund_id,
            "out_refund_no": self.out_refund_no,
            "transaction_id": self.transaction_id,
            "out_trade_no": self.out_trade_no,
            "channel": "ORIGINAL",
            "user_received_account": "支付用户零钱",
            "create_time": clock::rfc3339_beijing(self.create_time),
            "status": self.status.wire(),
            "funds_account": "AVAILABLE",
            "amount": {
                "total": self.total, "refund": self.refund, "payer_total": self.total, "payer_refund": self.refund,
                "settlement_total": self.total, "settlement_refund": self.refund, "discount_refund": 0,
                "currency": "CNY", "from": [],
            },
        });
        if let Some(time) = self.success_time {
            body["success_time"] = json!(clock::rfc3339_beijing(time));
        }
        body
    }

    /// The refund as REFUND.* notifications carry it.
    pub fn notification(&self, mchid: &str) -> Value {
        let mut body = json!({
            "mchid": mchid,
            "out_trade_no": self.out_trade_no,
            "transaction_id": self.transaction_id,
            "out_refund_no": self.out_refund_no,
            "refund_id": self.refund_id,
            "refund_status": self.status.wire(),
            "user_received_account": "支付用户零钱",
            "amount": { "total": self.total, "refund": self.refund, "payer_total": self.total, "payer_refund": self.refund },
        });
        if let Some(time) = self.success_time {
            body["success_time"] = json!(clock::rfc3339_beijing(time));
        }
        body
    }
}

/// Every order and refund, by the keys merchants and the control API look them up with.
#[derive(Debug, Default)]
pub struct Ledger {
    pub orders: HashMap<String, Order>,
    transactions: HashMap<String, String>,
    pub refunds: HashMap<String, Refund>,
}

impl Ledger {
    pub fn insert_order(&mut self, order: Order) {
        self.orders
            .insert(order.request.out_trade_no.clone(), order);
    }

    /// Remembers a transaction id once the order is paid.
    pub fn index_transaction(&mut self, transaction_id: &str, out_trade_no: &str) {
        self.transactions
            .insert(transaction_id.to_owned(), out_trade_no.to_owned());
    }

    pub fn by_transaction(&self, transaction_id: &str) -> Option<&Order> {
        self.transactions
            .get(transaction_id)
            .and_then(|out_trade_no| self.orders.get(out_trade_no))
    }

    /// What is left to refund on an order: its total less every refund that is not CLOSED.
    pub fn refundable(&self, order: &Order) -> u64 {
        let committed: u64 = self
            .refunds
            .values()
            .filter(|refund| {
                refund.out_trade_no == order.request.out_trade_no
                    && refund.status != RefundStatus::Closed
            })
            .map(|refund| refund.refund)
            .sum();
        order.request.total.saturating_sub(committed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn order(kind: TradeType, openid: Option<&str>) -> Order {
        Order {
            kind,
            request_body: json!({}),
            request: OrderRequest {
                appid: "wx0000000000000001".into(),
                mchid: "1900000001".into(),
                description: "d".into(),
                out_trade_no: "T123456".into(),
                attach: None,
                notify_url: "http://127.0.0.1/notify".into(),
                total: 100,
                openid: openid.map(str::to_owned),
                payer_client_ip: None,
                time_expire: None,
            },
            prepay_id: "wx1".into(),
            code_urls: Vec::new(),
            h5_url: None,
            state: TradeState::NotPay,
            transaction_id: None,
            payer_openid: None,
            success_time: None,
            link_issued_at: 0,
            payable_until: None,
            mode: KeyMode::Certificate,
        }
    }

    #[test]
    fn an_order_is_paid_once_then_cannot_be_closed() {
        let mut order = order(TradeType::Native, None);
        assert_eq!(order.transaction()["trade_state"], "NOTPAY");
        assert!(order.transaction().get("transaction_id").is_none());
        order.pay(None, "4200".into(), 1_432_099_775).expect("pays");
        let paid = order.transaction();
        assert_eq!(paid["trade_state"], "SUCCESS");
        assert_eq!(paid["trade_type"], "NATIVE");
        assert_eq!(paid["success_time"], "2015-05-20T13:29:35+08:00");
        assert_eq!(paid["amount"]["payer_total"], 100);
        assert!(paid["payer"]["openid"]
            .as_str()
            .is_some_and(|openid| openid.len() == 28));
        assert!(matches!(
            order.pay(None, "4201".into(), 0),
            Err(TransitionError::NotPayable { .. })
        ));
        assert_eq!(order.close(), Err(PayError::OrderPaid("T123456".into())));
    }

    #[test]
    fn closing_twice_is_fine_and_a_closed_order_cannot_be_paid() {
        let mut order = order(TradeType::Native, None);
        assert_eq!(order.close(), Ok(()));
        assert_eq!(order.close(), Ok(()));
        assert_eq!(order.transaction()["trade_state"], "CLOSED");
        assert!(order.pay(None, "4200".into(), 0).is_err());
    }

    #[test]
    fn an_order_cannot_be_paid_from_its_time_expire_on() {
        let mut order = order(TradeType::Native, None);
        order.payable_until = Some(1_000);
        assert!(!order.is_expired(999));
        assert!(matches!(
            order.clone().pay(None, "4200".into(), 1_000),
            Err(TransitionError::Expired { .. })
        ));
        order.pay(None, "4200".into(), 999).expect("pays before");
    }

    #[test]
    fn a_jsapi_order_is_paid_by_its_own_payer_only() {
        let mut order = order(TradeType::Jsapi, Some("oPayer"));
        assert!(matches!(
            order.pay(Some("oOther".into()), "4200".into(), 0),
            Err(TransitionError::WrongPayer { .. })
        ));
        order.pay(None, "4200".into(), 0).expect("pays");
        assert_eq!(order.transaction()["payer"]["openid"], "oPayer");
    }

    #[test]
    fn refunds_settle_once_and_closed_ones_free_their_amount() {
        let mut ledger = Ledger::default();
        let paid = order(TradeType::Native, None);
        ledger.insert_order(paid.clone());
        let mut refund = Refund {
            refund_id: "50".into(),
            out_refund_no: "R1".into(),
            out_trade_no: "T123456".into(),
            transaction_id: "4200".into(),
            notify_url: Some("http://127.0.0.1/notify".into()),
            refund: 60,
            total: 100,
            status: RefundStatus::Processing,
            create_time: 0,
            success_time: None,
            mode: KeyMode::Certificate,
        };
        ledger.refunds.insert("R1".into(), refund.clone());
        assert_eq!(ledger.refundable(&paid), 40);
        refund.settle(RefundStatus::Closed, 5).expect("closes");
        assert!(refund.settle(RefundStatus::Success, 6).is_err());
        ledger.refunds.insert("R1".into(), refund);
        assert_eq!(ledger.refundable(&paid), 100);
    }
}
