//! The pages of open.weixin.qq.com a person uses in a browser: the official-account consent page (snsapi_base is
//! silent), and website QR login — a real QR code whose link opens a "confirm on your phone" page, while the
//! desktop page waits for the confirmation and redirects, as WeChat's does.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Form, Query, State};
use axum::http::{header, HeaderMap};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::Json;
use serde_json::json;

use super::personas::Persona;
use super::state::{AppKind, CodeKind, QrLogin, QrStatus};
use crate::html::{escape, page, persona_choices as choices, qr_svg};
use crate::Sandbox;

/// The cookie that remembers which sandbox user this browser is.
const PERSONA_COOKIE: &str = "wx_sandbox_persona";

type Params = HashMap<String, String>;

fn error_page(message: &str) -> Response {
    Html(page(
        "错误",
        &format!(
            "<h1>Oops! Something went wrong:(</h1><p class=\"error\">{}</p>",
            escape(message)
        ),
    ))
    .into_response()
}

/// The browser's sandbox user: the cookie's, else the first ready-made one.
fn current_persona(sandbox: &Sandbox, headers: &HeaderMap) -> Persona {
    let chosen = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .find_map(|cookie| {
            cookie
                .trim()
                .strip_prefix(&format!("{PERSONA_COOKIE}="))
                .map(str::to_owned)
        });
    let state = sandbox.login.lock();
    chosen
        .and_then(|id| state.persona(&id).cloned())
        .or_else(|| state.personas.first().cloned())
        .unwrap_or_else(|| Persona::ready_made().remove(0))
}

/// `redirect_uri` with `code` (when given) and `state` appended.
fn callback_url(redirect_uri: &str, code: Option<&str>, state: &str) -> String {
    let mut url = match url::Url::parse(redirect_uri) {
        Ok(url) => url,
        Err(_) => return redirect_uri.to_owned(),
    };
    {
        let mut query = url.query_pairs_mut();
        if let Some(code) = code {
            query.append_pair("code", code);
        }
        query.append_pair("state", state);
    }
    url.into()
}

fn valid_redirect(params: &Params) -> Option<String> {
    let redirect = params.get("redirect_uri")?;
    let url = url::Url::parse(redirect).ok()?;
    matches!(url.scheme(), "http" | "https").then(|| redirect.clone())
}

fn persona_choices(sandbox: &Sandbox, current: &Persona) -> String {
    choices(&sandbox.login.lock().personas, &current.id)
}

/// `GET /connect/oauth2/authorize`: the official account's OAuth, only inside WeChat.
pub async fn authorize(
    State(sandbox): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let appid = params.get("appid").cloned().unwrap_or_default();
    let app = match sandbox
        .login
        .lock()
        .app(&appid, &[AppKind::OfficialAccount])
    {
        Ok(app) => app.clone(),
        Err(_) => return error_page("appid 参数错误 (invalid appid)"),
    };
    let Some(redirect_uri) = valid_redirect(&params) else {
        return error_page("redirect_uri 参数错误");
    };
    let scope = params.get("scope").cloned().unwrap_or_default();
    if scope != "snsapi_base" && scope != "snsapi_userinfo" {
        return error_page("10005 此公众号并没有这些 scope 的权限 (scope not permitted)");
    }
    let state = params.get("state").cloned().unwrap_or_default();
    let in_wechat = headers
        .get(header::USER_AGENT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|agent| agent.contains("MicroMessenger"));
    if !in_wechat && params.get("sandbox_in_wechat").map(String::as_str) != Some("1") {
        let mut continue_params = params.clone();
        continue_params.insert("sandbox_in_wechat".to_owned(), "1".to_owned());
        let query = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&continue_params)
            .finish();
        return Html(page(
            "请在微信客户端打开链接",
            &format!(
                "<h1>请在微信客户端打开链接</h1><p>Open this link in WeChat.</p>\
                 <a class=\"btn default\" href=\"{}/connect/oauth2/authorize?{}\">在沙盒中继续 (continue as if in WeChat)</a>",
                escape(&sandbox.wechat_base),
                escape(&query)
            ),
        ))
        .into_response();
    }
    let persona = current_persona(&sandbox, &headers);
    if scope == "snsapi_base" {
        let code = sandbox
            .login
            .lock()
            .issue_code(&appid, &persona.id, CodeKind::OAuth { scope });
        return Redirect::to(&callback_url(&redirect_uri, Some(&code), &state)).into_response();
    }
    let body = format!(
        r#"<h1>{name}</h1><p>申请获取你的昵称、头像 · wants your nickname and avatar</p>
<form method="post" action="{base}/connect/oauth2/authorize/decide">
<input type="hidden" name="appid" value="{appid}"><input type="hidden" name="redirect_uri" value="{redirect}">
<input type="hidden" name="state" value="{state}"><input type="hidden" name="scope" value="{scope}">
{choices}
<button class="btn primary" name="decision" value="allow" data-testid="allow">允许</button>
<button class="btn default" name="decision" value="deny" data-testid="deny">拒绝</button></form>"#,
        name = escape(app.name),
        base = escape(&sandbox.wechat_base),
        appid = escape(&appid),
        redirect = escape(&redirect_uri),
        state = escape(&state),
        scope = escape(&scope),
        choices = persona_choices(&sandbox, &persona),
    );
    Html(page("微信授权", &body)).into_response()
}

