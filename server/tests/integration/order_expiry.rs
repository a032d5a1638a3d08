//! An order's expiry, end to end: the prepay carries it as `time_expire` and the sandbox refuses payment after it;
//! an order closed while its prepay was being made is not handed out and is closed at WeChat Pay too; and a payment
//! WeChat Pay takes for an order closed here is recorded, flagged on the admin page for a refund, and logged.

use std::time::Duration;

use serde_json::{json, Value};

use crate::refunds::{laowangs_unionid, until_delivered};
use crate::support::{
    on_both_backends, until_stored_status, Served, TestDatabase, Wxgate, WxgateProcess,
};

on_both_backends! {
    the_prepay_carries_the_orders_expiry_and_the_sandbox_refuses_payment_after_it => the_prepay_carries_the_orders_expiry_and_the_sandbox_refuses_payment_after_it;
    an_order_closed_while_its_prepay_was_made_is_not_handed_out_and_is_closed_at_wechat_pay => an_order_closed_while_its_prepay_was_made_is_not_handed_out_and_is_closed_at_wechat_pay;
    a_payment_for_an_order_closed_here_is_recorded_flagged_for_a_refund_and_logged => a_payment_for_an_order_closed_here_is_recorded_flagged_for_a_refund_and_logged;
}

/// The Unix time of `YYYY-MM-DDTHH:MM:SS+08:00`, read here without wxgate's or the sandbox's code.
fn china_time(text: &str) -> i64 {
    let (date, clock) = text
        .strip_suffix("+08:00")
        .and_then(|local| local.split_once('T'))
        .expect("YYYY-MM-DDTHH:MM:SS+08:00");
    let numbers = |text: &str, separator: char| -> Vec<u8> {
        text.split(separator)
            .map(|part| part.parse().expect("a number"))
            .collect()
    };
    let (year, date) = date.split_once('-').expect("a year");
    let (day, time) = (numbers(date, '-'), numbers(clock, ':'));
    time::Date::from_calendar_date(
        year.parse().expect("a year"),
        time::Month::try_from(day[0]).expect("a month"),
        day[1],
    )
    .and_then(|date| date.with_hms(time[0], time[1], time[2]))
    .expect("a date and time")
    .assume_offset(time::UtcOffset::from_hms(8, 0, 0).expect("UTC+8"))
    .unix_timestamp()
}

/// The sandbox's record of `out_trade_no`.
async fn sandbox_order(server: &Served, out_trade_no: &str) -> Value {
    server
        .control_get(&format!("/sandbox/pay/orders/{out_trade_no}"))
        .await
}

/// The sandbox plays the buyer paying `out_trade_no`; the status and answer.
async fn buyer_pays(server: &Served, out_trade_no: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url(&format!("/sandbox/pay/orders/{out_trade_no}/pay")))
        .json(&json!({}))
        .send()
        .await
        .expect("pay");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn the_prepay_carries_the_orders_expiry_and_the_sandbox_refuses_payment_after_it(
    database: TestDatabase,
) {
    // No sweep during the test: the sandbox's own time_expire is what refuses the late payment.
    let server = Wxgate::start(
        &database,
        &[
            ("WXGATE_ORDER_TTL_SECONDS", "2"),
            ("WXGATE_SWEEP_SECONDS", "3600"),
        ],
    )
    .await;
    let token = server.mini_program_login("xiaohong").await;
    let created = server.mini_program_order(&token, "one-fen").await;
    let out_trade_no = created["out_trade_no"].as_str().expect("no");
    let db = database.connect().await;
    let stored = db
        .order(created["order_id"].as_str().expect("id"))
        .await
        .expect("order")
        .expect("exists");

    let at_wechat = sandbox_order(&server, out_trade_no).await;
    let time_expire = at_wechat["time_expire"].as_str().expect("time_expire sent");
    assert_eq!(china_time(time_expire), stored.expires_at, "{time_expire}");
    assert_eq!(at_wechat["request"]["time_expire"], time_expire);
    assert_eq!(at_wechat["expired"], false);

    tokio::time::sleep(Duration::from_millis(
        u64::try_from(stored.expires_at - app::ssr::clock::now() + 1).unwrap_or(0) * 1000,
    ))
    .await;
    // WeChat raises a time_expire less than a minute away to one minute: the order can still be paid there, and
    // stops being payable once that minute is over (played at once by the control API).
    let at_wechat = sandbox_order(&server, out_trade_no).await;
    assert_eq!(at_wechat["expired"], false, "{at_wechat}");
    let payable_until = at_wechat["payable_until"].as_str().expect("payable_until");
    assert!(
        china_time(payable_until) >= stored.created_at + 60,
        "{payable_until}"
    );
    server
        .control(
            &format!("/sandbox/pay/orders/{out_trade_no}/expire"),
            json!({}),
        )
        .await;
    let (status, refused) = buyer_pays(&server, out_trade_no).await;
    assert_eq!(status, 409, "{refused}");
    assert!(
        refused["error"]
            .as_str()
            .is_some_and(|error| error.contains("time_expire")),
        "{refused}"
    );
    let at_wechat = sandbox_order(&server, out_trade_no).await;
    assert_eq!(
        (
            at_wechat["trade_state"].as_str(),
            at_wechat["expired"].as_bool()
        ),
        (Some("NOTPAY"), Some(true))
    );
}

