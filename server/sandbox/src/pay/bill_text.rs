//! The bill files as WeChat Pay writes them: a header line, one line per payment or refund of the day with every
//! field behind a backquote, then a summary header and a summary line; amounts in yuan with two decimals.
//!
//! Format: <https://pay.weixin.qq.com/docs/merchant/products/bill-download/format-trade.html> (trade bill) and
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791867> (fund-flow bill); the column names and the `\n` line
//! ends follow the bills served in wechatpay-go's download test (`core/client_test.go`). A payment is billed on the
//! day it succeeded (unpaid orders never appear), a refund on the day it was accepted. The sandbox charges no fee:
//! 手续费 is `0.00000` and 费率 `0.00%`. Line breaks inside merchant text become spaces so a record stays one line.
//!
//! How WeChat escapes commas in merchant text (商品名称, 商户数据包) is not documented, and integrations quote no
//! bill showing it. The sandbox takes the stricter reading and writes that text verbatim, commas and backquotes
//! included: a reader that splits lines at every `,` misreads the record here rather than in production.

use std::collections::HashMap;

use super::clock::{self, Date};
use super::ledger::{Ledger, Order, Refund, RefundStatus, TradeState};

/// Which trade bill: `bill_type` of `/v3/bill/tradebill`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeBillType {
    /// Payments and refunds.
    All,
    /// Payments only.
    Success,
    /// Refunds only.
    Refund,
}

impl TradeBillType {
    pub fn parse(text: &str) -> Option<TradeBillType> {
        match text {
            "ALL" => Some(TradeBillType::All),
            "SUCCESS" => Some(TradeBillType::Success),
            "REFUND" => Some(TradeBillType::Refund),
            _ => None,
        }
    }

    fn columns(self) -> &'static [&'static str] {
        match self {
            TradeBillType::All => ALL_COLUMNS,
            TradeBillType::Success => SUCCESS_COLUMNS,
            TradeBillType::Refund => REFUND_COLUMNS,
        }
    }
}

const ALL_COLUMNS: &[&str] = &[
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "申请退款金额",
    "费率备注",
];

/// The payment bill drops the refund columns.
const SUCCESS_COLUMNS: &[&str] = &[
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "费率备注",
];

/// The refund bill adds when each refund was applied for and when it succeeded.
const REFUND_COLUMNS: &[&str] = &[
    "交易时间",
    "公众账号ID",
    "商户号",
    "特约商户号",
    "设备号",
    "微信订单号",
    "商户订单号",
    "用户标识",
    "交易类型",
    "交易状态",
    "付款银行",
    "货币种类",
    "应结订单金额",
    "代金券金额",
    "退款申请时间",
    "退款成功时间",
    "微信退款单号",
    "商户退款单号",
    "退款金额",
    "充值券退款金额",
    "退款类型",
    "退款状态",
    "商品名称",
    "商户数据包",
    "手续费",
    "费率",
    "订单金额",
    "申请退款金额",
    "费率备注",
];

const TRADE_SUMMARY: &str =
    "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额";

const FUND_FLOW_COLUMNS: &str = "记账时间,微信支付业务单号,资金流水单号,业务名称,业务类型,收支类型,收支金额(元),账户结余(元),资金变更提交申请人,备注,业务凭证号";
const FUND_FLOW_SUMMARY: &str = "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额";

/// Integer fen as yuan with two decimals: 1288 → `12.88`.
pub fn yuan(fen: u64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

/// One line of data: every field behind a backquote.
fn line(fields: &[String]) -> String {
    let fields: Vec<String> = fields
        .iter()
        .map(|field| format!("`{}", field.replace(['\r', '\n'], " ")))
        .collect();
    fields.join(",") + "\n"
}

/// One record of a trade bill, by column name, with its sort time and amounts for the summary.
struct TradeRecord {
    time: i64,
    fields: HashMap<&'static str, String>,
    settled: u64,
    refunded: u64,
    ordered: u64,
}

fn order_fields(order: &Order, mchid: &str, time: i64) -> HashMap<&'static str, String> {
    let request = &order.request;
    HashMap::from([
        ("交易时间", clock::bill_time(time)),
        ("公众账号ID", request.appid.clone()),
        ("商户号", mchid.to_owned()),
        ("特约商户号", "0".to_owned()),
        ("设备号", String::new()),
        (
            "微信订单号",
            order.transaction_id.clone().unwrap_or_default(),
        ),
        ("商户订单号", request.out_trade_no.clone()),
        ("用户标识", order.payer_openid.clone().unwrap_or_default()),
        ("交易类型", order.kind.wire().to_owned()),
        ("付款银行", "OTHERS".to_owned()),
        ("货币种类", "CNY".to_owned()),
        ("代金券金额", yuan(0)),
        ("充值券退款金额", yuan(0)),
        ("商品名称", request.description.clone()),
        ("商户数据包", request.attach.clone().unwrap_or_default()),
        ("手续费", "0.00000".to_owned()),
        ("费率", "0.00%".to_owned()),
        ("费率备注", String::new()),
    ])
}

