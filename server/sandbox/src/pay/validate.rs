//! Validation of prepay and refund requests, field by field, with WeChat's rules; every failure names its field.
//!
//! Rules from the prepay pages (JSAPI <https://pay.weixin.qq.com/doc/v3/merchant/4012791897>, Native
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791877>; H5 and App share their common fields, H5 adds
//! `scene_info.payer_client_ip` and `scene_info.h5_info.type`) and the refund page
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791903>.

use serde_json::Value;

use super::clock;
use super::error::PayError;
use super::param_error::{field_error, mismatch, Rule};

/// The four direct-merchant prepay APIs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TradeType {
    Jsapi,
    Native,
    H5,
    App,
}

impl TradeType {
    /// The path segment after `/v3/pay/transactions/`.
    pub fn from_path(segment: &str) -> Option<TradeType> {
        match segment {
            "jsapi" => Some(TradeType::Jsapi),
            "native" => Some(TradeType::Native),
            "h5" => Some(TradeType::H5),
            "app" => Some(TradeType::App),
            _ => None,
        }
    }

    /// `trade_type` as queries and bills write it (H5 is `MWEB`).
    pub fn wire(self) -> &'static str {
        match self {
            TradeType::Jsapi => "JSAPI",
            TradeType::Native => "NATIVE",
            TradeType::H5 => "MWEB",
            TradeType::App => "APP",
        }
    }
}

/// What kind of app an appid bound to the merchant is. WeChat Pay binds official accounts, mini programs and mobile
/// apps to a merchant, never a website app (<https://pay.weixin.qq.com/doc/v3/merchant/4013070756>, AppID
/// binding); JSAPI pays in an official account or a mini program, APP pay only in a mobile app.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppKind {
    OfficialAccount,
    MiniProgram,
    MobileApp,
}

/// An appid bound to the merchant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundApp {
    pub appid: String,
    pub kind: AppKind,
}

/// Who the sandbox's merchant is and which appids are bound to it.
#[derive(Debug, Clone, Copy)]
pub struct Binding<'a> {
    pub mchid: &'a str,
    pub apps: &'a [BoundApp],
}

impl Binding<'_> {
    /// Checks that `appid` is bound and may make a `kind` order.
    fn admits(&self, appid: &str, kind: TradeType) -> Result<(), PayError> {
        let app = self
            .apps
            .iter()
            .find(|app| app.appid == appid)
            .ok_or_else(|| PayError::AppidMchidNotMatch(appid.to_owned()))?;
        let fits = match kind {
            TradeType::Jsapi => matches!(app.kind, AppKind::OfficialAccount | AppKind::MiniProgram),
            TradeType::App => app.kind == AppKind::MobileApp,
            TradeType::Native | TradeType::H5 => true,
        };
        if fits {
            Ok(())
        } else {
            // WeChat's exact words here are not documented; the refusal is the stricter reading.
            Err(mismatch(
                "/body/appid",
                format!(
                    "{} pay needs {} (appid {appid} is a {:?})",
                    kind.wire(),
                    match kind {
                        TradeType::App => "a mobile app's appid",
                        _ => "an official account's or a mini program's appid",
                    },
                    app.kind,
                ),
            ))
        }
    }
}

/// A valid prepay request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderRequest {
    pub appid: String,
    pub mchid: String,
    pub description: String,
    pub out_trade_no: String,
    pub attach: Option<String>,
    pub notify_url: String,
    /// Integer fen.
    pub total: u64,
    pub openid: Option<String>,
    pub payer_client_ip: Option<String>,
    /// When the order stops being payable (`time_expire`), Unix seconds; none when the merchant sent none.
    pub time_expire: Option<i64>,
}

/// Which order a refund is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundTarget {
    TransactionId(String),
    OutTradeNo(String),
}

/// A valid refund request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundRequest {
    pub target: RefundTarget,
    pub out_refund_no: String,
    pub reason: Option<String>,
    pub notify_url: Option<String>,
    /// Integer fen.
    pub refund: u64,
    /// The order's total as the merchant states it, integer fen.
    pub total: u64,
}

/// Parses a JSON body, or says it is not JSON.
pub fn json_body(body: &[u8]) -> Result<Value, PayError> {
    let value: Value = serde_json::from_slice(body).map_err(|error| {
        field_error(
            "/body",
            Rule::Format,
            None,
            &format!("the body is not JSON: {error}"),
        )
    })?;
    if value.is_object() {
        Ok(value)
    } else {
        Err(field_error(
            "/body",
            Rule::Format,
            None,
            "the body must be a JSON object",
        ))
    }
}

