//! Mini-program shipping information (小程序发货信息管理), as api.weixin.qq.com serves it: a trade-managed mini
//! program's money is held until the merchant uploads how the goods went out and the buyer confirms receipt.
//! `is_trade_managed`, `upload_shipping_info`, `get_order` and the express companies' list, with WeChat's
//! validation and order states; the control API plays the buyer confirming receipt and can take a mini program out
//! of trade management.
//!
//! Doc: 发货信息管理服务
//! <https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/order-shipping/order-shipping.html>
//! (order_key by transaction_id or mchid + out_trade_no; logistics_type 1 express, 2 same-city, 3 virtual goods, 4
//! pickup; delivery_mode 1 unified, one shipping_list entry, or 2 split, up to 15 and `is_all_delivered`; each entry's
//! item_desc at most 120 characters; express needs tracking_no and an express_company from the delivery list, and SF
//! Express the receiver's or the consignor's contact; one re-shipment, a change after everything went out or of the
//! delivery or logistics mode; an update's upload_time later than the last; its errcode table). Where the table has
//! no errcode for a rule (an express company not in the list, an upload_time not later), the sandbox answers 10060014
//! 参数错误 with the reason.

mod state;
mod upload;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::extract::{Path, Query, State};
use axum::routing::post;
use axum::{Json, Router};
use serde_json::{json, Value};

use crate::login::api::{answer, param};
use crate::login::state::WeChatError;
use crate::pay::{PaymentFacts, PaymentKey};
use crate::Sandbox;
use state::OrderState;
pub use state::ShippingState;

/// The express companies `get_delivery_list` names (a few of WeChat's), `delivery_id` and name.
pub const DELIVERY_COMPANIES: &[(&str, &str)] = &[
    ("SF", "顺丰速运"),
    ("ZTO", "中通快递"),
    ("YTO", "圆通速递"),
    ("YD", "韵达快递"),
    ("STO", "申通快递"),
    ("EMS", "中国邮政速递物流"),
    ("JD", "京东物流"),
    ("DBL", "德邦快递"),
];

/// The shipping state, behind one lock.
#[derive(Debug, Default)]
pub struct Shipping(Mutex<ShippingState>);

impl Shipping {
    pub fn lock(&self) -> MutexGuard<'_, ShippingState> {
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

type Params = Query<std::collections::HashMap<String, String>>;

/// The mini program an access_token belongs to.
fn token_app(
    sandbox: &Sandbox,
    params: &std::collections::HashMap<String, String>,
) -> Result<String, WeChatError> {
    let token = param(params, "access_token")?;
    sandbox.login.lock().token_app(token)
}

const NO_SUCH_PAYMENT: WeChatError = WeChatError {
    errcode: 10060001,
    errmsg: "支付单不存在",
};

/// The payment `key` names, if it is a JSAPI payment of the mini program `appid`.
fn payment_of(
    sandbox: &Sandbox,
    appid: &str,
    key: &PaymentKey,
) -> Result<PaymentFacts, WeChatError> {
    sandbox
        .pay
        .jsapi_payment(key)
        .filter(|payment| payment.appid == appid)
        .ok_or(NO_SUCH_PAYMENT)
}

/// `POST /wxa/sec/order/is_trade_managed` `{appid}`: whether the mini program's payments wait for shipping.
async fn is_trade_managed(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Params,
    Json(body): Json<Value>,
) -> Json<Value> {
    answer((|| {
        let appid = token_app(&sandbox, &params)?;
        if body["appid"].as_str() != Some(appid.as_str()) {
            return Err(WeChatError::INVALID_APPID);
        }
        let managed = sandbox.shipping.lock().is_managed(&appid);
        Ok(json!({ "errcode": 0, "errmsg": "ok", "is_trade_managed": managed }))
    })())
}

/// `POST /wxa/sec/order/get_order` `{transaction_id}` or `{merchant_id, merchant_trade_no}`: a payment and its
/// shipping.
async fn get_order(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Params,
    Json(body): Json<Value>,
) -> Json<Value> {
    answer((|| {
        let appid = token_app(&sandbox, &params)?;
        let key = match (
            body["transaction_id"].as_str(),
            body["merchant_id"].as_str(),
            body["merchant_trade_no"].as_str(),
        ) {
            (Some(id), _, _) => PaymentKey::Transaction(id.to_owned()),
            (None, Some(mchid), Some(no)) => PaymentKey::Merchant {
                mchid: mchid.to_owned(),
                out_trade_no: no.to_owned(),
            },
            _ => return Err(upload::PARAM_ERROR),
        };
        let payment = payment_of(&sandbox, &appid, &key)?;
        let order = order_view(&sandbox, &payment);
        Ok(json!({ "errcode": 0, "errmsg": "ok", "order": order }))
    })())
}

/// A payment and its shipping, as `get_order` gives them.
fn order_view(sandbox: &Sandbox, payment: &PaymentFacts) -> Value {
    let shipping = sandbox.shipping.lock();
    let state = shipping.order_state(&payment.transaction_id, payment.refundable == 0);
    let mut order = json!({
        "transaction_id": payment.transaction_id,
        "merchant_id": payment.mchid,
        "merchant_trade_no": payment.out_trade_no,
        "description": payment.description,
        "paid_amount": payment.total,
        "openid": payment.payer_openid,
        "trade_create_time": payment.paid_at,
        "pay_time": payment.paid_at,
        "order_state": state as u8,
        "in_complaint": false,
    });
    if let Some(shipment) = shipping.shipments.get(&payment.transaction_id) {
        let goods_desc = shipment.shipping_list.first().map_or("", |parcel| {
            parcel["goods_desc"].as_str().unwrap_or_default()
        });
        order["shipping"] = json!({
            "delivery_mode": shipment.delivery_mode,
            "logistics_type": shipment.logistics_type,
            "finish_shipping": shipment.is_all_delivered,
            "finish_shipping_count": shipment.finish_shipping_count(),
            "goods_desc": goods_desc,
            "shipping_list": shipment.shipping_list,
        });
    }
    order
}

/// `GET /sandbox/shipping/{transaction_id}`: what `get_order` would answer of a mini-program payment, without an
/// access_token, for a developer checking what their wxgate reported.
async fn shipping_of(
    State(sandbox): State<Arc<Sandbox>>,
    Path(transaction_id): Path<String>,
) -> (axum::http::StatusCode, Json<Value>) {
    match sandbox
        .pay
        .jsapi_payment(&PaymentKey::Transaction(transaction_id))
    {
        Some(payment) => (
            axum::http::StatusCode::OK,
            Json(order_view(&sandbox, &payment)),
        ),
        None => (
            axum::http::StatusCode::NOT_FOUND,
            Json(json!({ "error": { "message": "no JSAPI payment has that transaction_id" } })),
        ),
    }
}

/// `POST /cgi-bin/express/delivery/open_msg/get_delivery_list` `{}`: the express companies and their ids.
async fn delivery_list(State(sandbox): State<Arc<Sandbox>>, Query(params): Params) -> Json<Value> {
    answer((|| {
        token_app(&sandbox, &params)?;
        let list: Vec<Value> = DELIVERY_COMPANIES
            .iter()
            .map(|(id, name)| json!({ "delivery_id": id, "delivery_name": name }))
            .collect();
        Ok(json!({ "errcode": 0, "errmsg": "ok", "count": list.len(), "delivery_list": list }))
    })())
}

/// WeChat's shipping paths, on the api host; the login side's faults apply to them too.
pub fn wechat_routes(sandbox: &Arc<Sandbox>) -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/wxa/sec/order/is_trade_managed", post(is_trade_managed))
        .route(
            "/wxa/sec/order/upload_shipping_info",
            post(upload::upload_shipping_info),
        )
        .route("/wxa/sec/order/get_order", post(get_order))
        .route(
            "/cgi-bin/express/delivery/open_msg/get_delivery_list",
            post(delivery_list),
        )
        .route_layer(axum::middleware::from_fn_with_state(
            Arc::clone(sandbox),
            crate::login::faults::apply,
        ))
}

