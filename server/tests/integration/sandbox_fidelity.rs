//! Where WeChat Pay refuses, the sandbox refuses: each test is one place an integration that passed a forgiving
//! sandbox would fail at WeChat (issue #12), checked over HTTP with the test's own signing merchant. The login
//! side's are in `sandbox_fidelity_login`.

use app::ssr::clock::now;
use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::merchant::{browser, cashier_page, Merchant, Receiver, Reply};

impl Merchant {
    async fn jsapi_order(&self, out_trade_no: &str, appid: &str, openid: &str) -> Reply {
        let body = json!({
            "appid": appid, "mchid": self.mchid(), "description": "测试商品", "out_trade_no": out_trade_no,
            "notify_url": "http://127.0.0.1:9/notify", "amount": {"total": 10, "currency": "CNY"},
            "payer": {"openid": openid}
        });
        self.call("POST", "/v3/pay/transactions/jsapi", Some(&body))
            .await
    }

    /// The file a bill answer's `download_url` serves, fetched with a signed request as WeChat requires.
    async fn download(&self, bill: &Value) -> Reply {
        let url = url::Url::parse(bill["download_url"].as_str().unwrap_or_default()).expect("URL");
        let path = &url[url::Position::BeforePath..];
        let authorization = self.authorization(&self.key, &self.mchid(), "GET", path, "", now());
        self.send("GET", path, "", &authorization).await
    }

    async fn native_with(&self, out_trade_no: &str, extra: Value) -> Reply {
        let mut body = json!({
            "appid": self.sandbox.credential("oa_appid"), "mchid": self.mchid(), "description": "测试商品",
            "out_trade_no": out_trade_no, "notify_url": "http://127.0.0.1:9/notify",
            "amount": {"total": 10, "currency": "CNY"}
        });
        for (name, value) in extra.as_object().into_iter().flatten() {
            body[name] = value.clone();
        }
        self.call("POST", "/v3/pay/transactions/native", Some(&body))
            .await
    }
}

/// A refusal's status, code and the input its message names, as WeChat's validator words it:
/// `输入源“/body/attach”映射到值字段“附加数据”…`.
fn param_error(reply: &Reply) -> (StatusCode, String, String) {
    let body = reply.json();
    let message = body["message"].as_str().unwrap_or_default();
    let named = message
        .split_once('“')
        .and_then(|(_, rest)| rest.split_once('”'))
        .map_or("", |(input, _)| input);
    (
        reply.status,
        body["code"].as_str().unwrap_or_default().to_owned(),
        named.to_owned(),
    )
}

#[tokio::test]
async fn a_jsapi_payer_must_be_a_user_of_the_orders_appid() {
    let merchant = Merchant::start().await;
    let oa_appid = merchant.sandbox.credential("oa_appid");
    let mp_appid = merchant.sandbox.credential("mp_appid");
    let mp_openid = merchant.sandbox.persona_openid("xiaoming", &mp_appid).await;

    // The classic bug: the mini program's openid sent with the official account's appid.
    let mismatched = merchant
        .jsapi_order("FIDJSAPI01", &oa_appid, &mp_openid)
        .await;
    mismatched.assert_refused("PARAM_ERROR", "appid和openid不匹配");
    let unknown = merchant
        .jsapi_order("FIDJSAPI02", &oa_appid, "oUnknownPayer000000000000000")
        .await;
    assert_eq!(unknown.status, StatusCode::BAD_REQUEST);

    let matched = merchant
        .jsapi_order("FIDJSAPI03", &mp_appid, &mp_openid)
        .await;
    assert_eq!(matched.status, StatusCode::OK, "{:?}", matched.json());
    assert!(matched.json()["prepay_id"].is_string());
}

