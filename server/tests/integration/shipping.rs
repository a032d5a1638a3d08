//! Shipping information for paid mini-program orders, end to end against the sandbox: virtual goods are reported
//! to WeChat at once, physical goods once an admin dispatches them (an express company from WeChat's list, the
//! tracking number, SF Express's receiver contact kept masked), a failed report is retried until it goes through,
//! and a mini program that is not trade-managed, or an order refunded in full first, needs no report. The order shows where its shipping stands.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{on_both_backends, TestDatabase, Wxgate};

on_both_backends! {
    virtual_goods_are_reported_at_once => virtual_goods_are_reported_at_once;
    physical_goods_are_reported_once_an_admin_dispatches_them => physical_goods_are_reported_once_an_admin_dispatches_them;
    a_failed_report_is_retried_until_it_goes_through => a_failed_report_is_retried_until_it_goes_through;
    a_mini_program_that_is_not_trade_managed_needs_no_report => a_mini_program_that_is_not_trade_managed_needs_no_report;
    an_order_refunded_in_full_before_it_went_out_is_not_reported => an_order_refunded_in_full_before_it_went_out_is_not_reported;
    details_corrected_while_an_upload_is_under_way_are_uploaded_next => details_corrected_while_an_upload_is_under_way_are_uploaded_next;
}

/// wxgate in sandbox mode, retrying a failed report after a second (then two, four, …).
async fn start(database: &TestDatabase) -> Wxgate {
    Wxgate::start(database, &[("WXGATE_SHIPPING_RETRY_SECONDS", "1")]).await
}

/// `buyer` buys one `product_id` in the mini program and the sandbox pays it; the order id once it is PAID.
async fn paid_order(server: &Wxgate, buyer: &str, product_id: &str) -> String {
    let created = server.mini_program_order(buyer, product_id).await;
    let order_id = created["order_id"].as_str().expect("order_id").to_owned();
    server
        .sandbox_pays(created["out_trade_no"].as_str().expect("out_trade_no"))
        .await;
    server.until_order_status(buyer, &order_id, "PAID").await;
    order_id
}

