//! PARAM_ERROR worded as WeChat Pay words it: the rule a field broke, naming the field by its input path and its
//! Chinese name, with the value sent in `detail` (`{"location":"body","value":…}`), then the sandbox's explanation
//! in parentheses.
//!
//! WeChat's validator messages as integrations quote them: a float amount gives `无法将 JSON 输入源“/body/amount/total”
//! 映射到目标字段“总金额”中，此字段需要一个合法的 64 位有符号整数` with `detail {"location":"body","value":0.01}`
//! (wechatpay-axios-plugin issue 38); a missing field `输入源“/appid”映射到字段“公众号ID”必填性规则校验失败，此字段为必
//! 填项` (node-easywechat issue 69); a total of 0 `输入源“/body/amount/total”映射到数值字段“总金额”规则校验失败，值低于最
//! 小值 1` (WeChat Pay's FAQ); lengths `字符串规则校验失败，字节数 N，大于最大值 M` (or `小于最小值`), with the counted
//! length as `detail.value`. Where WeChat's exact words are not quoted anywhere (lengths counted in characters,
//! formats) the wording is the sandbox's, in the same shape. `detail` never names the field in a `field` member: real
//! answers do not carry one, so an integration must not rely on it.

use serde_json::{json, Value};

use super::error::PayError;

/// Which of WeChat's rules a field broke.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rule {
    /// The field is missing (or empty).
    Required,
    /// A string longer than allowed, counted in UTF-8 bytes (`attach`) or characters.
    TooLong {
        length: usize,
        max: usize,
        bytes: bool,
    },
    /// A string shorter than allowed (`out_trade_no` under 6 bytes).
    TooShort { length: usize, min: usize },
    /// Not a JSON string.
    NotString,
    /// Not a JSON integer.
    NotInteger,
    /// An integer under the field's least value.
    BelowMinimum { min: u64 },
    /// The text breaks the field's format (characters, URL, date, IP).
    Format,
}

/// The Chinese field name WeChat's validator puts in its message, from the API pages' parameter tables.
fn field_name(field: &str) -> &'static str {
    match field
        .trim_start_matches("/body")
        .trim_start_matches("/query")
    {
        "/appid" => "应用ID",
        "/mchid" => "直连商户号",
        "/description" => "商品描述",
        "/out_trade_no" => "商户订单号",
        "/time_expire" => "交易结束时间",
        "/attach" => "附加数据",
        "/notify_url" => "通知地址",
        "/amount/total" => "总金额",
        "/amount/refund" => "退款金额",
        "/amount/currency" => "货币类型",
        "/payer/openid" => "用户标识",
        "/scene_info/payer_client_ip" => "用户终端IP",
        "/scene_info/h5_info/type" => "场景类型",
        "/transaction_id" => "微信支付订单号",
        "/out_refund_no" => "商户退款单号",
        "/reason" => "退款原因",
        "/bill_date" => "账单日期",
        "/bill_type" => "账单类型",
        "/tar_type" => "压缩类型",
        "/account_type" => "资金账户类型",
        _ => "请求参数",
    }
}

/// Where the field is, as `detail.location` says it.
fn location(field: &str) -> &'static str {
    if field.starts_with("/query") {
        "query"
    } else if field.starts_with("/header") {
        "header"
    } else {
        "body"
    }
}

/// WeChat's sentence for `rule` broken by `field`.
fn wechat_words(field: &str, rule: Rule) -> String {
    let name = field_name(field);
    match rule {
        Rule::Required => format!("输入源“{field}”映射到字段“{name}”必填性规则校验失败，此字段为必填项"),
        Rule::TooLong { length, max, bytes } => format!(
            "输入源“{field}”映射到值字段“{name}”字符串规则校验失败，{} {length}，大于最大值 {max}",
            if bytes { "字节数" } else { "字符数" }
        ),
        Rule::TooShort { length, min } => format!(
            "输入源“{field}”映射到值字段“{name}”字符串规则校验失败，字节数 {length}，小于最小值 {min}"
        ),
        Rule::NotString => {
            format!("无法将 JSON 输入源“{field}”映射到目标字段“{name}”中，此字段需要一个合法的字符串")
        }
        Rule::NotInteger => format!(
            "无法将 JSON 输入源“{field}”映射到目标字段“{name}”中，此字段需要一个合法的 64 位有符号整数"
        ),
        Rule::BelowMinimum { min } => {
            format!("输入源“{field}”映射到数值字段“{name}”规则校验失败，值低于最小值 {min}")
        }
        Rule::Format => format!("输入源“{field}”映射到值字段“{name}”字符串规则校验失败，格式不正确"),
    }
}

/// A PARAM_ERROR: `field` (a path like `/body/amount/total`) broke `rule`; `value` is what was sent, if anything;
/// `hint` says in English what the sandbox expected.
pub fn field_error(field: &str, rule: Rule, value: Option<&Value>, hint: &str) -> PayError {
    let mut detail = json!({ "location": location(field) });
    // For a length rule WeChat's `detail.value` is the length it counted, not the text.
    let counted = match rule {
        Rule::TooLong { length, .. } | Rule::TooShort { length, .. } => Some(Value::from(length)),
        _ => value.cloned(),
    };
    if let Some(value) = counted {
        detail["value"] = value;
    }
    PayError::ParamError {
        field: field.to_owned(),
        message: format!("{} ({hint})", wechat_words(field, rule)),
        detail: Some(detail),
    }
}

/// A PARAM_ERROR about how fields go together, worded as WeChat words it (e.g. `appid和openid不匹配`); it carries no
/// `detail`, as WeChat's answers for these do not.
pub fn mismatch(field: &str, message: String) -> PayError {
    PayError::ParamError {
        field: field.to_owned(),
        message,
        detail: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_float_amount_is_worded_as_wechat_words_it() {
        let error = field_error(
            "/body/amount/total",
            Rule::NotInteger,
            Some(&json!(0.01)),
            "fen",
        );
        let body = error.body();
        assert_eq!(body["code"], "PARAM_ERROR");
        assert_eq!(body["detail"], json!({"location": "body", "value": 0.01}));
        assert!(body["message"].as_str().expect("message").starts_with(
            "无法将 JSON 输入源“/body/amount/total”映射到目标字段“总金额”中，此字段需要一个合法的 64 位有符号整数"
        ));
    }

    #[test]
    fn a_missing_field_has_no_value_and_query_fields_say_so() {
        let body = field_error("/query/bill_date", Rule::Required, None, "yyyy-MM-dd").body();
        assert_eq!(body["detail"], json!({"location": "query"}));
        assert!(body["message"].as_str().expect("message").starts_with(
            "输入源“/query/bill_date”映射到字段“账单日期”必填性规则校验失败，此字段为必填项"
        ));
    }

    #[test]
    fn a_mismatch_is_its_own_sentence_without_detail() {
        let body = mismatch("/body/payer/openid", "appid和openid不匹配".to_owned()).body();
        assert_eq!(body["message"], "appid和openid不匹配");
        assert!(body.get("detail").is_none());
    }
}
