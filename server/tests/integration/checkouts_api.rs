//! Checkouts made by a product's backend with an API key (issue #15): priced by wxgate from their line items,
//! opened by the buyer through the hosted `/checkout/{id}` page or by the mini program's `pay({checkout_id})`, paid
//! on each surface through the sandbox, each `order.paid` received and verified by the example backend (which then
//! refunds), every POST idempotent under its `Idempotency-Key`, a revoked key refused, and one buyer unable to see
//! or pay another's checkout.

use reqwest::header::{LOCATION, USER_AGENT};
use reqwest::Method;
use serde_json::{json, Value};

use crate::checkout_surfaces::official_account_login;
use crate::product_api::create_key;
use crate::support::example_backend::{ExampleBackend, EVENTS_SECRET};
use crate::support::{on_both_backends, run_to_exit, TestDatabase, Wxgate};

on_both_backends! {
    the_example_backend_sells_through_a_checkout_paid_in_the_mini_program_and_refunds => the_example_backend_sells_through_a_checkout_paid_in_the_mini_program_and_refunds;
    the_checkout_page_signs_the_buyer_in_and_pays_on_a_desktop_a_phone_and_in_wechat => the_checkout_page_signs_the_buyer_in_and_pays_on_a_desktop_a_phone_and_in_wechat;
    every_post_is_idempotent_and_bad_checkouts_are_refused => every_post_is_idempotent_and_bad_checkouts_are_refused;
}

const DESKTOP_UA: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0 Safari/537.36";
const PHONE_UA: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1";
const ALL_SCOPES: [&str; 4] = [
    "checkouts:write",
    "checkouts:read",
    "refunds:write",
    "users:read",
];

