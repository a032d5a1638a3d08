//! What the admin page shows of the events for the product: where they go, how the endpoint has been doing and
//! the recent deliveries.

use serde::{Deserialize, Serialize};

/// The admin page's events section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventsOverview {
    /// The endpoint's scheme, host and path (never its query); none when `WXGATE_EVENTS_URL` is not set.
    pub endpoint: Option<String>,
    /// Unix seconds of the last delivery the endpoint took.
    pub last_delivered_at: Option<i64>,
    /// Events tried and not taken yet, still on their schedule.
    pub retrying: i64,
    /// Events whose every attempt failed: resend them once the endpoint is fixed.
    pub failed: i64,
    /// The endpoint has been failing at least since then (Unix seconds), when an event tried is still not taken.
    pub failing_since: Option<i64>,
    pub deliveries: Vec<EventDelivery>,
}

/// One event and its delivery.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventDelivery {
    /// The event's id, its `webhook-id`.
    pub id: String,
    /// `order.paid`, `refund.succeeded`, …
    pub kind: String,
    /// `pending`, `delivered` or `failed`.
    pub state: String,
    pub attempts: i64,
    /// The last answer: its HTTP status and the start of its body, or why there was none.
    pub last_answer: Option<String>,
    pub created_at: i64,
    pub last_attempt_at: Option<i64>,
}

/// Unix seconds as China time (UTC+8 all year), `YYYY-MM-DD HH:MM:SS`, for the page; days from the epoch become a
/// civil date by Howard Hinnant's `civil_from_days` (<https://howardhinnant.github.io/date_algorithms.html>).
pub fn china_time(unix: i64) -> String {
    let local = unix + 8 * 3600;
    let (days, seconds) = (local.div_euclid(86_400), local.rem_euclid(86_400));
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let day_of_era = z.rem_euclid(146_097);
    let year_of_era =
        (day_of_era - day_of_era / 1460 + day_of_era / 36_524 - day_of_era / 146_096) / 365;
    let day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * day_of_year + 2) / 153;
    let day = day_of_year - (153 * shifted_month + 2) / 5 + 1;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    };
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}:{:02}",
        seconds / 3600,
        seconds % 3600 / 60,
        seconds % 60
    )
}

#[cfg(test)]
mod tests {
    use super::china_time;

    #[test]
    fn unix_seconds_read_as_china_time() {
        assert_eq!(china_time(0), "1970-01-01 08:00:00");
        // 2024-02-29 23:59:59 in China.
        assert_eq!(china_time(1_709_222_399), "2024-02-29 23:59:59");
        assert_eq!(china_time(1_796_054_400), "2026-12-01 00:00:00");
    }
}
