//! Events out to the product, as Standard Webhooks: signed bodies a receiver can verify from the spec alone (the
//! independent library check is in `server/tests/sdk`, with the PyPI `standardwebhooks`); the same `webhook-id`
//! on every retry; events pending when wxgate is killed delivered after it restarts; two processes on one database
//! delivering each event once; an endpoint failing until the schedule is spent shown as failed, and a resend.

use std::collections::BTreeMap;
use std::time::Duration;

use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use crate::support::merchant::Receiver;
use crate::support::{
    free_port, on_both_backends, run_to_exit, unix_now, TestDatabase, Wxgate, WxgateProcess,
};

on_both_backends! {
    each_event_is_signed_as_standard_webhooks_say => each_event_is_signed_as_standard_webhooks_say;
    a_receiver_that_fails_twice_gets_the_same_webhook_id_three_times => a_receiver_that_fails_twice_gets_the_same_webhook_id_three_times;
    events_pending_when_wxgate_is_killed_are_delivered_after_it_restarts => events_pending_when_wxgate_is_killed_are_delivered_after_it_restarts;
    two_processes_on_one_database_deliver_each_event_once => two_processes_on_one_database_deliver_each_event_once;
    an_event_failing_every_attempt_is_shown_failed_and_can_be_resent => an_event_failing_every_attempt_is_shown_failed_and_can_be_resent;
}

/// A Standard Webhooks secret: `whsec_` and base64 of 32 bytes.
const SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

fn events_env<'a>(url: &'a str, schedule: &'a str) -> [(&'a str, &'a str); 3] {
    [
        ("WXGATE_EVENTS_URL", url),
        ("WXGATE_EVENTS_SECRET", SECRET),
        ("WXGATE_EVENTS_SCHEDULE", schedule),
    ]
}

/// The signature check of the Standard Webhooks spec
/// (<https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md>), written from it:
/// HMAC-SHA256 keyed by the base64 after `whsec_`, over `id.timestamp.body`, one of the space-separated `v1,…`.
fn verify(headers: &HeaderMap, body: &[u8]) -> Value {
    let header = |name: &str| {
        headers
            .get(name)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_else(|| panic!("no {name}"))
            .to_owned()
    };
    let (id, timestamp, signatures) = (
        header("webhook-id"),
        header("webhook-timestamp"),
        header("webhook-signature"),
    );
    let sent_at: i64 = timestamp.parse().expect("Unix seconds");
    assert!((unix_now() - sent_at).abs() <= 300, "a fresh timestamp");
    let key = BASE64
        .decode(SECRET.trim_start_matches("whsec_"))
        .expect("base64 key");
    let mut mac = Hmac::<Sha256>::new_from_slice(&key).expect("key");
    mac.update(format!("{id}.{timestamp}.").as_bytes());
    mac.update(body);
    let expected = format!("v1,{}", BASE64.encode(mac.finalize().into_bytes()));
    assert!(
        signatures.split(' ').any(|signature| signature == expected),
        "{signatures} has no {expected}"
    );
    let event: Value = serde_json::from_slice(body).expect("JSON");
    assert!(
        event["type"].is_string() && event["timestamp"].is_string(),
        "{event}"
    );
    event
}

fn webhook_id(headers: &HeaderMap) -> String {
    headers["webhook-id"].to_str().expect("id").to_owned()
}

