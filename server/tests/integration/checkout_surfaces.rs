//! Browser checkout against the sandbox, one surface per buyer's place: a phone browser gets WeChat Pay's H5 page
//! (its IP from the connection, or from X-Forwarded-For only behind a trusted proxy, and WeChat's cashier opens only
//! for the browser at that IP), a desktop gets a `code_url`
//! that wxgate draws as an SVG QR, and the WeChat browser gets the pay bridge's parameters for the buyer's
//! official-account openid. Each is paid the way a person would in the sandbox and ends PAID.

use std::time::Duration;

use reqwest::header::{LOCATION, USER_AGENT};
use serde_json::{json, Value};

use crate::support::merchant::{browser, cashier_page};
use crate::support::{on_both_backends, Browser, TestDatabase, Wxgate, WECHAT_UA};

const PHONE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const DESKTOP_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0 Safari/537.36";

on_both_backends! {
    a_phone_pays_on_the_h5_page_and_a_desktop_scans_the_qr_wxgate_draws => a_phone_pays_on_the_h5_page_and_a_desktop_scans_the_qr_wxgate_draws;
    the_wechat_browser_pays_through_the_bridge_with_its_official_account_openid => the_wechat_browser_pays_through_the_bridge_with_its_official_account_openid;
    behind_a_proxy_it_does_not_trust_wxgate_names_the_proxy_and_the_cashier_refuses_it => behind_a_proxy_it_does_not_trust_wxgate_names_the_proxy_and_the_cashier_refuses_it;
}

/// The phone's address, as the proxy in front of wxgate forwards it.
const PHONE_IP: &str = "203.0.113.7";