fn payment_record(order: &Order, mchid: &str, paid_at: i64) -> TradeRecord {
    let total = order.request.total;
    let mut fields = order_fields(order, mchid, paid_at);
    for (column, value) in [
        ("交易状态", "SUCCESS".to_owned()),
        ("应结订单金额", yuan(total)),
        ("微信退款单号", "0".to_owned()),
        ("商户退款单号", "0".to_owned()),
        ("退款金额", yuan(0)),
        ("退款类型", String::new()),
        ("退款状态", String::new()),
        ("订单金额", yuan(total)),
        ("申请退款金额", yuan(0)),
    ] {
        fields.insert(column, value);
    }
    TradeRecord {
        time: paid_at,
        fields,
        settled: total,
        refunded: 0,
        ordered: total,
    }
}

/// The bill's word for a refund status (it differs from the refund API's).
fn refund_status(status: RefundStatus) -> &'static str {
    match status {
        RefundStatus::Processing => "PROCESSING",
        RefundStatus::Success => "SUCCESS",
        RefundStatus::Abnormal => "CHANGE",
        RefundStatus::Closed => "FAIL",
    }
}

fn refund_record(refund: &Refund, order: &Order, mchid: &str) -> TradeRecord {
    let mut fields = order_fields(order, mchid, refund.create_time);
    for (column, value) in [
        ("交易状态", "REFUND".to_owned()),
        ("应结订单金额", yuan(0)),
        ("退款申请时间", clock::bill_time(refund.create_time)),
        (
            "退款成功时间",
            refund
                .success_time
                .map(clock::bill_time)
                .unwrap_or_default(),
        ),
        ("微信退款单号", refund.refund_id.clone()),
        ("商户退款单号", refund.out_refund_no.clone()),
        ("退款金额", yuan(refund.refund)),
        ("退款类型", "ORIGINAL".to_owned()),
        ("退款状态", refund_status(refund.status).to_owned()),
        ("订单金额", yuan(0)),
        ("申请退款金额", yuan(refund.refund)),
    ] {
        fields.insert(column, value);
    }
    TradeRecord {
        time: refund.create_time,
        fields,
        settled: 0,
        refunded: refund.refund,
        ordered: 0,
    }
}

/// The trade bill of `date`, or `None` when nothing of that kind happened that day (WeChat: NO_STATEMENT_EXIST).
pub fn trade_bill(ledger: &Ledger, mchid: &str, date: Date, kind: TradeBillType) -> Option<String> {
    let mut records: Vec<TradeRecord> = Vec::new();
    if kind != TradeBillType::Refund {
        records.extend(ledger.orders.values().filter_map(|order| {
            let paid = matches!(order.state, TradeState::Success | TradeState::Refund);
            let paid_at = order.success_time.filter(|_| paid)?;
            (Date::of(paid_at) == date).then(|| payment_record(order, mchid, paid_at))
        }));
    }
    if kind != TradeBillType::Success {
        records.extend(ledger.refunds.values().filter_map(|refund| {
            let order = ledger.orders.get(&refund.out_trade_no)?;
            (Date::of(refund.create_time) == date).then(|| refund_record(refund, order, mchid))
        }));
    }
    if records.is_empty() {
        return None;
    }
    records.sort_by_key(|record| record.time);
    let columns = kind.columns();
    let mut text = columns.join(",") + "\n";
    for record in &records {
        let fields: Vec<String> = columns
            .iter()
            .map(|column| record.fields.get(column).cloned().unwrap_or_default())
            .collect();
        text.push_str(&line(&fields));
    }
    let sum = |amount: fn(&TradeRecord) -> u64| yuan(records.iter().map(amount).sum());
    text.push_str(TRADE_SUMMARY);
    text.push('\n');
    text.push_str(&line(&[
        records.len().to_string(),
        sum(|record| record.settled),
        sum(|record| record.refunded),
        yuan(0),
        "0.00000".to_owned(),
        sum(|record| record.ordered),
        sum(|record| record.refunded),
    ]));
    Some(text)
}

