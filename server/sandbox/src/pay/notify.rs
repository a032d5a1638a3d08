//! Notifications, as WeChat Pay sends them: a JSON envelope with the resource encrypted by the APIv3 key, POSTed to
//! the merchant's notify_url with the five `Wechatpay-*` signature headers over the exact bytes sent.
//!
//! Delivery succeeds on any 2xx within 5 s; otherwise it is retried after 15s, 15s, 30s, 3m, 10m, 20m, 30m, 30m,
//! 30m, 60m, 3h, 3h, 3h, 6h, 6h, each divided by `WXGATE_SANDBOX_TIME_SCALE`. Every attempt is recorded.
//! Docs: payment notification <https://pay.weixin.qq.com/doc/v3/merchant/4012791902>, refund notification
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791906>.
//!
//! Re-ordering: while notifications are held (control API), new ones are queued instead of sent; releasing the hold
//! sends them newest first or oldest first, so a test can deliver a refund notification before the payment one.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::aead::AeadError;
use super::keyring::KeyMode;
use super::{clock, ids, PaySandbox};

/// WeChat's retry schedule after a failed delivery, in seconds.
pub const RETRY_SCHEDULE: [u64; 15] = [
    15, 15, 30, 180, 600, 1200, 1800, 1800, 1800, 3600, 10_800, 10_800, 10_800, 21_600, 21_600,
];
/// How long WeChat waits for the merchant's answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// What the sandbox calls itself when it POSTs.
const USER_AGENT: &str = "wxgate-sandbox (WeChat Pay notification emulator)";

#[derive(Debug, thiserror::Error)]
pub enum NotifyError {
    #[error("cannot encrypt the resource: {0}")]
    Encrypt(#[from] AeadError),
    #[error("cannot build the HTTP client: {0}")]
    Client(String),
}

/// One notification: its envelope bytes are fixed when it is made, so duplicates are byte-identical.
#[derive(Debug)]
pub struct Notification {
    pub id: String,
    pub event_type: String,
    pub url: String,
    pub body: Vec<u8>,
    pub mode: KeyMode,
}

/// The resource a notification carries.
pub struct Event<'a> {
    pub event_type: &'a str,
    pub summary: &'a str,
    /// `transaction` or `refund`: both `original_type` and the associated data.
    pub original_type: &'a str,
    pub resource: &'a Value,
}

impl PaySandbox {
    /// Makes a notification of `event` for `url`, signed in `mode` when sent.
    pub(super) fn notification(
        &self,
        event: &Event<'_>,
        url: &str,
        mode: KeyMode,
    ) -> Result<Notification, NotifyError> {
        let plaintext = serde_json::to_vec(event.resource).unwrap_or_default();
        let mut resource = self.keys.encrypt(event.original_type, &plaintext)?;
        resource.original_type = Some(event.original_type.to_owned());
        let id = ids::uuid_like();
        let envelope = json!({
            "id": id,
            "create_time": clock::rfc3339_beijing(clock::now_unix()),
            "resource_type": "encrypt-resource",
            "event_type": event.event_type,
            "summary": event.summary,
            "resource": resource,
        });
        Ok(Notification {
            id,
            event_type: event.event_type.to_owned(),
            url: url.to_owned(),
            body: serde_json::to_vec(&envelope).unwrap_or_default(),
            mode,
        })
    }
}

/// Why a delivery was made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeliveryKind {
    Notification,
    Duplicate,
    Probe,
}

/// One attempt to deliver, as `GET /sandbox/pay/deliveries` lists it.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub notification_id: String,
    pub event_type: String,
    pub kind: DeliveryKind,
    pub url: String,
    pub attempt: u32,
    /// The merchant's HTTP status, when it answered.
    pub status: Option<u16>,
    /// `delivered` (2xx), `rejected` (another status) or `unreachable` (no answer within 5 s).
    pub outcome: &'static str,
    pub error: Option<String>,
    pub time: String,
}

/// In which order held notifications go out.
#[derive(Debug, Clone, Copy, Deserialize, Default, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ReleaseOrder {
    #[default]
    NewestFirst,
    OldestFirst,
}

