//! The JSON endpoints of api.weixin.qq.com the sandbox plays: `sns/*`, `cgi-bin/*`, `wxa/*`. Errors come back
//! as WeChat sends them: HTTP 200 with `{"errcode", "errmsg": "… rid: …"}`.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Query, State};
use axum::Json;
use hmac::{Hmac, Mac};
use serde_json::{json, Value};
use sha2::Sha256;

use super::state::{AppKind, CodeKind, UserGrant, WeChatError};
use super::tokens::rid;
use crate::Sandbox;

type Params = Query<HashMap<String, String>>;
type Answer = Json<Value>;

/// The answer for `result`: the body on success, WeChat's error shape otherwise.
pub(crate) fn answer(result: Result<Value, WeChatError>) -> Answer {
    Json(match result {
        Ok(body) => body,
        Err(error) => json!({
            "errcode": error.errcode,
            "errmsg": format!("{}, rid: {}", error.errmsg, rid()),
        }),
    })
}

/// A required parameter, with WeChat's "missing" errcode when absent.
pub(crate) fn param<'a>(
    params: &'a HashMap<String, String>,
    name: &str,
) -> Result<&'a str, WeChatError> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|value| !value.is_empty())
        .ok_or(match name {
            "appid" => WeChatError {
                errcode: 41002,
                errmsg: "appid missing",
            },
            "secret" => WeChatError {
                errcode: 41004,
                errmsg: "appsecret missing",
            },
            "access_token" => WeChatError {
                errcode: 41001,
                errmsg: "access_token missing",
            },
            "refresh_token" => WeChatError {
                errcode: 41003,
                errmsg: "refresh_token missing",
            },
            "openid" => WeChatError {
                errcode: 41009,
                errmsg: "missing openid",
            },
            _ => WeChatError {
                errcode: 41008,
                errmsg: "missing code",
            },
        })
}

fn grant_type(params: &HashMap<String, String>, expected: &str) -> Result<(), WeChatError> {
    if params.get("grant_type").map(String::as_str) == Some(expected) {
        Ok(())
    } else {
        Err(WeChatError::INVALID_GRANT_TYPE)
    }
}

/// `GET /sns/jscode2session`: a mini program's `wx.login` code for openid, session_key and unionid.
pub async fn code_to_session(State(sandbox): State<Arc<Sandbox>>, Query(params): Params) -> Answer {
    answer((|| {
        let mut state = sandbox.login.lock();
        let appid = param(&params, "appid")?;
        state.authenticate(appid, param(&params, "secret")?, &[AppKind::MiniProgram])?;
        grant_type(&params, "authorization_code")?;
        let (persona, kind) =
            state.redeem_code(param(&params, "js_code")?, appid, WeChatError::INVALID_CODE)?;
        if kind != CodeKind::MiniProgramLogin {
            return Err(WeChatError::INVALID_CODE);
        }
        let session_key = state.rotate_session_key(appid, &persona);
        let persona = state.persona(&persona).ok_or(WeChatError::INVALID_CODE)?;
        let mut body = json!({ "openid": persona.openid(appid), "session_key": session_key });
        // Doc: <https://developers.weixin.qq.com/miniprogram/dev/OpenApiDoc/user-login/code2Session.html>: unionid
        // only when the mini program is bound to an Open Platform account.
        if let Some(unionid) = state.unionid_for(appid, persona) {
            body["unionid"] = json!(unionid);
        }
        Ok(body)
    })())
}

/// `GET /sns/oauth2/access_token`: an OAuth code (official account or website app) for a user token.
pub async fn oauth_access_token(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Params,
) -> Answer {
    answer((|| {
        let mut state = sandbox.login.lock();
        let appid = param(&params, "appid")?;
        state.authenticate(
            appid,
            param(&params, "secret")?,
            &[AppKind::OfficialAccount, AppKind::Website],
        )?;
        grant_type(&params, "authorization_code")?;
        let (persona, kind) =
            state.redeem_code(param(&params, "code")?, appid, WeChatError::CODE_EXPIRED)?;
        let CodeKind::OAuth { scope } = kind else {
            return Err(WeChatError::INVALID_CODE);
        };
        user_token_answer(
            &mut state,
            UserGrant {
                appid: appid.to_owned(),
                persona,
                scope,
            },
            None,
        )
    })())
}

