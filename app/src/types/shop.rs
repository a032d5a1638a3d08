//! What the shop's pages and server functions exchange: products, orders, the next step of a payment, the WeChat
//! page configuration, and the reasons a payment action can fail. Money is [`Fen`] everywhere.

use serde::{Deserialize, Serialize};

use super::channel::PayChannel;
use super::money::Fen;
use super::shipping::{Goods, ShipmentSummary, ShippingLine};
use super::status::{OrderStatus, ReconciliationOutcome, RefundStatus};
use crate::lang::Lang;
pub use wechat::pay::params::JsapiPayParams;

/// At most this many of one product in an order.
pub const MAX_QUANTITY: i64 = 99;

/// A product on sale.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct Product {
    pub id: String,
    pub name: String,
    pub description: String,
    pub price_fen: Fen,
    /// Virtual goods are reported shipped to WeChat at once; physical goods once an admin dispatches them.
    pub goods: Goods,
}

/// One order in a list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderSummary {
    pub order_id: String,
    pub description: String,
    pub total_fen: Fen,
    pub status: OrderStatus,
    /// Unix seconds.
    pub created_at: i64,
}

/// An order as its page and `GET /api/orders/{order_id}` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct OrderDetail {
    pub order_id: String,
    pub out_trade_no: String,
    pub description: String,
    pub total_fen: Fen,
    pub status: OrderStatus,
    /// How it is being paid; none before a payment was asked for. Named `surface` on the wire, as it always was.
    #[serde(rename = "surface")]
    pub channel: Option<PayChannel>,
    /// Unix seconds.
    pub created_at: i64,
    pub paid_at: Option<i64>,
    /// A payment arrived that did not match this order; a person should look.
    pub flagged: bool,
    /// WeChat Pay took the buyer's money after the order was closed here: it must be refunded.
    pub paid_after_closing: bool,
    /// Whether the buyer can still pay it (unpaid and not expired).
    pub payable: bool,
    pub refunds: Vec<RefundLine>,
    /// What is left to refund, for an admin looking at a paid order (or one paid after closing).
    pub refundable_fen: Option<Fen>,
    /// The shipping information WeChat is told of, for a paid mini-program order.
    pub shipping: Option<ShippingLine>,
    /// The product's page to go back to once paid (an order of a checkout the product's backend made).
    pub success_url: Option<String>,
    /// The product's page to go back to without paying.
    pub cancel_url: Option<String>,
}

/// One refund of an order.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct RefundLine {
    pub out_refund_no: String,
    pub refund_fen: Fen,
    pub status: RefundStatus,
    pub reason: Option<String>,
}

/// What the buyer's page does next to pay.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PaymentStep {
    /// Inside WeChat: hand these to the pay bridge (`getBrandWCPayRequest`); signed by the server.
    Bridge(JsapiPayParams),
    /// A phone browser: go to WeChat Pay's H5 page, which comes back to the order page.
    Redirect(String),
    /// A desktop: show the order's QR (an SVG the server draws from `code_url`).
    Qr {
        /// The image to show.
        image: String,
        /// In sandbox mode, the sandbox's "phone" page for this QR, since no real phone can scan it.
        sandbox_scan: Option<String>,
    },
}

/// What a page inside WeChat needs for `wx.config` and its share card.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WeChatPageConfig {
    /// WeChat's JS-SDK, or the sandbox's stand-in in sandbox mode.
    pub script: String,
    pub app_id: String,
    pub timestamp: String,
    pub nonce_str: String,
    pub signature: String,
    pub share: ShareCard,
}

/// How the page looks when shared to a chat or to Moments.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ShareCard {
    pub title: String,
    pub desc: String,
    pub link: String,
    pub img_url: String,
}

