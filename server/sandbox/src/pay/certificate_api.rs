//! `GET /v3/certificates`, as WeChat Pay serves it: every current platform certificate, encrypted with the APIv3
//! key, in a signed answer.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;

use super::call::{PayCall, Reply};
use super::error::PayError;
use crate::Sandbox;

/// `GET /v3/certificates`: every current platform certificate, encrypted with the APIv3 key.
pub async fn download(State(sandbox): State<Arc<Sandbox>>, call: PayCall) -> Response {
    let result = sandbox
        .pay
        .keys
        .certificate_listing()
        .map(Reply::Json)
        .map_err(|error| {
            tracing::error!(%error, "the sandbox cannot list its certificates");
            PayError::SystemError
        });
    call.respond(result)
}
