//! A product's backend selling through wxgate, as small as one can be (README, "Integrate your product"): it makes
//! a checkout with its API key and sends the buyer to the checkout's `url`, records `order.paid` from the events
//! wxgate sends once their Standard Webhooks signature checks out (the `standardwebhooks` crate), and refunds. It
//! knows nothing of WeChat: no signature, no token, no certificate.
//!
//! Its routes: `POST /buy {user_id?, items, metadata}` → wxgate's checkout; `POST /wxgate/events` ← wxgate's events;
//! `POST /refund/{checkout_id} {refund_fen?}` → wxgate's refund.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};
use standardwebhooks::Webhook;

/// The events' secret both sides are configured with (`WXGATE_EVENTS_SECRET`).
pub const EVENTS_SECRET: &str = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";

/// The example backend, listening on a port of 127.0.0.1 until dropped.
pub struct ExampleBackend {
    /// The `data` of each `order.paid` it received, verified.
    pub paid: Arc<Mutex<Vec<Value>>>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Clone)]
struct Shop {
    wxgate: String,
    api_key: String,
    webhook: Arc<Webhook>,
    paid: Arc<Mutex<Vec<Value>>>,
    http: reqwest::Client,
}

impl ExampleBackend {
    /// A listener for the backend, bound now so wxgate can be told where its events go before either runs.
    pub async fn listener() -> (tokio::net::TcpListener, String) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("address"));
        (listener, url)
    }

    /// Serves the backend on `listener`, calling the wxgate at `wxgate` with `api_key`.
    pub fn serve(listener: tokio::net::TcpListener, wxgate: &str, api_key: &str) -> ExampleBackend {
        let paid: Arc<Mutex<Vec<Value>>> = Arc::default();
        let shop = Shop {
            wxgate: wxgate.to_owned(),
            api_key: api_key.to_owned(),
            webhook: Arc::new(Webhook::new(EVENTS_SECRET).expect("a Standard Webhooks secret")),
            paid: Arc::clone(&paid),
            http: reqwest::Client::new(),
        };
        let app = Router::new()
            .route("/buy", post(buy))
            .route("/wxgate/events", post(event))
            .route("/refund/{checkout_id}", post(refund))
            .with_state(shop);
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.expect("serve");
        });
        ExampleBackend { paid, task }
    }

    /// Where wxgate sends its events (`WXGATE_EVENTS_URL`).
    pub fn events_url(url: &str) -> String {
        format!("{url}/wxgate/events")
    }

    /// The verified `order.paid` of checkout `checkout_id`, waiting up to fifteen seconds for it.
    pub async fn until_paid(&self, checkout_id: &str) -> Value {
        for _ in 0..150 {
            let found = self
                .paid
                .lock()
                .expect("lock")
                .iter()
                .find(|data| data["checkout_id"] == checkout_id)
                .cloned();
            if let Some(data) = found {
                return data;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        panic!("no order.paid for checkout {checkout_id}");
    }
}

impl Drop for ExampleBackend {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A purchase: the shop prices its own cart and lets wxgate take the payment.
async fn buy(State(shop): State<Shop>, Json(order): Json<Value>) -> (StatusCode, Json<Value>) {
    let mut checkout = json!({
        "line_items": order["items"],
        "success_url": "https://shop.example/thanks",
        "cancel_url": "https://shop.example/cart",
        "metadata": order["metadata"],
    });
    if let Some(user_id) = order["user_id"].as_str() {
        checkout["buyer"] = json!({ "user_id": user_id });
    }
    // One key per purchase: a retry after a lost answer is the same checkout.
    let key = format!(
        "buy-{}",
        order["metadata"]["cart"].as_str().unwrap_or("cart")
    );
    shop.call("/api/v1/checkouts", &key, checkout).await
}

/// wxgate's events: anything not signed with the shared secret is refused.
async fn event(State(shop): State<Shop>, headers: HeaderMap, body: Bytes) -> StatusCode {
    if shop.webhook.verify(&body, &headers).is_err() {
        return StatusCode::UNAUTHORIZED;
    }
    let Ok(event) = serde_json::from_slice::<Value>(&body) else {
        return StatusCode::BAD_REQUEST;
    };
    if event["type"] == "order.paid" {
        shop.paid.lock().expect("lock").push(event["data"].clone());
    }
    StatusCode::NO_CONTENT
}

async fn refund(
    State(shop): State<Shop>,
    Path(checkout_id): Path<String>,
    Json(refund): Json<Value>,
) -> (StatusCode, Json<Value>) {
    let key = format!(
        "refund-{checkout_id}-{}",
        refund["refund_fen"].as_i64().unwrap_or(0)
    );
    shop.call(
        &format!("/api/v1/checkouts/{checkout_id}/refunds"),
        &key,
        refund,
    )
    .await
}

impl Shop {
    /// POSTs `body` to wxgate's `path` under `idempotency_key`; wxgate's status and answer.
    async fn call(
        &self,
        path: &str,
        idempotency_key: &str,
        body: Value,
    ) -> (StatusCode, Json<Value>) {
        let response = self
            .http
            .post(format!("{}{path}", self.wxgate))
            .bearer_auth(&self.api_key)
            .header("Idempotency-Key", idempotency_key)
            .json(&body)
            .send()
            .await
            .expect("wxgate answers");
        let status = StatusCode::from_u16(response.status().as_u16()).expect("status");
        (status, Json(response.json().await.unwrap_or(Value::Null)))
    }
}
