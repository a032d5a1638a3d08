//! The WeChat Pay sandbox at the protocol level, judged by the test's own signing, verification and decryption
//! (not wxgate's client): Authorization checks, signed answers, orders, refunds, notifications and their retries,
//! certificate rotation.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aes_gcm::aead::{Aead, KeyInit, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use axum::http::{HeaderMap, StatusCode};
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rsa::pkcs1v15::{Signature, SigningKey, VerifyingKey};
use rsa::pkcs8::DecodePrivateKey;
use rsa::sha2::Sha256;
use rsa::signature::{SignatureEncoding, Signer, Verifier};
use rsa::{RsaPrivateKey, RsaPublicKey};
use serde_json::{json, Value};

use crate::support::Sandbox;

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| elapsed.as_secs() as i64)
        .unwrap_or_default()
}

struct Reply {
    status: StatusCode,
    headers: HeaderMap,
    body: Vec<u8>,
}

impl Reply {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

/// A merchant that signs its own requests, from the sandbox's credentials.
struct Merchant {
    sandbox: Sandbox,
    key: SigningKey<Sha256>,
    platform: RsaPublicKey,
    client: reqwest::Client,
}

impl Merchant {
    async fn start() -> Merchant {
        let sandbox = Sandbox::start().await;
        let key = RsaPrivateKey::from_pkcs8_pem(&sandbox.credential("merchant_private_key_pem"))
            .expect("merchant key");
        let platform =
            RsaPrivateKey::from_pkcs8_pem(&sandbox.credential("platform_private_key_pem"))
                .expect("platform key")
                .to_public_key();
        Merchant {
            sandbox,
            key: SigningKey::new(key),
            platform,
            client: reqwest::Client::new(),
        }
    }

    fn mchid(&self) -> String {
        self.sandbox.credential("mchid")
    }

    fn authorization(
        &self,
        key: &SigningKey<Sha256>,
        mchid: &str,
        method: &str,
        path: &str,
        body: &str,
        timestamp: i64,
    ) -> String {
        let message = format!("{method}\n{path}\n{timestamp}\nNONCE123\n{body}\n");
        let signature = BASE64.encode(key.sign(message.as_bytes()).to_bytes());
        format!(
            "WECHATPAY2-SHA256-RSA2048 mchid=\"{mchid}\",nonce_str=\"NONCE123\",signature=\"{signature}\",timestamp=\"{timestamp}\",serial_no=\"{}\"",
            self.sandbox.credential("merchant_serial")
        )
    }

    async fn send(&self, method: &str, path: &str, body: &str, authorization: &str) -> Reply {
        let request = match method {
            "GET" => self.client.get(self.sandbox.url(path)),
            _ => self
                .client
                .post(self.sandbox.url(path))
                .body(body.to_owned()),
        };
        let response = request
            .header("Authorization", authorization)
            .header("Content-Type", "application/json")
            .header("Accept", "application/json")
            .send()
            .await
            .expect("the sandbox answers");
        Reply {
            status: response.status(),
            headers: response.headers().clone(),
            body: response.bytes().await.expect("body").to_vec(),
        }
    }

    /// A correctly signed call.
    async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
        let body = body.map(Value::to_string).unwrap_or_default();
        let authorization =
            self.authorization(&self.key, &self.mchid(), method, path, &body, now());
        let reply = self.send(method, path, &body, &authorization).await;
        assert!(
            self.verifies(&reply.headers, &reply.body),
            "the answer to {method} {path} is not signed: {:?}",
            reply.headers
        );
        reply
    }

