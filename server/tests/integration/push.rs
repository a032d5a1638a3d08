//! WeChat's message push into wxgate, with the sandbox playing WeChat: the console's URL check; every mode (plain,
//! compatible, safe) in both formats; forged and misdirected messages refused; a repeat applied once; the buyer's
//! receipt confirmation reaching the order's shipment; a revocation erasing what was withdrawn; the sandbox
//! retrying as WeChat does.

use std::time::Duration;

use axum::http::StatusCode;
use serde_json::{json, Value};

use crate::support::merchant::Receiver;
use crate::support::{on_both_backends, unix_now, TestDatabase, Wxgate};
use app::ssr::db::Database;
use wechat::push::crypto::{msg_signature, signature, PushKey};

on_both_backends! {
    the_console_url_check_is_answered_only_when_signed => the_console_url_check_is_answered_only_when_signed;
    every_mode_and_format_is_received_and_applied => every_mode_and_format_is_received_and_applied;
    forged_or_misdirected_messages_are_refused => forged_or_misdirected_messages_are_refused;
    a_message_wechat_sends_again_is_applied_once => a_message_wechat_sends_again_is_applied_once;
    the_buyers_receipt_confirmation_reaches_the_shipment => the_buyers_receipt_confirmation_reaches_the_shipment;
    a_revocation_erases_what_was_withdrawn => a_revocation_erases_what_was_withdrawn;
    the_sandbox_retries_a_push_as_wechat_does => the_sandbox_retries_a_push_as_wechat_does;
}

/// The sandbox's appids.
async fn appids(server: &Wxgate) -> (String, String) {
    let described = server.control_get("/sandbox").await;
    (
        described["mp_appid"].as_str().expect("mp_appid").to_owned(),
        described["oa_appid"].as_str().expect("oa_appid").to_owned(),
    )
}

/// Waits (up to ten seconds) until `check` holds on the database.
async fn until<F, Fut>(db: &Database, what: &str, check: F)
where
    F: Fn(Database) -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check(db.clone()).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} never happened");
}

/// The events of `kind` in the outbox.
async fn events_of(db: &Database, kind: &str) -> Vec<Value> {
    db.recent_events(200)
        .await
        .expect("events")
        .into_iter()
        .filter(|event| event.kind == kind)
        .map(|event| serde_json::from_str(&event.payload).expect("JSON payload"))
        .collect()
}

async fn the_console_url_check_is_answered_only_when_signed(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let (mp_appid, oa_appid) = appids(&server).await;
    for appid in [&mp_appid, &oa_appid] {
        let checked = server
            .control(&format!("/sandbox/push/{appid}/verify-url"), json!({}))
            .await;
        assert_eq!(checked["passed"], true, "{checked}");
    }
    let token = database.sandbox_credentials().push_token;
    let now = unix_now().to_string();
    let url = server.url(&format!("/api/wechat/push/{oa_appid}"));
    assert_eq!(url_check(&url, "not-the-token", &now).await, 401);
    assert_eq!(
        url_check(&url, &token, "1000").await,
        401,
        "an old signed request is a replay"
    );
    let unknown = server.url("/api/wechat/push/wx0000000000000000");
    assert_eq!(url_check(&unknown, &token, &now).await, 404);
}

/// The status of a URL check at `url` signed with `token` at `timestamp`.
async fn url_check(url: &str, token: &str, timestamp: &str) -> u16 {
    reqwest::Client::new()
        .get(url)
        .query(&[
            ("signature", signature(token, timestamp, "5").as_str()),
            ("timestamp", timestamp),
            ("nonce", "5"),
            ("echostr", "e"),
        ])
        .send()
        .await
        .expect("GET")
        .status()
        .as_u16()
}

