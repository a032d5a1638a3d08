//! Server functions behind the shop: the catalogue, placing and paying orders, the buyer's orders, and the admin's
//! orders, refunds and catalogue editing. Amounts are always the server's, in fen.

use leptos::prelude::*;

use crate::types::money::Fen;
use crate::types::shipping::{ExpressCompany, Goods};
use crate::types::shop::{AdminOverview, OrderDetail, OrderSummary, PaymentStep, Product};
use crate::types::ApiError;

/// The context and the signed-in user's id, or [`ShopProblem::SignIn`](crate::types::shop::ShopProblem::SignIn).
#[cfg(feature = "ssr")]
async fn signed_in() -> Result<(crate::ssr::context::AppContext, String), ApiError> {
    use crate::ssr::payments::PaymentError;

    let context = super::app_context()?;
    let session: tower_sessions::Session = super::from_request().await?;
    let user_id = crate::ssr::auth::session::user_id(&session)
        .await
        .map_err(ApiError::from)?
        .ok_or(PaymentError::Unauthenticated)?;
    Ok((context, user_id))
}

/// What is on sale.
#[server(prefix = "/api/fn", endpoint = "products", output = crate::api::codec::JsonText)]
pub async fn list_products() -> Result<Vec<Product>, ApiError> {
    let context = super::app_context()?;
    Ok(crate::ssr::payments::catalogue::list(&context).await?)
}

/// One product on sale.
#[server(prefix = "/api/fn", endpoint = "product", output = crate::api::codec::JsonText)]
pub async fn find_product(id: String) -> Result<Product, ApiError> {
    use crate::ssr::bounds;
    use crate::ssr::payments::{views, PaymentError};

    super::bounded(bounds::fit("id", &id, bounds::MAX_ID_BYTES))?;
    let context = super::app_context()?;
    let product = context
        .db
        .product(&id)
        .await
        .map_err(PaymentError::from)?
        .ok_or(PaymentError::UnknownProduct)?;
    Ok(views::product(product))
}

/// A new order of `quantity` × `product_id`, priced here; returns its id.
#[server(prefix = "/api/fn", endpoint = "place_order", output = crate::api::codec::JsonText)]
pub async fn place_order(product_id: String, quantity: i64) -> Result<String, ApiError> {
    use crate::ssr::bounds;
    use crate::ssr::payments::checkout;

    super::bounded(bounds::fit("product_id", &product_id, bounds::MAX_ID_BYTES))?;
    let (context, user_id) = signed_in().await?;
    let order = checkout::create_order(&context, &user_id, &product_id, quantity).await?;
    Ok(order.id)
}

/// The order as its page shows it; `ask_wechat` asks WeChat Pay while the payment is pending (the page polls the
/// database every second and asks WeChat now and then).
#[server(prefix = "/api/fn", endpoint = "order", output = crate::api::codec::JsonText)]
pub async fn fetch_order(order_id: String, ask_wechat: bool) -> Result<OrderDetail, ApiError> {
    use crate::ssr::bounds;

    super::bounded(bounds::fit("order_id", &order_id, bounds::MAX_ID_BYTES))?;
    let (context, user_id) = signed_in().await?;
    Ok(crate::ssr::payments::orders::detail(&context, &user_id, &order_id, ask_wechat).await?)
}

