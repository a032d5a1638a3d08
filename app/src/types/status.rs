//! Where an order and a refund stand, shared by the server and the browser (each serializes as its stored name).
//!
//! The order's status machine: CREATED → PAYING → PAID → PARTIALLY_REFUNDED / REFUNDED, or CLOSED (expired or
//! cancelled). Every change goes through [`OrderStatus::to`], which refuses the illegal ones. A refund is
//! REQUESTED by wxgate, then takes WeChat Pay's status (<https://pay.weixin.qq.com/doc/v3/merchant/4012791862>,
//! `status`): PROCESSING, then SUCCESS, CLOSED or ABNORMAL. A China day's check against WeChat Pay's trade bill is
//! RUNNING, then AGREED, DIFFERS or FAILED.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::lang::Lang;

/// Where an order stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
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

    /// The buyer's money reached the merchant (some of it may have gone back since).
    pub fn is_paid(self) -> bool {
        matches!(
            self,
            OrderStatus::Paid | OrderStatus::PartiallyRefunded | OrderStatus::Refunded
        )
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
}

impl fmt::Display for OrderStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Where a refund stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RefundStatus {
    /// Recorded by wxgate; WeChat Pay has not answered yet.
    Requested,
    /// WeChat Pay accepted it and is sending the money back.
    Processing,
    /// The money is back with the buyer.
    Success,
    /// It did not happen (WeChat Pay refused it or closed it); the amount may be asked for again.
    Closed,
    /// WeChat Pay could not return the money (the buyer's card was closed, …): the merchant platform must act; the
    /// amount may be asked for again.
    Abnormal,
}

impl RefundStatus {
    const ALL: [RefundStatus; 5] = [
        RefundStatus::Requested,
        RefundStatus::Processing,
        RefundStatus::Success,
        RefundStatus::Closed,
        RefundStatus::Abnormal,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            RefundStatus::Requested => "REQUESTED",
            RefundStatus::Processing => "PROCESSING",
            RefundStatus::Success => "SUCCESS",
            RefundStatus::Closed => "CLOSED",
            RefundStatus::Abnormal => "ABNORMAL",
        }
    }

    /// The status named `text` (wxgate's REQUESTED or one of WeChat Pay's).
    pub fn parse(text: &str) -> Option<RefundStatus> {
        RefundStatus::ALL
            .into_iter()
            .find(|status| status.as_str() == text)
    }

    /// Its money is gone or on its way back, so it counts against what is left of the order.
    pub fn counts_against_order(self) -> bool {
        !matches!(self, RefundStatus::Closed | RefundStatus::Abnormal)
    }

    /// Still to be settled by WeChat Pay: a page showing it keeps asking.
    pub fn is_pending(self) -> bool {
        matches!(self, RefundStatus::Requested | RefundStatus::Processing)
    }
}

/// A status name that is not one of wxgate's, read from storage.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown refund status {0}")]
pub struct UnknownRefundStatus(pub String);

impl TryFrom<String> for RefundStatus {
    type Error = UnknownRefundStatus;

    fn try_from(text: String) -> Result<RefundStatus, UnknownRefundStatus> {
        RefundStatus::parse(&text).ok_or(UnknownRefundStatus(text))
    }
}

impl fmt::Display for RefundStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How a China day's check against WeChat Pay's trade bill ended, or that it is under way.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReconciliationOutcome {
    /// A process has claimed the day and is checking it.
    Running,
    /// The bill and wxgate agree.
    Agreed,
    /// The bill and wxgate differ; the findings say where.
    Differs,
    /// The check could not be made (no bill yet, WeChat Pay unreachable, …); it is tried again later.
    Failed,
}

impl ReconciliationOutcome {
    const ALL: [ReconciliationOutcome; 4] = [
        ReconciliationOutcome::Running,
        ReconciliationOutcome::Agreed,
        ReconciliationOutcome::Differs,
        ReconciliationOutcome::Failed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ReconciliationOutcome::Running => "RUNNING",
            ReconciliationOutcome::Agreed => "AGREED",
            ReconciliationOutcome::Differs => "DIFFERS",
            ReconciliationOutcome::Failed => "FAILED",
        }
    }

    pub fn parse(text: &str) -> Option<ReconciliationOutcome> {
        ReconciliationOutcome::ALL
            .into_iter()
            .find(|outcome| outcome.as_str() == text)
    }

    /// The check ended with an answer (agreed or not): nothing is left to do for that day.
    pub fn is_answered(self) -> bool {
        matches!(
            self,
            ReconciliationOutcome::Agreed | ReconciliationOutcome::Differs
        )
    }

    /// The outcome as a person reads it.
    pub fn sentence(self, lang: Lang) -> &'static str {
        match self {
            ReconciliationOutcome::Running => lang.pick("正在对账", "Being checked"),
            ReconciliationOutcome::Agreed => lang.pick("与账单一致", "Agrees with the bill"),
            ReconciliationOutcome::Differs => lang.pick("与账单有差异", "Differs from the bill"),
            ReconciliationOutcome::Failed => lang.pick("未能对账", "Could not be checked"),
        }
    }
}

impl fmt::Display for ReconciliationOutcome {
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

    #[test]
    fn refund_statuses_read_back_and_only_failed_ones_free_their_amount() {
        for status in RefundStatus::ALL {
            assert_eq!(RefundStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(RefundStatus::parse("success"), None);
        assert!(RefundStatus::Requested.counts_against_order());
        assert!(RefundStatus::Success.counts_against_order());
        assert!(!RefundStatus::Closed.counts_against_order());
        assert!(!RefundStatus::Abnormal.counts_against_order());
    }

    #[test]
    fn reconciliation_outcomes_read_back_and_only_answers_end_a_day() {
        for outcome in ReconciliationOutcome::ALL {
            assert_eq!(
                ReconciliationOutcome::parse(outcome.as_str()),
                Some(outcome)
            );
        }
        assert_eq!(ReconciliationOutcome::parse("agreed"), None);
        assert!(ReconciliationOutcome::Differs.is_answered());
        assert!(!ReconciliationOutcome::Failed.is_answered());
        assert!(!ReconciliationOutcome::Running.is_answered());
    }

    #[test]
    fn statuses_cross_the_wire_as_their_stored_names() {
        assert_eq!(
            serde_json::to_value(OrderStatus::PartiallyRefunded).ok(),
            Some(serde_json::json!("PARTIALLY_REFUNDED"))
        );
        assert_eq!(
            serde_json::to_value(RefundStatus::Requested).ok(),
            Some(serde_json::json!("REQUESTED"))
        );
    }
}
