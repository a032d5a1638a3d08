//! Injected faults, set through the control API: the next N merchant requests fail with SYSTEM_ERROR (500),
//! FREQUENCY_LIMITED (429) or INVALID_REQUEST (400, a refusal for good), every response is slowed by M ms, error responses go out without signature headers,
//! and signed timestamps are moved by S seconds. Injected failures count only requests that authenticated.

use std::sync::Mutex;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::error::PayError;

/// Which error the next requests answer with.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, PartialEq, Eq, Default)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum InjectedError {
    #[default]
    SystemError,
    FrequencyLimited,
    /// A business-rule refusal that retrying cannot change.
    InvalidRequest,
}

/// The faults in force; also the JSON of `GET/POST /sandbox/pay/faults`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields, default)]
pub struct FaultSettings {
    /// How many of the next authenticated requests fail.
    pub fail_next: u32,
    /// The error they fail with.
    pub error: InjectedError,
    /// Added to every response before it is sent.
    pub delay_ms: u64,
    /// Error responses (4xx/5xx) carry no `Wechatpay-*` headers.
    pub unsigned_errors: bool,
    /// Added to `Wechatpay-Timestamp` on responses and notifications.
    pub clock_skew_seconds: i64,
}

#[derive(Debug, Default)]
pub struct Faults {
    settings: Mutex<FaultSettings>,
}

impl Faults {
    fn lock(&self) -> std::sync::MutexGuard<'_, FaultSettings> {
        self.settings
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    pub fn current(&self) -> FaultSettings {
        self.lock().clone()
    }

    pub fn set(&self, settings: FaultSettings) {
        *self.lock() = settings;
    }

    pub fn delay(&self) -> Option<Duration> {
        let delay = self.lock().delay_ms;
        (delay > 0).then(|| Duration::from_millis(delay))
    }

    /// The injected error for this request, if any is left; counts it down.
    pub fn take_failure(&self) -> Option<PayError> {
        let mut settings = self.lock();
        if settings.fail_next == 0 {
            return None;
        }
        settings.fail_next -= 1;
        Some(match settings.error {
            InjectedError::SystemError => PayError::SystemError,
            InjectedError::FrequencyLimited => PayError::FrequencyLimited,
            InjectedError::InvalidRequest => {
                PayError::InvalidRequest("refused by a fault injected in the sandbox".to_owned())
            }
        })
    }

    pub fn unsigned_errors(&self) -> bool {
        self.lock().unsigned_errors
    }

    pub fn clock_skew(&self) -> i64 {
        self.lock().clock_skew_seconds
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn injected_failures_count_down_to_none() {
        let faults = Faults::default();
        faults.set(FaultSettings {
            fail_next: 2,
            error: InjectedError::FrequencyLimited,
            ..FaultSettings::default()
        });
        assert_eq!(faults.take_failure(), Some(PayError::FrequencyLimited));
        assert_eq!(faults.take_failure(), Some(PayError::FrequencyLimited));
        assert_eq!(faults.take_failure(), None);
    }

    #[test]
    fn settings_read_from_json_with_defaults_and_refuse_unknown_fields() {
        let settings: FaultSettings =
            serde_json::from_str(r#"{"fail_next":1,"error":"SYSTEM_ERROR"}"#).expect("parses");
        assert_eq!(settings.fail_next, 1);
        assert_eq!(settings.delay_ms, 0);
        assert!(serde_json::from_str::<FaultSettings>(r#"{"fail":1}"#).is_err());
    }
}