/// `GET /sns/oauth2/refresh_token`: a new user token for a refresh token, which stays the same: it lasts 30 days
/// from the authorisation, then answers 42002 and the user must authorise again.
/// Doc: <https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html>.
pub async fn oauth_refresh_token(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Params,
) -> Answer {
    answer((|| {
        let mut state = sandbox.login.lock();
        let appid = param(&params, "appid")?;
        state.app(appid, &[AppKind::OfficialAccount, AppKind::Website])?;
        grant_type(&params, "refresh_token")?;
        let refresh_token = param(&params, "refresh_token")?;
        let grant = state.refresh_grant(appid, refresh_token)?;
        user_token_answer(&mut state, grant, Some(refresh_token))
    })())
}

/// A user token for `grant`, with a new refresh token for an authorisation or the one being refreshed.
fn user_token_answer(
    state: &mut super::state::LoginState,
    grant: UserGrant,
    refreshing: Option<&str>,
) -> Result<Value, WeChatError> {
    let persona = state
        .persona(&grant.persona)
        .cloned()
        .ok_or(WeChatError::INVALID_CODE)?;
    let scope = grant.scope.clone();
    let appid = grant.appid.clone();
    let (access_token, refresh_token) = match refreshing {
        None => state.grant_user_token(grant),
        Some(refresh_token) => (state.renew_user_token(grant), refresh_token.to_owned()),
    };
    let mut body = json!({
        "access_token": access_token,
        "expires_in": 7200,
        "refresh_token": refresh_token,
        "openid": persona.openid(&appid),
        "scope": scope,
    });
    // Doc: <https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/Wechat_webpage_authorization.html>:
    // `is_snapshotuser` comes only for a snapshot-page user, as 1; the unionid only for scopes that show a profile
    // and an app bound to an Open Platform account.
    if persona.snapshot {
        body["is_snapshotuser"] = json!(1);
    }
    if scope != "snsapi_base" {
        if let Some(unionid) = state.unionid_for(&appid, &persona) {
            body["unionid"] = json!(unionid);
        }
    }
    Ok(body)
}

/// `GET /sns/userinfo`: the profile of the user behind a user token (not for snsapi_base).
pub async fn user_info(State(sandbox): State<Arc<Sandbox>>, Query(params): Params) -> Answer {
    answer((|| {
        let state = sandbox.login.lock();
        let grant = state.user_grant(param(&params, "access_token")?)?.clone();
        let persona = state
            .persona(&grant.persona)
            .ok_or(WeChatError::INVALID_OPENID)?;
        if param(&params, "openid")? != persona.openid(&grant.appid) {
            return Err(WeChatError::INVALID_OPENID);
        }
        if grant.scope == "snsapi_base" {
            return Err(WeChatError::API_UNAUTHORIZED);
        }
        let mut body = json!({
            "openid": persona.openid(&grant.appid),
            "nickname": persona.nickname,
            "sex": 0,
            "province": "",
            "city": "",
            "country": "",
            "headimgurl": persona.avatar_url,
            "privilege": [],
        });
        if let Some(unionid) = state.unionid_for(&grant.appid, persona) {
            body["unionid"] = json!(unionid);
        }
        Ok(body)
    })())
}

/// `GET /sns/auth`: whether a user token is valid for that openid.
pub async fn check_user_token(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Params,
) -> Answer {
    answer((|| {
        let state = sandbox.login.lock();
        let grant = state.user_grant(param(&params, "access_token")?)?;
        let persona = state
            .persona(&grant.persona)
            .ok_or(WeChatError::INVALID_OPENID)?;
        if param(&params, "openid")? != persona.openid(&grant.appid) {
            return Err(WeChatError::INVALID_OPENID);
        }
        Ok(json!({ "errcode": 0, "errmsg": "ok" }))
    })())
}

