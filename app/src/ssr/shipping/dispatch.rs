//! What admins do with shipments (the admin page lists those to dispatch or failing): pick an express company from
//! WeChat's list, enter the tracking number (and, for SF Express, the receiver's phone, kept masked), and try a FAILED upload
//! again. Each action makes the upload due at once.

use secrecy::ExposeSecret;

use super::ShippingError;
use crate::ssr::clock::now;
use crate::ssr::context::AppContext;
use crate::ssr::db::shipments::Dispatch;
use crate::ssr::payments::access::is_admin;
use crate::types::shipping::{ExpressCompany, Goods};

use super::desk::COMPANIES_TTL_SECONDS;

/// The longest tracking number taken.
const MAX_TRACKING_NO: usize = 64;
/// SF Express (顺丰) wants the receiver's or the consignor's contact with each upload.
const SF_EXPRESS: &str = "SF";

/// The express details an admin entered, as the page sent them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExpressDetails {
    pub company: String,
    pub tracking_no: String,
    /// The receiver's phone number (full or already masked); needed for SF Express only.
    pub receiver_phone: String,
}

/// WeChat's express companies (kept a day); admins only.
pub async fn companies(
    context: &AppContext,
    admin: &str,
) -> Result<Vec<ExpressCompany>, ShippingError> {
    if !is_admin(context, admin).await? {
        return Err(ShippingError::Forbidden);
    }
    known_companies(context).await
}

async fn known_companies(context: &AppContext) -> Result<Vec<ExpressCompany>, ShippingError> {
    let at = now();
    if let Some(companies) = context.shipping.companies(at - COMPANIES_TTL_SECONDS) {
        return Ok(companies);
    }
    let app = context
        .wechat
        .mini_program
        .as_ref()
        .ok_or(ShippingError::NotShippable("no mini program is configured"))?;
    let api = &context.wechat.api;
    let listed = app
        .token
        .with_access_token(|token| async move {
            wechat::shipping::delivery_companies(api, token.expose_secret()).await
        })
        .await
        .map_err(ShippingError::WeChat)?;
    let companies: Vec<ExpressCompany> = listed
        .into_iter()
        .map(|company| ExpressCompany {
            delivery_id: company.delivery_id,
            name: company.delivery_name,
        })
        .collect();
    context.shipping.keep_companies(at, companies.clone());
    Ok(companies)
}

/// Keeps an admin's express details for the physical goods of `order_id` and reports them to WeChat at once.
pub async fn dispatch(
    context: &AppContext,
    admin: &str,
    order_id: &str,
    details: &ExpressDetails,
) -> Result<(), ShippingError> {
    if !is_admin(context, admin).await? {
        return Err(ShippingError::Forbidden);
    }
    let shipment = context
        .db
        .shipment(order_id)
        .await?
        .ok_or(ShippingError::UnknownOrder)?;
    if shipment.goods != Goods::Physical {
        return Err(ShippingError::NotShippable(
            "virtual goods are reported by themselves",
        ));
    }
    let tracking_no = details.tracking_no.trim();
    let tracking_ok = (1..=MAX_TRACKING_NO).contains(&tracking_no.len())
        && tracking_no
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'-');
    if !tracking_ok {
        return Err(ShippingError::BadRequest(
            "tracking number (1 to 64 of A-Z, a-z, 0-9 and -)",
        ));
    }
    let company = known_companies(context)
        .await?
        .into_iter()
        .find(|company| company.delivery_id == details.company.trim())
        .ok_or(ShippingError::BadRequest(
            "express company (one of WeChat's list)",
        ))?;
    let phone = details.receiver_phone.trim();
    let receiver_contact = if phone.is_empty() {
        None
    } else {
        Some(masked_phone(phone).ok_or(ShippingError::BadRequest("receiver's phone number"))?)
    };
    if company.delivery_id == SF_EXPRESS && receiver_contact.is_none() {
        return Err(ShippingError::BadRequest(
            "receiver's phone number (SF Express needs it)",
        ));
    }
    let dispatched = context
        .db
        .dispatch_shipment(
            order_id,
            &Dispatch {
                express_company: &company.delivery_id,
                express_name: &company.name,
                tracking_no,
                receiver_contact: receiver_contact.as_deref(),
            },
        )
        .await?;
    if !dispatched {
        return Err(ShippingError::NotShippable(
            "its shipping was reported already",
        ));
    }
    context.shipping.wake();
    Ok(())
}

/// Tries a FAILED upload of `order_id` again, now; admins only.
pub async fn retry(context: &AppContext, admin: &str, order_id: &str) -> Result<(), ShippingError> {
    if !is_admin(context, admin).await? {
        return Err(ShippingError::Forbidden);
    }
    if context.db.shipment(order_id).await?.is_none() {
        return Err(ShippingError::UnknownOrder);
    }
    if !context.db.retry_shipment(order_id).await? {
        return Err(ShippingError::NotShippable(
            "only a failed upload is tried again",
        ));
    }
    context.shipping.wake();
    Ok(())
}

/// A phone number as WeChat takes a contact: every digit but the last four masked (`138****8000` for a mobile
/// number); one already masked is taken as it is. `None` for anything else.
pub fn masked_phone(phone: &str) -> Option<String> {
    let allowed = |byte: u8| byte.is_ascii_digit() || byte == b'*' || byte == b'-' || byte == b'+';
    let last_four_digits = phone.len() >= 4
        && phone
            .bytes()
            .rev()
            .take(4)
            .all(|byte| byte.is_ascii_digit());
    if phone.len() > 20 || !phone.bytes().all(allowed) || !last_four_digits {
        return None;
    }
    if phone.contains('*') {
        return Some(phone.to_owned());
    }
    let digits = phone.bytes().filter(u8::is_ascii_digit).count();
    if digits < 7 {
        return None;
    }
    if digits == 11 && phone.len() == 11 {
        return Some(format!("{}****{}", &phone[..3], &phone[7..]));
    }
    let keep_from = phone.len() - 4;
    Some(
        phone
            .char_indices()
            .map(|(at, character)| {
                if at < keep_from && character.is_ascii_digit() {
                    '*'
                } else {
                    character
                }
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phone_numbers_keep_only_their_last_four_digits() {
        assert_eq!(masked_phone("13800138000").as_deref(), Some("138****8000"));
        assert_eq!(
            masked_phone("021-61234567").as_deref(),
            Some("***-****4567")
        );
        assert_eq!(masked_phone("189****1234").as_deref(), Some("189****1234"));
        assert_eq!(
            masked_phone("12345"),
            None,
            "too short to be a phone number"
        );
        assert_eq!(masked_phone("1380013800a"), None);
        assert_eq!(
            masked_phone("138001380**"),
            None,
            "the last four stay digits"
        );
    }
}
