//! Abuse limits that hold in a real deployment: an order's page polling as fast as it likes asks WeChat Pay at most
//! once every few seconds, a buyer has a bounded number of open orders and of orders a minute, login attempts are
//! limited per client (as the trusted proxies say who that is) and per code, and every limit is counted in the
//! database, so it holds across wxgate processes sharing it.

use serde_json::{json, Value};

use crate::support::{on_both_backends, TestDatabase, Wxgate};

on_both_backends! {
    a_polled_order_is_asked_of_wechat_pay_at_most_once_every_few_seconds => polled_order_asks_wechat_pay_rarely;
    a_buyer_has_a_bounded_number_of_open_unpaid_orders => open_unpaid_orders_are_bounded;
    a_buyer_makes_a_bounded_number_of_orders_a_minute => orders_a_minute_are_bounded;
    order_limits_hold_across_processes_sharing_the_database => order_limits_hold_across_processes;
    login_limits_hold_across_processes_sharing_the_database => login_limits_hold_across_processes;
    login_limits_count_the_client_behind_a_trusted_proxy_only => login_limits_follow_trusted_proxies;
}

/// Limits count in one-minute windows on the clock: a phase that must fit in one window starts in a fresh one when
/// less than 20 s of the current one are left (a phase crossing into the next minute would start counting again).
async fn in_one_window() {
    let into_minute = app::ssr::clock::now().rem_euclid(60);
    if into_minute > 40 {
        tokio::time::sleep(std::time::Duration::from_secs(
            (60 - into_minute + 1) as u64,
        ))
        .await;
    }
}

/// `POST /api/payments/miniprogram/create` for the one-fen product: the status and the answer.
async fn try_order(server: &Wxgate, token: &str) -> (u16, Value) {
    server
        .api(
            token,
            reqwest::Method::POST,
            "/api/payments/miniprogram/create",
            Some(json!({ "product_id": "one-fen" })),
        )
        .await
}

async fn polled_order_asks_wechat_pay_rarely(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("xiaohong").await;
    let order = server.mini_program_order(&token, "one-fen").await;
    let order_id = order["order_id"].as_str().expect("order id");

    // Every question WeChat Pay is asked from now on uses up one injected failure.
    let injected = 50;
    server
        .control("/sandbox/pay/faults", json!({ "fail_next": injected }))
        .await;
    for _ in 0..10 {
        let (status, seen) = server.order(&token, order_id).await;
        assert_eq!(status, 200, "{seen}");
        assert_eq!(seen["status"], "PAYING");
    }
    let left = server.control_get("/sandbox/pay/faults").await["fail_next"]
        .as_u64()
        .expect("fail_next");
    let asked = injected - left;
    assert!(
        (1..=3).contains(&asked),
        "ten polls asked WeChat Pay once (at most three attempts of one query), not {asked} times"
    );
}

async fn open_unpaid_orders_are_bounded(database: TestDatabase) {
    let server = Wxgate::start(
        &database,
        &[
            ("WXGATE_MAX_OPEN_ORDERS", "3"),
            ("WXGATE_ORDERS_PER_MINUTE", "100"),
        ],
    )
    .await;
    let token = server.mini_program_login("xiaohong").await;
    let mut orders = Vec::new();
    for _ in 0..3 {
        orders.push(server.mini_program_order(&token, "one-fen").await);
    }
    let (status, refused) = try_order(&server, &token).await;
    assert_eq!(status, 429, "{refused}");
    assert_eq!(refused["error"]["code"], "too_many_orders", "{refused}");

    let other = server.mini_program_login("xiaoming").await;
    assert_eq!(
        try_order(&server, &other).await.0,
        200,
        "another buyer is not held back"
    );

    // Once one is paid, the buyer may order again.
    server
        .sandbox_pays(orders[0]["out_trade_no"].as_str().expect("out_trade_no"))
        .await;
    let first = orders[0]["order_id"].as_str().expect("order id");
    server.until_order_status(&token, first, "PAID").await;
    assert_eq!(try_order(&server, &token).await.0, 200);
}

