//! wxgate's clock: the time stored in its rows and compared with deadlines, in Unix seconds, and China time (UTC+8
//! all year), in which WeChat's days and times are given.

use std::time::{SystemTime, UNIX_EPOCH};

use time::{OffsetDateTime, UtcOffset};

/// China time, UTC+8 all year: WeChat Pay's bill days, the times WeChat is told.
pub const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+8 is a valid offset"),
};

/// Unix seconds now (a clock before 1970 reads as 0).
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// `unix` (seconds) as RFC 3339 in China time, as WeChat's APIs take times: `2022-12-15T13:29:35+08:00`.
pub fn china_rfc3339(unix: i64) -> String {
    let moment = OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(CHINA);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00",
        moment.year(),
        u8::from(moment.month()),
        moment.day(),
        moment.hour(),
        moment.minute(),
        moment.second()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_time_is_eight_hours_ahead_of_utc() {
        // 2022-12-15T05:29:35Z.
        assert_eq!(china_rfc3339(1_671_082_175), "2022-12-15T13:29:35+08:00");
    }
}
