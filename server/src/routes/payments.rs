//! The payment routes: the catalogue, payment creation for the mini program and for browsers (the channel chosen by
//! where the buyer is), an order's status, and the WeChat Pay webhook.

use std::net::SocketAddr;

use app::ssr::auth::session as auth_session;
use app::ssr::bounds::{self, fit, fit_chars, fit_optional, TooLong};
use app::ssr::cause::Cause;
use app::ssr::context::AppContext;
use app::ssr::db::OrderRow;
use app::ssr::payments::checkout::{self, PayFrom, Payment};
use app::ssr::payments::settle::Settled;
use app::ssr::payments::webhook::{self, Refused};
use app::ssr::payments::{
    access, catalogue, checkouts, orders, pay_from, refunds, views, PaymentError,
};
use axum::body::Bytes;
use axum::extract::rejection::JsonRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tower_sessions::Session;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::errors::ApiFailure;
use crate::contract::answers::{BrowserPayment, MiniProgramPayment, WebhookRefusal};
use crate::contract::refusals::PaymentRefusals;
use crate::contract::requests::{CreatePaymentBody, RefundBody};
use crate::state::ServerState;
use app::types::shop::{OrderDetail, Product, RefundLine};

pub fn router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::new()
        .routes(routes!(products))
        .routes(routes!(mini_program_create))
        .routes(routes!(browser_create))
        .routes(routes!(order))
        .routes(routes!(refund))
        .routes(routes!(order_qr))
        .layer(DefaultBodyLimit::max(bounds::MAX_BODY_BYTES))
        // Added after the layer, so it keeps axum's default limit: a notification WeChat sends is never refused for
        // its size by a bound meant for clients.
        .routes(routes!(wechat_pay_webhook))
}

type ApiResult = Result<Response, ApiFailure>;

async fn buyer(session: &Session) -> Result<String, PaymentError> {
    auth_session::user_id(session)
        .await
        .map_err(|error| PaymentError::Internal(Cause::new(error)))?
        .ok_or(PaymentError::Unauthenticated)
}

/// `GET /api/products`: what is on sale, priced in fen.
#[utoipa::path(
    get,
    path = "/api/products",
    tag = "payments",
    summary = "What is on sale",
    responses((status = 200, body = Vec<Product>), PaymentRefusals),
)]
async fn products(State(context): State<AppContext>) -> ApiResult {
    Ok(Json(catalogue::list(&context).await?).into_response())
}

/// The JSON body, or a `bad_request` naming it (or saying it is over [`bounds::MAX_BODY_BYTES`]).
fn json_body<T>(body: Result<Json<T>, JsonRejection>) -> Result<T, PaymentError> {
    body.map(|Json(body)| body).map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            PaymentError::BadRequest("JSON body (at most 64 KiB)")
        } else {
            PaymentError::BadRequest("JSON body")
        }
    })
}

/// The create body's ids within their bounds.
fn bounded_create(body: &CreatePaymentBody) -> Result<(), TooLong> {
    fit_optional(
        "product_id",
        body.product_id.as_deref(),
        bounds::MAX_ID_BYTES,
    )?;
    fit_optional("order_id", body.order_id.as_deref(), bounds::MAX_ID_BYTES)?;
    fit_optional(
        "checkout_id",
        body.checkout_id.as_deref(),
        bounds::MAX_ID_BYTES,
    )?;
    Ok(())
}

/// The order to pay: an existing one of this buyer, a product's checkout's, or a new one of the product and
/// quantity asked for.
async fn order_to_pay(
    context: &AppContext,
    user_id: &str,
    body: CreatePaymentBody,
) -> Result<OrderRow, PaymentError> {
    match (body.order_id, body.checkout_id, body.product_id) {
        (Some(order_id), _, _) => Ok(orders::view(context, user_id, &order_id).await?.order),
        (None, Some(checkout_id), _) => checkouts::order_for(context, &checkout_id, user_id).await,
        (None, None, Some(product_id)) => {
            checkout::create_order(context, user_id, &product_id, body.quantity.unwrap_or(1)).await
        }
        (None, None, None) => Err(PaymentError::BadRequest("product_id")),
    }
}

