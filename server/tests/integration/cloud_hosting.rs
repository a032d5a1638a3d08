//! WeChat Cloud Hosting sign-in: with `WXGATE_CLOUD_HOSTING=1`, a request through the gateway (the sandbox's
//! `/sandbox/cloud/call-container`, which adds the persona's `X-WX-*` headers) signs the mini-program user in with
//! no code, as the same user a `wx.login` gives; the appid must be wxgate's mini program. Off, the headers are
//! ignored entirely.

use serde_json::{json, Value};

use crate::support::{on_both_backends, TestDatabase, Wxgate};

on_both_backends! {
    through_the_gateway_the_caller_signs_in_as_a_code_login_would => through_the_gateway_the_caller_signs_in_as_a_code_login_would;
    with_the_switch_off_the_gateways_headers_are_ignored => with_the_switch_off_the_gateways_headers_are_ignored;
}

/// `wx.cloud.callContainer` as `persona`, through the sandbox's gateway; callContainer's answer.
async fn call_container(
    server: &Wxgate,
    persona: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> Value {
    let mut header = json!({});
    if let Some(token) = token {
        header["Authorization"] = json!(format!("Bearer {token}"));
    }
    // A caller's own X-WX-* headers never reach the service: the gateway sets them.
    header["X-WX-OPENID"] = json!("oForgedByTheCaller");
    server
        .control(
            "/sandbox/cloud/call-container",
            json!({ "persona": persona, "method": method, "path": path, "header": header }),
        )
        .await
}

/// `POST /api/auth/wechat/cloud-login` as `persona`, through the gateway; callContainer's answer.
async fn cloud_login(server: &Wxgate, persona: &str) -> Value {
    call_container(
        server,
        persona,
        "POST",
        "/api/auth/wechat/cloud-login",
        None,
    )
    .await
}

/// A request straight to wxgate carrying the gateway's headers, as anyone could send them.
async fn with_gateway_headers(server: &Wxgate, path: &str, appid: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url(path))
        .header("X-WX-SOURCE", "wx_client")
        .header("X-WX-APPID", appid)
        .header("X-WX-OPENID", "oSomeoneElse0000000000000000")
        .send()
        .await
        .expect("request");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn through_the_gateway_the_caller_signs_in_as_a_code_login_would(database: TestDatabase) {
    let server = Wxgate::start(&database, &[("WXGATE_CLOUD_HOSTING", "1")]).await;
    let login = cloud_login(&server, "xiaoming").await;
    assert_eq!(login["statusCode"], 200, "{login}");
    let token = login["data"]["session_token"]
        .as_str()
        .expect("session_token")
        .to_owned();
    let me = call_container(&server, "xiaoming", "GET", "/api/me", Some(&token)).await;
    assert_eq!(me["statusCode"], 200, "{me}");
    let identity = &me["data"]["identities"][0];
    assert_eq!(identity["provider"], "wechat_mp");
    assert_ne!(identity["openid"], "oForgedByTheCaller");
    assert!(
        identity["unionid"].is_string(),
        "linked through the unionid: {identity}"
    );

    // The same person through wx.login is the same user.
    let code_token = server.mini_program_login("xiaoming").await;
    let (_, by_code) = server
        .api(&code_token, reqwest::Method::GET, "/api/me", None)
        .await;
    assert_eq!(by_code["user_id"], me["data"]["user_id"]);
    let rows: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM identities WHERE provider = 'wechat_mp'")
            .fetch_one(database.connect().await.pool())
            .await
            .expect("count");
    assert_eq!(rows, 1);

    // Another app's appid is refused, and so is a request without the gateway's headers.
    let (status, refused) = with_gateway_headers(
        &server,
        "/api/auth/wechat/cloud-login",
        "wx0000000000000000",
    )
    .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (400, &json!("bad_request")),
        "{refused}"
    );
    let (status, _) = server
        .api(
            "",
            reqwest::Method::POST,
            "/api/auth/wechat/cloud-login",
            None,
        )
        .await;
    assert_eq!(status, 400);
}

async fn with_the_switch_off_the_gateways_headers_are_ignored(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let login = cloud_login(&server, "xiaoming").await;
    assert_eq!(login["statusCode"], 404, "{login}");
    assert_eq!(login["data"]["error"]["code"], "provider_disabled");
    let me = call_container(&server, "xiaoming", "GET", "/api/me", None).await;
    assert_eq!(me["statusCode"], 401, "the headers sign nobody in: {me}");
    let mp_appid = server.control_get("/sandbox").await["mp_appid"]
        .as_str()
        .expect("appid")
        .to_owned();
    let (status, _) =
        with_gateway_headers(&server, "/api/auth/wechat/cloud-login", &mp_appid).await;
    assert_eq!(status, 404);
    let rows: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(database.connect().await.pool())
        .await
        .expect("count");
    assert_eq!(rows, 0, "nobody was signed up");
}
