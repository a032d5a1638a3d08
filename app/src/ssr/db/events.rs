//! The outbox of events for the product: [`record_event`] writes one inside the transaction of the change it
//! reports; a delivering process claims a due event under a lease (one process at a time), then records the
//! attempt's outcome only while it still holds that lease.

use std::sync::LazyLock;

use serde_json::{json, Value};
use sqlx::{Any, Transaction};

use super::{Database, DbError};
use crate::ssr::clock::{china_rfc3339, now};
use crate::ssr::events::{AttemptOutcome, DeliveryState, EventType};

/// An event as stored, with its delivery so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    /// The `webhook-id` of every attempt (`msg_…`).
    pub id: String,
    pub kind: String,
    /// The body, exactly as signed.
    pub payload: String,
    pub created_at: i64,
    pub state: DeliveryState,
    pub attempts: i64,
    pub next_attempt_at: i64,
    pub last_attempt_at: Option<i64>,
    /// The HTTP status of the last answer; none when there was no answer (refused, timed out).
    pub last_status: Option<i64>,
    pub last_error: Option<String>,
    pub delivered_at: Option<i64>,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for EventRow {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        let state: String = row.try_get("state")?;
        Ok(EventRow {
            id: row.try_get("id")?,
            kind: row.try_get("type")?,
            payload: row.try_get("payload")?,
            created_at: row.try_get("created_at")?,
            state: DeliveryState::parse(&state).ok_or_else(|| {
                sqlx::Error::Decode(format!("unknown delivery state {state}").into())
            })?,
            attempts: row.try_get("attempts")?,
            next_attempt_at: row.try_get("next_attempt_at")?,
            last_attempt_at: row.try_get("last_attempt_at")?,
            last_status: row.try_get("last_status")?,
            last_error: row.try_get("last_error")?,
            delivered_at: row.try_get("delivered_at")?,
        })
    }
}

const EVENT_COLUMNS: &str =
    "id, type, payload, created_at, state, attempts, next_attempt_at, last_attempt_at, \
                             last_status, last_error, delivered_at";

/// What became of one delivery attempt.
#[derive(Debug, Clone)]
pub struct Attempt<'a> {
    pub status: Option<i64>,
    pub error: Option<&'a str>,
    pub outcome: AttemptOutcome,
}

/// How the product's endpoint has been doing, for the admin page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EndpointHealth {
    pub last_delivered_at: Option<i64>,
    /// Events tried at least once and not delivered yet.
    pub retrying: i64,
    /// Events whose every attempt failed.
    pub failed: i64,
    /// The oldest event tried and not delivered: the endpoint has been failing at least since then.
    pub failing_since: Option<i64>,
}

