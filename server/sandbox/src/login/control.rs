//! The login side of the control API: mint codes a real phone would get (a mini program's `wx.login` code, a phone
//! button's code) for a persona, and list or add personas.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Deserialize;
use serde_json::{json, Value};

use super::personas::Persona;
use super::state::{AppKind, CodeKind};
use crate::Sandbox;

/// Which persona (default: the first) in which mini program (default: the sandbox's).
#[derive(Debug, Default, Deserialize)]
pub struct CodeRequest {
    #[serde(default)]
    persona: Option<String>,
    #[serde(default)]
    appid: Option<String>,
}

fn control_error(status: StatusCode, message: String) -> Response {
    (status, Json(json!({ "error": { "message": message } }))).into_response()
}

fn mint(sandbox: &Sandbox, request: Option<Json<CodeRequest>>, kind: CodeKind) -> Response {
    let request = request.map(|Json(request)| request).unwrap_or_default();
    let mut login = sandbox.login.lock();
    let appid = request
        .appid
        .unwrap_or_else(|| sandbox.credentials.mp_appid.clone());
    if login.app(&appid, &[AppKind::MiniProgram]).is_err() {
        return control_error(
            StatusCode::NOT_FOUND,
            format!("{appid} is not one of the sandbox's mini programs"),
        );
    }
    let Some(persona) = login.persona_or_default(request.persona.as_deref()) else {
        return control_error(
            StatusCode::NOT_FOUND,
            "no such persona; GET /sandbox/personas lists them".to_owned(),
        );
    };
    let code = login.issue_code(&appid, &persona.id, kind);
    Json(json!({ "code": code, "persona": persona.id, "appid": appid, "openid": persona.openid(&appid) })).into_response()
}

/// `POST /sandbox/mp/login-code` `{"persona"?, "appid"?}` → `{"code", …}`: what `wx.login()` would return.
pub async fn login_code(
    State(sandbox): State<Arc<Sandbox>>,
    request: Option<Json<CodeRequest>>,
) -> Response {
    mint(&sandbox, request, CodeKind::MiniProgramLogin)
}

/// `POST /sandbox/mp/phone-code` `{"persona"?, "appid"?}` → `{"code", …}`: what the phone-number button would return.
pub async fn phone_code(
    State(sandbox): State<Arc<Sandbox>>,
    request: Option<Json<CodeRequest>>,
) -> Response {
    mint(&sandbox, request, CodeKind::Phone)
}

/// Which persona's data, for which mini program, and what to put in it besides the profile and watermark.
#[derive(Debug, Default, Deserialize)]
pub struct EncryptedDataRequest {
    #[serde(default)]
    persona: Option<String>,
    #[serde(default)]
    appid: Option<String>,
}

/// `POST /sandbox/mp/encrypted-data` `{"persona"?, "appid"?}` → `{"encrypted_data", "iv"}`: the legacy user data a
/// mini program would receive, AES-128-CBC with the persona's current session_key, watermarked with the appid.
/// The persona must have logged in (so a session_key exists); log in again and old data no longer decrypts.
pub async fn encrypted_data(
    State(sandbox): State<Arc<Sandbox>>,
    request: Option<Json<EncryptedDataRequest>>,
) -> Response {
    use aes::cipher::{block_padding::Pkcs7, BlockEncryptMut, KeyIvInit};
    use base64::engine::general_purpose::STANDARD as BASE64;
    use base64::Engine as _;

    let request = request.map(|Json(request)| request).unwrap_or_default();
    let login = sandbox.login.lock();
    let appid = request
        .appid
        .unwrap_or_else(|| sandbox.credentials.mp_appid.clone());
    let Some(persona) = login.persona_or_default(request.persona.as_deref()) else {
        return control_error(
            StatusCode::NOT_FOUND,
            "no such persona; GET /sandbox/personas lists them".to_owned(),
        );
    };
    let Some(session_key) = login
        .session_key(&appid, &persona.id)
        .and_then(|key| BASE64.decode(key).ok())
    else {
        return control_error(
            StatusCode::CONFLICT,
            format!("{} has not logged in to {appid} yet", persona.id),
        );
    };
    let Ok(key) = <[u8; 16]>::try_from(session_key.as_slice()) else {
        return control_error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "the session_key is not 16 bytes".to_owned(),
        );
    };
    let iv: [u8; 16] = rand::random();
    let mut plaintext = json!({
        "openId": persona.openid(&appid),
        "nickName": persona.nickname,
        "gender": 0,
        "language": "zh_CN",
        "city": "",
        "province": "",
        "country": "",
        "avatarUrl": persona.avatar_url,
        "watermark": { "timestamp": time::OffsetDateTime::now_utc().unix_timestamp(), "appid": appid },
    });
    if let Some(unionid) = login.unionid_for(&appid, &persona) {
        plaintext["unionId"] = json!(unionid);
    }
    let ciphertext = cbc::Encryptor::<aes::Aes128>::new(&key.into(), &iv.into())
        .encrypt_padded_vec_mut::<Pkcs7>(plaintext.to_string().as_bytes());
    Json(json!({ "encrypted_data": BASE64.encode(ciphertext), "iv": BASE64.encode(iv) }))
        .into_response()
}

