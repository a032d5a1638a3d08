//! Events for the product's backend: what happened (an order paid, a refund settled, a person signed up), written to
//! the outbox in the transaction of the change it reports and delivered as Standard Webhooks
//! (<https://www.standardwebhooks.com/>) by [`delivery`].

pub mod admin;
pub mod delivery;
pub mod schedule;

/// The kinds of event, as the `type` of each body names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventType {
    /// An order was paid: `data` is the order.
    OrderPaid,
    /// Every fen of an order went back to the buyer: `data` is the order.
    OrderRefunded,
    /// A refund settled (the money is back with the buyer): `data` is the refund with its order.
    RefundSucceeded,
    /// A refund did not happen (WeChat Pay closed it, or could not return the money): `data` is the refund with its
    /// order; the amount may be asked for again.
    RefundFailed,
    /// An unpaid order was closed (it expired, or was closed on request): `data` is the order.
    OrderClosed,
    /// WeChat Pay took money for an order already closed here: nothing is to be delivered and the money must go
    /// back; `data` is the order.
    OrderPaidAfterClose,
    /// The buyer confirmed receipt of a mini-program order's goods (or WeChat confirmed it for them), as WeChat's
    /// trade management reports: `data` has the order and when.
    ShippingConfirmed,
    /// A person signed in for the first time: `data` is the user and the identity they signed in with.
    UserCreated,
    /// Two users turned out to be one person (one unionid): `data` names the user kept and the ones merged into it.
    UserMerged,
    /// A person's phone number was bound: `data` is the user id and the number.
    UserPhoneBound,
    /// A person withdrew what they had authorised an app (or closed their WeChat account); `data` says what wxgate
    /// erased.
    UserRevoked,
}

impl EventType {
    pub fn as_str(self) -> &'static str {
        match self {
            EventType::OrderPaid => "order.paid",
            EventType::OrderRefunded => "order.refunded",
            EventType::RefundSucceeded => "refund.succeeded",
            EventType::RefundFailed => "refund.failed",
            EventType::OrderClosed => "order.closed",
            EventType::OrderPaidAfterClose => "order.paid_after_close",
            EventType::ShippingConfirmed => "shipping.confirmed",
            EventType::UserCreated => "user.created",
            EventType::UserMerged => "user.merged",
            EventType::UserPhoneBound => "user.phone_bound",
            EventType::UserRevoked => "user.revoked",
        }
    }
}

/// What became of one delivery attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AttemptOutcome {
    /// The endpoint answered 2xx.
    Delivered,
    /// Not taken; tried again at this Unix second.
    RetryAt(i64),
    /// Not taken, and the schedule is spent.
    Failed,
}

impl AttemptOutcome {
    /// The outcome's label in `wxgate_event_deliveries_total`.
    pub fn label(self) -> &'static str {
        match self {
            AttemptOutcome::Delivered => "delivered",
            AttemptOutcome::RetryAt(_) => "retrying",
            AttemptOutcome::Failed => "failed",
        }
    }
}

/// Where an event's delivery stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// Not delivered yet: due at its next attempt.
    Pending,
    /// The product's endpoint answered 2xx.
    Delivered,
    /// Every attempt of the schedule failed; an admin may send it again.
    Failed,
}

impl DeliveryState {
    pub fn as_str(self) -> &'static str {
        match self {
            DeliveryState::Pending => "pending",
            DeliveryState::Delivered => "delivered",
            DeliveryState::Failed => "failed",
        }
    }

    pub fn parse(stored: &str) -> Option<DeliveryState> {
        [
            DeliveryState::Pending,
            DeliveryState::Delivered,
            DeliveryState::Failed,
        ]
        .into_iter()
        .find(|state| state.as_str() == stored)
    }
}