/// `POST /api/payments/miniprogram/create {product_id, quantity}` → what `wx.requestPayment` takes, signed here.
#[utoipa::path(
    post,
    path = "/api/payments/miniprogram/create",
    tag = "payments",
    summary = "Pay in the mini program: the signed wx.requestPayment parameters",
    request_body = CreatePaymentBody,
    responses((status = 200, body = MiniProgramPayment), PaymentRefusals),
    security(("session_token" = []), ("session_cookie" = [])),
)]
async fn mini_program_create(
    State(context): State<AppContext>,
    session: Session,
    body: Result<Json<CreatePaymentBody>, JsonRejection>,
) -> ApiResult {
    let body = json_body(body)?;
    bounded_create(&body)?;
    let user_id = buyer(&session).await?;
    let order = order_to_pay(&context, &user_id, body).await?;
    let Payment::Jsapi(params) = checkout::pay(&context, &order, &PayFrom::MiniProgram).await?
    else {
        return Err(
            PaymentError::Internal(Cause::new("the mini program got no JSAPI parameters")).into(),
        );
    };
    Ok(Json(MiniProgramPayment {
        order_id: order.id,
        out_trade_no: order.out_trade_no,
        time_stamp: params.time_stamp,
        nonce_str: params.nonce_str,
        package: params.package,
        sign_type: params.sign_type,
        pay_sign: params.pay_sign,
    })
    .into_response())
}

/// `POST /api/payments/create {product_id, quantity}`: inside WeChat the pay bridge's parameters, on a phone an
/// `h5_url` to send the browser to, on a desktop a `code_url` to show as a QR.
#[utoipa::path(
    post,
    path = "/api/payments/create",
    tag = "payments",
    summary = "Pay in a browser: the channel follows where the buyer is (User-Agent)",
    request_body = CreatePaymentBody,
    responses((status = 200, body = BrowserPayment), PaymentRefusals),
    security(("session_token" = []), ("session_cookie" = [])),
)]
async fn browser_create(
    State(context): State<AppContext>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    session: Session,
    body: Result<Json<CreatePaymentBody>, JsonRejection>,
) -> ApiResult {
    let body = json_body(body)?;
    bounded_create(&body)?;
    let user_id = buyer(&session).await?;
    let from = pay_from::browser(peer, &headers, &context.settings.trusted_proxies);
    let order = order_to_pay(&context, &user_id, body).await?;
    let payment = checkout::pay(&context, &order, &from).await?;
    let mut answer = BrowserPayment {
        order_id: order.id,
        out_trade_no: order.out_trade_no,
        total_fen: order.total_fen,
        jsapi: None,
        h5_url: None,
        code_url: None,
    };
    match payment {
        Payment::Jsapi(params) => answer.jsapi = Some(params),
        Payment::H5Url(url) => answer.h5_url = Some(url),
        Payment::CodeUrl(url) => answer.code_url = Some(url),
    }
    Ok(Json(answer).into_response())
}

/// `GET /api/orders/{order_id}`: the buyer's order, asked of WeChat Pay while its payment is pending.
#[utoipa::path(
    get,
    path = "/api/orders/{order_id}",
    tag = "payments",
    summary = "The buyer's order (an admin sees any, with what is left to refund)",
    params(("order_id" = String, Path)),
    responses((status = 200, body = OrderDetail), PaymentRefusals),
    security(("session_token" = []), ("session_cookie" = [])),
)]
async fn order(
    State(context): State<AppContext>,
    session: Session,
    Path(order_id): Path<String>,
) -> ApiResult {
    fit("order_id", &order_id, bounds::MAX_ID_BYTES)?;
    let user_id = buyer(&session).await?;
    Ok(Json(orders::detail(&context, &user_id, &order_id, true).await?).into_response())
}

