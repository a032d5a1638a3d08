//! `GET /checkout/{checkout_id}`, the page a product's backend sends its buyer to: it signs the buyer in first if
//! needed (the login page picks the WeChat way by where they are, then comes back here), makes the checkout the
//! buyer's order once, and goes on to the order's page, which pays on the buyer's surface (the pay bridge inside
//! WeChat, WeChat Pay's H5 page on a phone, a QR on a desktop) and returns to the checkout's `success_url`.

use app::ssr::auth::session as auth_session;
use app::ssr::bounds::{self, fit};
use app::ssr::cause::chain;
use app::ssr::context::AppContext;
use app::ssr::payments::{checkouts, PaymentError};
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use tower_sessions::Session;

use crate::state::ServerState;

pub fn router() -> Router<ServerState> {
    Router::new().route("/checkout/{checkout_id}", get(open))
}

async fn open(
    State(context): State<AppContext>,
    session: Session,
    Path(checkout_id): Path<String>,
) -> Response {
    let Ok(checkout_id) = fit("checkout_id", &checkout_id, bounds::MAX_ID_BYTES) else {
        return refused(
            StatusCode::NOT_FOUND,
            "这个结账链接无效。 · This checkout link is not valid.",
        );
    };
    let here = format!("/checkout/{checkout_id}");
    let user_id = match auth_session::user_id(&session).await {
        Ok(Some(user_id)) => user_id,
        Ok(None) => return see_other(&format!("/login?next={}", urlencode(&here))),
        Err(error) => {
            tracing::error!(cause = %chain(&error), "a checkout's session could not be read");
            return refused(StatusCode::INTERNAL_SERVER_ERROR, TRY_AGAIN);
        }
    };
    match checkouts::order_for(&context, checkout_id, &user_id).await {
        Ok(order) => see_other(&format!("/orders/{}", order.id)),
        Err(PaymentError::NotPayable(_)) => expired(&context, checkout_id).await,
        Err(PaymentError::UnknownCheckout) => refused(
            StatusCode::NOT_FOUND,
            "没有这个结账，或它属于另一位买家。 · No such checkout, or it is another buyer's.",
        ),
        Err(PaymentError::TooManyOrders) => refused(
            StatusCode::TOO_MANY_REQUESTS,
            "未支付的订单太多了：请先支付或等待它们关闭。 · Too many unpaid orders: pay or wait for them to close first.",
        ),
        Err(PaymentError::NotEnabled) => refused(
            StatusCode::NOT_FOUND,
            "这里没有配置微信支付。 · WeChat Pay is not configured here.",
        ),
        Err(error) => {
            tracing::error!(cause = %chain(&error), "a checkout could not be opened");
            refused(StatusCode::INTERNAL_SERVER_ERROR, TRY_AGAIN)
        }
    }
}

const TRY_AGAIN: &str =
    "暂时无法打开这个结账，请稍后再试。 · The checkout could not be opened; try again in a moment.";

/// A checkout past its time: back to the product's `cancel_url` when it gave one.
async fn expired(context: &AppContext, checkout_id: &str) -> Response {
    let cancel_url = context
        .db
        .checkout(checkout_id)
        .await
        .ok()
        .flatten()
        .and_then(|checkout| checkout.cancel_url);
    match cancel_url {
        Some(url) => see_other(&url),
        None => refused(
            StatusCode::GONE,
            "这个结账已过期，无法再支付。 · This checkout has expired and can no longer be paid.",
        ),
    }
}

fn see_other(location: &str) -> Response {
    Redirect::to(location).into_response()
}

fn refused(status: StatusCode, sentence: &str) -> Response {
    let page = format!(
        r#"<!doctype html><html lang="zh-CN"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>结账 · Checkout</title></head>
<body><main><h1 data-testid="checkout-refused">{}</h1></main></body></html>"#,
        html_escape::encode_text(sentence)
    );
    (
        status,
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        page,
    )
        .into_response()
}

fn urlencode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}
