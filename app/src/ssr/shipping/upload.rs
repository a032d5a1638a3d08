//! Reporting due shipments to WeChat (`wxa/sec/order/upload_shipping_info`): each is claimed by one process, checked
//! (refunded in full, or a mini program that is not trade-managed, needs no report), uploaded whole (one entry,
//! `delivery_mode` 1) and marked UPLOADED; a failure is kept with its reason and tried again later, waiting twice as
//! long each time, until [`MAX_ATTEMPTS`] have failed (FAILED: the admin page offers to try again).

use secrecy::ExposeSecret;

use super::managed::{self, ManagedError};
use crate::ssr::clock::{china_rfc3339, now};
use crate::ssr::context::{AppContext, WeChatApp};
use crate::ssr::db::shipments::{ClaimedShipment, UploadEnd};
use crate::ssr::db::{DbError, ShipmentRow};
use crate::ssr::metrics;
use crate::types::shipping::Goods;
use wechat::api::WeChatError;
use wechat::shipping::{Contact, Logistics, Shipping, MAX_ITEM_DESC_CHARS};

/// After this many failed uploads a shipment is FAILED and waits for an admin.
pub const MAX_ATTEMPTS: i64 = 10;
/// The longest wait between two tries.
const MAX_RETRY_DELAY_SECONDS: i64 = 6 * 60 * 60;
/// How long a claimed upload is left to the process that claimed it before another may try.
const CLAIM_SECONDS: i64 = 5 * 60;
/// How many due shipments one run takes.
const BATCH: i64 = 50;
/// WeChat's "发货信息未更新": the upload is what WeChat already holds (an earlier try went through unrecorded).
const NOTHING_CHANGED: i64 = 10060023;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Run {
    pub uploaded: usize,
    pub not_required: usize,
    pub failed: usize,
}

/// Reports every shipment due now. Without a mini program nothing can be due.
pub async fn run_due(context: &AppContext) -> Result<Run, DbError> {
    let mut run = Run::default();
    let Some(app) = context.wechat.mini_program.as_ref() else {
        return Ok(run);
    };
    let at = now();
    let claimed_until = at + CLAIM_SECONDS;
    let claimed = context
        .db
        .claim_due_shipments(at, claimed_until, BATCH)
        .await?;
    let mut ends = Vec::with_capacity(claimed.len());
    for ClaimedShipment {
        shipment,
        order_refunded,
    } in &claimed
    {
        let order_id = shipment.order_id.as_str();
        let end = match attempt(context, app, shipment, *order_refunded).await {
            Ok(Reported::Uploaded) => {
                tracing::info!(order_id, "shipping reported to WeChat");
                metrics::shipping_report("uploaded");
                run.uploaded += 1;
                UploadEnd::Uploaded { at: now() }
            }
            Ok(Reported::NotRequired(why)) => {
                tracing::info!(order_id, why, "no shipping to report");
                metrics::shipping_report("not_required");
                run.not_required += 1;
                UploadEnd::NotRequired
            }
            Err(error) => {
                let attempts = shipment.attempts + 1;
                let retry_at = retry_delay(context.settings.shipping_retry_seconds, attempts)
                    .map(|delay| now() + delay);
                tracing::warn!(
                    order_id,
                    attempts,
                    %error,
                    gives_up = retry_at.is_none(),
                    "reporting shipping to WeChat failed"
                );
                metrics::shipping_report(if retry_at.is_some() {
                    "failed"
                } else {
                    "gave_up"
                });
                run.failed += 1;
                UploadEnd::Failed {
                    error: error.to_string(),
                    retry_at,
                }
            }
        };
        ends.push((order_id, end));
    }
    // The outcomes are recorded together once the batch is done; a process that stops before leaves its claims
    // to expire, and the upload made again is taken by WeChat as one it holds already (NOTHING_CHANGED).
    context.db.finish_uploads(claimed_until, &ends).await?;
    Ok(run)
}

/// How long to wait after the `attempts`-th failure: `base` seconds, doubled for each failure before, at most six
/// hours; `None` once [`MAX_ATTEMPTS`] have failed.
pub fn retry_delay(base: i64, attempts: i64) -> Option<i64> {
    if attempts >= MAX_ATTEMPTS {
        return None;
    }
    let doublings = u32::try_from(attempts.saturating_sub(1))
        .unwrap_or(u32::MAX)
        .min(30);
    Some(
        base.max(1)
            .saturating_mul(1_i64 << doublings)
            .min(MAX_RETRY_DELAY_SECONDS),
    )
}

enum Reported {
    Uploaded,
    NotRequired(&'static str),
}

#[derive(Debug, thiserror::Error)]
enum AttemptError {
    #[error(transparent)]
    Managed(#[from] ManagedError),
    #[error("upload_shipping_info: {0}")]
    Upload(#[source] WeChatError),
    #[error("physical goods without an express company and tracking number")]
    NoExpressDetails,
    #[error("the order: {0}")]
    Db(#[from] DbError),
}

async fn attempt(
    context: &AppContext,
    app: &WeChatApp,
    shipment: &ShipmentRow,
    order_refunded: bool,
) -> Result<Reported, AttemptError> {
    if order_refunded {
        return Ok(Reported::NotRequired("the order was refunded in full"));
    }
    if !managed::is_trade_managed(context, app, &shipment.appid).await? {
        return Ok(Reported::NotRequired(
            "the mini program is not trade-managed",
        ));
    }
    let logistics = logistics(shipment)?;
    let item_desc: String = shipment
        .item_desc
        .chars()
        .take(MAX_ITEM_DESC_CHARS)
        .collect();
    let upload_time = china_rfc3339(now());
    let shipping = Shipping {
        transaction_id: &shipment.transaction_id,
        payer_openid: &shipment.payer_openid,
        item_desc: &item_desc,
        logistics,
        upload_time: &upload_time,
    };
    let api = &context.wechat.api;
    let uploaded = app
        .token
        .with_access_token(|token| {
            let shipping = &shipping;
            async move {
                wechat::shipping::upload_shipping_info(api, token.expose_secret(), shipping).await
            }
        })
        .await;
    match uploaded {
        Ok(()) => Ok(Reported::Uploaded),
        Err(error) if error.errcode() == Some(NOTHING_CHANGED) => Ok(Reported::Uploaded),
        Err(error) => Err(AttemptError::Upload(error)),
    }
}

/// How `shipment`'s goods went out, as WeChat is told.
fn logistics(shipment: &ShipmentRow) -> Result<Logistics, AttemptError> {
    match shipment.goods {
        Goods::Virtual => Ok(Logistics::Virtual),
        Goods::Physical => match (&shipment.express_company, &shipment.tracking_no) {
            (Some(company), Some(tracking_no)) => Ok(Logistics::Express {
                company: company.clone(),
                tracking_no: tracking_no.clone(),
                contact: shipment.receiver_contact.clone().map(Contact::Receiver),
            }),
            _ => Err(AttemptError::NoExpressDetails),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retries_wait_twice_as_long_each_time_then_stop() {
        assert_eq!(retry_delay(60, 1), Some(60));
        assert_eq!(retry_delay(60, 2), Some(120));
        assert_eq!(retry_delay(60, 5), Some(960));
        assert_eq!(retry_delay(60, 9), Some(15_360));
        assert_eq!(
            retry_delay(3600, 4),
            Some(MAX_RETRY_DELAY_SECONDS),
            "at most six hours"
        );
        assert_eq!(retry_delay(60, MAX_ATTEMPTS), None);
        assert_eq!(retry_delay(0, 1), Some(1), "a zero base still waits");
    }
}
