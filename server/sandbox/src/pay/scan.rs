//! Native "scan to pay": `/sandbox/pay/scan?code_url=weixin://wxpay/bizpayurl?pr=…` is what the phone shows after
//! scanning an order's `code_url` (a person "scans" by opening the link), and `/sandbox/pay/qr?code_url=…` draws a
//! real QR code whose content is that link, for a desktop page to show or a phone to scan.
//!
//! Doc: the Native guide <https://pay.weixin.qq.com/docs/merchant/products/native-payment/development.html>
//! (`code_url` lives 2 hours; the merchant renders it as a QR code).

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::response::{Html, IntoResponse, Response};

use super::pages::{self, Lookup};
use super::validate::TradeType;
use super::{clock, orders};
use crate::html::{escape, page, qr_svg};
use crate::Sandbox;

/// `code_url` works this long after prepay.
const CODE_URL_LIFETIME: i64 = 2 * 60 * 60;

type Params = HashMap<String, String>;

fn code_url(params: &Params) -> &str {
    params.get("code_url").map_or("", String::as_str)
}

/// `GET /sandbox/pay/scan?code_url=…`: the phone's pay page for a Native order.
pub async fn scan_page(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Query<Params>,
) -> Response {
    let code_url = code_url(&params);
    let order = match pages::payable_order(
        &sandbox.pay,
        Lookup::CodeUrl(code_url),
        TradeType::Native,
        CODE_URL_LIFETIME,
        clock::now_unix(),
    ) {
        Ok(order) => order,
        Err(error) => return pages::error_page(&error),
    };
    let body = format!(
        "<h1>微信支付</h1>{}{}",
        pages::order_card(&order, &sandbox.pay.merchant.mchid),
        pages::pay_form(&sandbox, "scan", &[("code_url", code_url)])
    );
    Html(page("微信支付", &body)).into_response()
}

/// `POST /sandbox/pay/scan` (`code_url`, `persona`): pays, then says 支付成功.
pub async fn pay(State(sandbox): State<Arc<Sandbox>>, Form(form): Form<Params>) -> Response {
    let paid = pages::payable_order(
        &sandbox.pay,
        Lookup::CodeUrl(code_url(&form)),
        TradeType::Native,
        CODE_URL_LIFETIME,
        clock::now_unix(),
    )
    .and_then(|order| {
        pages::pay_as(&sandbox, &order, form.get("persona").map(String::as_str))?;
        Ok(order)
    });
    match paid {
        Ok(order) => pages::paid_page(&order),
        Err(error) => pages::error_page(&error),
    }
}

/// `GET /sandbox/pay/qr?code_url=…`: a QR code of the scan page's link, and the link itself to click.
pub async fn qr_page(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Query<Params>,
) -> Response {
    let code_url = code_url(&params);
    if !code_url.starts_with("weixin://wxpay/bizpayurl?") {
        return pages::error_page(&pages::PageError::Unknown);
    }
    let query = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("code_url", code_url)
        .finish();
    let link = format!(
        "{}/sandbox{}?{query}",
        orders::control_base(&sandbox.wechat_base),
        crate::PAY_SCAN_PATH
    );
    let body = format!(
        r#"<h1>微信扫一扫</h1><div class="qr" data-testid="qr">{qr}</div><p>{code}</p>
<a class="btn default" href="{link}" data-testid="scan-link">在“手机”上打开 (open the phone page)</a>"#,
        qr = qr_svg(&link),
        code = escape(code_url),
        link = escape(&link),
    );
    Html(page("微信支付", &body)).into_response()
}
