//! Payments against the sandbox, as a buyer and as WeChat Pay: the mini program's payment, the webhook applied
//! exactly once however many copies arrive, a notification that never comes, and every kind of bad notification
//! refused with the order unchanged.

use std::time::Duration;

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use app::types::channel::PayChannel;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rsa::pkcs1v15::SigningKey;
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer};
use serde_json::{json, Value};

use crate::support::{on_both_backends, Served, TestDatabase, Wxgate};

/// The outcomes wxgate recorded for the notifications of `out_trade_no`.
async fn outcomes(database: &TestDatabase, out_trade_no: &str) -> Vec<String> {
    let db = database.connect().await;
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT outcome FROM payment_notifications WHERE out_trade_no = $1 ORDER BY received_at",
    )
    .bind(out_trade_no)
    .fetch_all(db.pool())
    .await
    .expect("outcomes");
    rows.into_iter().map(|(outcome,)| outcome).collect()
}

async fn order_status(server: &Wxgate, token: &str, order_id: &str) -> String {
    let (status, order) = server.order(token, order_id).await;
    assert_eq!(status, 200, "{order}");
    order["status"].as_str().expect("status").to_owned()
}

/// How many deliveries the sandbox has logged (it logs one once wxgate has answered it).
async fn delivery_count(server: &Wxgate) -> usize {
    server.control_get("/sandbox/pay/deliveries").await["deliveries"]
        .as_array()
        .map_or(0, Vec::len)
}

/// Waits (bounded) until `check` holds.
async fn eventually<F, Fut>(what: &str, check: F)
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what} never happened");
}

on_both_backends! {
    a_mini_program_payment_is_applied_once_however_many_copies_arrive => a_mini_program_payment_is_applied_once_however_many_copies_arrive;
    a_notification_that_never_comes_is_made_up_for_by_asking_wechat_pay => a_notification_that_never_comes_is_made_up_for_by_asking_wechat_pay;
    bad_notifications_are_refused_and_the_order_is_unchanged => bad_notifications_are_refused_and_the_order_is_unchanged;
    a_notification_answered_500_is_retried_by_the_sandbox_and_applied_once => a_notification_answered_500_is_retried_by_the_sandbox_and_applied_once;
    a_prepay_stored_after_the_payment_leaves_the_order_paid => a_prepay_stored_after_the_payment_leaves_the_order_paid;
}

