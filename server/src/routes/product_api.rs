//! The product's backend's routes under `/api/v1/`, each authorized by an API key with the scope it needs
//! (`Authorization: Bearer wxk_…`, RFC 6750 §2.1): checkouts made, read and refunded (every POST under an
//! `Idempotency-Key`), and users looked up.

use app::ssr::bounds::{self, fit, fit_chars};
use app::ssr::context::AppContext;
use app::ssr::db::api_keys::ApiKeyRow;
use app::ssr::product_api::checkouts::{self, CheckoutAnswer, NewCheckout, NewRefund};
use app::ssr::product_api::idempotency::{self, Answer, IdempotentRequest};
use app::ssr::product_api::keys::{self, Scope};
use app::ssr::product_api::users::{self, FoundUser, UserKey};
use app::ssr::product_api::ProductApiError;
use app::types::shop::RefundLine;
use axum::body::Bytes;
use axum::extract::rejection::{BytesRejection, QueryRejection};
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::IntoParams;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::errors::ApiFailure;
use crate::contract::answers::MeAnswer;
use crate::contract::refusals::ProductApiRefusals;
use crate::state::ServerState;

pub fn router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::new()
        .routes(routes!(create_checkout))
        .routes(routes!(checkout))
        .routes(routes!(refund_checkout))
        .routes(routes!(user))
        .routes(routes!(user_by_openid))
        .layer(DefaultBodyLimit::max(bounds::MAX_BODY_BYTES))
}

type ApiResult = Result<Response, ApiFailure>;

/// The request's API key; refused when missing, unknown, revoked or without `scope`.
async fn authorized(
    context: &AppContext,
    headers: &HeaderMap,
    scope: Scope,
) -> Result<ApiKeyRow, ProductApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    keys::authorize(&context.db, authorization, scope).await
}

/// A POST of `key` to `path` with `body`, under the `Idempotency-Key` it sent.
fn idempotent<'a>(
    key: &'a ApiKeyRow,
    headers: &'a HeaderMap,
    path: &str,
    body: &[u8],
) -> Result<IdempotentRequest<'a>, ProductApiError> {
    let sent = headers
        .get(idempotency::HEADER)
        .and_then(|value| value.to_str().ok());
    IdempotentRequest::new(&key.id, sent, "POST", path, body)
}

/// The body as sent (within [`bounds::MAX_BODY_BYTES`]), read as JSON of `T`.
fn json_of<T: DeserializeOwned>(
    body: &Result<Bytes, BytesRejection>,
) -> Result<T, ProductApiError> {
    let body = body
        .as_ref()
        .map_err(|_| ProductApiError::BadRequest("JSON body (at most 64 KiB)"))?;
    serde_json::from_slice(body).map_err(|_| ProductApiError::BadRequest("JSON body"))
}

/// An answer given now or stored for the request's key, as it was given.
fn stored(answer: Answer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::OK);
    (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        answer.body,
    )
        .into_response()
}

/// `POST /api/v1/checkouts`: a checkout of the product's line items, priced by wxgate.
#[utoipa::path(
    post,
    path = "/api/v1/checkouts",
    tag = "product",
    summary = "Make a checkout: send the buyer to its url, which signs them in and pays on their surface",
    params(("Idempotency-Key" = String, Header, description = "New for each checkout; a retry with it gets the first answer")),
    request_body = NewCheckout,
    responses((status = 201, body = CheckoutAnswer), ProductApiRefusals),
    security(("api_key" = ["checkouts:write"])),
)]
async fn create_checkout(
    State(context): State<AppContext>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let key = authorized(&context, &headers, Scope::CheckoutsWrite).await?;
    let bytes = body.as_deref().unwrap_or_default();
    let request = idempotent(&key, &headers, "/api/v1/checkouts", bytes)?;
    let checkout: NewCheckout = json_of(&body)?;
    Ok(stored(
        checkouts::create(&context, &request, &key.id, checkout).await?,
    ))
}

