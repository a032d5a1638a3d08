//! HTTP hardening, over HTTP: security headers on pages and JSON answers (a page's scripts carry the nonce its
//! policy names, live pages may use WeChat's script, avatars and QR frame and nothing else from elsewhere),
//! state-changing requests from other sites refused, and slow clients cut off: headers sent a byte at a time, a
//! body that stops arriving, a request that takes longer than the handler may.

use std::time::{Duration, Instant};

use reqwest::header::{HeaderMap, CONTENT_SECURITY_POLICY};
use serde_json::{json, Value};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::support::{on_both_backends, Sandbox, TestDatabase, Wxgate};

on_both_backends! {
    pages_and_json_answers_carry_the_security_headers => pages_and_json_answers_carry_the_security_headers;
    a_live_page_may_use_wechats_script_avatars_and_qr_frame_and_nothing_else => a_live_page_may_use_wechats_script_avatars_and_qr_frame_and_nothing_else;
    behind_https_browsers_are_told_to_stay_on_https => behind_https_browsers_are_told_to_stay_on_https;
    a_cross_site_post_is_refused_and_the_same_post_from_the_site_or_without_origin_passes => a_cross_site_post_is_refused_and_the_same_post_from_the_site_or_without_origin_passes;
    a_client_sending_its_headers_a_byte_at_a_time_is_cut_off => a_client_sending_its_headers_a_byte_at_a_time_is_cut_off;
    a_request_body_that_stops_arriving_fails_the_request => a_request_body_that_stops_arriving_fails_the_request;
    a_request_that_outlasts_the_handler_timeout_answers_503 => a_request_that_outlasts_the_handler_timeout_answers_503;
}

/// The header `name` as text; fails when it is missing.
fn header(headers: &HeaderMap, name: impl reqwest::header::AsHeaderName) -> &str {
    headers
        .get(name)
        .and_then(|value| value.to_str().ok())
        .expect("the header is there")
}

/// The directive `name` of a Content-Security-Policy, e.g. `script-src 'self' …`.
fn directive<'a>(policy: &'a str, name: &str) -> &'a str {
    policy
        .split(';')
        .map(str::trim)
        .find(|directive| directive.split(' ').next() == Some(name))
        .unwrap_or_else(|| panic!("no {name} in {policy}"))
}

/// The nonce a page policy names.
fn nonce_of(policy: &str) -> String {
    directive(policy, "script-src")
        .split(' ')
        .find_map(|source| source.strip_prefix("'nonce-"))
        .and_then(|nonce| nonce.strip_suffix('\''))
        .unwrap_or_else(|| panic!("no nonce in {policy}"))
        .to_owned()
}

/// Every `<script …>` tag of an HTML document.
fn script_tags(html: &str) -> Vec<&str> {
    html.split("<script")
        .skip(1)
        .map(|rest| rest.split_once('>').map_or(rest, |(tag, _)| tag))
        .collect()
}

