//! The check of a China day against WeChat Pay's trade bill: every payment and refund in the bill must be here with
//! the same amount and outcome, and every order paid and refund accepted here that day must be in the bill. Each
//! check is recorded, so the admin page shows what the daily job and `wxgate reconcile` found.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012791866> (trade bill: NO_STATEMENT_EXIST means nothing was
//! paid or refunded that day; STATEMENT_CREATING, try later).

use std::collections::HashSet;

use time::{Date, Month, OffsetDateTime};

use super::merchant::pay_client_of;
use super::PaymentError;
use crate::ssr::cause::{self, Cause};
use crate::ssr::clock::{now, CHINA};
use crate::ssr::context::AppContext;
use crate::ssr::db::ReconciliationRow;
use crate::types::status::{ReconciliationOutcome, RefundStatus};
use wechat::pay::bill;
use wechat::pay::trade_bill::{self, BillPayment, BillRefund, TradeBill};

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub payments_in_bill: usize,
    pub refunds_in_bill: usize,
    pub differences: Vec<String>,
}

/// Reconciles `date` (`YYYY-MM-DD`, a China day) and records the outcome, a failure included.
pub async fn check_and_record(context: &AppContext, date: &str) -> Result<Report, PaymentError> {
    let outcome = reconcile_day(context, date).await;
    let row = match &outcome {
        Ok(report) => ReconciliationRow {
            bill_date: date.to_owned(),
            outcome: if report.differences.is_empty() {
                ReconciliationOutcome::Agreed
            } else {
                ReconciliationOutcome::Differs
            },
            payments: i64::try_from(report.payments_in_bill).unwrap_or(i64::MAX),
            refunds: i64::try_from(report.refunds_in_bill).unwrap_or(i64::MAX),
            findings: report.differences.join("\n"),
        },
        Err(PaymentError::BadRequest(_)) => return outcome,
        Err(error) => ReconciliationRow {
            bill_date: date.to_owned(),
            outcome: ReconciliationOutcome::Failed,
            payments: 0,
            refunds: 0,
            findings: failure_sentence(error),
        },
    };
    context.db.record_reconciliation(&row, now()).await?;
    outcome
}

/// Why a check failed, for the log and the admin page (admins only): the cause itself, which names no key.
pub fn failure_sentence(error: &PaymentError) -> String {
    match error {
        PaymentError::Internal(cause) => cause::chain(cause),
        other => other.to_string(),
    }
}

/// Reconciles `date` (`YYYY-MM-DD`, a China day) without recording it.
pub async fn reconcile_day(context: &AppContext, date: &str) -> Result<Report, PaymentError> {
    let (start, end) = china_day(date).ok_or(PaymentError::BadRequest("date (YYYY-MM-DD)"))?;
    let bill = download_trade_bill(context, date).await?;
    let mut report = Report {
        payments_in_bill: bill.payments.len(),
        refunds_in_bill: bill.refunds.len(),
        differences: Vec::new(),
    };
    for payment in &bill.payments {
        report
            .differences
            .extend(payment_difference(context, payment).await?);
    }
    for refund in &bill.refunds {
        report
            .differences
            .extend(refund_difference(context, refund).await?);
    }

    let billed: HashSet<&str> = bill
        .payments
        .iter()
        .map(|payment| payment.out_trade_no.as_str())
        .collect();
    for order in context.db.orders_paid_between(start, end).await? {
        if !billed.contains(order.out_trade_no.as_str()) {
            report.differences.push(format!(
                "{}: paid here, not in WeChat Pay's bill",
                order.out_trade_no
            ));
        }
    }
    let billed: HashSet<&str> = bill
        .refunds
        .iter()
        .map(|refund| refund.out_refund_no.as_str())
        .collect();
    for out_refund_no in context.db.refunds_accepted_between(start, end).await? {
        if !billed.contains(out_refund_no.as_str()) {
            report.differences.push(format!(
                "{out_refund_no}: refund accepted here, not in WeChat Pay's bill"
            ));
        }
    }
    Ok(report)
}

/// The day's ALL trade bill, its SHA-1 checked; an empty bill when WeChat Pay has none for the day.
async fn download_trade_bill(context: &AppContext, date: &str) -> Result<TradeBill, PaymentError> {
    let client = pay_client_of(context)?;
    let link = match bill::trade_bill(client, date, "ALL").await {
        Ok(link) => link,
        Err(error) if error.code() == Some("NO_STATEMENT_EXIST") => return Ok(TradeBill::default()),
        Err(error) => return Err(error.into()),
    };
    let bytes = bill::download(client, &link).await?;
    let text = String::from_utf8(bytes)
        .map_err(|_| PaymentError::Internal(Cause::new("the bill is not UTF-8 text")))?;
    trade_bill::parse(&text).map_err(|why| {
        PaymentError::Internal(Cause::new(format!("the trade bill of {date}: {why}")))
    })
}

