//! The mini program's JSON login API against the sandbox: login, phone, legacy decryption, me, logout, the errors
//! and limits, and no secret in the logs.

use reqwest::header::{AUTHORIZATION, SET_COOKIE};
use serde_json::{json, Value};

use crate::support::{on_both_backends, Served, TestDatabase, Wxgate, WxgateProcess};

async fn login(server: &Served, code: &str) -> (reqwest::StatusCode, Value, Option<String>) {
    let response = reqwest::Client::new()
        .post(server.url("/api/auth/wechat/login"))
        .json(&json!({ "code": code }))
        .send()
        .await
        .expect("login");
    let status = response.status();
    let cookie = response
        .headers()
        .get(SET_COOKIE)
        .map(|value| value.to_str().expect("ascii").to_owned());
    (status, response.json().await.expect("json"), cookie)
}

async fn as_bearer(
    server: &Served,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Option<Value>,
) -> (reqwest::StatusCode, Value) {
    let mut request = reqwest::Client::new()
        .request(method, server.url(path))
        .header(AUTHORIZATION, format!("Bearer {token}"));
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status();
    let body = if status == reqwest::StatusCode::NO_CONTENT {
        Value::Null
    } else {
        response.json().await.expect("json")
    };
    (status, body)
}

on_both_backends! {
    mini_program_logs_in_binds_a_phone_and_decrypts_with_the_newest_key => mini_program_logs_in_binds_a_phone_and_decrypts_with_the_newest_key;
    login_errors_are_clear_and_limited => login_errors_are_clear_and_limited;
    wechat_errors_busy_retries_and_timeouts_are_told_apart => wechat_errors_busy_retries_and_timeouts_are_told_apart;
    one_address_gets_thirty_login_attempts_a_minute => one_address_gets_thirty_login_attempts_a_minute;
    first_logins_of_one_person_at_once_make_one_user => first_logins_of_one_person_at_once_make_one_user;
}

/// Many first logins of one person at once (tabs, retried requests) all end at one user. 25 stays under the
/// per-address limit; without the PostgreSQL advisory lock about one run in three made two users.
async fn first_logins_of_one_person_at_once_make_one_user(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let mut codes = Vec::new();
    for _ in 0..25 {
        let minted = server
            .control("/sandbox/mp/login-code", json!({ "persona": "xiaohong" }))
            .await;
        codes.push(minted["code"].as_str().expect("code").to_owned());
    }
    let server = std::sync::Arc::new(server);
    let mut logins = tokio::task::JoinSet::new();
    for code in codes {
        let server = server.clone();
        logins.spawn(async move { login(&server, &code).await });
    }
    let mut users = Vec::new();
    while let Some(done) = logins.join_next().await {
        let (status, body, _) = done.expect("login task");
        assert_eq!(status, 200, "{body}");
        users.push(body["user_id"].as_str().expect("user id").to_owned());
    }
    users.sort_unstable();
    users.dedup();
    assert_eq!(users.len(), 1, "{users:?}");
}

async fn mini_program_logs_in_binds_a_phone_and_decrypts_with_the_newest_key(
    database: TestDatabase,
) {
    let server = WxgateProcess::start(&database, &[]).await;
    let code = server
        .control("/sandbox/mp/login-code", json!({ "persona": "xiaohong" }))
        .await["code"]
        .as_str()
        .expect("code")
        .to_owned();

    let (status, body, cookie) = login(&server, &code).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["has_phone"], false);
    assert_eq!(body["next_step"], "bind_phone");
    assert!(
        body.get("session_key").is_none(),
        "the session_key never leaves the server: {body}"
    );
    let token = body["session_token"]
        .as_str()
        .expect("session_token")
        .to_owned();
    let user_id = body["user_id"].as_str().expect("user_id").to_owned();
    let cookie = cookie.expect("a session cookie too");
    assert!(
        cookie.starts_with(&format!("wxgate_session={token}")),
        "{cookie}"
    );

    let (status, me) = as_bearer(&server, reqwest::Method::GET, "/api/me", &token, None).await;
    assert_eq!(status, 200);
    assert_eq!(me["user_id"], user_id.as_str());
    assert_eq!(me["identities"][0]["provider"], "wechat_mp");

    let phone_code = server
        .control("/sandbox/mp/phone-code", json!({ "persona": "xiaohong" }))
        .await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let (status, bound) = as_bearer(
        &server,
        reqwest::Method::POST,
        "/api/auth/wechat/phone",
        &token,
        Some(json!({ "code": phone_code })),
    )
    .await;
    assert_eq!(status, 200, "{bound}");
    assert_eq!(bound["has_phone"], true);
    assert_eq!(bound["next_step"], "done");
    let (_, me) = as_bearer(&server, reqwest::Method::GET, "/api/me", &token, None).await;
    assert_eq!(me["phone"], "13900139000");

    let sealed = server
        .control(
            "/sandbox/mp/encrypted-data",
            json!({ "persona": "xiaohong" }),
        )
        .await;
    let (status, opened) = as_bearer(
        &server,
        reqwest::Method::POST,
        "/api/auth/wechat/decrypt",
        &token,
        Some(sealed.clone()),
    )
    .await;
    assert_eq!(status, 200, "{opened}");
    assert_eq!(opened["data"]["nickName"], "小红");

    // A second wx.login rotates the session_key: data sealed with the old one is stale.
    let again = server
        .control("/sandbox/mp/login-code", json!({ "persona": "xiaohong" }))
        .await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let (status, relogin, _) = login(&server, &again).await;
    assert_eq!(status, 200);
    assert_eq!(
        relogin["user_id"],
        user_id.as_str(),
        "the same person is the same user"
    );
    assert_eq!(relogin["next_step"], "done");
    let (status, stale) = as_bearer(
        &server,
        reqwest::Method::POST,
        "/api/auth/wechat/decrypt",
        &token,
        Some(sealed),
    )
    .await;
    assert_eq!(status, 409, "{stale}");
    assert_eq!(stale["error"]["code"], "session_key_stale");
    assert!(stale["error"]["message"]
        .as_str()
        .expect("message")
        .contains("wx.login"));

    let (status, _) = as_bearer(
        &server,
        reqwest::Method::POST,
        "/api/auth/logout",
        &token,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let (status, gone) = as_bearer(&server, reqwest::Method::GET, "/api/me", &token, None).await;
    assert_eq!(status, 401);
    assert_eq!(gone["error"]["code"], "unauthenticated");

    let (_, persona_list) = (
        0,
        reqwest::get(server.url("/sandbox/personas"))
            .await
            .expect("personas")
            .text()
            .await
            .expect("text"),
    );
    let credentials = std::fs::read_to_string(database.data_dir().join("sandbox/credentials.json"))
        .expect("credentials");
    let credentials: Value = serde_json::from_str(&credentials).expect("json");
    let log = server.log();
    assert!(
        !log.contains(credentials["mp_secret"].as_str().expect("secret")),
        "the app secret is never logged"
    );
    assert!(!log.contains(&token), "session tokens are never logged");
    assert!(
        !log.contains("session_key\":"),
        "session keys are never logged"
    );
    assert!(persona_list.contains("xiaohong"));
}