async fn each_event_is_signed_as_standard_webhooks_say(database: TestDatabase) {
    let receiver = Receiver::start(vec![StatusCode::NO_CONTENT]).await;
    let server = Wxgate::start(&database, &events_env(&receiver.url, "0,1")).await;
    let token = server.mini_program_login("xiaohong").await;
    let (_, me) = server
        .api(&token, reqwest::Method::GET, "/api/me", None)
        .await;
    server.bind_phone(&token, "xiaohong").await;
    let created = server.mini_program_order(&token, "one-fen").await;
    server
        .sandbox_pays(created["out_trade_no"].as_str().expect("out_trade_no"))
        .await;

    let received = receiver.wait_for(3).await;
    let mut by_type = BTreeMap::new();
    for (headers, body) in &received {
        assert!(webhook_id(headers).starts_with("msg_"));
        let event = verify(headers, body);
        by_type.insert(event["type"].as_str().expect("type").to_owned(), event);
    }
    assert_eq!(by_type["user.created"]["data"]["user_id"], me["user_id"]);
    assert_eq!(
        by_type["user.created"]["data"]["identity"]["provider"],
        "wechat_mp"
    );
    assert_eq!(
        by_type["user.phone_bound"]["data"]["user_id"],
        me["user_id"]
    );
    let paid = &by_type["order.paid"]["data"];
    assert_eq!(paid["order_id"], created["order_id"]);
    assert_eq!(paid["status"], "PAID");
    assert_eq!(paid["total_fen"], 1);
    assert_eq!(paid["items"][0]["quantity"], 1);
    assert!(paid["transaction_id"].is_string(), "{paid}");

    // The shop's order was made from a checkout of its one line, which the event names.
    let db = database.connect().await;
    let checkout = db
        .checkout(paid["checkout_id"].as_str().expect("checkout_id"))
        .await
        .expect("read")
        .expect("the order's checkout");
    assert_eq!(checkout.order_id.as_deref(), created["order_id"].as_str());
    assert_eq!(checkout.buyer_id.as_deref(), me["user_id"].as_str());
    assert_eq!(checkout.total_fen.get(), 1);
    assert_eq!(checkout.line_items[0].product_id, "one-fen");

    // Each delivered event is marked so, answered 204.
    for event in db.recent_events(10).await.expect("events") {
        assert_eq!(event.state.as_str(), "delivered", "{event:?}");
        assert_eq!((event.attempts, event.last_status), (1, Some(204)));
    }
}

async fn a_receiver_that_fails_twice_gets_the_same_webhook_id_three_times(database: TestDatabase) {
    let receiver = Receiver::start(vec![
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::SERVICE_UNAVAILABLE,
        StatusCode::OK,
    ])
    .await;
    let server = Wxgate::start(&database, &events_env(&receiver.url, "0,1,1,1")).await;
    server.mini_program_login("xiaoming").await;
    let received = receiver.wait_for(3).await;
    assert_eq!(received.len(), 3, "three attempts");
    let ids: Vec<String> = received
        .iter()
        .map(|(headers, _)| webhook_id(headers))
        .collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "{ids:?}");
    let bodies: Vec<&Vec<u8>> = received.iter().map(|(_, body)| body).collect();
    assert!(
        bodies.iter().all(|body| *body == bodies[0]),
        "the same body each time"
    );
    for (headers, body) in &received {
        verify(headers, body);
    }
    let db = database.connect().await;
    let event = until_delivered(&db, &ids[0]).await;
    assert_eq!((event.attempts, event.last_status), (3, Some(200)));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        receiver.received.lock().expect("lock").len(),
        3,
        "nothing after the 200"
    );
}

