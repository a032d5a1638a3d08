//! What the sandbox keeps of mini-program shipping: which mini programs are trade-managed (all of them until the
//! control API says otherwise) and each payment's uploaded shipping information and order state.

use std::collections::HashMap;

use serde_json::Value;

/// `order_state` of `get_order`: where a trade-managed payment stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderState {
    /// 待发货: paid, no shipping information yet.
    AwaitingShipment = 1,
    /// 已发货: shipping information uploaded.
    Shipped = 2,
    /// 确认收货: the buyer confirmed receipt (the control API plays the buyer).
    ReceiptConfirmed = 3,
    /// 已退款: refunded in full.
    Refunded = 5,
}

/// The shipping information of one payment, as last uploaded.
#[derive(Debug, Clone, PartialEq)]
pub struct Shipment {
    pub logistics_type: u64,
    pub delivery_mode: u64,
    pub is_all_delivered: bool,
    /// The `shipping_list` entries, each with its `upload_time`.
    pub shipping_list: Vec<Value>,
    /// How many times the information was uploaded: WeChat lets it be changed once after the first upload.
    pub uploads: u32,
    pub receipt_confirmed: bool,
}

#[derive(Debug, Default)]
pub struct ShippingState {
    /// Mini programs the control API took out of trade management.
    pub unmanaged: Vec<String>,
    /// By transaction id.
    pub shipments: HashMap<String, Shipment>,
}

impl ShippingState {
    pub fn is_managed(&self, appid: &str) -> bool {
        !self.unmanaged.iter().any(|unmanaged| unmanaged == appid)
    }

    pub fn set_managed(&mut self, appid: &str, managed: bool) {
        self.unmanaged.retain(|unmanaged| unmanaged != appid);
        if !managed {
            self.unmanaged.push(appid.to_owned());
        }
    }

    /// The payment's order state: refunded in full, else as its shipment stands.
    pub fn order_state(&self, transaction_id: &str, refunded_in_full: bool) -> OrderState {
        if refunded_in_full {
            return OrderState::Refunded;
        }
        match self.shipments.get(transaction_id) {
            None => OrderState::AwaitingShipment,
            Some(shipment) if shipment.receipt_confirmed => OrderState::ReceiptConfirmed,
            Some(_) => OrderState::Shipped,
        }
    }
}
