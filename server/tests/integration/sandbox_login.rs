//! wxgate's WeChat login client against `wxgate sandbox`: every flow, and the errors WeChat answers with.

use reqwest::header::{LOCATION, USER_AGENT};
use reqwest::redirect::Policy;
use secrecy::SecretString;
use serde_json::{json, Value};
use url::Url;
use wechat::api::{errcode, ApiClient, WeChatError};
use wechat::ids::AppId;
use wechat::oauth::{self, QrStyle, Scope};
use wechat::token::{ServerToken, TokenEndpoint};
use wechat::AppCredentials;
use wechat::{jssdk, mp};

use crate::support::{Sandbox, SandboxProcess, SandboxSite};

const WECHAT_UA: &str =
    "Mozilla/5.0 (iPhone) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0.50 NetType/WIFI";

fn app(sandbox: &SandboxSite, appid: &str, secret: &str) -> AppCredentials {
    AppCredentials {
        appid: AppId::parse(&sandbox.credential(appid)).expect("appid"),
        secret: SecretString::from(sandbox.credential(secret)),
    }
}

fn api(sandbox: &SandboxSite) -> ApiClient {
    ApiClient::new(Url::parse(&sandbox.base_url).expect("url")).expect("client")
}

/// A browser that does not follow redirects, so each hop can be checked.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .build()
        .expect("client")
}

fn query_param(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .expect("url")
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

#[tokio::test]
async fn mini_program_login_code_works_once_and_gives_openid_session_key_and_unionid() {
    let sandbox = SandboxProcess::start().await;
    let mp_app = app(&sandbox, "mp_appid", "mp_secret");
    let minted = sandbox
        .control("/sandbox/mp/login-code", json!({ "persona": "xiaohong" }))
        .await;
    let code = minted["code"].as_str().expect("code");

    let session = mp::code_to_session(&api(&sandbox), &mp_app, code)
        .await
        .expect("session");
    assert_eq!(session.openid, minted["openid"].as_str().expect("openid"));
    assert!(session.unionid.is_some());
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&session.session_key).len(),
        24
    );

    let again = mp::code_to_session(&api(&sandbox), &mp_app, code)
        .await
        .expect_err("single use");
    assert_eq!(again.errcode(), Some(errcode::CODE_USED));
    let unknown = mp::code_to_session(&api(&sandbox), &mp_app, "not-a-code")
        .await
        .expect_err("unknown");
    assert_eq!(unknown.errcode(), Some(errcode::INVALID_CODE));
    let mut wrong_secret = mp_app.clone();
    wrong_secret.secret = SecretString::from("wrong".to_owned());
    let refused = mp::code_to_session(&api(&sandbox), &wrong_secret, code)
        .await
        .expect_err("bad secret");
    assert_eq!(refused.errcode(), Some(40125));
}

#[tokio::test]
async fn check_session_follows_the_newest_session_key_and_phone_codes_give_the_number() {
    let sandbox = Sandbox::start().await;
    let mp_app = app(&sandbox, "mp_appid", "mp_secret");
    let token = ServerToken::new(api(&sandbox), mp_app.clone(), TokenEndpoint::Stable, None);
    let login = |_: ()| async {
        let code = sandbox.control("/sandbox/mp/login-code", json!({})).await["code"]
            .as_str()
            .expect("code")
            .to_owned();
        mp::code_to_session(&api(&sandbox), &mp_app, &code)
            .await
            .expect("session")
    };
    let first = login(()).await;
    let access_token = token.access_token().await.expect("access token");
    let access_token = secrecy::ExposeSecret::expose_secret(&access_token).to_owned();
    mp::check_session(&api(&sandbox), &access_token, &first)
        .await
        .expect("current key");

    let second = login(()).await;
    let stale = mp::check_session(&api(&sandbox), &access_token, &first)
        .await
        .expect_err("rotated");
    assert_eq!(stale.errcode(), Some(errcode::BAD_SESSION_SIGNATURE));
    mp::check_session(&api(&sandbox), &access_token, &second)
        .await
        .expect("newest key");

    let phone_code = sandbox.control("/sandbox/mp/phone-code", json!({})).await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let phone = token
        .with_access_token(|token| {
            let api = api(&sandbox);
            let phone_code = phone_code.clone();
            async move {
                mp::phone_number(
                    &api,
                    secrecy::ExposeSecret::expose_secret(&token),
                    &phone_code,
                )
                .await
            }
        })
        .await
        .expect("phone number");
    assert_eq!(phone.phone_number, "13800138000");
    assert_eq!(phone.country_code, "86");
    let wrong_kind = mp::phone_number(&api(&sandbox), &access_token, "not-a-code")
        .await
        .expect_err("unknown code");
    assert_eq!(wrong_kind.errcode(), Some(errcode::INVALID_CODE));
}

