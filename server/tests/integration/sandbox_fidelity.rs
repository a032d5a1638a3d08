//! Where WeChat Pay refuses, the sandbox refuses: each test is one place an integration that passed a forgiving
//! sandbox would fail at WeChat (issue #12), checked over HTTP with the test's own signing merchant.

use axum::http::StatusCode;
use reqwest::header::{COOKIE, LOCATION, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use wechat::api::{errcode, ApiClient};
use wechat::ids::AppId;
use wechat::oauth;
use wechat::AppCredentials;

use crate::support::merchant::{browser, now, Merchant, Receiver, Reply};
use crate::support::{Sandbox, SandboxSite, WECHAT_UA};

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

fn param_error(reply: &Reply) -> (StatusCode, String, String) {
    let body = reply.json();
    (
        reply.status,
        body["code"].as_str().unwrap_or_default().to_owned(),
        body["detail"]["field"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
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
    assert_eq!(
        param_error(&mismatched),
        (
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR".to_owned(),
            "/body/payer/openid".to_owned()
        )
    );
    assert!(mismatched.json()["message"]
        .as_str()
        .is_some_and(|message| message.starts_with("appid和openid不匹配")));
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
    // Every refund event went to the callback: none to the payment's notify_url, none for the first refund.
    let log: Value = reqwest::get(merchant.sandbox.url("/sandbox/pay/deliveries"))
        .await
        .expect("deliveries")
        .json()
        .await
        .expect("JSON");
    let refund_urls: Vec<&str> = log["deliveries"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|delivery| delivery["event_type"] == "REFUND.SUCCESS")
        .filter_map(|delivery| delivery["url"].as_str())
        .collect();
    assert_eq!(refund_urls, [callback.url.as_str()]);
    assert_eq!(payments.received.lock().expect("lock").len(), 1);
}

const CALLBACK: &str = "https://shop.example.com/api/auth/wechat/oauth/callback";

/// The raw answer of `GET /sns/oauth2/access_token` for a silent snsapi_base login of `persona` in the official
/// account, as the WeChat browser gets its code.
async fn base_token_answer(sandbox: &SandboxSite, persona: &str) -> Value {
    let appid = sandbox.credential("oa_appid");
    let authorize = format!(
        "{}/connect/oauth2/authorize?appid={appid}&redirect_uri={}&response_type=code&scope=snsapi_base&state=S#wechat_redirect",
        sandbox.base_url,
        url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>()
    );
    let response = browser()
        .get(&authorize)
        .header(USER_AGENT, WECHAT_UA)
        .header(COOKIE, format!("wx_sandbox_persona={persona}"))
        .send()
        .await
        .expect("authorize");
    token_answer(sandbox, &code_of(&response)).await
}

/// The raw answer of `GET /sns/oauth2/access_token` after `persona` allowed snsapi_userinfo in the official account.
async fn userinfo_token_answer(sandbox: &SandboxSite, persona: &str) -> Value {
    let appid = sandbox.credential("oa_appid");
    let decided = browser()
        .post(sandbox.url("/connect/oauth2/authorize/decide"))
        .form(&[
            ("appid", appid.as_str()),
            ("redirect_uri", CALLBACK),
            ("state", "S"),
            ("scope", "snsapi_userinfo"),
            ("persona", persona),
            ("decision", "allow"),
        ])
        .send()
        .await
        .expect("decide");
    token_answer(sandbox, &code_of(&decided)).await
}

/// The code WeChat's redirect back to the callback carries.
fn code_of(redirect: &reqwest::Response) -> String {
    let location = redirect.headers()[LOCATION].to_str().expect("location");
    url::Url::parse(location)
        .expect("url")
        .query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, code)| code.into_owned())
        .expect("a code")
}

async fn token_answer(sandbox: &SandboxSite, code: &str) -> Value {
    reqwest::get(sandbox.url(&format!(
        "/sns/oauth2/access_token?appid={}&secret={}&code={code}&grant_type=authorization_code",
        sandbox.credential("oa_appid"),
        sandbox.credential("oa_secret")
    )))
    .await
    .expect("token")
    .json()
    .await
    .expect("JSON")
}

#[tokio::test]
async fn is_snapshotuser_comes_only_for_a_snapshot_page_user() {
    let sandbox = Sandbox::start().await;
    let real = base_token_answer(&sandbox, "xiaoming").await;
    assert!(real["openid"].is_string(), "{real}");
    assert!(
        real.get("is_snapshotuser").is_none(),
        "a real user's token has no is_snapshotuser: {real}"
    );

    sandbox
        .control(
            "/sandbox/personas",
            json!({"id": "moments", "nickname": "朋友圈访客", "snapshot": true}),
        )
        .await;
    let snapshot = base_token_answer(&sandbox, "moments").await;
    assert_eq!(snapshot["is_snapshotuser"], 1, "{snapshot}");
}

#[tokio::test]
async fn an_app_without_open_platform_binding_is_told_no_unionid() {
    let sandbox = Sandbox::start().await;
    let bound = userinfo_token_answer(&sandbox, "xiaohong").await;
    assert!(bound["unionid"].is_string(), "{bound}");

    let oa_appid = sandbox.credential("oa_appid");
    let mp_appid = sandbox.credential("mp_appid");
    for appid in [&oa_appid, &mp_appid] {
        let unbound = sandbox
            .control(
                &format!("/sandbox/apps/{appid}/open-platform"),
                json!({"bound": false}),
            )
            .await;
        assert_eq!(unbound["open_platform"], false);
    }
    let token = userinfo_token_answer(&sandbox, "xiaohong").await;
    assert!(token["openid"].is_string(), "{token}");
    assert!(token.get("unionid").is_none(), "{token}");
    let profile: Value = reqwest::get(sandbox.url(&format!(
        "/sns/userinfo?access_token={}&openid={}&lang=zh_CN",
        token["access_token"].as_str().unwrap_or_default(),
        token["openid"].as_str().unwrap_or_default()
    )))
    .await
    .expect("userinfo")
    .json()
    .await
    .expect("JSON");
    assert_eq!(profile["nickname"], "小红");
    assert!(profile.get("unionid").is_none(), "{profile}");

    let code = sandbox
        .control("/sandbox/mp/login-code", json!({"persona": "xiaohong"}))
        .await;
    let session: Value = reqwest::get(sandbox.url(&format!(
        "/sns/jscode2session?appid={mp_appid}&secret={}&js_code={}&grant_type=authorization_code",
        sandbox.credential("mp_secret"),
        code["code"].as_str().unwrap_or_default()
    )))
    .await
    .expect("jscode2session")
    .json()
    .await
    .expect("JSON");
    assert!(session["openid"].is_string(), "{session}");
    assert!(session.get("unionid").is_none(), "{session}");
}

#[tokio::test]
async fn codes_and_tokens_are_as_long_as_wechats() {
    let sandbox = Sandbox::start().await;
    let code = sandbox
        .control("/sandbox/mp/login-code", json!({"persona": "xiaoming"}))
        .await;
    assert_eq!(code["code"].as_str().map(str::len), Some(32), "js_code");
    let user = base_token_answer(&sandbox, "xiaoming").await;
    for field in ["access_token", "refresh_token"] {
        assert!(
            user[field].as_str().is_some_and(|token| token.len() >= 100),
            "{field}: {user}"
        );
    }
    let server: Value = reqwest::get(sandbox.url(&format!(
        "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
        sandbox.credential("oa_appid"),
        sandbox.credential("oa_secret")
    )))
    .await
    .expect("token")
    .json()
    .await
    .expect("JSON");
    // WeChat documents 512 characters of storage for the access_token: a narrower column fails here first.
    assert_eq!(
        server["access_token"].as_str().map(str::len),
        Some(512),
        "{server}"
    );
}

#[tokio::test]
async fn refreshing_keeps_the_refresh_token_until_its_thirty_days_end() {
    let sandbox = Sandbox::start().await;
    let oa_app = AppCredentials {
        appid: AppId::parse(&sandbox.credential("oa_appid")).expect("appid"),
        secret: SecretString::from(sandbox.credential("oa_secret")),
    };
    let api = ApiClient::new(url::Url::parse(&sandbox.base_url).expect("url")).expect("client");
    let first = userinfo_token_answer(&sandbox, "xiaoming").await;
    let refresh_token = SecretString::from(
        first["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    );

    let refreshed = oauth::refresh(&api, &oa_app, &refresh_token)
        .await
        .expect("refresh");
    assert_eq!(
        refreshed.refresh_token.expose_secret(),
        refresh_token.expose_secret(),
        "refreshing an unexpired refresh token keeps it"
    );
    assert_ne!(
        refreshed.access_token.expose_secret(),
        first["access_token"].as_str().unwrap_or_default()
    );
    let again = oauth::refresh(&api, &oa_app, &refresh_token)
        .await
        .expect("refresh again");
    assert_eq!(
        again.refresh_token.expose_secret(),
        refresh_token.expose_secret()
    );

    sandbox
        .control("/sandbox/refresh-tokens/expire", json!({}))
        .await;
    let ended = oauth::refresh(&api, &oa_app, &refresh_token)
        .await
        .expect_err("30 days are over");
    assert_eq!(ended.errcode(), Some(errcode::REFRESH_TOKEN_EXPIRED));
}

#[tokio::test]
async fn a_forced_stable_token_refresh_ends_the_old_token_and_is_rate_limited() {
    let sandbox = Sandbox::start().await;
    let client = reqwest::Client::new();
    let stable = |force_refresh: bool| {
        let body = json!({
            "grant_type": "client_credential", "appid": sandbox.credential("oa_appid"),
            "secret": sandbox.credential("oa_secret"), "force_refresh": force_refresh,
        });
        let request = client
            .post(sandbox.url("/cgi-bin/stable_token"))
            .json(&body);
        async move {
            request
                .send()
                .await
                .expect("stable_token")
                .json::<Value>()
                .await
                .expect("JSON")
        }
    };
    let ticket = |token: Value| {
        let url = sandbox.url(&format!(
            "/cgi-bin/ticket/getticket?access_token={}&type=jsapi",
            token.as_str().unwrap_or_default()
        ));
        async move {
            reqwest::get(url)
                .await
                .expect("getticket")
                .json::<Value>()
                .await
                .expect("JSON")
        }
    };

    let first = stable(false).await;
    assert!(
        first["expires_in"].as_u64().is_some_and(|left| left >= 300),
        "{first}"
    );
    assert_eq!(ticket(first["access_token"].clone()).await["errcode"], 0);

    let forced = stable(true).await;
    assert_ne!(forced["access_token"], first["access_token"]);
    assert_eq!(
        ticket(first["access_token"].clone()).await["errcode"],
        40001,
        "a forced refresh ends the previous token at once"
    );
    assert_eq!(ticket(forced["access_token"].clone()).await["errcode"], 0);
    assert_eq!(
        stable(true).await["errcode"],
        45011,
        "forced refreshes are 30 seconds apart"
    );
    assert_eq!(stable(false).await["access_token"], forced["access_token"]);
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
    assert_eq!(
        param_error(&app_with_oa),
        (
            StatusCode::BAD_REQUEST,
            "PARAM_ERROR".to_owned(),
            "/body/appid".to_owned()
        )
    );
    let app = prepay_for(&merchant, "app", "FIDBIND003", credential("app_appid")).await;
    assert_eq!(app.status, StatusCode::OK, "{:?}", app.json());
    let jsapi_with_app =
        prepay_for(&merchant, "jsapi", "FIDBIND004", credential("app_appid")).await;
    assert_eq!(param_error(&jsapi_with_app).2, "/body/appid");
    let native_with_mp =
        prepay_for(&merchant, "native", "FIDBIND005", credential("mp_appid")).await;
    assert_eq!(native_with_mp.status, StatusCode::OK);
}

#[tokio::test]
async fn errmsg_rids_and_request_ids_look_like_wechats() {
    let merchant = Merchant::start().await;
    let refused: Value = reqwest::get(merchant.sandbox.url(&format!(
        "/sns/jscode2session?appid={}&secret={}&js_code=no-such-code&grant_type=authorization_code",
        merchant.sandbox.credential("mp_appid"),
        merchant.sandbox.credential("mp_secret")
    )))
    .await
    .expect("jscode2session")
    .json()
    .await
    .expect("JSON");
    let errmsg = refused["errmsg"].as_str().unwrap_or_default();
    let (_, rid) = errmsg
        .rsplit_once(", rid: ")
        .expect("an errmsg ends with its rid");
    let groups: Vec<&str> = rid.split('-').collect();
    assert!(
        groups.len() == 3
            && groups.iter().all(|group| group.len() == 8
                && group
                    .bytes()
                    .all(|byte| byte.is_ascii_hexdigit() && !byte.is_ascii_uppercase())),
        "{errmsg}"
    );

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
        let mut request = browser().get(&h5_url);
        if let Some(referer) = referer {
            request = request.header("Referer", referer);
        }
        async move {
            request
                .send()
                .await
                .expect("cashier")
                .text()
                .await
                .expect("HTML")
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
    let download = |bill: Value| {
        let url = url::Url::parse(bill["download_url"].as_str().unwrap_or_default()).expect("URL");
        let path = url[url::Position::BeforePath..].to_owned();
        let authorization =
            merchant.authorization(&merchant.key, &merchant.mchid(), "GET", &path, "", now());
        async move { merchant.send("GET", &path, "", &authorization).await }
    };

    let plain_link = merchant
        .call("GET", &format!("/v3/bill/tradebill?bill_date={day}"), None)
        .await
        .json();
    let plain = download(plain_link.clone()).await.body;
    let gzip_link = merchant
        .call(
            "GET",
            &format!("/v3/bill/tradebill?bill_date={day}&tar_type=GZIP"),
            None,
        )
        .await
        .json();
    assert_eq!(gzip_link["hash_value"], plain_link["hash_value"]);
    let packed = download(gzip_link.clone()).await;
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
    let shown: Value = reqwest::get(merchant.sandbox.url("/sandbox/pay/orders/FIDEXPIRE1"))
        .await
        .expect("order")
        .json()
        .await
        .expect("JSON");
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
