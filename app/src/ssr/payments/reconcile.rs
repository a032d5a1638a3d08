//! The daily check against WeChat Pay's trade bill: every payment in the bill must be a paid order here with the
//! same amount, and every order paid here that day must be in the bill.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012791866> (trade bill and its format).

use std::collections::HashMap;

use super::checkout::pay_client_of;
use super::status::OrderStatus;
use super::PaymentError;
use crate::ssr::context::AppContext;
use crate::ssr::wechat::pay::bill;
use crate::types::shop::fen_from_yuan;

/// Bill days are China days (UTC+8).
const CHINA_OFFSET: i64 = 8 * 60 * 60;

/// One payment line of the bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillPayment {
    pub out_trade_no: String,
    pub total_fen: i64,
}

/// What the check found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    pub payments_in_bill: usize,
    pub differences: Vec<String>,
}

/// Reconciles `date` (`YYYY-MM-DD`, a China day).
pub async fn reconcile_day(context: &AppContext, date: &str) -> Result<Report, PaymentError> {
    let (start, end) = china_day(date).ok_or(PaymentError::BadRequest("date (YYYY-MM-DD)"))?;
    let client = pay_client_of(context)?;
    let link = bill::trade_bill(client, date, "ALL").await?;
    let bytes = bill::download(client, &link).await?;
    let text = String::from_utf8(bytes)
        .map_err(|_| PaymentError::Internal("the bill is not UTF-8 text".to_owned()))?;
    let in_bill = payments(&text).ok_or_else(|| {
        PaymentError::Internal("the bill has no header line wxgate can read".to_owned())
    })?;

    let mut report = Report {
        payments_in_bill: in_bill.len(),
        differences: Vec::new(),
    };
    let mut seen = HashMap::new();
    for payment in &in_bill {
        seen.insert(payment.out_trade_no.clone(), payment.total_fen);
        match context
            .db
            .order_by_out_trade_no(&payment.out_trade_no)
            .await?
        {
            None => report.differences.push(format!(
                "{}: paid at WeChat Pay, unknown here",
                payment.out_trade_no
            )),
            Some(order)
                if !matches!(
                    order.status,
                    OrderStatus::Paid | OrderStatus::PartiallyRefunded | OrderStatus::Refunded
                ) =>
            {
                report.differences.push(format!(
                    "{}: paid at WeChat Pay, {} here",
                    payment.out_trade_no, order.status
                ))
            }
            Some(order) if order.total_fen != payment.total_fen => {
                report.differences.push(format!(
                    "{}: {} fen at WeChat Pay, {} fen here",
                    payment.out_trade_no, payment.total_fen, order.total_fen
                ))
            }
            Some(_) => {}
        }
    }
    for order in context.db.orders_paid_between(start, end).await? {
        if !seen.contains_key(&order.out_trade_no) {
            report.differences.push(format!(
                "{}: paid here, not in WeChat Pay's bill",
                order.out_trade_no
            ));
        }
    }
    Ok(report)
}

/// The payments (交易状态 SUCCESS) of a trade bill's text: header line, backquote-prefixed fields, summary lines.
pub fn payments(text: &str) -> Option<Vec<BillPayment>> {
    let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
    let header: Vec<&str> = lines
        .next()?
        .split(',')
        .map(|field| field.trim_start_matches('\u{feff}'))
        .collect();
    let column = |name: &str| header.iter().position(|field| *field == name);
    let out_trade_no = column("商户订单号")?;
    let state = column("交易状态")?;
    let amount = column("订单金额").or_else(|| column("应结订单金额"))?;
    Some(
        lines
            .map(|line| {
                line.split(',')
                    .map(|field| field.trim_start_matches('`'))
                    .collect::<Vec<_>>()
            })
            .filter(|fields| fields.len() == header.len() && fields.get(state) == Some(&"SUCCESS"))
            .filter_map(|fields| {
                Some(BillPayment {
                    out_trade_no: fields.get(out_trade_no)?.to_string(),
                    total_fen: fen_from_yuan(fields.get(amount)?)?,
                })
            })
            .collect(),
    )
}

/// The Unix seconds a China day starts and ends at.
fn china_day(date: &str) -> Option<(i64, i64)> {
    let mut parts = date.splitn(3, '-');
    let (year, month, day): (i64, i64, i64) = (
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
        parts.next()?.parse().ok()?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) || date.len() != 10 {
        return None;
    }
    // Days from 1970-01-01 to the date (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * ((month + 9) % 12) + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    let start = days * 86_400 - CHINA_OFFSET;
    Some((start, start + 86_400))
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
        assert_eq!(china_day("21-11-2026"), None);
    }

    #[test]
    fn payments_are_read_by_column_name() {
        let text = "交易时间,商户订单号,交易状态,订单金额\n\
                    `2026-11-21 10:00:00,`WXG1,`SUCCESS,`0.01\n\
                    `2026-11-21 10:05:00,`WXG2,`REFUND,`0.01\n\
                    总交易单数,应结订单总金额\n`1,`0.01\n";
        assert_eq!(
            payments(text),
            Some(vec![BillPayment {
                out_trade_no: "WXG1".to_owned(),
                total_fen: 1
            }])
        );
    }
}
