//! The shop's checkout: an order priced by the server from a catalogue product and a quantity (never an amount from
//! the client; a checkout of one line, as every order is), and an order's payment on the buyer's channel — reusing
//! the order's live prepay instead of making a second order at WeChat.

use super::checkouts;
use super::merchant::pay_client_of;
use super::PaymentError;
use crate::ssr::cause::Cause;
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;
use crate::ssr::db::checkouts::CheckoutLine;
use crate::ssr::db::OrderRow;
use crate::types::channel::PayChannel;
use crate::types::shop::MAX_QUANTITY;
use crate::types::status::OrderStatus;
use wechat::clock::rfc3339_china;
use wechat::pay::client::PayClient;
use wechat::pay::params::JsapiPayParams;
use wechat::pay::transactions::{self, OrderRequest, Prepay, TradeType};

/// A prepay is reused while it has this much life left (h5_url lives 5 minutes, prepay_id and code_url 2 hours).
const PREPAY_MARGIN: i64 = 30;

/// Where the buyer pays from, with what its channel needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PayFrom {
    /// `wx.requestPayment` in the mini program.
    MiniProgram,
    /// The pay bridge in the WeChat browser (official account).
    WeChatBrowser,
    /// A phone browser outside WeChat.
    H5 { client_ip: String },
    /// A desktop browser: a QR to scan.
    Native,
}

impl PayFrom {
    /// The channel the order is paid through from here.
    pub fn channel(&self) -> PayChannel {
        match self {
            PayFrom::MiniProgram => PayChannel::MiniProgram,
            PayFrom::WeChatBrowser => PayChannel::WeChatBrowser,
            PayFrom::H5 { .. } => PayChannel::H5,
            PayFrom::Native => PayChannel::Native,
        }
    }
}

/// What the buyer's page or app needs to pay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Payment {
    Jsapi(JsapiPayParams),
    H5Url(String),
    CodeUrl(String),
}

/// A new order of `quantity` × `product_id` for `user_id` (the account it was merged into, if it was), priced from
/// the catalogue: a checkout of that one line, made into the buyer's order at once.
pub async fn create_order(
    context: &AppContext,
    user_id: &str,
    product_id: &str,
    quantity: i64,
) -> Result<OrderRow, PaymentError> {
    pay_client_of(context)?;
    if !(1..=MAX_QUANTITY).contains(&quantity) {
        return Err(PaymentError::BadRequest("quantity (1 to 99)"));
    }
    let buyer = context
        .db
        .user(user_id)
        .await?
        .ok_or(PaymentError::Unauthenticated)?;
    within_order_limits(context, &buyer.id).await?;
    let product = context
        .db
        .product(product_id)
        .await?
        .ok_or(PaymentError::UnknownProduct)?;
    let line = CheckoutLine {
        product_id: product.id,
        name: product.name,
        unit_fen: product.price_fen,
        quantity,
        goods: product.goods,
    };
    let checkout = checkouts::new_checkout(
        vec![line],
        None,
        Some(buyer.id.clone()),
        now() + context.settings.order_ttl_seconds,
    )?;
    context.db.create_checkout(&checkout, None).await?;
    // Nobody else knows of the checkout yet, so nobody can have ordered it meanwhile.
    checkouts::make_order(context, &checkout, &buyer.id)
        .await?
        .ok_or_else(|| {
            PaymentError::Internal(Cause::new("a checkout just made was ordered elsewhere"))
        })
}

/// A buyer makes at most `WXGATE_ORDERS_PER_MINUTE` orders a minute and has at most `WXGATE_MAX_OPEN_ORDERS`
/// unpaid ones open at once, counted in the database so the bounds hold across processes.
pub(super) async fn within_order_limits(
    context: &AppContext,
    buyer_id: &str,
) -> Result<(), PaymentError> {
    let limits = &context.settings.order_limits;
    let now = now();
    let made = context
        .db
        .orders_made_since(buyer_id, now - 60, limits.per_minute)
        .await?;
    if made >= limits.per_minute {
        return Err(PaymentError::TooManyOrders);
    }
    let open = context
        .db
        .open_unpaid_orders_of(buyer_id, now, limits.open_unpaid)
        .await?;
    if open >= limits.open_unpaid {
        return Err(PaymentError::TooManyOrders);
    }
    Ok(())
}

