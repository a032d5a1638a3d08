//! Orders: prepay for JSAPI (official account and mini program), H5, Native and App; query; close.
//!
//! Docs: <https://pay.weixin.qq.com/doc/v3/merchant/4012791856> (JSAPI), <https://pay.weixin.qq.com/doc/v3/merchant/4012791834>
//! (H5), <https://pay.weixin.qq.com/doc/v3/merchant/4012791877> (Native), <https://pay.weixin.qq.com/doc/v3/merchant/4012791858>
//! (query by out_trade_no), <https://pay.weixin.qq.com/doc/v3/merchant/4012791860> (close).

use serde::{Deserialize, Serialize};

use super::client::PayClient;
use super::error::PayError;

/// WeChat Pay only takes renminbi in these APIs.
pub const CURRENCY: &str = "CNY";

/// The trade type of a prepay (JSAPI, MWEB for H5, NATIVE, APP), with what each needs: it decides the API and
/// what comes back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TradeType {
    /// Inside WeChat (official-account page or mini program): needs the buyer's openid for the order's appid.
    Jsapi { openid: String },
    /// A mobile browser outside WeChat: needs the buyer's IP.
    H5 { payer_client_ip: String },
    /// A desktop browser: a QR code to scan.
    Native,
    /// A native app with the WeChat SDK.
    App,
}

/// An order as wxgate asks WeChat Pay to take it; money in integer fen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub appid: String,
    pub description: String,
    pub out_trade_no: String,
    pub total_fen: u64,
    pub notify_url: String,
    /// RFC 3339, e.g. `2026-11-21T12:00:00+08:00`.
    pub time_expire: Option<String>,
    pub attach: Option<String>,
    pub trade_type: TradeType,
}

/// What a prepay gives back, by trade type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Prepay {
    /// JSAPI and App: sign client-side parameters with it (see `params`).
    PrepayId(String),
    /// H5: send the mobile browser here.
    H5Url(String),
    /// Native: show this as a QR code.
    CodeUrl(String),
}

#[derive(Debug, Serialize)]
struct PrepayBody<'a> {
    appid: &'a str,
    mchid: &'a str,
    description: &'a str,
    out_trade_no: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    time_expire: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    attach: Option<&'a str>,
    notify_url: &'a str,
    amount: Amount<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    payer: Option<Payer<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    scene_info: Option<SceneInfo<'a>>,
}

#[derive(Debug, Serialize)]
struct Amount<'a> {
    total: u64,
    currency: &'a str,
}

#[derive(Debug, Serialize)]
struct Payer<'a> {
    openid: &'a str,
}

#[derive(Debug, Serialize)]
struct SceneInfo<'a> {
    payer_client_ip: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    h5_info: Option<H5Info>,
}

#[derive(Debug, Serialize)]
struct H5Info {
    #[serde(rename = "type")]
    kind: &'static str,
}

#[derive(Debug, Deserialize)]
struct PrepayAnswer {
    prepay_id: Option<String>,
    h5_url: Option<String>,
    code_url: Option<String>,
}

