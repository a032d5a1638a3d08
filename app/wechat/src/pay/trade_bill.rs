//! Reading a trade bill's text: a header line, one line per payment (交易状态 SUCCESS) or refund (REFUND) with
//! every field behind a backquote, then summary lines. Columns are found by name, so the ALL, SUCCESS and REFUND
//! bills read alike.
//!
//! Format: <https://pay.weixin.qq.com/doc/v3/merchant/4012791866>. Fields are separated by `,` and each starts
//! with a backquote; WeChat does not document how it escapes merchant text (商品名称, 商户数据包), so a line is read
//! as if that text were verbatim: a comma-and-backquote inside it splits the line into extra pieces, which belong to
//! the merchant-text columns, and every other column is found counting from the nearer end of the line.

/// An amount as the bill writes it, yuan with two decimals (`12.88`), in fen.
fn fen(text: &str) -> Option<u64> {
    let (yuan, cents) = text.trim().split_once('.')?;
    let digits = |part: &str| !part.is_empty() && part.bytes().all(|byte| byte.is_ascii_digit());
    if !digits(yuan) || yuan.len() > 12 || cents.len() != 2 || !digits(cents) {
        return None;
    }
    Some(yuan.parse::<u64>().ok()? * 100 + cents.parse::<u64>().ok()?)
}

/// One payment line of the bill.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillPayment {
    pub out_trade_no: String,
    pub total_fen: u64,
}

/// One refund line of the bill, with the refund's status when the bill was made (SUCCESS, PROCESSING, FAIL, CHANGE).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillRefund {
    pub out_refund_no: String,
    pub out_trade_no: String,
    pub refund_fen: u64,
    pub status: String,
}

/// What a trade bill lists.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TradeBill {
    pub payments: Vec<BillPayment>,
    pub refunds: Vec<BillRefund>,
}

/// The columns whose text the merchant wrote, and which may therefore hold `,`` themselves.
const MERCHANT_TEXT: [&str; 2] = ["商品名称", "商户数据包"];

/// One record's pieces, split at every `,``, matched to the header's columns.
struct Fields<'a> {
    pieces: &'a [&'a str],
    header: &'a [&'a str],
    /// How many more pieces than columns: the merchant text's own `,``s.
    extra: usize,
}

impl<'a> Fields<'a> {
    /// `None` for a line with fewer pieces than columns (the summary), or with extra pieces and no merchant text
    /// to hold them.
    fn of(pieces: &'a [&'a str], header: &'a [&'a str]) -> Option<Fields<'a>> {
        let extra = pieces.len().checked_sub(header.len())?;
        let holds_text = header.iter().any(|name| MERCHANT_TEXT.contains(name));
        (extra == 0 || holds_text).then_some(Fields {
            pieces,
            header,
            extra,
        })
    }

    /// The text of column `index`: counted from the start before the first merchant-text column, from the end after
    /// the last one. A merchant-text column itself is only read when nothing was split.
    fn get(&self, index: usize) -> Result<&'a str, String> {
        let first_text = self.header.iter().position(|name| MERCHANT_TEXT.contains(name));
        let last_text = self.header.iter().rposition(|name| MERCHANT_TEXT.contains(name));
        let piece = match (first_text, last_text) {
            _ if self.extra == 0 => index,
            (Some(first), _) if index < first => index,
            (_, Some(last)) if index > last => index + self.extra,
            _ => {
                return Err(format!(
                    "the {} column cannot be told apart from merchant text holding `,``",
                    self.header[index]
                ))
            }
        };
        Ok(self.pieces[piece])
    }
}

