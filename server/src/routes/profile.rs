//! The profile routes: the nickname and the avatar a mini-program user sets (WeChat no longer hands real ones out),
//! and the avatars served back, cached for good under the digest of their bytes.

use app::ssr::auth::account::{self, SignedIn};
use app::ssr::auth::session as auth_session;
use app::ssr::bounds;
use app::ssr::cause::Cause;
use app::ssr::context::AppContext;
use app::ssr::profile::image::MAX_AVATAR_BYTES;
use app::ssr::profile::{self, ProfileError};
use axum::extract::multipart::MultipartRejection;
use axum::extract::rejection::JsonRejection;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use tower_sessions::Session;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::errors::ApiFailure;
use crate::contract::answers::MeAnswer;
use crate::contract::refusals::ProfileRefusals;
use crate::contract::requests::{AvatarUpload, ProfileBody};
use crate::state::ServerState;

/// The multipart field the avatar comes in (`wx.uploadFile({name: "avatar"})`).
const AVATAR_FIELD: &str = "avatar";
/// Room in an upload's body for the multipart framing around the image.
const MULTIPART_OVERHEAD: usize = 16 * 1024;

pub fn router() -> OpenApiRouter<ServerState> {
    OpenApiRouter::new()
        .routes(routes!(upload_avatar))
        .layer(DefaultBodyLimit::max(MAX_AVATAR_BYTES + MULTIPART_OVERHEAD))
        .routes(routes!(set_profile))
        .routes(routes!(avatar))
        .layer(DefaultBodyLimit::max(bounds::MAX_BODY_BYTES))
}

type ApiResult = Result<Response, ApiFailure>;

/// The signed-in user as `GET /api/me` shows them.
async fn me(context: &AppContext, session: &Session) -> Result<MeAnswer, ProfileError> {
    let SignedIn { user, identities } = account::signed_in(context, session)
        .await
        .map_err(|error| ProfileError::Internal(Cause::new(error)))?
        .ok_or(ProfileError::Unauthenticated)?;
    Ok(MeAnswer::new(user, identities))
}

async fn signed_in(session: &Session) -> Result<String, ProfileError> {
    auth_session::user_id(session)
        .await
        .map_err(|error| ProfileError::Internal(Cause::new(error)))?
        .ok_or(ProfileError::Unauthenticated)
}

/// `PUT /api/me/profile {nickname}`: the nickname from `<input type="nickname">`.
#[utoipa::path(
    put,
    path = "/api/me/profile",
    tag = "account",
    summary = "Set the nickname (from <input type=\"nickname\">, which WeChat checks as it is typed)",
    request_body = ProfileBody,
    responses((status = 200, body = MeAnswer), ProfileRefusals),
    security(("session_token" = []), ("session_cookie" = [])),
)]
async fn set_profile(
    State(context): State<AppContext>,
    session: Session,
    body: Result<Json<ProfileBody>, JsonRejection>,
) -> ApiResult {
    let Json(ProfileBody { nickname }) =
        body.map_err(|_| ProfileError::BadRequest("JSON body {nickname}"))?;
    let user_id = signed_in(&session).await?;
    profile::set_nickname(&context, &user_id, &nickname).await?;
    Ok(Json(me(&context, &session).await?).into_response())
}

/// `POST /api/me/avatar` (multipart, field `avatar`): the image `<button open-type="chooseAvatar">` chose.
#[utoipa::path(
    post,
    path = "/api/me/avatar",
    tag = "account",
    summary = "Upload the avatar (from <button open-type=\"chooseAvatar\">): JPEG, PNG or WebP, at most 1 MiB",
    request_body(content = AvatarUpload, content_type = "multipart/form-data"),
    responses((status = 200, body = MeAnswer), ProfileRefusals),
    security(("session_token" = []), ("session_cookie" = [])),
)]
async fn upload_avatar(
    State(context): State<AppContext>,
    session: Session,
    upload: Result<Multipart, MultipartRejection>,
) -> ApiResult {
    let user_id = signed_in(&session).await?;
    let bytes = avatar_bytes(upload).await?;
    profile::set_avatar(&context, &user_id, &bytes).await?;
    Ok(Json(me(&context, &session).await?).into_response())
}

/// The bytes of the upload's `avatar` field; past the body limit, the upload is too large.
async fn avatar_bytes(
    upload: Result<Multipart, MultipartRejection>,
) -> Result<Vec<u8>, ProfileError> {
    let malformed = ProfileError::BadRequest("multipart/form-data body with an avatar field");
    let too_large = |status: StatusCode| status == StatusCode::PAYLOAD_TOO_LARGE;
    let mut upload = upload.map_err(|_| ProfileError::BadRequest("multipart/form-data body"))?;
    loop {
        let field = match upload.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Err(malformed),
            Err(error) if too_large(error.status()) => {
                return Err(ProfileError::TooLarge(MAX_AVATAR_BYTES))
            }
            Err(_) => return Err(malformed),
        };
        if field.name() != Some(AVATAR_FIELD) {
            continue;
        }
        return match field.bytes().await {
            Ok(bytes) => Ok(bytes.to_vec()),
            Err(error) if too_large(error.status()) => {
                Err(ProfileError::TooLarge(MAX_AVATAR_BYTES))
            }
            Err(_) => Err(malformed),
        };
    }
}

/// `GET /api/avatars/{digest}`: an uploaded avatar; its URL names its bytes, so it is cached for good.
#[utoipa::path(
    get,
    path = "/api/avatars/{digest}",
    tag = "account",
    summary = "An uploaded avatar (the avatar_url of /api/me), cached for good",
    params(("digest" = String, Path, description = "The SHA-256 of the image, 64 hex digits")),
    responses(
        (status = 200, content_type = "image/*", body = Vec<u8>, description = "The image, as uploaded"),
        (status = 304, description = "The ETag the browser sent is this image's"),
        (status = 404, body = crate::contract::refusals::ErrorAnswer, description = "no_such_avatar"),
        (status = 500, body = crate::contract::refusals::ErrorAnswer, description = "internal"),
    ),
)]
async fn avatar(
    State(context): State<AppContext>,
    headers: HeaderMap,
    Path(digest): Path<String>,
) -> ApiResult {
    let etag = format!("\"{digest}\"");
    let file = profile::avatar(&context, &digest).await?;
    let cached = [
        (
            header::CACHE_CONTROL,
            "public, max-age=31536000, immutable".to_owned(),
        ),
        (header::ETAG, etag.clone()),
    ];
    let seen = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag));
    if seen {
        return Ok((StatusCode::NOT_MODIFIED, cached).into_response());
    }
    Ok((
        cached,
        [(header::CONTENT_TYPE, file.content_type)],
        file.bytes,
    )
        .into_response())
}
