//! The admin's view of the events: the overview on the admin page and a resend, for admins only.

use crate::ssr::context::AppContext;
use crate::ssr::db::{DbError, EventRow};
use crate::ssr::payments::access::is_admin;
use crate::types::events::{EventDelivery, EventsOverview};
use crate::types::shop::ShopProblem;
use crate::types::ApiError;

/// How many recent events the admin page lists.
const RECENT_EVENTS: i64 = 50;

pub async fn overview(context: &AppContext) -> Result<EventsOverview, DbError> {
    let health = context.db.endpoint_health().await?;
    let events = context.db.recent_events(RECENT_EVENTS).await?;
    Ok(EventsOverview {
        endpoint: context.settings.events.as_ref().map(|events| {
            let url = &events.url;
            format!(
                "{}://{}{}",
                url.scheme(),
                url.host_str().unwrap_or_default(),
                url.path()
            )
        }),
        last_delivered_at: health.last_delivered_at,
        retrying: health.retrying,
        failed: health.failed,
        failing_since: health.failing_since,
        deliveries: events.into_iter().map(delivery).collect(),
    })
}

/// Makes event `id` due again now (the same `webhook-id`, a fresh schedule) and wakes this process's delivery.
pub async fn resend(context: &AppContext, admin: &str, id: &str) -> Result<(), ApiError> {
    let internal = |error: &dyn std::fmt::Display| {
        tracing::error!(%error, "resending an event failed");
        ApiError::Shop(ShopProblem::Internal)
    };
    if !is_admin(context, admin)
        .await
        .map_err(|error| internal(&error))?
    {
        return Err(ApiError::Shop(ShopProblem::Forbidden));
    }
    if !context
        .db
        .resend_event(id)
        .await
        .map_err(|error| internal(&error))?
    {
        // No such event, or a process is delivering it this moment.
        return Err(ApiError::Shop(ShopProblem::BadInput));
    }
    context.db.events_written();
    Ok(())
}

fn delivery(event: EventRow) -> EventDelivery {
    let last_answer = match (event.last_status, event.last_error) {
        (Some(status), Some(error)) if !error.is_empty() => Some(format!("{status} {error}")),
        (Some(status), _) => Some(status.to_string()),
        (None, error) => error,
    };
    EventDelivery {
        id: event.id,
        kind: event.kind,
        state: event.state.as_str().to_owned(),
        attempts: event.attempts,
        last_answer,
        created_at: event.created_at,
        last_attempt_at: event.last_attempt_at,
    }
}
