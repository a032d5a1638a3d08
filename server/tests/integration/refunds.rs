//! Refunds by an admin against the sandbox: partial then the rest, the same request twice, too much, a non-admin,
//! refund notifications applied once, a refund notification that arrives before the payment's, a refund WeChat
//! Pay refuses for good, and refund requests and settlements of one order at once.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{on_both_backends, Served, TestDatabase, Wxgate};

/// Waits (bounded) until the sandbox has seen `count` answered deliveries of `event_type`, all 204.
pub(crate) async fn until_delivered(server: &Served, event_type: &str, count: usize) {
    for _ in 0..100 {
        let deliveries = server.control_get("/sandbox/pay/deliveries").await;
        let answered: Vec<Value> = deliveries["deliveries"]
            .as_array()
            .expect("list")
            .iter()
            .filter(|delivery| {
                delivery["event_type"] == event_type && !delivery["status"].is_null()
            })
            .map(|delivery| delivery["status"].clone())
            .collect();
        if answered.len() >= count {
            assert!(
                answered.iter().all(|status| *status == json!(204)),
                "{event_type}: {answered:?}"
            );
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{count} answered {event_type} deliveries never happened");
}

/// A paid order of `product` by `token`'s user, with its id and out_trade_no.
async fn paid_order(server: &Wxgate, token: &str, product: &str) -> (String, String) {
    let created = server.mini_program_order(token, product).await;
    let order_id = created["order_id"].as_str().expect("order id").to_owned();
    let out_trade_no = created["out_trade_no"].as_str().expect("no").to_owned();
    server.sandbox_pays(&out_trade_no).await;
    (order_id, out_trade_no)
}

/// wxgate with `laowang` as its admin (named by unionid, as an operator would after reading /api/me).
async fn server_with_an_admin(database: &TestDatabase) -> Wxgate {
    let unionid = laowangs_unionid(database).await;
    Wxgate::start(database, &[("WXGATE_ADMINS", unionid.as_str())]).await
}

/// The unionid of the sandbox persona `laowang`, as a first wxgate on `database` shows it.
pub(crate) async fn laowangs_unionid(database: &TestDatabase) -> String {
    let first = Wxgate::start(database, &[]).await;
    let personas = first.control_get("/sandbox/personas").await;
    personas
        .as_array()
        .expect("list")
        .iter()
        .find(|persona| persona["id"] == "laowang")
        .expect("laowang")["unionid"]
        .as_str()
        .expect("unionid")
        .to_owned()
}

on_both_backends! {
    an_admin_refunds_part_then_the_rest_and_each_notification_counts_once => an_admin_refunds_part_then_the_rest_and_each_notification_counts_once;
    a_refund_notification_before_the_payment_notification_is_applied => a_refund_notification_before_the_payment_notification_is_applied;
    a_refund_refused_for_good_is_closed_and_no_longer_counts => a_refund_refused_for_good_is_closed_and_no_longer_counts;
    refunds_of_one_order_at_once_never_exceed_what_was_paid_and_each_settles_once => refunds_of_one_order_at_once_never_exceed_what_was_paid_and_each_settles_once;
}

async fn an_admin_refunds_part_then_the_rest_and_each_notification_counts_once(
    database: TestDatabase,
) {
    let server = server_with_an_admin(&database).await;
    let buyer = server.mini_program_login("xiaohong").await;
    let admin = server.mini_program_login("laowang").await;
    let (order_id, _) = paid_order(&server, &buyer, "mug").await;
    let paid = server.until_order_status(&buyer, &order_id, "PAID").await;
    let total = paid["total_fen"].as_i64().expect("total");
    let refunds = format!("/api/orders/{order_id}/refunds");

    let (status, refused) = server
        .api(
            &buyer,
            reqwest::Method::POST,
            &refunds,
            Some(json!({ "refund_fen": 100 })),
        )
        .await;
    assert_eq!(
        (status, refused["error"]["code"].as_str()),
        (403, Some("forbidden"))
    );

    let first = json!({ "refund_fen": 1000, "reason": "少发一件", "request_id": "r1" });
    let (status, refund) = server
        .api(&admin, reqwest::Method::POST, &refunds, Some(first.clone()))
        .await;
    assert_eq!(status, 200, "{refund}");
    assert_eq!(refund["status"], "PROCESSING");
    let (_, again) = server
        .api(&admin, reqwest::Method::POST, &refunds, Some(first))
        .await;
    assert_eq!(
        again["out_refund_no"], refund["out_refund_no"],
        "the same request is the same refund"
    );
    let (status, other_amount) = server
        .api(
            &admin,
            reqwest::Method::POST,
            &refunds,
            Some(json!({ "refund_fen": 500, "request_id": "r1" })),
        )
        .await;
    assert_eq!(
        (status, other_amount["error"]["code"].as_str()),
        (400, Some("bad_request")),
        "a request id names one refund of one amount"
    );
    assert_eq!(
        server.order(&admin, &order_id).await.1["refunds"]
            .as_array()
            .expect("list")
            .len(),
        1
    );

    let (status, too_much) = server
        .api(
            &admin,
            reqwest::Method::POST,
            &refunds,
            Some(json!({ "refund_fen": total, "request_id": "r-too-much" })),
        )
        .await;
    assert_eq!(
        (status, too_much["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );

    let out_refund_no = refund["out_refund_no"].as_str().expect("no").to_owned();
    server.sandbox_settles_refund(&out_refund_no).await;
    let partly = server
        .until_order_status(&buyer, &order_id, "PARTIALLY_REFUNDED")
        .await;
    assert_eq!(partly["refunds"][0]["status"], "SUCCESS");

    // The refund notification again: nothing changes. (The sandbox logs a delivery once wxgate has answered it,
    // which can be just after the order changed.)
    until_delivered(&server, "REFUND.SUCCESS", 1).await;
    let deliveries = server.control_get("/sandbox/pay/deliveries").await;
    let refund_notification = deliveries["deliveries"]
        .as_array()
        .expect("list")
        .iter()
        .find(|delivery| delivery["event_type"] == "REFUND.SUCCESS")
        .expect("a refund notification")["notification_id"]
        .as_str()
        .expect("id")
        .to_owned();
    server
        .control(
            &format!("/sandbox/pay/notifications/{refund_notification}/resend"),
            json!({}),
        )
        .await;
    until_delivered(&server, "REFUND.SUCCESS", 2).await;
    assert_eq!(
        server.order(&buyer, &order_id).await.1["status"],
        "PARTIALLY_REFUNDED"
    );

    let (status, rest) = server
        .api(
            &admin,
            reqwest::Method::POST,
            &refunds,
            Some(json!({ "refund_fen": total - 1000, "request_id": "r2" })),
        )
        .await;
    assert_eq!(status, 200, "{rest}");
    server
        .sandbox_settles_refund(rest["out_refund_no"].as_str().expect("no"))
        .await;
    let refunded = server
        .until_order_status(&buyer, &order_id, "REFUNDED")
        .await;
    assert_eq!(refunded["refunds"].as_array().expect("list").len(), 2);
}

async fn a_refund_notification_before_the_payment_notification_is_applied(database: TestDatabase) {
    let server = server_with_an_admin(&database).await;
    let buyer = server.mini_program_login("xiaoming").await;
    let admin = server.mini_program_login("laowang").await;
    server
        .control("/sandbox/pay/notifications/hold", json!({}))
        .await;
    let (order_id, _) = paid_order(&server, &buyer, "one-fen").await;
    let (status, refund) = server
        .api(
            &admin,
            reqwest::Method::POST,
            &format!("/api/orders/{order_id}/refunds"),
            Some(json!({ "refund_fen": 1, "request_id": "all" })),
        )
        .await;
    assert_eq!(
        status, 200,
        "the refund asks WeChat Pay whether the order is paid: {refund}"
    );
    server
        .sandbox_settles_refund(refund["out_refund_no"].as_str().expect("no"))
        .await;

    // The refund's notification goes out first, the payment's after it.
    server
        .control(
            "/sandbox/pay/notifications/release",
            json!({ "order": "newest_first" }),
        )
        .await;
    let refunded = server
        .until_order_status(&buyer, &order_id, "REFUNDED")
        .await;
    assert_eq!(refunded["refunds"][0]["status"], "SUCCESS");
    until_delivered(&server, "TRANSACTION.SUCCESS", 1).await;
    assert_eq!(
        server.order(&buyer, &order_id).await.1["status"],
        "REFUNDED",
        "the late payment notification changes nothing"
    );
}

async fn a_refund_refused_for_good_is_closed_and_no_longer_counts(database: TestDatabase) {
    let server = server_with_an_admin(&database).await;
    let buyer = server.mini_program_login("xiaoming").await;
    let admin = server.mini_program_login("laowang").await;
    let (order_id, _) = paid_order(&server, &buyer, "one-fen").await;
    server.until_order_status(&buyer, &order_id, "PAID").await;
    let refunds = format!("/api/orders/{order_id}/refunds");

    server
        .control(
            "/sandbox/pay/faults",
            json!({ "fail_next": 1, "error": "INVALID_REQUEST" }),
        )
        .await;
    let (status, refused) = server
        .api(
            &admin,
            reqwest::Method::POST,
            &refunds,
            Some(json!({ "refund_fen": 1, "request_id": "refused" })),
        )
        .await;
    assert_eq!(status, 502, "{refused}");
    assert_eq!(refused["error"]["code"], "wechat_pay_error", "{refused}");
    let closed = server.order(&admin, &order_id).await.1;
    assert_eq!(closed["status"], "PAID");
    assert_eq!(closed["refunds"][0]["status"], "CLOSED", "{closed}");

    // The refused refund never started, so the whole fen can still be refunded.
    let (status, refund) = server
        .api(
            &admin,
            reqwest::Method::POST,
            &refunds,
            Some(json!({ "refund_fen": 1, "request_id": "again" })),
        )
        .await;
    assert_eq!(status, 200, "{refund}");
    assert_eq!(refund["status"], "PROCESSING");
}

/// POSTs `body` to `url` as `token`, from a task of its own; the status and JSON answer.
fn spawn_post(
    tasks: &mut tokio::task::JoinSet<(u16, Value)>,
    url: String,
    token: &str,
    body: Value,
) {
    let token = token.to_owned();
    tasks.spawn(async move {
        let mut request = reqwest::Client::new().post(url).json(&body);
        if !token.is_empty() {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    });
}

async fn refunds_of_one_order_at_once_never_exceed_what_was_paid_and_each_settles_once(
    database: TestDatabase,
) {
    let server = server_with_an_admin(&database).await;
    let buyer = server.mini_program_login("xiaohong").await;
    let admin = server.mini_program_login("laowang").await;
    let (order_id, _) = paid_order(&server, &buyer, "mug").await;
    let total = server.until_order_status(&buyer, &order_id, "PAID").await["total_fen"]
        .as_i64()
        .expect("total");
    let refunds = format!("/api/orders/{order_id}/refunds");

    // Eight requests at once, each for 30%: three fit, and wxgate itself refuses the other five, before WeChat Pay.
    let part = total * 3 / 10;
    let mut requests = tokio::task::JoinSet::new();
    for attempt in 0..8 {
        spawn_post(
            &mut requests,
            server.url(&refunds),
            &admin,
            json!({ "refund_fen": part, "request_id": format!("at-once-{attempt}") }),
        );
    }
    let answers = requests.join_all().await;
    let accepted = answers.iter().filter(|(status, _)| *status == 200).count();
    let refused: Vec<&(u16, Value)> = answers
        .iter()
        .filter(|(status, _)| *status != 200)
        .collect();
    assert_eq!(accepted, 3, "{answers:?}");
    assert!(
        refused
            .iter()
            .all(|(status, body)| *status == 400 && body["error"]["code"] == "bad_request"),
        "refused here, not by WeChat Pay: {refused:?}"
    );
    let (status, rest) = server
        .api(
            &admin,
            reqwest::Method::POST,
            &refunds,
            Some(json!({ "refund_fen": total - 3 * part, "request_id": "the-rest" })),
        )
        .await;
    assert_eq!(status, 200, "{rest}");
    let asked = server.order(&admin, &order_id).await.1;
    let asked: Vec<Value> = asked["refunds"].as_array().expect("list").clone();
    assert_eq!(asked.len(), 4, "no refund WeChat Pay refused: {asked:?}");
    let asked_fen: i64 = asked
        .iter()
        .map(|refund| refund["refund_fen"].as_i64().expect("fen"))
        .sum();
    assert_eq!(asked_fen, total);

    // All four settle at once, and every notification comes twice: the order ends REFUNDED, each refund counted once.
    let mut settlements = tokio::task::JoinSet::new();
    for refund in &asked {
        let no = refund["out_refund_no"].as_str().expect("no");
        spawn_post(
            &mut settlements,
            server.url(&format!("/sandbox/pay/refunds/{no}/outcome")),
            "",
            json!({ "status": "SUCCESS" }),
        );
    }
    for (status, body) in settlements.join_all().await {
        assert_eq!(status, 200, "{body}");
    }
    until_delivered(&server, "REFUND.SUCCESS", 4).await;
    let deliveries = server.control_get("/sandbox/pay/deliveries").await;
    let mut resends = tokio::task::JoinSet::new();
    for delivery in deliveries["deliveries"].as_array().expect("list") {
        if delivery["event_type"] == "REFUND.SUCCESS" {
            let id = delivery["notification_id"].as_str().expect("id");
            spawn_post(
                &mut resends,
                server.url(&format!("/sandbox/pay/notifications/{id}/resend")),
                "",
                json!({}),
            );
        }
    }
    resends.join_all().await;
    until_delivered(&server, "REFUND.SUCCESS", 8).await;
    let refunded = server
        .until_order_status(&buyer, &order_id, "REFUNDED")
        .await;
    assert!(
        refunded["refunds"]
            .as_array()
            .expect("list")
            .iter()
            .all(|refund| refund["status"] == "SUCCESS"),
        "{refunded}"
    );
    let db = database.connect().await;
    let outcomes: Vec<(String, i64)> = sqlx::query_as(
        "SELECT outcome, COUNT(*) FROM payment_notifications WHERE event_type = 'REFUND.SUCCESS' \
         GROUP BY outcome ORDER BY outcome",
    )
    .fetch_all(db.pool())
    .await
    .expect("notifications");
    assert_eq!(
        outcomes,
        vec![("applied".to_owned(), 4), ("duplicate".to_owned(), 4)],
        "each refund settled once"
    );
}