async fn every_mode_and_format_is_received_and_applied(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let (mp_appid, oa_appid) = appids(&server).await;
    let db = database.connect().await;
    let mut sent = 0;
    for appid in [&oa_appid, &mp_appid] {
        for mode in ["plain", "compatible", "safe"] {
            for format in ["xml", "json"] {
                sent += 1;
                server
                    .control(
                        &format!("/sandbox/push/{appid}/settings"),
                        json!({"mode": mode, "format": format}),
                    )
                    .await;
                let openid = format!("o-{mode}-{format}-{sent}");
                let delivery = server
                    .control(
                        &format!("/sandbox/push/{appid}/events"),
                        json!({"event": "subscribe", "openid": openid, "fields": {"EventKey": format!("qrscene_{sent}")}}),
                    )
                    .await;
                assert_eq!(delivery["delivered"], true, "{mode} {format}: {delivery}");
                assert_eq!(
                    delivery["attempts"].as_array().map(Vec::len),
                    Some(1),
                    "{delivery}"
                );
                let scene = sent.to_string();
                until(&db, &format!("{mode} {format} applied"), |db| {
                    let (appid, openid, scene) = (appid.clone(), openid.clone(), scene.clone());
                    async move {
                        db.follow(&appid, &openid).await.expect("follow")
                            == Some((true, Some(scene)))
                    }
                })
                .await;
            }
        }
    }
    // A SCAN from a follower names the new scene; unsubscribe ends the follow; an unknown event is kept.
    server
        .control(
            &format!("/sandbox/push/{oa_appid}/events"),
            json!({"event": "SCAN", "openid": "o-safe-json-6", "fields": {"EventKey": "spring"}}),
        )
        .await;
    server
        .control(
            &format!("/sandbox/push/{oa_appid}/events"),
            json!({"event": "unsubscribe", "openid": "o-plain-xml-1"}),
        )
        .await;
    let unknown = server
        .control(
            &format!("/sandbox/push/{oa_appid}/events"),
            json!({"event": "something_wechat_adds_later", "openid": "o-x"}),
        )
        .await;
    assert_eq!(unknown["delivered"], true, "{unknown}");
    until(&db, "SCAN and unsubscribe applied", |db| {
        let oa_appid = oa_appid.clone();
        async move {
            db.follow(&oa_appid, "o-safe-json-6").await.expect("follow")
                == Some((true, Some("spring".to_owned())))
                && db.follow(&oa_appid, "o-plain-xml-1").await.expect("follow")
                    == Some((false, Some("1".to_owned())))
        }
    })
    .await;
    until(&db, "the unknown event kept", |db| {
        let oa_appid = oa_appid.clone();
        async move {
            db.recent_pushes(&oa_appid, 50)
                .await
                .expect("pushes")
                .iter()
                .any(|push| {
                    push.event.as_deref() == Some("something_wechat_adds_later")
                        && push.outcome.as_deref() == Some("unknown event kept")
                })
        }
    })
    .await;
}

