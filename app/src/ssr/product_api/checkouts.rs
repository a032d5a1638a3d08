//! The product's backend's checkouts: made from its line items (validated and priced here, in integer fen), read
//! back with their state, and refunded in part or in full — each POST under its `Idempotency-Key`.

use serde::{Deserialize, Serialize};
use url::Url;
use utoipa::ToSchema;

use super::idempotency::{Answer, IdempotentRequest};
use super::users::{self, UserKey};
use super::ProductApiError;
use crate::ssr::bounds::{MAX_ID_BYTES, MAX_URL_BYTES};
use crate::ssr::cause::Cause;
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;
use crate::ssr::db::checkouts::{CheckoutLine, CheckoutRow};
use crate::ssr::db::OrderRow;
use crate::ssr::payments::checkouts::new_checkout;
use crate::ssr::payments::refunds::{self, left_to_refund, Refunder};
use crate::ssr::payments::{views, PaymentError};
use crate::types::money::Fen;
use crate::types::shipping::Goods;
use crate::types::status::OrderStatus;

/// The most lines one checkout has.
pub const MAX_LINES: usize = 50;
/// The most of one line.
pub const MAX_QUANTITY: i64 = 9999;
/// A line's name, as WeChat Pay's description holds it.
pub const MAX_NAME_CHARS: usize = 127;
/// The product's metadata, as JSON text.
pub const MAX_METADATA_BYTES: usize = 4 * 1024;
/// How long a checkout can be paid: from five minutes to a day.
pub const EXPIRES_IN_SECONDS: std::ops::RangeInclusive<i64> = 300..=86_400;

/// A checkout to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCheckout {
    /// 1 to 50 lines; wxgate computes the total from them.
    pub line_items: Vec<NewLineItem>,
    /// Who pays; when left out, whoever opens the checkout's `url` first (signed in there) becomes its buyer.
    #[serde(default)]
    pub buyer: Option<Buyer>,
    /// Where the buyer's browser goes once paid: an absolute http(s) URL of at most 2048 bytes.
    pub success_url: String,
    /// Where the buyer can go back to without paying (and goes when the checkout expired).
    #[serde(default)]
    pub cancel_url: Option<String>,
    /// The product's own JSON object (at most 4 KiB), carried by the order's events.
    #[serde(default)]
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    /// Seconds it can be paid, 300 to 86400; wxgate's order lifetime when left out.
    #[serde(default)]
    pub expires_in: Option<i64>,
}

/// One line of a checkout to make.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewLineItem {
    /// 1 to 127 characters, shown to the buyer.
    pub name: String,
    /// The price of one, in fen (at least 1).
    pub unit_fen: Fen,
    /// 1 to 9999.
    pub quantity: i64,
    /// The product's id for it, unique within the checkout (at most 64 bytes); `line-N` when left out.
    #[serde(default)]
    pub product_id: Option<String>,
    /// Whether it ships (`physical`) or not (`virtual`, when left out): a mini program's shipping follows.
    #[serde(default)]
    pub goods: Option<Goods>,
}

/// The buyer: wxgate's user id, or an openid of one of wxgate's apps.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Buyer {
    #[serde(default)]
    pub user_id: Option<String>,
    #[serde(default)]
    pub openid: Option<String>,
}

/// A refund of a paid checkout.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewRefund {
    /// How much, in fen; all that is left to refund when left out.
    #[serde(default)]
    pub refund_fen: Option<Fen>,
    /// At most 80 characters; WeChat Pay shows it to the buyer.
    #[serde(default)]
    pub reason: Option<String>,
}

/// Where a checkout is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CheckoutStatus {
    /// Waiting for the buyer to pay.
    Open,
    Paid,
    PartiallyRefunded,
    Refunded,
    /// Not paid in time: it can no longer be.
    Expired,
}

/// A checkout as the product's backend sees it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CheckoutAnswer {
    pub id: String,
    /// The page to send the buyer to: it signs them in if needed and pays on their surface.
    pub url: String,
    pub status: CheckoutStatus,
    pub total_fen: Fen,
    /// What WeChat Pay shows the buyer.
    pub description: String,
    pub line_items: Vec<CheckoutLine>,
    /// wxgate's user id of the buyer, once known.
    pub buyer_id: Option<String>,
    /// The order it became once the buyer opened it (the events' `order_id`).
    pub order_id: Option<String>,
    pub success_url: String,
    pub cancel_url: Option<String>,
    #[schema(value_type = Option<Object>)]
    pub metadata: Option<serde_json::Value>,
    /// Unix seconds.
    pub created_at: i64,
    /// Unix seconds.
    pub expires_at: i64,
}

