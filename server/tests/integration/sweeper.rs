//! The sweeper: a payment whose notification never arrives still ends PAID, an unpaid order past its time is
//! closed at WeChat Pay and here, and many unpaid orders are read a page at a time.

use serde_json::json;

use crate::support::{
    on_both_backends, unix_now, until_stored_status, TestDatabase, Wxgate, WxgateProcess,
};

on_both_backends! {
    the_sweeper_settles_lost_payments_and_closes_expired_orders => the_sweeper_settles_lost_payments_and_closes_expired_orders;
    the_sweeper_reads_many_unpaid_orders_a_page_at_a_time => the_sweeper_reads_many_unpaid_orders_a_page_at_a_time;
}

async fn the_sweeper_settles_lost_payments_and_closes_expired_orders(database: TestDatabase) {
    let server = Wxgate::start(
        &database,
        &[
            ("WXGATE_SWEEP_SECONDS", "1"),
            ("WXGATE_ORDER_TTL_SECONDS", "3"),
        ],
    )
    .await;
    let token = server.mini_program_login("xiaohong").await;

    // Paid at WeChat Pay, but the notification is held back and never arrives.
    server
        .control("/sandbox/pay/notifications/hold", json!({}))
        .await;
    let lost = server.mini_program_order(&token, "one-fen").await;
    server
        .sandbox_pays(lost["out_trade_no"].as_str().expect("no"))
        .await;

    // Never paid.
    let abandoned = server.mini_program_order(&token, "one-fen").await;

    let db = database.connect().await;
    until_stored_status(&db, lost["order_id"].as_str().expect("id"), "PAID").await;
    until_stored_status(&db, abandoned["order_id"].as_str().expect("id"), "CLOSED").await;
    // Closed at WeChat Pay too: the buyer can no longer pay it there.
    let late = reqwest::Client::new()
        .post(server.url(&format!(
            "/sandbox/pay/orders/{}/pay",
            abandoned["out_trade_no"].as_str().expect("no")
        )))
        .json(&json!({}))
        .send()
        .await
        .expect("pay");
    assert!(
        !late.status().is_success(),
        "{}",
        late.text().await.unwrap_or_default()
    );
}

async fn the_sweeper_reads_many_unpaid_orders_a_page_at_a_time(database: TestDatabase) {
    let many = [
        ("WXGATE_MAX_OPEN_ORDERS", "1000"),
        ("WXGATE_ORDERS_PER_MINUTE", "1000"),
    ];
    // 150 unpaid orders, made while the sweeper is parked.
    let making = Wxgate::start(
        &database,
        &[&many[..], &[("WXGATE_SWEEP_SECONDS", "3600")]].concat(),
    )
    .await;
    let token = making.mini_program_login("xiaohong").await;
    for _ in 0..150 {
        making.mini_program_order(&token, "one-fen").await;
    }
    drop(making);
    // Past the next process's one-second sweep interval, counted in whole seconds.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let before_sweeping = unix_now();

    // The next process's first sweep finds them all untouched for its interval: two pages, 100 and 50.
    let sweeping = WxgateProcess::start(
        &database,
        &[
            &many[..],
            &[
                ("WXGATE_SWEEP_SECONDS", "1"),
                ("RUST_LOG", "info,wxgate::background=debug"),
                ("LOG_FORMAT", "json"),
            ],
        ]
        .concat(),
    )
    .await;
    let mut swept = false;
    for _ in 0..300 {
        if sweeping.log().contains(r#""looked_at":150,"pages":2"#) {
            swept = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(swept, "{}", sweeping.log());
    let db = database.connect().await;
    let (untouched,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM orders WHERE updated_at < $1")
        .bind(before_sweeping)
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(untouched, 0, "every order of both pages was looked at");
}
