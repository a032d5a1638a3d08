//! The sandbox's mini-program shipping APIs over HTTP, as WeChat serves them: is_trade_managed, upload_shipping_info
//! with its validation (virtual and express goods, one change allowed, a repeat refused), get_order's order states,
//! the express companies' list, and the buyer confirming receipt through the control API.

use serde_json::{json, Value};

use crate::support::merchant::Merchant;

/// The sandbox's mini program's server access_token.
async fn access_token(merchant: &Merchant) -> String {
    let appid = merchant.sandbox.credential("mp_appid");
    let secret = merchant.sandbox.credential("mp_secret");
    merchant
        .sandbox
        .get_json(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid={appid}&secret={secret}"
        ))
        .await["access_token"]
        .as_str()
        .expect("access_token")
        .to_owned()
}

async fn post(merchant: &Merchant, path: &str, token: &str, body: Value) -> Value {
    reqwest::Client::new()
        .post(
            merchant
                .sandbox
                .url(&format!("{path}?access_token={token}")),
        )
        .json(&body)
        .send()
        .await
        .expect("call")
        .json()
        .await
        .expect("JSON")
}

/// A mini-program JSAPI order of `out_trade_no` for 小明, paid; its transaction id and 小明's openid.
async fn paid_order(merchant: &Merchant, out_trade_no: &str) -> (String, String) {
    let appid = merchant.sandbox.credential("mp_appid");
    let openid = merchant.sandbox.persona_openid("xiaoming", &appid).await;
    let body = json!({
        "appid": appid, "mchid": merchant.mchid(), "description": "会员月卡", "out_trade_no": out_trade_no,
        "notify_url": "http://127.0.0.1:9/notify", "amount": {"total": 100, "currency": "CNY"},
        "payer": {"openid": openid}
    });
    let placed = merchant
        .call("POST", "/v3/pay/transactions/jsapi", Some(&body))
        .await;
    assert_eq!(placed.status, 200, "{:?}", placed.json());
    let paid = merchant
        .control(
            &format!("/sandbox/pay/orders/{out_trade_no}/pay"),
            json!({}),
        )
        .await;
    (
        paid["transaction_id"]
            .as_str()
            .expect("transaction_id")
            .to_owned(),
        openid,
    )
}

fn shipping(transaction_id: &str, openid: &str, logistics_type: u64, item: Value) -> Value {
    shipping_at(transaction_id, openid, logistics_type, item, "10:00")
}

/// An upload made at `hh_mm` on 2 December 2026, Beijing time.
fn shipping_at(
    transaction_id: &str,
    openid: &str,
    logistics_type: u64,
    item: Value,
    hh_mm: &str,
) -> Value {
    json!({
        "order_key": {"order_number_type": 2, "transaction_id": transaction_id},
        "logistics_type": logistics_type, "delivery_mode": 1,
        "shipping_list": [item],
        "upload_time": format!("2026-12-02T{hh_mm}:00.000+08:00"),
        "payer": {"openid": openid}
    })
}

const UPLOAD: &str = "/wxa/sec/order/upload_shipping_info";

