//! Whatever fails, no secret reaches the log: wxgate runs live against a standalone sandbox while WeChat and
//! WeChat Pay answer, refuse connections or time out, and its whole log is then searched for every app secret, the
//! APIv3 key, the merchant private key, session tokens, session_keys, access tokens, codes and OAuth states.
//! Request spans are switched on (`tower_http=debug`) so that request URIs would show if they were written.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{on_both_backends, Sandbox, TestDatabase, WxgateProcess};

on_both_backends! {
    no_secret_reaches_the_log_when_wechat_answers_refuses_or_times_out => no_secret_reaches_the_log;
}

/// Logs as a deployment debugging its requests would: wxgate at info, tower-http's request spans at debug.
const LOG_FILTER: &str = "info,tower_http=debug";

/// The Standard Webhooks secret events are signed with.
const EVENTS_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// `http://127.0.0.1:PORT` where nothing listens (the port was free a moment ago and is closed again).
fn closed_base() -> String {
    let address = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port");
    format!("http://{address}")
}

/// Live mode with all three apps and WeChat Pay configured from the sandbox's credentials; `api` is where
/// api.weixin.qq.com is, `pay` where api.mch.weixin.qq.com is.
fn live_env(wechat: &Sandbox, api: &str, pay: &str, timeout: &str) -> Vec<(String, String)> {
    let credential = |name: &str| wechat.credential(name);
    [
        ("WXGATE_MODE", "live".to_owned()),
        ("RUST_LOG", LOG_FILTER.to_owned()),
        ("WECHAT_TIMEOUT_SECONDS", timeout.to_owned()),
        ("WECHAT_MP_APPID", credential("mp_appid")),
        ("WECHAT_MP_SECRET", credential("mp_secret")),
        ("WECHAT_OA_APPID", credential("oa_appid")),
        ("WECHAT_OA_SECRET", credential("oa_secret")),
        ("WECHAT_CLIENT_ID", credential("web_appid")),
        ("WECHAT_CLIENT_SECRET", credential("web_secret")),
        ("WECHAT_API_BASE", api.to_owned()),
        ("WECHAT_OPEN_BASE", wechat.base_url.clone()),
        ("WECHAT_PAY_BASE", pay.to_owned()),
        ("WECHAT_PAY_MCH_ID", credential("mchid")),
        ("WECHAT_PAY_APP_ID", credential("mp_appid")),
        ("WECHAT_PAY_API_V3_KEY", credential("apiv3_key")),
        (
            "WECHAT_PAY_PRIVATE_KEY",
            credential("merchant_private_key_pem"),
        ),
        ("WECHAT_PAY_CERT_SERIAL", credential("merchant_serial")),
        ("WECHAT_PAY_PUBLIC_KEY", credential("pay_public_key_pem")),
        ("WECHAT_PAY_PUBLIC_KEY_ID", credential("pay_public_key_id")),
        (
            "WECHAT_PAY_NOTIFY_URL",
            "https://shop.example.com/api/webhooks/wechat-pay".to_owned(),
        ),
        ("WECHAT_PUSH_TOKEN", credential("push_token")),
        ("WECHAT_PUSH_AES_KEY", credential("push_aes_key")),
        // The product's endpoint refuses connections: every delivery fails and is logged.
        ("WXGATE_EVENTS_URL", format!("{}/events", closed_base())),
        ("WXGATE_EVENTS_SECRET", EVENTS_SECRET.to_owned()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_owned(), value))
    .collect()
}

async fn start(database: &TestDatabase, env: &[(String, String)]) -> WxgateProcess {
    let env: Vec<(&str, &str)> = env
        .iter()
        .map(|(name, value)| (name.as_str(), value.as_str()))
        .collect();
    WxgateProcess::start(database, &env).await
}

/// A code the sandbox mints at `path` (`/sandbox/mp/login-code`, `/sandbox/mp/phone-code`).
async fn mint(wechat: &Sandbox, path: &str) -> String {
    wechat.control(path, json!({ "persona": "xiaohong" })).await["code"]
        .as_str()
        .expect("code")
        .to_owned()
}

async fn log_in(server: &WxgateProcess, code: &str) -> (u16, Value) {
    server
        .api(
            "",
            Method::POST,
            "/api/auth/wechat/login",
            Some(json!({ "code": code })),
        )
        .await
}

async fn bind_phone(server: &WxgateProcess, token: &str, code: &str) -> (u16, Value) {
    server
        .api(
            token,
            Method::POST,
            "/api/auth/wechat/phone",
            Some(json!({ "code": code })),
        )
        .await
}

