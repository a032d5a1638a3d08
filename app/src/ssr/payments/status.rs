//! The order's status machine: CREATED → PAYING → PAID → PARTIALLY_REFUNDED / REFUNDED, or CLOSED (expired or
//! cancelled). Every change goes through [`OrderStatus::to`], which refuses the illegal ones.

use std::fmt;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStatus {
    Created,
    Paying,
    Paid,
    PartiallyRefunded,
    Refunded,
    Closed,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("an order cannot go from {from} to {to}")]
pub struct IllegalTransition {
    pub from: OrderStatus,
    pub to: OrderStatus,
}

impl OrderStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            OrderStatus::Created => "CREATED",
            OrderStatus::Paying => "PAYING",
            OrderStatus::Paid => "PAID",
            OrderStatus::PartiallyRefunded => "PARTIALLY_REFUNDED",
            OrderStatus::Refunded => "REFUNDED",
            OrderStatus::Closed => "CLOSED",
        }
    }

    pub fn parse(text: &str) -> Option<OrderStatus> {
        [
            OrderStatus::Created,
            OrderStatus::Paying,
            OrderStatus::Paid,
            OrderStatus::PartiallyRefunded,
            OrderStatus::Refunded,
            OrderStatus::Closed,
        ]
        .into_iter()
        .find(|status| status.as_str() == text)
    }

    /// Not paid yet and not closed: a payment may still come.
    pub fn is_unpaid(self) -> bool {
        matches!(self, OrderStatus::Created | OrderStatus::Paying)
    }

    /// Paid, with money left to refund.
    pub fn is_refundable(self) -> bool {
        matches!(self, OrderStatus::Paid | OrderStatus::PartiallyRefunded)
    }

    /// The statuses an order may move to from this one.
    fn next(self) -> &'static [OrderStatus] {
        match self {
            OrderStatus::Created => &[OrderStatus::Paying, OrderStatus::Paid, OrderStatus::Closed],
            OrderStatus::Paying => &[OrderStatus::Paid, OrderStatus::Closed],
            OrderStatus::Paid => &[OrderStatus::PartiallyRefunded, OrderStatus::Refunded],
            OrderStatus::PartiallyRefunded => {
                &[OrderStatus::PartiallyRefunded, OrderStatus::Refunded]
            }
            OrderStatus::Refunded | OrderStatus::Closed => &[],
        }
    }

    /// The move to `to`, or why it is not allowed.
    pub fn to(self, to: OrderStatus) -> Result<OrderStatus, IllegalTransition> {
        if self.next().contains(&to) {
            Ok(to)
        } else {
            Err(IllegalTransition { from: self, to })
        }
    }

    /// The statuses from which an order may become `to`, for guarded updates in the database.
    pub fn sources(to: OrderStatus) -> Vec<OrderStatus> {
        [
            OrderStatus::Created,
            OrderStatus::Paying,
            OrderStatus::Paid,
            OrderStatus::PartiallyRefunded,
            OrderStatus::Refunded,
            OrderStatus::Closed,
        ]
        .into_iter()
        .filter(|from| from.next().contains(&to))
        .collect()
    }

    /// The SQL condition of a guarded update to `to`, from [`OrderStatus::sources`]: `status IN ('CREATED', …)`.
    /// The names are this module's constants, never input.
    pub fn guard_sql(to: OrderStatus) -> String {
        let names: Vec<String> = OrderStatus::sources(to)
            .into_iter()
            .map(|from| format!("'{}'", from.as_str()))
            .collect();
        format!("status IN ({})", names.join(", "))
    }
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_paid_order_is_never_closed_and_a_closed_one_never_paid() {
        assert_eq!(
            OrderStatus::Paying.to(OrderStatus::Paid),
            Ok(OrderStatus::Paid)
        );
        assert!(OrderStatus::Paid.to(OrderStatus::Closed).is_err());
        assert!(OrderStatus::Closed.to(OrderStatus::Paid).is_err());
        assert!(OrderStatus::Refunded
            .to(OrderStatus::PartiallyRefunded)
            .is_err());
        assert_eq!(
            OrderStatus::sources(OrderStatus::Paid),
            vec![OrderStatus::Created, OrderStatus::Paying]
        );
    }

    #[test]
    fn guarded_updates_name_every_status_the_machine_allows() {
        assert_eq!(
            OrderStatus::guard_sql(OrderStatus::Paid),
            "status IN ('CREATED', 'PAYING')"
        );
        assert_eq!(
            OrderStatus::guard_sql(OrderStatus::Refunded),
            "status IN ('PAID', 'PARTIALLY_REFUNDED')"
        );
    }

    #[test]
    fn statuses_read_back_from_their_names() {
        for status in [
            "CREATED",
            "PAYING",
            "PAID",
            "PARTIALLY_REFUNDED",
            "REFUNDED",
            "CLOSED",
        ] {
            assert_eq!(
                OrderStatus::parse(status).map(OrderStatus::as_str),
                Some(status)
            );
        }
        assert_eq!(OrderStatus::parse("paid"), None);
    }
}