/// How to pay the order from this browser: the pay bridge inside WeChat, WeChat Pay's H5 page on a phone, a QR on
/// a desktop. Paying again reuses the order's live prepay.
#[server(prefix = "/api/fn", endpoint = "pay_order", output = crate::api::codec::JsonText)]
pub async fn pay_order(order_id: String) -> Result<PaymentStep, ApiError> {
    use crate::ssr::bounds;
    use crate::ssr::payments::checkout::{self, Payment};
    use crate::ssr::payments::{orders, pay_from};

    super::bounded(bounds::fit("order_id", &order_id, bounds::MAX_ID_BYTES))?;
    let (context, user_id) = signed_in().await?;
    let (headers, axum::extract::ConnectInfo(peer)): (
        axum::http::HeaderMap,
        axum::extract::ConnectInfo<std::net::SocketAddr>,
    ) = super::from_request().await?;
    let from = pay_from::browser(peer, &headers, &context.settings.trusted_proxies);
    let order = orders::view(&context, &user_id, &order_id).await?.order;
    let encode =
        |text: &str| -> String { url::form_urlencoded::byte_serialize(text.as_bytes()).collect() };
    Ok(match checkout::pay(&context, &order, &from).await? {
        Payment::Jsapi(params) => PaymentStep::Bridge(params),
        Payment::H5Url(h5_url) => {
            let back = format!(
                "{}/orders/{}?returned=1",
                context.settings.app_url.as_str().trim_end_matches('/'),
                order.id
            );
            PaymentStep::Redirect(format!("{h5_url}&redirect_url={}", encode(&back)))
        }
        Payment::CodeUrl(code_url) => PaymentStep::Qr {
            image: format!("/api/orders/{}/qr.svg", order.id),
            sandbox_scan: context
                .settings
                .sandbox_links
                .as_ref()
                .map(|links| format!("{}?code_url={}", links.pay_scan, encode(&code_url))),
        },
    })
}

/// The signed-in buyer's orders, newest first.
#[server(prefix = "/api/fn", endpoint = "my_orders", output = crate::api::codec::JsonText)]
pub async fn my_orders() -> Result<Vec<OrderSummary>, ApiError> {
    use crate::ssr::payments::{orders, views};

    let (context, user_id) = signed_in().await?;
    let orders = orders::of_buyer(&context, &user_id).await?;
    Ok(orders.into_iter().map(views::summary).collect())
}

/// The admin page: everyone's recent orders, the catalogue and the latest reconciliations.
#[server(prefix = "/api/fn", endpoint = "admin", output = crate::api::codec::JsonText)]
pub async fn fetch_admin_overview() -> Result<AdminOverview, ApiError> {
    let (context, user_id) = signed_in().await?;
    Ok(crate::ssr::payments::admin::overview(&context, &user_id).await?)
}

/// Refunds `refund_fen` of an order; admins only. The page makes `request_id` once per refund it means, so a
/// retried click is the same refund.
#[server(prefix = "/api/fn", endpoint = "refund", output = crate::api::codec::JsonText)]
pub async fn refund_order(
    order_id: String,
    refund_fen: Fen,
    reason: String,
    request_id: String,
) -> Result<(), ApiError> {
    use crate::ssr::bounds;
    use crate::ssr::payments::refunds;

    super::bounded(
        bounds::fit("order_id", &order_id, bounds::MAX_ID_BYTES)
            .and(bounds::fit("request_id", &request_id, bounds::MAX_ID_BYTES))
            .and(bounds::fit_chars(
                "reason",
                reason.trim(),
                bounds::MAX_REASON_CHARS,
            )),
    )?;
    let (context, user_id) = signed_in().await?;
    let reason = Some(reason.trim().to_owned()).filter(|reason| !reason.is_empty());
    refunds::request(
        &context,
        refunds::Refunder::Admin(&user_id),
        &order_id,
        refund_fen,
        reason,
        Some(request_id),
    )
    .await?;
    Ok(())
}