/// `GET /api/v1/checkouts/{checkout_id}`: a checkout and where it is.
#[utoipa::path(
    get,
    path = "/api/v1/checkouts/{checkout_id}",
    tag = "product",
    summary = "A checkout, its buyer and order once opened, and where it is (open, paid, refunded, expired)",
    params(("checkout_id" = String, Path)),
    responses((status = 200, body = CheckoutAnswer), ProductApiRefusals),
    security(("api_key" = ["checkouts:read"])),
)]
async fn checkout(
    State(context): State<AppContext>,
    headers: HeaderMap,
    Path(checkout_id): Path<String>,
) -> ApiResult {
    authorized(&context, &headers, Scope::CheckoutsRead).await?;
    let checkout_id = fit("checkout_id", &checkout_id, bounds::MAX_ID_BYTES)?;
    Ok(Json(checkouts::read(&context, checkout_id).await?).into_response())
}

/// `POST /api/v1/checkouts/{checkout_id}/refunds {refund_fen?, reason?}`: part or all of a paid checkout back.
#[utoipa::path(
    post,
    path = "/api/v1/checkouts/{checkout_id}/refunds",
    tag = "product",
    summary = "Refund part of a paid checkout, or all that is left when refund_fen is left out",
    params(
        ("checkout_id" = String, Path),
        ("Idempotency-Key" = String, Header, description = "New for each refund; a retry with it is the same refund"),
    ),
    request_body = NewRefund,
    responses((status = 200, body = RefundLine), ProductApiRefusals),
    security(("api_key" = ["refunds:write"])),
)]
async fn refund_checkout(
    State(context): State<AppContext>,
    headers: HeaderMap,
    Path(checkout_id): Path<String>,
    body: Result<Bytes, BytesRejection>,
) -> ApiResult {
    let key = authorized(&context, &headers, Scope::RefundsWrite).await?;
    let checkout_id = fit("checkout_id", &checkout_id, bounds::MAX_ID_BYTES)?;
    let bytes = body.as_deref().unwrap_or_default();
    let path = format!("/api/v1/checkouts/{checkout_id}/refunds");
    let request = idempotent(&key, &headers, &path, bytes)?;
    // An empty body refunds all that is left.
    let refund: NewRefund = if bytes.is_empty() {
        NewRefund::default()
    } else {
        json_of(&body)?
    };
    if let Some(reason) = &refund.reason {
        fit_chars("reason", reason, bounds::MAX_REASON_CHARS)?;
    }
    Ok(stored(
        checkouts::refund(&context, &request, &key.id, checkout_id, refund).await?,
    ))
}

fn answer(found: FoundUser) -> Response {
    Json(MeAnswer::new(found.user, found.identities)).into_response()
}

/// `GET /api/v1/users/{user_id}`: a user by wxgate's id (an id merged into another finds the account it became).
#[utoipa::path(
    get,
    path = "/api/v1/users/{user_id}",
    tag = "product",
    summary = "A user and their WeChat identities, by wxgate's user id (the OpenID Connect sub, the events' user_id)",
    params(("user_id" = String, Path, description = "wxgate's user id")),
    responses((status = 200, body = MeAnswer), ProductApiRefusals),
    security(("api_key" = ["users:read"])),
)]
async fn user(
    State(context): State<AppContext>,
    headers: HeaderMap,
    Path(user_id): Path<String>,
) -> ApiResult {
    authorized(&context, &headers, Scope::UsersRead).await?;
    let user_id = fit("user_id", &user_id, bounds::MAX_ID_BYTES)?;
    Ok(answer(
        users::find(&context.db, UserKey::Id(user_id)).await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
pub struct OpenIdQuery {
    /// An openid of any of wxgate's apps (mini program, official account, website).
    pub openid: String,
}

/// `GET /api/v1/users/lookup?openid=…`: the user an openid belongs to.
#[utoipa::path(
    get,
    path = "/api/v1/users/lookup",
    tag = "product",
    summary = "The user an openid belongs to, with all their WeChat identities",
    params(OpenIdQuery),
    responses((status = 200, body = MeAnswer), ProductApiRefusals),
    security(("api_key" = ["users:read"])),
)]
async fn user_by_openid(
    State(context): State<AppContext>,
    headers: HeaderMap,
    query: Result<Query<OpenIdQuery>, QueryRejection>,
) -> ApiResult {
    authorized(&context, &headers, Scope::UsersRead).await?;
    let Query(OpenIdQuery { openid }) = query.map_err(|_| ProductApiError::BadRequest("openid"))?;
    let openid = fit("openid", &openid, bounds::MAX_ID_BYTES)?;
    Ok(answer(
        users::find(&context.db, UserKey::OpenId(openid)).await?,
    ))
}
