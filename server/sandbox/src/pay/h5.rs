//! The H5 cashier behind `h5_url` (`/sandbox/pay/h5?prepay_id=…`): the page a mobile browser outside WeChat is sent
//! to. It shows the order, lets a persona pay, then follows `redirect_url` when the merchant appended one, as WeChat
//! does; otherwise it says 支付成功. The link lives five minutes.
//!
//! Doc: the H5 guide <https://pay.weixin.qq.com/docs/merchant/products/h5-payment/development.html> (`h5_url` lives
//! 5 minutes, a repeat prepay renews it; the merchant may append `&redirect_url=` URL-encoded, and the cashier
//! returns there after paying or cancelling). The cashier opens only when the browser comes from a page of the
//! merchant's H5 payment domain: an empty `Referer`, or one elsewhere, is refused with "商家参数格式有误，请联系商家
//! 解决", as WeChat refuses it (the guide's FAQ on that message). The domains are the merchant platform's setting:
//! here `localhost`, `127.0.0.1` and the host the sandbox is reached at, changed through the control API.
//!
//! The browser must also be the payer the merchant named: WeChat compares the address the cashier is opened from
//! with the order's `scene_info.payer_client_ip` and refuses with "网络环境未能通过安全验证，请稍后再试" when they
//! differ (the same FAQ). A loopback payer address is what a merchant behind a reverse proxy sends when it takes the
//! proxy's address for the payer's; WeChat never sees a loopback browser, so the sandbox refuses one whenever the
//! cashier is reached through a proxy (the request carries `X-Forwarded-For`). A browser on the sandbox's own
//! machine, with nothing in between, is the one case a loopback payer is real.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::header::REFERER;
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::clock;
use super::ledger::Order;
use super::pages::{self, Lookup, PageError};
use super::validate::TradeType;
use crate::browser_address::BrowserAddress;
use crate::html::{escape, page};
use crate::Sandbox;

/// `h5_url` works this long after prepay.
const H5_LIFETIME: i64 = 5 * 60;

type Params = HashMap<String, String>;

/// `redirect_url` when present: it must be an http(s) URL.
fn redirect_url(params: &Params) -> Result<Option<String>, PageError> {
    match params.get("redirect_url").filter(|url| !url.is_empty()) {
        None => Ok(None),
        Some(url) => match url::Url::parse(url) {
            Ok(parsed) if matches!(parsed.scheme(), "http" | "https") => Ok(Some(url.clone())),
            _ => Err(PageError::Refused(
                "redirect_url 参数错误 (it must be an http or https URL, URL-encoded)".to_owned(),
            )),
        },
    }
}

/// The H5 domains a sandbox reached at `wechat_base` starts with: a merchant on this machine, and the host the
/// sandbox is reached at (`wxgate serve`'s own host when it is mounted there).
pub(crate) fn default_domains(wechat_base: &str) -> Vec<String> {
    let mut domains = vec!["localhost".to_owned(), "127.0.0.1".to_owned()];
    if let Some(host) = url::Url::parse(wechat_base)
        .ok()
        .and_then(|url| url.host_str().map(str::to_owned))
    {
        if !domains.contains(&host) {
            domains.push(host);
        }
    }
    domains
}

/// The browser came from a page on one of `domains` (or a subdomain of one).
fn from_h5_domain(headers: &HeaderMap, domains: &[String]) -> Result<(), PageError> {
    let refused =
        |why: &str| PageError::Refused(format!("商家参数格式有误，请联系商家解决 ({why})"));
    let referer = headers
        .get(REFERER)
        .and_then(|value| value.to_str().ok())
        .filter(|value| !value.is_empty())
        .ok_or_else(|| {
            refused("the request has no Referer: open h5_url from the merchant's page")
        })?;
    let host = url::Url::parse(referer)
        .ok()
        .and_then(|url| url.host_str().map(str::to_ascii_lowercase))
        .ok_or_else(|| refused("the Referer is not a URL"))?;
    let on_domain = domains
        .iter()
        .any(|domain| host == *domain || host.ends_with(&format!(".{domain}")));
    if on_domain {
        Ok(())
    } else {
        Err(refused(&format!(
            "the Referer's host {host} is not one of the merchant's H5 domains ({})",
            domains.join(", ")
        )))
    }
}

