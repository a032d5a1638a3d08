//! Liveness (`/healthz`: the process answers) and readiness (`/readyz`: the database answers) probes.

use app::ssr::context::AppContext;
use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::contract::answers::{Liveness, Readiness, ReadinessStatus};
use crate::state::ServerState;

pub fn router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::new()
        .routes(routes!(healthz))
        .routes(routes!(readyz))
}

/// `GET /healthz`: the process answers.
#[utoipa::path(
    get,
    path = "/healthz",
    tag = "operations",
    summary = "Liveness: the process answers",
    responses((status = 200, body = Liveness)),
)]
async fn healthz() -> Json<Liveness> {
    Json(Liveness { status: "ok" })
}

/// `GET /readyz`: the database answers.
#[utoipa::path(
    get,
    path = "/readyz",
    tag = "operations",
    summary = "Readiness: the database answers",
    responses(
        (status = 200, body = Readiness, description = "Ready"),
        (status = 503, body = Readiness, description = "The database does not answer"),
    ),
)]
async fn readyz(State(app): State<AppContext>) -> (StatusCode, Json<Readiness>) {
    let database = app.db.backend().label();
    match app.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(Readiness {
                status: ReadinessStatus::Ready,
                database,
            }),
        ),
        Err(error) => {
            tracing::warn!(%error, "readiness check failed");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(Readiness {
                    status: ReadinessStatus::Unavailable,
                    database,
                }),
            )
        }
    }
}
