//! Web logins against the sandbox: the official account inside the WeChat browser (silent and with consent), the
//! website QR through start/poll, declines and bad states, WeChat's duplicate callback, one user per person through
//! the unionid (merging when it shows up later), and a login started on one process and finished on another.

use reqwest::header::LOCATION;
use serde_json::{json, Value};
use url::Url;

use crate::support::{
    on_both_backends, Browser, Sandbox, Served, TestDatabase, Wxgate, WxgateProcess, WECHAT_UA,
};

fn location(response: &reqwest::Response) -> String {
    let location = response.headers()[LOCATION].to_str().expect("location");
    response.url().join(location).expect("url").to_string()
}

fn query(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .expect("url")
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

/// Starts an official-account login and lets the sandbox answer as WeChat; returns the callback URL it sends back.
async fn wechat_authorize(browser: &Browser, server: &Served, scope: &str, next: &str) -> String {
    let started = browser
        .get(&server.url(&format!(
            "/api/auth/wechat/oauth/start?scope={scope}&next={next}"
        )))
        .await;
    assert!(started.status().is_redirection(), "{}", started.status());
    let authorize = location(&started);
    assert!(
        authorize.contains("/sandbox/connect/oauth2/authorize?"),
        "{authorize}"
    );
    assert!(authorize.ends_with("#wechat_redirect"), "{authorize}");
    let answered = browser.get(&authorize).await;
    if scope == "userinfo" {
        assert_eq!(answered.status(), 200, "a consent page");
        let page = answered.text().await.expect("html");
        assert!(page.contains("允许"));
        let state = query(&authorize.replace("#wechat_redirect", ""), "state").expect("state");
        let appid = query(&authorize.replace("#wechat_redirect", ""), "appid").expect("appid");
        let redirect = query(&authorize.replace("#wechat_redirect", ""), "redirect_uri")
            .expect("redirect_uri");
        let decided = browser
            .post_form(
                &server.url("/sandbox/connect/oauth2/authorize/decide"),
                &[
                    ("appid", &appid),
                    ("redirect_uri", &redirect),
                    ("state", &state),
                    ("scope", "snsapi_userinfo"),
                    ("persona", "xiaoming"),
                    ("decision", "allow"),
                ],
            )
            .await;
        return location(&decided);
    }
    assert!(answered.status().is_redirection(), "snsapi_base is silent");
    location(&answered)
}

async fn me(browser: &Browser, server: &Served) -> Value {
    let response = browser.get(&server.url("/api/me")).await;
    assert_eq!(response.status(), 200);
    response.json().await.expect("json")
}

on_both_backends! {
    wechat_browser_login_lands_on_next_and_a_duplicate_callback_is_harmless => wechat_browser_login_lands_on_next_and_a_duplicate_callback_is_harmless;
    unionid_joins_and_merges_identities_into_one_user => unionid_joins_and_merges_identities_into_one_user;
    desktop_qr_login_through_start_and_poll => desktop_qr_login_through_start_and_poll;
    a_declined_consent_and_a_bad_state_come_back_to_the_login_page => a_declined_consent_and_a_bad_state_come_back_to_the_login_page;
    a_snapshot_page_user_gets_no_account => a_snapshot_page_user_gets_no_account;
    an_expired_login_state_is_refused_and_a_new_login_offered => an_expired_login_state_is_refused_and_a_new_login_offered;
    a_used_code_brought_back_with_another_state_signs_nobody_in => a_used_code_brought_back_with_another_state_signs_nobody_in;
    a_mini_program_session_begun_before_a_merge_binds_the_phone_to_the_survivor => a_mini_program_session_begun_before_a_merge_binds_the_phone_to_the_survivor;
}

async fn a_mini_program_session_begun_before_a_merge_binds_the_phone_to_the_survivor(
    database: TestDatabase,
) {
    let server = Wxgate::start(&database, &[]).await;
    // An official-account user without a unionid, then the same person in the mini program as a second user.
    let wechat = Browser::new(Some(WECHAT_UA));
    let callback = wechat_authorize(&wechat, &server, "base", "/").await;
    wechat.get(&callback).await;
    let mini_token = server.mini_program_login("xiaoming").await;
    // Consent brings the unionid: the mini program's user is merged into the official account's.
    let callback = wechat_authorize(&wechat, &server, "userinfo", "/account").await;
    wechat.get(&callback).await;
    let survivor = me(&wechat, &server).await;
    assert_eq!(
        survivor["identities"].as_array().map(Vec::len),
        Some(2),
        "{survivor}"
    );
    assert_eq!(survivor["has_phone"], false);

    let bound = server.bind_phone(&mini_token, "xiaoming").await;
    assert_eq!(bound["user_id"], survivor["user_id"]);
    assert_eq!(bound["has_phone"], true, "{bound}");
    let seen = me(&wechat, &server).await;
    assert_eq!(
        seen["has_phone"], true,
        "the survivor has the phone: {seen}"
    );
    assert!(seen["phone"].is_string(), "{seen}");

    // The session_key moved with the identity: open data still opens with the merged user's session.
    let sealed = server
        .control(
            "/sandbox/mp/encrypted-data",
            json!({ "persona": "xiaoming" }),
        )
        .await;
    let (status, opened) = server
        .api(
            &mini_token,
            reqwest::Method::POST,
            "/api/auth/wechat/decrypt",
            Some(sealed),
        )
        .await;
    assert_eq!(status, 200, "{opened}");
}

async fn wechat_browser_login_lands_on_next_and_a_duplicate_callback_is_harmless(
    database: TestDatabase,
) {
    let server = Wxgate::start(&database, &[]).await;
    let browser = Browser::new(Some(WECHAT_UA));
    let callback = wechat_authorize(&browser, &server, "base", "/account").await;
    assert!(
        callback.starts_with(&server.url("/api/auth/wechat/oauth/callback?")),
        "{callback}"
    );

    let finished = browser.get(&callback).await;
    assert_eq!(location(&finished), server.url("/account"));
    let first = me(&browser, &server).await;
    assert_eq!(first["identities"][0]["provider"], "wechat_oa");

    // WeChat now and then calls back twice with the same code: same place, same user, no 40163.
    let repeated = browser.get(&callback).await;
    assert_eq!(location(&repeated), server.url("/account"));
    assert_eq!(me(&browser, &server).await["user_id"], first["user_id"]);
}

async fn unionid_joins_and_merges_identities_into_one_user(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    // 1. Silent official-account login: an openid, no unionid yet.
    let wechat = Browser::new(Some(WECHAT_UA));
    let callback = wechat_authorize(&wechat, &server, "base", "/").await;
    wechat.get(&callback).await;
    let oa_user = me(&wechat, &server).await["user_id"]
        .as_str()
        .expect("user")
        .to_owned();

    // 2. The same person in the mini program: the unionid arrives with a second user.
    let code = wechat
        .post_json(
            &server.url("/sandbox/mp/login-code"),
            &json!({ "persona": "xiaoming" }),
        )
        .await
        .json::<Value>()
        .await
        .expect("json")["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let mini: Value = reqwest::Client::new()
        .post(server.url("/api/auth/wechat/login"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .expect("login")
        .json()
        .await
        .expect("json");
    let mp_user = mini["user_id"].as_str().expect("user").to_owned();
    assert_ne!(mp_user, oa_user, "nothing tells them apart yet");
    let mini_token = mini["session_token"].as_str().expect("token");

    // Each of the two buys something before anyone knows they are one person.
    let oa_order: Value = wechat
        .post_json(
            &server.url("/api/payments/create"),
            &json!({ "product_id": "green-tea" }),
        )
        .await
        .json()
        .await
        .expect("json");
    let oa_order_id = oa_order["order_id"].as_str().expect("order").to_owned();
    let mp_order = server.mini_program_order(mini_token, "mug").await;
    let mp_order_id = mp_order["order_id"].as_str().expect("order").to_owned();

    // 3. The official account with consent gives the unionid for the first identity: the two users merge.
    let callback = wechat_authorize(&wechat, &server, "userinfo", "/account").await;
    wechat.get(&callback).await;
    let merged = me(&wechat, &server).await;
    let providers: Vec<&str> = merged["identities"]
        .as_array()
        .expect("list")
        .iter()
        .map(|identity| identity["provider"].as_str().expect("provider"))
        .collect();
    assert_eq!(providers.len(), 2, "{merged}");
    assert!(
        providers.contains(&"wechat_oa") && providers.contains(&"wechat_mp"),
        "{merged}"
    );
    assert_eq!(merged["nickname"], "小明");
    let unionids: Vec<&Value> = merged["identities"]
        .as_array()
        .expect("list")
        .iter()
        .map(|identity| &identity["unionid"])
        .collect();
    assert_eq!(unionids[0], unionids[1]);

    // The mini program's session still works and finds the merged user.
    let response = reqwest::Client::new()
        .get(server.url("/api/me"))
        .bearer_auth(mini_token)
        .send()
        .await
        .expect("me");
    assert_eq!(
        response.json::<Value>().await.expect("json")["user_id"],
        merged["user_id"]
    );

    // Both orders went along with the merge: either session sees both as its own.
    let (status, orders) = server.server_fn(mini_token, "my_orders", &[]).await;
    assert_eq!(status, 200, "{orders}");
    let mut listed: Vec<&str> = orders
        .as_array()
        .expect("list")
        .iter()
        .map(|order| order["order_id"].as_str().expect("id"))
        .collect();
    listed.sort_unstable();
    let mut expected = vec![oa_order_id.as_str(), mp_order_id.as_str()];
    expected.sort_unstable();
    assert_eq!(listed, expected);
    for order_id in &expected {
        let seen = wechat
            .get(&server.url(&format!("/api/orders/{order_id}")))
            .await;
        assert_eq!(seen.status(), 200, "{order_id}");
    }
}

async fn desktop_qr_login_through_start_and_poll(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let desktop_app = reqwest::Client::new();
    let started: Value = desktop_app
        .post(server.url("/api/auth/oauth/start"))
        .json(&json!({ "provider": "wechat_web" }))
        .send()
        .await
        .expect("start")
        .json()
        .await
        .expect("json");
    let state = started["state"].as_str().expect("state");
    let secret = started["poll_secret"].as_str().expect("poll_secret");
    let poll = |state: &str| {
        let request = desktop_app
            .get(server.url(&format!("/api/auth/oauth/result?state={state}")))
            .header("Wxgate-Poll-Secret", secret);
        async move {
            let response = request.send().await.expect("poll");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("json"))
        }
    };
    assert_eq!(poll(state).await.1["status"], "pending");

    // The person opens the URL in a browser, scans the QR and confirms on the phone.
    let browser = Browser::new(None);
    let qr_page = browser
        .get(started["url"].as_str().expect("url"))
        .await
        .text()
        .await
        .expect("html");
    let uuid = qr_page
        .split("uuid=")
        .nth(1)
        .and_then(|rest| rest.split(['"', '&']).next())
        .expect("uuid")
        .to_owned();
    let phone = Browser::new(Some(WECHAT_UA));
    phone
        .get(&server.url(&format!("/sandbox/connect/confirm?uuid={uuid}")))
        .await;
    phone
        .post_form(
            &server.url("/sandbox/connect/confirm"),
            &[
                ("uuid", &uuid),
                ("persona", "laowang"),
                ("decision", "allow"),
            ],
        )
        .await;
    let status: Value = browser
        .get(&server.url(&format!("/sandbox/connect/qrconnect/status?uuid={uuid}")))
        .await
        .json()
        .await
        .expect("json");
    let landed = browser
        .get(status["redirect"].as_str().expect("redirect"))
        .await;
    assert_eq!(landed.status(), 200);
    assert!(landed.text().await.expect("html").contains("登录成功"));

    let (_, done) = poll(state).await;
    assert_eq!(done["status"], "done", "{done}");
    // The session token is handed out once: the next poll is answered like a state never started.
    assert_eq!(
        poll(state).await,
        poll("0123456789abcdef0123456789abcdef").await
    );
    let profile: Value = desktop_app
        .get(server.url("/api/me"))
        .bearer_auth(done["session_token"].as_str().expect("token"))
        .send()
        .await
        .expect("me")
        .json()
        .await
        .expect("json");
    assert_eq!(profile["nickname"], "老王");
    assert_eq!(profile["identities"][0]["provider"], "wechat_web");
}

async fn a_declined_consent_and_a_bad_state_come_back_to_the_login_page(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let browser = Browser::new(Some(WECHAT_UA));
    let started = browser
        .get(&server.url("/api/auth/wechat/oauth/start?scope=userinfo&next=/account"))
        .await;
    let authorize = location(&started).replace("#wechat_redirect", "");
    let field = |name: &str| query(&authorize, name).expect("field");
    let declined = browser
        .post_form(
            &server.url("/sandbox/connect/oauth2/authorize/decide"),
            &[
                ("appid", &field("appid")),
                ("redirect_uri", &field("redirect_uri")),
                ("state", &field("state")),
                ("decision", "deny"),
            ],
        )
        .await;
    let back = browser.get(&location(&declined)).await;
    assert_eq!(
        location(&back),
        server.url("/login?error=declined&next=%2Faccount")
    );

    let forged = browser
        .get(&server.url("/api/auth/wechat/oauth/callback?code=abc&state=forged"))
        .await;
    assert_eq!(location(&forged), server.url("/login?error=invalid_state"));
    let evil = browser
        .get(&server.url("/api/auth/wechat/oauth/start?next=https://evil.example.com/"))
        .await;
    assert!(evil.status().is_redirection());
    assert_eq!(browser.get(&server.url("/api/me")).await.status(), 401);
}

#[tokio::test]
async fn an_oauth_login_started_on_one_process_finishes_on_another() {
    let Some(database) = TestDatabase::postgres().await else {
        return;
    };
    // Two processes behind one load balancer share the database and talk to one WeChat (here: one sandbox).
    let wechat = Sandbox::start().await;
    let env = [
        ("WECHAT_OA_APPID", wechat.credential("oa_appid")),
        ("WECHAT_OA_SECRET", wechat.credential("oa_secret")),
        ("WECHAT_API_BASE", wechat.base_url.clone()),
        ("WECHAT_OPEN_BASE", wechat.base_url.clone()),
    ];
    let env: Vec<(&str, &str)> = env
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let first = WxgateProcess::start(&database, &env).await;
    let second = WxgateProcess::start(&database, &env).await;

    let browser = Browser::new(Some(WECHAT_UA));
    let started = browser
        .get(&first.url("/api/auth/wechat/oauth/start?next=/account"))
        .await;
    let answered = browser.get(&location(&started)).await;
    let callback = location(&answered);
    assert!(
        callback.starts_with(&first.url("/api/auth/wechat/oauth/callback")),
        "{callback}"
    );
    let on_second = callback.replace(&first.base_url, &second.base_url);
    let finished = browser.get(&on_second).await;
    assert_eq!(location(&finished), second.url("/account"));
    assert_eq!(
        me(&browser, &second).await["identities"][0]["provider"],
        "wechat_oa"
    );
    assert_eq!(
        me(&browser, &first).await["identities"][0]["provider"],
        "wechat_oa",
        "and the session works on both"
    );
}

async fn a_snapshot_page_user_gets_no_account(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let added = reqwest::Client::new()
        .post(server.url("/sandbox/personas"))
        .json(&json!({ "id": "moments", "nickname": "朋友圈访客", "snapshot": true }))
        .send()
        .await
        .expect("add persona");
    assert_eq!(added.status(), 201);
    let browser = Browser::new(Some(WECHAT_UA));
    let started = browser
        .get(&server.url("/api/auth/wechat/oauth/start?next=/account"))
        .await;
    let authorize = location(&started);
    // The sandbox knows this browser as the snapshot persona.
    let as_moments = browser
        .post_form(
            &server.url("/sandbox/connect/oauth2/authorize/decide"),
            &[
                (
                    "appid",
                    &query(&authorize.replace("#wechat_redirect", ""), "appid").expect("appid"),
                ),
                (
                    "redirect_uri",
                    &query(&authorize.replace("#wechat_redirect", ""), "redirect_uri")
                        .expect("redirect"),
                ),
                (
                    "state",
                    &query(&authorize.replace("#wechat_redirect", ""), "state").expect("state"),
                ),
                ("scope", "snsapi_base"),
                ("persona", "moments"),
                ("decision", "allow"),
            ],
        )
        .await;
    let finished = browser.get(&location(&as_moments)).await;
    assert_eq!(
        location(&finished),
        server.url("/login?error=snapshot_user")
    );
    assert_eq!(browser.get(&server.url("/api/me")).await.status(), 401);
}

async fn an_expired_login_state_is_refused_and_a_new_login_offered(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let started: Value = reqwest::Client::new()
        .post(server.url("/api/auth/oauth/start"))
        .json(&json!({ "provider": "wechat_web" }))
        .send()
        .await
        .expect("start")
        .json()
        .await
        .expect("json");
    let state = started["state"].as_str().expect("state").to_owned();
    let secret = started["poll_secret"].as_str().expect("poll_secret");
    // Ten minutes go by.
    let db = database.connect().await;
    sqlx::query("UPDATE oauth_logins SET expires_at = 0 WHERE state = $1")
        .bind(&state)
        .execute(db.pool())
        .await
        .expect("age the login");

    let result: Value = reqwest::Client::new()
        .get(server.url(&format!("/api/auth/oauth/result?state={state}")))
        .header("Wxgate-Poll-Secret", secret)
        .send()
        .await
        .expect("poll")
        .json()
        .await
        .expect("json");
    assert_eq!(result["status"], "expired");
    let browser = Browser::new(None);
    let callback = browser
        .get(&server.url(&format!(
            "/api/auth/wechat/oauth/callback?code=any&state={state}"
        )))
        .await;
    assert_eq!(
        location(&callback),
        server.url("/login?error=state_expired")
    );
    let answer = browser.get(&server.url("/login?error=state_expired")).await;
    let status = answer.status();
    let login_page = answer.text().await.expect("html");
    assert!(
        login_page.contains("登录链接已失效"),
        "the login page says so and offers a new login; it answered {status}: {login_page}"
    );
}

async fn a_used_code_brought_back_with_another_state_signs_nobody_in(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let victim = Browser::new(Some(WECHAT_UA));
    let callback = wechat_authorize(&victim, &server, "base", "/account").await;
    assert_eq!(
        location(&victim.get(&callback).await),
        server.url("/account")
    );
    let code = query(&callback, "code").expect("code");

    // Someone who saw the victim's callback URL starts a login of their own and brings the code back with it.
    let attacker = Browser::new(Some(WECHAT_UA));
    let started = attacker
        .get(&server.url("/api/auth/wechat/oauth/start?scope=base&next=/"))
        .await;
    let own_state =
        query(&location(&started).replace("#wechat_redirect", ""), "state").expect("state");
    let mut replayed = Url::parse(&server.url("/api/auth/wechat/oauth/callback")).expect("url");
    replayed
        .query_pairs_mut()
        .append_pair("code", &code)
        .append_pair("state", &own_state);
    let answered = attacker.get(replayed.as_str()).await;

    // Not answered from the code cache: WeChat is asked, and it refuses a used code.
    assert_eq!(location(&answered), server.url("/login?error=code_used"));
    assert_eq!(attacker.get(&server.url("/api/me")).await.status(), 401);
}