#[tokio::test]
async fn classic_tokens_replace_each_other_while_the_stable_token_and_ticket_stay() {
    let sandbox = Sandbox::start().await;
    let oa_app = app(&sandbox, "oa_appid", "oa_secret");
    let classic = ServerToken::new(api(&sandbox), oa_app.clone(), TokenEndpoint::Classic, None);
    let stable = ServerToken::new(api(&sandbox), oa_app.clone(), TokenEndpoint::Stable, None);
    let first = classic.access_token().await.expect("classic token");
    let stable_first = stable.access_token().await.expect("stable token");
    let second = ServerToken::new(api(&sandbox), oa_app, TokenEndpoint::Classic, None)
        .access_token()
        .await
        .expect("another");
    assert_ne!(
        secrecy::ExposeSecret::expose_secret(&first),
        secrecy::ExposeSecret::expose_secret(&second)
    );

    let ticket = stable.jsapi_ticket().await.expect("ticket");
    let ticket = secrecy::ExposeSecret::expose_secret(&ticket).to_owned();
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&stable.access_token().await.expect("cached")),
        secrecy::ExposeSecret::expose_secret(&stable_first)
    );
    let signature = jssdk::signature(
        &ticket,
        "Wm3WZYTPz0wzccnW",
        "1414587457",
        "http://127.0.0.1/page?x=1#frag",
    );
    assert_eq!(signature.len(), 40);

    let stale: Result<Value, WeChatError> = api(&sandbox)
        .get(
            "/cgi-bin/ticket/getticket",
            &[("access_token", "nope"), ("type", "jsapi")],
        )
        .await;
    assert_eq!(
        stale.expect_err("unknown token").errcode(),
        Some(errcode::INVALID_CREDENTIAL)
    );
}

#[tokio::test]
async fn official_account_base_scope_is_silent_and_userinfo_asks_for_consent() {
    let sandbox = Sandbox::start().await;
    let oa_app = app(&sandbox, "oa_appid", "oa_secret");
    let open_base = Url::parse(&sandbox.base_url).expect("url");
    let callback = "https://shop.example.com/api/auth/wechat/oauth/callback";

    let base_url = oauth::authorize_url(
        &open_base,
        oa_app.appid.as_str(),
        callback,
        Scope::Base,
        "S1",
    );
    let response = browser()
        .get(&base_url)
        .header(USER_AGENT, WECHAT_UA)
        .send()
        .await
        .expect("authorize");
    assert_eq!(response.status(), 303);
    let location = response.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert!(location.starts_with(callback), "{location}");
    assert_eq!(query_param(&location, "state").as_deref(), Some("S1"));
    let code = query_param(&location, "code").expect("code");
    let token = oauth::exchange_code(&api(&sandbox), &oa_app, &code)
        .await
        .expect("token");
    assert_eq!(token.scope, "snsapi_base");
    assert!(token.unionid.is_none(), "snsapi_base gives no unionid");
    let refused = oauth::user_info(&api(&sandbox), &token)
        .await
        .expect_err("base scope");
    assert_eq!(refused.errcode(), Some(48001));
    let reused = oauth::exchange_code(&api(&sandbox), &oa_app, &code)
        .await
        .expect_err("single use");
    assert_eq!(reused.errcode(), Some(errcode::CODE_USED));

    let userinfo_url = oauth::authorize_url(
        &open_base,
        oa_app.appid.as_str(),
        callback,
        Scope::UserInfo,
        "S2",
    );
    let page = browser()
        .get(&userinfo_url)
        .header(USER_AGENT, WECHAT_UA)
        .send()
        .await
        .expect("consent page");
    assert_eq!(page.status(), 200);
    assert!(page.text().await.expect("html").contains("允许"));
    let allow = [
        ("appid", oa_app.appid.as_str()),
        ("redirect_uri", callback),
        ("state", "S2"),
        ("scope", "snsapi_userinfo"),
        ("persona", "laowang"),
        ("decision", "allow"),
    ];
    let decided = browser()
        .post(sandbox.url("/connect/oauth2/authorize/decide"))
        .form(&allow)
        .send()
        .await
        .expect("decide");
    let location = decided.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    let code = query_param(&location, "code").expect("code");
    let token = oauth::exchange_code(&api(&sandbox), &oa_app, &code)
        .await
        .expect("token");
    let profile = oauth::user_info(&api(&sandbox), &token)
        .await
        .expect("profile");
    assert_eq!(profile.nickname, "老王");
    assert_eq!(profile.unionid, token.unionid);
    oauth::check_token(&api(&sandbox), &token)
        .await
        .expect("token valid");
    let refreshed = oauth::refresh(&api(&sandbox), &oa_app, &token.refresh_token)
        .await
        .expect("refresh");
    assert_eq!(refreshed.openid, token.openid);

    let mut deny = allow;
    deny[5] = ("decision", "deny");
    let declined = browser()
        .post(sandbox.url("/connect/oauth2/authorize/decide"))
        .form(&deny)
        .send()
        .await
        .expect("deny");
    let location = declined.headers()[LOCATION]
        .to_str()
        .expect("location")
        .to_owned();
    assert_eq!(query_param(&location, "state").as_deref(), Some("S2"));
    assert_eq!(
        query_param(&location, "code"),
        None,
        "a declined consent carries no code"
    );
}