async fn login_errors_are_clear_and_limited(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;

    let (status, body, _) = login(&server, "not-a-real-code").await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "invalid_code");

    let code = server.control("/sandbox/mp/login-code", json!({})).await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    assert_eq!(login(&server, &code).await.0, 200);
    let (status, body, _) = login(&server, &code).await;
    assert_eq!(status, 400);
    assert_eq!(body["error"]["code"], "code_used");

    let expired = server.control("/sandbox/mp/login-code", json!({})).await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    server.control("/sandbox/codes/expire", json!({})).await;
    let (status, body, _) = login(&server, &expired).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (400, Some("invalid_code"))
    );

    let response = reqwest::Client::new()
        .post(server.url("/api/auth/wechat/login"))
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 400);
    assert_eq!(
        response.json::<Value>().await.expect("json")["error"]["code"],
        "bad_request"
    );

    // The same code over and over is cut off.
    let statuses = {
        let mut statuses = Vec::new();
        for _ in 0..4 {
            statuses.push(login(&server, "hammered-code").await.0.as_u16());
        }
        statuses
    };
    assert_eq!(statuses, vec![400, 400, 400, 429]);

    let providers: Value = reqwest::get(server.url("/api/auth/providers"))
        .await
        .expect("providers")
        .json()
        .await
        .expect("json");
    assert_eq!(
        providers,
        json!([
            { "id": "wechat_mp", "type": "miniprogram", "enabled": true },
            { "id": "wechat_oa", "type": "oauth", "enabled": true },
            { "id": "wechat_web", "type": "oauth", "enabled": true },
        ])
    );
}

#[tokio::test]
async fn nothing_is_enabled_in_live_mode_without_credentials() {
    let database = TestDatabase::sqlite();
    let server = Wxgate::start(&database, &[("WXGATE_MODE", "live")]).await;
    let (status, body, _) = login(&server, "any").await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "provider_disabled");
    let providers: Value = reqwest::get(server.url("/api/auth/providers"))
        .await
        .expect("providers")
        .json()
        .await
        .expect("json");
    assert!(providers
        .as_array()
        .expect("list")
        .iter()
        .all(|provider| provider["enabled"] == false));
}

async fn wechat_errors_busy_retries_and_timeouts_are_told_apart(database: TestDatabase) {
    let server = Wxgate::start(&database, &[("WECHAT_TIMEOUT_SECONDS", "1")]).await;
    let fault = |faults: Value| {
        let server = &server;
        async move {
            let response = reqwest::Client::new()
                .post(server.url("/sandbox/login/faults"))
                .json(&faults)
                .send()
                .await
                .expect("faults");
            assert!(response.status().is_success());
        }
    };
    let fresh_code = || async {
        server.control("/sandbox/mp/login-code", json!({})).await["code"]
            .as_str()
            .expect("code")
            .to_owned()
    };

    fault(json!({ "errcode": 40226, "fail_next": 1 })).await;
    let (status, body, _) = login(&server, &fresh_code().await).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (403, Some("user_blocked")),
        "{body}"
    );

    // WeChat busy once: the client asks again and the login goes through.
    fault(json!({ "errcode": -1, "fail_next": 1 })).await;
    let (status, body, _) = login(&server, &fresh_code().await).await;
    assert_eq!(status, 200, "{body}");

    // Busy twice: one retry only, then a clear answer.
    fault(json!({ "errcode": -1, "fail_next": 2 })).await;
    let (status, body, _) = login(&server, &fresh_code().await).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (503, Some("wechat_busy")),
        "{body}"
    );

    fault(json!({ "delay_ms": 2500 })).await;
    let (status, body, _) = login(&server, &fresh_code().await).await;
    assert_eq!(
        (status.as_u16(), body["error"]["code"].as_str()),
        (504, Some("upstream_timeout")),
        "{body}"
    );
}

async fn one_address_gets_thirty_login_attempts_a_minute(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let mut statuses = Vec::new();
    for attempt in 0..31 {
        statuses.push(login(&server, &format!("code-{attempt}")).await.0.as_u16());
    }
    assert!(
        statuses[..30].iter().all(|status| *status == 400),
        "{statuses:?}"
    );
    assert_eq!(statuses[30], 429);
}
