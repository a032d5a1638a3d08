//! The time WeChat's protocols count in: Unix seconds, and RFC 3339 in China time (`+08:00`) where WeChat Pay's
//! bodies carry a time.

use std::time::{SystemTime, UNIX_EPOCH};

use time::{OffsetDateTime, UtcOffset};

/// China time is UTC+8 all year.
const CHINA: UtcOffset = match UtcOffset::from_hms(8, 0, 0) {
    Ok(offset) => offset,
    Err(_) => panic!("UTC+8 is a valid offset"),
};

/// Unix seconds now.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or_default()
}

/// `unix` as WeChat Pay v3 writes times, e.g. `time_expire`: RFC 3339 in China time, `2018-06-08T10:34:56+08:00`
/// (<https://pay.weixin.qq.com/doc/v3/merchant/4012791856>, time_expire). A time past the year 9999, which no
/// expiry is, is written as the Unix epoch.
pub fn rfc3339_china(unix: i64) -> String {
    let at = OffsetDateTime::from_unix_timestamp(unix)
        .unwrap_or(OffsetDateTime::UNIX_EPOCH)
        .to_offset(CHINA);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}+08:00",
        at.year(),
        u8::from(at.month()),
        at.day(),
        at.hour(),
        at.minute(),
        at.second()
    )
}

#[cfg(test)]
mod tests {
    use super::rfc3339_china;

    #[test]
    fn times_are_written_in_china_time_as_wechat_pays_example() {
        // WeChat Pay's example 2015-05-20T13:29:35+08:00 is 2015-05-20T05:29:35Z.
        assert_eq!(rfc3339_china(1_432_099_775), "2015-05-20T13:29:35+08:00");
        // 16:00 UTC is already the next day in China.
        assert_eq!(rfc3339_china(1_709_136_000), "2024-02-29T00:00:00+08:00");
    }
}
