//! Time as WeChat Pay writes it: Unix seconds in signatures, RFC 3339 in Beijing time (`+08:00`) in bodies, and
//! `YYYY-MM-DD HH:MM:SS` Beijing time in bills. Hand-written (no date crate) and tested against known dates.

use std::time::{SystemTime, UNIX_EPOCH};

/// Beijing time is UTC+8 all year.
const BEIJING_OFFSET: i64 = 8 * 60 * 60;
const DAY: i64 = 24 * 60 * 60;

/// Seconds since the Unix epoch, now.
pub fn now_unix() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

/// A calendar date in Beijing time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Date {
    pub year: i64,
    pub month: u32,
    pub day: u32,
}

impl Date {
    /// Parses `YYYY-MM-DD`, as `bill_date` is written.
    pub fn parse(text: &str) -> Option<Date> {
        let bytes = text.as_bytes();
        if bytes.len() != 10 || bytes[4] != b'-' || bytes[7] != b'-' {
            return None;
        }
        let number = |range: std::ops::Range<usize>| -> Option<u32> {
            let part = text.get(range)?;
            part.bytes()
                .all(|byte| byte.is_ascii_digit())
                .then(|| part.parse().ok())?
        };
        let date = Date {
            year: i64::from(number(0..4)?),
            month: number(5..7)?,
            day: number(8..10)?,
        };
        let valid = (1..=12).contains(&date.month)
            && date.day >= 1
            && date.day <= days_in_month(date.year, date.month);
        valid.then_some(date)
    }

    /// The Unix time of this day's midnight, Beijing time.
    pub fn midnight(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * DAY - BEIJING_OFFSET
    }

    /// The Beijing date of a Unix time.
    pub fn of(unix: i64) -> Date {
        let (year, month, day) = civil_from_days((unix + BEIJING_OFFSET).div_euclid(DAY));
        Date { year, month, day }
    }
}

impl std::fmt::Display for Date {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:04}-{:02}-{:02}", self.year, self.month, self.day)
    }
}

/// `2015-05-20T13:29:35+08:00`.
pub fn rfc3339_beijing(unix: i64) -> String {
    let (date, seconds) = split(unix);
    format!("{date}T{}+08:00", clock_time(seconds))
}

/// `2015-05-20 13:29:35`, Beijing time, as bills write it.
pub fn bill_time(unix: i64) -> String {
    let (date, seconds) = split(unix);
    format!("{date} {}", clock_time(seconds))
}

/// The Unix time of an RFC 3339 date-time with a time zone (`time_expire`), e.g. `2018-06-08T10:34:56+08:00`;
/// `None` when `text` is not one. A fraction of a second is allowed and dropped.
pub fn parse_rfc3339(text: &str) -> Option<i64> {
    let (date, rest) = text.split_once('T')?;
    let date = Date::parse(date)?;
    let time = rest.get(..8)?;
    let zone = rest.get(8..)?;
    let bytes = time.as_bytes();
    if bytes[2] != b':' || bytes[5] != b':' {
        return None;
    }
    let number = |range: std::ops::Range<usize>| -> Option<i64> {
        let part = time.get(range)?;
        part.bytes()
            .all(|byte| byte.is_ascii_digit())
            .then(|| part.parse().ok())?
    };
    let (hour, minute, second) = (number(0..2)?, number(3..5)?, number(6..8)?);
    if hour > 23 || minute > 59 || second > 59 {
        return None;
    }
    let zone = match zone.strip_prefix('.') {
        Some(fraction) => {
            let digits = fraction.len()
                - fraction
                    .trim_start_matches(|c: char| c.is_ascii_digit())
                    .len();
            if digits == 0 {
                return None;
            }
            &fraction[digits..]
        }
        None => zone,
    };
    let offset = if zone == "Z" {
        0
    } else {
        let sign = match zone.as_bytes().first()? {
            b'+' => 1,
            b'-' => -1,
            _ => return None,
        };
        let (hours, minutes) = zone.get(1..)?.split_once(':')?;
        let two_digits = |part: &str| -> Option<i64> {
            (part.len() == 2 && part.bytes().all(|byte| byte.is_ascii_digit()))
                .then(|| part.parse().ok())?
        };
        let (hours, minutes) = (two_digits(hours)?, two_digits(minutes)?);
        if hours > 23 || minutes > 59 {
            return None;
        }
        sign * (hours * 3600 + minutes * 60)
    };
    let days = days_from_civil(date.year, date.month, date.day);
    Some(days * DAY + hour * 3600 + minute * 60 + second - offset)
}