/// The browser at `browser` is the payer `order` names (see the module's note on loopback payers).
fn from_payer_address(
    order: &Order,
    browser: IpAddr,
    headers: &HeaderMap,
) -> Result<(), PageError> {
    let refused =
        |why: String| PageError::Refused(format!("网络环境未能通过安全验证，请稍后再试 ({why})"));
    let named = order.request.payer_client_ip.as_deref().unwrap_or_default();
    let payer = named
        .parse::<IpAddr>()
        .map(|ip| ip.to_canonical())
        .map_err(|_| refused(format!("payer_client_ip `{named}` is not an IP address")))?;
    if payer.is_loopback() && headers.contains_key("x-forwarded-for") {
        return Err(refused(format!(
            "payer_client_ip {payer} is a loopback address and this browser came through a proxy: the merchant \
             sent its proxy's address, not the payer's (wxgate takes it from X-Forwarded-For only from \
             WXGATE_TRUSTED_PROXIES)"
        )));
    }
    let browser = browser.to_canonical();
    if payer == browser {
        Ok(())
    } else {
        Err(refused(format!(
            "payer_client_ip {payer} is not the address this browser opens the cashier from, {browser}"
        )))
    }
}

/// The unpaid H5 order `prepay_id` names, opened by its payer.
fn payable_by(
    sandbox: &Sandbox,
    prepay_id: &str,
    browser: IpAddr,
    headers: &HeaderMap,
) -> Result<Order, PageError> {
    let order = pages::payable_order(
        &sandbox.pay,
        Lookup::PrepayId(prepay_id),
        TradeType::H5,
        H5_LIFETIME,
        clock::now_unix(),
    )?;
    from_payer_address(&order, browser, headers)?;
    Ok(order)
}

/// `GET /sandbox/pay/h5?prepay_id=…[&redirect_url=…]`: the cashier.
pub async fn cashier(
    State(sandbox): State<Arc<Sandbox>>,
    BrowserAddress(browser): BrowserAddress,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let domains = sandbox.pay.platform().h5_domains.clone();
    if let Err(error) = from_h5_domain(&headers, &domains) {
        return pages::error_page(&error);
    }
    let prepay_id = params.get("prepay_id").map_or("", String::as_str);
    let order = redirect_url(&params).and_then(|redirect| {
        payable_by(&sandbox, prepay_id, browser, &headers).map(|order| (order, redirect))
    });
    let (order, redirect) = match order {
        Ok(found) => found,
        Err(error) => return pages::error_page(&error),
    };
    let mut hidden = vec![("prepay_id", prepay_id)];
    if let Some(redirect) = &redirect {
        hidden.push(("redirect_url", redirect));
    }
    let cancel = redirect.as_deref().map_or(String::new(), |redirect| {
        format!(
            r#"<a class="btn default" href="{}" data-testid="cancel">取消支付</a>"#,
            escape(redirect)
        )
    });
    let body = format!(
        "<h1>微信支付</h1>{}{}{cancel}",
        pages::order_card(&order, &sandbox.pay.merchant.mchid),
        pages::pay_form(&sandbox, "h5", &hidden)
    );
    Html(page("微信支付", &body)).into_response()
}

/// `POST /sandbox/pay/h5` (`prepay_id`, `persona`, `redirect_url`?): pays, then returns to the merchant.
pub async fn pay(
    State(sandbox): State<Arc<Sandbox>>,
    BrowserAddress(browser): BrowserAddress,
    headers: HeaderMap,
    Form(form): Form<Params>,
) -> Response {
    let prepay_id = form.get("prepay_id").map_or("", String::as_str);
    let paid = redirect_url(&form).and_then(|redirect| {
        let order = payable_by(&sandbox, prepay_id, browser, &headers)?;
        pages::pay_as(&sandbox, &order, form.get("persona").map(String::as_str))?;
        Ok((order, redirect))
    });
    match paid {
        Ok((_, Some(redirect))) => Redirect::to(&redirect).into_response(),
        Ok((order, None)) => pages::paid_page(&order),
        Err(error) => pages::error_page(&error),
    }
}
