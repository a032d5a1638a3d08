//! Shipping information for mini-program payments (小程序发货信息管理), shared by the server and the browser: whether
//! a product is virtual or physical goods, where an order's shipping stands with WeChat, and what the order page and
//! the admin page show of it.
//!
//! A shipment is AWAITING_DISPATCH (physical goods: an admin enters the express company and tracking number), then
//! UPLOADING (wxgate tells WeChat, retrying with backoff), then UPLOADED; NOT_REQUIRED when the mini program is not
//! trade-managed (WeChat holds no money) or the order was refunded in full first; FAILED when the retries ran out
//! (an admin corrects it or tries again).

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::lang::Lang;

/// What kind of goods a product is: WeChat is told of virtual goods at once (`logistics_type` 3); physical goods
/// need an admin's express details first (`logistics_type` 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Goods {
    Virtual,
    Physical,
}

impl Goods {
    pub fn as_str(self) -> &'static str {
        match self {
            Goods::Virtual => "virtual",
            Goods::Physical => "physical",
        }
    }

    pub fn parse(text: &str) -> Option<Goods> {
        [Goods::Virtual, Goods::Physical]
            .into_iter()
            .find(|goods| goods.as_str() == text)
    }

    /// The sentence a person reads.
    pub fn sentence(self, lang: Lang) -> &'static str {
        match self {
            Goods::Virtual => lang.pick("虚拟商品", "Virtual goods"),
            Goods::Physical => lang.pick("实物商品", "Physical goods"),
        }
    }
}

/// Where a paid mini-program order's shipping information stands with WeChat.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ShippingState {
    /// Physical goods: waiting for an admin to enter the express company and tracking number.
    AwaitingDispatch,
    /// To be told to WeChat; retried with backoff after a failure.
    Uploading,
    /// WeChat has it; the money is released once the buyer confirms receipt.
    Uploaded,
    /// Nothing to tell WeChat: the mini program is not trade-managed, or the order was refunded in full.
    NotRequired,
    /// Every retry failed: an admin corrects the details or tries again.
    Failed,
}

impl ShippingState {
    const ALL: [ShippingState; 5] = [
        ShippingState::AwaitingDispatch,
        ShippingState::Uploading,
        ShippingState::Uploaded,
        ShippingState::NotRequired,
        ShippingState::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ShippingState::AwaitingDispatch => "AWAITING_DISPATCH",
            ShippingState::Uploading => "UPLOADING",
            ShippingState::Uploaded => "UPLOADED",
            ShippingState::NotRequired => "NOT_REQUIRED",
            ShippingState::Failed => "FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<ShippingState> {
        ShippingState::ALL
            .into_iter()
            .find(|state| state.as_str() == text)
    }

    /// Whether an admin needs to act or watch: express details to enter, an upload failing or given up.
    pub fn needs_attention(self) -> bool {
        matches!(
            self,
            ShippingState::AwaitingDispatch | ShippingState::Uploading | ShippingState::Failed
        )
    }

    /// The sentence a person reads.
    pub fn sentence(self, lang: Lang) -> &'static str {
        match self {
            ShippingState::AwaitingDispatch => lang.pick("待发货", "Waiting to be dispatched"),
            ShippingState::Uploading => {
                lang.pick("正在同步发货信息到微信", "Telling WeChat it was shipped")
            }
            ShippingState::Uploaded => lang.pick("已发货", "Shipped"),
            ShippingState::NotRequired => lang.pick("无需同步发货信息", "No shipping to report"),
            ShippingState::Failed => lang.pick("发货信息同步失败", "Telling WeChat failed"),
        }
    }
}

impl fmt::Display for ShippingState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An order's shipping, as its page and `GET /api/orders/{order_id}` show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub struct ShippingLine {
    pub state: ShippingState,
    pub goods: Goods,
    /// The express company's name, for physical goods once dispatched.
    pub express_company: Option<String>,
    pub tracking_no: Option<String>,
    /// When WeChat accepted it, Unix seconds.
    pub uploaded_at: Option<i64>,
    /// When the buyer confirmed receipt (WeChat's trade management says so), Unix seconds.
    pub receipt_confirmed_at: Option<i64>,
}

/// A shipment on the admin page: one to dispatch, or one whose upload is failing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShipmentSummary {
    pub order_id: String,
    pub description: String,
    pub state: ShippingState,
    pub goods: Goods,
    /// The express company's `delivery_id`, once entered.
    pub express_company: Option<String>,
    pub tracking_no: Option<String>,
    pub attempts: i64,
    /// Why the last upload failed (WeChat's errcode and errmsg, or the network).
    pub last_error: Option<String>,
    /// When the next try is due, Unix seconds (UPLOADING only).
    pub next_attempt_at: Option<i64>,
}

/// An express company an admin can pick, from WeChat's delivery list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExpressCompany {
    pub delivery_id: String,
    pub name: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for state in ShippingState::ALL {
            assert_eq!(ShippingState::parse(state.as_str()), Some(state));
        }
        for goods in [Goods::Virtual, Goods::Physical] {
            assert_eq!(Goods::parse(goods.as_str()), Some(goods));
        }
        assert_eq!(ShippingState::parse("SHIPPED"), None);
    }
}