pub fn order_request(
    kind: TradeType,
    body: &Value,
    binding: Binding<'_>,
) -> Result<OrderRequest, PayError> {
    let appid = required(body, &["appid"], 32)?;
    let mchid = required(body, &["mchid"], 32)?;
    let description = required(body, &["description"], 127)?;
    let out_trade_no = required(body, &["out_trade_no"], 32)?;
    check_out_no("/body/out_trade_no", &out_trade_no, 6, 32, "")?;
    // `attach` is at most 128 bytes of UTF-8, not characters (WeChat refuses 43 Chinese characters).
    let attach = limited(body, &["attach"], 128, Length::Bytes)?;
    let notify_url = required(body, &["notify_url"], 255)?;
    check_notify_url("/body/notify_url", &notify_url)?;
    let time_expire = match optional(body, &["time_expire"], 64)? {
        None => None,
        Some(expire) => Some(clock::parse_rfc3339(&expire).ok_or_else(|| {
            field_error(
                "/body/time_expire",
                Rule::Format,
                Some(&Value::from(expire.as_str())),
                "time_expire must be RFC 3339, e.g. 2018-06-08T10:34:56+08:00",
            )
        })?),
    };
    let total = fen(body, &["amount", "total"])?;
    currency(body, false)?;
    let openid = optional(body, &["payer", "openid"], 128)?;
    if kind == TradeType::Jsapi && openid.is_none() {
        return Err(field_error(
            "/body/payer/openid",
            Rule::Required,
            None,
            "payer.openid is required for JSAPI: the openid of the payer in this appid",
        ));
    }
    let payer_client_ip = payer_client_ip(body)?;
    if kind == TradeType::H5 {
        if payer_client_ip.is_none() {
            return Err(field_error(
                "/body/scene_info/payer_client_ip",
                Rule::Required,
                None,
                "scene_info.payer_client_ip is required for H5: the payer's IP address",
            ));
        }
        if optional(body, &["scene_info", "h5_info", "type"], 32)?.is_none() {
            return Err(field_error(
                "/body/scene_info/h5_info/type",
                Rule::Required,
                None,
                "scene_info.h5_info.type is required for H5 (Wap, iOS or Android)",
            ));
        }
    }
    if mchid != binding.mchid {
        return Err(PayError::MchNotExists(mchid));
    }
    binding.admits(&appid, kind)?;
    Ok(OrderRequest {
        appid,
        mchid,
        description,
        out_trade_no,
        attach,
        notify_url,
        total,
        openid,
        payer_client_ip,
        time_expire,
    })
}

pub fn refund_request(body: &Value) -> Result<RefundRequest, PayError> {
    let target = match (
        optional(body, &["transaction_id"], 32)?,
        optional(body, &["out_trade_no"], 32)?,
    ) {
        (Some(transaction_id), _) => RefundTarget::TransactionId(transaction_id),
        (None, Some(out_trade_no)) => RefundTarget::OutTradeNo(out_trade_no),
        (None, None) => {
            return Err(field_error(
                "/body/transaction_id",
                Rule::Required,
                None,
                "one of transaction_id and out_trade_no is required",
            ))
        }
    };
    let out_refund_no = required(body, &["out_refund_no"], 64)?;
    check_out_no("/body/out_refund_no", &out_refund_no, 1, 64, "@")?;
    let reason = optional(body, &["reason"], 80)?;
    let notify_url = optional(body, &["notify_url"], 256)?;
    if let Some(url) = &notify_url {
        check_notify_url("/body/notify_url", url)?;
    }
    let refund = fen(body, &["amount", "refund"])?;
    let total = fen(body, &["amount", "total"])?;
    currency(body, true)?;
    if refund > total {
        return Err(mismatch(
            "/body/amount/refund",
            format!("退款金额不能大于原订单金额 (amount.refund {refund} is more than amount.total {total})"),
        ));
    }
    Ok(RefundRequest {
        target,
        out_refund_no,
        reason,
        notify_url,
        refund,
        total,
    })
}

fn pointer(path: &[&str]) -> String {
    format!("/body/{}", path.join("/"))
}