/// `GET /cgi-bin/token`: a new server token; the previous one works five more minutes.
pub async fn classic_token(State(sandbox): State<Arc<Sandbox>>, Query(params): Params) -> Answer {
    answer((|| {
        let mut state = sandbox.login.lock();
        grant_type(&params, "client_credential")?;
        let appid = param(&params, "appid")?;
        state.authenticate(
            appid,
            param(&params, "secret")?,
            &[AppKind::MiniProgram, AppKind::OfficialAccount],
        )?;
        Ok(json!({ "access_token": state.classic_token(appid), "expires_in": 7200 }))
    })())
}

/// `POST /cgi-bin/stable_token`: the current stable token with its remaining lifetime.
pub async fn stable_token(State(sandbox): State<Arc<Sandbox>>, Json(body): Json<Value>) -> Answer {
    answer((|| {
        let mut state = sandbox.login.lock();
        let text = |name: &str| body[name].as_str().unwrap_or_default().to_owned();
        let params: HashMap<String, String> = ["grant_type", "appid", "secret"]
            .into_iter()
            .map(|name| (name.to_owned(), text(name)))
            .collect();
        grant_type(&params, "client_credential")?;
        let appid = param(&params, "appid")?;
        state.authenticate(
            appid,
            param(&params, "secret")?,
            &[AppKind::MiniProgram, AppKind::OfficialAccount],
        )?;
        let (token, remaining) =
            state.stable_token(appid, body["force_refresh"].as_bool().unwrap_or(false))?;
        Ok(json!({ "access_token": token, "expires_in": remaining.as_secs() }))
    })())
}

/// `GET /cgi-bin/ticket/getticket?type=jsapi`: the app's jsapi_ticket.
pub async fn jsapi_ticket(State(sandbox): State<Arc<Sandbox>>, Query(params): Params) -> Answer {
    answer((|| {
        let mut state = sandbox.login.lock();
        let appid = state.token_app(param(&params, "access_token")?)?;
        if params.get("type").map(String::as_str) != Some("jsapi") {
            return Err(WeChatError {
                errcode: 40097,
                errmsg: "invalid args",
            });
        }
        let (ticket, remaining) = state.jsapi_ticket(&appid);
        Ok(
            json!({ "errcode": 0, "errmsg": "ok", "ticket": ticket, "expires_in": remaining.as_secs() }),
        )
    })())
}

/// `POST /wxa/business/getuserphonenumber`: a phone button's code for the user's number.
pub async fn phone_number(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Params,
    Json(body): Json<Value>,
) -> Answer {
    answer((|| {
        let mut state = sandbox.login.lock();
        let appid = state.token_app(param(&params, "access_token")?)?;
        let code = body["code"].as_str().unwrap_or_default();
        let (persona, kind) = state.redeem_code(code, &appid, WeChatError::INVALID_CODE)?;
        if kind != CodeKind::Phone {
            return Err(WeChatError::INVALID_CODE);
        }
        let persona = state.persona(&persona).ok_or(WeChatError::INVALID_CODE)?;
        Ok(json!({
            "errcode": 0,
            "errmsg": "ok",
            "phone_info": {
                "phoneNumber": persona.phone_number,
                "purePhoneNumber": persona.phone_number,
                "countryCode": "86",
                "watermark": { "timestamp": time::OffsetDateTime::now_utc().unix_timestamp(), "appid": appid },
            },
        }))
    })())
}

/// `GET /wxa/checksession`: whether the signature was made with the user's current session_key.
pub async fn check_session(State(sandbox): State<Arc<Sandbox>>, Query(params): Params) -> Answer {
    answer((|| {
        let state = sandbox.login.lock();
        let appid = state.token_app(param(&params, "access_token")?)?;
        let openid = param(&params, "openid")?;
        let persona = state
            .persona_by_openid(&appid, openid)
            .ok_or(WeChatError::INVALID_OPENID)?;
        let key = state
            .session_key(&appid, &persona.id)
            .ok_or(WeChatError::INVALID_SIGNATURE)?;
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key.as_bytes())
            .map_err(|_| WeChatError::INVALID_SIGNATURE)?;
        mac.update(b"");
        let expected = hex::encode(mac.finalize().into_bytes());
        if params.get("sig_method").map(String::as_str) != Some("hmac_sha256")
            || params.get("signature") != Some(&expected)
        {
            return Err(WeChatError::INVALID_SIGNATURE);
        }
        Ok(json!({ "errcode": 0, "errmsg": "ok" }))
    })())
}