/// Makes the checkout `request` asks for, once per idempotency key; 201 with the checkout.
pub async fn create(
    context: &AppContext,
    request: &IdempotentRequest<'_>,
    api_key_id: &str,
    checkout: NewCheckout,
) -> Result<Answer, ProductApiError> {
    if let Some(answer) = request.earlier_answer(&context.db).await? {
        return Ok(answer);
    }
    let row = checkout_of(context, api_key_id, checkout).await?;
    let answer = Answer {
        status: 201,
        body: json(&answer_of(context, &row, None))?,
    };
    if context
        .db
        .create_checkout(&row, Some(&request.remember(&answer)))
        .await?
    {
        return Ok(answer);
    }
    request.stored_first(&context.db).await
}

/// Checkout `checkout_id`, with the state of its order.
pub async fn read(
    context: &AppContext,
    checkout_id: &str,
) -> Result<CheckoutAnswer, ProductApiError> {
    let checkout = product_checkout(context, checkout_id).await?;
    let order = match &checkout.order_id {
        Some(order_id) => context.db.order(order_id).await?,
        None => None,
    };
    Ok(answer_of(context, &checkout, order.as_ref()))
}

/// Refunds part or all of checkout `checkout_id`'s paid order, once per idempotency key; 200 with the refund. The
/// caller bounds the reason.
pub async fn refund(
    context: &AppContext,
    request: &IdempotentRequest<'_>,
    api_key_id: &str,
    checkout_id: &str,
    refund: NewRefund,
) -> Result<Answer, ProductApiError> {
    if let Some(answer) = request.earlier_answer(&context.db).await? {
        return Ok(answer);
    }
    let checkout = product_checkout(context, checkout_id).await?;
    let order_id = checkout
        .order_id
        .ok_or_else(|| PaymentError::NotRefundable("OPEN".to_owned()))?;
    let refund_fen = match refund.refund_fen {
        Some(fen) => fen,
        None => {
            let order = context
                .db
                .order(&order_id)
                .await?
                .ok_or(PaymentError::UnknownOrder)?;
            left_to_refund(&order, &context.db.refunds_of(&order_id).await?)
        }
    };
    let made = refunds::request(
        context,
        Refunder::ApiKey(api_key_id),
        &order_id,
        refund_fen,
        refund.reason,
        // The same key is the same refund at WeChat Pay, even when its first answer was lost.
        Some(format!("api:{api_key_id}:{}", request.key())),
    )
    .await?;
    let answer = Answer {
        status: 200,
        body: json(&views::refund_line(made))?,
    };
    request.answer_once(&context.db, answer).await
}

/// A checkout the product's backend made (the demo shop's own are not the API's).
async fn product_checkout(
    context: &AppContext,
    checkout_id: &str,
) -> Result<CheckoutRow, ProductApiError> {
    context
        .db
        .checkout(checkout_id)
        .await?
        .filter(|checkout| checkout.api_key_id.is_some())
        .ok_or(ProductApiError::UnknownCheckout)
}

/// The checkout `request` describes, validated, priced and for its buyer (not stored yet).
async fn checkout_of(
    context: &AppContext,
    api_key_id: &str,
    request: NewCheckout,
) -> Result<CheckoutRow, ProductApiError> {
    let lines = lines_of(request.line_items)?;
    let success_url = Some(absolute_url(
        request.success_url,
        "success_url (an absolute http or https URL of at most 2048 bytes)",
    )?);
    let cancel_url = request
        .cancel_url
        .map(|url| {
            absolute_url(
                url,
                "cancel_url (an absolute http or https URL of at most 2048 bytes)",
            )
        })
        .transpose()?;
    let metadata = request.metadata.map(metadata_text).transpose()?;
    let expires_in = match request.expires_in {
        None => context.settings.order_ttl_seconds,
        Some(seconds) if EXPIRES_IN_SECONDS.contains(&seconds) => seconds,
        Some(_) => {
            return Err(ProductApiError::BadRequest(
                "expires_in (300 to 86400 seconds)",
            ))
        }
    };
    let buyer_id = match request.buyer {
        None => None,
        Some(buyer) => Some(buyer_of(context, buyer).await?),
    };
    let mut row = new_checkout(
        lines,
        Some(api_key_id.to_owned()),
        buyer_id,
        now() + expires_in,
    )?;
    row.success_url = success_url;
    row.cancel_url = cancel_url;
    row.metadata = metadata;
    Ok(row)
}