/// `POST /sandbox/shipping/{transaction_id}/confirm-receipt`: the buyer confirms receipt of a shipped payment;
/// trade management then pushes `trade_manage_order_settlement` to the mini program (see [`crate::push`]), with
/// the settlement at once.
async fn confirm_receipt(
    State(sandbox): State<Arc<Sandbox>>,
    Path(transaction_id): Path<String>,
) -> (axum::http::StatusCode, Json<Value>) {
    let confirmed = match sandbox.shipping.lock().shipments.get_mut(&transaction_id) {
        Some(shipment) => {
            shipment.receipt_confirmed = true;
            true
        }
        None => false,
    };
    if !confirmed {
        return (
            axum::http::StatusCode::CONFLICT,
            Json(
                json!({ "error": { "message": "no shipping information was uploaded for that payment" } }),
            ),
        );
    }
    let payment = sandbox
        .pay
        .jsapi_payment(&PaymentKey::Transaction(transaction_id.clone()));
    let pushed = match payment {
        Some(payment) => {
            let now = crate::pay::clock::now_unix();
            let fields = json!({
                "transaction_id": payment.transaction_id,
                "merchant_id": payment.mchid,
                "merchant_trade_no": payment.out_trade_no,
                // 2: the buyer confirmed it (1 would be automatic, after the waiting period).
                "confirm_receive_method": 2,
                "confirm_receive_time": now,
                "settlement_time": now,
            });
            let fields = fields.as_object().cloned().unwrap_or_default();
            sandbox
                .push_event(
                    &payment.appid,
                    "trade_manage_order_settlement",
                    &payment.payer_openid,
                    &fields,
                )
                .await
                .map(|delivery| json!(delivery))
                .unwrap_or_else(|why| json!({ "skipped": why }))
        }
        None => json!({ "skipped": "not a payment of this sandbox" }),
    };
    (
        axum::http::StatusCode::OK,
        Json(json!({
            "transaction_id": transaction_id,
            "order_state": OrderState::ReceiptConfirmed as u8,
            "push": pushed,
        })),
    )
}

/// `POST /sandbox/apps/{appid}/trade-managed` `{"managed"}`: whether the mini program's payments wait for shipping.
async fn set_trade_managed(
    State(sandbox): State<Arc<Sandbox>>,
    Path(appid): Path<String>,
    Json(body): Json<Value>,
) -> (axum::http::StatusCode, Json<Value>) {
    let Some(managed) = body["managed"].as_bool() else {
        return (
            axum::http::StatusCode::BAD_REQUEST,
            Json(json!({ "error": { "message": "the body must be {\"managed\": true|false}" } })),
        );
    };
    sandbox.shipping.lock().set_managed(&appid, managed);
    (
        axum::http::StatusCode::OK,
        Json(json!({ "appid": appid, "is_trade_managed": managed })),
    )
}

/// The control routes, relative to `/sandbox`.
pub fn control_routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route(
            "/shipping/{transaction_id}",
            axum::routing::get(shipping_of),
        )
        .route(
            "/shipping/{transaction_id}/confirm-receipt",
            post(confirm_receipt),
        )
        .route("/apps/{appid}/trade-managed", post(set_trade_managed))
}