async fn pages_and_json_answers_carry_the_security_headers(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;

    let page = reqwest::get(server.url("/shop")).await.expect("page");
    assert_eq!(page.status(), 200);
    let headers = page.headers().clone();
    let policy = header(&headers, CONTENT_SECURITY_POLICY).to_owned();
    assert_eq!(directive(&policy, "default-src"), "default-src 'self'");
    assert_eq!(
        directive(&policy, "frame-ancestors"),
        "frame-ancestors 'self'"
    );
    assert_eq!(
        directive(&policy, "frame-src"),
        "frame-src 'self'",
        "the sandbox's QR page is this site"
    );
    assert!(!policy.contains("unsafe-inline"), "{policy}");
    assert!(
        !policy.contains("res.wx.qq.com"),
        "the sandbox's JS-SDK is this site's: {policy}"
    );
    assert_eq!(header(&headers, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(&headers, "referrer-policy"),
        "strict-origin-when-cross-origin"
    );
    assert!(
        headers.get("strict-transport-security").is_none(),
        "not over http"
    );
    let nonce = nonce_of(&policy);
    let html = page.text().await.expect("html");
    let scripts = script_tags(&html);
    assert!(!scripts.is_empty(), "the page hydrates");
    for tag in scripts {
        assert!(tag.contains(&format!("nonce=\"{nonce}\"")), "{tag}");
    }
    let again = reqwest::get(server.url("/shop")).await.expect("page");
    assert_ne!(
        nonce_of(header(again.headers(), CONTENT_SECURITY_POLICY)),
        nonce,
        "a nonce per response"
    );

    let json = reqwest::get(server.url("/api/products"))
        .await
        .expect("json");
    assert_eq!(json.status(), 200);
    let headers = json.headers();
    assert_eq!(
        header(headers, CONTENT_SECURITY_POLICY),
        "default-src 'none'; frame-ancestors 'self'"
    );
    assert_eq!(header(headers, "x-content-type-options"), "nosniff");
    assert_eq!(
        header(headers, "referrer-policy"),
        "strict-origin-when-cross-origin"
    );

    // The sandbox's own pages keep their policy, and need no inline script under it.
    let web_appid = server.control_get("/sandbox").await["web_appid"]
        .as_str()
        .expect("web appid")
        .to_owned();
    let mut qr_page = reqwest::Url::parse(&server.url("/sandbox/connect/qrconnect")).expect("url");
    qr_page
        .query_pairs_mut()
        .append_pair("appid", &web_appid)
        .append_pair(
            "redirect_uri",
            &server.url("/api/auth/wechat/oauth/callback"),
        )
        .append_pair("response_type", "code")
        .append_pair("scope", "snsapi_login")
        .append_pair("state", "s");
    let qr_page = reqwest::get(qr_page).await.expect("sandbox page");
    assert_eq!(qr_page.status(), 200);
    let policy = header(qr_page.headers(), CONTENT_SECURITY_POLICY).to_owned();
    assert_eq!(directive(&policy, "script-src"), "script-src 'self'");
    assert!(
        directive(&policy, "style-src").starts_with("style-src 'sha256-"),
        "{policy}"
    );
    let html = qr_page.text().await.expect("html");
    let scripts = script_tags(&html);
    assert_eq!(scripts.len(), 1, "{html}");
    assert!(scripts[0].contains(" src=\""), "no inline script: {html}");
}

async fn a_live_page_may_use_wechats_script_avatars_and_qr_frame_and_nothing_else(
    database: TestDatabase,
) {
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
    let server = Wxgate::start(&database, &env).await;
    let page = reqwest::get(server.url("/")).await.expect("page");
    assert_eq!(page.status(), 200);
    let policy = header(page.headers(), CONTENT_SECURITY_POLICY).to_owned();
    let nonce = nonce_of(&policy);
    assert_eq!(
        directive(&policy, "script-src"),
        format!(
            "script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval' https://res.wx.qq.com/open/js/jweixin-1.6.0.js"
        )
    );
    assert_eq!(
        directive(&policy, "img-src"),
        "img-src 'self' data: https://thirdwx.qlogo.cn https://wx.qlogo.cn"
    );
    // WeChat's QR page (open.weixin.qq.com, here the sandbox standing in for it) may be framed.
    assert_eq!(
        directive(&policy, "frame-src"),
        format!("frame-src 'self' {}", wechat.base_url)
    );
    assert_eq!(
        directive(&policy, "frame-ancestors"),
        "frame-ancestors 'self'"
    );
}

async fn behind_https_browsers_are_told_to_stay_on_https(database: TestDatabase) {
    // A sandbox behind an https APP_URL is reachable from elsewhere: that has to be said.
    let server = Wxgate::start(
        &database,
        &[
            ("APP_URL", "https://shop.example.com"),
            ("WXGATE_SANDBOX_EXPOSED", "yes"),
        ],
    )
    .await;
    for path in ["/", "/api/products"] {
        let answer = reqwest::get(server.url(path)).await.expect("answer");
        assert_eq!(
            header(answer.headers(), "strict-transport-security"),
            "max-age=31536000",
            "{path}"
        );
    }
}

/// POSTs `body` to `path` as `token`, with `origin` as the Origin header when there is one.
async fn post_from(
    server: &Wxgate,
    origin: Option<&str>,
    token: &str,
    path: &str,
    body: Value,
) -> (u16, Value) {
    let mut request = reqwest::Client::new().post(server.url(path)).json(&body);
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    if let Some(origin) = origin {
        request = request.header(reqwest::header::ORIGIN, origin);
    }
    let response = request.send().await.expect("POST");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn a_cross_site_post_is_refused_and_the_same_post_from_the_site_or_without_origin_passes(
    database: TestDatabase,
) {
    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("xiaohong").await;
    let evil = Some("https://evil.example");

    for (origin, path) in [
        (evil, "/api/auth/logout"),
        (evil, "/api/fn/log_out"),
        (Some("null"), "/api/payments/miniprogram/create"),
        (evil, "/sandbox/mp/login-code"),
    ] {
        let (status, refused) = post_from(&server, origin, &token, path, json!({})).await;
        assert_eq!(
            (status, refused["error"]["code"].as_str()),
            (403, Some("cross_origin")),
            "{path}: {refused}"
        );
    }
    let (status, _) = server
        .api(&token, reqwest::Method::GET, "/api/me", None)
        .await;
    assert_eq!(status, 200, "still signed in");
    let read = reqwest::Client::new()
        .get(server.url("/api/me"))
        .bearer_auth(&token)
        .header(reqwest::header::ORIGIN, "https://evil.example")
        .send()
        .await
        .expect("GET");
    assert_eq!(read.status(), 200, "reading is not refused");

    // The sandbox's pages post to it from this site: they pass.
    let (status, minted) = post_from(
        &server,
        Some(&server.base_url),
        "",
        "/sandbox/mp/login-code",
        json!({ "persona": "xiaoming" }),
    )
    .await;
    assert_eq!(status, 200, "{minted}");
    let (status, _) = post_from(
        &server,
        Some(&server.base_url),
        &token,
        "/api/auth/logout",
        json!({}),
    )
    .await;
    assert_eq!(status, 204, "from the site itself");
    let (status, _) = server
        .api(&token, reqwest::Method::GET, "/api/me", None)
        .await;
    assert_eq!(status, 401, "signed out");
    let other = server.mini_program_login("xiaoming").await;
    let (status, _) = post_from(&server, None, &other, "/api/auth/logout", json!({})).await;
    assert_eq!(status, 204, "without Origin (a mini program, curl)");
}

/// The `host:port` wxgate listens on.
fn address(server: &Wxgate) -> String {
    server.base_url.trim_start_matches("http://").to_owned()
}

/// What the server does within `wait` while nothing more is sent: `Some(bytes)` once it answered (a response's
/// head arrived) or closed the connection, `None` while it keeps waiting.
async fn answer_within(stream: &mut TcpStream, wait: Duration) -> Option<Vec<u8>> {
    let mut answer = Vec::new();
    let deadline = tokio::time::Instant::now() + wait;
    let mut buffer = [0_u8; 1024];
    loop {
        match tokio::time::timeout_at(deadline, stream.read(&mut buffer)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(answer),
            Ok(Ok(read)) => {
                answer.extend_from_slice(&buffer[..read]);
                if answer.windows(4).any(|end| end == b"\r\n\r\n") {
                    return Some(answer);
                }
            }
        }
    }
}

async fn a_client_sending_its_headers_a_byte_at_a_time_is_cut_off(database: TestDatabase) {
    let server = Wxgate::start(&database, &[("WXGATE_HEADER_TIMEOUT_SECONDS", "2")]).await;
    let mut stream = TcpStream::connect(address(&server)).await.expect("connect");
    let request = format!(
        "GET /healthz HTTP/1.1\r\nHost: {}\r\nX-Slow: {}\r\n\r\n",
        address(&server),
        "z".repeat(200)
    );
    let started = Instant::now();
    let mut cut_off = None;
    for byte in request.bytes() {
        if stream.write_all(&[byte]).await.is_err() {
            cut_off = Some(Vec::new());
            break;
        }
        if let Some(answer) = answer_within(&mut stream, Duration::from_millis(250)).await {
            cut_off = Some(answer);
            break;
        }
        if started.elapsed() > Duration::from_secs(10) {
            break;
        }
    }
    let answer = cut_off.expect("the slow client was never cut off");
    let elapsed = started.elapsed();
    assert!(
        elapsed >= Duration::from_millis(1500) && elapsed < Duration::from_secs(6),
        "{elapsed:?}"
    );
    assert!(
        !String::from_utf8_lossy(&answer).contains(" 200 "),
        "{}",
        String::from_utf8_lossy(&answer)
    );
    // A client that sends its request at once is answered.
    let healthy = reqwest::get(server.url("/healthz")).await.expect("healthz");
    assert_eq!(healthy.status(), 200);
}

async fn a_request_body_that_stops_arriving_fails_the_request(database: TestDatabase) {
    let server = Wxgate::start(&database, &[("WXGATE_BODY_TIMEOUT_SECONDS", "1")]).await;
    let mut stream = TcpStream::connect(address(&server)).await.expect("connect");
    let head = format!(
        "POST /api/auth/wechat/login HTTP/1.1\r\nHost: {}\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"code\":",
        address(&server)
    );
    stream.write_all(head.as_bytes()).await.expect("send");
    let started = Instant::now();
    let answer = answer_within(&mut stream, Duration::from_secs(6))
        .await
        .expect("the request was never given up on");
    let answer = String::from_utf8_lossy(&answer);
    assert!(answer.starts_with("HTTP/1.1 4"), "{answer}");
    assert!(
        started.elapsed() < Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
}

async fn a_request_that_outlasts_the_handler_timeout_answers_503(database: TestDatabase) {
    let server = Wxgate::start(&database, &[("WXGATE_HANDLER_TIMEOUT_SECONDS", "1")]).await;
    let token = server.mini_program_login("xiaohong").await;
    server
        .control("/sandbox/pay/faults", json!({ "delay_ms": 3000 }))
        .await;
    let started = Instant::now();
    let (status, answer) = server
        .api(
            &token,
            reqwest::Method::POST,
            "/api/payments/miniprogram/create",
            Some(json!({ "product_id": "one-fen" })),
        )
        .await;
    assert_eq!(
        (status, &answer["error"]["code"]),
        (503, &json!("timed_out")),
        "{answer}"
    );
    assert!(
        started.elapsed() < Duration::from_millis(2900),
        "{:?}",
        started.elapsed()
    );
}
