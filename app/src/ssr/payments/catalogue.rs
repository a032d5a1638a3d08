//! The product catalogue: a few products put in on the first start, then whatever admins make of it.

use super::access::is_admin;
use super::{views, PaymentError};
use crate::ssr::context::AppContext;
use crate::ssr::db::ProductRow;
use crate::types::money::Fen;
use crate::types::shipping::Goods;
use crate::types::shop::Product;

/// What a new wxgate sells until an admin changes it: enough to try every surface, including a 1-fen product, and
/// both kinds of goods (the 1-fen product is virtual, so its shipping is reported to WeChat at once).
fn starter_catalogue() -> Vec<ProductRow> {
    let product =
        |id: &str, name: &str, description: &str, price_fen: i64, goods: Goods| ProductRow {
            id: id.to_owned(),
            name: name.to_owned(),
            description: description.to_owned(),
            price_fen: Fen::new(price_fen),
            goods,
        };
    vec![
        product(
            "coffee-beans",
            "精品咖啡豆 250g",
            "云南保山小粒咖啡，中度烘焙。",
            6800,
            Goods::Physical,
        ),
        product(
            "green-tea",
            "明前龙井 100g",
            "西湖产区，春茶。",
            12800,
            Goods::Physical,
        ),
        product(
            "mug",
            "wxgate 马克杯",
            "350ml 陶瓷杯。",
            3900,
            Goods::Physical,
        ),
        product(
            "one-fen",
            "一分钱测试商品",
            "用来试支付流程。",
            1,
            Goods::Virtual,
        ),
    ]
}

/// Puts the starter catalogue in an empty database.
pub async fn seed(context: &AppContext) -> Result<(), PaymentError> {
    Ok(context
        .db
        .seed_products_if_empty(&starter_catalogue())
        .await?)
}

/// What is on sale, as pages and `GET /api/products` show it.
pub async fn list(context: &AppContext) -> Result<Vec<Product>, PaymentError> {
    let products = context.db.products().await?;
    Ok(products.into_iter().map(views::product).collect())
}

/// The longest product name: with " × 99" it still fits WeChat Pay's 127-byte description.
const MAX_NAME_CHARS: usize = 40;
const MAX_DESCRIPTION_CHARS: usize = 200;
/// A million yuan: far above anything this shop sells, far below what an i64 of fen could overflow to.
const MAX_PRICE: Fen = Fen::new(100_000_000);

/// Checks a product an admin wants to save: a short lowercase id, a name and a price in fen.
fn check(product: &ProductRow) -> Result<(), PaymentError> {
    let id_ok = (1..=32).contains(&product.id.len())
        && product
            .id
            .bytes()
            .all(|byte| byte.is_ascii_lowercase() || byte.is_ascii_digit() || byte == b'-');
    if !id_ok {
        return Err(PaymentError::BadRequest(
            "product id (1 to 32 of a-z, 0-9 and -)",
        ));
    }
    let name = product.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(PaymentError::BadRequest(
            "product name (1 to 40 characters)",
        ));
    }
    if product.description.chars().count() > MAX_DESCRIPTION_CHARS {
        return Err(PaymentError::BadRequest(
            "product description (at most 200 characters)",
        ));
    }
    if !(Fen::new(1)..=MAX_PRICE).contains(&product.price_fen) {
        return Err(PaymentError::BadRequest("price (1 fen to 1,000,000 yuan)"));
    }
    Ok(())
}

/// Puts a product on sale or changes it; admins only. Orders already made keep the price they were made at.
pub async fn save(
    context: &AppContext,
    admin: &str,
    product: ProductRow,
) -> Result<(), PaymentError> {
    if !is_admin(context, admin).await? {
        return Err(PaymentError::Forbidden);
    }
    let product = ProductRow {
        name: product.name.trim().to_owned(),
        description: product.description.trim().to_owned(),
        ..product
    };
    check(&product)?;
    Ok(context.db.save_product(&product).await?)
}

/// Takes a product off sale; admins only.
pub async fn retire(context: &AppContext, admin: &str, id: &str) -> Result<(), PaymentError> {
    if !is_admin(context, admin).await? {
        return Err(PaymentError::Forbidden);
    }
    if context.db.retire_product(id).await? {
        Ok(())
    } else {
        Err(PaymentError::UnknownProduct)
    }
}