/// Reads a trade bill, or says what in it wxgate cannot read.
pub fn parse(text: &str) -> Result<TradeBill, String> {
    let mut lines = text
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .enumerate();
    let (_, header) = lines.next().ok_or("the bill is empty")?;
    let header: Vec<&str> = header
        .split(',')
        .map(|field| field.trim_start_matches('\u{feff}'))
        .collect();
    let column = |name: &str| {
        header
            .iter()
            .position(|field| *field == name)
            .ok_or_else(|| format!("the bill has no {name} column"))
    };
    let out_trade_no = column("商户订单号")?;
    let state = column("交易状态")?;
    let paid = column("订单金额").or_else(|_| column("应结订单金额"));
    let refund_columns = || -> Result<_, String> {
        Ok((
            column("商户退款单号")?,
            column("申请退款金额").or_else(|_| column("退款金额"))?,
            column("退款状态")?,
        ))
    };
    let amount = |number: usize, text: &str| {
        fen(text).ok_or_else(|| format!("line {}: {text} is not an amount in yuan", number + 1))
    };

    let mut bill = TradeBill::default();
    for (number, line) in lines {
        // Every data field starts with a backquote, so `,`` separates fields even when merchant text has commas.
        let Some(line) = line.strip_prefix('`') else {
            continue; // the summary's header
        };
        let pieces: Vec<&str> = line.split(",`").collect();
        let Some(fields) = Fields::of(&pieces, &header) else {
            continue; // the summary line
        };
        match fields.get(state)? {
            "SUCCESS" => bill.payments.push(BillPayment {
                out_trade_no: fields.get(out_trade_no)?.to_owned(),
                total_fen: amount(number, fields.get(paid.clone()?)?)?,
            }),
            "REFUND" => {
                let (out_refund_no, refund_fen, status) = refund_columns()?;
                bill.refunds.push(BillRefund {
                    out_refund_no: fields.get(out_refund_no)?.to_owned(),
                    out_trade_no: fields.get(out_trade_no)?.to_owned(),
                    refund_fen: amount(number, fields.get(refund_fen)?)?,
                    status: fields.get(status)?.to_owned(),
                });
            }
            _ => {}
        }
    }
    Ok(bill)
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
            Ok(TradeBill {
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
    fn commas_in_merchant_text_stay_inside_their_field() {
        let text = "商户订单号,交易状态,商品名称,订单金额\n`WXG1,`SUCCESS,`茶, 杯,`0.01\n";
        assert_eq!(
            parse(text).map(|bill| bill.payments),
            Ok(vec![BillPayment {
                out_trade_no: "WXG1".to_owned(),
                total_fen: 1
            }])
        );
    }

    #[test]
    fn a_comma_and_backquote_in_merchant_text_leave_the_other_columns_in_place() {
        let text = "商户订单号,交易状态,商品名称,商户数据包,订单金额,商户退款单号,申请退款金额,退款状态\n\
                    `WXG1,`SUCCESS,`茶,`杯,`a,`b,`0.01,`0,`0.00,`\n\
                    `WXG1,`REFUND,`茶,`杯,`,`0.00,`WXR1,`0.01,`SUCCESS\n";
        assert_eq!(
            parse(text),
            Ok(TradeBill {
                payments: vec![BillPayment {
                    out_trade_no: "WXG1".to_owned(),
                    total_fen: 1
                }],
                refunds: vec![BillRefund {
                    out_refund_no: "WXR1".to_owned(),
                    out_trade_no: "WXG1".to_owned(),
                    refund_fen: 1,
                    status: "SUCCESS".to_owned()
                }],
            })
        );
    }

    #[test]
    fn amounts_are_yuan_with_two_decimals() {
        assert_eq!(fen("12.88"), Some(1288));
        assert_eq!(fen("0.00"), Some(0));
        assert_eq!(fen("12.8"), None);
        assert_eq!(fen("12"), None);
        assert_eq!(fen("-1.00"), None);
    }

    #[test]
    fn what_cannot_be_read_is_named() {
        assert_eq!(
            parse("交易时间,订单金额\n`2026-11-21 10:00:00,`0.01\n"),
            Err("the bill has no 商户订单号 column".to_owned())
        );
        assert_eq!(parse(""), Err("the bill is empty".to_owned()));
        assert_eq!(
            parse("商户订单号,交易状态,订单金额\n`WXG1,`REFUND,`0.01\n"),
            Err("the bill has no 商户退款单号 column".to_owned())
        );
        assert_eq!(
            parse("商户订单号,交易状态,订单金额\n`WXG1,`SUCCESS,`abc\n"),
            Err("line 2: abc is not an amount in yuan".to_owned())
        );
    }
}