#[tokio::test]
async fn shipping_information_is_checked_and_moves_the_order_as_at_wechat() {
    let merchant = Merchant::start().await;
    let token = access_token(&merchant).await;
    let appid = merchant.sandbox.credential("mp_appid");
    let managed = post(
        &merchant,
        "/wxa/sec/order/is_trade_managed",
        &token,
        json!({"appid": appid}),
    )
    .await;
    assert_eq!(managed["is_trade_managed"], true, "{managed}");
    let companies = post(
        &merchant,
        "/cgi-bin/express/delivery/open_msg/get_delivery_list",
        &token,
        json!({}),
    )
    .await;
    assert!(companies["delivery_list"]
        .as_array()
        .is_some_and(|list| list.iter().any(|company| company["delivery_id"] == "SF")));

    let (transaction_id, openid) = paid_order(&merchant, "SHIP000001").await;
    let order = || {
        post(
            &merchant,
            "/wxa/sec/order/get_order",
            &token,
            json!({"transaction_id": transaction_id}),
        )
    };
    assert_eq!(
        order().await["order"]["order_state"],
        1,
        "paid, waiting for shipping"
    );

    // Refusals first: each leaves the order waiting.
    let virtual_goods = json!({"item_desc": "会员月卡"});
    let refused = |body: Value| post(&merchant, UPLOAD, &token, body);
    assert_eq!(
        refused(shipping(
            &transaction_id,
            &openid,
            3,
            json!({"item_desc": ""})
        ))
        .await["errcode"],
        10060008
    );
    assert_eq!(
        refused(shipping(&transaction_id, &openid, 9, virtual_goods.clone())).await["errcode"],
        10060005
    );
    assert_eq!(
        refused(shipping(
            &transaction_id,
            "oSomeoneElse",
            3,
            virtual_goods.clone()
        ))
        .await["errcode"],
        10060031
    );
    assert_eq!(
        refused(shipping(
            &transaction_id,
            &openid,
            1,
            json!({"item_desc": "杯子"})
        ))
        .await["errcode"],
        268485226,
        "express needs a tracking number"
    );
    assert_eq!(
        refused(shipping(
            &transaction_id,
            &openid,
            1,
            json!({"item_desc": "杯子", "tracking_no": "SF1", "express_company": "SF"})
        ))
        .await["errcode"],
        10060014,
        "SF Express needs the receiver's or the consignor's contact"
    );
    assert_eq!(
        refused(shipping(
            "4200000000000000000000000000",
            &openid,
            3,
            virtual_goods.clone()
        ))
        .await["errcode"],
        10060001
    );
    assert_eq!(order().await["order"]["order_state"], 1);

    // Virtual goods go out at once; the same information again changes nothing; one change is allowed.
    let uploaded = post(
        &merchant,
        UPLOAD,
        &token,
        shipping(&transaction_id, &openid, 3, virtual_goods.clone()),
    )
    .await;
    assert_eq!(uploaded["errcode"], 0, "{uploaded}");
    let shown = order().await;
    assert_eq!(shown["order"]["order_state"], 2, "{shown}");
    let shipped = &shown["order"]["shipping"];
    assert_eq!(shipped["logistics_type"], 3);
    assert_eq!(shipped["finish_shipping_count"], 1, "{shown}");
    assert_eq!(shipped["goods_desc"], "会员月卡");
    assert!(
        shipped["shipping_list"][0]["upload_time"].is_i64(),
        "{shown}"
    );
    assert_eq!(
        refused(shipping(&transaction_id, &openid, 3, virtual_goods.clone())).await["errcode"],
        10060023
    );
    let express =
        json!({"item_desc": "会员月卡", "tracking_no": "YT0001", "express_company": "YTO"});
    assert_eq!(
        refused(shipping(&transaction_id, &openid, 1, express.clone())).await["errcode"],
        10060014,
        "an update must be made later than the last upload"
    );
    assert_eq!(
        post(
            &merchant,
            UPLOAD,
            &token,
            shipping_at(&transaction_id, &openid, 1, express, "11:00")
        )
        .await["errcode"],
        0
    );
    assert_eq!(
        order().await["order"]["shipping"]["finish_shipping_count"],
        2,
        "re-shipped"
    );
    assert_eq!(
        refused(shipping_at(
            &transaction_id,
            &openid,
            3,
            json!({"item_desc": "再改"}),
            "12:00"
        ))
        .await["errcode"],
        10060003
    );

    // The buyer confirms receipt; nothing can be uploaded after.
    let confirmed = merchant
        .control(
            &format!("/sandbox/shipping/{transaction_id}/confirm-receipt"),
            json!({}),
        )
        .await;
    assert_eq!(confirmed["order_state"], 3);
    assert_eq!(order().await["order"]["order_state"], 3);
}

