//! What the shop's pages are shown of products, orders and reconciliations, built from the stored rows (nothing secret: no prepay,
//! no transaction id, no buyer identity).

use super::refunds::left_to_refund;
use crate::ssr::clock::now;
use crate::ssr::db::{OrderRow, ProductRow, ReconciliationRow, RefundRow};
use crate::types::shop::{OrderDetail, OrderSummary, Product, ReconciliationSummary, RefundLine};

pub fn product(row: ProductRow) -> Product {
    Product {
        id: row.id,
        name: row.name,
        description: row.description,
        price_fen: row.price_fen,
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

/// The order page's view of `order`; `for_admin` adds what is left to refund (of a paid order, or of one paid after
/// it was closed).
pub fn detail(order: OrderRow, refunds: Vec<RefundRow>, for_admin: bool) -> OrderDetail {
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