#[tokio::test]
async fn attach_is_counted_in_utf8_bytes() {
    let merchant = Merchant::start().await;
    let fits = merchant
        .native_with("FIDATTACH1", json!({"attach": "字".repeat(42)}))
        .await;
    assert_eq!(fits.status, StatusCode::OK, "{:?}", fits.json());
    // 43 Chinese characters are 129 bytes: WeChat refuses them although they are fewer than 128 characters.
    let over = merchant
        .native_with("FIDATTACH2", json!({"attach": "字".repeat(43)}))
        .await;
    assert_eq!(
        param_error(&over),
        (
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR".to_owned(),
            "/body/attach".to_owned()
        )
    );
}

#[tokio::test]
async fn a_notify_url_with_spaces_around_it_or_a_fragment_is_refused() {
    let merchant = Merchant::start().await;
    for (no, url) in [
        ("FIDURL0001", " https://shop.example.com/notify"),
        ("FIDURL0002", "https://shop.example.com/notify "),
        ("FIDURL0003", "https://shop.example.com/notify#paid"),
    ] {
        let refused = merchant.native_with(no, json!({"notify_url": url})).await;
        assert_eq!(
            param_error(&refused),
            (
                StatusCode::BAD_REQUEST,
                "PARAM_ERROR".to_owned(),
                "/body/notify_url".to_owned()
            ),
            "{url:?}"
        );
    }
}

#[tokio::test]
async fn a_refund_without_notify_url_is_announced_at_the_merchants_refund_callback_only() {
    let merchant = Merchant::start().await;
    let payments = Receiver::start(vec![StatusCode::NO_CONTENT]).await;
    let callback = Receiver::start(vec![StatusCode::NO_CONTENT]).await;
    merchant
        .native_with(
            "FIDREFUND1",
            json!({"notify_url": payments.url, "amount": {"total": 100, "currency": "CNY"}}),
        )
        .await;
    merchant
        .control("/sandbox/pay/orders/FIDREFUND1/pay", json!({}))
        .await;
    assert_eq!(
        payments.wait_for(1).await.len(),
        1,
        "the payment is announced"
    );
    let refund = |no: &str| json!({"out_trade_no": "FIDREFUND1", "out_refund_no": no, "amount": {"refund": 10, "total": 100, "currency": "CNY"}});

    // No refund callback configured: the refund settles and nobody is told (not the payment's notify_url).
    let unannounced = merchant
        .call(
            "POST",
            "/v3/refund/domestic/refunds",
            Some(&refund("FIDRF1")),
        )
        .await;
    assert_eq!(unannounced.status, StatusCode::OK);
    merchant
        .control(
            "/sandbox/pay/refunds/FIDRF1/outcome",
            json!({"status": "SUCCESS"}),
        )
        .await;

    // With the merchant's refund callback set, the next refund's outcome goes there.
    let set = merchant
        .control(
            "/sandbox/pay/merchant/refund-callback",
            json!({"url": callback.url}),
        )
        .await;
    assert_eq!(set["url"], callback.url);
    merchant
        .call(
            "POST",
            "/v3/refund/domestic/refunds",
            Some(&refund("FIDRF2")),
        )
        .await;
    merchant
        .control(
            "/sandbox/pay/refunds/FIDRF2/outcome",
            json!({"status": "SUCCESS"}),
        )
        .await;
    let announced = callback.wait_for(1).await;
    assert_eq!(announced.len(), 1);
    let event: Value = serde_json::from_slice(&announced[0].1).expect("JSON");
    assert_eq!(event["event_type"], "REFUND.SUCCESS");
    assert_eq!(
        merchant.decrypt(&event["resource"])["out_refund_no"],
        "FIDRF2"
    );
    // Every refund event went to the callback: none to the payment's notify_url, none for the first refund. The
    // delivery is logged once its answer is in, which may be just after the callback saw it.
    let mut refund_urls = Vec::new();
    for _ in 0..50 {
        let log: Value = merchant.sandbox.get_json("/sandbox/pay/deliveries").await;
        refund_urls = log["deliveries"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|delivery| delivery["event_type"] == "REFUND.SUCCESS")
            .filter_map(|delivery| delivery["url"].as_str().map(str::to_owned))
            .collect();
        if !refund_urls.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(refund_urls, vec![callback.url.clone()]);
    assert_eq!(payments.received.lock().expect("lock").len(), 1);
}

#[tokio::test]
async fn a_request_must_accept_json_and_sign_its_path_as_sent() {
    let merchant = Merchant::start().await;
    let path = format!(
        "/v3/pay/transactions/out-trade-no/NO-SUCH-ORDER?mchid={}",
        merchant.mchid()
    );
    let authorization =
        merchant.authorization(&merchant.key, &merchant.mchid(), "GET", &path, "", now());
    let without_accept = merchant
        .client
        .get(merchant.sandbox.url(&path))
        .header("Authorization", &authorization)
        .send()
        .await
        .expect("answer");
    assert_eq!(without_accept.status(), StatusCode::BAD_REQUEST);
    let body: Value = without_accept.json().await.expect("JSON");
    assert_eq!(body["code"], "PARAM_ERROR");
    let with_accept = merchant.send("GET", &path, "", &authorization).await;
    assert_eq!(
        with_accept.status,
        StatusCode::NOT_FOUND,
        "{:?}",
        with_accept.json()
    );

    // A path with an escape signed in its decoded form does not verify: WeChat checks the path as sent.
    let escaped = format!(
        "/v3/pay/transactions/out-trade-no/NO%2DSUCH?mchid={}",
        merchant.mchid()
    );
    let decoded = format!(
        "/v3/pay/transactions/out-trade-no/NO-SUCH?mchid={}",
        merchant.mchid()
    );
    let over_decoded =
        merchant.authorization(&merchant.key, &merchant.mchid(), "GET", &decoded, "", now());
    let refused = merchant.send("GET", &escaped, "", &over_decoded).await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.json()["code"], "SIGN_ERROR");
}