#[tokio::test]
async fn official_account_oauth_outside_wechat_asks_to_open_in_wechat() {
    let sandbox = Sandbox::start().await;
    let open_base = Url::parse(&sandbox.base_url).expect("url");
    let url = oauth::authorize_url(
        &open_base,
        &sandbox.credential("oa_appid"),
        "https://a.example.com/cb",
        Scope::Base,
        "S",
    );
    let page = browser().get(&url).send().await.expect("authorize");
    assert_eq!(page.status(), 200);
    assert!(page
        .text()
        .await
        .expect("html")
        .contains("请在微信客户端打开链接"));

    let wrong_scope = url.replace("snsapi_base", "snsapi_login");
    let page = browser()
        .get(&wrong_scope)
        .header(USER_AGENT, WECHAT_UA)
        .send()
        .await
        .expect("authorize");
    assert!(page.text().await.expect("html").contains("10005"));
}

#[tokio::test]
async fn website_qr_login_is_confirmed_on_the_phone_and_shares_the_unionid() {
    let sandbox = Sandbox::start().await;
    let web_app = app(&sandbox, "web_appid", "web_secret");
    let open_base = Url::parse(&sandbox.base_url).expect("url");
    let callback = "https://shop.example.com/api/auth/wechat/oauth/callback";
    let url = oauth::qrconnect_url(
        &open_base,
        web_app.appid.as_str(),
        callback,
        "Q1",
        QrStyle::Embedded {
            self_redirect: false,
        },
    );

    let html = browser()
        .get(&url)
        .send()
        .await
        .expect("qr page")
        .text()
        .await
        .expect("html");
    assert!(html.contains("<svg"), "a real QR code is drawn");
    let uuid = html
        .split("uuid=")
        .nth(1)
        .and_then(|rest| rest.split(['"', '&']).next())
        .expect("uuid")
        .to_owned();
    let status_url = sandbox.url(&format!("/connect/qrconnect/status?uuid={uuid}"));
    let status = || async {
        reqwest::get(&status_url)
            .await
            .expect("status")
            .json::<Value>()
            .await
            .expect("json")
    };
    assert_eq!(status().await["status"], "waiting");
    let phone_page = browser()
        .get(sandbox.url(&format!("/connect/confirm?uuid={uuid}")))
        .send()
        .await
        .expect("phone page");
    assert!(phone_page.text().await.expect("html").contains("确认登录"));
    assert_eq!(status().await["status"], "scanned");

    let confirmed = browser()
        .post(sandbox.url("/connect/confirm"))
        .form(&[
            ("uuid", uuid.as_str()),
            ("persona", "xiaoming"),
            ("decision", "allow"),
        ])
        .send()
        .await
        .expect("confirm");
    assert_eq!(confirmed.status(), 200);
    let done = status().await;
    assert_eq!(done["status"], "confirmed");
    let redirect = done["redirect"].as_str().expect("redirect");
    assert_eq!(query_param(redirect, "state").as_deref(), Some("Q1"));
    let token = oauth::exchange_code(
        &api(&sandbox),
        &web_app,
        &query_param(redirect, "code").expect("code"),
    )
    .await
    .expect("token");

    let personas: Value = reqwest::get(sandbox.url("/sandbox/personas"))
        .await
        .expect("personas")
        .json()
        .await
        .expect("json");
    let xiaoming = personas
        .as_array()
        .expect("list")
        .iter()
        .find(|persona| persona["id"] == "xiaoming")
        .expect("xiaoming");
    assert_eq!(token.unionid.as_deref(), xiaoming["unionid"].as_str());
    assert_eq!(token.openid, xiaoming["openids"][web_app.appid.as_str()]);
    assert_ne!(
        token.openid,
        xiaoming["openids"][sandbox.credential("oa_appid").as_str()],
        "openids differ per app"
    );
}