/// The event once it is delivered (waiting up to fifteen seconds).
async fn until_delivered(db: &app::ssr::db::Database, id: &str) -> app::ssr::db::EventRow {
    for _ in 0..150 {
        let event = db.event(id).await.expect("event").expect("stored");
        if event.state.as_str() == "delivered" {
            return event;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{id} was never delivered");
}

async fn events_pending_when_wxgate_is_killed_are_delivered_after_it_restarts(
    database: TestDatabase,
) {
    // Nothing listens at the endpoint yet: every attempt is refused.
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}/notify");
    let schedule = "0,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1";
    let mut first = WxgateProcess::start(&database, &events_env(&url, schedule)).await;
    first.mini_program_login("xiaoming").await;
    first.mini_program_login("xiaohong").await;
    let db = database.connect().await;
    for _ in 0..100 {
        let events = db.recent_events(10).await.expect("events");
        if events.len() == 2 && events.iter().all(|event| event.attempts >= 1) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    first.kill();
    let pending = db.recent_events(10).await.expect("events");
    assert_eq!(pending.len(), 2);
    assert!(
        pending
            .iter()
            .all(|event| event.state.as_str() == "pending"),
        "{pending:?}"
    );
    assert!(
        pending.iter().all(|event| event.last_error.is_some()),
        "{pending:?}"
    );

    let receiver = Receiver::start_on(port, vec![StatusCode::NO_CONTENT]).await;
    let _second = WxgateProcess::start(&database, &events_env(&url, schedule)).await;
    let received = receiver.wait_for(2).await;
    let mut ids: Vec<String> = received
        .iter()
        .map(|(headers, _)| webhook_id(headers))
        .collect();
    ids.sort();
    let mut expected: Vec<String> = pending.iter().map(|event| event.id.clone()).collect();
    expected.sort();
    assert_eq!(ids, expected);
    for id in &ids {
        until_delivered(&db, id).await;
    }
}

async fn two_processes_on_one_database_deliver_each_event_once(database: TestDatabase) {
    let receiver = Receiver::start(vec![StatusCode::NO_CONTENT]).await;
    let env = events_env(&receiver.url, "0,1,1");
    let first = WxgateProcess::start(&database, &env).await;
    let _second = WxgateProcess::start(&database, &env).await;
    let client = reqwest::Client::new();
    let personas: Vec<String> = (1..=8).map(|n| format!("buyer{n}")).collect();
    for persona in &personas {
        let added = client
            .post(first.url("/sandbox/personas"))
            .json(&json!({ "id": persona, "nickname": persona }))
            .send()
            .await
            .expect("add persona");
        assert_eq!(added.status(), 201);
        first.mini_program_login(persona).await;
    }
    let db = database.connect().await;
    let events = db.recent_events(50).await.expect("events");
    assert_eq!(events.len(), personas.len());
    for event in &events {
        until_delivered(&db, &event.id).await;
    }
    tokio::time::sleep(Duration::from_secs(2)).await;
    let received = receiver.received.lock().expect("lock").clone();
    let mut ids: Vec<String> = received
        .iter()
        .map(|(headers, _)| webhook_id(headers))
        .collect();
    ids.sort();
    let mut expected: Vec<String> = events.iter().map(|event| event.id.clone()).collect();
    expected.sort();
    assert_eq!(ids, expected, "each event delivered once, by one process");
}

async fn an_event_failing_every_attempt_is_shown_failed_and_can_be_resent(database: TestDatabase) {
    let receiver = Receiver::start(vec![
        StatusCode::BAD_GATEWAY,
        StatusCode::BAD_GATEWAY,
        StatusCode::NO_CONTENT,
    ])
    .await;
    let server = Wxgate::start(&database, &events_env(&receiver.url, "0,1")).await;
    server.mini_program_login("xiaoming").await;
    receiver.wait_for(2).await;
    let db = database.connect().await;
    let mut failed = None;
    for _ in 0..100 {
        let events = db.recent_events(10).await.expect("events");
        if let Some(event) = events
            .into_iter()
            .find(|event| event.state.as_str() == "failed")
        {
            failed = Some(event);
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let failed = failed.expect("the event failed once its two attempts were spent");
    assert_eq!((failed.attempts, failed.last_status), (2, Some(502)));
    let health = db.endpoint_health().await.expect("health");
    assert_eq!(health.failed, 1);
    assert!(health.failing_since.is_some());

    // `wxgate events list` shows it failed with its last answer; `wxgate events resend` queues it again.
    let listed = run_to_exit(&database, &["events", "list"], &[]);
    let listed_text = String::from_utf8_lossy(&listed.stdout);
    assert!(listed.status.success(), "{listed:?}");
    let line = listed_text
        .lines()
        .find(|line| line.starts_with(&failed.id))
        .unwrap_or_else(|| panic!("{} not listed: {listed_text}", failed.id));
    assert!(line.contains("failed") && line.contains("502"), "{line}");
    let resent = run_to_exit(&database, &["events", "resend", &failed.id], &[]);
    assert!(resent.status.success(), "{resent:?}");
    let received = receiver.wait_for(3).await;
    assert_eq!(webhook_id(&received[2].0), failed.id);
    until_delivered(&db, &failed.id).await;
}