/// A safe-mode message for `appid` as WeChat would send it, built here with the sandbox's Token and key.
struct Signed {
    query: Vec<(&'static str, String)>,
    body: String,
}

fn safe_mode_message(token: &str, key: &PushKey, appid: &str, inner: &str) -> Signed {
    let timestamp = unix_now().to_string();
    let nonce = "42".to_owned();
    let encrypt = key.encrypt(inner.as_bytes(), appid, [3; 16]);
    Signed {
        query: vec![
            ("signature", signature(token, &timestamp, &nonce)),
            ("msg_signature", msg_signature(token, &timestamp, &nonce, &encrypt)),
            ("timestamp", timestamp),
            ("nonce", nonce),
            ("encrypt_type", "aes".to_owned()),
        ],
        body: format!("<xml><ToUserName><![CDATA[gh_x]]></ToUserName><Encrypt><![CDATA[{encrypt}]]></Encrypt></xml>"),
    }
}

async fn post_push(server: &Wxgate, appid: &str, signed: &Signed) -> (u16, String) {
    let response = reqwest::Client::new()
        .post(server.url(&format!("/api/wechat/push/{appid}")))
        .query(&signed.query)
        .body(signed.body.clone())
        .send()
        .await
        .expect("POST");
    let status = response.status().as_u16();
    (status, response.text().await.expect("text"))
}

fn event_xml(openid: &str, create_time: i64, event: &str, extra: &str) -> String {
    format!(
        "<xml><ToUserName><![CDATA[gh_x]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>\
         <CreateTime>{create_time}</CreateTime><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[{event}]]></Event>{extra}</xml>"
    )
}

async fn forged_or_misdirected_messages_are_refused(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let (mp_appid, oa_appid) = appids(&server).await;
    let credentials = database.sandbox_credentials();
    let key = PushKey::new(&credentials.push_aes_key).expect("key");
    let inner = event_xml("o-forged", unix_now(), "subscribe", "");

    let genuine = safe_mode_message(&credentials.push_token, &key, &oa_appid, &inner);
    let mut forged = safe_mode_message(&credentials.push_token, &key, &oa_appid, &inner);
    forged.query[1].1 = "0".repeat(40);
    let (status, answer) = post_push(&server, &oa_appid, &forged).await;
    assert_eq!(status, 401, "{answer}");
    assert!(answer.contains("msg_signature"), "{answer}");

    // Encrypted for the mini program, sent to the official account's URL (both apps share the key here).
    let misdirected = safe_mode_message(&credentials.push_token, &key, &mp_appid, &inner);
    let (status, answer) = post_push(&server, &oa_appid, &misdirected).await;
    assert_eq!(status, 400, "{answer}");
    assert!(answer.contains(&mp_appid), "{answer}");

    // The Encrypt field altered after signing.
    let mut altered = safe_mode_message(&credentials.push_token, &key, &oa_appid, &inner);
    altered.body = altered.body.replacen("<![CDATA[", "<![CDATA[A", 2);
    let (status, _) = post_push(&server, &oa_appid, &altered).await;
    assert_eq!(status, 401);

    let db = database.connect().await;
    assert!(db
        .recent_pushes(&oa_appid, 10)
        .await
        .expect("pushes")
        .is_empty());
    let (status, answer) = post_push(&server, &oa_appid, &genuine).await;
    assert_eq!((status, answer.as_str()), (200, "success"));
    assert_eq!(
        db.recent_pushes(&oa_appid, 10).await.expect("pushes").len(),
        1
    );
}

async fn a_message_wechat_sends_again_is_applied_once(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let (mp_appid, _) = appids(&server).await;
    let person = server.mini_program_login("xiaohong").await;
    server.bind_phone(&person, "xiaohong").await;
    let openid = server.persona_openid("xiaohong", &mp_appid).await;
    let credentials = database.sandbox_credentials();
    let key = PushKey::new(&credentials.push_aes_key).expect("key");
    let inner = event_xml(
        "o-platform",
        unix_now(),
        "user_authorization_revoke",
        &format!("<OpenID><![CDATA[{openid}]]></OpenID><AppID><![CDATA[{mp_appid}]]></AppID><RevokeInfo><![CDATA[8]]></RevokeInfo>"),
    );
    // WeChat's retries: the same message, signed anew each time.
    for _ in 0..3 {
        let signed = safe_mode_message(&credentials.push_token, &key, &mp_appid, &inner);
        let (status, answer) = post_push(&server, &mp_appid, &signed).await;
        assert_eq!((status, answer.as_str()), (200, "success"));
    }
    let db = database.connect().await;
    until(&db, "the revocation applied", |db| async move {
        !events_of(&db, "user.revoked").await.is_empty()
    })
    .await;
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(
        db.recent_pushes(&mp_appid, 10).await.expect("pushes").len(),
        1
    );
    let revoked = events_of(&db, "user.revoked").await;
    assert_eq!(revoked.len(), 1, "{revoked:?}");
    assert_eq!(revoked[0]["data"]["erased"], json!(["phone"]));
}

async fn the_buyers_receipt_confirmation_reaches_the_shipment(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let buyer = server.mini_program_login("xiaoming").await;
    let created = server.mini_program_order(&buyer, "one-fen").await;
    let order_id = created["order_id"].as_str().expect("order_id").to_owned();
    server
        .sandbox_pays(created["out_trade_no"].as_str().expect("out_trade_no"))
        .await;
    let db = database.connect().await;
    until(&db, "the shipping uploaded", |db| {
        let order_id = order_id.clone();
        async move {
            db.shipment(&order_id)
                .await
                .expect("shipment")
                .is_some_and(|shipment| shipment.state.as_str() == "UPLOADED")
        }
    })
    .await;
    let transaction_id = db
        .shipment(&order_id)
        .await
        .expect("shipment")
        .expect("a shipment")
        .transaction_id;
    let confirmed = server
        .control(
            &format!("/sandbox/shipping/{transaction_id}/confirm-receipt"),
            json!({}),
        )
        .await;
    assert_eq!(confirmed["push"]["delivered"], true, "{confirmed}");
    until(&db, "shipping.confirmed", |db| async move {
        !events_of(&db, "shipping.confirmed").await.is_empty()
    })
    .await;
    let event = &events_of(&db, "shipping.confirmed").await[0];
    assert_eq!(event["data"]["order_id"], order_id.as_str());
    assert!(
        event["data"]["receipt"]["confirmed_at"].is_string(),
        "{event}"
    );
    // The order's shipping says so too.
    let (_, order) = server.order(&buyer, &order_id).await;
    assert!(
        order["shipping"]["receipt_confirmed_at"].is_i64(),
        "{order}"
    );
}

async fn a_revocation_erases_what_was_withdrawn(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let (mp_appid, _) = appids(&server).await;
    let person = server.mini_program_login("xiaoming").await;
    server.bind_phone(&person, "xiaoming").await;
    let (_, me) = server
        .api(&person, reqwest::Method::GET, "/api/me", None)
        .await;
    let user_id = me["user_id"].as_str().expect("user_id").to_owned();
    let openid = server.persona_openid("xiaoming", &mp_appid).await;
    let db = database.connect().await;
    assert!(db
        .user(&user_id)
        .await
        .expect("user")
        .expect("user")
        .phone
        .is_some());

    // The person closes their WeChat account: everything wxgate holds of them goes; the orders stay.
    let delivery = server
        .control(
            &format!("/sandbox/push/{mp_appid}/events"),
            json!({"event": "user_authorization_cancellation", "openid": "o-platform",
                   "fields": {"OpenID": openid, "AppID": mp_appid}}),
        )
        .await;
    assert_eq!(delivery["delivered"], true, "{delivery}");
    until(&db, "the revocation applied", |db| async move {
        !events_of(&db, "user.revoked").await.is_empty()
    })
    .await;
    let user = db.user(&user_id).await.expect("user").expect("user");
    assert_eq!((user.phone, user.nickname), (None, None));
    let revoked = &events_of(&db, "user.revoked").await[0];
    assert_eq!(revoked["data"]["user_id"], user_id.as_str());
    assert_eq!(revoked["data"]["reason"], "account_closed");
    assert_eq!(
        revoked["data"]["erased"],
        json!(["nickname", "avatar", "phone", "session_key"])
    );
}

async fn the_sandbox_retries_a_push_as_wechat_does(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let (mp_appid, _) = appids(&server).await;
    // A server that fails twice, then answers 200 with an empty body (which WeChat takes as well as `success`).
    let receiver = Receiver::start(vec![
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::BAD_GATEWAY,
        StatusCode::OK,
    ])
    .await;
    server
        .control(
            &format!("/sandbox/push/{mp_appid}/settings"),
            json!({"url": receiver.url, "mode": "plain", "format": "json"}),
        )
        .await;
    let delivery = server
        .control(
            &format!("/sandbox/push/{mp_appid}/events"),
            json!({"event": "trade_manage_remind_access_api", "persona": "xiaoming", "fields": {"msg": "接入提醒"}}),
        )
        .await;
    assert_eq!(delivery["delivered"], true, "{delivery}");
    let statuses: Vec<&Value> = delivery["attempts"]
        .as_array()
        .expect("attempts")
        .iter()
        .map(|attempt| &attempt["status"])
        .collect();
    assert_eq!(statuses, [&json!(500), &json!(502), &json!(200)]);
    let received = receiver.wait_for(3).await;
    let message: Value = serde_json::from_slice(&received[0].1).expect("JSON");
    assert_eq!(message["Event"], "trade_manage_remind_access_api");
    assert!(
        received.iter().all(|(_, body)| *body == received[0].1),
        "the same message each time"
    );

    // A server that never takes it gets WeChat's four tries in all, and the delivery says it failed.
    let refusing = Receiver::start(vec![StatusCode::SERVICE_UNAVAILABLE]).await;
    server
        .control(
            &format!("/sandbox/push/{mp_appid}/settings"),
            json!({"url": refusing.url}),
        )
        .await;
    let failed = server
        .control(
            &format!("/sandbox/push/{mp_appid}/events"),
            json!({"event": "trade_manage_remind_access_api", "openid": "o-other"}),
        )
        .await;
    assert_eq!(failed["delivered"], false, "{failed}");
    assert_eq!(failed["attempts"].as_array().map(Vec::len), Some(4));
}
