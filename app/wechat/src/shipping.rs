//! Mini-program shipping information (小程序发货信息管理): whether a mini program is trade-managed (its payments'
//! money waits until the goods are shipped and received), uploading how a paid order's goods went out, and the
//! express companies' ids an upload names.
//!
//! Docs: <https://developers.weixin.qq.com/miniprogram/dev/platform-capabilities/business-capabilities/order-shipping/order-shipping.html>
//! (`is_trade_managed`, `upload_shipping_info`: order_key, logistics_type, delivery_mode, shipping_list, upload_time,
//! payer) and the delivery list `/cgi-bin/express/delivery/open_msg/get_delivery_list`.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::api::{ApiClient, WeChatError};

/// The longest `item_desc` WeChat takes, in characters.
pub const MAX_ITEM_DESC_CHARS: usize = 120;

#[derive(Deserialize)]
struct ManagedAnswer {
    is_trade_managed: bool,
}

#[derive(Serialize)]
struct AppRequest<'a> {
    appid: &'a str,
}

/// Whether the mini program `appid` is trade-managed, so its payments need shipping information.
pub async fn is_trade_managed(
    api: &ApiClient,
    access_token: &str,
    appid: &str,
) -> Result<bool, WeChatError> {
    let answer: ManagedAnswer = api
        .post(
            "/wxa/sec/order/is_trade_managed",
            &[("access_token", access_token)],
            &AppRequest { appid },
        )
        .await?;
    Ok(answer.is_trade_managed)
}

/// How the goods went out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Logistics {
    /// By express (`logistics_type` 1): the company's `delivery_id` from [`delivery_companies`], the tracking number,
    /// and a masked phone number (`189****1234`) as `contact`, which SF Express requires: the receiver's, or else
    /// the consignor's.
    Express {
        company: String,
        tracking_no: String,
        contact: Option<Contact>,
    },
    /// Virtual goods (`logistics_type` 3): nothing to send.
    Virtual,
}

/// Whose masked phone number an express upload carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Contact {
    Receiver(String),
    Consignor(String),
}

/// A paid order's shipping, uploaded whole (one shipping entry, `delivery_mode` 1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shipping<'a> {
    pub transaction_id: &'a str,
    pub payer_openid: &'a str,
    /// What was sent, at most [`MAX_ITEM_DESC_CHARS`] characters.
    pub item_desc: &'a str,
    pub logistics: Logistics,
    /// RFC 3339, e.g. `2022-12-15T13:29:35.120+08:00`.
    pub upload_time: &'a str,
}

impl Shipping<'_> {
    fn body(&self) -> Value {
        let mut item = json!({ "item_desc": self.item_desc });
        let logistics_type = match &self.logistics {
            Logistics::Express {
                company,
                tracking_no,
                contact,
            } => {
                item["express_company"] = json!(company);
                item["tracking_no"] = json!(tracking_no);
                match contact {
                    Some(Contact::Receiver(phone)) => {
                        item["contact"] = json!({ "receiver_contact": phone })
                    }
                    Some(Contact::Consignor(phone)) => {
                        item["contact"] = json!({ "consignor_contact": phone })
                    }
                    None => {}
                }
                1
            }
            Logistics::Virtual => 3,
        };
        json!({
            "order_key": { "order_number_type": 2, "transaction_id": self.transaction_id },
            "logistics_type": logistics_type,
            "delivery_mode": 1,
            "shipping_list": [item],
            "upload_time": self.upload_time,
            "payer": { "openid": self.payer_openid },
        })
    }
}

#[derive(Deserialize)]
struct Acknowledged {}

/// Uploads `shipping`; WeChat's errcodes (10060001 no such payment, 10060023 nothing changed, …) come back as
/// [`WeChatError`].
pub async fn upload_shipping_info(
    api: &ApiClient,
    access_token: &str,
    shipping: &Shipping<'_>,
) -> Result<(), WeChatError> {
    let _: Acknowledged = api
        .post(
            "/wxa/sec/order/upload_shipping_info",
            &[("access_token", access_token)],
            &shipping.body(),
        )
        .await?;
    Ok(())
}

/// An express company an upload can name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
pub struct DeliveryCompany {
    pub delivery_id: String,
    pub delivery_name: String,
}

#[derive(Deserialize)]
struct DeliveryList {
    delivery_list: Vec<DeliveryCompany>,
}

/// The express companies WeChat knows, with the ids uploads name them by.
pub async fn delivery_companies(
    api: &ApiClient,
    access_token: &str,
) -> Result<Vec<DeliveryCompany>, WeChatError> {
    let answer: DeliveryList = api
        .post(
            "/cgi-bin/express/delivery/open_msg/get_delivery_list",
            &[("access_token", access_token)],
            &json!({}),
        )
        .await?;
    Ok(answer.delivery_list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_express_upload_names_the_company_the_number_and_the_contact() {
        let shipping = Shipping {
            transaction_id: "4200001",
            payer_openid: "oPayer",
            item_desc: "马克杯",
            logistics: Logistics::Express {
                company: "SF".to_owned(),
                tracking_no: "SF100".to_owned(),
                contact: Some(Contact::Receiver("189****1234".to_owned())),
            },
            upload_time: "2026-12-02T10:00:00+08:00",
        };
        let body = shipping.body();
        assert_eq!(body["logistics_type"], 1);
        assert_eq!(body["order_key"]["transaction_id"], "4200001");
        assert_eq!(
            body["shipping_list"][0],
            json!({"item_desc": "马克杯", "express_company": "SF", "tracking_no": "SF100", "contact": {"receiver_contact": "189****1234"}})
        );
    }
}