/// Asks for the order until its shipping is `state` (for up to fifteen seconds); the order.
async fn until_shipping(server: &Wxgate, token: &str, order_id: &str, state: &str) -> Value {
    let mut order = Value::Null;
    for _ in 0..150 {
        let (status, seen) = server.order(token, order_id).await;
        assert_eq!(status, 200, "{seen}");
        if seen["shipping"]["state"] == state {
            return seen;
        }
        order = seen;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the shipping of {order_id} never became {state}: {order}");
}

/// The admin page's dispatch form, sent as `token`: express company, tracking number, receiver's phone.
async fn dispatch(
    server: &Wxgate,
    token: &str,
    order_id: &str,
    (company, tracking_no, phone): (&str, &str, &str),
) -> (u16, Value) {
    server
        .server_fn(
            token,
            "dispatch_order",
            &[
                ("order_id", order_id),
                ("express_company", company),
                ("tracking_no", tracking_no),
                ("receiver_phone", phone),
            ],
        )
        .await
}

/// The order's shipment as stored.
async fn stored_shipment(database: &TestDatabase, order_id: &str) -> app::ssr::db::ShipmentRow {
    database
        .connect()
        .await
        .shipment(order_id)
        .await
        .expect("shipment")
        .expect("stored")
}

/// What the sandbox (as WeChat) holds of the order's payment and its shipping.
async fn wechat_view(server: &Wxgate, database: &TestDatabase, order_id: &str) -> Value {
    let order = database
        .connect()
        .await
        .order(order_id)
        .await
        .expect("order")
        .expect("stored");
    let transaction_id = order.transaction_id.expect("paid");
    server
        .control_get(&format!("/sandbox/shipping/{transaction_id}"))
        .await
}

async fn virtual_goods_are_reported_at_once(database: TestDatabase) {
    let server = start(&database).await;
    let buyer = server.mini_program_login("xiaohong").await;
    let order_id = paid_order(&server, &buyer, "one-fen").await;

    let order = until_shipping(&server, &buyer, &order_id, "UPLOADED").await;
    assert_eq!(order["shipping"]["goods"], "virtual");
    assert!(
        order["shipping"]["uploaded_at"].as_i64().is_some(),
        "{order}"
    );
    assert_eq!(order["shipping"]["tracking_no"], Value::Null);

    let wechat = wechat_view(&server, &database, &order_id).await;
    assert_eq!(
        wechat["order_state"], 2,
        "shipped, waiting for receipt: {wechat}"
    );
    assert_eq!(
        wechat["shipping"]["logistics_type"], 3,
        "virtual goods: {wechat}"
    );
    assert_eq!(wechat["shipping"]["goods_desc"], order["description"]);

    let stored = stored_shipment(&database, &order_id).await;
    assert_eq!(stored.attempts, 0, "it went through the first time");
    assert_eq!(stored.last_error, None);
}

async fn physical_goods_are_reported_once_an_admin_dispatches_them(database: TestDatabase) {
    let server = start(&database).await;
    // No WXGATE_ADMINS: in sandbox mode 老王 is the admin.
    let admin = server.mini_program_login("laowang").await;
    let buyer = server.mini_program_login("xiaohong").await;
    let order_id = paid_order(&server, &buyer, "mug").await;

    let (_, order) = server.order(&buyer, &order_id).await;
    assert_eq!(order["shipping"]["state"], "AWAITING_DISPATCH", "{order}");
    assert_eq!(order["shipping"]["goods"], "physical");
    let wechat = wechat_view(&server, &database, &order_id).await;
    assert_eq!(wechat["order_state"], 1, "waiting for shipping: {wechat}");

    let (status, overview) = server.server_fn(&admin, "admin", &[]).await;
    assert_eq!(status, 200, "{overview}");
    let listed = overview["shipments"]
        .as_array()
        .expect("shipments")
        .iter()
        .find(|shipment| shipment["order_id"] == order_id.as_str())
        .cloned()
        .expect("the admin page lists the order to dispatch");
    assert_eq!(listed["state"], "AWAITING_DISPATCH", "{listed}");

    let (status, companies) = server.server_fn(&admin, "express_companies", &[]).await;
    assert_eq!(status, 200, "{companies}");
    assert!(
        companies
            .as_array()
            .expect("companies")
            .iter()
            .any(|company| company["delivery_id"] == "SF" && company["name"] == "顺丰速运"),
        "{companies}"
    );

    let (status, refused) = dispatch(
        &server,
        &buyer,
        &order_id,
        ("SF", "SF1234567890", "13800138000"),
    )
    .await;
    assert_ne!(status, 200);
    assert_eq!(refused, json!({ "Shop": "Forbidden" }));
    let (status, dispatched) = dispatch(
        &server,
        &admin,
        &order_id,
        ("SF", "SF1234567890", "13800138000"),
    )
    .await;
    assert_eq!(status, 200, "{dispatched}");

    let order = until_shipping(&server, &buyer, &order_id, "UPLOADED").await;
    assert_eq!(order["shipping"]["express_company"], "顺丰速运");
    assert_eq!(order["shipping"]["tracking_no"], "SF1234567890");

    let wechat = wechat_view(&server, &database, &order_id).await;
    assert_eq!(wechat["order_state"], 2, "{wechat}");
    assert_eq!(wechat["shipping"]["logistics_type"], 1, "express: {wechat}");
    let parcel = &wechat["shipping"]["shipping_list"][0];
    assert_eq!(parcel["express_company"], "SF", "{wechat}");
    assert_eq!(parcel["tracking_no"], "SF1234567890");
    assert_eq!(
        parcel["contact"]["receiver_contact"], "138****8000",
        "the receiver's phone goes masked: {wechat}"
    );
    let stored = stored_shipment(&database, &order_id).await;
    assert_eq!(
        stored.receiver_contact.as_deref(),
        Some("138****8000"),
        "only the masked phone is kept"
    );

    // Reported: the form no longer changes it, and the admin page no longer lists it.
    let (status, refused) = dispatch(&server, &admin, &order_id, ("ZTO", "ZT0001", "")).await;
    assert_ne!(status, 200);
    assert_eq!(refused, json!({ "Shop": "NotShippable" }));
    let (_, overview) = server.server_fn(&admin, "admin", &[]).await;
    assert!(
        !overview["shipments"]
            .as_array()
            .expect("shipments")
            .iter()
            .any(|shipment| shipment["order_id"] == order_id.as_str()),
        "{overview}"
    );

    // The buyer confirms receipt in WeChat.
    let confirmed = server
        .control(
            &format!(
                "/sandbox/shipping/{}/confirm-receipt",
                wechat["transaction_id"].as_str().expect("transaction_id")
            ),
            json!({}),
        )
        .await;
    assert_eq!(confirmed["order_state"], 3, "{confirmed}");
}

async fn a_failed_report_is_retried_until_it_goes_through(database: TestDatabase) {
    let server = start(&database).await;
    let admin = server.mini_program_login("laowang").await;
    let buyer = server.mini_program_login("xiaohong").await;

    // A bad dispatch is refused before WeChat is told anything.
    let order_id = paid_order(&server, &buyer, "coffee-beans").await;
    for (company, tracking_no, phone) in [
        ("NOPE", "ZT0001", ""),
        ("SF", "SF0001", ""),
        ("ZTO", "no spaces please", ""),
        ("SF", "SF0001", "not a phone"),
    ] {
        let (status, refused) =
            dispatch(&server, &admin, &order_id, (company, tracking_no, phone)).await;
        assert_ne!(status, 200, "{company} {tracking_no} {phone:?}");
        assert_eq!(
            refused,
            json!({ "Shop": "BadInput" }),
            "{company} {tracking_no}"
        );
    }

    // WeChat refuses the next two calls (a frequency limit): the report fails twice, then goes through.
    let faults = server
        .control(
            "/sandbox/login/faults",
            json!({ "errcode": 45009, "fail_next": 2 }),
        )
        .await;
    assert_eq!(faults["fail_next"], 2, "{faults}");
    let (status, dispatched) = dispatch(&server, &admin, &order_id, ("ZTO", "ZT0001", "")).await;
    assert_eq!(status, 200, "{dispatched}");

    let order = until_shipping(&server, &buyer, &order_id, "UPLOADED").await;
    assert_eq!(order["shipping"]["tracking_no"], "ZT0001");
    let stored = stored_shipment(&database, &order_id).await;
    assert_eq!(
        stored.attempts, 2,
        "two failed tries before it went through"
    );
    assert_eq!(
        stored.last_error, None,
        "a report that went through keeps no error"
    );
    let wechat = wechat_view(&server, &database, &order_id).await;
    assert_eq!(
        wechat["shipping"]["shipping_list"][0]["tracking_no"],
        "ZT0001"
    );
    assert_eq!(
        server.control_get("/sandbox/login/faults").await["fail_next"],
        0
    );
}

async fn a_mini_program_that_is_not_trade_managed_needs_no_report(database: TestDatabase) {
    let server = start(&database).await;
    let buyer = server.mini_program_login("xiaohong").await;
    let appid = server.control_get("/sandbox").await["mp_appid"]
        .as_str()
        .expect("mp_appid")
        .to_owned();
    server
        .control(
            &format!("/sandbox/apps/{appid}/trade-managed"),
            json!({ "managed": false }),
        )
        .await;
    let order_id = paid_order(&server, &buyer, "one-fen").await;

    until_shipping(&server, &buyer, &order_id, "NOT_REQUIRED").await;
    let wechat = wechat_view(&server, &database, &order_id).await;
    assert_eq!(
        wechat["shipping"],
        Value::Null,
        "nothing was uploaded: {wechat}"
    );
}

async fn an_order_refunded_in_full_before_it_went_out_is_not_reported(database: TestDatabase) {
    let server = start(&database).await;
    let admin = server.mini_program_login("laowang").await;
    let buyer = server.mini_program_login("xiaohong").await;
    let order_id = paid_order(&server, &buyer, "mug").await;
    let (status, refund) = server
        .api(
            &admin,
            reqwest::Method::POST,
            &format!("/api/orders/{order_id}/refunds"),
            Some(json!({ "refund_fen": 3900, "request_id": "all" })),
        )
        .await;
    assert_eq!(status, 200, "{refund}");
    server
        .sandbox_settles_refund(refund["out_refund_no"].as_str().expect("out_refund_no"))
        .await;
    server
        .until_order_status(&buyer, &order_id, "REFUNDED")
        .await;

    // An admin who dispatches it anyway: WeChat is not told of goods that were paid back.
    let (status, dispatched) = dispatch(&server, &admin, &order_id, ("ZTO", "ZT0002", "")).await;
    assert_eq!(status, 200, "{dispatched}");
    until_shipping(&server, &buyer, &order_id, "NOT_REQUIRED").await;
    let wechat = wechat_view(&server, &database, &order_id).await;
    assert_eq!(
        wechat["shipping"],
        Value::Null,
        "nothing was uploaded: {wechat}"
    );
}

async fn details_corrected_while_an_upload_is_under_way_are_uploaded_next(database: TestDatabase) {
    let server = start(&database).await;
    let admin = server.mini_program_login("laowang").await;
    let buyer = server.mini_program_login("xiaohong").await;
    let order_id = paid_order(&server, &buyer, "mug").await;

    // WeChat answers slowly: the first upload is still under way when the admin corrects the tracking number.
    server
        .control("/sandbox/login/faults", json!({ "delay_ms": 1500 }))
        .await;
    let (status, _) = dispatch(&server, &admin, &order_id, ("ZTO", "ZT0001", "")).await;
    assert_eq!(status, 200);
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, corrected) = dispatch(&server, &admin, &order_id, ("ZTO", "ZT0009", "")).await;
    assert_eq!(status, 200, "{corrected}");
    server.control("/sandbox/login/faults", json!({})).await;

    let order = until_shipping(&server, &buyer, &order_id, "UPLOADED").await;
    assert_eq!(order["shipping"]["tracking_no"], "ZT0009");
    let wechat = wechat_view(&server, &database, &order_id).await;
    assert_eq!(
        wechat["shipping"]["shipping_list"][0]["tracking_no"], "ZT0009",
        "WeChat holds the corrected number, not the one whose upload was under way: {wechat}"
    );
}
