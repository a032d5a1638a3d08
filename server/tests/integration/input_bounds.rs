//! Every field a client sends is bounded before anything uses it: past its bound it is refused with 400 and
//! `{"error": {"code": "bad_request", "message": "<field> is too long: …"}}` (server functions: 400 and their own
//! `BadInput`) before the rate limits count it, the session is looked up, or WeChat is asked; JSON and form bodies
//! are limited to 64 KiB, while the WeChat Pay webhook keeps its own limit.

use reqwest::Method;
use serde_json::{json, Value};

use crate::support::{on_both_backends, TestDatabase, Wxgate};

on_both_backends! {
    mini_program_codes_past_128_bytes_are_refused_before_counting_or_signing_in => mini_program_codes_are_bounded;
    open_data_past_its_bounds_is_refused_before_signing_in => open_data_is_bounded;
    oauth_states_codes_and_next_paths_past_their_bounds_are_refused => oauth_fields_are_bounded;
    payment_fields_past_their_bounds_are_refused_before_signing_in => payment_fields_are_bounded;
    server_function_fields_past_their_bounds_are_refused => server_function_fields_are_bounded;
    bodies_past_64_kib_are_refused_but_the_webhook_keeps_its_own_limit => bodies_are_bounded;
}

/// Asserts the answer is the bound's refusal naming `field`.
fn assert_too_long((status, body): (u16, Value), field: &str) {
    assert_eq!(status, 400, "{body}");
    assert_eq!(body["error"]["code"], "bad_request", "{body}");
    let message = body["error"]["message"].as_str().expect("message");
    assert!(
        message.starts_with(&format!("{field} is too long: at most")),
        "{message}"
    );
}

async fn get(server: &Wxgate, path: &str) -> (u16, Value) {
    server.api("", Method::GET, path, None).await
}

async fn post(server: &Wxgate, path: &str, body: Value) -> (u16, Value) {
    server.api("", Method::POST, path, Some(body)).await
}

async fn mini_program_codes_are_bounded(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let longest = "c".repeat(128);
    let (status, body) = post(
        &server,
        "/api/auth/wechat/login",
        json!({ "code": longest }),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("invalid_code")),
        "128 bytes reach WeChat, which does not know the code: {body}"
    );

    let too_long = "c".repeat(129);
    // The same code five times: never counted, so never rate limited (3 a minute would be).
    for _ in 0..5 {
        assert_too_long(
            post(
                &server,
                "/api/auth/wechat/login",
                json!({ "code": too_long }),
            )
            .await,
            "code",
        );
    }
    // Refused before the session is looked up: 400, not 401.
    assert_too_long(
        post(
            &server,
            "/api/auth/wechat/phone",
            json!({ "code": too_long }),
        )
        .await,
        "code",
    );
}

async fn open_data_is_bounded(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    assert_too_long(
        post(
            &server,
            "/api/auth/wechat/decrypt",
            json!({ "encrypted_data": "A".repeat(16 * 1024 + 1), "iv": "r7BXXKkLb8qrSNn05n0qiA==" }),
        )
        .await,
        "encrypted_data",
    );
    assert_too_long(
        post(
            &server,
            "/api/auth/wechat/decrypt",
            json!({ "encrypted_data": "AAAA", "iv": "A".repeat(33) }),
        )
        .await,
        "iv",
    );
    let (status, body) = post(
        &server,
        "/api/auth/wechat/decrypt",
        json!({ "encrypted_data": "AAAA", "iv": "A".repeat(32) }),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("unauthenticated")),
        "within the bounds, the session is asked for: {body}"
    );
}

async fn oauth_fields_are_bounded(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let next = format!("/{}", "n".repeat(2048));
    assert_too_long(
        get(
            &server,
            &format!("/api/auth/wechat/oauth/start?next={next}"),
        )
        .await,
        "next",
    );
    assert_too_long(
        get(
            &server,
            &format!(
                "/api/auth/wechat/oauth/callback?code=abc&state={}",
                "s".repeat(129)
            ),
        )
        .await,
        "state",
    );
    assert_too_long(
        get(
            &server,
            &format!(
                "/api/auth/wechat/oauth/callback?code={}&state=abc",
                "c".repeat(129)
            ),
        )
        .await,
        "code",
    );
    assert_too_long(
        post(
            &server,
            "/api/auth/oauth/start",
            json!({ "provider": "wechat_web", "next": next }),
        )
        .await,
        "next",
    );
    assert_too_long(
        get(
            &server,
            &format!("/api/auth/oauth/result?state={}", "s".repeat(129)),
        )
        .await,
        "state",
    );
    let (status, body) = get(
        &server,
        &format!("/api/auth/oauth/result?state={}", "s".repeat(128)),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("invalid_state")),
        "128 bytes are looked up, and not found: {body}"
    );
}

