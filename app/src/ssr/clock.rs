//! wxgate's clock: the time stored in its rows and compared with deadlines, in Unix seconds.

use std::time::{SystemTime, UNIX_EPOCH};

/// Unix seconds now (a clock before 1970 reads as 0).
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}