fn split(unix: i64) -> (Date, i64) {
    (Date::of(unix), (unix + BEIJING_OFFSET).rem_euclid(DAY))
}

fn clock_time(seconds: i64) -> String {
    format!(
        "{:02}:{:02}:{:02}",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

fn is_leap(year: i64) -> bool {
    (year % 4 == 0 && year % 100 != 0) || year % 400 == 0
}

fn days_in_month(year: i64, month: u32) -> u32 {
    match month {
        2 if is_leap(year) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// A proleptic Gregorian date to days since 1970-01-01 (Howard Hinnant's `days_from_civil`).
fn days_from_civil(year: i64, month: u32, day: u32) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year.rem_euclid(400);
    let month = i64::from(month);
    let shifted_month = if month > 2 { month - 3 } else { month + 9 };
    let day_of_year = (153 * shifted_month + 2) / 5 + i64::from(day) - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// Days since 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's `civil_from_days`).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let month_index = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * month_index + 2) / 5 + 1;
    let month = if month_index < 10 {
        month_index + 3
    } else {
        month_index - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    // Both are in range by construction (1..=12 and 1..=31).
    (
        year,
        u32::try_from(month).unwrap_or(1),
        u32::try_from(day).unwrap_or(1),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wechats_documented_example_time_formats_in_beijing_time() {
        // 2015-05-20T13:29:35+08:00 is 2015-05-20T05:29:35Z = 1432099775.
        assert_eq!(rfc3339_beijing(1_432_099_775), "2015-05-20T13:29:35+08:00");
        assert_eq!(bill_time(1_432_099_775), "2015-05-20 13:29:35");
    }

    #[test]
    fn the_beijing_date_turns_at_utc_four_pm() {
        // 2024-02-28T16:00:00Z is already 2024-02-29 (a leap day) in Beijing.
        assert_eq!(Date::of(1_709_136_000).to_string(), "2024-02-29");
        assert_eq!(Date::of(1_709_135_999).to_string(), "2024-02-28");
    }

    #[test]
    fn bill_dates_parse_only_when_real() {
        assert_eq!(
            Date::parse("2024-02-29"),
            Some(Date {
                year: 2024,
                month: 2,
                day: 29
            })
        );
        for bad in [
            "2023-02-29",
            "2024-13-01",
            "2024-1-01",
            "20240101",
            "2024-01-0x",
            "",
        ] {
            assert_eq!(Date::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn time_expire_must_be_rfc3339_with_a_zone_and_reads_as_unix_time() {
        // 2018-06-08T10:34:56+08:00 is 2018-06-08T02:34:56Z = 1528425296.
        for good in [
            "2018-06-08T10:34:56+08:00",
            "2018-06-08T02:34:56Z",
            "2018-06-08T10:34:56.123+08:00",
            "2018-06-07T21:34:56-05:00",
        ] {
            assert_eq!(parse_rfc3339(good), Some(1_528_425_296), "{good}");
        }
        for bad in [
            "2018-06-08 10:34:56+08:00",
            "2018-06-08T10:34:56",
            "2018-06-08T10:34+08:00",
            "2018-06-08T24:34:56+08:00",
            "2018-06-08T10:34:56.+08:00",
            "1528425296",
        ] {
            assert_eq!(parse_rfc3339(bad), None, "{bad}");
        }
        assert_eq!(
            rfc3339_beijing(parse_rfc3339("2024-02-29T23:59:59+08:00").expect("parses")),
            "2024-02-29T23:59:59+08:00"
        );
    }
}
