//! Refunds: request one (partial or full, up to the paid total) and look it up. Retrying with the same
//! out_refund_no is safe: WeChat returns the same refund.
//!
//! Docs: <https://pay.weixin.qq.com/doc/v3/merchant/4012791862> (refund), <https://pay.weixin.qq.com/doc/v3/merchant/4012791863> (query).

use serde::{Deserialize, Serialize};

use super::client::PayClient;
use super::error::PayError;
use super::transactions::{segment, CURRENCY};

/// A refund wxgate asks for; money in integer fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub out_trade_no: String,
    pub out_refund_no: String,
    pub refund_fen: u64,
    /// The order's paid total.
    pub total_fen: u64,
    pub reason: Option<String>,
    pub notify_url: Option<String>,
}

#[derive(Debug, Serialize)]
struct RefundBody<'a> {
    out_trade_no: &'a str,
    out_refund_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    reason: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    notify_url: Option<&'a str>,
    amount: RefundBodyAmount<'a>,
}

#[derive(Debug, Serialize)]
struct RefundBodyAmount<'a> {
    refund: u64,
    total: u64,
    currency: &'a str,
}

/// A refund as WeChat Pay reports it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Refund {
    pub refund_id: String,
    pub out_refund_no: String,
    pub transaction_id: String,
    pub out_trade_no: String,
    /// SUCCESS, CLOSED, PROCESSING or ABNORMAL.
    pub status: String,
    #[serde(default)]
    pub channel: Option<String>,
    #[serde(default)]
    pub user_received_account: Option<String>,
    #[serde(default)]
    pub create_time: Option<String>,
    #[serde(default)]
    pub success_time: Option<String>,
    pub amount: RefundAmount,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct RefundAmount {
    pub total: u64,
    pub refund: u64,
    #[serde(default)]
    pub payer_total: Option<u64>,
    #[serde(default)]
    pub payer_refund: Option<u64>,
    #[serde(default)]
    pub currency: Option<String>,
}

/// The decrypted resource of a refund notification (`REFUND.SUCCESS`, `REFUND.ABNORMAL`, `REFUND.CLOSED`); its
/// status field is `refund_status` where the refund API's is `status`.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct RefundNotice {
    pub mchid: String,
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    pub out_refund_no: String,
    #[serde(default)]
    pub refund_id: Option<String>,
    /// SUCCESS, CLOSED or ABNORMAL.
    pub refund_status: String,
    #[serde(default)]
    pub success_time: Option<String>,
    pub amount: RefundNoticeAmount,
}

/// The amounts of a refund notification, in fen.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct RefundNoticeAmount {
    pub total: u64,
    pub refund: u64,
    #[serde(default)]
    pub payer_total: Option<u64>,
    #[serde(default)]
    pub payer_refund: Option<u64>,
}

/// Asks WeChat Pay for a refund; the same `out_refund_no` again is the same refund.
pub async fn create(client: &PayClient, request: &RefundRequest) -> Result<Refund, PayError> {
    let body = RefundBody {
        out_trade_no: &request.out_trade_no,
        out_refund_no: &request.out_refund_no,
        reason: request.reason.as_deref(),
        notify_url: request.notify_url.as_deref(),
        amount: RefundBodyAmount {
            refund: request.refund_fen,
            total: request.total_fen,
            currency: CURRENCY,
        },
    };
    client.post_json("/v3/refund/domestic/refunds", &body).await
}

pub async fn query(client: &PayClient, out_refund_no: &str) -> Result<Refund, PayError> {
    client
        .get_json(&format!(
            "/v3/refund/domestic/refunds/{}",
            segment(out_refund_no)
        ))
        .await
}