/// `POST /connect/oauth2/authorize/decide`: the consent page's answer.
pub async fn decide(State(sandbox): State<Arc<Sandbox>>, Form(form): Form<Params>) -> Response {
    let appid = form.get("appid").cloned().unwrap_or_default();
    let Some(redirect_uri) = valid_redirect(&form) else {
        return error_page("redirect_uri 参数错误");
    };
    let state = form.get("state").cloned().unwrap_or_default();
    if form.get("decision").map(String::as_str) != Some("allow") {
        return Redirect::to(&callback_url(&redirect_uri, None, &state)).into_response();
    }
    let persona = form.get("persona").cloned().unwrap_or_default();
    let scope = form
        .get("scope")
        .cloned()
        .unwrap_or_else(|| "snsapi_userinfo".to_owned());
    let code = {
        let mut login = sandbox.login.lock();
        if login.app(&appid, &[AppKind::OfficialAccount]).is_err()
            || login.persona(&persona).is_none()
        {
            return error_page("appid 参数错误 (invalid appid)");
        }
        login.issue_code(&appid, &persona, CodeKind::OAuth { scope })
    };
    let cookie = format!("{PERSONA_COOKIE}={persona}; Path=/; SameSite=Lax");
    (
        [(header::SET_COOKIE, cookie)],
        Redirect::to(&callback_url(&redirect_uri, Some(&code), &state)),
    )
        .into_response()
}

/// `GET /connect/qrconnect`: the website app's QR page (also shown inside an iframe with `login_type=jssdk`).
pub async fn qrconnect(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Query<Params>,
) -> Response {
    let appid = params.get("appid").cloned().unwrap_or_default();
    let app = match sandbox.login.lock().app(&appid, &[AppKind::Website]) {
        Ok(app) => app.clone(),
        Err(_) => return error_page("appid 参数错误 (not a website app)"),
    };
    let Some(redirect_uri) = valid_redirect(&params) else {
        return error_page("redirect_uri 参数错误");
    };
    if params.get("scope").map(String::as_str) != Some("snsapi_login") {
        return error_page("Scope 参数错误或没有 Scope 权限");
    }
    let self_redirect = params.get("self_redirect").map(String::as_str) == Some("true");
    let id = sandbox.login.lock().start_qr_login(QrLogin {
        appid,
        redirect_uri,
        state: params.get("state").cloned().unwrap_or_default(),
        status: QrStatus::Waiting,
    });
    let confirm_url = format!("{}/connect/confirm?uuid={id}", sandbox.wechat_base);
    let status_url = format!("{}/connect/qrconnect/status?uuid={id}", sandbox.wechat_base);
    let target = if self_redirect { "window" } else { "top" };
    // The polling is a script file of the sandbox's, told what to poll by its data attributes: the page has no
    // inline script, so it works under a Content-Security-Policy without 'unsafe-inline'.
    let body = format!(
        r#"<h1>微信登录</h1><p>{name}</p><div class="qr" data-testid="qr">{qr}</div>
<p data-testid="qr-status">请使用微信扫描二维码登录 · Scan with WeChat</p>
<a class="btn default" href="{confirm}" target="_blank" data-testid="phone-link">在“手机”上打开 (open the phone page)</a>
<script src="{script}" data-status="{status}" data-target="{target}"></script>"#,
        name = escape(app.name),
        qr = qr_svg(&confirm_url),
        confirm = escape(&confirm_url),
        script = escape(&format!(
            "{}/connect/qrconnect/poll.js",
            sandbox.wechat_base
        )),
        status = escape(&status_url),
    );
    Html(page("微信登录", &body)).into_response()
}