async fn no_secret_reaches_the_log(database: TestDatabase) {
    let wechat = Sandbox::start().await;
    let mut secrets: Vec<(String, String)> = [
        "mp_secret",
        "oa_secret",
        "web_secret",
        "apiv3_key",
        "push_token",
        "push_aes_key",
    ]
    .into_iter()
    .map(|name| (name.to_owned(), wechat.credential(name)))
    .collect();
    secrets.push(("the events secret".to_owned(), EVENTS_SECRET.to_owned()));
    // Every line of the merchant key's base64 body.
    for line in wechat
        .credential("merchant_private_key_pem")
        .lines()
        .filter(|line| !line.starts_with("-----") && line.len() >= 16)
    {
        secrets.push((
            "a line of the merchant private key".to_owned(),
            line.to_owned(),
        ));
    }

    // 1. WeChat answers and WeChat Pay refuses connections: login and phone work, paying fails.
    let reachable = start(
        &database,
        &live_env(&wechat, &wechat.base_url, &closed_base(), "5"),
    )
    .await;
    let login_code = mint(&wechat, "/sandbox/mp/login-code").await;
    let (status, login) = log_in(&reachable, &login_code).await;
    assert_eq!(status, 200, "{login}");
    let token = login["session_token"].as_str().expect("token").to_owned();
    let user_id = login["user_id"].as_str().expect("user").to_owned();
    let phone_code = mint(&wechat, "/sandbox/mp/phone-code").await;
    let (status, bound) = bind_phone(&reachable, &token, &phone_code).await;
    assert_eq!(status, 200, "{bound}");
    let (status, refused) = reachable
        .api(
            &token,
            Method::POST,
            "/api/payments/miniprogram/create",
            Some(json!({ "product_id": "green-tea" })),
        )
        .await;
    assert_eq!(status, 503, "{refused}");
    assert_eq!(refused["error"]["code"], "wechat_pay_unavailable");
    // A callback's query carries the code and the state: the request span must not write them.
    let (callback_code, callback_state) =
        ("callback-code-in-the-query", "callback-state-in-the-query");
    let callback = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(reachable.url(&format!(
            "/api/auth/wechat/oauth/callback?code={callback_code}&state={callback_state}"
        )))
        .send()
        .await
        .expect("callback");
    assert!(callback.status().is_redirection(), "{}", callback.status());

    let db = database.connect().await;
    let (_, session_key) = db
        .session_key(&user_id, &wechat.credential("mp_appid"))
        .await
        .expect("session_key")
        .expect("kept");
    let access_token = db
        .load_token(&format!("{}:access_token", wechat.credential("mp_appid")))
        .await
        .expect("token row")
        .expect("shared access token")
        .value;

    // 2. WeChat refuses connections: the code exchange fails, and so does the phone number call, which takes the
    // access token the first process shared (it is still fresh) into its query.
    let unreachable = start(
        &database,
        &live_env(&wechat, &closed_base(), &closed_base(), "5"),
    )
    .await;
    let unsent_code = mint(&wechat, "/sandbox/mp/login-code").await;
    let (status, failed) = log_in(&unreachable, &unsent_code).await;
    assert_eq!(
        (status, &failed["error"]["code"]),
        (500, &json!("internal")),
        "{failed}"
    );
    let unsent_phone_code = mint(&wechat, "/sandbox/mp/phone-code").await;
    let (status, failed) = bind_phone(&unreachable, &token, &unsent_phone_code).await;
    assert_eq!(
        (status, &failed["error"]["code"]),
        (500, &json!("internal")),
        "{failed}"
    );

    // 3. WeChat is slower than the one second wxgate waits.
    wechat
        .control("/sandbox/login/faults", json!({ "delay_ms": 2500 }))
        .await;
    let slow = start(
        &database,
        &live_env(&wechat, &wechat.base_url, &closed_base(), "1"),
    )
    .await;
    let slow_code = mint(&wechat, "/sandbox/mp/login-code").await;
    let (status, failed) = log_in(&slow, &slow_code).await;
    assert_eq!(
        (status, &failed["error"]["code"]),
        (504, &json!("upstream_timeout")),
        "{failed}"
    );

    // 4. A code too long to be WeChat's is refused before anything uses it.
    let oversized_code = "oversized-code-".repeat(9);
    let (status, refused) = log_in(&slow, &oversized_code).await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (400, &json!("bad_request")),
        "{refused}"
    );

    secrets.extend(
        [
            ("a session token", token),
            ("a session_key", session_key),
            ("an access token", access_token),
            ("a login code", login_code),
            ("a phone code", phone_code),
            ("an OAuth code", callback_code.to_owned()),
            ("an OAuth state", callback_state.to_owned()),
            ("an unsent login code", unsent_code),
            ("an unsent phone code", unsent_phone_code),
            ("a login code that timed out", slow_code),
            ("an oversized login code", oversized_code),
        ]
        .map(|(name, value)| (name.to_owned(), value)),
    );
    let log = [&reachable, &unreachable, &slow]
        .map(WxgateProcess::log)
        .join("\n");
    assert!(
        log.contains("request failed") && log.contains("finished processing request"),
        "the failures and the request spans were logged:\n{log}"
    );
    for (name, secret) in &secrets {
        assert!(
            !log.contains(secret.as_str()),
            "{name} is in the log:\n{log}"
        );
    }
}
