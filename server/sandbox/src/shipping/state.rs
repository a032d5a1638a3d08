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
    /// Every parcel has gone out (a unified delivery always; a split one once the merchant says so).
    pub is_all_delivered: bool,
    /// The parcels as `get_order` shows them: `tracking_no`, `express_company`, `goods_desc`, `upload_time` (Unix
    /// seconds), `contact`.
    pub shipping_list: Vec<Value>,
    /// The last upload's `upload_time`, Unix seconds: an update must be later.
    pub upload_time: i64,
    /// Whether the one re-shipment WeChat allows (a change after all went out, or of the delivery or logistics
    /// mode) was used.
    pub reshipped: bool,
    pub receipt_confirmed: bool,
}

impl Shipment {
    /// `finish_shipping_count`: 0 while parcels are still to go, 1 once all went out, 2 after a re-shipment did.
    pub fn finish_shipping_count(&self) -> u8 {
        match (self.is_all_delivered, self.reshipped) {
            (false, _) => 0,
            (true, false) => 1,
            (true, true) => 2,
        }
    }
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