/// `POST /api/payments/create` as a browser with `user_agent`, signed in with the bearer `token`.
async fn create(server: &Wxgate, token: &str, user_agent: &str, body: Value) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/api/payments/create"))
        .bearer_auth(token)
        .header(USER_AGENT, user_agent)
        .header("x-forwarded-for", PHONE_IP)
        .json(&body)
        .send()
        .await
        .expect("create");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn a_phone_pays_on_the_h5_page_and_a_desktop_scans_the_qr_wxgate_draws(
    database: TestDatabase,
) {
    let server = Wxgate::start(&database, &[("WXGATE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let token = server.mini_program_login("xiaoming").await;

    // A phone browser: H5, and asking again reuses the live h5_url.
    let (status, h5) = create(&server, &token, PHONE_UA, json!({ "product_id": "mug" })).await;
    assert_eq!(status, 200, "{h5}");
    let h5_url = h5["h5_url"].as_str().expect("h5_url").to_owned();
    assert!(h5_url.contains("/sandbox/pay/h5?prepay_id="), "{h5_url}");
    assert!(h5.get("code_url").is_none() && h5.get("jsapi").is_none());
    let order_id = h5["order_id"].as_str().expect("order id").to_owned();
    let (_, again) = create(&server, &token, PHONE_UA, json!({ "order_id": order_id })).await;
    assert_eq!(again["h5_url"], h5["h5_url"]);

    // The phone comes to WeChat's cashier from wxgate's order page, which its Referer names, through the same proxy;
    // another browser with the link is not the payer wxgate named.
    let order_page = server.url(&format!("/orders/{order_id}"));
    let elsewhere = cashier_page(&h5_url, &[("Referer", &order_page)]).await;
    assert!(
        elsewhere.contains("网络环境未能通过安全验证"),
        "{elsewhere}"
    );
    let cashier = cashier_page(
        &h5_url,
        &[("Referer", &order_page), ("x-forwarded-for", PHONE_IP)],
    )
    .await;
    assert!(cashier.contains("¥39.00"), "{cashier}");
    let prepay_id = url::Url::parse(&h5_url)
        .expect("url")
        .query_pairs()
        .find(|(name, _)| name == "prepay_id")
        .map(|(_, value)| value.into_owned())
        .expect("prepay_id");
    let back = server.url(&format!("/orders/{order_id}?returned=1"));
    let paid = browser()
        .post(server.url("/sandbox/pay/h5"))
        .header("x-forwarded-for", PHONE_IP)
        .form(&[
            ("prepay_id", prepay_id.as_str()),
            ("persona", "xiaoming"),
            ("redirect_url", &back),
        ])
        .send()
        .await
        .expect("pay");
    assert!(paid.status().is_redirection(), "{}", paid.status());
    assert_eq!(paid.headers()[LOCATION].to_str().expect("location"), back);
    server.until_order_status(&token, &order_id, "PAID").await;

    // A desktop: a code_url, drawn by wxgate as an SVG QR while the order can be paid.
    let (status, native) = create(
        &server,
        &token,
        DESKTOP_UA,
        json!({ "product_id": "green-tea" }),
    )
    .await;
    assert_eq!(status, 200, "{native}");
    let code_url = native["code_url"].as_str().expect("code_url").to_owned();
    assert!(
        code_url.starts_with("weixin://wxpay/bizpayurl?pr="),
        "{code_url}"
    );
    let order_id = native["order_id"].as_str().expect("order id").to_owned();
    let qr = |token: String| {
        let url = server.url(&format!("/api/orders/{order_id}/qr.svg"));
        async move {
            let mut request = reqwest::Client::new().get(url);
            if !token.is_empty() {
                request = request.bearer_auth(token);
            }
            request.send().await.expect("qr")
        }
    };
    let drawn = qr(token.clone()).await;
    assert_eq!(drawn.status(), 200);
    assert_eq!(drawn.headers()["content-type"], "image/svg+xml");
    assert!(drawn.text().await.expect("svg").starts_with("<?xml"));
    assert_eq!(
        qr(String::new()).await.status(),
        401,
        "only the buyer sees the QR"
    );
    let stranger = server.mini_program_login("xiaohong").await;
    assert_eq!(
        qr(stranger).await.status(),
        404,
        "someone else's order does not exist"
    );

    let scanned = Browser::new(Some(WECHAT_UA))
        .post_form(
            &server.url("/sandbox/pay/scan"),
            &[("code_url", &code_url), ("persona", "xiaoming")],
        )
        .await;
    assert_eq!(scanned.status(), 200);
    assert!(scanned.text().await.expect("html").contains("支付成功"));
    let order = server.until_order_status(&token, &order_id, "PAID").await;
    assert_eq!(order["surface"], "native");
    assert_eq!(
        qr(token.clone()).await.status(),
        409,
        "a paid order has no QR"
    );
}

/// Signs the WeChat browser in through the official account (silent snsapi_base, as the sandbox's first persona).
pub(crate) async fn official_account_login(server: &Wxgate) -> Browser {
    let browser = Browser::new(Some(WECHAT_UA));
    let mut next = browser
        .get(&server.url("/api/auth/wechat/oauth/start?scope=base&next=%2Faccount"))
        .await;
    for _ in 0..4 {
        if !next.status().is_redirection() {
            break;
        }
        let location = next.headers()[LOCATION].to_str().expect("location");
        let target = next.url().join(location).expect("url");
        if target.path() == "/account" {
            return browser;
        }
        next = browser.get(target.as_str()).await;
    }
    panic!(
        "the official-account login did not come back: {}",
        next.status()
    );
}

async fn the_wechat_browser_pays_through_the_bridge_with_its_official_account_openid(
    database: TestDatabase,
) {
    let server = Wxgate::start(&database, &[]).await;
    let browser = official_account_login(&server).await;
    let created = browser
        .post_json(
            &server.url("/api/payments/create"),
            &json!({ "product_id": "coffee-beans", "quantity": 2 }),
        )
        .await;
    assert_eq!(created.status(), 200);
    let created: Value = created.json().await.expect("json");
    let params = &created["jsapi"];
    for field in [
        "appId",
        "timeStamp",
        "nonceStr",
        "package",
        "signType",
        "paySign",
    ] {
        assert!(params[field].is_string(), "{field} missing from {created}");
    }

    // What the sandbox's pay bridge does when the page calls getBrandWCPayRequest, then the buyer's confirmation.
    let bridge = |path: &str, body: Value| {
        let url = server.url(path);
        async move {
            let response = reqwest::Client::new()
                .post(url)
                .header("content-type", "text/plain")
                .body(body.to_string())
                .send()
                .await
                .expect("bridge");
            let status = response.status().as_u16();
            (
                status,
                response.json::<Value>().await.unwrap_or(Value::Null),
            )
        }
    };
    let (status, sheet) = bridge("/sandbox/pay/jsapi/check", params.clone()).await;
    assert_eq!(status, 200, "the sandbox accepts wxgate's paySign: {sheet}");
    assert_eq!(sheet["amount"], "136.00");
    let mut confirmation = params.clone();
    confirmation["persona"] = sheet["payer"].clone();
    let (status, confirmed) = bridge("/sandbox/pay/jsapi/confirm", confirmation).await;
    assert_eq!(status, 200, "{confirmed}");

    let order_id = created["order_id"].as_str().expect("order id");
    for _ in 0..50 {
        let order: Value = browser
            .get(&server.url(&format!("/api/orders/{order_id}")))
            .await
            .json()
            .await
            .expect("order");
        if order["status"] == "PAID" {
            assert_eq!(order["surface"], "jsapi");
            assert_eq!(order["total_fen"], 13600);
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the bridge payment never made the order PAID");
}

/// wxgate behind a proxy it was not told to trust sends the proxy's (loopback) address as the payer's, the mistake
/// WeChat answers with "网络环境未能通过安全验证"; the sandbox's cashier answers it the same way.
async fn behind_a_proxy_it_does_not_trust_wxgate_names_the_proxy_and_the_cashier_refuses_it(
    database: TestDatabase,
) {
    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("xiaoming").await;
    let (status, h5) = create(&server, &token, PHONE_UA, json!({ "product_id": "mug" })).await;
    assert_eq!(status, 200, "{h5}");
    let order_id = h5["order_id"].as_str().expect("order id");
    let cashier = reqwest::Client::new()
        .get(h5["h5_url"].as_str().expect("h5_url"))
        .header("Referer", server.url(&format!("/orders/{order_id}")))
        .header("x-forwarded-for", PHONE_IP)
        .send()
        .await
        .expect("cashier")
        .text()
        .await
        .expect("html");
    assert!(cashier.contains("网络环境未能通过安全验证"), "{cashier}");
    assert!(cashier.contains("WXGATE_TRUSTED_PROXIES"), "{cashier}");
}