/// What the admin page shows: orders paid after closing that are still to refund, mini-program shipments to dispatch
/// or failing, the most recent orders, the catalogue and the latest days checked against WeChat Pay's trade bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdminOverview {
    /// Orders WeChat Pay took money for after they were closed here, with money not yet refunded: refund them.
    pub paid_after_closing: Vec<OrderSummary>,
    /// Shipments waiting for express details, being retried, or given up on, oldest first.
    pub shipments: Vec<ShipmentSummary>,
    pub orders: Vec<OrderSummary>,
    pub products: Vec<Product>,
    pub reconciliations: Vec<ReconciliationSummary>,
    /// The events for the product and their deliveries.
    pub events: crate::types::events::EventsOverview,
}

/// One China day checked against WeChat Pay's trade bill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ReconciliationSummary {
    pub bill_date: String,
    pub outcome: ReconciliationOutcome,
    pub payments: i64,
    pub refunds: i64,
    /// The differences, or why the check failed.
    pub findings: Vec<String>,
}

/// Why a shop action did not happen, as a page can say it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum ShopProblem {
    SignIn,
    NotEnabled,
    BadInput,
    UnknownProduct,
    UnknownOrder,
    /// Signed in another way than the one this payment needs (e.g. no official-account identity inside WeChat).
    NoPayer,
    NotPayable,
    Forbidden,
    NotRefundable,
    /// The buyer has too many unpaid orders open, or made too many just now.
    TooManyOrders,
    /// WeChat Pay said no (e.g. the refund is more than what is left).
    Refused,
    /// WeChat Pay did not answer.
    WeChatPayBusy,
    /// The order's shipping cannot take this now (virtual goods, or already reported).
    NotShippable,
    /// WeChat (not WeChat Pay) did not answer.
    WeChatBusy,
    Internal,
}

impl ShopProblem {
    /// The sentence a person reads.
    pub fn sentence(self, lang: Lang) -> &'static str {
        match self {
            ShopProblem::SignIn => lang.pick("请先登录。", "Please sign in first."),
            ShopProblem::NotEnabled => lang.pick(
                "这个网站还没有开通微信支付。",
                "WeChat Pay is not set up on this site yet.",
            ),
            ShopProblem::BadInput => lang.pick(
                "填写的内容有误，请检查后重试。",
                "Something you entered is not right; please check it and try again.",
            ),
            ShopProblem::UnknownProduct => {
                lang.pick("这件商品已下架。", "This product is no longer on sale.")
            }
            ShopProblem::UnknownOrder => {
                lang.pick("找不到这个订单。", "This order cannot be found.")
            }
            ShopProblem::NoPayer => lang.pick(
                "请在本页面用微信登录后再支付。",
                "Sign in with WeChat on this page before paying.",
            ),
            ShopProblem::NotPayable => lang.pick(
                "这个订单已经不能支付了。",
                "This order can no longer be paid.",
            ),
            ShopProblem::Forbidden => {
                lang.pick("只有管理员可以这样做。", "Only an admin can do this.")
            }
            ShopProblem::NotRefundable => lang.pick(
                "只有已支付的订单可以退款。",
                "Only a paid order can be refunded.",
            ),
            ShopProblem::TooManyOrders => lang.pick(
                "未支付的订单太多了，请先支付或稍后再下单。",
                "You have too many unpaid orders; pay one or try again a little later.",
            ),
            ShopProblem::Refused => lang.pick(
                "微信支付拒绝了这个请求，例如退款金额超过了可退金额。",
                "WeChat Pay refused this, for example a refund larger than what is left.",
            ),
            ShopProblem::WeChatPayBusy => lang.pick(
                "微信支付暂时没有响应，请稍后重试。",
                "WeChat Pay is not answering right now; please try again shortly.",
            ),
            ShopProblem::NotShippable => lang.pick(
                "这个订单的发货信息现在不能这样修改。",
                "This order's shipping cannot be changed that way now.",
            ),
            ShopProblem::WeChatBusy => lang.pick(
                "微信暂时没有响应，请稍后重试。",
                "WeChat is not answering right now; please try again shortly.",
            ),
            ShopProblem::Internal => lang.pick(
                "服务出了点问题，请稍后重试。",
                "Something went wrong on our side; please try again shortly.",
            ),
        }
    }
}
