//! Checkouts, the one way an order comes to exist: lines priced here (a catalogue product's, or the product's
//! backend's), made into the buyer's order once when the buyer opens the checkout.

use super::checkout::within_order_limits;
use super::merchant::pay_client_of;
use super::PaymentError;
use crate::ssr::cause::Cause;
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;
use crate::ssr::db::checkouts::{CheckoutLine, CheckoutOrder, CheckoutRow};
use crate::ssr::db::{new_id, OrderRow};
use crate::types::money::Fen;

/// The most WeChat Pay takes for one payment: its `amount.total` is a 32-bit int of fen.
pub const MAX_TOTAL_FEN: i64 = i32::MAX as i64;

/// WeChat Pay's `description` holds at most 127 characters.
const MAX_DESCRIPTION_CHARS: usize = 127;

/// What `lines` cost together; `None` past what WeChat Pay takes for one payment (or overflowing on the way).
pub fn total_of(lines: &[CheckoutLine]) -> Option<Fen> {
    lines
        .iter()
        .try_fold(Fen::ZERO, |total, line| {
            total.checked_add(line.unit_fen.times(line.quantity)?)
        })
        .filter(|total| total.get() <= MAX_TOTAL_FEN)
}

/// What WeChat Pay shows the buyer: the first line's name (with its quantity), and how many more lines there are,
/// within WeChat's 127 characters.
pub fn description_of(lines: &[CheckoutLine]) -> String {
    let Some(first) = lines.first() else {
        return String::new();
    };
    let mut description = if first.quantity == 1 {
        first.name.clone()
    } else {
        format!("{} × {}", first.name, first.quantity)
    };
    if lines.len() > 1 {
        description.push_str(&format!(" +{}", lines.len() - 1));
    }
    description.chars().take(MAX_DESCRIPTION_CHARS).collect()
}

/// A new checkout of `lines` for `buyer_id` (or for whoever opens it first), payable until `expires_at`; priced
/// here, not yet stored.
pub fn new_checkout(
    lines: Vec<CheckoutLine>,
    api_key_id: Option<String>,
    buyer_id: Option<String>,
    expires_at: i64,
) -> Result<CheckoutRow, PaymentError> {
    if lines.is_empty() {
        return Err(PaymentError::BadRequest("line_items (at least one)"));
    }
    let total_fen =
        total_of(&lines)
            .filter(|total| total.is_positive())
            .ok_or(PaymentError::BadRequest(
                "line_items (their total must be more than 0 and at most what WeChat Pay takes in one payment)",
            ))?;
    Ok(CheckoutRow {
        id: new_id(),
        api_key_id,
        description: description_of(&lines),
        line_items: lines,
        total_fen,
        success_url: None,
        cancel_url: None,
        metadata: None,
        buyer_id,
        order_id: None,
        created_at: now(),
        expires_at,
    })
}

/// The order of checkout `checkout_id` for the signed-in `user_id`: made now if the checkout has none yet (the
/// buyer then becomes the checkout's), the existing one if it has. A checkout of another buyer is unknown to this
/// one.
pub async fn order_for(
    context: &AppContext,
    checkout_id: &str,
    user_id: &str,
) -> Result<OrderRow, PaymentError> {
    pay_client_of(context)?;
    let buyer = context
        .db
        .user(user_id)
        .await?
        .ok_or(PaymentError::Unauthenticated)?;
    // Read again once if another request ordered or claimed it in between.
    for _ in 0..2 {
        let checkout = context
            .db
            .checkout(checkout_id)
            .await?
            .ok_or(PaymentError::UnknownCheckout)?;
        if let Some(claimed) = &checkout.buyer_id {
            let claimed = context.db.user(claimed).await?;
            if claimed.is_none_or(|claimed| claimed.id != buyer.id) {
                return Err(PaymentError::UnknownCheckout);
            }
        }
        if let Some(order_id) = &checkout.order_id {
            return context
                .db
                .order(order_id)
                .await?
                .ok_or(PaymentError::UnknownOrder);
        }
        if checkout.expires_at <= now() {
            return Err(PaymentError::NotPayable("EXPIRED".to_owned()));
        }
        within_order_limits(context, &buyer.id).await?;
        if let Some(order) = make_order(context, &checkout, &buyer.id).await? {
            return Ok(order);
        }
    }
    Err(PaymentError::Internal(Cause::new(
        "the checkout kept changing while its order was made",
    )))
}

/// Makes `checkout`, as just read, into `buyer_id`'s order; `None`, with nothing written, when another request
/// ordered or claimed it meanwhile.
pub(super) async fn make_order(
    context: &AppContext,
    checkout: &CheckoutRow,
    buyer_id: &str,
) -> Result<Option<OrderRow>, PaymentError> {
    let order_id = new_id();
    // 6–32 of [0-9A-Za-z_-|*]: "WXG" and 24 hex digits.
    let out_trade_no = format!("WXG{}", &new_id()[..24]);
    let order = CheckoutOrder {
        order_id: &order_id,
        out_trade_no: &out_trade_no,
        buyer_id,
        expires_at: checkout.expires_at,
    };
    if !context.db.order_checkout(checkout, &order).await? {
        return Ok(None);
    }
    Ok(Some(
        context
            .db
            .order(&order_id)
            .await?
            .ok_or(PaymentError::UnknownOrder)?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::types::shipping::Goods;

    fn line(name: &str, unit_fen: i64, quantity: i64) -> CheckoutLine {
        CheckoutLine {
            product_id: name.to_owned(),
            name: name.to_owned(),
            unit_fen: Fen::new(unit_fen),
            quantity,
            goods: Goods::Virtual,
        }
    }

    #[test]
    fn the_total_is_the_lines_summed_and_bounded_by_what_wechat_pay_takes() {
        assert_eq!(
            total_of(&[line("a", 1250, 2), line("b", 99, 1)]),
            Some(Fen::new(2599))
        );
        assert_eq!(
            total_of(&[line("a", MAX_TOTAL_FEN, 1)]),
            Some(Fen::new(MAX_TOTAL_FEN))
        );
        assert_eq!(
            total_of(&[line("a", MAX_TOTAL_FEN, 1), line("b", 1, 1)]),
            None
        );
        assert_eq!(total_of(&[line("a", i64::MAX, 2)]), None);
        assert_eq!(
            total_of(&[line("a", i64::MAX, 1), line("b", i64::MAX, 1)]),
            None
        );
    }

    #[test]
    fn the_description_names_the_first_line_and_counts_the_others_within_127_characters() {
        assert_eq!(description_of(&[line("Tea", 100, 1)]), "Tea");
        assert_eq!(description_of(&[line("Tea", 100, 3)]), "Tea × 3");
        assert_eq!(
            description_of(&[line("Tea", 100, 1), line("Cup", 100, 1), line("Pot", 1, 1)]),
            "Tea +2"
        );
        let long = "茶".repeat(127);
        assert_eq!(description_of(&[line(&long, 100, 2)]).chars().count(), 127);
    }

    #[test]
    fn a_checkout_of_nothing_or_of_too_much_is_refused() {
        assert!(new_checkout(Vec::new(), None, None, 1_000).is_err());
        assert!(new_checkout(vec![line("a", MAX_TOTAL_FEN, 2)], None, None, 1_000).is_err());
    }
}