/// A POST of the product's backend: `key` as its bearer, `idempotency_key` if given.
async fn post(
    server: &Wxgate,
    key: &str,
    path: &str,
    idempotency_key: Option<&str>,
    body: &Value,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(server.url(path))
        .bearer_auth(key)
        .json(body);
    if let Some(idempotency_key) = idempotency_key {
        request = request.header("Idempotency-Key", idempotency_key);
    }
    let response = request.send().await.expect("post");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

fn code(body: &Value) -> Option<&str> {
    body["error"]["code"].as_str()
}

fn tea_and_cup() -> Value {
    json!({
        "line_items": [
            { "name": "Tea", "unit_fen": 1250, "quantity": 2, "product_id": "tea" },
            { "name": "Cup", "unit_fen": 99, "quantity": 1, "goods": "physical" },
        ],
        "success_url": "https://shop.example/thanks",
    })
}

/// wxgate with its events going to the example backend, which calls it with API key `key`; and the backend's URL.
async fn with_example_backend(
    database: &TestDatabase,
    key: &str,
) -> (Wxgate, ExampleBackend, String) {
    let (listener, backend_url) = ExampleBackend::listener().await;
    let events_url = ExampleBackend::events_url(&backend_url);
    let server = Wxgate::start(
        database,
        &[
            ("WXGATE_EVENTS_URL", &events_url),
            ("WXGATE_EVENTS_SECRET", EVENTS_SECRET),
            ("WXGATE_EVENTS_SCHEDULE", "0,1"),
        ],
    )
    .await;
    let backend = ExampleBackend::serve(listener, &server.base_url, key);
    (server, backend, backend_url)
}

async fn the_example_backend_sells_through_a_checkout_paid_in_the_mini_program_and_refunds(
    database: TestDatabase,
) {
    let (_, key) = create_key(&database, "example backend", &ALL_SCOPES);
    let (server, backend, backend_url) = with_example_backend(&database, &key).await;
    let token = server.mini_program_login("xiaoming").await;
    let (_, me) = server.api(&token, Method::GET, "/api/me", None).await;
    let user_id = me["user_id"].as_str().expect("user_id");

    // The backend sells two lines to the person signed in to its mini program; wxgate prices them.
    let bought = reqwest::Client::new()
        .post(format!("{backend_url}/buy"))
        .json(&json!({
            "user_id": user_id,
            "items": [
                { "name": "Tea", "unit_fen": 1250, "quantity": 2 },
                { "name": "Cup", "unit_fen": 99, "quantity": 1 },
            ],
            "metadata": { "cart": "c-42" },
        }))
        .send()
        .await
        .expect("buy");
    assert_eq!(bought.status(), 201);
    let checkout: Value = bought.json().await.expect("json");
    let checkout_id = checkout["id"].as_str().expect("id").to_owned();
    assert_eq!(checkout["status"], "open");
    assert_eq!(checkout["total_fen"], 2599);
    assert_eq!(checkout["buyer_id"], user_id);
    assert_eq!(checkout["description"], "Tea × 2 +1");
    assert_eq!(checkout["line_items"][1]["product_id"], "line-2");
    assert_eq!(
        checkout["url"],
        server.url(&format!("/checkout/{checkout_id}"))
    );

    // Another person cannot pay it; its buyer pays it in the mini program with the kit's pay({checkout_id}).
    let stranger = server.mini_program_login("xiaohong").await;
    let pay = json!({ "checkout_id": checkout_id });
    let (status, refused) = server
        .api(
            &stranger,
            Method::POST,
            "/api/payments/miniprogram/create",
            Some(pay.clone()),
        )
        .await;
    assert_eq!((status, code(&refused)), (404, Some("unknown_checkout")));
    let (status, created) = server
        .api(
            &token,
            Method::POST,
            "/api/payments/miniprogram/create",
            Some(pay),
        )
        .await;
    assert_eq!(status, 200, "{created}");
    assert!(created["paySign"].is_string(), "{created}");
    let order_id = created["order_id"].as_str().expect("order_id");
    server
        .sandbox_pays(created["out_trade_no"].as_str().expect("out_trade_no"))
        .await;

    // The backend hears of it from a verified order.paid carrying its checkout and metadata.
    let paid = backend.until_paid(&checkout_id).await;
    assert_eq!(paid["order_id"], order_id);
    assert_eq!(paid["user_id"], user_id);
    assert_eq!(paid["total_fen"], 2599);
    assert_eq!(paid["metadata"]["cart"], "c-42");
    assert_eq!(paid["items"][0]["product_id"], "line-1");
    let (status, read) = server
        .api(
            &key,
            Method::GET,
            &format!("/api/v1/checkouts/{checkout_id}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{read}");
    assert_eq!(
        (read["status"].as_str(), read["order_id"].as_str()),
        (Some("paid"), Some(order_id))
    );
    assert_eq!(read["metadata"]["cart"], "c-42");

    // The backend refunds part, then (asked again after a lost answer) the same refund, then the rest.
    let refund = |refund_fen: Option<i64>| {
        let url = format!("{backend_url}/refund/{checkout_id}");
        async move {
            let body = match refund_fen {
                Some(fen) => json!({ "refund_fen": fen, "reason": "one cup broke" }),
                None => json!({}),
            };
            let response = reqwest::Client::new()
                .post(url)
                .json(&body)
                .send()
                .await
                .expect("refund");
            let status = response.status().as_u16();
            (status, response.json::<Value>().await.expect("json"))
        }
    };
    let (status, first) = refund(Some(99)).await;
    assert_eq!(status, 200, "{first}");
    assert_eq!(first["refund_fen"], 99);
    let (_, again) = refund(Some(99)).await;
    assert_eq!(again["out_refund_no"], first["out_refund_no"]);
    let (status, rest) = refund(None).await;
    assert_eq!(status, 200, "{rest}");
    assert_eq!(rest["refund_fen"], 2500, "all that is left");
    assert_ne!(rest["out_refund_no"], first["out_refund_no"]);
    let db = database.connect().await;
    let refunds = db.refunds_of(order_id).await.expect("refunds");
    assert_eq!(refunds.len(), 2, "{refunds:?}");

    // A revoked key is refused.
    let (key_id, revoked) = create_key(&database, "old backend", &ALL_SCOPES);
    assert!(run_to_exit(&database, &["keys", "revoke", &key_id], &[])
        .status
        .success());
    let (status, body) = post(
        &server,
        &revoked,
        "/api/v1/checkouts",
        Some("after-revoke"),
        &tea_and_cup(),
    )
    .await;
    assert_eq!((status, code(&body)), (401, Some("invalid_api_key")));
}

/// `GET /checkout/{id}` from a desktop, as `token`'s session (none when empty): where it sends the browser.
async fn open_checkout(token: &str, checkout_url: &str) -> String {
    let mut request = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(checkout_url)
        .header(USER_AGENT, DESKTOP_UA);
    if !token.is_empty() {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.expect("checkout page");
    assert_eq!(response.status(), 303, "{checkout_url}");
    response.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_owned()
}

/// `POST /api/payments/create` as `token`'s browser with `user_agent`: how it pays there.
async fn pay_in_browser(server: &Wxgate, token: &str, user_agent: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(server.url("/api/payments/create"))
        .bearer_auth(token)
        .header(USER_AGENT, user_agent)
        .json(&body)
        .send()
        .await
        .expect("create")
        .json()
        .await
        .expect("json")
}

async fn the_checkout_page_signs_the_buyer_in_and_pays_on_a_desktop_a_phone_and_in_wechat(
    database: TestDatabase,
) {
    let (_, key) = create_key(&database, "shop", &ALL_SCOPES);
    // The example backend hears of each payment, verified, whatever the surface.
    let (server, backend, _) = with_example_backend(&database, &key).await;
    let paid_event = |checkout: &Value, order_id: &Value| {
        let (checkout_id, order_id) = (checkout["id"].clone(), order_id.clone());
        let backend = &backend;
        async move {
            let paid = backend.until_paid(checkout_id.as_str().expect("id")).await;
            assert_eq!(paid["order_id"], order_id);
            assert_eq!(paid["total_fen"], 2599);
        }
    };
    let new_checkout = |idempotency_key: &'static str| {
        let server = &server;
        let key = key.clone();
        async move {
            let (status, checkout) = post(
                server,
                &key,
                "/api/v1/checkouts",
                Some(idempotency_key),
                &tea_and_cup(),
            )
            .await;
            assert_eq!(status, 201, "{checkout}");
            checkout
        }
    };

    // A desktop: not signed in, the page sends the buyer to the login and back; signed in, to the order's page,
    // where the QR is paid; the order's page then knows where to send the buyer back to.
    let checkout = new_checkout("desktop").await;
    let url = checkout["url"].as_str().expect("url");
    let checkout_path = format!("/checkout/{}", checkout["id"].as_str().expect("id"));
    let login = open_checkout("", url).await;
    assert_eq!(
        login,
        format!("/login?next={}", checkout_path.replace('/', "%2F"))
    );
    let token = server.mini_program_login("xiaoming").await;
    let order_page = open_checkout(&token, url).await;
    let order_id = order_page
        .strip_prefix("/orders/")
        .expect("the order's page")
        .to_owned();
    assert_eq!(
        open_checkout(&token, url).await,
        order_page,
        "the same order each time"
    );
    let stranger = server.mini_program_login("xiaohong").await;
    let refused = reqwest::Client::new()
        .get(url)
        .bearer_auth(&stranger)
        .send()
        .await
        .expect("page");
    assert_eq!(refused.status(), 404, "another buyer's checkout is unknown");
    let native = pay_in_browser(&server, &token, DESKTOP_UA, json!({ "order_id": order_id })).await;
    assert!(native["code_url"].is_string(), "{native}");
    server
        .sandbox_pays(native["out_trade_no"].as_str().expect("out_trade_no"))
        .await;
    let order = server.until_order_status(&token, &order_id, "PAID").await;
    assert_eq!(order["success_url"], "https://shop.example/thanks");
    assert_eq!(order["total_fen"], 2599);
    paid_event(&checkout, &json!(order_id)).await;

    // A phone browser, given the checkout id: WeChat Pay's H5 page.
    let checkout = new_checkout("phone").await;
    let phone = pay_in_browser(
        &server,
        &token,
        PHONE_UA,
        json!({ "checkout_id": checkout["id"] }),
    )
    .await;
    assert!(phone["h5_url"].is_string(), "{phone}");
    server
        .sandbox_pays(phone["out_trade_no"].as_str().expect("out_trade_no"))
        .await;
    server
        .until_order_status(&token, phone["order_id"].as_str().expect("id"), "PAID")
        .await;
    paid_event(&checkout, &phone["order_id"]).await;

    // The WeChat browser, signed in through the official account: the pay bridge's parameters.
    let checkout = new_checkout("wechat").await;
    let browser = official_account_login(&server).await;
    let opened = browser.get(checkout["url"].as_str().expect("url")).await;
    assert_eq!(opened.status(), 303);
    let wechat = browser
        .post_json(
            &server.url("/api/payments/create"),
            &json!({ "checkout_id": checkout["id"] }),
        )
        .await
        .json::<Value>()
        .await
        .expect("json");
    assert!(wechat["jsapi"]["paySign"].is_string(), "{wechat}");
    server
        .sandbox_pays(wechat["out_trade_no"].as_str().expect("out_trade_no"))
        .await;
    let (status, read) = server
        .api(
            &key,
            Method::GET,
            &format!("/api/v1/checkouts/{}", checkout["id"].as_str().expect("id")),
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(read["order_id"], wechat["order_id"]);
    paid_event(&checkout, &wechat["order_id"]).await;
}

async fn stored_checkouts(db: &app::ssr::db::Database) -> i64 {
    let (count,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM checkouts")
        .fetch_one(db.pool())
        .await
        .expect("count");
    count
}

async fn every_post_is_idempotent_and_bad_checkouts_are_refused(database: TestDatabase) {
    let (_, key) = create_key(&database, "shop", &ALL_SCOPES);
    let (_, reader) = create_key(&database, "reader", &["checkouts:read"]);
    let server = Wxgate::start(&database, &[]).await;

    let (status, first) = post(
        &server,
        &key,
        "/api/v1/checkouts",
        Some("k-1"),
        &tea_and_cup(),
    )
    .await;
    assert_eq!(status, 201, "{first}");
    let (status, retried) = post(
        &server,
        &key,
        "/api/v1/checkouts",
        Some("k-1"),
        &tea_and_cup(),
    )
    .await;
    assert_eq!(status, 201);
    assert_eq!(retried, first, "a retry gets the first answer");
    let mut other = tea_and_cup();
    other["line_items"][0]["quantity"] = json!(3);
    let (status, body) = post(&server, &key, "/api/v1/checkouts", Some("k-1"), &other).await;
    assert_eq!((status, code(&body)), (422, Some("idempotency_key_reused")));
    let (status, body) = post(&server, &key, "/api/v1/checkouts", None, &tea_and_cup()).await;
    assert_eq!((status, code(&body)), (400, Some("bad_request")));
    let (status, second) = post(&server, &key, "/api/v1/checkouts", Some("k-2"), &other).await;
    assert_eq!(status, 201);
    assert_eq!(second["total_fen"], 3 * 1250 + 99);
    let db = database.connect().await;
    assert_eq!(stored_checkouts(&db).await, 2, "the retry made nothing");

    // Scopes: a reader reads but cannot make or refund.
    let (status, _) = post(
        &server,
        &reader,
        "/api/v1/checkouts",
        Some("r-1"),
        &tea_and_cup(),
    )
    .await;
    assert_eq!(status, 403);
    let path = format!("/api/v1/checkouts/{}", first["id"].as_str().expect("id"));
    let (status, read) = server.api(&reader, Method::GET, &path, None).await;
    assert_eq!((status, read["status"].as_str()), (200, Some("open")));
    let (status, _) = post(
        &server,
        &reader,
        &format!("{path}/refunds"),
        Some("r-2"),
        &json!({}),
    )
    .await;
    assert_eq!(status, 403);
    let (status, body) = post(
        &server,
        &key,
        &format!("{path}/refunds"),
        Some("r-3"),
        &json!({}),
    )
    .await;
    assert_eq!(
        (status, code(&body)),
        (409, Some("not_refundable")),
        "an unpaid checkout"
    );
    let (status, body) = post(
        &server,
        &key,
        &format!("{path}/refunds"),
        Some("r-4"),
        &json!({ "reason": "退".repeat(81) }),
    )
    .await;
    assert_eq!(
        (status, code(&body)),
        (400, Some("bad_request")),
        "a reason past 80 characters"
    );
    let (status, body) = server
        .api(&key, Method::GET, "/api/v1/checkouts/nope", None)
        .await;
    assert_eq!((status, code(&body)), (404, Some("unknown_checkout")));

    // Bounds: every refusal is a 400 naming what is wrong, and nothing is stored.
    let with = |change: &dyn Fn(&mut Value)| {
        let mut body = tea_and_cup();
        change(&mut body);
        body
    };
    let refused = [
        with(&|body| body["line_items"] = json!([])),
        with(&|body| body["line_items"][0]["unit_fen"] = json!(0)),
        with(&|body| body["line_items"][0]["unit_fen"] = json!(-100)),
        with(&|body| body["line_items"][0]["quantity"] = json!(10_000)),
        with(&|body| body["line_items"][0]["unit_fen"] = json!(i64::MAX)),
        with(&|body| body["line_items"][0]["unit_fen"] = json!(2_000_000_000)),
        with(&|body| body["line_items"][0]["name"] = json!("")),
        with(&|body| body["line_items"][1]["product_id"] = json!("tea")),
        with(&|body| body["success_url"] = json!("/thanks")),
        with(&|body| body["success_url"] = json!("javascript:alert(1)")),
        with(&|body| body["metadata"] = json!("not an object")),
        with(&|body| body["metadata"] = json!({ "big": "x".repeat(5000) })),
        with(&|body| body["expires_in"] = json!(60)),
        with(&|body| body["buyer"] = json!({ "user_id": "u", "openid": "o" })),
        with(&|body| body["surprise"] = json!(true)),
    ];
    for (index, body) in refused.iter().enumerate() {
        let (status, answer) = post(
            &server,
            &key,
            "/api/v1/checkouts",
            Some(&format!("bad-{index}")),
            body,
        )
        .await;
        assert_eq!(
            (status, code(&answer)),
            (400, Some("bad_request")),
            "{body}: {answer}"
        );
    }
    let (status, answer) = post(
        &server,
        &key,
        "/api/v1/checkouts",
        Some("unknown-buyer"),
        &with(&|body| body["buyer"] = json!({ "openid": "o_nobody" })),
    )
    .await;
    assert_eq!((status, code(&answer)), (404, Some("unknown_user")));
    assert_eq!(
        stored_checkouts(&db).await,
        2,
        "no refused checkout was stored"
    );
}