pub struct Notifier {
    client: reqwest::Client,
    time_scale: AtomicU32,
    log: Mutex<Vec<Delivery>>,
    sent: Mutex<HashMap<String, Arc<Notification>>>,
    /// `Some` while notifications are held back.
    held: Mutex<Option<Vec<Arc<Notification>>>>,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("time_scale", &self.time_scale)
            .finish_non_exhaustive()
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl Notifier {
    pub fn new(time_scale: u32) -> Result<Notifier, NotifyError> {
        let client = reqwest::Client::builder()
            .timeout(ANSWER_TIMEOUT)
            .user_agent(USER_AGENT)
            // `Wechatpay-Signature`, not `wechatpay-signature`: some SDKs look the names up case-sensitively.
            .http1_title_case_headers()
            .build()
            .map_err(|error| NotifyError::Client(error.without_url().to_string()))?;
        Ok(Notifier {
            client,
            time_scale: AtomicU32::new(time_scale.max(1)),
            log: Mutex::new(Vec::new()),
            sent: Mutex::new(HashMap::new()),
            held: Mutex::new(None),
        })
    }

    pub fn deliveries(&self, notification_id: Option<&str>) -> Vec<Delivery> {
        lock(&self.log)
            .iter()
            .filter(|delivery| notification_id.is_none_or(|id| delivery.notification_id == id))
            .cloned()
            .collect()
    }

    pub fn find(&self, id: &str) -> Option<Arc<Notification>> {
        lock(&self.sent).get(id).cloned()
    }

    /// Starts holding new notifications back.
    pub fn hold(&self) {
        lock(&self.held).get_or_insert_with(Vec::new);
    }

    /// Changes the time scale (control API); at least 1.
    pub fn set_time_scale(&self, scale: u32) {
        self.time_scale.store(scale.max(1), Ordering::Relaxed);
    }

    pub fn time_scale(&self) -> u32 {
        self.time_scale.load(Ordering::Relaxed)
    }

    fn retry_delay(&self, seconds: u64) -> Duration {
        Duration::from_millis(seconds.saturating_mul(1000) / u64::from(self.time_scale()))
    }
}

impl PaySandbox {
    /// Sends `notification` (or queues it while held), retrying on WeChat's schedule.
    pub(super) fn dispatch(self: &Arc<Self>, notification: Notification) {
        let notification = Arc::new(notification);
        lock(&self.notifier.sent).insert(notification.id.clone(), Arc::clone(&notification));
        if let Some(held) = lock(&self.notifier.held).as_mut() {
            held.push(notification);
            return;
        }
        self.spawn_delivery(notification, DeliveryKind::Notification);
    }

    /// Sends a notification again, as WeChat's duplicates do: same id and body, new signature.
    pub(super) fn resend(self: &Arc<Self>, notification: Arc<Notification>) {
        self.spawn_delivery(notification, DeliveryKind::Duplicate);
    }

    /// Stops holding, and sends what was held in `order`; returns the ids in the order they were started.
    pub(super) fn release(self: &Arc<Self>, order: ReleaseOrder) -> Vec<String> {
        let Some(mut held) = lock(&self.notifier.held).take() else {
            return Vec::new();
        };
        if order == ReleaseOrder::NewestFirst {
            held.reverse();
        }
        let ids = held
            .iter()
            .map(|notification| notification.id.clone())
            .collect();
        let pay = Arc::clone(self);
        // One after the other, each starting after the previous one's first attempt, so the order holds.
        tokio::spawn(async move {
            for notification in held {
                let first = pay
                    .attempt(&notification, DeliveryKind::Notification, 1, None)
                    .await;
                if first != "delivered" {
                    pay.spawn_retries(notification, DeliveryKind::Notification);
                }
            }
        });
        ids
    }

    fn spawn_delivery(self: &Arc<Self>, notification: Arc<Notification>, kind: DeliveryKind) {
        let pay = Arc::clone(self);
        tokio::spawn(async move {
            if pay.attempt(&notification, kind, 1, None).await != "delivered" {
                pay.retries(notification, kind).await;
            }
        });
    }

