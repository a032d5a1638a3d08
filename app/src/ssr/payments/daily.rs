//! The daily reconciliation: once the China clock passes `WXGATE_RECONCILE_AT`, yesterday's trade bill is checked
//! by whichever wxgate process claims the day first; a failed check is tried again after half an hour.

use super::reconcile::{bill_day_due, check_and_record, Report};
use super::PaymentError;
use crate::ssr::context::AppContext;
use crate::ssr::wechat::clock::now;

/// A failed check (WeChat Pay busy, the bill still being made) is tried again after this long.
const RETRY_FAILED_AFTER: i64 = 30 * 60;
/// A claim still running after this long belongs to a process that stopped; another may take the day over.
const ABANDONED_AFTER: i64 = 10 * 60;

/// Reconciles yesterday when it is due and no process has done it yet; the day and what was found, when it ran.
pub async fn run_if_due(context: &AppContext) -> Result<Option<(String, Report)>, PaymentError> {
    let Some(at_minute) = context.settings.reconcile_at else {
        return Ok(None);
    };
    let now = now();
    let Some(date) = bill_day_due(now, at_minute) else {
        return Ok(None);
    };
    let claimed = context
        .db
        .claim_reconciliation(&date, now, now - RETRY_FAILED_AFTER, now - ABANDONED_AFTER)
        .await?;
    if !claimed {
        return Ok(None);
    }
    let report = check_and_record(context, &date).await?;
    Ok(Some((date, report)))
}
