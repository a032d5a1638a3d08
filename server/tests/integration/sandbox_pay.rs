//! The WeChat Pay sandbox at the protocol level, judged by the test's own signing, verification and decryption
//! (not wxgate's client): Authorization checks, signed answers, orders, refunds, notifications and their retries,
//! certificate rotation.

use std::time::{Duration, Instant};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rsa::pkcs1v15::SigningKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer};
use rsa::RsaPrivateKey;
use serde_json::{json, Value};

use app::ssr::clock::now;

use crate::support::merchant::{browser, Merchant, Receiver};

/// The merchant page a phone leaves for the H5 cashier: on this machine, one of the sandbox's H5 domains.
const MERCHANT_PAGE: &str = "http://127.0.0.1/orders/1";

/// The H5 cashier at `url`, opened from the merchant's page as a phone browser opens it.
async fn open_cashier(url: impl reqwest::IntoUrl) -> reqwest::Response {
    browser()
        .get(url)
        .header("Referer", MERCHANT_PAGE)
        .send()
        .await
        .expect("cashier")
}

#[tokio::test]
async fn requests_with_a_bad_authorization_are_refused_with_sign_error() {
    let merchant = Merchant::start().await;
    let path = format!(
        "/v3/pay/transactions/out-trade-no/T000001?mchid={}",
        merchant.mchid()
    );
    let other_key =
        SigningKey::<Sha256>::new(RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("key"));
    let cases = [
        (
            "a key that is not the merchant's",
            merchant.authorization(&other_key, &merchant.mchid(), "GET", &path, "", now()),
            "",
            "does not verify",
        ),
        (
            "a signed body that differs from the sent one",
            merchant.authorization(&merchant.key, &merchant.mchid(), "GET", &path, "{}", now()),
            "",
            "does not verify",
        ),
        (
            "another mchid",
            merchant.authorization(&merchant.key, "1900000002", "GET", &path, "", now()),
            "",
            "mchid 1900000002",
        ),
        (
            "a stale timestamp",
            merchant.authorization(
                &merchant.key,
                &merchant.mchid(),
                "GET",
                &path,
                "",
                now() - 301,
            ),
            "",
            "away from the sandbox's clock",
        ),
    ];
    for (case, authorization, body, hint) in cases {
        let reply = merchant.send("GET", &path, body, &authorization).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(reply.json()["code"], "SIGN_ERROR", "{case}");
        let message = reply.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(hint), "{case}: {message}");
        assert!(
            merchant.verifies(&reply.headers, &reply.body),
            "{case}: errors are signed too"
        );
    }
    let altered = merchant.authorization(
        &merchant.key,
        &merchant.mchid(),
        "POST",
        "/v3/pay/transactions/native",
        "{\"a\":1}",
        now(),
    );
    let reply = merchant
        .send("POST", "/v3/pay/transactions/native", "{\"a\":2}", &altered)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_paid_order_notifies_with_a_signed_encrypted_transaction() {
    let merchant = Merchant::start().await;
    let receiver = Receiver::start(vec![StatusCode::NO_CONTENT]).await;
    let prepay = merchant.native_order("PAY000001", 150, &receiver.url).await;
    assert_eq!(prepay.status, StatusCode::OK);
    assert!(prepay.json()["code_url"]
        .as_str()
        .is_some_and(|url| url.starts_with("weixin://wxpay/bizpayurl?pr=")));
    let query_path = format!(
        "/v3/pay/transactions/out-trade-no/PAY000001?mchid={}",
        merchant.mchid()
    );
    assert_eq!(
        merchant.call("GET", &query_path, None).await.json()["trade_state"],
        "NOTPAY"
    );

    merchant
        .control(
            "/sandbox/pay/orders/PAY000001/pay",
            json!({"openid": "oTestPayer"}),
        )
        .await;
    let received = receiver.wait_for(1).await;
    let (headers, body) = received.first().expect("a notification arrives");
    assert!(
        merchant.verifies(headers, body),
        "the notification's signature verifies"
    );
    let envelope: Value = serde_json::from_slice(body).expect("JSON envelope");
    assert_eq!(envelope["event_type"], "TRANSACTION.SUCCESS");
    assert_eq!(envelope["resource_type"], "encrypt-resource");
    assert_eq!(envelope["resource"]["algorithm"], "AEAD_AES_256_GCM");
    assert_eq!(envelope["resource"]["associated_data"], "transaction");
    let transaction = merchant.decrypt(&envelope["resource"]);
    assert_eq!(transaction["out_trade_no"], "PAY000001");
    assert_eq!(transaction["trade_state"], "SUCCESS");
    assert_eq!(transaction["amount"]["total"], 150);
    assert_eq!(transaction["payer"]["openid"], "oTestPayer");

    let by_id = format!(
        "/v3/pay/transactions/id/{}?mchid={}",
        transaction["transaction_id"].as_str().unwrap_or_default(),
        merchant.mchid()
    );
    let queried = merchant.call("GET", &by_id, None).await;
    assert_eq!(queried.status, StatusCode::OK);
    assert_eq!(queried.json()["trade_state"], "SUCCESS");
}

