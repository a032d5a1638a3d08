//! The product's backend's routes under `/api/v1/`, each authorized by an API key with the scope it needs
//! (`Authorization: Bearer wxk_…`, RFC 6750 §2.1): looking up users.

use app::ssr::bounds::{self, fit};
use app::ssr::context::AppContext;
use app::ssr::product_api::keys::{self, Scope};
use app::ssr::product_api::users::{self, FoundUser, UserKey};
use app::ssr::product_api::ProductApiError;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{IntoResponse, Response};
use axum::Json;
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
        .routes(routes!(user))
        .routes(routes!(user_by_openid))
}

type ApiResult = Result<Response, ApiFailure>;

/// Refuses a request whose API key is missing, unknown, revoked or without `scope`.
async fn authorized(
    context: &AppContext,
    headers: &HeaderMap,
    scope: Scope,
) -> Result<(), ProductApiError> {
    let authorization = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok());
    keys::authorize(&context.db, authorization, scope).await?;
    Ok(())
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