/// Places the order with WeChat Pay. Repeating it with the same out_trade_no and parameters is safe: WeChat
/// returns the same prepay.
pub async fn prepay(client: &PayClient, order: &OrderRequest) -> Result<Prepay, PayError> {
    let (path, payer, scene_info) = match &order.trade_type {
        TradeType::Jsapi { openid } => ("/v3/pay/transactions/jsapi", Some(Payer { openid }), None),
        TradeType::H5 { payer_client_ip } => (
            "/v3/pay/transactions/h5",
            None,
            Some(SceneInfo {
                payer_client_ip,
                h5_info: Some(H5Info { kind: "Wap" }),
            }),
        ),
        TradeType::Native => ("/v3/pay/transactions/native", None, None),
        TradeType::App => ("/v3/pay/transactions/app", None, None),
    };
    let body = PrepayBody {
        appid: &order.appid,
        mchid: client.mch_id(),
        description: &order.description,
        out_trade_no: &order.out_trade_no,
        time_expire: order.time_expire.as_deref(),
        attach: order.attach.as_deref(),
        notify_url: &order.notify_url,
        amount: Amount {
            total: order.total_fen,
            currency: CURRENCY,
        },
        payer,
        scene_info,
    };
    let answer: PrepayAnswer = client.post_json(path, &body).await?;
    let missing = |field: &str| PayError::Decode(format!("the prepay answer has no {field}"));
    Ok(match order.trade_type {
        TradeType::Jsapi { .. } | TradeType::App => {
            Prepay::PrepayId(answer.prepay_id.ok_or_else(|| missing("prepay_id"))?)
        }
        TradeType::H5 { .. } => Prepay::H5Url(answer.h5_url.ok_or_else(|| missing("h5_url"))?),
        TradeType::Native => Prepay::CodeUrl(answer.code_url.ok_or_else(|| missing("code_url"))?),
    })
}

/// A transaction as WeChat Pay reports it.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct Transaction {
    pub appid: String,
    pub mchid: String,
    pub out_trade_no: String,
    #[serde(default)]
    pub transaction_id: Option<String>,
    #[serde(default)]
    pub trade_type: Option<String>,
    /// SUCCESS, REFUND, NOTPAY, CLOSED, REVOKED, USERPAYING or PAYERROR.
    pub trade_state: String,
    #[serde(default)]
    pub trade_state_desc: String,
    #[serde(default)]
    pub bank_type: Option<String>,
    #[serde(default)]
    pub attach: Option<String>,
    #[serde(default)]
    pub success_time: Option<String>,
    #[serde(default)]
    pub payer: Option<TransactionPayer>,
    #[serde(default)]
    pub amount: Option<TransactionAmount>,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct TransactionPayer {
    #[serde(default)]
    pub openid: String,
}

#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct TransactionAmount {
    pub total: u64,
    #[serde(default)]
    pub payer_total: Option<u64>,
    #[serde(default)]
    pub currency: Option<String>,
    #[serde(default)]
    pub payer_currency: Option<String>,
}

impl Transaction {
    /// The buyer paid: SUCCESS, or REFUND (paid, then refunded, at WeChat Pay, perhaps before the merchant heard
    /// of the payment). Every other `trade_state` is a payment that did not happen (yet).
    pub fn is_paid(&self) -> bool {
        matches!(self.trade_state.as_str(), "SUCCESS" | "REFUND")
    }
}

/// Looks an order up by wxgate's out_trade_no.
pub async fn query_by_out_trade_no(
    client: &PayClient,
    out_trade_no: &str,
) -> Result<Transaction, PayError> {
    client
        .get_json(&format!(
            "/v3/pay/transactions/out-trade-no/{}?mchid={}",
            segment(out_trade_no),
            client.mch_id()
        ))
        .await
}

/// Looks an order up by WeChat's transaction_id.
pub async fn query_by_transaction_id(
    client: &PayClient,
    transaction_id: &str,
) -> Result<Transaction, PayError> {
    client
        .get_json(&format!(
            "/v3/pay/transactions/id/{}?mchid={}",
            segment(transaction_id),
            client.mch_id()
        ))
        .await
}

#[derive(Debug, Serialize)]
struct CloseBody<'a> {
    mchid: &'a str,
}

/// Closes an unpaid order (`ORDERPAID` if it was paid meanwhile). Closing twice is harmless.
pub async fn close(client: &PayClient, out_trade_no: &str) -> Result<(), PayError> {
    let path = format!(
        "/v3/pay/transactions/out-trade-no/{}/close",
        segment(out_trade_no)
    );
    client
        .post_no_content(
            &path,
            &CloseBody {
                mchid: client.mch_id(),
            },
        )
        .await
}

/// An id as one URL path segment.
pub(super) fn segment(id: &str) -> String {
    url::form_urlencoded::byte_serialize(id.as_bytes()).collect()
}