/// A prepay of `kind` for `appid` (JSAPI with some payer: the appid is checked first).
async fn prepay_for(merchant: &Merchant, kind: &str, no: &str, appid: String) -> Reply {
    let mut body = json!({
        "appid": appid, "mchid": merchant.mchid(), "description": "测试商品", "out_trade_no": no,
        "notify_url": "http://127.0.0.1:9/notify", "amount": {"total": 10, "currency": "CNY"}
    });
    if kind == "jsapi" {
        body["payer"] = json!({"openid": "oAnyPayer0000000000000000000"});
    }
    merchant
        .call("POST", &format!("/v3/pay/transactions/{kind}"), Some(&body))
        .await
}

#[tokio::test]
async fn only_apps_wechat_binds_to_a_merchant_may_order_and_app_pay_needs_a_mobile_app() {
    let merchant = Merchant::start().await;
    let credential = |name: &str| merchant.sandbox.credential(name);

    // A website app is never bound to a merchant.
    let website = prepay_for(&merchant, "native", "FIDBIND001", credential("web_appid")).await;
    assert_eq!(website.status, StatusCode::BAD_REQUEST);
    assert_eq!(website.json()["code"], "APPID_MCHID_NOT_MATCH");
    // APP pay takes a mobile app's appid, and only APP pay does.
    let app_with_oa = prepay_for(&merchant, "app", "FIDBIND002", credential("oa_appid")).await;
    app_with_oa.assert_refused("PARAM_ERROR", "APP pay needs a mobile app's appid");
    let app = prepay_for(&merchant, "app", "FIDBIND003", credential("app_appid")).await;
    assert_eq!(app.status, StatusCode::OK, "{:?}", app.json());
    let jsapi_with_app =
        prepay_for(&merchant, "jsapi", "FIDBIND004", credential("app_appid")).await;
    jsapi_with_app.assert_refused(
        "PARAM_ERROR",
        "JSAPI pay needs an official account's or a mini program's appid",
    );
    let native_with_mp =
        prepay_for(&merchant, "native", "FIDBIND005", credential("mp_appid")).await;
    assert_eq!(native_with_mp.status, StatusCode::OK);
}