/// The lines asked for, each within its bounds, ids unique.
fn lines_of(items: Vec<NewLineItem>) -> Result<Vec<CheckoutLine>, ProductApiError> {
    if items.is_empty() || items.len() > MAX_LINES {
        return Err(ProductApiError::BadRequest("line_items (1 to 50 lines)"));
    }
    let mut lines: Vec<CheckoutLine> = Vec::with_capacity(items.len());
    for (index, item) in items.into_iter().enumerate() {
        let name = item.name.trim();
        if name.is_empty()
            || name.chars().count() > MAX_NAME_CHARS
            || name.chars().any(char::is_control)
        {
            return Err(ProductApiError::BadRequest(
                "line_items[].name (1 to 127 characters, without control characters)",
            ));
        }
        if !item.unit_fen.is_positive() {
            return Err(ProductApiError::BadRequest(
                "line_items[].unit_fen (at least 1 fen)",
            ));
        }
        if !(1..=MAX_QUANTITY).contains(&item.quantity) {
            return Err(ProductApiError::BadRequest(
                "line_items[].quantity (1 to 9999)",
            ));
        }
        let product_id = item
            .product_id
            .unwrap_or_else(|| format!("line-{}", index + 1));
        if product_id.is_empty()
            || product_id.len() > MAX_ID_BYTES
            || lines.iter().any(|line| line.product_id == product_id)
        {
            return Err(ProductApiError::BadRequest(
                "line_items[].product_id (1 to 64 bytes, each once in the checkout)",
            ));
        }
        lines.push(CheckoutLine {
            product_id,
            name: name.to_owned(),
            unit_fen: item.unit_fen,
            quantity: item.quantity,
            goods: item.goods.unwrap_or(Goods::Virtual),
        });
    }
    Ok(lines)
}

/// `url` if it is an absolute http(s) URL of at most 2048 bytes; else `refused` (which names the field).
fn absolute_url(url: String, refused: &'static str) -> Result<String, ProductApiError> {
    let absolute = url.len() <= MAX_URL_BYTES
        && Url::parse(&url)
            .is_ok_and(|parsed| matches!(parsed.scheme(), "http" | "https") && parsed.has_host());
    if absolute {
        Ok(url)
    } else {
        Err(ProductApiError::BadRequest(refused))
    }
}

/// The metadata as stored: a JSON object of at most 4 KiB.
fn metadata_text(metadata: serde_json::Value) -> Result<String, ProductApiError> {
    let text = serde_json::to_string(&metadata)
        .ok()
        .filter(|text| metadata.is_object() && text.len() <= MAX_METADATA_BYTES);
    text.ok_or(ProductApiError::BadRequest(
        "metadata (a JSON object of at most 4 KiB)",
    ))
}

/// wxgate's user id of the buyer named.
async fn buyer_of(context: &AppContext, buyer: Buyer) -> Result<String, ProductApiError> {
    let key = match (&buyer.user_id, &buyer.openid) {
        (Some(user_id), None) if user_id.len() <= MAX_ID_BYTES => UserKey::Id(user_id),
        (None, Some(openid)) if openid.len() <= MAX_ID_BYTES => UserKey::OpenId(openid),
        _ => {
            return Err(ProductApiError::BadRequest(
                "buyer (one of user_id or openid, at most 64 bytes)",
            ))
        }
    };
    Ok(users::find(&context.db, key).await?.user.id)
}

/// The checkout as the API answers it, given its order (if it has one yet).
fn answer_of(
    context: &AppContext,
    checkout: &CheckoutRow,
    order: Option<&OrderRow>,
) -> CheckoutAnswer {
    let mut url = context.settings.app_url.clone();
    url.set_path(&format!("/checkout/{}", checkout.id));
    CheckoutAnswer {
        id: checkout.id.clone(),
        url: url.to_string(),
        status: status_of(checkout, order, now()),
        total_fen: checkout.total_fen,
        description: checkout.description.clone(),
        line_items: checkout.line_items.clone(),
        buyer_id: checkout.buyer_id.clone(),
        order_id: checkout.order_id.clone(),
        success_url: checkout.success_url.clone().unwrap_or_default(),
        cancel_url: checkout.cancel_url.clone(),
        metadata: checkout
            .metadata
            .as_deref()
            .and_then(|text| serde_json::from_str(text).ok()),
        created_at: checkout.created_at,
        expires_at: checkout.expires_at,
    }
}

