//! What the shop's pages are shown of products, orders and reconciliations, built from the stored rows (nothing secret: no prepay,
//! no transaction id, no buyer identity).

use super::refunds::left_to_refund;
use crate::ssr::clock::now;
use crate::ssr::db::checkouts::CheckoutRow;
use crate::ssr::db::{OrderRow, ProductRow, ReconciliationRow, RefundRow, ShipmentRow};
use crate::types::shipping::{ShipmentSummary, ShippingLine, ShippingState};
use crate::types::shop::{OrderDetail, OrderSummary, Product, ReconciliationSummary, RefundLine};

pub fn product(row: ProductRow) -> Product {
    Product {
        id: row.id,
        name: row.name,
        description: row.description,
        price_fen: row.price_fen,
        goods: row.goods,
    }
}

pub fn summary(order: OrderRow) -> OrderSummary {
    OrderSummary {
        order_id: order.id,
        description: order.description,
        total_fen: order.total_fen,
        status: order.status,
        created_at: order.created_at,
    }
}

/// The order page's view of `order`, with its refunds and its mini-program shipment if it has one; `for_admin` adds
/// what is left to refund (of a paid order, or of one paid after it was closed).
pub fn detail(
    order: OrderRow,
    refunds: Vec<RefundRow>,
    shipment: Option<ShipmentRow>,
    checkout: Option<CheckoutRow>,
    for_admin: bool,
) -> OrderDetail {
    let (success_url, cancel_url) = checkout
        .map(|checkout| (checkout.success_url, checkout.cancel_url))
        .unwrap_or_default();
    let refundable_fen =
        (for_admin && order.is_refundable()).then(|| left_to_refund(&order, &refunds));
    OrderDetail {
        paid_after_closing: order.paid_after_closing(),
        payable: order.is_payable(now()),
        refundable_fen,
        order_id: order.id,
        out_trade_no: order.out_trade_no,
        description: order.description,
        total_fen: order.total_fen,
        status: order.status,
        channel: order.channel,
        created_at: order.created_at,
        paid_at: order.paid_at,
        flagged: order.flag.is_some(),
        refunds: refunds.into_iter().map(refund_line).collect(),
        shipping: shipment.map(shipping_line),
        success_url,
        cancel_url,
    }
}

/// What the buyer sees of a shipment (no openid, no contact, no error).
pub fn shipping_line(shipment: ShipmentRow) -> ShippingLine {
    ShippingLine {
        state: shipment.state,
        goods: shipment.goods,
        express_company: shipment.express_name,
        tracking_no: shipment.tracking_no,
        uploaded_at: shipment.uploaded_at,
        receipt_confirmed_at: shipment.receipt_confirmed_at,
    }
}

/// What the admin page shows of a shipment to dispatch or failing.
pub fn shipment_summary(row: ShipmentRow) -> ShipmentSummary {
    ShipmentSummary {
        next_attempt_at: (row.state == ShippingState::Uploading).then_some(row.next_attempt_at),
        order_id: row.order_id,
        description: row.item_desc,
        state: row.state,
        goods: row.goods,
        express_company: row.express_company,
        tracking_no: row.tracking_no,
        attempts: row.attempts,
        last_error: row.last_error,
    }
}

pub fn refund_line(refund: RefundRow) -> RefundLine {
    RefundLine {
        out_refund_no: refund.out_refund_no,
        refund_fen: refund.refund_fen,
        status: refund.status,
        reason: refund.reason,
    }
}

pub fn reconciliation(row: ReconciliationRow) -> ReconciliationSummary {
    ReconciliationSummary {
        bill_date: row.bill_date,
        outcome: row.outcome,
        payments: row.payments,
        refunds: row.refunds,
        findings: row
            .findings
            .lines()
            .filter(|line| !line.is_empty())
            .map(str::to_owned)
            .collect(),
    }
}