#[tokio::test]
async fn repeats_closes_and_conflicts_answer_as_wechat_does() {
    let merchant = Merchant::start().await;
    let first = merchant
        .native_order("CLOSE00001", 10, "http://127.0.0.1:9/notify")
        .await;
    let again = merchant
        .native_order("CLOSE00001", 10, "http://127.0.0.1:9/notify")
        .await;
    // WeChat answers an identical Native repeat with a new code_url; the first one still opens the order.
    assert_eq!(again.status, StatusCode::OK);
    let (first_link, again_link) = (
        first.json()["code_url"].clone(),
        again.json()["code_url"].clone(),
    );
    assert!(again_link
        .as_str()
        .is_some_and(|link| link.starts_with("weixin://wxpay/bizpayurl?pr=")));
    assert_ne!(
        first_link, again_link,
        "a repeated Native prepay issues a new code_url"
    );
    for link in [&first_link, &again_link] {
        let scan = reqwest::get(merchant.sandbox.url(&format!(
            "/sandbox/pay/scan?code_url={}",
            url::form_urlencoded::byte_serialize(link.as_str().unwrap_or_default().as_bytes())
                .collect::<String>()
        )))
        .await
        .expect("scan page");
        assert_eq!(scan.status(), StatusCode::OK, "{link}");
    }
    // The same out_trade_no with other parameters: 400 INVALID_REQUEST, as WeChat answers a reentry that differs.
    let changed = merchant
        .native_order("CLOSE00001", 11, "http://127.0.0.1:9/notify")
        .await;
    changed.assert_refused("INVALID_REQUEST", "请求重入时，参数与首次请求时不一致");

    let close = json!({"mchid": merchant.mchid()});
    let closed = merchant
        .call(
            "POST",
            "/v3/pay/transactions/out-trade-no/CLOSE00001/close",
            Some(&close),
        )
        .await;
    assert_eq!(closed.status, StatusCode::NO_CONTENT);
    assert!(closed.body.is_empty());
    let twice = merchant
        .call(
            "POST",
            "/v3/pay/transactions/out-trade-no/CLOSE00001/close",
            Some(&close),
        )
        .await;
    assert_eq!(twice.status, StatusCode::NO_CONTENT);

    merchant
        .native_order("PAID000001", 10, "http://127.0.0.1:9/notify")
        .await;
    merchant
        .control("/sandbox/pay/orders/PAID000001/pay", json!({}))
        .await;
    let paid = merchant
        .call(
            "POST",
            "/v3/pay/transactions/out-trade-no/PAID000001/close",
            Some(&close),
        )
        .await;
    assert_eq!(paid.status, StatusCode::BAD_REQUEST);
    assert_eq!(paid.json()["code"], "ORDERPAID");

    let missing = merchant
        .call(
            "GET",
            &format!(
                "/v3/pay/transactions/out-trade-no/NOSUCH0001?mchid={}",
                merchant.mchid()
            ),
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["code"], "ORDER_NOT_EXIST");
}