#[tokio::test]
async fn request_ids_look_like_wechats() {
    let merchant = Merchant::start().await;
    let answer = merchant
        .call(
            "GET",
            &format!(
                "/v3/pay/transactions/out-trade-no/NO-SUCH?mchid={}",
                merchant.mchid()
            ),
            None,
        )
        .await;
    let request_id = answer.headers["Request-ID"].to_str().unwrap_or_default();
    assert!(
        request_id.len() == 50
            && request_id
                .bytes()
                .all(|byte| byte.is_ascii_digit() || (b'A'..=b'F').contains(&byte)),
        "{request_id}"
    );
}

#[tokio::test]
async fn the_h5_cashier_opens_only_from_a_page_of_the_merchants_h5_domain() {
    let merchant = Merchant::start().await;
    let h5_url = merchant.h5_order("FIDH5REF01", "商品", 100).await.json()["h5_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let open = |referer: Option<&'static str>| {
        let h5_url = h5_url.clone();
        async move {
            match referer {
                Some(referer) => cashier_page(&h5_url, &[("Referer", referer)]).await,
                None => cashier_page(&h5_url, &[]).await,
            }
        }
    };
    let refused = "商家参数格式有误，请联系商家解决";
    assert!(open(None).await.contains(refused), "no Referer");
    assert!(open(Some("https://evil.example/pay"))
        .await
        .contains(refused));
    assert!(open(Some("http://127.0.0.1/orders/1"))
        .await
        .contains("¥1.00"));

    let set = merchant
        .control(
            "/sandbox/pay/merchant/h5-domains",
            json!({"domains": ["shop.example.com"]}),
        )
        .await;
    assert_eq!(set["domains"], json!(["shop.example.com"]));
    assert!(open(Some("https://m.shop.example.com/orders/1"))
        .await
        .contains("¥1.00"));
    assert!(open(Some("http://127.0.0.1/orders/1"))
        .await
        .contains(refused));
    assert!(open(Some("https://shop.example.com.evil.example/"))
        .await
        .contains(refused));
}

#[tokio::test]
async fn a_gzip_bill_is_served_compressed_with_the_sha1_of_the_uncompressed_file() {
    use sha1::{Digest, Sha1};

    let started = Merchant::start().await;
    let merchant = &started;
    merchant
        .control("/sandbox/pay/bills/timing", json!({"at_once": true}))
        .await;
    merchant
        .native_order("FIDGZIP001", 250, "http://127.0.0.1:9/notify")
        .await;
    merchant
        .control("/sandbox/pay/orders/FIDGZIP001/pay", json!({}))
        .await;
    let order = merchant.trade_state("FIDGZIP001").await;
    let day = order["success_time"].as_str().unwrap_or_default()[..10].to_owned();
    let plain_link = merchant
        .call("GET", &format!("/v3/bill/tradebill?bill_date={day}"), None)
        .await
        .json();
    let plain = merchant.download(&plain_link).await.body;
    let gzip_link = merchant
        .call(
            "GET",
            &format!("/v3/bill/tradebill?bill_date={day}&tar_type=GZIP"),
            None,
        )
        .await
        .json();
    assert_eq!(gzip_link["hash_value"], plain_link["hash_value"]);
    let packed = merchant.download(&gzip_link).await;
    assert_eq!(packed.headers["content-type"], "application/x-gzip");
    let mut unpacked = Vec::new();
    std::io::Read::read_to_end(
        &mut flate2::read::GzDecoder::new(packed.body.as_slice()),
        &mut unpacked,
    )
    .expect("gzip");
    assert_eq!(unpacked, plain);
    assert_eq!(
        hex::encode(Sha1::digest(&unpacked)),
        gzip_link["hash_value"].as_str().unwrap_or_default()
    );

    let refused = merchant
        .call(
            "GET",
            &format!("/v3/bill/tradebill?bill_date={day}&tar_type=ZIP"),
            None,
        )
        .await;
    assert_eq!(param_error(&refused).2, "/query/tar_type");
}