/// `POST /sandbox/codes/expire`: every outstanding login, OAuth and phone code expires now, to try the
/// "code expired" paths without waiting five minutes.
pub async fn expire_codes(State(sandbox): State<Arc<Sandbox>>) -> Json<Value> {
    Json(json!({ "expired": sandbox.login.lock().expire_codes() }))
}

/// `POST /sandbox/tokens/expire`: every server access token expires now, to try the 42001 paths.
pub async fn expire_tokens(State(sandbox): State<Arc<Sandbox>>) -> Json<Value> {
    Json(json!({ "expired": sandbox.login.lock().expire_server_tokens() }))
}

/// `POST /sandbox/refresh-tokens/expire`: every OAuth refresh token reaches its 30 days now, to try the 42002 path
/// (the user must authorise again).
pub async fn expire_refresh_tokens(State(sandbox): State<Arc<Sandbox>>) -> Json<Value> {
    Json(json!({ "expired": sandbox.login.lock().expire_refresh_tokens() }))
}

/// `GET /sandbox/personas`: every persona with its openid in each app and its unionid.
pub async fn list_personas(State(sandbox): State<Arc<Sandbox>>) -> Json<Value> {
    let login = sandbox.login.lock();
    let personas: Vec<Value> = login
        .personas
        .iter()
        .map(|persona| {
            let openids: serde_json::Map<String, Value> = login
                .apps
                .iter()
                .map(|app| (app.appid.clone(), json!(persona.openid(&app.appid))))
                .collect();
            json!({
                "id": persona.id,
                "nickname": persona.nickname,
                "avatar_url": persona.avatar_url,
                "phone_number": persona.phone_number,
                "unionid": persona.unionid(),
                "openids": openids,
            })
        })
        .collect();
    Json(json!(personas))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Binding {
    bound: bool,
}

/// `POST /sandbox/apps/{appid}/open-platform {"bound": false}`: unbinds one of the sandbox's apps from its Open
/// Platform account (or binds it again), to try an app WeChat tells no unionid: jscode2session, OAuth tokens and
/// userinfo then leave it out.
pub async fn bind_open_platform(
    State(sandbox): State<Arc<Sandbox>>,
    Path(appid): Path<String>,
    Json(Binding { bound }): Json<Binding>,
) -> Response {
    if sandbox.login.lock().bind_open_platform(&appid, bound) {
        Json(json!({ "appid": appid, "open_platform": bound })).into_response()
    } else {
        control_error(
            StatusCode::NOT_FOUND,
            format!("{appid} is not one of the sandbox's apps"),
        )
    }
}

#[derive(Debug, Deserialize)]
pub struct NewPersona {
    id: String,
    nickname: String,
    #[serde(default)]
    phone_number: Option<String>,
    /// A snapshot-page user (opened from Moments): WeChat marks their web logins `is_snapshotuser: 1`.
    #[serde(default)]
    snapshot: bool,
}

/// `POST /sandbox/personas` `{"id", "nickname", "phone_number"?}`: adds a persona.
pub async fn add_persona(
    State(sandbox): State<Arc<Sandbox>>,
    Json(request): Json<NewPersona>,
) -> Response {
    let valid_id = !request.id.is_empty()
        && request.id.len() <= 32
        && request
            .id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid_id || request.nickname.trim().is_empty() {
        return control_error(
            StatusCode::BAD_REQUEST,
            "id must be 1-32 of [A-Za-z0-9_-] and nickname must not be blank".to_owned(),
        );
    }
    let mut login = sandbox.login.lock();
    if login.persona(&request.id).is_some() {
        return control_error(
            StatusCode::CONFLICT,
            format!("persona {} exists already", request.id),
        );
    }
    let persona = Persona::added(
        &request.id,
        request.nickname.trim(),
        request.phone_number.as_deref(),
        request.snapshot,
    );
    login.personas.push(persona.clone());
    (
        StatusCode::CREATED,
        Json(
            json!({ "id": persona.id, "nickname": persona.nickname, "unionid": persona.unionid() }),
        ),
    )
        .into_response()
}