#[tokio::test]
async fn refunds_add_up_to_the_paid_total_and_no_further() {
    let merchant = Merchant::start().await;
    merchant
        .native_order("REFUND0001", 100, "http://127.0.0.1:9/notify")
        .await;
    merchant
        .control("/sandbox/pay/orders/REFUND0001/pay", json!({}))
        .await;
    let refund = |no: &str, amount: u64| json!({"out_trade_no": "REFUND0001", "out_refund_no": no, "amount": {"refund": amount, "total": 100, "currency": "CNY"}});

    let partial = merchant
        .call(
            "POST",
            "/v3/refund/domestic/refunds",
            Some(&refund("RF1", 30)),
        )
        .await;
    assert_eq!(partial.status, StatusCode::OK);
    assert_eq!(partial.json()["status"], "PROCESSING");
    let repeat = merchant
        .call(
            "POST",
            "/v3/refund/domestic/refunds",
            Some(&refund("RF1", 30)),
        )
        .await;
    assert_eq!(
        repeat.json()["refund_id"],
        partial.json()["refund_id"],
        "the same out_refund_no is the same refund"
    );
    let rest = merchant
        .call(
            "POST",
            "/v3/refund/domestic/refunds",
            Some(&refund("RF2", 70)),
        )
        .await;
    assert_eq!(rest.status, StatusCode::OK);
    // Nothing left: 400 INVALID_REQUEST "订单已全额退款" (NOT_ENOUGH would mean the merchant's balance is short).
    let beyond = merchant
        .call(
            "POST",
            "/v3/refund/domestic/refunds",
            Some(&refund("RF3", 1)),
        )
        .await;
    beyond.assert_refused("INVALID_REQUEST", "订单已全额退款");
    // An out_refund_no used before, for another amount: refused, not the old refund handed back.
    let reused = merchant
        .call(
            "POST",
            "/v3/refund/domestic/refunds",
            Some(&refund("RF1", 31)),
        )
        .await;
    reused.assert_refused("INVALID_REQUEST", "订单金额或退款金额与之前请求不一致");

    let order = merchant
        .call(
            "GET",
            &format!(
                "/v3/pay/transactions/out-trade-no/REFUND0001?mchid={}",
                merchant.mchid()
            ),
            None,
        )
        .await;
    assert_eq!(order.json()["trade_state"], "REFUND");
    merchant
        .control(
            "/sandbox/pay/refunds/RF1/outcome",
            json!({"status": "SUCCESS"}),
        )
        .await;
    let queried = merchant
        .call("GET", "/v3/refund/domestic/refunds/RF1", None)
        .await;
    assert_eq!(queried.json()["status"], "SUCCESS");
    assert_eq!(queried.json()["amount"]["refund"], 30);
}