/// One movement of the basic account.
struct Flow {
    time: i64,
    business_no: String,
    flow_no: String,
    name: &'static str,
    income: bool,
    amount: u64,
    applicant: String,
    note: String,
    voucher: String,
}

/// The basic account's fund-flow bill of `date` (payments in as they succeed, refunds out as they succeed), with
/// the balance running over every movement the sandbox has seen; `None` when the account did not move that day.
pub fn fund_flow_bill(ledger: &Ledger, mchid: &str, date: Date) -> Option<String> {
    let mut flows: Vec<Flow> = ledger
        .orders
        .values()
        .filter(|order| matches!(order.state, TradeState::Success | TradeState::Refund))
        .filter_map(|order| {
            let transaction_id = order.transaction_id.clone()?;
            Some(Flow {
                time: order.success_time?,
                business_no: transaction_id.clone(),
                flow_no: transaction_id,
                name: "交易",
                income: true,
                amount: order.request.total,
                applicant: "system".to_owned(),
                note: String::new(),
                voucher: order.request.out_trade_no.clone(),
            })
        })
        .collect();
    flows.extend(ledger.refunds.values().filter_map(|refund| {
        let succeeded = refund
            .success_time
            .filter(|_| refund.status == RefundStatus::Success)?;
        Some(Flow {
            time: succeeded,
            business_no: refund.refund_id.clone(),
            flow_no: refund.transaction_id.clone(),
            name: "退款",
            income: false,
            amount: refund.refund,
            applicant: format!("{mchid}API"),
            note: format!("退款总金额{}元;含手续费0.00元", yuan(refund.refund)),
            voucher: refund.out_refund_no.clone(),
        })
    }));
    flows.sort_by_key(|flow| flow.time);
    let mut balance: i128 = 0;
    let mut lines = String::new();
    let (mut incomes, mut income, mut expenses, mut expense) = (0usize, 0u64, 0usize, 0u64);
    for flow in &flows {
        let amount = i128::from(flow.amount);
        balance += if flow.income { amount } else { -amount };
        if Date::of(flow.time) != date {
            continue;
        }
        if flow.income {
            incomes += 1;
            income += flow.amount;
        } else {
            expenses += 1;
            expense += flow.amount;
        }
        let shown_balance = u64::try_from(balance.max(0)).unwrap_or(u64::MAX);
        lines.push_str(&line(&[
            clock::bill_time(flow.time),
            flow.business_no.clone(),
            flow.flow_no.clone(),
            flow.name.to_owned(),
            flow.name.to_owned(),
            if flow.income { "收入" } else { "支出" }.to_owned(),
            yuan(flow.amount),
            yuan(shown_balance),
            flow.applicant.clone(),
            flow.note.clone(),
            flow.voucher.clone(),
        ]));
    }
    if incomes + expenses == 0 {
        return None;
    }
    Some(format!(
        "{FUND_FLOW_COLUMNS}\n{lines}{FUND_FLOW_SUMMARY}\n{}",
        line(&[
            (incomes + expenses).to_string(),
            incomes.to_string(),
            yuan(income),
            expenses.to_string(),
            yuan(expense),
        ])
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pay::keyring::KeyMode;
    use crate::pay::validate::{OrderRequest, TradeType};
    use serde_json::json;

    /// 2015-05-20 13:29:35 in Beijing.
    const PAID_AT: i64 = 1_432_099_775;

    fn paid_order(out_trade_no: &str, total: u64, paid_at: i64) -> Order {
        Order {
            kind: TradeType::Native,
            request_body: json!({}),
            request: OrderRequest {
                appid: "wx0000000000000001".into(),
                mchid: "1900000001".into(),
                description: "测试\n商品".into(),
                out_trade_no: out_trade_no.into(),
                attach: None,
                notify_url: "http://127.0.0.1/notify".into(),
                total,
                openid: None,
                payer_client_ip: None,
                time_expire: None,
            },
            prepay_id: "wx1".into(),
            code_urls: Vec::new(),
            h5_url: None,
            state: TradeState::Success,
            transaction_id: Some(format!("4200{out_trade_no}")),
            payer_openid: Some("oPayer".into()),
            success_time: Some(paid_at),
            link_issued_at: paid_at,
            payable_until: None,
            mode: KeyMode::Certificate,
        }
    }

    fn ledger() -> Ledger {
        let mut ledger = Ledger::default();
        ledger.insert_order(paid_order("T1", 1288, PAID_AT));
        ledger.insert_order(paid_order("T2", 1, PAID_AT + 60));
        ledger.insert_order(paid_order("T3", 500, PAID_AT - 86_400));
        let mut unpaid = paid_order("T4", 700, PAID_AT);
        unpaid.state = TradeState::NotPay;
        unpaid.success_time = None;
        ledger.insert_order(unpaid);
        ledger.refunds.insert(
            "R1".into(),
            Refund {
                refund_id: "5001".into(),
                out_refund_no: "R1".into(),
                out_trade_no: "T1".into(),
                transaction_id: "4200T1".into(),
                notify_url: None,
                refund: 288,
                total: 1288,
                status: RefundStatus::Success,
                create_time: PAID_AT + 120,
                success_time: Some(PAID_AT + 180),
                mode: KeyMode::Certificate,
            },
        );
        ledger
    }

    fn date() -> Date {
        Date::of(PAID_AT)
    }

    #[test]
    fn yuan_has_two_decimals() {
        assert_eq!(yuan(1288), "12.88");
        assert_eq!(yuan(1), "0.01");
        assert_eq!(yuan(100), "1.00");
    }

    #[test]
    fn the_all_bill_lists_the_days_payments_and_refunds_then_sums_them() {
        let text = trade_bill(&ledger(), "1900000001", date(), TradeBillType::All).expect("bill");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], ALL_COLUMNS.join(","));
        assert_eq!(lines.len(), 6, "{text}");
        assert_eq!(
            lines[1],
            "`2015-05-20 13:29:35,`wx0000000000000001,`1900000001,`0,`,`4200T1,`T1,`oPayer,`NATIVE,`SUCCESS,`OTHERS,`CNY,`12.88,`0.00,`0,`0,`0.00,`0.00,`,`,`测试 商品,`,`0.00000,`0.00%,`12.88,`0.00,`"
        );
        assert!(lines[2].contains("`T2,"));
        assert!(lines[3].starts_with("`2015-05-20 13:31:35,"));
        assert!(lines[3].contains("`REFUND,"));
        assert!(lines[3].contains("`5001,`R1,`2.88,`0.00,`ORIGINAL,`SUCCESS,"));
        assert_eq!(lines[4], TRADE_SUMMARY);
        assert_eq!(lines[5], "`3,`12.89,`2.88,`0.00,`0.00000,`12.89,`2.88");
        assert!(text.ends_with('\n'));
    }

    #[test]
    fn success_and_refund_bills_keep_their_own_rows_and_columns() {
        let ledger = ledger();
        let success =
            trade_bill(&ledger, "1900000001", date(), TradeBillType::Success).expect("bill");
        assert_eq!(success.lines().count(), 5);
        let lines: Vec<&str> = success.lines().collect();
        assert_eq!(lines[0], SUCCESS_COLUMNS.join(","));
        assert_eq!(lines[1].split(',').count(), SUCCESS_COLUMNS.len());
        assert!(lines[1].contains("`SUCCESS,") && lines[2].contains("`T2,"));
        let refund =
            trade_bill(&ledger, "1900000001", date(), TradeBillType::Refund).expect("bill");
        let lines: Vec<&str> = refund.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[1].split(',').count(), REFUND_COLUMNS.len());
        assert!(lines[1].contains("`2015-05-20 13:31:35,`2015-05-20 13:32:35,`5001,"));
    }

    #[test]
    fn a_day_without_payments_or_refunds_has_no_bill() {
        let next_week = Date::of(PAID_AT + 7 * 86_400);
        assert_eq!(
            trade_bill(&ledger(), "1900000001", next_week, TradeBillType::All),
            None
        );
        assert_eq!(fund_flow_bill(&ledger(), "1900000001", next_week), None);
    }

    #[test]
    fn the_fund_flow_bill_runs_the_balance_from_earlier_days() {
        let text = fund_flow_bill(&ledger(), "1900000001", date()).expect("bill");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], FUND_FLOW_COLUMNS);
        assert_eq!(
            lines[1],
            "`2015-05-20 13:29:35,`4200T1,`4200T1,`交易,`交易,`收入,`12.88,`17.88,`system,`,`T1"
        );
        assert!(lines[2].contains("`收入,`0.01,`17.89,"));
        assert_eq!(
            lines[3],
            "`2015-05-20 13:32:35,`5001,`4200T1,`退款,`退款,`支出,`2.88,`15.01,`1900000001API,`退款总金额2.88元;含手续费0.00元,`R1"
        );
        assert_eq!(lines[4], FUND_FLOW_SUMMARY);
        assert_eq!(lines[5], "`3,`2,`12.89,`1,`2.88");
    }
}
