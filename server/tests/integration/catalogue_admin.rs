//! The admin's catalogue, through the server functions the admin page calls: an admin adds, changes (price, kind of
//! goods) and takes products off sale; anyone else is refused; bad input is refused; and an order keeps the price it was made at.

use serde_json::{json, Value};

use crate::support::{on_both_backends, TestDatabase, Wxgate};

on_both_backends! {
    an_admin_edits_the_catalogue_and_orders_keep_their_price => an_admin_edits_the_catalogue_and_orders_keep_their_price;
}

async fn price_of(server: &Wxgate, id: &str) -> Option<i64> {
    product(server, id)
        .await
        .map(|product| product["price_fen"].as_i64().expect("price"))
}

/// The product `id` as `GET /api/products` lists it.
async fn product(server: &Wxgate, id: &str) -> Option<Value> {
    let products: Value = reqwest::get(server.url("/api/products"))
        .await
        .expect("products")
        .json()
        .await
        .expect("json");
    products
        .as_array()
        .expect("list")
        .iter()
        .find(|product| product["id"] == id)
        .cloned()
}

async fn an_admin_edits_the_catalogue_and_orders_keep_their_price(database: TestDatabase) {
    // No WXGATE_ADMINS: in sandbox mode 老王 is the admin.
    let server = Wxgate::start(&database, &[]).await;
    let admin = server.mini_program_login("laowang").await;
    let buyer = server.mini_program_login("xiaohong").await;
    let tea = [
        ("id", "white-tea"),
        ("name", "白毫银针 50g"),
        ("description", "福鼎白茶。"),
        ("price_fen", "9900"),
        ("goods", "physical"),
    ];

    let (status, refused) = server.server_fn(&buyer, "save_product", &tea).await;
    assert_ne!(status, 200);
    assert_eq!(refused, json!({ "Shop": "Forbidden" }));
    assert_eq!(price_of(&server, "white-tea").await, None);

    let (status, saved) = server.server_fn(&admin, "save_product", &tea).await;
    assert_eq!(status, 200, "{saved}");
    assert_eq!(price_of(&server, "white-tea").await, Some(9900));

    let order = server.mini_program_order(&buyer, "white-tea").await;
    let order_id = order["order_id"].as_str().expect("order id").to_owned();

    let cheaper = [
        ("id", "white-tea"),
        ("name", "白毫银针 50g"),
        ("description", "福鼎白茶。"),
        ("price_fen", "8800"),
        ("goods", "virtual"),
    ];
    let (status, _) = server.server_fn(&admin, "save_product", &cheaper).await;
    assert_eq!(status, 200);
    assert_eq!(price_of(&server, "white-tea").await, Some(8800));
    assert_eq!(
        product(&server, "white-tea").await.expect("on sale")["goods"],
        "virtual",
        "the kind of goods changes too"
    );
    let (_, kept) = server.order(&buyer, &order_id).await;
    assert_eq!(
        kept["total_fen"], 9900,
        "the order keeps the price it was made at"
    );

    for (field, value) in [("price_fen", "0"), ("id", "White Tea"), ("name", "")] {
        let mut bad = cheaper;
        bad.iter_mut()
            .find(|(name, _)| *name == field)
            .expect("field")
            .1 = value;
        let (status, refused) = server.server_fn(&admin, "save_product", &bad).await;
        assert_ne!(status, 200, "{field}={value}");
        assert_eq!(refused, json!({ "Shop": "BadInput" }), "{field}={value}");
    }

    let (status, _) = server
        .server_fn(&admin, "retire_product", &[("id", "white-tea")])
        .await;
    assert_eq!(status, 200);
    assert_eq!(price_of(&server, "white-tea").await, None);
    let (_, gone) = server
        .api(
            &buyer,
            reqwest::Method::POST,
            "/api/payments/miniprogram/create",
            Some(json!({ "product_id": "white-tea" })),
        )
        .await;
    assert_eq!(gone["error"]["code"], "unknown_product");
    let (_, overview) = server.server_fn(&admin, "admin", &[]).await;
    assert!(overview["orders"]
        .as_array()
        .expect("orders")
        .iter()
        .any(|order| order["order_id"] == order_id.as_str()));
}