#[tokio::test]
async fn a_time_expire_under_a_minute_away_is_raised_to_a_minute() {
    let merchant = Merchant::start().await;
    let soon = now() + 5;
    let time_expire = time::OffsetDateTime::from_unix_timestamp(soon)
        .expect("a time")
        .to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("UTC+8"))
        .format(&time::format_description::well_known::Rfc3339)
        .expect("RFC 3339");
    let placed = merchant
        .native_with("FIDEXPIRE1", json!({"time_expire": time_expire}))
        .await;
    assert_eq!(placed.status, StatusCode::OK, "{:?}", placed.json());
    let shown: Value = merchant
        .sandbox
        .get_json("/sandbox/pay/orders/FIDEXPIRE1")
        .await;
    assert_eq!(shown["time_expire"], time_expire.as_str());
    let payable_until = time::OffsetDateTime::parse(
        shown["payable_until"].as_str().unwrap_or_default(),
        &time::format_description::well_known::Rfc3339,
    )
    .expect("payable_until")
    .unix_timestamp();
    assert!(payable_until >= soon + 50, "{shown}");
    assert_eq!(shown["expired"], false);
}

#[tokio::test]
async fn a_days_bill_is_made_from_ten_the_next_morning() {
    let started = Merchant::start().await;
    let merchant = &started;
    let china = |days_ago: i64| {
        time::OffsetDateTime::from_unix_timestamp(now() - days_ago * 24 * 60 * 60)
            .expect("a time")
            .to_offset(time::UtcOffset::from_hms(8, 0, 0).expect("UTC+8"))
            .date()
            .to_string()
    };
    let bill = |date: String| async move {
        merchant
            .call("GET", &format!("/v3/bill/tradebill?bill_date={date}"), None)
            .await
    };
    // Today's bill is being made; two days ago is billed (nothing was paid then: NO_STATEMENT_EXIST).
    let today = bill(china(0)).await;
    assert_eq!(today.status, StatusCode::BAD_REQUEST);
    assert_eq!(today.json()["code"], "STATEMENT_CREATING");
    assert_eq!(bill(china(2)).await.json()["code"], "NO_STATEMENT_EXIST");

    merchant
        .control("/sandbox/pay/bills/timing", json!({"at_once": true}))
        .await;
    assert_eq!(bill(china(0)).await.json()["code"], "NO_STATEMENT_EXIST");
}

#[tokio::test]
async fn param_errors_are_worded_as_wechats_validator_words_them() {
    let merchant = Merchant::start().await;
    // Yuan where fen belong: the answer integrations quote, word for word, with the value sent in `detail`.
    let yuan = merchant
        .native_with(
            "FIDPARAM01",
            json!({"amount": {"total": 0.01, "currency": "CNY"}}),
        )
        .await;
    yuan.assert_refused(
        "PARAM_ERROR",
        "无法将 JSON 输入源“/body/amount/total”映射到目标字段“总金额”中，此字段需要一个合法的 64 位有符号整数",
    );
    assert_eq!(
        yuan.json()["detail"],
        json!({"location": "body", "value": 0.01})
    );
    let missing = merchant
        .native_with("FIDPARAM02", json!({"description": null}))
        .await;
    missing.assert_refused(
        "PARAM_ERROR",
        "输入源“/body/description”映射到字段“商品描述”必填性规则校验失败，此字段为必填项",
    );
    assert_eq!(missing.json()["detail"], json!({"location": "body"}));
    let long = merchant
        .native_with("FIDPARAM03", json!({"attach": "a".repeat(129)}))
        .await;
    long.assert_refused(
        "PARAM_ERROR",
        "输入源“/body/attach”映射到值字段“附加数据”字符串规则校验失败，字节数 129，大于最大值 128",
    );
    assert_eq!(
        long.json()["detail"],
        json!({"location": "body", "value": 129})
    );
    let free = merchant
        .native_with(
            "FIDPARAM04",
            json!({"amount": {"total": 0, "currency": "CNY"}}),
        )
        .await;
    free.assert_refused(
        "PARAM_ERROR",
        "输入源“/body/amount/total”映射到数值字段“总金额”规则校验失败，值低于最小值 1",
    );
    let short = merchant.native_with("FID", json!({})).await;
    short.assert_refused(
        "PARAM_ERROR",
        "输入源“/body/out_trade_no”映射到值字段“商户订单号”字符串规则校验失败，字节数 3，小于最小值 6",
    );
}