fn lookup<'a>(body: &'a Value, path: &[&str]) -> Option<&'a Value> {
    path.iter()
        .try_fold(body, |value, key| value.get(key))
        .filter(|value| !value.is_null())
}

/// How a field's length is counted.
#[derive(Debug, Clone, Copy)]
enum Length {
    Characters,
    /// UTF-8 bytes, as WeChat counts `attach` (one Chinese character is three bytes).
    Bytes,
}

/// A string field that may be absent; present, it must be a non-empty string of at most `max` characters.
fn optional(body: &Value, path: &[&str], max: usize) -> Result<Option<String>, PayError> {
    limited(body, path, max, Length::Characters)
}

fn limited(
    body: &Value,
    path: &[&str],
    max: usize,
    counted: Length,
) -> Result<Option<String>, PayError> {
    let Some(value) = lookup(body, path) else {
        return Ok(None);
    };
    let field = pointer(path);
    let text = value.as_str().ok_or_else(|| {
        field_error(
            &field,
            Rule::NotString,
            Some(value),
            &format!("{} must be a string", path.join(".")),
        )
    })?;
    if text.is_empty() {
        return Ok(None);
    }
    let (length, bytes) = match counted {
        Length::Characters => (text.chars().count(), false),
        Length::Bytes => (text.len(), true),
    };
    if length > max {
        let unit = if bytes {
            "bytes of UTF-8"
        } else {
            "characters"
        };
        return Err(field_error(
            &field,
            Rule::TooLong { length, max, bytes },
            Some(value),
            &format!("{} may be at most {max} {unit}", path.join(".")),
        ));
    }
    Ok(Some(text.to_owned()))
}

fn required(body: &Value, path: &[&str], max: usize) -> Result<String, PayError> {
    optional(body, path, max)?.ok_or_else(|| {
        field_error(
            &pointer(path),
            Rule::Required,
            None,
            &format!("{} is required", path.join(".")),
        )
    })
}

/// `scene_info.payer_client_ip`, when present, is an IPv4 or IPv6 address ("支持IPv4和IPv6两种格式的IP地址").
fn payer_client_ip(body: &Value) -> Result<Option<String>, PayError> {
    let ip = optional(body, &["scene_info", "payer_client_ip"], 45)?;
    match &ip {
        Some(text) if text.parse::<std::net::IpAddr>().is_err() => Err(field_error(
            "/body/scene_info/payer_client_ip",
            Rule::Format,
            Some(&Value::from(text.as_str())),
            "scene_info.payer_client_ip must be the payer's IPv4 or IPv6 address",
        )),
        _ => Ok(ip),
    }
}

/// Merchant order and refund numbers: `min..=max` of `[0-9A-Za-z_-|*]` (plus `extra`).
fn check_out_no(
    field: &str,
    value: &str,
    min: usize,
    max: usize,
    extra: &str,
) -> Result<(), PayError> {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_-|*".contains(c) || extra.contains(c);
    let length = value.len();
    if length < min {
        return Err(field_error(
            field,
            Rule::TooShort { length, min },
            Some(&Value::from(value)),
            &format!("it must be {min} to {max} characters of 0-9, A-Z, a-z, _ - | *{extra}"),
        ));
    }
    if length > max || !value.chars().all(allowed) {
        return Err(field_error(
            field,
            Rule::Format,
            Some(&Value::from(value)),
            &format!("it must be {min} to {max} characters of 0-9, A-Z, a-z, _ - | *{extra}"),
        ));
    }
    Ok(())
}

/// `notify_url` must be an absolute URL without a query. WeChat requires https on public domains; the sandbox also
/// accepts http, because local merchants (and tests) listen on plain http.
pub fn check_notify_url(field: &str, value: &str) -> Result<(), PayError> {
    let refused = |hint: &str| field_error(field, Rule::Format, Some(&Value::from(value)), hint);
    // The URL parser forgives what WeChat does not: spaces around it, and a fragment.
    if value.trim() != value || value.contains('#') {
        return Err(refused(
            "it must be a URL with no spaces around it and no `#` fragment",
        ));
    }
    let parsed = url::Url::parse(value).map_err(|_| refused("it is not an absolute URL"))?;
    if !matches!(parsed.scheme(), "http" | "https") || parsed.host_str().is_none() {
        return Err(refused(
            "it must be an https (or, in the sandbox, http) URL",
        ));
    }
    if parsed.query().is_some() {
        return Err(refused("it must not carry query parameters"));
    }
    Ok(())
}

