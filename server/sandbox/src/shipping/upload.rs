//! `POST /wxa/sec/order/upload_shipping_info`: the merchant says how a paid order's goods went out. Checked field
//! by field as the API page sets out (see the module above for the rules and their source).

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Json;
use serde_json::{json, Value};

use super::state::{OrderState, Shipment};
use super::{answer, payment_of, token_app, Params, DELIVERY_COMPANIES};
use crate::login::state::WeChatError;
use crate::pay::{clock, PaymentKey};
use crate::Sandbox;

/// Rules the page gives no errcode for: 参数错误.
pub const PARAM_ERROR: WeChatError = WeChatError {
    errcode: 10060014,
    errmsg: "参数错误",
};

fn param_error(errmsg: &'static str) -> WeChatError {
    WeChatError {
        errcode: 10060014,
        errmsg,
    }
}

/// The longest `item_desc`, in characters.
const MAX_ITEM_DESC_CHARS: usize = 120;
/// The most entries a split delivery's `shipping_list` may have.
const MAX_SHIPPING_LIST: usize = 10;

/// The payment `order_key` names.
fn order_key(body: &Value) -> Result<PaymentKey, WeChatError> {
    let key = &body["order_key"];
    match key["order_number_type"].as_u64() {
        Some(1) => match (key["mchid"].as_str(), key["out_trade_no"].as_str()) {
            (Some(mchid), Some(no)) if !mchid.is_empty() && !no.is_empty() => Ok(PaymentKey::Merchant {
                mchid: mchid.to_owned(),
                out_trade_no: no.to_owned(),
            }),
            _ => Err(param_error(
                "参数错误 (order_number_type 1 needs order_key.mchid and order_key.out_trade_no)",
            )),
        },
        Some(2) => match key["transaction_id"].as_str() {
            Some(id) if !id.is_empty() => Ok(PaymentKey::Transaction(id.to_owned())),
            _ => Err(param_error(
                "参数错误 (order_number_type 2 needs order_key.transaction_id)",
            )),
        },
        _ => Err(param_error(
            "参数错误 (order_key.order_number_type is 1, mchid and out_trade_no, or 2, transaction_id)",
        )),
    }
}

/// One `shipping_list` entry of a `logistics_type`, checked.
fn entry(item: &Value, logistics_type: u64) -> Result<Value, WeChatError> {
    let desc = item["item_desc"].as_str().unwrap_or_default();
    if desc.trim().is_empty() {
        return Err(WeChatError {
            errcode: 10060008,
            errmsg: "商品描述字段不能为空",
        });
    }
    if desc.chars().count() > MAX_ITEM_DESC_CHARS {
        return Err(WeChatError {
            errcode: 10060009,
            errmsg: "商品描述字段长度超限",
        });
    }
    let tracking_no = item["tracking_no"].as_str().unwrap_or_default();
    let company = item["express_company"].as_str().unwrap_or_default();
    if logistics_type == 1 {
        if tracking_no.is_empty() || tracking_no.len() > 128 {
            return Err(param_error(
                "参数错误 (express delivery needs tracking_no, at most 128 characters)",
            ));
        }
        if !DELIVERY_COMPANIES.iter().any(|(id, _)| *id == company) {
            return Err(param_error(
                "参数错误 (express_company must be a delivery_id from get_delivery_list)",
            ));
        }
        let receiver = item["contact"]["receiver_contact"]
            .as_str()
            .unwrap_or_default();
        if company == "SF" && receiver.is_empty() {
            return Err(param_error(
                "参数错误 (SF Express needs contact.receiver_contact, the receiver's masked phone number)",
            ));
        }
    }
    Ok(item.clone())
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
        _ => {
            return Err(WeChatError {
                errcode: 10060005,
                errmsg: "物流类型有误",
            })
        }
    };
    let delivery_mode = match body["delivery_mode"].as_u64() {
        Some(mode @ 1..=2) => mode,
        _ => {
            return Err(param_error(
                "参数错误 (delivery_mode is 1, unified, or 2, split)",
            ))
        }
    };
    let split = delivery_mode == 2;
    if split && logistics_type != 1 {
        return Err(WeChatError {
            errcode: 10060006,
            errmsg: "非快递发货时不允许分拆发货",
        });
    }
    let is_all_delivered = match (split, body["is_all_delivered"].as_bool()) {
        (true, None) => {
            return Err(WeChatError {
                errcode: 10060007,
                errmsg: "分拆发货模式下必须填写is_all_delivered字段",
            })
        }
        (true, Some(all)) => all,
        (false, _) => true,
    };
    let list = body["shipping_list"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let fits = if split {
        (1..=MAX_SHIPPING_LIST).contains(&list.len())
    } else {
        list.len() == 1
    };
    if !fits {
        return Err(param_error(
            "参数错误 (shipping_list has one entry for a unified delivery, 1 to 10 for a split one)",
        ));
    }
    let upload_time = body["upload_time"]
        .as_str()
        .and_then(clock::parse_rfc3339)
        .ok_or(param_error(
            "参数错误 (upload_time must be RFC 3339, e.g. 2022-12-15T13:29:35.120+08:00)",
        ))?;
    let payment = payment_of(sandbox, &appid, &key)?;
    if body["payer"]["openid"].as_str() != Some(payment.payer_openid.as_str()) {
        return Err(param_error(
            "参数错误 (payer.openid is not the payment's payer)",
        ));
    }
    if !payment.paid {
        return Err(WeChatError {
            errcode: 10060004,
            errmsg: "支付单处于不可发货的状态",
        });
    }
    let entries = list
        .iter()
        .map(|item| entry(item, logistics_type))
        .collect::<Result<Vec<_>, _>>()?
        .into_iter()
        .map(|mut item| {
            item["upload_time"] = json!(clock::rfc3339_beijing(upload_time));
            item
        })
        .collect::<Vec<_>>();
    let mut shipping = sandbox.shipping.lock();
    let state = shipping.order_state(&payment.transaction_id, payment.refundable == 0);
    if state != OrderState::AwaitingShipment && state != OrderState::Shipped {
        return Err(WeChatError {
            errcode: 10060002,
            errmsg: "支付单已完成发货，无法继续发货",
        });
    }
    let previous = shipping.shipments.get(&payment.transaction_id).cloned();
    if let Some(previous) = &previous {
        if previous.uploads >= 2 {
            return Err(WeChatError {
                errcode: 10060003,
                errmsg: "支付单已使用重新发货机会",
            });
        }
        let same = previous.logistics_type == logistics_type
            && previous.delivery_mode == delivery_mode
            && strip_times(&previous.shipping_list) == strip_times(&entries);
        if same {
            return Err(WeChatError {
                errcode: 10060023,
                errmsg: "发货信息未更新",
            });
        }
    }
    shipping.shipments.insert(
        payment.transaction_id.clone(),
        Shipment {
            logistics_type,
            delivery_mode,
            is_all_delivered,
            shipping_list: entries,
            uploads: previous.map_or(1, |previous| previous.uploads + 1),
            receipt_confirmed: false,
        },
    );
    Ok(json!({ "errcode": 0, "errmsg": "ok" }))
}

/// Entries without their upload times, to tell a real change from a repeat.
fn strip_times(entries: &[Value]) -> Vec<Value> {
    entries
        .iter()
        .map(|entry| {
            let mut entry = entry.clone();
            if let Some(object) = entry.as_object_mut() {
                object.remove("upload_time");
            }
            entry
        })
        .collect()
}