/// Writes an event of `kind` into the outbox inside `tx`, due at once. The body is the Standard Webhooks shape:
/// `{"type", "timestamp", "data"}`.
pub(super) async fn record_event(
    tx: &mut Transaction<'_, Any>,
    kind: EventType,
    data: Value,
) -> Result<(), DbError> {
    static INSERT_EVENT: LazyLock<String> =
        LazyLock::new(|| format!("INSERT INTO events {NEW_EVENT}"));
    let event = NewEvent::of(kind, data);
    sqlx::query(&INSERT_EVENT)
        .bind(event.id)
        .bind(kind.as_str())
        .bind(event.payload)
        .bind(event.created_at)
        .bind(DeliveryState::Pending.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(())
}

/// The columns and values of a new event, due at once: `$1` its id, `$2` its type, `$3` its payload, `$4` when it
/// was made, `$5` its state (pending).
pub(super) const NEW_EVENT: &str =
    "(id, type, payload, created_at, state, next_attempt_at) VALUES ($1, $2, $3, $4, $5, $4)";

/// An event about to be written into the outbox.
pub(super) struct NewEvent {
    /// `msg_…`, the `webhook-id` of its every attempt.
    pub id: String,
    pub payload: String,
    pub created_at: i64,
}

impl NewEvent {
    pub fn of(kind: EventType, data: Value) -> NewEvent {
        let created_at = now();
        let payload = json!({
            "type": kind.as_str(),
            "timestamp": china_rfc3339(created_at),
            "data": data,
        })
        .to_string();
        NewEvent {
            id: format!("msg_{}", super::new_id()),
            payload,
            created_at,
        }
    }
}

impl Database {
    /// The ids of events due for an attempt at `at` and held by no process, the longest-waiting first.
    pub async fn due_events(&self, at: i64, limit: i64) -> Result<Vec<String>, DbError> {
        let ids: Vec<(String,)> = sqlx::query_as(
            "SELECT id FROM events WHERE state = $1 AND next_attempt_at <= $2 AND leased_until <= $2 \
             ORDER BY next_attempt_at LIMIT $3",
        )
        .bind(DeliveryState::Pending.as_str())
        .bind(at)
        .bind(limit)
        .fetch_all(self.pool())
        .await?;
        Ok(ids.into_iter().map(|(id,)| id).collect())
    }

    /// When the next pending event is due, if any is.
    pub async fn next_event_due(&self) -> Result<Option<i64>, DbError> {
        let due: Option<i64> = sqlx::query_scalar(
            "SELECT MIN(CASE WHEN leased_until > next_attempt_at THEN leased_until ELSE next_attempt_at END) \
             FROM events WHERE state = $1",
        )
        .bind(DeliveryState::Pending.as_str())
        .fetch_one(self.pool())
        .await?;
        Ok(due)
    }

    /// Takes event `id` for one attempt until `at + lease_seconds`, under `lease`, if it is still due and no other
    /// process holds it (a compare-and-set: of several processes, one gets it).
    pub async fn claim_event(
        &self,
        id: &str,
        at: i64,
        lease_seconds: i64,
        lease: &str,
    ) -> Result<Option<EventRow>, DbError> {
        let claimed = sqlx::query(
            "UPDATE events SET leased_until = $1, lease = $2 \
             WHERE id = $3 AND state = $4 AND next_attempt_at <= $5 AND leased_until <= $5",
        )
        .bind(at + lease_seconds)
        .bind(lease)
        .bind(id)
        .bind(DeliveryState::Pending.as_str())
        .bind(at)
        .execute(self.pool())
        .await?
        .rows_affected();
        if claimed != 1 {
            return Ok(None);
        }
        self.event(id).await
    }

    /// Records an attempt at event `id`, if `lease` still holds it; true when it did.
    pub async fn finish_attempt(
        &self,
        id: &str,
        lease: &str,
        attempt: &Attempt<'_>,
    ) -> Result<bool, DbError> {
        let at = now();
        let (state, next_attempt_at) = match attempt.outcome {
            AttemptOutcome::Delivered => (DeliveryState::Delivered, at),
            AttemptOutcome::RetryAt(retry_at) => (DeliveryState::Pending, retry_at),
            AttemptOutcome::Failed => (DeliveryState::Failed, at),
        };
        let recorded = sqlx::query(
            "UPDATE events SET state = $1, attempts = attempts + 1, next_attempt_at = $2, last_attempt_at = $3, \
             last_status = $4, last_error = $5, delivered_at = CASE WHEN $6 THEN $3 ELSE delivered_at END, \
             leased_until = 0, lease = NULL WHERE id = $7 AND lease = $8",
        )
        .bind(state.as_str())
        .bind(next_attempt_at)
        .bind(at)
        .bind(attempt.status)
        .bind(attempt.error)
        .bind(attempt.outcome == AttemptOutcome::Delivered)
        .bind(id)
        .bind(lease)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(recorded == 1)
    }

    pub async fn event(&self, id: &str) -> Result<Option<EventRow>, DbError> {
        let query = format!("SELECT {EVENT_COLUMNS} FROM events WHERE id = $1");
        Ok(sqlx::query_as(&query)
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// The newest events first.
    pub async fn recent_events(&self, limit: i64) -> Result<Vec<EventRow>, DbError> {
        let query =
            format!("SELECT {EVENT_COLUMNS} FROM events ORDER BY created_at DESC, id LIMIT $1");
        Ok(sqlx::query_as(&query)
            .bind(limit)
            .fetch_all(self.pool())
            .await?)
    }

    /// Makes event `id` due again at once with a fresh schedule (its id, and so its `webhook-id`, stays), unless a
    /// process is delivering it right now. True when it was queued.
    pub async fn resend_event(&self, id: &str) -> Result<bool, DbError> {
        let at = now();
        let queued = sqlx::query(
            "UPDATE events SET state = $1, attempts = 0, next_attempt_at = $2 WHERE id = $3 AND leased_until <= $2",
        )
        .bind(DeliveryState::Pending.as_str())
        .bind(at)
        .bind(id)
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(queued == 1)
    }

    /// How the endpoint has been doing.
    pub async fn endpoint_health(&self) -> Result<EndpointHealth, DbError> {
        let (last_delivered_at, retrying, failed, failing_since): (
            Option<i64>,
            i64,
            i64,
            Option<i64>,
        ) = sqlx::query_as(
            "SELECT MAX(delivered_at), \
             CAST(COALESCE(SUM(CASE WHEN state = $1 AND attempts > 0 THEN 1 ELSE 0 END), 0) AS BIGINT), \
             CAST(COALESCE(SUM(CASE WHEN state = $2 THEN 1 ELSE 0 END), 0) AS BIGINT), \
             MIN(CASE WHEN state <> $3 AND attempts > 0 THEN created_at END) FROM events",
        )
        .bind(DeliveryState::Pending.as_str())
        .bind(DeliveryState::Failed.as_str())
        .bind(DeliveryState::Delivered.as_str())
        .fetch_one(self.pool())
        .await?;
        Ok(EndpointHealth {
            last_delivered_at,
            retrying,
            failed,
            failing_since,
        })
    }

    /// Deletes delivered events created before `before`; undelivered ones stay until delivered or resent.
    pub async fn delete_delivered_events(&self, before: i64) -> Result<u64, DbError> {
        Ok(
            sqlx::query("DELETE FROM events WHERE state = $1 AND created_at < $2")
                .bind(DeliveryState::Delivered.as_str())
                .bind(before)
                .execute(self.pool())
                .await?
                .rows_affected(),
        )
    }
}
