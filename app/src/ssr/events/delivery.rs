//! Delivers due events to the product's endpoint, Standard Webhooks style: a POST of the stored body with
//! `webhook-id` (the event's id, the same on every attempt), `webhook-timestamp` and `webhook-signature`
//! (`v1,` + base64 HMAC-SHA256 of `id.timestamp.body`, made by the `standardwebhooks` crate). A 2xx answer delivers
//! it; any other answer, a timeout or a refused connection is tried again on the schedule. Each event is claimed
//! under a lease first, so of several wxgate processes one delivers it; a process that dies mid-delivery lets go
//! when the lease runs out and another (or it, restarted) tries again.

use std::time::Duration;

use secrecy::ExposeSecret;
use standardwebhooks::Webhook;

use crate::ssr::clock::now;
use crate::ssr::config::events::EventsSettings;
use crate::ssr::db::{new_id, Attempt, Database, DbError, EventRow};
use crate::ssr::events::schedule::Schedule;
use crate::ssr::events::AttemptOutcome;

/// How long the endpoint may take to answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(15);
/// How long a process holds an event it is delivering: well past [`ANSWER_TIMEOUT`], so no other process tries it
/// meanwhile.
const LEASE_SECONDS: i64 = 60;
/// Events taken per round.
const BATCH: i64 = 20;
/// How much of an answer's body is kept as its last answer.
const KEPT_ANSWER_CHARS: usize = 200;

/// The deliverer of one process.
pub struct Deliverer {
    db: Database,
    url: url::Url,
    webhook: Webhook,
    schedule: Schedule,
    client: reqwest::Client,
    /// This process's lease name.
    lease: String,
}

/// Why a deliverer could not be made.
#[derive(Debug, thiserror::Error)]
pub enum DelivererError {
    #[error("WXGATE_EVENTS_SECRET is not a Standard Webhooks secret: {0}")]
    Secret(String),
    #[error("cannot make the HTTP client: {0}")]
    Client(#[from] reqwest::Error),
}

impl Deliverer {
    pub fn new(db: Database, settings: &EventsSettings) -> Result<Deliverer, DelivererError> {
        let webhook = Webhook::new(settings.secret.expose_secret())
            .map_err(|error| DelivererError::Secret(error.to_string()))?;
        let client = reqwest::Client::builder()
            .timeout(ANSWER_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("wxgate/", env!("CARGO_PKG_VERSION")))
            .build()?;
        Ok(Deliverer {
            db,
            url: settings.url.clone(),
            webhook,
            schedule: settings.schedule.clone(),
            client,
            lease: new_id(),
        })
    }

    /// Delivers every event due now that no other process holds (each attempt is counted in
    /// `wxgate_event_deliveries_total`).
    pub async fn run_due(&self) -> Result<(), DbError> {
        loop {
            let due = self.db.due_events(now(), BATCH).await?;
            if due.is_empty() {
                return Ok(());
            }
            for id in due {
                let Some(event) = self
                    .db
                    .claim_event(&id, now(), LEASE_SECONDS, &self.lease)
                    .await?
                else {
                    continue;
                };
                self.deliver(&event).await?;
            }
        }
    }

    /// One attempt at `event`, recorded.
    async fn deliver(&self, event: &EventRow) -> Result<(), DbError> {
        let answer = self.post(event).await;
        let (status, error, delivered) = match &answer {
            Ok((status, _)) if (200..300).contains(status) => (Some(*status), None, true),
            Ok((status, body)) => (Some(*status), Some(body.clone()), false),
            Err(error) => (None, Some(error.clone()), false),
        };
        let outcome = if delivered {
            AttemptOutcome::Delivered
        } else {
            match self.schedule.wait_after(event.attempts + 1) {
                Some(wait) => AttemptOutcome::RetryAt(now().saturating_add(wait)),
                None => AttemptOutcome::Failed,
            }
        };
        let recorded = self
            .db
            .finish_attempt(
                &event.id,
                &self.lease,
                &Attempt {
                    status,
                    error: error.as_deref(),
                    outcome,
                },
            )
            .await?;
        if !recorded {
            tracing::warn!(event = %event.id, "an event's lease ran out during its delivery; it may be sent again");
        }
        crate::ssr::metrics::event_delivery(outcome.label());
        match outcome {
            AttemptOutcome::Delivered => {
                tracing::debug!(event = %event.id, kind = %event.kind, "event delivered")
            }
            AttemptOutcome::RetryAt(_) => tracing::info!(
                event = %event.id, kind = %event.kind, status, error = error.as_deref().unwrap_or(""),
                "the product's endpoint did not take an event; it is tried again later"
            ),
            AttemptOutcome::Failed => tracing::warn!(
                event = %event.id, kind = %event.kind, status, error = error.as_deref().unwrap_or(""),
                "the product's endpoint did not take an event on any attempt; it waits for a resend"
            ),
        }
        Ok(())
    }

    /// POSTs the event, signed; the answer's status and the start of its body, or why there was none.
    async fn post(&self, event: &EventRow) -> Result<(i64, String), String> {
        let timestamp = now();
        let signature = self
            .webhook
            .sign(&event.id, timestamp, event.payload.as_bytes())
            .map_err(|error| format!("cannot sign: {error}"))?;
        let response = self
            .client
            .post(self.url.clone())
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header(standardwebhooks::HEADER_WEBHOOK_ID, &event.id)
            .header(
                standardwebhooks::HEADER_WEBHOOK_TIMESTAMP,
                timestamp.to_string(),
            )
            .header(standardwebhooks::HEADER_WEBHOOK_SIGNATURE, signature)
            .body(event.payload.clone())
            .send()
            .await
            .map_err(describe_failure)?;
        let status = i64::from(response.status().as_u16());
        let body = response.text().await.unwrap_or_default();
        Ok((status, body.chars().take(KEPT_ANSWER_CHARS).collect()))
    }
}

/// A failed request in a few words (the URL is the product's own and may carry a secret in its query: left out).
fn describe_failure(error: reqwest::Error) -> String {
    if error.is_timeout() {
        format!("no answer within {} s", ANSWER_TIMEOUT.as_secs())
    } else if error.is_connect() {
        "the connection was refused or could not be made".to_owned()
    } else {
        error.without_url().to_string()
    }
}
