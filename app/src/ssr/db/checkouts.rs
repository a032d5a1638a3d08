//! Checkouts: stored, read, and made into their order once — the order, its items and the checkout's link to it
//! written together, only while the checkout has no order and its buyer is still the one the caller checked.

use serde::{Deserialize, Serialize};

use super::idempotency::AnswerToRemember;
use super::{Database, DbError};
use crate::ssr::clock::now;
use crate::types::money::Fen;
use crate::types::shipping::Goods;
use crate::types::status::OrderStatus;

/// One line of a checkout, validated and priced: what its order's items are.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CheckoutLine {
    /// The product's own id for what is sold (a catalogue product's id, or `line-N` when the product gave none),
    /// unique within the checkout.
    pub product_id: String,
    pub name: String,
    pub unit_fen: Fen,
    pub quantity: i64,
    pub goods: Goods,
}

/// A checkout as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckoutRow {
    pub id: String,
    /// The API key that made it; `None` for the demo shop's own.
    pub api_key_id: Option<String>,
    /// What WeChat Pay shows the buyer (at most 127 characters).
    pub description: String,
    pub line_items: Vec<CheckoutLine>,
    pub total_fen: Fen,
    pub success_url: Option<String>,
    pub cancel_url: Option<String>,
    /// The product's JSON object, as text.
    pub metadata: Option<String>,
    pub buyer_id: Option<String>,
    pub order_id: Option<String>,
    pub created_at: i64,
    pub expires_at: i64,
}

const CHECKOUT_COLUMNS: &str =
    "id, api_key_id, description, line_items, total_fen, success_url, cancel_url, \
     metadata, buyer_id, order_id, created_at, expires_at";

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for CheckoutRow {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        let line_items: String = row.try_get("line_items")?;
        Ok(CheckoutRow {
            id: row.try_get("id")?,
            api_key_id: row.try_get("api_key_id")?,
            description: row.try_get("description")?,
            line_items: serde_json::from_str(&line_items)
                .map_err(|error| sqlx::Error::Decode(Box::new(error)))?,
            total_fen: Fen::new(row.try_get("total_fen")?),
            success_url: row.try_get("success_url")?,
            cancel_url: row.try_get("cancel_url")?,
            metadata: row.try_get("metadata")?,
            buyer_id: row.try_get("buyer_id")?,
            order_id: row.try_get("order_id")?,
            created_at: row.try_get("created_at")?,
            expires_at: row.try_get("expires_at")?,
        })
    }
}

/// The order a checkout becomes: its ids and how long it can be paid.
#[derive(Debug, Clone)]
pub struct CheckoutOrder<'a> {
    pub order_id: &'a str,
    pub out_trade_no: &'a str,
    pub buyer_id: &'a str,
    pub expires_at: i64,
}

impl Database {
    /// Stores `checkout`, without an order yet, and with it the answer to `remember` for the request that made it,
    /// in one transaction. False, with nothing written, when an answer for that request's key is stored already.
    pub async fn create_checkout(
        &self,
        checkout: &CheckoutRow,
        remember: Option<&AnswerToRemember<'_>>,
    ) -> Result<bool, DbError> {
        let line_items = serde_json::to_string(&checkout.line_items)
            .map_err(|error| DbError::Query(sqlx::Error::Encode(Box::new(error))))?;
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        if let Some(answer) = remember {
            if !answer.insert(&mut tx).await? {
                tx.rollback().await?;
                return Ok(false);
            }
        }
        sqlx::query(
            "INSERT INTO checkouts (id, api_key_id, description, line_items, total_fen, success_url, cancel_url, \
             metadata, buyer_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
        )
        .bind(&checkout.id)
        .bind(&checkout.api_key_id)
        .bind(&checkout.description)
        .bind(line_items)
        .bind(checkout.total_fen.get())
        .bind(&checkout.success_url)
        .bind(&checkout.cancel_url)
        .bind(&checkout.metadata)
        .bind(&checkout.buyer_id)
        .bind(checkout.created_at)
        .bind(checkout.expires_at)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(true)
    }

    pub async fn checkout(&self, id: &str) -> Result<Option<CheckoutRow>, DbError> {
        let query = format!("SELECT {CHECKOUT_COLUMNS} FROM checkouts WHERE id = $1");
        Ok(sqlx::query_as::<_, CheckoutRow>(&query)
            .bind(id)
            .fetch_optional(self.pool())
            .await?)
    }

    /// Makes `checkout` into its order (CREATED, its items the checkout's lines, its metadata the checkout's) for
    /// `order.buyer_id`, and links the two. False, with nothing written, when meanwhile the checkout got an order
    /// or a buyer other than the one it had when read: the caller reads it again.
    pub async fn order_checkout(
        &self,
        checkout: &CheckoutRow,
        order: &CheckoutOrder<'_>,
    ) -> Result<bool, DbError> {
        let now = now();
        let mut write = self.write().await?;
        let mut tx = write.begin().await?;
        sqlx::query(
            "INSERT INTO orders (id, user_id, out_trade_no, status, description, total_fen, metadata, checkout_id, \
             created_at, updated_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10)",
        )
        .bind(order.order_id)
        .bind(order.buyer_id)
        .bind(order.out_trade_no)
        .bind(OrderStatus::Created.as_str())
        .bind(&checkout.description)
        .bind(checkout.total_fen.get())
        .bind(&checkout.metadata)
        .bind(&checkout.id)
        .bind(now)
        .bind(order.expires_at)
        .execute(&mut *tx)
        .await?;
        for line in &checkout.line_items {
            sqlx::query(
                "INSERT INTO order_items (order_id, product_id, name, unit_price_fen, quantity, goods) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(order.order_id)
            .bind(&line.product_id)
            .bind(&line.name)
            .bind(line.unit_fen.get())
            .bind(line.quantity)
            .bind(line.goods.as_str())
            .execute(&mut *tx)
            .await?;
        }
        // The buyer the caller saw: none (the checkout is anyone's until opened), or the one it named.
        let linked = sqlx::query(
            "UPDATE checkouts SET order_id = $1, buyer_id = $2 \
             WHERE id = $3 AND order_id IS NULL AND buyer_id IS NOT DISTINCT FROM $4",
        )
        .bind(order.order_id)
        .bind(order.buyer_id)
        .bind(&checkout.id)
        .bind(checkout.buyer_id.as_deref())
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if linked {
            tx.commit().await?;
        } else {
            tx.rollback().await?;
        }
        Ok(linked)
    }
}