/// The payment of `order` from `from`: the live prepay if the order has one on that channel, else a new prepay at
/// WeChat.
pub async fn pay(
    context: &AppContext,
    order: &OrderRow,
    from: &PayFrom,
) -> Result<Payment, PaymentError> {
    let client = pay_client_of(context)?;
    if !order.is_payable(now()) {
        return Err(PaymentError::NotPayable(order.status.to_string()));
    }
    let (appid, trade_type) = match from {
        PayFrom::MiniProgram | PayFrom::WeChatBrowser => {
            let (app, name) = match from {
                PayFrom::MiniProgram => (&context.wechat.mini_program, "mini program"),
                _ => (&context.wechat.official_account, "official account"),
            };
            let appid = app
                .as_ref()
                .map(|app| app.credentials.appid.to_string())
                .ok_or(PaymentError::NoPayer(name))?;
            let openid = context
                .db
                .identities(&order.user_id)
                .await?
                .into_iter()
                .find(|identity| identity.appid == appid)
                .map(|identity| identity.openid)
                .ok_or(PaymentError::NoPayer(name))?;
            (appid, TradeType::Jsapi { openid })
        }
        PayFrom::H5 { client_ip } => (
            pay_appid(context)?,
            TradeType::H5 {
                payer_client_ip: client_ip.clone(),
            },
        ),
        PayFrom::Native => (pay_appid(context)?, TradeType::Native),
    };

    let prepay = match live_prepay(order, from.channel(), PREPAY_MARGIN) {
        Some(prepay) => prepay.to_owned(),
        None => {
            let request = OrderRequest {
                appid: appid.clone(),
                description: order.description.clone(),
                out_trade_no: order.out_trade_no.clone(),
                total_fen: order
                    .total_fen
                    .to_wechat()
                    .ok_or(PaymentError::BadRequest("amount"))?,
                notify_url: notify_url(context)?,
                // WeChat Pay refuses the payment after the order's own expiry, so a buyer cannot pay an order the
                // sweeper is about to close.
                time_expire: Some(rfc3339_china(order.expires_at)),
                attach: None,
                trade_type: trade_type.clone(),
            };
            let (prepay, lifetime) = match transactions::prepay(client, &request).await? {
                Prepay::PrepayId(id) => (id, 2 * 60 * 60),
                Prepay::H5Url(url) => (url, 5 * 60),
                Prepay::CodeUrl(url) => (url, 2 * 60 * 60),
            };
            let kept = context
                .db
                .set_prepay(&order.id, from.channel(), &appid, &prepay, now() + lifetime)
                .await?;
            if !kept {
                return Err(paid_or_closed_meanwhile(context, client, order).await);
            }
            prepay
        }
    };
    Ok(match trade_type {
        TradeType::Jsapi { .. } | TradeType::App => {
            Payment::Jsapi(JsapiPayParams::sign(client, &appid, &prepay)?)
        }
        TradeType::H5 { .. } => Payment::H5Url(prepay),
        TradeType::Native => Payment::CodeUrl(prepay),
    })
}

/// Why a prepay just made is not handed out: the order was paid or closed while WeChat answered. A closed order is
/// closed at WeChat Pay too, so nobody can pay the prepay that came back.
async fn paid_or_closed_meanwhile(
    context: &AppContext,
    client: &PayClient,
    order: &OrderRow,
) -> PaymentError {
    let status = match context.db.order(&order.id).await {
        Ok(Some(current)) => current.status,
        Ok(None) => return PaymentError::UnknownOrder,
        Err(error) => return error.into(),
    };
    if status == OrderStatus::Closed {
        if let Err(error) = transactions::close(client, &order.out_trade_no).await {
            tracing::warn!(%error, out_trade_no = %order.out_trade_no, "the order closed while its prepay was made could not be closed at WeChat Pay");
        }
    }
    tracing::info!(out_trade_no = %order.out_trade_no, %status, "the order changed while its prepay was made; the prepay is not handed out");
    PaymentError::NotPayable(status.to_string())
}

/// The order's prepay on `channel` while it still has `margin` seconds to live.
fn live_prepay(order: &OrderRow, channel: PayChannel, margin: i64) -> Option<&str> {
    (order.channel == Some(channel) && order.prepay_expires_at > now() + margin)
        .then_some(order.prepay.as_deref())
        .flatten()
}

/// The `code_url` to draw as the order's QR: its Native prepay, while the order is unpaid and the code works.
pub fn live_code_url(order: &OrderRow) -> Option<&str> {
    order
        .is_payable(now())
        .then(|| live_prepay(order, PayChannel::Native, 0))
        .flatten()
}

fn pay_appid(context: &AppContext) -> Result<String, PaymentError> {
    context
        .settings
        .pay
        .as_ref()
        .map(|pay| pay.app_id.to_string())
        .ok_or(PaymentError::NotEnabled)
}

fn notify_url(context: &AppContext) -> Result<String, PaymentError> {
    context
        .settings
        .pay
        .as_ref()
        .map(|pay| pay.notify_url.to_string())
        .ok_or(PaymentError::NotEnabled)
}
