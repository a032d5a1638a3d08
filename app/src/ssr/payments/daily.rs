//! The daily reconciliation: once the China clock passes `WXGATE_RECONCILE_AT`, yesterday's trade bill is checked
//! by whichever wxgate process claims the day first. A day missed (no process was up, or its check failed) is
//! checked on a later round, up to a week back but never before the first day ever checked; a failed check is
//! tried again after half an hour.

use super::reconcile::{check_and_record, days_due, Report};
use super::PaymentError;
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;

/// How many days back a round looks for days never checked.
const LOOK_BACK_DAYS: u8 = 7;
/// A failed check (WeChat Pay busy, the bill still being made) is tried again after this long.
const RETRY_FAILED_AFTER: i64 = 30 * 60;
/// A claim still running after this long belongs to a process that stopped; another may take the day over.
const ABANDONED_AFTER: i64 = 10 * 60;

/// One day a round checked, and what it found.
pub struct Checked {
    pub date: String,
    pub outcome: Result<Report, PaymentError>,
}

/// One round: checks every due day that no process has checked yet (or whose check failed a while ago).
pub async fn run_due(context: &AppContext) -> Result<Vec<Checked>, PaymentError> {
    let Some(at_minute) = context.settings.reconcile_at else {
        return Ok(Vec::new());
    };
    let now = now();
    let due = days_due(now, at_minute, LOOK_BACK_DAYS);
    let Some(newest) = due.last() else {
        return Ok(Vec::new());
    };
    // On a new install only the newest due day; later, the days since the first one checked.
    let start = match context.db.oldest_reconciliation().await? {
        Some(first) if first < *newest => first,
        _ => newest.clone(),
    };
    // Settled days are skipped here, so a round only writes (claims) days that still need a check.
    let settled = context.db.settled_reconciliations(&start).await?;
    let mut checked = Vec::new();
    for date in due
        .iter()
        .filter(|date| **date >= start && !settled.contains(date))
    {
        let claimed = context
            .db
            .claim_reconciliation(date, now, now - RETRY_FAILED_AFTER, now - ABANDONED_AFTER)
            .await?;
        if claimed {
            checked.push(Checked {
                date: date.clone(),
                outcome: check_and_record(context, date).await,
            });
        }
    }
    Ok(checked)
}
