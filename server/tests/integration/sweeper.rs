//! The sweeper: a payment whose notification never arrives still ends PAID, and an unpaid order past its time is
//! closed at WeChat Pay and here.

use serde_json::json;

use crate::support::{on_both_backends, until_stored_status, TestDatabase, Wxgate};

on_both_backends! {
    the_sweeper_settles_lost_payments_and_closes_expired_orders => the_sweeper_settles_lost_payments_and_closes_expired_orders;
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
