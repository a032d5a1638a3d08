//! Runs inside the session layer after every request: gives the session its lifetime (signed in or anonymous) and
//! saves it again when due, so sessions end as long after their last request as documented
//! (`app::ssr::auth::lifetime`).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tower_sessions::Session;

pub async fn settle_session(
    State(ttl): State<time::Duration>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let response = next.run(request).await;
    if let Err(error) = app::ssr::auth::lifetime::settle(&session, ttl).await {
        tracing::warn!(%error, "could not settle the session's lifetime");
    }
    response
}