/// A money amount: a whole number of fen greater than 0.
fn fen(body: &Value, path: &[&str]) -> Result<u64, PayError> {
    let field = pointer(path);
    let name = path.join(".");
    let value = lookup(body, path).ok_or_else(|| {
        field_error(
            &field,
            Rule::Required,
            None,
            &format!("{name} is required, in fen"),
        )
    })?;
    match (value.as_u64(), value.as_i64()) {
        (Some(amount), _) if amount > 0 => Ok(amount),
        (Some(_), _) | (None, Some(_)) => Err(field_error(
            &field,
            Rule::BelowMinimum { min: 1 },
            Some(value),
            &format!("{name} must be at least 1 fen"),
        )),
        (None, None) => Err(field_error(
            &field,
            Rule::NotInteger,
            Some(value),
            &format!("{name} must be a whole number of fen, not yuan"),
        )),
    }
}

fn currency(body: &Value, required: bool) -> Result<(), PayError> {
    let field = "/body/amount/currency";
    match optional(body, &["amount", "currency"], 16)? {
        Some(currency) if currency == "CNY" => Ok(()),
        None if !required => Ok(()),
        Some(other) => Err(field_error(
            field,
            Rule::Format,
            Some(&Value::from(other)),
            "amount.currency must be CNY",
        )),
        None => Err(field_error(
            field,
            Rule::Required,
            None,
            "amount.currency is required (CNY)",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn appids() -> Vec<BoundApp> {
        vec![BoundApp {
            appid: "wx0000000000000001".to_owned(),
            kind: AppKind::OfficialAccount,
        }]
    }

    fn binding(apps: &[BoundApp]) -> Binding<'_> {
        Binding {
            mchid: "1900000001",
            apps,
        }
    }

    fn order() -> Value {
        json!({
            "appid": "wx0000000000000001", "mchid": "1900000001", "description": "Image形象店-深圳腾大-QQ公仔",
            "out_trade_no": "1217752501201407033233368018", "notify_url": "https://www.weixin.qq.com/wxpay/pay.php",
            "amount": {"total": 100, "currency": "CNY"}, "payer": {"openid": "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o"}
        })
    }

    fn field_of(error: PayError) -> String {
        match error {
            PayError::ParamError { field, .. } => field,
            other => panic!("expected PARAM_ERROR, got {other:?}"),
        }
    }

    #[test]
    fn wechats_documented_jsapi_example_is_valid() {
        let appids = appids();
        let request = order_request(TradeType::Jsapi, &order(), binding(&appids)).expect("valid");
        assert_eq!(request.total, 100);
        assert_eq!(
            request.openid.as_deref(),
            Some("oUpF8uMuAJO_M2pxb1Q9zNjWeS6o")
        );
    }

    #[test]
    fn out_trade_no_is_six_to_thirty_two_of_the_allowed_characters() {
        let appids = appids();
        for (value, ok) in [
            ("12345", false),
            ("123456", true),
            ("A-b_c|d*9", true),
            ("has space", false),
            ("订单号123456", false),
            ("123456789012345678901234567890123", false),
        ] {
            let mut body = order();
            body["out_trade_no"] = json!(value);
            let result = order_request(TradeType::Native, &body, binding(&appids));
            assert_eq!(result.is_ok(), ok, "{value}");
        }
    }

    #[test]
    fn description_counts_characters_not_bytes() {
        let appids = appids();
        let mut body = order();
        body["description"] = json!("字".repeat(127));
        assert!(order_request(TradeType::Native, &body, binding(&appids)).is_ok());
        body["description"] = json!("字".repeat(128));
        let error =
            order_request(TradeType::Native, &body, binding(&appids)).expect_err("too long");
        assert_eq!(field_of(error), "/body/description");
    }

    #[test]
    fn attach_counts_utf8_bytes_not_characters() {
        let appids = appids();
        let mut body = order();
        body["attach"] = json!("字".repeat(42));
        assert!(order_request(TradeType::Native, &body, binding(&appids)).is_ok());
        body["attach"] = json!("字".repeat(43));
        let error =
            order_request(TradeType::Native, &body, binding(&appids)).expect_err("129 bytes");
        assert_eq!(field_of(error), "/body/attach");
        body["attach"] = json!("a".repeat(128));
        assert!(order_request(TradeType::Native, &body, binding(&appids)).is_ok());
    }

    #[test]
    fn amounts_are_whole_positive_fen_in_cny() {
        let appids = appids();
        for total in [json!(0), json!(-1), json!(1.5), json!("100")] {
            let mut body = order();
            body["amount"]["total"] = total.clone();
            let error =
                order_request(TradeType::Native, &body, binding(&appids)).expect_err("bad total");
            assert_eq!(field_of(error), "/body/amount/total", "{total}");
        }
        let mut body = order();
        body["amount"]["currency"] = json!("USD");
        let error = order_request(TradeType::Native, &body, binding(&appids)).expect_err("USD");
        assert_eq!(field_of(error), "/body/amount/currency");
    }

    #[test]
    fn notify_url_is_absolute_without_a_query_and_http_is_accepted() {
        let appids = appids();
        for (url, ok) in [
            ("http://127.0.0.1:9000/notify", true),
            ("https://example.com/notify", true),
            ("/notify", false),
            ("https://example.com/notify?order=1", false),
            ("ftp://example.com/notify", false),
            (" https://example.com/notify", false),
            ("https://example.com/notify ", false),
            ("https://example.com/notify#paid", false),
        ] {
            let mut body = order();
            body["notify_url"] = json!(url);
            assert_eq!(
                order_request(TradeType::Native, &body, binding(&appids)).is_ok(),
                ok,
                "{url}"
            );
        }
    }

    #[test]
    fn jsapi_needs_an_openid_and_h5_needs_its_scene() {
        let appids = appids();
        let mut body = order();
        body.as_object_mut().map(|fields| fields.remove("payer"));
        let error =
            order_request(TradeType::Jsapi, &body, binding(&appids)).expect_err("no openid");
        assert_eq!(field_of(error), "/body/payer/openid");
        assert!(order_request(TradeType::Native, &body, binding(&appids)).is_ok());
        let error = order_request(TradeType::H5, &body, binding(&appids)).expect_err("no ip");
        assert_eq!(field_of(error), "/body/scene_info/payer_client_ip");
        body["scene_info"] = json!({"payer_client_ip": "14.23.150.211"});
        let error = order_request(TradeType::H5, &body, binding(&appids)).expect_err("no h5_info");
        assert_eq!(field_of(error), "/body/scene_info/h5_info/type");
        body["scene_info"]["h5_info"] = json!({"type": "Wap"});
        assert!(order_request(TradeType::H5, &body, binding(&appids)).is_ok());
    }

    #[test]
    fn an_unbound_appid_and_another_mchid_are_refused_with_their_codes() {
        let appids = appids();
        let mut body = order();
        body["appid"] = json!("wx9999999999999999");
        assert_eq!(
            order_request(TradeType::Native, &body, binding(&appids)),
            Err(PayError::AppidMchidNotMatch("wx9999999999999999".into()))
        );
        let mut body = order();
        body["mchid"] = json!("1900000002");
        assert_eq!(
            order_request(TradeType::Native, &body, binding(&appids)),
            Err(PayError::MchNotExists("1900000002".into()))
        );
    }

    #[test]
    fn a_refund_names_its_order_and_cannot_exceed_its_own_total() {
        let body = json!({"out_trade_no": "T123456", "out_refund_no": "R1", "amount": {"refund": 50, "total": 100, "currency": "CNY"}});
        let request = refund_request(&body).expect("valid");
        assert_eq!(request.target, RefundTarget::OutTradeNo("T123456".into()));
        let neither = json!({"out_refund_no": "R1", "amount": {"refund": 50, "total": 100, "currency": "CNY"}});
        assert_eq!(
            field_of(refund_request(&neither).expect_err("no order")),
            "/body/transaction_id"
        );
        let too_much = json!({"out_trade_no": "T123456", "out_refund_no": "R1", "amount": {"refund": 150, "total": 100, "currency": "CNY"}});
        assert_eq!(
            field_of(refund_request(&too_much).expect_err("too much")),
            "/body/amount/refund"
        );
    }

    #[test]
    fn a_body_that_is_not_a_json_object_is_a_param_error() {
        assert_eq!(field_of(json_body(b"not json").expect_err("text")), "/body");
        assert_eq!(field_of(json_body(b"[1]").expect_err("array")), "/body");
    }
}
