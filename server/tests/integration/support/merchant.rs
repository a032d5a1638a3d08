//! A merchant for the WeChat Pay sandbox's tests: it signs its own requests with the sandbox's merchant key,
//! verifies and decrypts what the sandbox answers and sends, and a notify_url that records what arrives.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

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

use app::ssr::clock::now;

use super::Sandbox;

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }

    /// Asserts WeChat Pay refused the request with 400, `code`, and a message starting with `message`.
    pub fn assert_refused(&self, code: &str, message: &str) {
        let body = self.json();
        assert_eq!(
            (self.status, body["code"].as_str()),
            (StatusCode::BAD_REQUEST, Some(code)),
            "{body}"
        );
        assert!(
            body["message"]
                .as_str()
                .is_some_and(|said| said.starts_with(message)),
            "{body}"
        );
    }
}

/// A merchant that signs its own requests, from the sandbox's credentials.
pub struct Merchant {
    pub sandbox: Sandbox,
    pub key: SigningKey<Sha256>,
    pub platform: RsaPublicKey,
    pub client: reqwest::Client,
}

impl Merchant {
    pub async fn start() -> Merchant {
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

    pub fn mchid(&self) -> String {
        self.sandbox.credential("mchid")
    }

    pub fn authorization(
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

    pub async fn send(&self, method: &str, path: &str, body: &str, authorization: &str) -> Reply {
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
    pub async fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Reply {
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
    pub fn verifies(&self, headers: &HeaderMap, body: &[u8]) -> bool {
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

    pub fn decrypt(&self, resource: &Value) -> Value {
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

    pub async fn control(&self, path: &str, body: Value) -> Value {
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

    pub async fn native_order(&self, out_trade_no: &str, total: u64, notify_url: &str) -> Reply {
        let body = json!({
            "appid": self.sandbox.credential("oa_appid"), "mchid": self.mchid(), "description": "测试商品",
            "out_trade_no": out_trade_no, "notify_url": notify_url, "amount": {"total": total, "currency": "CNY"}
        });
        self.call("POST", "/v3/pay/transactions/native", Some(&body))
            .await
    }
}

/// Every notification a receiver got: headers and raw body.
pub type Received = Arc<Mutex<Vec<(HeaderMap, Vec<u8>)>>>;

/// A merchant notify_url answering with scripted statuses (the last one repeats), recording what it receives.
pub struct Receiver {
    pub url: String,
    pub received: Received,
}

impl Receiver {
    pub async fn start(statuses: Vec<StatusCode>) -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        Receiver::serve(listener, statuses)
    }

    /// A receiver on `port` of 127.0.0.1 (one a test kept free until now).
    pub async fn start_on(port: u16, statuses: Vec<StatusCode>) -> Receiver {
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", port))
            .await
            .expect("bind");
        Receiver::serve(listener, statuses)
    }

    fn serve(listener: tokio::net::TcpListener, statuses: Vec<StatusCode>) -> Receiver {
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
        let url = format!("http://{}/notify", listener.local_addr().expect("address"));
        tokio::spawn(async move { axum::serve(listener, app).await });
        Receiver { url, received }
    }

    /// The `nth` notification (counting from 1), waiting for it up to 15 s.
    pub async fn nth(&self, nth: usize) -> (HeaderMap, Vec<u8>) {
        self.wait_for(nth)
            .await
            .get(nth - 1)
            .cloned()
            .unwrap_or_else(|| panic!("notification {nth} never arrived"))
    }

    /// Waits (up to 15 s) until `count` notifications arrived.
    pub async fn wait_for(&self, count: usize) -> Vec<(HeaderMap, Vec<u8>)> {
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

/// The H5 cashier's page at `h5_url`, as a browser sending `headers` sees it.
pub async fn cashier_page(h5_url: &str, headers: &[(&str, &str)]) -> String {
    let mut request = browser().get(h5_url);
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    request
        .send()
        .await
        .expect("cashier")
        .text()
        .await
        .expect("HTML")
}

/// A browser that does not follow redirects, to read where a page sends it.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
}

impl Merchant {
    /// An H5 order for a payer on this machine, whose cashier the tests open from here.
    pub async fn h5_order(&self, out_trade_no: &str, description: &str, total: u64) -> Reply {
        self.h5_order_for(out_trade_no, description, total, "127.0.0.1")
            .await
    }

    /// An H5 order for the payer at `payer_client_ip`.
    pub async fn h5_order_for(
        &self,
        out_trade_no: &str,
        description: &str,
        total: u64,
        payer_client_ip: &str,
    ) -> Reply {
        let body = json!({
            "appid": self.sandbox.credential("oa_appid"), "mchid": self.mchid(), "description": description,
            "out_trade_no": out_trade_no, "notify_url": "http://127.0.0.1:9/notify",
            "amount": {"total": total, "currency": "CNY"},
            "scene_info": {"payer_client_ip": payer_client_ip, "h5_info": {"type": "Wap"}}
        });
        self.call("POST", "/v3/pay/transactions/h5", Some(&body))
            .await
    }

    pub async fn trade_state(&self, out_trade_no: &str) -> Value {
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
