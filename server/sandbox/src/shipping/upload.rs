//! `POST /wxa/sec/order/upload_shipping_info`: the merchant says how a paid order's goods went out. Checked field
//! by field with the API page's errcodes (see the module above for the rules and their source).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};

use super::state::{OrderState, Shipment};
use super::{answer, payment_of, token_app, Params, DELIVERY_COMPANIES};
use crate::login::state::WeChatError;
use crate::pay::{clock, PaymentKey};
use crate::Sandbox;

/// Rules the page gives no errcode of their own: 参数错误.
pub const PARAM_ERROR: WeChatError = WeChatError {
    errcode: 10060014,
    errmsg: "参数错误",
};

fn refused(errcode: i64, errmsg: &'static str) -> WeChatError {
    WeChatError { errcode, errmsg }
}

/// The longest `item_desc`, in characters.
const MAX_ITEM_DESC_CHARS: usize = 120;
/// The most parcels a split delivery's `shipping_list` may have.
const MAX_SHIPPING_LIST: usize = 15;

/// A string member, empty when absent.
fn text<'a>(value: &'a Value, name: &str) -> &'a str {
    value[name].as_str().unwrap_or_default()
}

/// The payment `order_key` names.
fn order_key(body: &Value) -> Result<PaymentKey, WeChatError> {
    let key = &body["order_key"];
    match key["order_number_type"].as_u64() {
        Some(1) => {
            let (mchid, no) = (text(key, "mchid"), text(key, "out_trade_no"));
            if mchid.is_empty() {
                return Err(refused(268485196, "mchid 不能为空"));
            }
            if no.is_empty() {
                return Err(refused(268485197, "out_trade_no 不能为空"));
            }
            Ok(PaymentKey::Merchant {
                mchid: mchid.to_owned(),
                out_trade_no: no.to_owned(),
            })
        }
        Some(2) => match text(key, "transaction_id") {
            "" => Err(refused(268485195, "transaction_id 不能为空")),
            id => Ok(PaymentKey::Transaction(id.to_owned())),
        },
        _ => Err(refused(
            268485194,
            "order_number_type 不合法 (1: mchid and out_trade_no, 2: transaction_id)",
        )),
    }
}

/// One parcel of a `logistics_type`, checked, as `get_order` will show it.
fn parcel(item: &Value, logistics_type: u64, upload_time: i64) -> Result<Value, WeChatError> {
    let desc = text(item, "item_desc");
    if desc.trim().is_empty() {
        return Err(refused(10060008, "商品描述字段不能为空"));
    }
    if desc.chars().count() > MAX_ITEM_DESC_CHARS {
        return Err(refused(10060009, "商品描述字段长度超限"));
    }
    let mut shown = json!({ "goods_desc": desc, "upload_time": upload_time });
    if logistics_type == 1 {
        let (tracking_no, company) = (text(item, "tracking_no"), text(item, "express_company"));
        if tracking_no.is_empty() {
            return Err(refused(268485226, "tracking_no 不能为空"));
        }
        if tracking_no.len() > 128 {
            return Err(refused(10060026, "物流单号长度有误"));
        }
        if company.is_empty() {
            return Err(refused(268485227, "express_company 不能为空"));
        }
        if !DELIVERY_COMPANIES.iter().any(|(id, _)| *id == company) {
            return Err(refused(
                10060014,
                "参数错误 (express_company must be a delivery_id from get_delivery_list)",
            ));
        }
        // SF Express needs a contact: the receiver's or the consignor's masked phone number, either one.
        let contact = &item["contact"];
        let has_contact = !text(contact, "receiver_contact").is_empty()
            || !text(contact, "consignor_contact").is_empty();
        if company == "SF" && !has_contact {
            return Err(refused(
                10060014,
                "参数错误 (SF Express needs contact.receiver_contact or contact.consignor_contact)",
            ));
        }
        shown["tracking_no"] = json!(tracking_no);
        shown["express_company"] = json!(company);
        if contact.is_object() {
            shown["contact"] = contact.clone();
        }
    }
    Ok(shown)
}

/// `POST /wxa/sec/order/upload_shipping_info?access_token=…`.
pub async fn upload_shipping_info(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Params,
    Json(body): Json<Value>,
) -> Json<Value> {
    answer(upload(&sandbox, &params, &body))
}

