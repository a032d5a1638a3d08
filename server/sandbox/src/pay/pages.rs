//! What the sandbox's payment pages share: finding the unpaid order a page is about, showing it (merchant,
//! description, amount in yuan), the "pay as" form with the persona picker, paying as the chosen persona exactly as
//! the control API does, and WeChat-like result and error pages.

use axum::response::{Html, IntoResponse, Response};

use super::bill_text::yuan;
use super::control::confirm_payment;
use super::ledger::{Order, TradeState};
use super::validate::TradeType;
use super::PaySandbox;
use crate::html::{escape, page, persona_choices};
use crate::Sandbox;

/// How a page names its order.
#[derive(Debug, Clone, Copy)]
pub enum Lookup<'a> {
    /// H5 and JSAPI: the prepay id.
    PrepayId(&'a str),
    /// Native: the `weixin://wxpay/bizpayurl?pr=…` link.
    CodeUrl(&'a str),
}

/// Why a page cannot take a payment; the text is what the person sees.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PageError {
    #[error("订单不存在 (no such order in the sandbox)")]
    Unknown,
    #[error("支付链接已失效，请返回商户重新下单 (this payment link has expired)")]
    Expired,
    #[error("该订单已支付 (this order is already paid)")]
    Paid,
    #[error("该订单已关闭 (this order is closed)")]
    Closed,
    #[error("订单已过支付截止时间 (this order passed its time_expire)")]
    PastTimeExpire,
    #[error("请选择付款的微信用户 (choose who pays)")]
    NoPersona,
    #[error("{0}")]
    Refused(String),
}

/// The unpaid order of `kind` that `lookup` names, placed less than `lifetime` seconds ago and not past its
/// `time_expire`.
pub fn payable_order(
    pay: &PaySandbox,
    lookup: Lookup<'_>,
    kind: TradeType,
    lifetime: i64,
    now: i64,
) -> Result<Order, PageError> {
    let ledger = pay.ledger();
    let order = ledger
        .orders
        .values()
        .filter(|order| order.kind == kind)
        .find(|order| match lookup {
            Lookup::PrepayId(id) => order.prepay_id == id,
            Lookup::CodeUrl(url) => order.code_urls.iter().any(|issued| issued == url),
        })
        .ok_or(PageError::Unknown)?;
    match order.state {
        TradeState::Success | TradeState::Refund => Err(PageError::Paid),
        TradeState::Closed => Err(PageError::Closed),
        TradeState::NotPay if order.is_expired(now) => Err(PageError::PastTimeExpire),
        TradeState::NotPay if now - order.link_issued_at > lifetime => Err(PageError::Expired),
        TradeState::NotPay => Ok(order.clone()),
    }
}

/// The merchant, what is bought and the amount.
pub fn order_card(order: &Order, mchid: &str) -> String {
    format!(
        r#"<p data-testid="merchant">沙盒商户 (sandbox merchant) {mchid}</p>
<div class="amount" data-testid="amount">¥{amount}</div>
<div class="rows"><div><span>商品</span><span data-testid="description">{description}</span></div>
<div><span>商户订单号</span><span>{out_trade_no}</span></div></div>"#,
        mchid = escape(mchid),
        amount = yuan(order.request.total),
        description = escape(&order.request.description),
        out_trade_no = escape(&order.request.out_trade_no),
    )
}

/// A form posting to `action` with `hidden` fields, the persona picker and the pay button.
pub fn pay_form(sandbox: &Sandbox, action: &str, hidden: &[(&str, &str)]) -> String {
    let fields: String = hidden
        .iter()
        .map(|(name, value)| {
            format!(
                r#"<input type="hidden" name="{}" value="{}">"#,
                escape(name),
                escape(value)
            )
        })
        .collect();
    let login = sandbox.login.lock();
    let first = login
        .personas
        .first()
        .map(|persona| persona.id.clone())
        .unwrap_or_default();
    format!(
        r#"<form method="post" action="{action}">{fields}<p>付款人 · who pays</p>{choices}
<button class="btn primary" data-testid="pay">立即支付</button></form>"#,
        action = escape(action),
        choices = persona_choices(&login.personas, &first),
    )
}

/// Pays `order` as `persona` (by the persona's openid in the order's app), as `POST /sandbox/pay/orders/{no}/pay`.
pub fn pay_as(sandbox: &Sandbox, order: &Order, persona: Option<&str>) -> Result<(), PageError> {
    let openid = {
        let login = sandbox.login.lock();
        let persona = persona
            .and_then(|id| login.persona(id))
            .ok_or(PageError::NoPersona)?;
        persona.openid(&order.request.appid)
    };
    confirm_payment(&sandbox.pay, &order.request.out_trade_no, Some(openid))
        .map(|_| ())
        .map_err(|error| PageError::Refused(error.to_string()))
}

/// WeChat's generic error page.
pub fn error_page(error: &PageError) -> Response {
    Html(page(
        "错误",
        &format!(
            "<h1>Oops! Something went wrong:(</h1><p class=\"error\" data-testid=\"error\">{}</p>",
            escape(&error.to_string())
        ),
    ))
    .into_response()
}

/// The result page after a payment.
pub fn paid_page(order: &Order) -> Response {
    Html(page(
        "支付成功",
        &format!(
            "<h1 data-testid=\"paid\">支付成功</h1><div class=\"amount\">¥{}</div><p>{}</p>",
            yuan(order.request.total),
            escape(&order.request.description)
        ),
    ))
    .into_response()
}