/// What the desktop QR page runs: polls the login's status, and follows the redirect once the phone answered.
const QR_POLL_SCRIPT: &str = include_str!("qrconnect.js");

/// `GET /connect/qrconnect/poll.js`.
pub async fn qr_poll_script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                "application/javascript; charset=utf-8",
            ),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        QR_POLL_SCRIPT,
    )
        .into_response()
}

/// `GET /connect/qrconnect/status`: what the desktop page polls.
pub async fn qr_status(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Query<Params>,
) -> Json<serde_json::Value> {
    let id = params.get("uuid").cloned().unwrap_or_default();
    let login = sandbox.login.lock().qr_login(&id).cloned();
    Json(match login {
        None => json!({ "status": "expired" }),
        Some(login) => match login.status {
            QrStatus::Waiting => json!({ "status": "waiting" }),
            QrStatus::Scanned => json!({ "status": "scanned" }),
            QrStatus::Confirmed { code } => {
                json!({ "status": "confirmed", "redirect": callback_url(&login.redirect_uri, Some(&code), &login.state) })
            }
            QrStatus::Declined => {
                json!({ "status": "declined", "redirect": callback_url(&login.redirect_uri, None, &login.state) })
            }
        },
    })
}

/// `GET /connect/confirm`: the "phone" side of a QR login, opened by scanning the code.
pub async fn confirm_page(
    State(sandbox): State<Arc<Sandbox>>,
    headers: HeaderMap,
    Query(params): Query<Params>,
) -> Response {
    let id = params.get("uuid").cloned().unwrap_or_default();
    let Some(login) = sandbox
        .login
        .lock()
        .set_qr_status(&id, QrStatus::Scanned)
        .cloned()
    else {
        return error_page("二维码已失效 (this QR code has expired)");
    };
    let app_name = sandbox
        .login
        .lock()
        .app(&login.appid, &[AppKind::Website])
        .map(|app| app.name)
        .unwrap_or("网站应用");
    let persona = current_persona(&sandbox, &headers);
    let body = format!(
        r#"<h1>确认登录 {name}</h1><p>Confirm login on your phone</p>
<form method="post" action="{base}/connect/confirm"><input type="hidden" name="uuid" value="{id}">
{choices}
<button class="btn primary" name="decision" value="allow" data-testid="confirm-login">确认登录</button>
<button class="btn default" name="decision" value="deny">取消登录</button></form>"#,
        name = escape(app_name),
        base = escape(&sandbox.wechat_base),
        id = escape(&id),
        choices = persona_choices(&sandbox, &persona),
    );
    Html(page("确认登录", &body)).into_response()
}

/// `POST /connect/confirm`: the phone's answer; the desktop page picks it up on its next poll.
pub async fn confirm(State(sandbox): State<Arc<Sandbox>>, Form(form): Form<Params>) -> Response {
    let id = form.get("uuid").cloned().unwrap_or_default();
    let persona = form.get("persona").cloned().unwrap_or_default();
    let mut login = sandbox.login.lock();
    let Some(appid) = login.qr_login(&id).map(|qr| qr.appid.clone()) else {
        return error_page("二维码已失效 (this QR code has expired)");
    };
    if form.get("decision").map(String::as_str) != Some("allow") {
        login.set_qr_status(&id, QrStatus::Declined);
        return Html(page("已取消", "<h1>已取消登录</h1><p>Login cancelled.</p>")).into_response();
    }
    if login.persona(&persona).is_none() {
        return error_page("请选择一个用户 (choose a user)");
    }
    let code = login.issue_code(
        &appid,
        &persona,
        CodeKind::OAuth {
            scope: "snsapi_login".to_owned(),
        },
    );
    login.set_qr_status(&id, QrStatus::Confirmed { code });
    Html(page("已确认", "<h1 data-testid=\"confirmed\">已确认登录</h1><p>请在电脑上继续 · Continue on your computer.</p>")).into_response()
}
