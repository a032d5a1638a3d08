//! The product catalogue: a few products put in on the first start, then whatever the database holds.

use super::PaymentError;
use crate::ssr::context::AppContext;
use crate::ssr::db::ProductRow;

/// What a new wxgate sells until an admin changes it: enough to try every surface, including a 1-fen product.
fn starter_catalogue() -> Vec<ProductRow> {
    let product = |id: &str, name: &str, description: &str, price_fen: i64| ProductRow {
        id: id.to_owned(),
        name: name.to_owned(),
        description: description.to_owned(),
        price_fen,
    };
    vec![
        product(
            "coffee-beans",
            "精品咖啡豆 250g",
            "云南保山小粒咖啡，中度烘焙。",
            6800,
        ),
        product("green-tea", "明前龙井 100g", "西湖产区，春茶。", 12800),
        product("mug", "wxgate 马克杯", "350ml 陶瓷杯。", 3900),
        product("one-fen", "一分钱测试商品", "用来试支付流程。", 1),
    ]
}

/// Puts the starter catalogue in an empty database.
pub async fn seed(context: &AppContext) -> Result<(), PaymentError> {
    Ok(context
        .db
        .seed_products_if_empty(&starter_catalogue())
        .await?)
}

pub async fn list(context: &AppContext) -> Result<Vec<ProductRow>, PaymentError> {
    Ok(context.db.products().await?)
}