async fn an_order_closed_while_its_prepay_was_made_is_not_handed_out_and_is_closed_at_wechat_pay(
    database: TestDatabase,
) {
    let server = Wxgate::start(
        &database,
        &[
            ("WXGATE_ORDER_TTL_SECONDS", "2"),
            ("WXGATE_SWEEP_SECONDS", "1"),
        ],
    )
    .await;
    let token = server.mini_program_login("xiaohong").await;
    // WeChat Pay answers slowly: the order expires and the sweeper closes it while the prepay is made.
    server
        .control("/sandbox/pay/faults", json!({ "delay_ms": 5000 }))
        .await;
    let (status, refused) = server
        .api(
            &token,
            reqwest::Method::POST,
            "/api/payments/miniprogram/create",
            Some(json!({ "product_id": "one-fen" })),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (409, Some("not_payable")),
        "{refused}"
    );
    reqwest::Client::new()
        .delete(server.url("/sandbox/pay/faults"))
        .send()
        .await
        .expect("clear faults");

    let db = database.connect().await;
    let order = db.recent_orders(1).await.expect("orders").remove(0);
    assert_eq!(order.status.as_str(), "CLOSED");
    assert_eq!(order.prepay, None, "the prepay was not kept");
    assert_eq!(
        sandbox_order(&server, &order.out_trade_no).await["trade_state"],
        "CLOSED",
        "closed at WeChat Pay too"
    );
    assert_eq!(buyer_pays(&server, &order.out_trade_no).await.0, 409);
}

async fn a_payment_for_an_order_closed_here_is_recorded_flagged_for_a_refund_and_logged(
    database: TestDatabase,
) {
    let unionid = laowangs_unionid(&database).await;
    let server = WxgateProcess::start(
        &database,
        &[
            ("WXGATE_ADMINS", unionid.as_str()),
            ("WXGATE_ORDER_TTL_SECONDS", "4"),
            ("WXGATE_SWEEP_SECONDS", "1"),
        ],
    )
    .await;
    let buyer = server.mini_program_login("xiaohong").await;
    let admin = server.mini_program_login("laowang").await;

    // WeChat Pay takes the order, but its answer does not verify (its clock is an hour off): wxgate never learns
    // of the prepay, and the order stays CREATED here.
    server
        .control("/sandbox/pay/faults", json!({ "clock_skew_seconds": 3600 }))
        .await;
    let (status, failed) = server
        .api(
            &buyer,
            reqwest::Method::POST,
            "/api/payments/miniprogram/create",
            Some(json!({ "product_id": "mug" })),
        )
        .await;
    assert!(status >= 500, "{status}: {failed}");
    reqwest::Client::new()
        .delete(server.url("/sandbox/pay/faults"))
        .send()
        .await
        .expect("clear faults");
    let db = database.connect().await;
    let order = db.recent_orders(1).await.expect("orders").remove(0);
    assert_eq!(order.status.as_str(), "CREATED");

    // The buyer pays at WeChat before the order expires; the notification is late, and meanwhile the sweeper
    // closes the order here.
    server
        .control("/sandbox/pay/notifications/hold", json!({}))
        .await;
    let (status, paid) = buyer_pays(&server, &order.out_trade_no).await;
    assert_eq!(status, 200, "{paid}");
    until_stored_status(&db, &order.id, "CLOSED").await;
    server
        .control("/sandbox/pay/notifications/release", json!({}))
        .await;
    until_delivered(&server, "TRANSACTION.SUCCESS", 1).await;

    let outcome: String = sqlx::query_scalar(
        "SELECT outcome FROM payment_notifications WHERE out_trade_no = $1 AND event_type = 'TRANSACTION.SUCCESS'",
    )
    .bind(&order.out_trade_no)
    .fetch_one(db.pool())
    .await
    .expect("the notification is recorded");
    assert_eq!(outcome, "paid_after_closing");
    let stored = db.order(&order.id).await.expect("order").expect("exists");
    assert_eq!(stored.status.as_str(), "CLOSED", "nothing is delivered");
    assert_eq!(
        stored.flag.as_deref(),
        Some("paid after closing: refund it")
    );
    assert_eq!(
        stored.transaction_id.as_deref(),
        paid["transaction_id"].as_str()
    );

    let (status, overview) = server.server_fn(&admin, "admin", &[]).await;
    assert_eq!(status, 200, "{overview}");
    let to_refund = overview["paid_after_closing"].as_array().expect("list");
    assert_eq!(to_refund.len(), 1, "{overview}");
    assert_eq!(to_refund[0]["order_id"], order.id.as_str());
    let detail = server.order(&admin, &order.id).await.1;
    assert_eq!(detail["paid_after_closing"], true, "{detail}");
    assert_eq!(detail["refundable_fen"], order.total_fen.get(), "{detail}");
    let log = server.log();
    assert!(
        log.lines().any(|line| line.contains("ERROR")
            && line.contains("paid after closing")
            && line.contains(&order.out_trade_no)),
        "{log}"
    );

    // Refunded from the order's refund form, it leaves the admin page's list.
    let (status, refund) = server
        .api(
            &admin,
            reqwest::Method::POST,
            &format!("/api/orders/{}/refunds", order.id),
            Some(json!({ "refund_fen": order.total_fen, "request_id": "give-it-back" })),
        )
        .await;
    assert_eq!(status, 200, "{refund}");
    let (_, overview) = server.server_fn(&admin, "admin", &[]).await;
    assert_eq!(overview["paid_after_closing"], json!([]), "{overview}");
}