async fn orders_a_minute_are_bounded(database: TestDatabase) {
    let server = Wxgate::start(
        &database,
        &[
            ("WXGATE_MAX_OPEN_ORDERS", "100"),
            ("WXGATE_ORDERS_PER_MINUTE", "2"),
        ],
    )
    .await;
    let token = server.mini_program_login("xiaohong").await;
    in_one_window().await;
    assert_eq!(try_order(&server, &token).await.0, 200);
    assert_eq!(try_order(&server, &token).await.0, 200);
    let (status, refused) = try_order(&server, &token).await;
    assert_eq!(status, 429, "{refused}");
    assert_eq!(refused["error"]["code"], "too_many_orders");
}

async fn order_limits_hold_across_processes(database: TestDatabase) {
    let limits = [
        ("WXGATE_MAX_OPEN_ORDERS", "2"),
        ("WXGATE_ORDERS_PER_MINUTE", "100"),
    ];
    let first = Wxgate::start(&database, &limits).await;
    let second = Wxgate::start(&database, &limits).await;
    let token = first.mini_program_login("xiaohong").await;
    assert_eq!(try_order(&first, &token).await.0, 200);
    assert_eq!(try_order(&second, &token).await.0, 200);
    assert_eq!(try_order(&first, &token).await.0, 429);
    assert_eq!(try_order(&second, &token).await.0, 429);
}

/// `POST /api/auth/wechat/login` with `code`, as the client `forwarded_for` says (if any): the status.
async fn try_login(server: &Wxgate, code: &str, forwarded_for: Option<&str>) -> u16 {
    let mut request = reqwest::Client::new()
        .post(server.url("/api/auth/wechat/login"))
        .json(&json!({ "code": code }));
    if let Some(client) = forwarded_for {
        request = request.header("x-forwarded-for", client);
    }
    request.send().await.expect("login").status().as_u16()
}

async fn login_limits_hold_across_processes(database: TestDatabase) {
    let first = Wxgate::start(&database, &[]).await;
    let second = Wxgate::start(&database, &[]).await;
    let code = "0e1b2c3d4e5f60718293a4b5c6d7e8f9";
    in_one_window().await;
    // A code is tried three times a minute at most, wherever the attempts land.
    assert_eq!(try_login(&first, code, None).await, 400);
    assert_eq!(try_login(&second, code, None).await, 400);
    assert_eq!(try_login(&first, code, None).await, 400);
    assert_eq!(try_login(&second, code, None).await, 429);
    assert_eq!(try_login(&first, code, None).await, 429);
}

async fn login_limits_follow_trusted_proxies(database: TestDatabase) {
    let behind_proxy = Wxgate::start(&database, &[("WXGATE_TRUSTED_PROXIES", "127.0.0.1")]).await;
    let attempt = |n: usize| format!("{n:032x}");
    in_one_window().await;
    for n in 0..30 {
        assert_eq!(
            try_login(&behind_proxy, &attempt(n), Some("203.0.113.5")).await,
            400,
            "attempt {n} of the client behind the proxy is let through"
        );
    }
    assert_eq!(
        try_login(&behind_proxy, &attempt(30), Some("203.0.113.5")).await,
        429
    );
    assert_eq!(
        try_login(&behind_proxy, &attempt(31), Some("203.0.113.6")).await,
        400,
        "another client behind the same proxy has its own limit"
    );
    drop(behind_proxy);

    // Without a trusted proxy the header is the client's own word: every attempt counts against the connection.
    let direct = Wxgate::start(&database, &[]).await;
    in_one_window().await;
    for n in 100..130 {
        assert_eq!(
            try_login(&direct, &attempt(n), Some(&format!("203.0.113.{n}"))).await,
            400
        );
    }
    assert_eq!(
        try_login(&direct, &attempt(130), Some("198.51.100.1")).await,
        429
    );
}
