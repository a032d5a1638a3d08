//! Faults on the login side's JSON endpoints, for trying a client's error paths: the next N calls answer an errcode
//! (`-1` busy, `40226` high-risk user, …), and every call can be slowed down.

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::tokens::rid;
use crate::Sandbox;

/// The faults in force; also the JSON of `GET/POST /sandbox/login/faults`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct LoginFaults {
    /// The errcode the next `fail_next` calls answer with.
    pub errcode: i64,
    pub fail_next: u32,
    /// Added before every answer.
    pub delay_ms: u64,
}

/// Applies the faults in force to a call of a login JSON endpoint.
pub async fn apply(State(sandbox): State<Arc<Sandbox>>, request: Request, next: Next) -> Response {
    let (delay, errcode) = {
        let mut login = sandbox.login.lock();
        let faults = &mut login.faults;
        let errcode = (faults.fail_next > 0).then(|| {
            faults.fail_next -= 1;
            faults.errcode
        });
        (faults.delay_ms, errcode)
    };
    if delay > 0 {
        tokio::time::sleep(Duration::from_millis(delay)).await;
    }
    match errcode {
        Some(errcode) => Json(json!({
            "errcode": errcode,
            "errmsg": format!("injected by the sandbox, rid: {}", rid()),
        }))
        .into_response(),
        None => next.run(request).await,
    }
}

/// `GET /sandbox/login/faults`.
pub async fn current(State(sandbox): State<Arc<Sandbox>>) -> Json<LoginFaults> {
    Json(sandbox.login.lock().faults.clone())
}

/// `POST /sandbox/login/faults {"errcode", "fail_next", "delay_ms"}`: replaces the faults in force.
pub async fn set(
    State(sandbox): State<Arc<Sandbox>>,
    Json(faults): Json<LoginFaults>,
) -> Json<Value> {
    sandbox.login.lock().faults = faults.clone();
    Json(json!(faults))
}

/// `DELETE /sandbox/login/faults`: no more faults.
pub async fn clear(State(sandbox): State<Arc<Sandbox>>) -> Json<Value> {
    sandbox.login.lock().faults = LoginFaults::default();
    Json(json!(LoginFaults::default()))
}
