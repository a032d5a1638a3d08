//! Reading a trade bill's text: a header line, one line per payment (交易状态 SUCCESS) or refund (REFUND) with
//! every field behind a backquote, then summary lines. Columns are found by name, so the ALL, SUCCESS and REFUND
//! bills read alike.
//!
//! Format: <https://pay.weixin.qq.com/doc/v3/merchant/4012791866>.

use crate::types::shop::fen_from_yuan;

/// One payment line of the bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillPayment {
    pub out_trade_no: String,
    pub total_fen: i64,
}

/// One refund line of the bill, with the refund's status when the bill was made (SUCCESS, PROCESSING, FAIL, CHANGE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillRefund {
    pub out_refund_no: String,
    pub out_trade_no: String,
    pub refund_fen: i64,
    pub status: String,
}

/// What a trade bill lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeBill {
    pub payments: Vec<BillPayment>,
    pub refunds: Vec<BillRefund>,
}

/// Reads a trade bill; `None` when its header lacks a column wxgate needs.
pub fn parse(text: &str) -> Option<TradeBill> {
    let mut lines = text.lines().map(str::trim).filter(|line| !line.is_empty());
    let header: Vec<&str> = lines
        .next()?
        .split(',')
        .map(|field| field.trim_start_matches('\u{feff}'))
        .collect();
    let column = |name: &str| header.iter().position(|field| *field == name);
    let out_trade_no = column("商户订单号")?;
    let state = column("交易状态")?;
    let paid = column("订单金额").or_else(|| column("应结订单金额"));
    let refund_columns = (|| {
        Some((
            column("商户退款单号")?,
            column("申请退款金额").or_else(|| column("退款金额"))?,
            column("退款状态")?,
        ))
    })();

    let mut bill = TradeBill::default();
    for fields in lines.map(|line| {
        line.split(',')
            .map(|field| field.trim_start_matches('`'))
            .collect::<Vec<_>>()
    }) {
        // Summary lines have other widths.
        if fields.len() != header.len() {
            continue;
        }
        let field = |index: usize| fields[index];
        match field(state) {
            "SUCCESS" => bill.payments.push(BillPayment {
                out_trade_no: field(out_trade_no).to_owned(),
                total_fen: fen_from_yuan(field(paid?))?,
            }),
            "REFUND" => {
                let (out_refund_no, amount, status) = refund_columns?;
                bill.refunds.push(BillRefund {
                    out_refund_no: field(out_refund_no).to_owned(),
                    out_trade_no: field(out_trade_no).to_owned(),
                    refund_fen: fen_from_yuan(field(amount))?,
                    status: field(status).to_owned(),
                });
            }
            _ => {}
        }
    }
    Some(bill)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payments_and_refunds_are_read_by_column_name() {
        let text =
            "\u{feff}交易时间,商户订单号,交易状态,订单金额,商户退款单号,申请退款金额,退款状态\n\
                    `2026-11-21 10:00:00,`WXG1,`SUCCESS,`12.88,`0,`0.00,`\n\
                    `2026-11-21 10:05:00,`WXG1,`REFUND,`0.00,`WXR1,`2.88,`SUCCESS\n\
                    总交易单数,应结订单总金额\n`2,`12.88\n";
        assert_eq!(
            parse(text),
            Some(TradeBill {
                payments: vec![BillPayment {
                    out_trade_no: "WXG1".to_owned(),
                    total_fen: 1288
                }],
                refunds: vec![BillRefund {
                    out_refund_no: "WXR1".to_owned(),
                    out_trade_no: "WXG1".to_owned(),
                    refund_fen: 288,
                    status: "SUCCESS".to_owned()
                }],
            })
        );
    }

    #[test]
    fn a_bill_without_the_needed_columns_is_not_read() {
        assert_eq!(
            parse("交易时间,订单金额\n`2026-11-21 10:00:00,`0.01\n"),
            None
        );
        assert_eq!(parse(""), None);
    }

    #[test]
    fn a_refund_line_in_a_bill_without_refund_columns_is_not_read() {
        assert_eq!(
            parse("商户订单号,交易状态,订单金额\n`WXG1,`REFUND,`0.01\n"),
            None
        );
    }
}