    /// Whether `headers` carry a valid platform signature over `body`.
    fn verifies(&self, headers: &HeaderMap, body: &[u8]) -> bool {
        let text = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default()
                .to_owned()
        };
        if text("Wechatpay-Signature-Type") != "WECHATPAY2-SHA256-RSA2048"
            || text("Wechatpay-Serial") != self.sandbox.credential("platform_cert_serial")
        {
            return false;
        }
        let mut message = format!(
            "{}\n{}\n",
            text("Wechatpay-Timestamp"),
            text("Wechatpay-Nonce")
        )
        .into_bytes();
        message.extend_from_slice(body);
        message.push(b'\n');
        let Ok(raw) = BASE64.decode(text("Wechatpay-Signature")) else {
            return false;
        };
        let Ok(signature) = Signature::try_from(raw.as_slice()) else {
            return false;
        };
        VerifyingKey::<Sha256>::new(self.platform.clone())
            .verify(&message, &signature)
            .is_ok()
    }

    fn decrypt(&self, resource: &Value) -> Value {
        let cipher = Aes256Gcm::new_from_slice(self.sandbox.credential("apiv3_key").as_bytes())
            .expect("key");
        let field = |name: &str| resource[name].as_str().unwrap_or_default().to_owned();
        let sealed = BASE64.decode(field("ciphertext")).expect("base64");
        let plain = cipher
            .decrypt(
                Nonce::from_slice(field("nonce").as_bytes()),
                Payload {
                    msg: &sealed,
                    aad: field("associated_data").as_bytes(),
                },
            )
            .expect("decrypts with the APIv3 key");
        serde_json::from_slice(&plain).expect("JSON")
    }

    async fn control(&self, path: &str, body: Value) -> Value {
        let response = self
            .client
            .post(self.sandbox.url(path))
            .json(&body)
            .send()
            .await
            .expect("control answers");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        response.json().await.expect("control JSON")
    }

    async fn native_order(&self, out_trade_no: &str, total: u64, notify_url: &str) -> Reply {
        let body = json!({
            "appid": self.sandbox.credential("web_appid"), "mchid": self.mchid(), "description": "测试商品",
            "out_trade_no": out_trade_no, "notify_url": notify_url, "amount": {"total": total, "currency": "CNY"}
        });
        self.call("POST", "/v3/pay/transactions/native", Some(&body))
            .await
    }
}

/// Every notification a receiver got: headers and raw body.
type Received = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A merchant notify_url answering with scripted statuses (the last one repeats), recording what it receives.
struct Receiver {
    url: String,
    received: Received,
}