#[tokio::test]
async fn the_h5_cashier_opens_only_for_the_payer_the_merchant_named() {
    let merchant = Merchant::start().await;
    let refused = "网络环境未能通过安全验证，请稍后再试";
    let h5_url = |reply: Reply| {
        reply.json()["h5_url"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let open = |url: String, forwarded_for: Option<&'static str>| async move {
        let referer = ("Referer", "http://127.0.0.1/orders/1");
        match forwarded_for {
            Some(ip) => cashier_page(&url, &[referer, ("x-forwarded-for", ip)]).await,
            None => cashier_page(&url, &[referer]).await,
        }
    };

    // Another address than the browser's: the link was opened by someone other than the payer.
    let elsewhere = h5_url(
        merchant
            .h5_order_for("FIDH5IP001", "商品", 100, "203.0.113.7")
            .await,
    );
    assert!(open(elsewhere.clone(), None).await.contains(refused));
    let prepay_id = url::Url::parse(&elsewhere)
        .expect("URL")
        .query_pairs()
        .find(|(name, _)| name == "prepay_id")
        .map(|(_, id)| id.into_owned())
        .unwrap_or_default();
    let pay = browser()
        .post(merchant.sandbox.url("/sandbox/pay/h5"))
        .form(&[("prepay_id", prepay_id.as_str()), ("persona", "xiaoming")])
        .send()
        .await
        .expect("pay")
        .text()
        .await
        .expect("HTML");
    assert!(pay.contains(refused), "{pay}");
    assert_eq!(
        merchant.trade_state("FIDH5IP001").await["trade_state"],
        "NOTPAY"
    );

    // A loopback payer reached through a proxy: the merchant sent its proxy's address.
    let local = h5_url(merchant.h5_order("FIDH5IP002", "商品", 100).await);
    let through_proxy = open(local.clone(), Some("203.0.113.7")).await;
    assert!(through_proxy.contains(refused), "{through_proxy}");
    assert!(through_proxy.contains("proxy"), "{through_proxy}");
    // The payer's own browser, on this machine.
    assert!(open(local, None).await.contains("¥1.00"));

    // An address that is no IP is refused when the order is placed.
    merchant
        .h5_order_for("FIDH5IP003", "商品", 100, "localhost")
        .await
        .assert_refused(
            "PARAM_ERROR",
            "输入源“/body/scene_info/payer_client_ip”映射到值字段“用户终端IP”字符串规则校验失败",
        );
}

#[tokio::test]
async fn merchant_text_in_a_bill_is_verbatim_and_wxgates_reader_keeps_the_columns() {
    let merchant = Merchant::start().await;
    merchant
        .control("/sandbox/pay/bills/timing", json!({"at_once": true}))
        .await;
    let description = "茶,`杯, 大号";
    let placed = merchant
        .native_with(
            "FIDBILLTXT",
            json!({"description": description, "attach": "a,`b", "amount": {"total": 1288, "currency": "CNY"}}),
        )
        .await;
    assert_eq!(placed.status, StatusCode::OK, "{:?}", placed.json());
    merchant
        .control("/sandbox/pay/orders/FIDBILLTXT/pay", json!({}))
        .await;
    let order = merchant.trade_state("FIDBILLTXT").await;
    let day = order["success_time"].as_str().unwrap_or_default()[..10].to_owned();
    let link = merchant
        .call("GET", &format!("/v3/bill/tradebill?bill_date={day}"), None)
        .await
        .json();
    let text = String::from_utf8(merchant.download(&link).await.body).expect("UTF-8");
    assert!(text.contains(&format!(",`{description},`a,`b,`")), "{text}");
    let bill = wechat::pay::trade_bill::parse(&text).expect("wxgate reads the bill");
    assert_eq!(
        bill.payments,
        vec![wechat::pay::trade_bill::BillPayment {
            out_trade_no: "FIDBILLTXT".to_owned(),
            total_fen: 1288
        }]
    );
}