/// Puts a product on sale or changes it; admins only.
#[server(prefix = "/api/fn", endpoint = "save_product", output = crate::api::codec::JsonText)]
pub async fn save_product(
    id: String,
    name: String,
    description: String,
    price_fen: Fen,
    goods: Goods,
) -> Result<(), ApiError> {
    use crate::ssr::bounds;
    use crate::ssr::db::ProductRow;
    use crate::ssr::payments::catalogue;

    // The catalogue checks these closely; this only keeps oversized input from reaching it.
    super::bounded(
        bounds::fit("id", &id, bounds::MAX_ID_BYTES)
            .and(bounds::fit("name", &name, bounds::MAX_TITLE_BYTES))
            .and(bounds::fit(
                "description",
                &description,
                bounds::MAX_TITLE_BYTES,
            )),
    )?;
    let (context, user_id) = signed_in().await?;
    catalogue::save(
        &context,
        &user_id,
        ProductRow {
            id,
            name,
            description,
            price_fen,
            goods,
        },
    )
    .await?;
    Ok(())
}

/// Takes a product off sale; admins only.
#[server(prefix = "/api/fn", endpoint = "retire_product", output = crate::api::codec::JsonText)]
pub async fn retire_product(id: String) -> Result<(), ApiError> {
    use crate::ssr::bounds;
    use crate::ssr::payments::catalogue;

    super::bounded(bounds::fit("id", &id, bounds::MAX_ID_BYTES))?;
    let (context, user_id) = signed_in().await?;
    catalogue::retire(&context, &user_id, &id).await?;
    Ok(())
}

/// WeChat's express companies, for the dispatch form; admins only.
#[server(prefix = "/api/fn", endpoint = "express_companies", output = crate::api::codec::JsonText)]
pub async fn express_companies() -> Result<Vec<ExpressCompany>, ApiError> {
    let (context, user_id) = signed_in().await?;
    Ok(crate::ssr::shipping::dispatch::companies(&context, &user_id).await?)
}

/// Dispatches the physical goods of a paid mini-program order: the express company's `delivery_id`, the tracking
/// number and (SF Express only) the receiver's phone; WeChat is told at once. Admins only.
#[server(prefix = "/api/fn", endpoint = "dispatch_order", output = crate::api::codec::JsonText)]
pub async fn dispatch_order(
    order_id: String,
    express_company: String,
    tracking_no: String,
    receiver_phone: String,
) -> Result<(), ApiError> {
    use crate::ssr::bounds;
    use crate::ssr::shipping::dispatch::{self, ExpressDetails};

    super::bounded(
        bounds::fit("order_id", &order_id, bounds::MAX_ID_BYTES)
            .and(bounds::fit(
                "express_company",
                &express_company,
                bounds::MAX_ID_BYTES,
            ))
            .and(bounds::fit(
                "tracking_no",
                &tracking_no,
                bounds::MAX_ID_BYTES,
            ))
            .and(bounds::fit(
                "receiver_phone",
                &receiver_phone,
                bounds::MAX_ID_BYTES,
            )),
    )?;
    let (context, user_id) = signed_in().await?;
    let details = ExpressDetails {
        company: express_company,
        tracking_no,
        receiver_phone,
    };
    Ok(dispatch::dispatch(&context, &user_id, &order_id, &details).await?)
}

/// Tries a failed shipping report again, now; admins only.
#[server(prefix = "/api/fn", endpoint = "retry_shipping", output = crate::api::codec::JsonText)]
pub async fn retry_shipping(order_id: String) -> Result<(), ApiError> {
    use crate::ssr::bounds;

    super::bounded(bounds::fit("order_id", &order_id, bounds::MAX_ID_BYTES))?;
    let (context, user_id) = signed_in().await?;
    Ok(crate::ssr::shipping::dispatch::retry(&context, &user_id, &order_id).await?)
}

/// Sends an event to the product again: due now, on a fresh schedule, with the same `webhook-id`; admins only.
#[server(prefix = "/api/fn", endpoint = "resend_event", output = crate::api::codec::JsonText)]
pub async fn resend_event(event_id: String) -> Result<(), ApiError> {
    use crate::ssr::bounds;

    super::bounded(bounds::fit("event_id", &event_id, bounds::MAX_ID_BYTES))?;
    let (context, user_id) = signed_in().await?;
    crate::ssr::events::admin::resend(&context, &user_id, &event_id).await
}