async fn payment_difference(
    context: &AppContext,
    payment: &BillPayment,
) -> Result<Option<String>, PaymentError> {
    let no = &payment.out_trade_no;
    Ok(match context.db.order_by_out_trade_no(no).await? {
        None => Some(format!("{no}: paid at WeChat Pay, unknown here")),
        Some(order) if !order.status.is_paid() => {
            Some(format!("{no}: paid at WeChat Pay, {} here", order.status))
        }
        Some(order) if order.total_fen.to_wechat() != Some(payment.total_fen) => Some(format!(
            "{no}: {} fen at WeChat Pay, {} fen here",
            payment.total_fen, order.total_fen
        )),
        Some(_) => None,
    })
}

/// A refund still PROCESSING when the bill was made may have ended since, so only a settled outcome is compared.
async fn refund_difference(
    context: &AppContext,
    refund: &BillRefund,
) -> Result<Option<String>, PaymentError> {
    let no = &refund.out_refund_no;
    Ok(match context.db.refund(no).await? {
        None => Some(format!(
            "{no}: refund of {} at WeChat Pay, unknown here",
            refund.out_trade_no
        )),
        Some(here) if here.refund_fen.to_wechat() != Some(refund.refund_fen) => Some(format!(
            "{no}: refund of {} fen at WeChat Pay, {} fen here",
            refund.refund_fen, here.refund_fen
        )),
        Some(here) => settled_as(&refund.status)
            .filter(|settled| *settled != here.status)
            .map(|settled| format!("{no}: refund {settled} at WeChat Pay, {} here", here.status)),
    })
}

/// The refund API's word for a refund status the bill shows as settled: SUCCESS, CHANGE (ABNORMAL) or FAIL
/// (CLOSED); `None` while it is still PROCESSING.
fn settled_as(bill_status: &str) -> Option<RefundStatus> {
    match bill_status {
        "SUCCESS" => Some(RefundStatus::Success),
        "CHANGE" => Some(RefundStatus::Abnormal),
        "FAIL" => Some(RefundStatus::Closed),
        _ => None,
    }
}

/// The Unix seconds a China day (`YYYY-MM-DD`) starts and ends at.
fn china_day(date: &str) -> Option<(i64, i64)> {
    let mut parts = date.splitn(3, '-');
    let year = parts.next().filter(|part| part.len() == 4)?.parse().ok()?;
    let month: u8 = parts.next().filter(|part| part.len() == 2)?.parse().ok()?;
    let day = parts.next().filter(|part| part.len() == 2)?.parse().ok()?;
    let date = Date::from_calendar_date(year, Month::try_from(month).ok()?, day).ok()?;
    let start = date.midnight().assume_offset(CHINA).unix_timestamp();
    Some((start, start + 86_400))
}

/// The China days whose bills are due at `unix`, oldest first: the `count` days up to yesterday once the China
/// clock has reached `at_minute` (minutes after midnight), else up to the day before.
pub fn days_due(unix: i64, at_minute: u16, count: u8) -> Vec<String> {
    let Ok(moment) = OffsetDateTime::from_unix_timestamp(unix) else {
        return Vec::new();
    };
    let china = moment.to_offset(CHINA);
    let minute = u16::from(china.hour()) * 60 + u16::from(china.minute());
    let newest_back = if minute >= at_minute { 1 } else { 2 };
    (newest_back..newest_back + i64::from(count))
        .rev()
        .filter_map(|back| {
            china
                .date()
                .checked_sub(time::Duration::days(back))
                .map(|day| day.to_string())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn china_days_start_at_midnight_beijing_time() {
        // 2026-11-21 00:00 +08:00 is 2026-11-20 16:00 UTC.
        assert_eq!(
            china_day("2026-11-21"),
            Some((1_795_190_400, 1_795_276_800))
        );
        assert_eq!(china_day("2026-13-01"), None);
        assert_eq!(china_day("2026-02-30"), None);
        assert_eq!(china_day("21-11-2026"), None);
        assert_eq!(china_day("2026-1-01"), None);
    }

    #[test]
    fn yesterdays_bill_is_due_once_the_china_clock_passes_the_hour() {
        // 2026-11-21 09:59 and 10:00 in Beijing.
        let before = 1_795_190_400 + 9 * 3600 + 59 * 60;
        assert_eq!(days_due(before, 10 * 60, 1), ["2026-11-19"]);
        assert_eq!(
            days_due(before + 60, 10 * 60, 3),
            ["2026-11-18", "2026-11-19", "2026-11-20"]
        );
        // 2027-01-01 00:00 in Beijing reconciles the last day of 2026.
        assert_eq!(days_due(1_798_732_800, 0, 1), ["2026-12-31"]);
    }

    #[test]
    fn a_refund_is_compared_once_the_bill_shows_it_settled() {
        assert_eq!(settled_as("SUCCESS"), Some(RefundStatus::Success));
        assert_eq!(settled_as("CHANGE"), Some(RefundStatus::Abnormal));
        assert_eq!(settled_as("FAIL"), Some(RefundStatus::Closed));
        assert_eq!(settled_as("PROCESSING"), None);
    }
}
