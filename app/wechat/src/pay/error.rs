//! What a WeChat Pay call can end with, other than success: WeChat's own structured error, or a failure on the way.

use serde::Deserialize;
use serde_json::Value;

use super::sign::SignError;
use super::validate::ValidationError;

/// The body of a WeChat Pay error response.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct ErrorBody {
    pub code: String,
    pub message: String,
    #[serde(default)]
    pub detail: Option<Value>,
}

#[derive(Debug, thiserror::Error)]
pub enum PayError {
    /// WeChat Pay answered with an error status and its `{code, message, detail}`.
    #[error("WeChat Pay answered {status} {code}: {message} (Request-ID {request_id})")]
    Api {
        status: u16,
        code: String,
        message: String,
        detail: Option<Value>,
        request_id: String,
    },
    /// An error status whose body is not WeChat's error JSON.
    #[error("WeChat Pay answered {status} without an error body (Request-ID {request_id})")]
    Status { status: u16, request_id: String },
    /// The answer's signature did not check out: it is not from WeChat Pay, or was altered.
    #[error("WeChat Pay's answer failed verification: {source} (Request-ID {request_id})")]
    Unverified {
        source: ValidationError,
        request_id: String,
    },
    #[error("could not reach WeChat Pay: {0}")]
    Network(String),
    #[error("WeChat Pay's answer could not be read: {0}")]
    Decode(String),
    #[error(transparent)]
    Sign(#[from] SignError),
    #[error(
        "the downloaded bill does not match its SHA-1 ({expected}); it was altered or cut short"
    )]
    BillDigest { expected: String },
}

impl PayError {
    /// WeChat's error code (`ORDERPAID`, `SYSTEM_ERROR`, …), when WeChat sent one.
    pub fn code(&self) -> Option<&str> {
        match self {
            PayError::Api { code, .. } => Some(code),
            _ => None,
        }
    }

    /// The HTTP status WeChat answered with, when it answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            PayError::Api { status, .. } | PayError::Status { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// What the metrics count a failed call as: WeChat Pay's code (`ORDER_NOT_EXIST`, …), the HTTP status when it
    /// sent none, or how it failed on the way.
    pub fn outcome(&self) -> std::borrow::Cow<'static, str> {
        match self {
            PayError::Api { code, .. } => code.clone().into(),
            PayError::Status { status, .. } => format!("http_{status}").into(),
            PayError::Unverified { .. } => "unverified".into(),
            PayError::Network(_) => "network".into(),
            PayError::Decode(_) => "decode".into(),
            PayError::Sign(_) => "sign".into(),
            PayError::BillDigest { .. } => "bill_digest".into(),
        }
    }

    /// True for failures WeChat documents as safe to retry with the same parameters.
    pub fn is_retryable(&self) -> bool {
        match self {
            PayError::Api { status, code, .. } => {
                *status == 429 || *status >= 500 || code == "SYSTEM_ERROR"
            }
            PayError::Status { status, .. } => *status == 429 || *status >= 500,
            PayError::Network(_) => true,
            _ => false,
        }
    }
}