async fn a_mini_program_payment_is_applied_once_however_many_copies_arrive(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("xiaohong").await;

    let products: Value = reqwest::get(server.url("/api/products"))
        .await
        .expect("products")
        .json()
        .await
        .expect("json");
    let mug = products
        .as_array()
        .expect("list")
        .iter()
        .find(|product| product["id"] == "mug")
        .expect("a mug on sale");
    let (status, created) = server
        .api(
            &token,
            reqwest::Method::POST,
            "/api/payments/miniprogram/create",
            Some(json!({ "product_id": "mug", "quantity": 2 })),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    for field in [
        "order_id",
        "out_trade_no",
        "timeStamp",
        "nonceStr",
        "package",
        "signType",
        "paySign",
    ] {
        assert!(
            created.get(field).is_some(),
            "{field} missing from {created}"
        );
    }
    assert_eq!(created["signType"], "RSA");
    let order_id = created["order_id"].as_str().expect("order id").to_owned();
    let out_trade_no = created["out_trade_no"]
        .as_str()
        .expect("out_trade_no")
        .to_owned();

    // Paying the same order again reuses its live prepay.
    let (_, again) = server
        .api(
            &token,
            reqwest::Method::POST,
            "/api/payments/miniprogram/create",
            Some(json!({ "order_id": order_id })),
        )
        .await;
    assert_eq!(again["package"], created["package"]);
    assert_eq!(order_status(&server, &token, &order_id).await, "PAYING");
    let (_, order) = server.order(&token, &order_id).await;
    assert_eq!(
        order["total_fen"],
        mug["price_fen"].as_i64().expect("price") * 2,
        "priced by the server"
    );

    server.sandbox_pays(&out_trade_no).await;
    eventually("the payment notification", || async {
        outcomes(&database, &out_trade_no).await == ["applied"]
    })
    .await;
    assert_eq!(order_status(&server, &token, &order_id).await, "PAID");

    // Twenty copies of the notification at once: twenty success replies, no second transition.
    eventually("the delivery logged", || async {
        delivery_count(&server).await == 1
    })
    .await;
    let deliveries = server.control_get("/sandbox/pay/deliveries").await;
    let notification_id = deliveries["deliveries"][0]["notification_id"]
        .as_str()
        .expect("notification id")
        .to_owned();
    let resend = server.url(&format!(
        "/sandbox/pay/notifications/{notification_id}/resend"
    ));
    let copies: Vec<_> = (0..20)
        .map(|_| {
            let resend = resend.clone();
            tokio::spawn(async move {
                reqwest::Client::new()
                    .post(resend)
                    .send()
                    .await
                    .expect("resend")
                    .status()
            })
        })
        .collect();
    for copy in copies {
        assert!(copy.await.expect("task").is_success());
    }
    eventually("twenty duplicates", || async {
        outcomes(&database, &out_trade_no).await.len() == 21
    })
    .await;
    let recorded = outcomes(&database, &out_trade_no).await;
    assert_eq!(
        recorded
            .iter()
            .filter(|outcome| *outcome == "applied")
            .count(),
        1,
        "{recorded:?}"
    );
    assert_eq!(
        recorded
            .iter()
            .filter(|outcome| *outcome == "duplicate")
            .count(),
        20,
        "{recorded:?}"
    );
    let replies = server
        .control_get(&format!(
            "/sandbox/pay/deliveries?notification_id={notification_id}"
        ))
        .await;
    let answered: Vec<&Value> = replies["deliveries"]
        .as_array()
        .expect("list")
        .iter()
        .map(|delivery| &delivery["status"])
        .collect();
    assert_eq!(answered.len(), 21);
    assert!(
        answered.iter().all(|status| **status == json!(204)),
        "{answered:?}"
    );
}

async fn a_notification_that_never_comes_is_made_up_for_by_asking_wechat_pay(
    database: TestDatabase,
) {
    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("laowang").await;
    let created = server.mini_program_order(&token, "one-fen").await;
    let order_id = created["order_id"].as_str().expect("order id");
    server
        .control("/sandbox/pay/notifications/hold", json!({}))
        .await;
    server
        .sandbox_pays(created["out_trade_no"].as_str().expect("no"))
        .await;

    assert_eq!(
        order_status(&server, &token, order_id).await,
        "PAID",
        "looking at the order asks WeChat Pay"
    );
    assert!(
        outcomes(&database, created["out_trade_no"].as_str().expect("no"))
            .await
            .is_empty(),
        "no notification came"
    );
}

/// A checkout that asked WeChat Pay for a prepay while the buyer was paying stores it only after the payment was
/// applied: the paid order keeps its status and the prepay it was paid with.
async fn a_prepay_stored_after_the_payment_leaves_the_order_paid(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("xiaoming").await;
    let created = server.mini_program_order(&token, "one-fen").await;
    let order_id = created["order_id"].as_str().expect("order id");
    server
        .sandbox_pays(created["out_trade_no"].as_str().expect("no"))
        .await;
    let db = database.connect().await;
    eventually("the order is paid", || async {
        db.order(order_id)
            .await
            .expect("order")
            .expect("exists")
            .status
            .as_str()
            == "PAID"
    })
    .await;
    let paid = db.order(order_id).await.expect("order").expect("exists");

    let kept = db
        .set_prepay(
            order_id,
            PayChannel::Native,
            "wx0000000000000002",
            "weixin://wxpay/bizpayurl?pr=late",
            app::ssr::clock::now() + 3600,
        )
        .await
        .expect("prepay");
    assert!(
        !kept,
        "setting a prepay on a paid order says it changed nothing"
    );
    assert_eq!(
        db.order(order_id).await.expect("order").expect("exists"),
        paid,
        "the paid order is left alone"
    );
}

/// wxgate answers 500 when its database cannot find orders (the table is renamed away for a moment); WeChat Pay's
/// retry, after the table is back, is applied, and the order is paid once.
async fn a_notification_answered_500_is_retried_by_the_sandbox_and_applied_once(
    database: TestDatabase,
) {
    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("xiaoming").await;
    let created = server.mini_program_order(&token, "one-fen").await;
    let order_id = created["order_id"].as_str().expect("order id");
    let out_trade_no = created["out_trade_no"].as_str().expect("out_trade_no");
    // WeChat retries after 15 s; a tenth of that here.
    server
        .control("/sandbox/pay/time-scale", json!({ "time_scale": 10 }))
        .await;
    let db = database.connect().await;
    let rename = |from: &str, to: &str| format!("ALTER TABLE {from} RENAME TO {to}");
    sqlx::query(&rename("orders", "orders_away"))
        .execute(db.pool())
        .await
        .expect("rename away");
    server.sandbox_pays(out_trade_no).await;
    eventually("wxgate's 500", || async {
        let deliveries = server.control_get("/sandbox/pay/deliveries").await;
        deliveries["deliveries"]
            .as_array()
            .is_some_and(|list| list.iter().any(|delivery| delivery["status"] == 500))
    })
    .await;
    sqlx::query(&rename("orders_away", "orders"))
        .execute(db.pool())
        .await
        .expect("rename back");

    eventually("the retry", || async {
        outcomes(&database, out_trade_no)
            .await
            .contains(&"applied".to_owned())
    })
    .await;
    assert_eq!(
        outcomes(&database, out_trade_no).await,
        ["error", "applied"]
    );
    eventually("both deliveries logged", || async {
        delivery_count(&server).await == 2
    })
    .await;
    let deliveries = server.control_get("/sandbox/pay/deliveries").await;
    let answered: Vec<&Value> = deliveries["deliveries"]
        .as_array()
        .expect("list")
        .iter()
        .map(|delivery| &delivery["status"])
        .collect();
    assert_eq!(answered, [&json!(500), &json!(204)]);
    assert_eq!(order_status(&server, &token, order_id).await, "PAID");
}

/// A notification as WeChat Pay would send it, with each property ours to choose.
pub(crate) struct Forged {
    pub(crate) body: String,
    pub(crate) timestamp: i64,
    pub(crate) nonce: String,
    pub(crate) serial: String,
    pub(crate) signature: String,
}

pub(crate) fn forge(credentials: &Value, resource: &Value, apiv3_key: &str, skew: i64) -> Forged {
    let nonce = "aBcDeFgHiJkL";
    let cipher = Aes256Gcm::new_from_slice(apiv3_key.as_bytes()).expect("32-byte key");
    let plaintext = resource.to_string();
    let ciphertext = cipher
        .encrypt(
            Nonce::from_slice(nonce.as_bytes()),
            Payload {
                msg: plaintext.as_bytes(),
                aad: b"transaction",
            },
        )
        .expect("encrypt");
    let body = json!({
        "id": format!("EV-{}", resource["out_trade_no"].as_str().unwrap_or_default()),
        "create_time": "2026-11-21T12:00:00+08:00",
        "resource_type": "encrypt-resource",
        "event_type": "TRANSACTION.SUCCESS",
        "summary": "支付成功",
        "resource": { "original_type": "transaction", "algorithm": "AEAD_AES_256_GCM", "ciphertext": BASE64.encode(ciphertext), "associated_data": "transaction", "nonce": nonce },
    })
    .to_string();
    let timestamp = time::OffsetDateTime::now_utc().unix_timestamp() + skew;
    let nonce = "NotifyNonce0123".to_owned();
    let key = rsa::RsaPrivateKey::from_pkcs8_pem(
        credentials["pay_private_key_pem"].as_str().expect("pem"),
    )
    .expect("key");
    let message = format!("{timestamp}\n{nonce}\n{body}\n");
    let signature = BASE64.encode(
        SigningKey::<Sha256>::new(key)
            .sign(message.as_bytes())
            .to_vec(),
    );
    Forged {
        body,
        timestamp,
        nonce,
        serial: credentials["pay_public_key_id"]
            .as_str()
            .expect("id")
            .to_owned(),
        signature,
    }
}

pub(crate) async fn deliver(server: &Served, forged: &Forged) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(server.url("/api/webhooks/wechat-pay"))
        .header("Wechatpay-Timestamp", forged.timestamp.to_string())
        .header("Wechatpay-Nonce", &forged.nonce)
        .header("Wechatpay-Serial", &forged.serial)
        .header("Wechatpay-Signature", &forged.signature)
        .header("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
        .header("content-type", "application/json")
        .body(forged.body.clone())
        .send()
        .await
        .expect("webhook");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn bad_notifications_are_refused_and_the_order_is_unchanged(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let credentials: Value = serde_json::from_str(
        &std::fs::read_to_string(database.data_dir().join("sandbox/credentials.json"))
            .expect("credentials"),
    )
    .expect("json");
    let token = server.mini_program_login("xiaoming").await;
    let created = server.mini_program_order(&token, "green-tea").await;
    let order_id = created["order_id"].as_str().expect("order id").to_owned();
    let out_trade_no = created["out_trade_no"].as_str().expect("no").to_owned();
    let (_, order) = server.order(&token, &order_id).await;
    let resource = json!({
        "appid": credentials["mp_appid"], "mchid": credentials["mchid"], "out_trade_no": out_trade_no,
        "transaction_id": "4200000000202611210000000001", "trade_type": "JSAPI", "trade_state": "SUCCESS",
        "trade_state_desc": "支付成功", "success_time": "2026-11-21T12:00:00+08:00",
        "amount": { "total": order["total_fen"], "payer_total": order["total_fen"], "currency": "CNY", "payer_currency": "CNY" },
    });
    let apiv3_key = credentials["apiv3_key"].as_str().expect("key");

    let mut tampered = forge(&credentials, &resource, apiv3_key, 0);
    tampered.body = tampered.body.replacen("支付成功", "支付成功 ", 1);
    let mut unknown_serial = forge(&credentials, &resource, apiv3_key, 0);
    unknown_serial.serial = "PUB_KEY_ID_0199999999999999999999999999".to_owned();
    let mut probe = forge(&credentials, &resource, apiv3_key, 0);
    probe.signature = format!("WECHATPAY/SIGNTEST/{}", probe.signature);
    let cases = [
        ("tampered body", tampered, 401),
        (
            "stale timestamp",
            forge(&credentials, &resource, apiv3_key, -3600),
            401,
        ),
        ("unknown serial", unknown_serial, 401),
        ("probe", probe, 401),
        (
            "wrong APIv3 key",
            forge(
                &credentials,
                &resource,
                "0123456789abcdef0123456789abcdef",
                0,
            ),
            401,
        ),
    ];
    for (what, forged, expected) in cases {
        let (status, answer) = deliver(&server, &forged).await;
        assert_eq!(status, expected, "{what}: {answer}");
        assert_eq!(answer["code"], "FAIL", "{what}");
    }
    let (_, wrong_key) = deliver(
        &server,
        &forge(
            &credentials,
            &resource,
            "0123456789abcdef0123456789abcdef",
            0,
        ),
    )
    .await;
    assert!(
        wrong_key["message"]
            .as_str()
            .expect("message")
            .contains("APIv3 key is wrong"),
        "{wrong_key}"
    );

    let mut underpaid = resource.clone();
    underpaid["amount"]["total"] = json!(1);
    let (status, answer) = deliver(&server, &forge(&credentials, &underpaid, apiv3_key, 0)).await;
    assert_eq!(status, 400, "{answer}");
    let (_, order) = server.order(&token, &order_id).await;
    assert_eq!(
        order["status"], "PAYING",
        "no bad notification moved the order"
    );
    assert_eq!(order["flagged"], true, "the amount mismatch is flagged");

    // The real one still works.
    let (status, _) = deliver(&server, &forge(&credentials, &resource, apiv3_key, 0)).await;
    assert_eq!(status, 204);
    assert_eq!(order_status(&server, &token, &order_id).await, "PAID");
}