#[tokio::test]
async fn a_rejected_notification_is_retried_on_the_scaled_schedule() {
    let merchant = Merchant::start().await;
    merchant
        .control("/sandbox/pay/time-scale", json!({"time_scale": 1000}))
        .await;
    let receiver = Receiver::start(vec![
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::NO_CONTENT,
    ])
    .await;
    merchant.native_order("RETRY00001", 10, &receiver.url).await;
    merchant
        .control("/sandbox/pay/orders/RETRY00001/pay", json!({}))
        .await;
    let received = receiver.wait_for(2).await;
    assert_eq!(received.len(), 2, "the first failure is retried");
    assert_eq!(
        received[0].1, received[1].1,
        "a retry sends the same notification"
    );

    let deadline = Instant::now() + Duration::from_secs(5);
    let deliveries = loop {
        let response = reqwest::get(merchant.sandbox.url("/sandbox/pay/deliveries"))
            .await
            .expect("deliveries");
        let listed: Value = response.json().await.expect("JSON");
        let deliveries = listed["deliveries"].as_array().cloned().unwrap_or_default();
        if deliveries.len() >= 2 || Instant::now() > deadline {
            break deliveries;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let summary: Vec<(u64, u64, String)> = deliveries
        .iter()
        .map(|d| {
            (
                d["attempt"].as_u64().unwrap_or_default(),
                d["status"].as_u64().unwrap_or_default(),
                d["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, 500, "rejected".to_owned()),
            (2, 204, "delivered".to_owned())
        ]
    );
    assert_eq!(
        deliveries[0]["notification_id"],
        deliveries[1]["notification_id"]
    );
}

#[tokio::test]
async fn rotation_serves_two_certificates_and_signs_with_the_newest() {
    let merchant = Merchant::start().await;
    let rotated = merchant
        .control("/sandbox/pay/certificates/rotate", json!({}))
        .await;
    let newest = rotated["newest"].as_str().unwrap_or_default().to_owned();
    let body = String::new();
    let authorization = merchant.authorization(
        &merchant.key,
        &merchant.mchid(),
        "GET",
        "/v3/certificates",
        &body,
        now(),
    );
    let reply = merchant
        .send("GET", "/v3/certificates", &body, &authorization)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply
            .headers
            .get("Wechatpay-Serial")
            .and_then(|v| v.to_str().ok()),
        Some(newest.as_str())
    );
    let data = reply.json()["data"].as_array().cloned().unwrap_or_default();
    let serials: Vec<String> = data
        .iter()
        .map(|entry| entry["serial_no"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        serials,
        vec![merchant.sandbox.credential("platform_cert_serial"), newest]
    );
    for entry in &data {
        let certificate = &entry["encrypt_certificate"];
        assert_eq!(certificate["associated_data"], "certificate");
        let cipher = Aes256Gcm::new_from_slice(merchant.sandbox.credential("apiv3_key").as_bytes())
            .expect("key");
        let sealed = BASE64
            .decode(certificate["ciphertext"].as_str().unwrap_or_default())
            .expect("base64");
        let pem = cipher
            .decrypt(
                Nonce::from_slice(certificate["nonce"].as_str().unwrap_or_default().as_bytes()),
                Payload {
                    msg: &sealed,
                    aad: b"certificate",
                },
            )
            .expect("decrypts");
        assert!(String::from_utf8_lossy(&pem).starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(entry["effective_time"]
            .as_str()
            .is_some_and(|time| time.ends_with("+08:00")));
    }
}

#[tokio::test]
async fn a_bill_link_is_signed_and_its_unsigned_file_matches_the_sha1() {
    use sha1::{Digest, Sha1};

    let merchant = Merchant::start().await;
    // Today's bill, at once (WeChat's are ready from 10:00 the next day).
    merchant
        .control("/sandbox/pay/bills/timing", json!({"at_once": true}))
        .await;
    merchant
        .native_order("BILL000001", 250, "http://127.0.0.1:9/notify")
        .await;
    merchant
        .control(
            "/sandbox/pay/orders/BILL000001/pay",
            json!({"openid": "oBillPayer"}),
        )
        .await;
    let order = merchant
        .call(
            "GET",
            &format!(
                "/v3/pay/transactions/out-trade-no/BILL000001?mchid={}",
                merchant.mchid()
            ),
            None,
        )
        .await
        .json();
    let day = order["success_time"].as_str().unwrap_or_default()[..10].to_owned();

    let applied = merchant
        .call(
            "GET",
            &format!("/v3/bill/tradebill?bill_date={day}&bill_type=ALL"),
            None,
        )
        .await;
    assert_eq!(applied.status, StatusCode::OK);
    let link = applied.json();
    assert_eq!(link["hash_type"], "SHA1");
    let url = url::Url::parse(link["download_url"].as_str().unwrap_or_default()).expect("URL");
    assert_eq!(url.path(), "/v3/billdownload/file");
    let path = &url[url::Position::BeforePath..];

    let unauthorized = merchant.send("GET", path, "", "").await;
    assert_eq!(
        unauthorized.status,
        StatusCode::UNAUTHORIZED,
        "downloads need the merchant's Authorization"
    );
    let authorization =
        merchant.authorization(&merchant.key, &merchant.mchid(), "GET", path, "", now());
    let file = merchant.send("GET", path, "", &authorization).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(
        file.headers.get("Wechatpay-Signature").is_none(),
        "bill files are not signed"
    );
    assert_eq!(
        hex::encode(Sha1::digest(&file.body)),
        link["hash_value"].as_str().unwrap_or_default()
    );
    let text = String::from_utf8(file.body.clone()).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].starts_with(&format!("`{day} ")));
    assert!(lines[1].contains(&format!(
        "`{},`BILL000001,`oBillPayer,`NATIVE,`SUCCESS,`OTHERS,`CNY,`2.50,",
        order["transaction_id"].as_str().unwrap_or_default()
    )));
    assert_eq!(lines[3], "`1,`2.50,`0.00,`0.00,`0.00000,`2.50,`0.00");

    let funds = merchant
        .call(
            "GET",
            &format!("/v3/bill/fundflowbill?bill_date={day}"),
            None,
        )
        .await;
    assert_eq!(funds.status, StatusCode::OK);

    let empty = merchant
        .call("GET", "/v3/bill/tradebill?bill_date=2001-01-01", None)
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.json()["code"], "NO_STATEMENT_EXIST");
    let malformed = merchant
        .call("GET", "/v3/bill/tradebill?bill_date=20010101", None)
        .await;
    assert_eq!(malformed.json()["code"], "PARAM_ERROR");
    let unknown = merchant
        .call("GET", "/v3/billdownload/file?token=nosuchtoken", None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_h5_cashier_shows_the_order_pays_as_the_chosen_persona_and_returns_to_redirect_url() {
    let merchant = Merchant::start().await;
    let prepay = merchant
        .h5_order("H5ORDER001", "<b>会员</b> & 充值", 1288)
        .await;
    let h5_url = prepay.json()["h5_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(h5_url.starts_with(&merchant.sandbox.url("/sandbox/pay/h5?prepay_id=wx")));
    let page = open_cashier(format!(
        "{h5_url}&redirect_url={}",
        "https%3A%2F%2Fshop.example.com%2Fpaid%3Forder%3DH5ORDER001"
    ))
    .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("HTML");
    assert!(html.contains("¥12.88"), "{html}");
    assert!(
        html.contains("&lt;b&gt;会员&lt;/b&gt; &amp; 充值"),
        "escaped: {html}"
    );
    assert!(!html.contains("<b>会员"));
    assert!(html.contains("小红") && html.contains(&merchant.mchid()));

    let prepay_id = h5_url.split("prepay_id=").nth(1).unwrap_or_default();
    let paid = browser()
        .post(merchant.sandbox.url("/sandbox/pay/h5"))
        .form(&[
            ("prepay_id", prepay_id),
            ("persona", "xiaohong"),
            (
                "redirect_url",
                "https://shop.example.com/paid?order=H5ORDER001",
            ),
        ])
        .send()
        .await
        .expect("pay");
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        paid.headers()
            .get("location")
            .and_then(|value| value.to_str().ok()),
        Some("https://shop.example.com/paid?order=H5ORDER001")
    );
    let order = merchant.trade_state("H5ORDER001").await;
    assert_eq!(order["trade_state"], "SUCCESS");
    assert_eq!(order["trade_type"], "MWEB");
    let oa_appid = merchant.sandbox.credential("oa_appid");
    assert_eq!(
        order["payer"]["openid"],
        merchant.sandbox.persona_openid("xiaohong", &oa_appid).await
    );

    let again = open_cashier(&h5_url).await;
    assert!(again.text().await.expect("HTML").contains("已支付"));
    let unknown = open_cashier(
        merchant
            .sandbox
            .url("/sandbox/pay/h5?prepay_id=wxnosuchprepay"),
    )
    .await;
    assert!(unknown.text().await.expect("HTML").contains("订单不存在"));
}

#[tokio::test]
async fn an_expired_h5_link_shows_an_error_until_a_repeat_prepay_renews_it_and_without_redirect_it_says_paid(
) {
    let merchant = Merchant::start().await;
    let h5_url = merchant.h5_order("H5ORDER002", "商品", 100).await.json()["h5_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let expired = merchant
        .control("/sandbox/pay/links/expire", json!({}))
        .await;
    assert_eq!(expired["expired"], 1);
    let page = open_cashier(&h5_url).await;
    assert!(page.text().await.expect("HTML").contains("支付链接已失效"));

    let renewed = merchant.h5_order("H5ORDER002", "商品", 100).await.json()["h5_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let page = open_cashier(&renewed).await;
    assert!(page.text().await.expect("HTML").contains("¥1.00"));
    let prepay_id = renewed.split("prepay_id=").nth(1).unwrap_or_default();
    let paid = browser()
        .post(merchant.sandbox.url("/sandbox/pay/h5"))
        .form(&[("prepay_id", prepay_id), ("persona", "laowang")])
        .send()
        .await
        .expect("pay");
    assert_eq!(paid.status(), StatusCode::OK);
    assert!(paid.text().await.expect("HTML").contains("支付成功"));
    assert_eq!(
        merchant.trade_state("H5ORDER002").await["trade_state"],
        "SUCCESS"
    );
}

#[tokio::test]
async fn the_scan_page_pays_a_native_order_and_the_qr_page_links_to_it() {
    let merchant = Merchant::start().await;
    let code_url = merchant
        .native_order("SCAN000001", 2500, "http://127.0.0.1:9/notify")
        .await
        .json()["code_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let encoded: String = url::form_urlencoded::byte_serialize(code_url.as_bytes()).collect();
    let scan_link = merchant
        .sandbox
        .url(&format!("/sandbox/pay/scan?code_url={encoded}"));

    let qr = browser()
        .get(
            merchant
                .sandbox
                .url(&format!("/sandbox/pay/qr?code_url={encoded}")),
        )
        .send()
        .await
        .expect("QR page")
        .text()
        .await
        .expect("HTML");
    assert!(qr.contains("<svg"), "a real QR code: {qr}");
    assert!(qr.contains(&scan_link.replace('&', "&amp;")), "{qr}");

    let page = browser().get(&scan_link).send().await.expect("scan page");
    let html = page.text().await.expect("HTML");
    assert!(
        html.contains("¥25.00") && html.contains("测试商品"),
        "{html}"
    );
    let paid = browser()
        .post(merchant.sandbox.url("/sandbox/pay/scan"))
        .form(&[("code_url", code_url.as_str()), ("persona", "xiaoming")])
        .send()
        .await
        .expect("pay");
    assert!(paid.text().await.expect("HTML").contains("支付成功"));
    let order = merchant.trade_state("SCAN000001").await;
    assert_eq!(order["trade_state"], "SUCCESS");
    let oa_appid = merchant.sandbox.credential("oa_appid");
    assert_eq!(
        order["payer"]["openid"],
        merchant.sandbox.persona_openid("xiaoming", &oa_appid).await
    );
    let twice = browser()
        .post(merchant.sandbox.url("/sandbox/pay/scan"))
        .form(&[("code_url", code_url.as_str()), ("persona", "xiaoming")])
        .send()
        .await
        .expect("pay again");
    assert!(twice.text().await.expect("HTML").contains("已支付"));
}

/// Posts JSON as the bridge shim does (`text/plain`, no preflight) and answers the status and JSON.
async fn bridge_post(merchant: &Merchant, path: &str, body: &Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(merchant.sandbox.url(path))
        .header("Content-Type", "text/plain")
        .body(body.to_string())
        .send()
        .await
        .expect("bridge call");
    assert_eq!(
        response
            .headers()
            .get("access-control-allow-origin")
            .and_then(|value| value.to_str().ok()),
        Some("*")
    );
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn wx_config_is_checked_against_the_jsapi_ticket_the_sandbox_issued() {
    use sha1::{Digest, Sha1};

    let merchant = Merchant::start().await;
    let oa_appid = merchant.sandbox.credential("oa_appid");
    let token: Value = reqwest::Client::new()
        .post(merchant.sandbox.url("/cgi-bin/stable_token"))
        .json(&json!({"grant_type": "client_credential", "appid": oa_appid, "secret": merchant.sandbox.credential("oa_secret")}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("JSON");
    let ticket: Value = reqwest::get(merchant.sandbox.url(&format!(
        "/cgi-bin/ticket/getticket?access_token={}&type=jsapi",
        token["access_token"].as_str().unwrap_or_default()
    )))
    .await
    .expect("ticket")
    .json()
    .await
    .expect("JSON");
    let ticket = ticket["ticket"].as_str().unwrap_or_default().to_owned();
    let url = "https://shop.example.com/pay?order=1&from=menu";
    let string1 = format!("jsapi_ticket={ticket}&noncestr=N0nce&timestamp=1414587457&url={url}");
    let signature = hex::encode(Sha1::digest(string1.as_bytes()));
    let config = |appid: &str, signature: &str, url: &str| json!({"appId": appid, "timestamp": "1414587457", "nonceStr": "N0nce", "signature": signature, "url": url});

    let (status, body) = bridge_post(
        &merchant,
        "/sandbox/jsbridge/config",
        &config(&oa_appid, &signature, url),
    )
    .await;
    assert_eq!(
        (status, body["errMsg"].clone()),
        (StatusCode::OK, json!("config:ok"))
    );
    let (status, body) = bridge_post(
        &merchant,
        "/sandbox/jsbridge/config",
        &config(
            &oa_appid,
            &signature,
            "https://shop.example.com/pay?order=2",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errMsg"], "config:invalid signature");
    let (status, body) = bridge_post(
        &merchant,
        "/sandbox/jsbridge/config",
        &config(&merchant.sandbox.credential("mp_appid"), &signature, url),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "no ticket was issued to that app"
    );
    assert_eq!(body["errMsg"], "config:invalid signature");

    let script = reqwest::get(merchant.sandbox.url("/sandbox/jsbridge.js"))
        .await
        .expect("script");
    assert_eq!(script.status(), StatusCode::OK);
    let script = script.text().await.expect("JS");
    assert!(
        script.contains("getBrandWCPayRequest") && script.contains("updateAppMessageShareData")
    );
}

#[tokio::test]
async fn the_jsapi_pay_sheet_checks_pay_sign_and_the_order_then_pays_as_the_orders_payer() {
    let merchant = Merchant::start().await;
    let oa_appid = merchant.sandbox.credential("oa_appid");
    let payer = merchant.sandbox.persona_openid("xiaoming", &oa_appid).await;
    let body = json!({
        "appid": oa_appid, "mchid": merchant.mchid(), "description": "公众号商品",
        "out_trade_no": "JSAPI00001", "notify_url": "http://127.0.0.1:9/notify",
        "amount": {"total": 990, "currency": "CNY"}, "payer": {"openid": payer}
    });
    let prepay_id = merchant
        .call("POST", "/v3/pay/transactions/jsapi", Some(&body))
        .await
        .json()["prepay_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let params = |package: &str, key: &SigningKey<Sha256>| {
        let message = format!("{oa_appid}\n1700000000\nNonceStr1\n{package}\n");
        json!({
            "appId": oa_appid, "timeStamp": "1700000000", "nonceStr": "NonceStr1", "package": package,
            "signType": "RSA", "paySign": BASE64.encode(key.sign(message.as_bytes()).to_bytes()),
        })
    };
    let package = format!("prepay_id={prepay_id}");
    let good = params(&package, &merchant.key);

    let (status, sheet) = bridge_post(&merchant, "/sandbox/pay/jsapi/check", &good).await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    assert_eq!(sheet["amount"], "9.90");
    assert_eq!(sheet["description"], "公众号商品");
    assert_eq!(sheet["payer"], "xiaoming");

    let other_key =
        SigningKey::<Sha256>::new(RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("key"));
    let (status, refused) = bridge_post(
        &merchant,
        "/sandbox/pay/jsapi/check",
        &params(&package, &other_key),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused["err_msg"], "get_brand_wcpay_request:fail");
    let mut altered = good.clone();
    altered["timeStamp"] = json!("1700000001");
    let (status, _) = bridge_post(&merchant, "/sandbox/pay/jsapi/check", &altered).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a field changed after signing"
    );
    let (status, unknown) = bridge_post(
        &merchant,
        "/sandbox/pay/jsapi/check",
        &params("prepay_id=wxnosuchprepay", &merchant.key),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(unknown["err_msg"], "get_brand_wcpay_request:fail");

    let mut as_other = good.clone();
    as_other["persona"] = json!("xiaohong");
    let (status, wrong) = bridge_post(&merchant, "/sandbox/pay/jsapi/confirm", &as_other).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "only the order's payer can pay: {wrong}"
    );
    let mut as_payer = good.clone();
    as_payer["persona"] = json!("xiaoming");
    let (status, paid) = bridge_post(&merchant, "/sandbox/pay/jsapi/confirm", &as_payer).await;
    assert_eq!(
        (status, paid["err_msg"].clone()),
        (StatusCode::OK, json!("get_brand_wcpay_request:ok"))
    );
    let order = merchant.trade_state("JSAPI00001").await;
    assert_eq!(order["trade_state"], "SUCCESS");
    assert_eq!(order["payer"]["openid"], payer.as_str());

    let (status, again) = bridge_post(&merchant, "/sandbox/pay/jsapi/check", &good).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(again["err_desc"]
        .as_str()
        .unwrap_or_default()
        .contains("已支付"));
}
