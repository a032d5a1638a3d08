//! The product catalogue: what is on sale, put in on the first start and edited by admins afterwards. A product
//! taken off sale is kept (inactive), so the orders that name it still read well.

use super::{Database, DbError};
use crate::types::money::Fen;
use crate::types::shipping::Goods;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProductRow {
    pub id: String,
    pub name: String,
    pub description: String,
    pub price_fen: Fen,
    pub goods: Goods,
}

impl sqlx::FromRow<'_, sqlx::any::AnyRow> for ProductRow {
    fn from_row(row: &sqlx::any::AnyRow) -> Result<Self, sqlx::Error> {
        use sqlx::Row;
        Ok(ProductRow {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            price_fen: Fen::new(row.try_get("price_fen")?),
            goods: parse_goods(row.try_get("goods")?)?,
        })
    }
}

/// Reads a stored `goods` column.
pub(super) fn parse_goods(text: String) -> Result<Goods, sqlx::Error> {
    Goods::parse(&text)
        .ok_or_else(|| sqlx::Error::Decode(format!("unknown kind of goods {text}").into()))
}

impl Database {
    /// Puts `products` in the catalogue when it is empty (the first start).
    pub async fn seed_products_if_empty(&self, products: &[ProductRow]) -> Result<(), DbError> {
        let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM products")
            .fetch_one(self.pool())
            .await?;
        if count > 0 {
            return Ok(());
        }
        for (position, product) in products.iter().enumerate() {
            sqlx::query(
                "INSERT INTO products (id, name, description, price_fen, goods, active, position) \
                 VALUES ($1, $2, $3, $4, $5, 1, $6) ON CONFLICT (id) DO NOTHING",
            )
            .bind(&product.id)
            .bind(&product.name)
            .bind(&product.description)
            .bind(product.price_fen.get())
            .bind(product.goods.as_str())
            .bind(i64::try_from(position).unwrap_or(i64::MAX))
            .execute(self.pool())
            .await?;
        }
        Ok(())
    }

    /// The products on sale, in catalogue order.
    pub async fn products(&self) -> Result<Vec<ProductRow>, DbError> {
        Ok(sqlx::query_as("SELECT id, name, description, price_fen, goods FROM products WHERE active = 1 ORDER BY position, id")
            .fetch_all(self.pool())
            .await?)
    }

    pub async fn product(&self, id: &str) -> Result<Option<ProductRow>, DbError> {
        Ok(sqlx::query_as(
            "SELECT id, name, description, price_fen, goods FROM products WHERE id = $1 AND active = 1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?)
    }

    /// Puts `product` on sale, or changes it if its id exists (bringing it back on sale if it was taken off).
    pub async fn save_product(&self, product: &ProductRow) -> Result<(), DbError> {
        sqlx::query(
            "INSERT INTO products (id, name, description, price_fen, goods, active, position) \
             VALUES ($1, $2, $3, $4, $5, 1, (SELECT COALESCE(MAX(position), 0) + 1 FROM products)) \
             ON CONFLICT (id) DO UPDATE SET name = excluded.name, description = excluded.description, \
             price_fen = excluded.price_fen, goods = excluded.goods, active = 1",
        )
        .bind(&product.id)
        .bind(&product.name)
        .bind(&product.description)
        .bind(product.price_fen.get())
        .bind(product.goods.as_str())
        .execute(self.pool())
        .await?;
        Ok(())
    }

    /// Takes a product off sale; true when it was on sale.
    pub async fn retire_product(&self, id: &str) -> Result<bool, DbError> {
        let changed = sqlx::query("UPDATE products SET active = 0 WHERE id = $1 AND active = 1")
            .bind(id)
            .execute(self.pool())
            .await?
            .rows_affected();
        Ok(changed == 1)
    }
}