fn upload(
    sandbox: &Sandbox,
    params: &std::collections::HashMap<String, String>,
    body: &Value,
) -> Result<Value, WeChatError> {
    let appid = token_app(sandbox, params)?;
    let key = order_key(body)?;
    let logistics_type = match body["logistics_type"].as_u64() {
        Some(kind @ 1..=4) => kind,
        _ => return Err(refused(10060005, "物流类型有误")),
    };
    let delivery_mode = match body["delivery_mode"].as_u64() {
        Some(mode @ 1..=2) => mode,
        _ => {
            return Err(refused(
                268485224,
                "delivery_mode 不合法 (1: unified, 2: split)",
            ))
        }
    };
    let split = delivery_mode == 2;
    if split && logistics_type != 1 {
        return Err(refused(10060006, "非快递发货时不允许分拆发货"));
    }
    let is_all_delivered = match (split, body["is_all_delivered"].as_bool()) {
        (true, None) => {
            return Err(refused(
                10060007,
                "分拆发货模式下必须填写is_all_delivered字段",
            ))
        }
        (true, Some(all)) => all,
        (false, _) => true,
    };
    let list = body["shipping_list"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    if !split && list.len() != 1 {
        return Err(refused(
            268485228,
            "统一发货模式下，物流信息列表长度必须为1",
        ));
    }
    if list.is_empty() {
        return Err(refused(10060014, "参数错误 (shipping_list is empty)"));
    }
    if list.len() > MAX_SHIPPING_LIST {
        return Err(refused(10060024, "物流信息列表过长"));
    }
    let upload_time = body["upload_time"]
        .as_str()
        .and_then(clock::parse_rfc3339)
        .ok_or(refused(
            268485216,
            "upload_time 必须为RFC 3339格式, e.g. 2022-12-15T13:29:35.120+08:00",
        ))?;
    let payment = payment_of(sandbox, &appid, &key)?;
    if text(&body["payer"], "openid") != payment.payer_openid {
        return Err(refused(
            10060031,
            "支付单不属于该用户 (payer.openid is not the payment's payer)",
        ));
    }
    if !payment.paid {
        return Err(refused(10060004, "支付单处于不可发货的状态"));
    }
    let parcels = list
        .iter()
        .map(|item| parcel(item, logistics_type, upload_time))
        .collect::<Result<Vec<_>, _>>()?;
    let mut shipping = sandbox.shipping.lock();
    let state = shipping.order_state(&payment.transaction_id, payment.refundable == 0);
    if state != OrderState::AwaitingShipment && state != OrderState::Shipped {
        return Err(refused(10060002, "支付单已完成发货，无法继续发货"));
    }
    let previous = shipping.shipments.get(&payment.transaction_id).cloned();
    let reshipped = match &previous {
        None => false,
        Some(previous) => {
            let same = previous.logistics_type == logistics_type
                && previous.delivery_mode == delivery_mode
                && previous.is_all_delivered == is_all_delivered
                && without_times(&previous.shipping_list) == without_times(&parcels);
            if same {
                return Err(refused(10060023, "发货信息未更新"));
            }
            if upload_time <= previous.upload_time {
                return Err(refused(
                    10060014,
                    "参数错误 (an update's upload_time must be later than the last upload's)",
                ));
            }
            // A re-shipment: a change once everything went out, or of the delivery or logistics mode.
            let is_reshipment = previous.is_all_delivered
                || previous.delivery_mode != delivery_mode
                || previous.logistics_type != logistics_type;
            if is_reshipment && previous.reshipped {
                return Err(refused(10060003, "支付单已使用重新发货机会"));
            }
            previous.reshipped || is_reshipment
        }
    };
    shipping.shipments.insert(
        payment.transaction_id.clone(),
        Shipment {
            logistics_type,
            delivery_mode,
            is_all_delivered,
            shipping_list: parcels,
            upload_time,
            reshipped,
            receipt_confirmed: false,
        },
    );
    Ok(json!({ "errcode": 0, "errmsg": "ok" }))
}

/// Parcels without their upload times, to tell a real change from a repeat.
fn without_times(parcels: &[Value]) -> Vec<Value> {
    parcels
        .iter()
        .map(|parcel| {
            let mut parcel = parcel.clone();
            if let Some(object) = parcel.as_object_mut() {
                object.remove("upload_time");
            }
            parcel
        })
        .collect()
}