impl Receiver {
    async fn start(statuses: Vec<StatusCode>) -> Receiver {
        let received: Received = Arc::default();
        let seen = Arc::clone(&received);
        let app = axum::Router::new().route(
            "/notify",
            axum::routing::post(move |headers: HeaderMap, body: axum::body::Bytes| {
                let seen = Arc::clone(&seen);
                let statuses = statuses.clone();
                async move {
                    let mut seen = seen.lock().expect("lock");
                    seen.push((headers, body.to_vec()));
                    statuses
                        .get(seen.len() - 1)
                        .or(statuses.last())
                        .copied()
                        .unwrap_or(StatusCode::NO_CONTENT)
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}/notify", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, received }
    }

    /// Waits (up to 15 s) until `count` notifications arrived.
    async fn wait_for(&self, count: usize) -> Vec<(HeaderMap, Vec<u8>)> {
        let deadline = Instant::now() + Duration::from_secs(15);
        loop {
            let received = self.received.lock().expect("lock").clone();
            if received.len() >= count || Instant::now() > deadline {
                return received;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[tokio::test]
async fn requests_with_a_bad_authorization_are_refused_with_sign_error() {
    let merchant = Merchant::start().await;
    let path = format!(
        "/v3/pay/transactions/out-trade-no/T000001?mchid={}",
        merchant.mchid()
    );
    let other_key =
        SigningKey::<Sha256>::new(RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("key"));
    let cases = [
        (
            "a key that is not the merchant's",
            merchant.authorization(&other_key, &merchant.mchid(), "GET", &path, "", now()),
            "",
            "does not verify",
        ),
        (
            "a signed body that differs from the sent one",
            merchant.authorization(&merchant.key, &merchant.mchid(), "GET", &path, "{}", now()),
            "",
            "does not verify",
        ),
        (
            "another mchid",
            merchant.authorization(&merchant.key, "1900000002", "GET", &path, "", now()),
            "",
            "mchid 1900000002",
        ),
        (
            "a stale timestamp",
            merchant.authorization(
                &merchant.key,
                &merchant.mchid(),
                "GET",
                &path,
                "",
                now() - 301,
            ),
            "",
            "away from the sandbox's clock",
        ),
    ];
    for (case, authorization, body, hint) in cases {
        let reply = merchant.send("GET", &path, body, &authorization).await;
        assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{case}");
        assert_eq!(reply.json()["code"], "SIGN_ERROR", "{case}");
        let message = reply.json()["message"]
            .as_str()
            .unwrap_or_default()
            .to_owned();
        assert!(message.contains(hint), "{case}: {message}");
        assert!(
            merchant.verifies(&reply.headers, &reply.body),
            "{case}: errors are signed too"
        );
    }
    let altered = merchant.authorization(
        &merchant.key,
        &merchant.mchid(),
        "POST",
        "/v3/pay/transactions/native",
        "{\"a\":1}",
        now(),
    );
    let reply = merchant
        .send("POST", "/v3/pay/transactions/native", "{\"a\":2}", &altered)
        .await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn a_paid_order_notifies_with_a_signed_encrypted_transaction() {
    let merchant = Merchant::start().await;
    let receiver = Receiver::start(vec![StatusCode::NO_CONTENT]).await;
    let prepay = merchant.native_order("PAY000001", 150, &receiver.url).await;
    assert_eq!(prepay.status, StatusCode::OK);
    assert!(prepay.json()["code_url"]
        .as_str()
        .is_some_and(|url| url.starts_with("weixin://wxpay/bizpayurl?pr=")));
    let query_path = format!(
        "/v3/pay/transactions/out-trade-no/PAY000001?mchid={}",
        merchant.mchid()
    );
    assert_eq!(
        merchant.call("GET", &query_path, None).await.json()["trade_state"],
        "NOTPAY"
    );

    merchant
        .control(
            "/sandbox/pay/orders/PAY000001/pay",
            json!({"openid": "oTestPayer"}),
        )
        .await;
    let received = receiver.wait_for(1).await;
    let (headers, body) = received.first().expect("a notification arrives");
    assert!(
        merchant.verifies(headers, body),
        "the notification's signature verifies"
    );
    let envelope: Value = serde_json::from_slice(body).expect("JSON envelope");
    assert_eq!(envelope["event_type"], "TRANSACTION.SUCCESS");
    assert_eq!(envelope["resource_type"], "encrypt-resource");
    assert_eq!(envelope["resource"]["algorithm"], "AEAD_AES_256_GCM");
    assert_eq!(envelope["resource"]["associated_data"], "transaction");
    let transaction = merchant.decrypt(&envelope["resource"]);
    assert_eq!(transaction["out_trade_no"], "PAY000001");
    assert_eq!(transaction["trade_state"], "SUCCESS");
    assert_eq!(transaction["amount"]["total"], 150);
    assert_eq!(transaction["payer"]["openid"], "oTestPayer");

    let by_id = format!(
        "/v3/pay/transactions/id/{}?mchid={}",
        transaction["transaction_id"].as_str().unwrap_or_default(),
        merchant.mchid()
    );
    let queried = merchant.call("GET", &by_id, None).await;
    assert_eq!(queried.status, StatusCode::OK);
    assert_eq!(queried.json()["trade_state"], "SUCCESS");
}

#[tokio::test]
async fn repeats_closes_and_conflicts_answer_as_wechat_does() {
    let merchant = Merchant::start().await;
    let first = merchant
        .native_order("CLOSE00001", 10, "http://127.0.0.1:9/notify")
        .await;
    let again = merchant
        .native_order("CLOSE00001", 10, "http://127.0.0.1:9/notify")
        .await;
    assert_eq!(
        first.json(),
        again.json(),
        "an identical repeat gets the same prepay"
    );
    let changed = merchant
        .native_order("CLOSE00001", 11, "http://127.0.0.1:9/notify")
        .await;
    assert_eq!(changed.status, StatusCode::FORBIDDEN);
    assert_eq!(changed.json()["code"], "OUT_TRADE_NO_USED");

    let close = json!({"mchid": merchant.mchid()});
    let closed = merchant
        .call(
            "POST",
            "/v3/pay/transactions/out-trade-no/CLOSE00001/close",
            Some(&close),
        )
        .await;
    assert_eq!(closed.status, StatusCode::NO_CONTENT);
    assert!(closed.body.is_empty());
    let twice = merchant
        .call(
            "POST",
            "/v3/pay/transactions/out-trade-no/CLOSE00001/close",
            Some(&close),
        )
        .await;
    assert_eq!(twice.status, StatusCode::NO_CONTENT);

    merchant
        .native_order("PAID000001", 10, "http://127.0.0.1:9/notify")
        .await;
    merchant
        .control("/sandbox/pay/orders/PAID000001/pay", json!({}))
        .await;
    let paid = merchant
        .call(
            "POST",
            "/v3/pay/transactions/out-trade-no/PAID000001/close",
            Some(&close),
        )
        .await;
    assert_eq!(paid.status, StatusCode::BAD_REQUEST);
    assert_eq!(paid.json()["code"], "ORDERPAID");

    let missing = merchant
        .call(
            "GET",
            &format!(
                "/v3/pay/transactions/out-trade-no/NOSUCH0001?mchid={}",
                merchant.mchid()
            ),
            None,
        )
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
    assert_eq!(missing.json()["code"], "ORDER_NOT_EXIST");
}

#[tokio::test]
async fn refunds_add_up_to_the_paid_total_and_no_further() {
    let merchant = Merchant::start().await;
    merchant
        .native_order("REFUND0001", 100, "http://127.0.0.1:9/notify")
        .await;
    merchant
        .control("/sandbox/pay/orders/REFUND0001/pay", json!({}))
        .await;
    let refund = |no: &str, amount: u64| json!({"out_trade_no": "REFUND0001", "out_refund_no": no, "amount": {"refund": amount, "total": 100, "currency": "CNY"}});

    let partial = merchant
        .call(
            "POST",
            "/v3/refund/domestic/refunds",
            Some(&refund("RF1", 30)),
        )
        .await;
    assert_eq!(partial.status, StatusCode::OK);
    assert_eq!(partial.json()["status"], "PROCESSING");
    let repeat = merchant
        .call(
            "POST",
            "/v3/refund/domestic/refunds",
            Some(&refund("RF1", 30)),
        )
        .await;
    assert_eq!(
        repeat.json()["refund_id"],
        partial.json()["refund_id"],
        "the same out_refund_no is the same refund"
    );
    let rest = merchant
        .call(
            "POST",
            "/v3/refund/domestic/refunds",
            Some(&refund("RF2", 70)),
        )
        .await;
    assert_eq!(rest.status, StatusCode::OK);
    let beyond = merchant
        .call(
            "POST",
            "/v3/refund/domestic/refunds",
            Some(&refund("RF3", 1)),
        )
        .await;
    assert_eq!(beyond.status, StatusCode::FORBIDDEN);
    assert_eq!(beyond.json()["code"], "NOT_ENOUGH");

    let order = merchant
        .call(
            "GET",
            &format!(
                "/v3/pay/transactions/out-trade-no/REFUND0001?mchid={}",
                merchant.mchid()
            ),
            None,
        )
        .await;
    assert_eq!(order.json()["trade_state"], "REFUND");
    merchant
        .control(
            "/sandbox/pay/refunds/RF1/outcome",
            json!({"status": "SUCCESS"}),
        )
        .await;
    let queried = merchant
        .call("GET", "/v3/refund/domestic/refunds/RF1", None)
        .await;
    assert_eq!(queried.json()["status"], "SUCCESS");
    assert_eq!(queried.json()["amount"]["refund"], 30);
}

#[tokio::test]
async fn a_rejected_notification_is_retried_on_the_scaled_schedule() {
    let merchant = Merchant::start().await;
    merchant
        .control("/sandbox/pay/time-scale", json!({"time_scale": 1000}))
        .await;
    let receiver = Receiver::start(vec![
        StatusCode::INTERNAL_SERVER_ERROR,
        StatusCode::NO_CONTENT,
    ])
    .await;
    merchant.native_order("RETRY00001", 10, &receiver.url).await;
    merchant
        .control("/sandbox/pay/orders/RETRY00001/pay", json!({}))
        .await;
    let received = receiver.wait_for(2).await;
    assert_eq!(received.len(), 2, "the first failure is retried");
    assert_eq!(
        received[0].1, received[1].1,
        "a retry sends the same notification"
    );

    let deadline = Instant::now() + Duration::from_secs(5);
    let deliveries = loop {
        let response = reqwest::get(merchant.sandbox.url("/sandbox/pay/deliveries"))
            .await
            .expect("deliveries");
        let listed: Value = response.json().await.expect("JSON");
        let deliveries = listed["deliveries"].as_array().cloned().unwrap_or_default();
        if deliveries.len() >= 2 || Instant::now() > deadline {
            break deliveries;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    };
    let summary: Vec<(u64, u64, String)> = deliveries
        .iter()
        .map(|d| {
            (
                d["attempt"].as_u64().unwrap_or_default(),
                d["status"].as_u64().unwrap_or_default(),
                d["outcome"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![
            (1, 500, "rejected".to_owned()),
            (2, 204, "delivered".to_owned())
        ]
    );
    assert_eq!(
        deliveries[0]["notification_id"],
        deliveries[1]["notification_id"]
    );
}

#[tokio::test]
async fn rotation_serves_two_certificates_and_signs_with_the_newest() {
    let merchant = Merchant::start().await;
    let rotated = merchant
        .control("/sandbox/pay/certificates/rotate", json!({}))
        .await;
    let newest = rotated["newest"].as_str().unwrap_or_default().to_owned();
    let body = String::new();
    let authorization = merchant.authorization(
        &merchant.key,
        &merchant.mchid(),
        "GET",
        "/v3/certificates",
        &body,
        now(),
    );
    let reply = merchant
        .send("GET", "/v3/certificates", &body, &authorization)
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(
        reply
            .headers
            .get("Wechatpay-Serial")
            .and_then(|v| v.to_str().ok()),
        Some(newest.as_str())
    );
    let data = reply.json()["data"].as_array().cloned().unwrap_or_default();
    let serials: Vec<String> = data
        .iter()
        .map(|entry| entry["serial_no"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(
        serials,
        vec![merchant.sandbox.credential("platform_cert_serial"), newest]
    );
    for entry in &data {
        let certificate = &entry["encrypt_certificate"];
        assert_eq!(certificate["associated_data"], "certificate");
        let cipher = Aes256Gcm::new_from_slice(merchant.sandbox.credential("apiv3_key").as_bytes())
            .expect("key");
        let sealed = BASE64
            .decode(certificate["ciphertext"].as_str().unwrap_or_default())
            .expect("base64");
        let pem = cipher
            .decrypt(
                Nonce::from_slice(certificate["nonce"].as_str().unwrap_or_default().as_bytes()),
                Payload {
                    msg: &sealed,
                    aad: b"certificate",
                },
            )
            .expect("decrypts");
        assert!(String::from_utf8_lossy(&pem).starts_with("-----BEGIN CERTIFICATE-----"));
        assert!(entry["effective_time"]
            .as_str()
            .is_some_and(|time| time.ends_with("+08:00")));
    }
}

#[tokio::test]
async fn a_bill_link_is_signed_and_its_unsigned_file_matches_the_sha1() {
    use sha1::{Digest, Sha1};

    let merchant = Merchant::start().await;
    merchant
        .native_order("BILL000001", 250, "http://127.0.0.1:9/notify")
        .await;
    merchant
        .control(
            "/sandbox/pay/orders/BILL000001/pay",
            json!({"openid": "oBillPayer"}),
        )
        .await;
    let order = merchant
        .call(
            "GET",
            &format!(
                "/v3/pay/transactions/out-trade-no/BILL000001?mchid={}",
                merchant.mchid()
            ),
            None,
        )
        .await
        .json();
    let day = order["success_time"].as_str().unwrap_or_default()[..10].to_owned();

    let applied = merchant
        .call(
            "GET",
            &format!("/v3/bill/tradebill?bill_date={day}&bill_type=ALL"),
            None,
        )
        .await;
    assert_eq!(applied.status, StatusCode::OK);
    let link = applied.json();
    assert_eq!(link["hash_type"], "SHA1");
    let url = url::Url::parse(link["download_url"].as_str().unwrap_or_default()).expect("URL");
    assert_eq!(url.path(), "/v3/billdownload/file");
    let path = &url[url::Position::BeforePath..];

    let unauthorized = merchant.send("GET", path, "", "").await;
    assert_eq!(
        unauthorized.status,
        StatusCode::UNAUTHORIZED,
        "downloads need the merchant's Authorization"
    );
    let authorization =
        merchant.authorization(&merchant.key, &merchant.mchid(), "GET", path, "", now());
    let file = merchant.send("GET", path, "", &authorization).await;
    assert_eq!(file.status, StatusCode::OK);
    assert!(
        file.headers.get("Wechatpay-Signature").is_none(),
        "bill files are not signed"
    );
    assert_eq!(
        hex::encode(Sha1::digest(&file.body)),
        link["hash_value"].as_str().unwrap_or_default()
    );
    let text = String::from_utf8(file.body.clone()).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 4, "{text}");
    assert!(lines[1].starts_with(&format!("`{day} ")));
    assert!(lines[1].contains(&format!(
        "`{},`BILL000001,`oBillPayer,`NATIVE,`SUCCESS,`OTHERS,`CNY,`2.50,",
        order["transaction_id"].as_str().unwrap_or_default()
    )));
    assert_eq!(lines[3], "`1,`2.50,`0.00,`0.00,`0.00000,`2.50,`0.00");

    let funds = merchant
        .call(
            "GET",
            &format!("/v3/bill/fundflowbill?bill_date={day}"),
            None,
        )
        .await;
    assert_eq!(funds.status, StatusCode::OK);

    let empty = merchant
        .call("GET", "/v3/bill/tradebill?bill_date=2001-01-01", None)
        .await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert_eq!(empty.json()["code"], "NO_STATEMENT_EXIST");
    let malformed = merchant
        .call("GET", "/v3/bill/tradebill?bill_date=20010101", None)
        .await;
    assert_eq!(malformed.json()["code"], "PARAM_ERROR");
    let unknown = merchant
        .call("GET", "/v3/billdownload/file?token=nosuchtoken", None)
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
}

/// A browser that does not follow redirects, to read where a page sends it.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

/// The openid of persona `id` in `appid`, as `GET /sandbox/personas` lists it.
async fn persona_openid(merchant: &Merchant, id: &str, appid: &str) -> String {
    let personas: Value = reqwest::get(merchant.sandbox.url("/sandbox/personas"))
        .await
        .expect("personas")
        .json()
        .await
        .expect("JSON");
    personas
        .as_array()
        .and_then(|list| list.iter().find(|persona| persona["id"] == id))
        .and_then(|persona| persona["openids"][appid].as_str())
        .unwrap_or_default()
        .to_owned()
}

impl Merchant {
    async fn h5_order(&self, out_trade_no: &str, description: &str, total: u64) -> Reply {
        let body = json!({
            "appid": self.sandbox.credential("oa_appid"), "mchid": self.mchid(), "description": description,
            "out_trade_no": out_trade_no, "notify_url": "http://127.0.0.1:9/notify",
            "amount": {"total": total, "currency": "CNY"},
            "scene_info": {"payer_client_ip": "203.0.113.7", "h5_info": {"type": "Wap"}}
        });
        self.call("POST", "/v3/pay/transactions/h5", Some(&body))
            .await
    }

    async fn trade_state(&self, out_trade_no: &str) -> Value {
        self.call(
            "GET",
            &format!(
                "/v3/pay/transactions/out-trade-no/{out_trade_no}?mchid={}",
                self.mchid()
            ),
            None,
        )
        .await
        .json()
    }
}

#[tokio::test]
async fn the_h5_cashier_shows_the_order_pays_as_the_chosen_persona_and_returns_to_redirect_url() {
    let merchant = Merchant::start().await;
    let prepay = merchant
        .h5_order("H5ORDER001", "<b>会员</b> & 充值", 1288)
        .await;
    let h5_url = prepay.json()["h5_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(h5_url.starts_with(&merchant.sandbox.url("/sandbox/pay/h5?prepay_id=wx")));
    let page = browser()
        .get(format!(
            "{h5_url}&redirect_url={}",
            "https%3A%2F%2Fshop.example.com%2Fpaid%3Forder%3DH5ORDER001"
        ))
        .send()
        .await
        .expect("cashier");
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.expect("HTML");
    assert!(html.contains("¥12.88"), "{html}");
    assert!(
        html.contains("&lt;b&gt;会员&lt;/b&gt; &amp; 充值"),
        "escaped: {html}"
    );
    assert!(!html.contains("<b>会员"));
    assert!(html.contains("小红") && html.contains(&merchant.mchid()));

    let prepay_id = h5_url.split("prepay_id=").nth(1).unwrap_or_default();
    let paid = browser()
        .post(merchant.sandbox.url("/sandbox/pay/h5"))
        .form(&[
            ("prepay_id", prepay_id),
            ("persona", "xiaohong"),
            (
                "redirect_url",
                "https://shop.example.com/paid?order=H5ORDER001",
            ),
        ])
        .send()
        .await
        .expect("pay");
    assert_eq!(paid.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        paid.headers()
            .get("location")
            .and_then(|value| value.to_str().ok()),
        Some("https://shop.example.com/paid?order=H5ORDER001")
    );
    let order = merchant.trade_state("H5ORDER001").await;
    assert_eq!(order["trade_state"], "SUCCESS");
    assert_eq!(order["trade_type"], "MWEB");
    let oa_appid = merchant.sandbox.credential("oa_appid");
    assert_eq!(
        order["payer"]["openid"],
        persona_openid(&merchant, "xiaohong", &oa_appid).await
    );

    let again = browser().get(&h5_url).send().await.expect("cashier");
    assert!(again.text().await.expect("HTML").contains("已支付"));
    let unknown = browser()
        .get(
            merchant
                .sandbox
                .url("/sandbox/pay/h5?prepay_id=wxnosuchprepay"),
        )
        .send()
        .await
        .expect("cashier");
    assert!(unknown.text().await.expect("HTML").contains("订单不存在"));
}

#[tokio::test]
async fn an_expired_h5_link_shows_an_error_until_a_repeat_prepay_renews_it_and_without_redirect_it_says_paid(
) {
    let merchant = Merchant::start().await;
    let h5_url = merchant.h5_order("H5ORDER002", "商品", 100).await.json()["h5_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let expired = merchant
        .control("/sandbox/pay/links/expire", json!({}))
        .await;
    assert_eq!(expired["expired"], 1);
    let page = browser().get(&h5_url).send().await.expect("cashier");
    assert!(page.text().await.expect("HTML").contains("支付链接已失效"));

    let renewed = merchant.h5_order("H5ORDER002", "商品", 100).await.json()["h5_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let page = browser().get(&renewed).send().await.expect("cashier");
    assert!(page.text().await.expect("HTML").contains("¥1.00"));
    let prepay_id = renewed.split("prepay_id=").nth(1).unwrap_or_default();
    let paid = browser()
        .post(merchant.sandbox.url("/sandbox/pay/h5"))
        .form(&[("prepay_id", prepay_id), ("persona", "laowang")])
        .send()
        .await
        .expect("pay");
    assert_eq!(paid.status(), StatusCode::OK);
    assert!(paid.text().await.expect("HTML").contains("支付成功"));
    assert_eq!(
        merchant.trade_state("H5ORDER002").await["trade_state"],
        "SUCCESS"
    );
}

#[tokio::test]
async fn the_scan_page_pays_a_native_order_and_the_qr_page_links_to_it() {
    let merchant = Merchant::start().await;
    let code_url = merchant
        .native_order("SCAN000001", 2500, "http://127.0.0.1:9/notify")
        .await
        .json()["code_url"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let encoded: String = url::form_urlencoded::byte_serialize(code_url.as_bytes()).collect();
    let scan_link = merchant
        .sandbox
        .url(&format!("/sandbox/pay/scan?code_url={encoded}"));

    let qr = browser()
        .get(
            merchant
                .sandbox
                .url(&format!("/sandbox/pay/qr?code_url={encoded}")),
        )
        .send()
        .await
        .expect("QR page")
        .text()
        .await
        .expect("HTML");
    assert!(qr.contains("<svg"), "a real QR code: {qr}");
    assert!(qr.contains(&scan_link.replace('&', "&amp;")), "{qr}");

    let page = browser().get(&scan_link).send().await.expect("scan page");
    let html = page.text().await.expect("HTML");
    assert!(
        html.contains("¥25.00") && html.contains("测试商品"),
        "{html}"
    );
    let paid = browser()
        .post(merchant.sandbox.url("/sandbox/pay/scan"))
        .form(&[("code_url", code_url.as_str()), ("persona", "xiaoming")])
        .send()
        .await
        .expect("pay");
    assert!(paid.text().await.expect("HTML").contains("支付成功"));
    let order = merchant.trade_state("SCAN000001").await;
    assert_eq!(order["trade_state"], "SUCCESS");
    let web_appid = merchant.sandbox.credential("web_appid");
    assert_eq!(
        order["payer"]["openid"],
        persona_openid(&merchant, "xiaoming", &web_appid).await
    );
    let twice = browser()
        .post(merchant.sandbox.url("/sandbox/pay/scan"))
        .form(&[("code_url", code_url.as_str()), ("persona", "xiaoming")])
        .send()
        .await
        .expect("pay again");
    assert!(twice.text().await.expect("HTML").contains("已支付"));
}

/// Posts JSON as the bridge shim does (`text/plain`, no preflight) and answers the status and JSON.
async fn bridge_post(merchant: &Merchant, path: &str, body: &Value) -> (StatusCode, Value) {
    let response = reqwest::Client::new()
        .post(merchant.sandbox.url(path))
        .header("Content-Type", "text/plain")
        .body(body.to_string())
        .send()
        .await
        .expect("bridge call");
    assert_eq!(
        response
            .headers()
            .get("access-control-allow-origin")
            .and_then(|value| value.to_str().ok()),
        Some("*")
    );
    let status = response.status();
    (status, response.json().await.unwrap_or(Value::Null))
}

#[tokio::test]
async fn wx_config_is_checked_against_the_jsapi_ticket_the_sandbox_issued() {
    use sha1::{Digest, Sha1};

    let merchant = Merchant::start().await;
    let oa_appid = merchant.sandbox.credential("oa_appid");
    let token: Value = reqwest::Client::new()
        .post(merchant.sandbox.url("/cgi-bin/stable_token"))
        .json(&json!({"grant_type": "client_credential", "appid": oa_appid, "secret": merchant.sandbox.credential("oa_secret")}))
        .send()
        .await
        .expect("token")
        .json()
        .await
        .expect("JSON");
    let ticket: Value = reqwest::get(merchant.sandbox.url(&format!(
        "/cgi-bin/ticket/getticket?access_token={}&type=jsapi",
        token["access_token"].as_str().unwrap_or_default()
    )))
    .await
    .expect("ticket")
    .json()
    .await
    .expect("JSON");
    let ticket = ticket["ticket"].as_str().unwrap_or_default().to_owned();
    let url = "https://shop.example.com/pay?order=1&from=menu";
    let string1 = format!("jsapi_ticket={ticket}&noncestr=N0nce&timestamp=1414587457&url={url}");
    let signature = hex::encode(Sha1::digest(string1.as_bytes()));
    let config = |appid: &str, signature: &str, url: &str| json!({"appId": appid, "timestamp": "1414587457", "nonceStr": "N0nce", "signature": signature, "url": url});

    let (status, body) = bridge_post(
        &merchant,
        "/sandbox/jsbridge/config",
        &config(&oa_appid, &signature, url),
    )
    .await;
    assert_eq!(
        (status, body["errMsg"].clone()),
        (StatusCode::OK, json!("config:ok"))
    );
    let (status, body) = bridge_post(
        &merchant,
        "/sandbox/jsbridge/config",
        &config(
            &oa_appid,
            &signature,
            "https://shop.example.com/pay?order=2",
        ),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["errMsg"], "config:invalid signature");
    let (status, body) = bridge_post(
        &merchant,
        "/sandbox/jsbridge/config",
        &config(&merchant.sandbox.credential("mp_appid"), &signature, url),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "no ticket was issued to that app"
    );
    assert_eq!(body["errMsg"], "config:invalid signature");

    let script = reqwest::get(merchant.sandbox.url("/sandbox/jsbridge.js"))
        .await
        .expect("script");
    assert_eq!(script.status(), StatusCode::OK);
    let script = script.text().await.expect("JS");
    assert!(
        script.contains("getBrandWCPayRequest") && script.contains("updateAppMessageShareData")
    );
}

#[tokio::test]
async fn the_jsapi_pay_sheet_checks_pay_sign_and_the_order_then_pays_as_the_orders_payer() {
    let merchant = Merchant::start().await;
    let oa_appid = merchant.sandbox.credential("oa_appid");
    let payer = persona_openid(&merchant, "xiaoming", &oa_appid).await;
    let body = json!({
        "appid": oa_appid, "mchid": merchant.mchid(), "description": "公众号商品",
        "out_trade_no": "JSAPI00001", "notify_url": "http://127.0.0.1:9/notify",
        "amount": {"total": 990, "currency": "CNY"}, "payer": {"openid": payer}
    });
    let prepay_id = merchant
        .call("POST", "/v3/pay/transactions/jsapi", Some(&body))
        .await
        .json()["prepay_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let params = |package: &str, key: &SigningKey<Sha256>| {
        let message = format!("{oa_appid}\n1700000000\nNonceStr1\n{package}\n");
        json!({
            "appId": oa_appid, "timeStamp": "1700000000", "nonceStr": "NonceStr1", "package": package,
            "signType": "RSA", "paySign": BASE64.encode(key.sign(message.as_bytes()).to_bytes()),
        })
    };
    let package = format!("prepay_id={prepay_id}");
    let good = params(&package, &merchant.key);

    let (status, sheet) = bridge_post(&merchant, "/sandbox/pay/jsapi/check", &good).await;
    assert_eq!(status, StatusCode::OK, "{sheet}");
    assert_eq!(sheet["amount"], "9.90");
    assert_eq!(sheet["description"], "公众号商品");
    assert_eq!(sheet["payer"], "xiaoming");

    let other_key =
        SigningKey::<Sha256>::new(RsaPrivateKey::new(&mut rand::thread_rng(), 2048).expect("key"));
    let (status, refused) = bridge_post(
        &merchant,
        "/sandbox/pay/jsapi/check",
        &params(&package, &other_key),
    )
    .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused["err_msg"], "get_brand_wcpay_request:fail");
    let mut altered = good.clone();
    altered["timeStamp"] = json!("1700000001");
    let (status, _) = bridge_post(&merchant, "/sandbox/pay/jsapi/check", &altered).await;
    assert_eq!(
        status,
        StatusCode::UNAUTHORIZED,
        "a field changed after signing"
    );
    let (status, unknown) = bridge_post(
        &merchant,
        "/sandbox/pay/jsapi/check",
        &params("prepay_id=wxnosuchprepay", &merchant.key),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(unknown["err_msg"], "get_brand_wcpay_request:fail");

    let mut as_other = good.clone();
    as_other["persona"] = json!("xiaohong");
    let (status, wrong) = bridge_post(&merchant, "/sandbox/pay/jsapi/confirm", &as_other).await;
    assert_eq!(
        status,
        StatusCode::CONFLICT,
        "only the order's payer can pay: {wrong}"
    );
    let mut as_payer = good.clone();
    as_payer["persona"] = json!("xiaoming");
    let (status, paid) = bridge_post(&merchant, "/sandbox/pay/jsapi/confirm", &as_payer).await;
    assert_eq!(
        (status, paid["err_msg"].clone()),
        (StatusCode::OK, json!("get_brand_wcpay_request:ok"))
    );
    let order = merchant.trade_state("JSAPI00001").await;
    assert_eq!(order["trade_state"], "SUCCESS");
    assert_eq!(order["payer"]["openid"], payer.as_str());

    let (status, again) = bridge_post(&merchant, "/sandbox/pay/jsapi/check", &good).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert!(again["err_desc"]
        .as_str()
        .unwrap_or_default()
        .contains("已支付"));
}
