//! DTOs that cross the wire between the server and the browser. Nothing secret goes in here, ever.

use leptos::server_fn::{
    codec::JsonEncoding,
    error::{FromServerFnError, ServerFnErrorErr},
};
use serde::{Deserialize, Serialize};

/// What the home page's status card shows: proof that the server, its database and the session all answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusReport {
    /// "SQLite" or "PostgreSQL".
    pub database: String,
    /// The newest database migration applied.
    pub schema_version: i64,
    /// How many times this browser session has asked; kept in the server-side session.
    pub checks_this_session: u32,
    /// The wxgate version answering.
    pub server_version: String,
}

/// The errors a server function reports to the page: a stable code and a sentence a person can read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum ApiError {
    /// The database or the session store did not answer.
    #[error("服务暂时不可用，请稍后再试。")]
    Unavailable,
    /// The request never reached the server function, or its answer could not be read.
    #[error("请求没有完成：{0}")]
    Transport(String),
}

impl ApiError {
    /// The stable, machine-readable code of this error.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unavailable => "unavailable",
            ApiError::Transport(_) => "transport",
        }
    }
}

impl FromServerFnError for ApiError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        ApiError::Transport(value.to_string())
    }
}
