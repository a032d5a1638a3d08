//! Runs inside the session layer after every request: gives the session its lifetime (signed in or anonymous) and
//! saves it again when due, so sessions end as long after their last request as documented
//! (`app::ssr::auth::lifetime`). A request whose session cookie names a session that is gone is marked, so its
//! answer does not remove a newer cookie ([`super::stale_session`]).

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::Response;
use tower_sessions::Session;

use super::stale_session::{self, StaleSession};

pub async fn settle_session(
    State(ttl): State<time::Duration>,
    session: Session,
    request: Request,
    next: Next,
) -> Response {
    let brought_cookie = stale_session::brings_session_cookie(request.headers());
    let mut response = next.run(request).await;
    if let Err(error) = app::ssr::auth::lifetime::settle(&session, ttl).await {
        tracing::warn!(%error, "could not settle the session's lifetime");
    }
    if stale_session::is_stale(&session, brought_cookie) {
        response.extensions_mut().insert(StaleSession);
    }
    response
}