async fn payment_fields_are_bounded(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let long_id = "x".repeat(65);
    for path in ["/api/payments/miniprogram/create", "/api/payments/create"] {
        assert_too_long(
            post(&server, path, json!({ "product_id": long_id })).await,
            "product_id",
        );
        assert_too_long(
            post(&server, path, json!({ "order_id": long_id })).await,
            "order_id",
        );
    }
    assert_too_long(
        get(&server, &format!("/api/orders/{long_id}")).await,
        "order_id",
    );
    assert_too_long(
        get(&server, &format!("/api/orders/{long_id}/qr.svg")).await,
        "order_id",
    );
    let refunds = "/api/orders/some-order/refunds";
    assert_too_long(
        post(
            &server,
            refunds,
            json!({ "refund_fen": 1, "request_id": long_id }),
        )
        .await,
        "request_id",
    );
    assert_too_long(
        post(
            &server,
            refunds,
            json!({ "refund_fen": 1, "reason": "退".repeat(81) }),
        )
        .await,
        "reason",
    );
    let (status, body) = post(
        &server,
        refunds,
        json!({ "refund_fen": 1, "reason": "退".repeat(80), "request_id": "x".repeat(64) }),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (401, &json!("unauthenticated")),
        "within the bounds, the session is asked for: {body}"
    );
}

async fn server_function_fields_are_bounded(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("xiaohong").await;
    let long_id = "x".repeat(65);
    let refused = json!({ "Shop": "BadInput" });
    for (endpoint, fields) in [
        (
            "place_order",
            vec![("product_id", long_id.as_str()), ("quantity", "1")],
        ),
        (
            "order",
            vec![("order_id", long_id.as_str()), ("ask_wechat", "false")],
        ),
        ("pay_order", vec![("order_id", long_id.as_str())]),
        ("product", vec![("id", long_id.as_str())]),
        ("retire_product", vec![("id", long_id.as_str())]),
    ] {
        assert_eq!(
            server.server_fn(&token, endpoint, &fields).await,
            (400, refused.clone()),
            "{endpoint}"
        );
    }
    let next = format!("/{}", "n".repeat(2048));
    assert_eq!(
        server
            .server_fn(&token, "login_options", &[("next", &next)])
            .await,
        (400, refused.clone())
    );
    let reason = "退".repeat(81);
    assert_eq!(
        server
            .server_fn(
                &token,
                "refund",
                &[
                    ("order_id", "o"),
                    ("refund_fen", "1"),
                    ("reason", &reason),
                    ("request_id", "r")
                ],
            )
            .await,
        (400, refused.clone())
    );
    let (status, placed) = server
        .server_fn(
            &token,
            "place_order",
            &[("product_id", "green-tea"), ("quantity", "1")],
        )
        .await;
    assert_eq!(
        status, 200,
        "within the bounds the order is placed: {placed}"
    );
}

async fn bodies_are_bounded(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let padding = "p".repeat(65 * 1024);
    let (status, body) = post(
        &server,
        "/api/auth/wechat/login",
        json!({ "code": "abc", "padding": padding }),
    )
    .await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["error"]["message"],
        "the request is missing or has a malformed JSON body (at most 64 KiB)"
    );
    let (status, body) = post(
        &server,
        "/api/payments/create",
        json!({ "product_id": "green-tea", "padding": padding }),
    )
    .await;
    assert_eq!(
        (status, &body["error"]["code"]),
        (400, &json!("bad_request")),
        "{body}"
    );
    let token = server.mini_program_login("xiaohong").await;
    assert_eq!(
        server
            .server_fn(&token, "my_orders", &[("padding", &padding)])
            .await,
        (413, json!({ "Shop": "BadInput" }))
    );

    // The webhook reads a body this large and refuses it for what it is: not signed by WeChat Pay.
    let response = reqwest::Client::new()
        .post(server.url("/api/webhooks/wechat-pay"))
        .header("content-type", "application/json")
        .body(format!("{{\"padding\":\"{}\"}}", "p".repeat(256 * 1024)))
        .send()
        .await
        .expect("webhook");
    assert_eq!(response.status(), 401);
}