/// Where `checkout` is at `now`, from its order.
fn status_of(checkout: &CheckoutRow, order: Option<&OrderRow>, now: i64) -> CheckoutStatus {
    let open_until = |expires_at: i64| {
        if expires_at > now {
            CheckoutStatus::Open
        } else {
            CheckoutStatus::Expired
        }
    };
    match order {
        None => open_until(checkout.expires_at),
        Some(order) => match order.status {
            OrderStatus::Created | OrderStatus::Paying => open_until(order.expires_at),
            OrderStatus::Paid => CheckoutStatus::Paid,
            OrderStatus::PartiallyRefunded => CheckoutStatus::PartiallyRefunded,
            OrderStatus::Refunded => CheckoutStatus::Refunded,
            OrderStatus::Closed => CheckoutStatus::Expired,
        },
    }
}

fn json(answer: &impl Serialize) -> Result<String, ProductApiError> {
    serde_json::to_string(answer).map_err(|error| ProductApiError::Internal(Cause::new(error)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(name: &str, unit_fen: i64, quantity: i64) -> NewLineItem {
        NewLineItem {
            name: name.to_owned(),
            unit_fen: Fen::new(unit_fen),
            quantity,
            product_id: None,
            goods: None,
        }
    }

    fn refused(items: Vec<NewLineItem>) -> bool {
        lines_of(items).is_err()
    }

    #[test]
    fn lines_are_named_numbered_and_bounded() {
        let lines = lines_of(vec![item(" Tea ", 1250, 2), item("Cup", 99, 1)]).expect("lines");
        assert_eq!(lines[0].name, "Tea");
        assert_eq!(lines[0].product_id, "line-1");
        assert_eq!(lines[1].product_id, "line-2");
        assert_eq!(lines[1].goods, Goods::Virtual);
        assert!(refused(Vec::new()));
        assert!(refused((0..51).map(|_| item("x", 1, 1)).collect()));
        assert!(refused(vec![item("", 1, 1)]));
        assert!(refused(vec![item(&"茶".repeat(128), 1, 1)]));
        assert!(refused(vec![item("a\nb", 1, 1)]));
        assert!(refused(vec![item("x", 0, 1)]));
        assert!(refused(vec![item("x", -5, 1)]));
        assert!(refused(vec![item("x", 1, 0)]));
        assert!(refused(vec![item("x", 1, 10_000)]));
        let mut twice = vec![item("a", 1, 1), item("b", 1, 1)];
        twice[0].product_id = Some("line-2".to_owned());
        assert!(refused(twice), "product ids are unique");
    }

    #[test]
    fn urls_are_absolute_http_and_metadata_a_small_object() {
        let absolute = |url: &str| absolute_url(url.to_owned(), "url").is_ok();
        assert!(absolute("https://shop.example/thanks?o=1"));
        assert!(absolute("http://127.0.0.1:8080/thanks"));
        assert!(!absolute("/thanks"));
        assert!(!absolute("javascript:alert(1)"));
        assert!(!absolute("mailto:a@shop.example"));
        assert!(!absolute(&format!(
            "https://a.example/{}",
            "x".repeat(2048)
        )));
        assert!(metadata_text(serde_json::json!({ "cart": "c-1" })).is_ok());
        assert!(metadata_text(serde_json::json!(["not", "an object"])).is_err());
        assert!(metadata_text(serde_json::json!({ "big": "x".repeat(4096) })).is_err());
    }

    #[test]
    fn the_status_follows_the_order_and_the_clock() {
        let checkout = new_checkout(
            lines_of(vec![item("Tea", 100, 1)]).expect("lines"),
            None,
            None,
            1_000,
        )
        .expect("checkout");
        assert_eq!(status_of(&checkout, None, 999), CheckoutStatus::Open);
        assert_eq!(status_of(&checkout, None, 1_000), CheckoutStatus::Expired);
    }
}