#[tokio::test]
async fn personas_can_be_added_and_log_in() {
    let sandbox = Sandbox::start().await;
    let added = reqwest::Client::new()
        .post(sandbox.url("/sandbox/personas"))
        .json(&json!({ "id": "tester", "nickname": "测试员" }))
        .send()
        .await
        .expect("add");
    assert_eq!(added.status(), 201);
    let duplicate = reqwest::Client::new()
        .post(sandbox.url("/sandbox/personas"))
        .json(&json!({ "id": "tester", "nickname": "again" }))
        .send()
        .await
        .expect("add again");
    assert_eq!(duplicate.status(), 409);
    let minted = sandbox
        .control("/sandbox/mp/login-code", json!({ "persona": "tester" }))
        .await;
    let session = mp::code_to_session(
        &api(&sandbox),
        &app(&sandbox, "mp_appid", "mp_secret"),
        minted["code"].as_str().expect("code"),
    )
    .await
    .expect("session");
    assert_eq!(session.openid, minted["openid"].as_str().expect("openid"));
}

#[tokio::test]
async fn expired_codes_are_refused_with_wechats_errcodes() {
    let sandbox = Sandbox::start().await;
    let mp_app = app(&sandbox, "mp_appid", "mp_secret");
    let oa_app = app(&sandbox, "oa_appid", "oa_secret");
    let login_code = sandbox.control("/sandbox/mp/login-code", json!({})).await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let open_base = Url::parse(&sandbox.base_url).expect("url");
    let url = oauth::authorize_url(
        &open_base,
        oa_app.appid.as_str(),
        "https://a.example.com/cb",
        Scope::Base,
        "S",
    );
    let response = browser()
        .get(&url)
        .header(USER_AGENT, WECHAT_UA)
        .send()
        .await
        .expect("authorize");
    let oauth_code = query_param(
        response.headers()[LOCATION].to_str().expect("location"),
        "code",
    )
    .expect("code");

    let expired = sandbox.control("/sandbox/codes/expire", json!({})).await;
    assert_eq!(expired["expired"], 2);
    let mp_error = mp::code_to_session(&api(&sandbox), &mp_app, &login_code)
        .await
        .expect_err("expired");
    assert_eq!(mp_error.errcode(), Some(errcode::INVALID_CODE));
    let oauth_error = oauth::exchange_code(&api(&sandbox), &oa_app, &oauth_code)
        .await
        .expect_err("expired");
    assert_eq!(oauth_error.errcode(), Some(42003));
}

#[tokio::test]
async fn an_expired_server_token_is_dropped_and_the_call_retried_once() {
    let sandbox = Sandbox::start().await;
    let mp_app = app(&sandbox, "mp_appid", "mp_secret");
    let token = ServerToken::new(api(&sandbox), mp_app, TokenEndpoint::Stable, None);
    let before = token.access_token().await.expect("token");
    let expired = sandbox.control("/sandbox/tokens/expire", json!({})).await;
    assert_eq!(expired["expired"], 1);

    let phone_code = sandbox
        .control("/sandbox/mp/phone-code", json!({ "persona": "laowang" }))
        .await["code"]
        .as_str()
        .expect("code")
        .to_owned();
    let calls = std::sync::atomic::AtomicUsize::new(0);
    let phone = token
        .with_access_token(|access_token| {
            calls.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            let api = api(&sandbox);
            let phone_code = phone_code.clone();
            async move {
                mp::phone_number(
                    &api,
                    secrecy::ExposeSecret::expose_secret(&access_token),
                    &phone_code,
                )
                .await
            }
        })
        .await
        .expect("retried with a fresh token");
    assert_eq!(phone.phone_number, "13700137000");
    assert_eq!(
        calls.into_inner(),
        2,
        "one refused call, one retry, no loop"
    );
    let after = token.access_token().await.expect("token");
    assert_ne!(
        secrecy::ExposeSecret::expose_secret(&before),
        secrecy::ExposeSecret::expose_secret(&after)
    );
}