#[tokio::test]
async fn an_unpaid_order_cannot_ship_and_a_mini_program_can_leave_trade_management() {
    let merchant = Merchant::start().await;
    let token = access_token(&merchant).await;
    let appid = merchant.sandbox.credential("mp_appid");
    let openid = merchant.sandbox.persona_openid("xiaoming", &appid).await;
    let body = json!({
        "appid": appid, "mchid": merchant.mchid(), "description": "杯子", "out_trade_no": "SHIP000002",
        "notify_url": "http://127.0.0.1:9/notify", "amount": {"total": 100, "currency": "CNY"},
        "payer": {"openid": openid}
    });
    merchant
        .call("POST", "/v3/pay/transactions/jsapi", Some(&body))
        .await;
    let unpaid = json!({
        "order_key": {"order_number_type": 1, "mchid": merchant.mchid(), "out_trade_no": "SHIP000002"},
        "logistics_type": 3, "delivery_mode": 1, "shipping_list": [{"item_desc": "杯子"}],
        "upload_time": "2026-12-02T10:00:00+08:00", "payer": {"openid": openid}
    });
    assert_eq!(
        post(&merchant, UPLOAD, &token, unpaid).await["errcode"],
        10060001,
        "no payment yet: no transaction"
    );

    let set = merchant
        .control(
            &format!("/sandbox/apps/{appid}/trade-managed"),
            json!({"managed": false}),
        )
        .await;
    assert_eq!(set["is_trade_managed"], false);
    let managed = post(
        &merchant,
        "/wxa/sec/order/is_trade_managed",
        &token,
        json!({"appid": appid}),
    )
    .await;
    assert_eq!(managed["is_trade_managed"], false);
    let bad_token = post(
        &merchant,
        "/wxa/sec/order/is_trade_managed",
        "nope",
        json!({"appid": appid}),
    )
    .await;
    assert_eq!(bad_token["errcode"], 40001);
}

#[tokio::test]
async fn wxgates_client_speaks_the_shipping_apis() {
    use wechat::api::ApiClient;
    use wechat::shipping::{self, Contact, Logistics, Shipping};

    let merchant = Merchant::start().await;
    let token = access_token(&merchant).await;
    let api =
        ApiClient::new(url::Url::parse(&merchant.sandbox.url("")).expect("url")).expect("client");
    let appid = merchant.sandbox.credential("mp_appid");
    assert!(shipping::is_trade_managed(&api, &token, &appid)
        .await
        .expect("managed"));
    let companies = shipping::delivery_companies(&api, &token)
        .await
        .expect("companies");
    assert!(companies.iter().any(|company| company.delivery_id == "YTO"));

    let (transaction_id, openid) = paid_order(&merchant, "SHIP000003").await;
    let upload = |logistics| Shipping {
        transaction_id: &transaction_id,
        payer_openid: &openid,
        item_desc: "会员月卡",
        logistics,
        upload_time: "2026-12-02T10:00:00+08:00",
    };
    shipping::upload_shipping_info(&api, &token, &upload(Logistics::Virtual))
        .await
        .expect("uploaded");
    let repeat = shipping::upload_shipping_info(&api, &token, &upload(Logistics::Virtual))
        .await
        .expect_err("nothing changed");
    assert_eq!(repeat.errcode(), Some(10060023), "{repeat}");
    let express = Logistics::Express {
        company: "SF".to_owned(),
        tracking_no: "SF1000".to_owned(),
        contact: Some(Contact::Consignor("138****0000".to_owned())),
    };
    let changed = Shipping {
        logistics: express,
        upload_time: "2026-12-02T11:00:00+08:00",
        ..upload(Logistics::Virtual)
    };
    shipping::upload_shipping_info(&api, &token, &changed)
        .await
        .expect("changed once");
}