    fn spawn_retries(self: &Arc<Self>, notification: Arc<Notification>, kind: DeliveryKind) {
        let pay = Arc::clone(self);
        tokio::spawn(async move { pay.retries(notification, kind).await });
    }

    /// Attempts 2 to 16, after the first failed.
    async fn retries(&self, notification: Arc<Notification>, kind: DeliveryKind) {
        for (index, seconds) in RETRY_SCHEDULE.iter().enumerate() {
            tokio::time::sleep(self.notifier.retry_delay(*seconds)).await;
            let attempt = u32::try_from(index).unwrap_or(u32::MAX).saturating_add(2);
            if self.attempt(&notification, kind, attempt, None).await == "delivered" {
                return;
            }
        }
    }

    /// One POST; records it and returns its outcome. `signature` replaces the real one (probes).
    pub(super) async fn attempt(
        &self,
        notification: &Notification,
        kind: DeliveryKind,
        attempt: u32,
        signature: Option<String>,
    ) -> &'static str {
        let mut request = self
            .notifier
            .client
            .post(&notification.url)
            .header("Content-Type", "application/json")
            .body(notification.body.clone());
        match self.keys.sign(
            notification.mode,
            &notification.body,
            self.faults.clock_skew(),
        ) {
            Ok(mut headers) => {
                if let Some(signature) = signature {
                    headers.signature = signature;
                }
                for (name, value) in headers.pairs() {
                    request = request.header(name, value);
                }
            }
            Err(error) => tracing::error!(%error, "the sandbox cannot sign a notification"),
        }
        let (status, outcome, error) = match request.send().await {
            Ok(response) if response.status().is_success() => {
                (Some(response.status().as_u16()), "delivered", None)
            }
            Ok(response) => (Some(response.status().as_u16()), "rejected", None),
            // Without the URL: the delivery names it already, and no URL is ever part of an error's text.
            Err(error) => (None, "unreachable", Some(error.without_url().to_string())),
        };
        lock(&self.notifier.log).push(Delivery {
            notification_id: notification.id.clone(),
            event_type: notification.event_type.clone(),
            kind,
            url: notification.url.clone(),
            attempt,
            status,
            outcome,
            error,
            time: clock::rfc3339_beijing(clock::now_unix()),
        });
        outcome
    }

    /// A `WECHATPAY/SIGNTEST/` probe to `url`: a well-formed notification whose signature is WeChat's probe marker,
    /// which a merchant must refuse. Sent once; returns the recorded attempt.
    pub(super) async fn probe(&self, url: &str, mode: KeyMode) -> Result<Delivery, NotifyError> {
        let resource =
            json!({ "probe": true, "note": "a WECHATPAY/SIGNTEST/ probe from the wxgate sandbox" });
        let event = Event {
            event_type: "TRANSACTION.SUCCESS",
            summary: "支付成功",
            original_type: "transaction",
            resource: &resource,
        };
        let notification = self.notification(&event, url, mode)?;
        let marker = format!("WECHATPAY/SIGNTEST/{}", ids::alphanumeric(32));
        self.attempt(&notification, DeliveryKind::Probe, 1, Some(marker))
            .await;
        let recorded = lock(&self.notifier.log)
            .iter()
            .rev()
            .find(|delivery| delivery.notification_id == notification.id)
            .cloned();
        recorded.ok_or_else(|| NotifyError::Client("the probe was not recorded".to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_schedule_is_wechats_and_divides_by_the_time_scale() {
        // About 24 hours in all, as WeChat documents.
        assert_eq!(RETRY_SCHEDULE.iter().sum::<u64>(), 86_640);
        let notifier = Notifier::new(1000).expect("client");
        assert_eq!(notifier.retry_delay(15), Duration::from_millis(15));
        assert_eq!(notifier.retry_delay(21_600), Duration::from_millis(21_600));
        let real_time = Notifier::new(0).expect("client");
        assert_eq!(real_time.retry_delay(15), Duration::from_secs(15));
    }
}