/// `GET /api/orders/{order_id}/qr.svg`: the order's Native `code_url` as a QR code, drawn here, while it can be paid.
#[utoipa::path(
    get,
    path = "/api/orders/{order_id}/qr.svg",
    tag = "payments",
    summary = "The order's Native payment QR code, while it can be paid",
    params(("order_id" = String, Path)),
    responses(
        (status = 200, content_type = "image/svg+xml", body = String, description = "The QR code"),
        PaymentRefusals,
    ),
    security(("session_token" = []), ("session_cookie" = [])),
)]
async fn order_qr(
    State(context): State<AppContext>,
    session: Session,
    Path(order_id): Path<String>,
) -> ApiResult {
    fit("order_id", &order_id, bounds::MAX_ID_BYTES)?;
    let user_id = buyer(&session).await?;
    let order = access::visible(&context, &user_id, &order_id).await?.order;
    let code_url = checkout::live_code_url(&order)
        .ok_or_else(|| PaymentError::NotPayable(order.status.to_string()))?;
    let svg = sandbox::qr::svg(code_url)
        .ok_or_else(|| PaymentError::Internal(Cause::new("the code_url does not fit a QR code")))?;
    Ok((
        [
            (header::CONTENT_TYPE, "image/svg+xml"),
            (header::CACHE_CONTROL, "private, no-store"),
        ],
        svg,
    )
        .into_response())
}

/// `POST /api/orders/{order_id}/refunds {refund_fen, reason?, request_id?}`: admins only.
#[utoipa::path(
    post,
    path = "/api/orders/{order_id}/refunds",
    tag = "payments",
    summary = "Refund part or all of a paid order (admins only; the same request_id is the same refund)",
    params(("order_id" = String, Path)),
    request_body = RefundBody,
    responses((status = 200, body = RefundLine), PaymentRefusals),
    security(("session_token" = []), ("session_cookie" = [])),
)]
async fn refund(
    State(context): State<AppContext>,
    session: Session,
    Path(order_id): Path<String>,
    body: Result<Json<RefundBody>, JsonRejection>,
) -> ApiResult {
    let body = json_body(body)?;
    fit("order_id", &order_id, bounds::MAX_ID_BYTES)?;
    fit_optional(
        "request_id",
        body.request_id.as_deref(),
        bounds::MAX_ID_BYTES,
    )?;
    if let Some(reason) = &body.reason {
        fit_chars("reason", reason, bounds::MAX_REASON_CHARS)?;
    }
    let admin = buyer(&session).await?;
    let refund = refunds::request(
        &context,
        refunds::Refunder::Admin(&admin),
        &order_id,
        body.refund_fen,
        body.reason,
        body.request_id,
    )
    .await?;
    Ok(Json(views::refund_line(refund)).into_response())
}

/// `POST /api/webhooks/wechat-pay`: the exact bytes are verified before anything reads them; 204 when applied or a
/// duplicate, `{"code":"FAIL","message"}` with an error status when WeChat should retry.
#[utoipa::path(
    post,
    path = "/api/webhooks/wechat-pay",
    tag = "webhooks",
    summary = "WeChat Pay's notifications (payments and refunds), verified and applied exactly once",
    description = "The body is WeChat Pay's notification, signed (`Wechatpay-Signature`, `-Timestamp`, `-Nonce`, \
                   `-Serial`) and with an AES-256-GCM `resource`: \
                   <https://pay.weixin.qq.com/doc/v3/merchant/4012791902>.",
    request_body(content = Object, content_type = "application/json"),
    responses(
        (status = 204, description = "Applied, or a repeat of one already applied"),
        (status = 400, body = WebhookRefusal, description = "Malformed, or not this merchant's order"),
        (status = 401, body = WebhookRefusal, description = "The signature does not verify"),
        (status = 404, body = WebhookRefusal, description = "WeChat Pay is not configured, or no such order"),
        (status = 500, body = WebhookRefusal, description = "Not applied; WeChat Pay retries"),
    ),
)]
async fn wechat_pay_webhook(
    State(context): State<AppContext>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    match webhook::handle(&context, &headers, &body).await {
        Ok(
            Settled::Applied | Settled::Duplicate | Settled::PaidAfterClosing | Settled::Recorded,
        ) => StatusCode::NO_CONTENT.into_response(),
        Err(refused) => {
            let status = match &refused {
                Refused::NotEnabled | Refused::UnknownOrder(_) => StatusCode::NOT_FOUND,
                Refused::Unverified(_) => StatusCode::UNAUTHORIZED,
                Refused::Malformed(_) | Refused::Mismatch(_) => StatusCode::BAD_REQUEST,
                Refused::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
            };
            tracing::warn!(%refused, "a WeChat Pay notification was refused");
            (
                status,
                Json(WebhookRefusal {
                    code: "FAIL",
                    message: refused.to_string(),
                }),
            )
                .into_response()
        }
    }
}
