//! Where WeChat's login APIs refuse or answer sparingly, the sandbox does too: each test is one place an
//! integration that passed a forgiving sandbox would fail at WeChat (issue #12), checked over HTTP.

use reqwest::header::{COOKIE, LOCATION, USER_AGENT};
use secrecy::{ExposeSecret, SecretString};
use serde_json::{json, Value};
use wechat::api::{errcode, ApiClient};
use wechat::ids::AppId;
use wechat::oauth;
use wechat::AppCredentials;

use crate::support::merchant::browser;
use crate::support::{Sandbox, SandboxSite, WECHAT_UA};

const CALLBACK: &str = "https://shop.example.com/api/auth/wechat/oauth/callback";

/// The raw answer of `GET /sns/oauth2/access_token` for a silent snsapi_base login of `persona` in the official
/// account, as the WeChat browser gets its code.
async fn base_token_answer(sandbox: &SandboxSite, persona: &str) -> Value {
    let appid = sandbox.credential("oa_appid");
    let authorize = format!(
        "{}/connect/oauth2/authorize?appid={appid}&redirect_uri={}&response_type=code&scope=snsapi_base&state=S#wechat_redirect",
        sandbox.base_url,
        url::form_urlencoded::byte_serialize(CALLBACK.as_bytes()).collect::<String>()
    );
    let response = browser()
        .get(&authorize)
        .header(USER_AGENT, WECHAT_UA)
        .header(COOKIE, format!("wx_sandbox_persona={persona}"))
        .send()
        .await
        .expect("authorize");
    token_answer(sandbox, &code_of(&response)).await
}

/// The raw answer of `GET /sns/oauth2/access_token` after `persona` allowed snsapi_userinfo in the official account.
async fn userinfo_token_answer(sandbox: &SandboxSite, persona: &str) -> Value {
    let appid = sandbox.credential("oa_appid");
    let decided = browser()
        .post(sandbox.url("/connect/oauth2/authorize/decide"))
        .form(&[
            ("appid", appid.as_str()),
            ("redirect_uri", CALLBACK),
            ("state", "S"),
            ("scope", "snsapi_userinfo"),
            ("persona", persona),
            ("decision", "allow"),
        ])
        .send()
        .await
        .expect("decide");
    token_answer(sandbox, &code_of(&decided)).await
}

/// The code WeChat's redirect back to the callback carries.
fn code_of(redirect: &reqwest::Response) -> String {
    let location = redirect.headers()[LOCATION].to_str().expect("location");
    url::Url::parse(location)
        .expect("url")
        .query_pairs()
        .find(|(name, _)| name == "code")
        .map(|(_, code)| code.into_owned())
        .expect("a code")
}

async fn token_answer(sandbox: &SandboxSite, code: &str) -> Value {
    sandbox
        .get_json(&format!(
            "/sns/oauth2/access_token?appid={}&secret={}&code={code}&grant_type=authorization_code",
            sandbox.credential("oa_appid"),
            sandbox.credential("oa_secret")
        ))
        .await
}

#[tokio::test]
async fn is_snapshotuser_comes_only_for_a_snapshot_page_user() {
    let sandbox = Sandbox::start().await;
    let real = base_token_answer(&sandbox, "xiaoming").await;
    assert!(real["openid"].is_string(), "{real}");
    assert!(
        real.get("is_snapshotuser").is_none(),
        "a real user's token has no is_snapshotuser: {real}"
    );

    sandbox
        .control(
            "/sandbox/personas",
            json!({"id": "moments", "nickname": "朋友圈访客", "snapshot": true}),
        )
        .await;
    let snapshot = base_token_answer(&sandbox, "moments").await;
    assert_eq!(snapshot["is_snapshotuser"], 1, "{snapshot}");
}

#[tokio::test]
async fn an_app_without_open_platform_binding_is_told_no_unionid() {
    let sandbox = Sandbox::start().await;
    let bound = userinfo_token_answer(&sandbox, "xiaohong").await;
    assert!(bound["unionid"].is_string(), "{bound}");

    let oa_appid = sandbox.credential("oa_appid");
    let mp_appid = sandbox.credential("mp_appid");
    for appid in [&oa_appid, &mp_appid] {
        let unbound = sandbox
            .control(
                &format!("/sandbox/apps/{appid}/open-platform"),
                json!({"bound": false}),
            )
            .await;
        assert_eq!(unbound["open_platform"], false);
    }
    let token = userinfo_token_answer(&sandbox, "xiaohong").await;
    assert!(token["openid"].is_string(), "{token}");
    assert!(token.get("unionid").is_none(), "{token}");
    let profile: Value = sandbox
        .get_json(&format!(
            "/sns/userinfo?access_token={}&openid={}&lang=zh_CN",
            token["access_token"].as_str().unwrap_or_default(),
            token["openid"].as_str().unwrap_or_default()
        ))
        .await;
    assert_eq!(profile["nickname"], "小红");
    assert!(profile.get("unionid").is_none(), "{profile}");

    let code = sandbox
        .control("/sandbox/mp/login-code", json!({"persona": "xiaohong"}))
        .await;
    let session: Value = sandbox
        .get_json(&format!(
        "/sns/jscode2session?appid={mp_appid}&secret={}&js_code={}&grant_type=authorization_code",
        sandbox.credential("mp_secret"),
        code["code"].as_str().unwrap_or_default()
    ))
        .await;
    assert!(session["openid"].is_string(), "{session}");
    assert!(session.get("unionid").is_none(), "{session}");
}

#[tokio::test]
async fn codes_and_tokens_are_as_long_as_wechats() {
    let sandbox = Sandbox::start().await;
    let code = sandbox
        .control("/sandbox/mp/login-code", json!({"persona": "xiaoming"}))
        .await;
    assert_eq!(code["code"].as_str().map(str::len), Some(32), "js_code");
    let user = base_token_answer(&sandbox, "xiaoming").await;
    for field in ["access_token", "refresh_token"] {
        assert!(
            user[field].as_str().is_some_and(|token| token.len() >= 100),
            "{field}: {user}"
        );
    }
    let server: Value = sandbox
        .get_json(&format!(
            "/cgi-bin/token?grant_type=client_credential&appid={}&secret={}",
            sandbox.credential("oa_appid"),
            sandbox.credential("oa_secret")
        ))
        .await;
    // WeChat documents 512 characters of storage for the access_token: a narrower column fails here first.
    assert_eq!(
        server["access_token"].as_str().map(str::len),
        Some(512),
        "{server}"
    );
}

#[tokio::test]
async fn refreshing_keeps_the_refresh_token_until_its_thirty_days_end() {
    let sandbox = Sandbox::start().await;
    let oa_app = AppCredentials {
        appid: AppId::parse(&sandbox.credential("oa_appid")).expect("appid"),
        secret: SecretString::from(sandbox.credential("oa_secret")),
    };
    let api = ApiClient::new(url::Url::parse(&sandbox.base_url).expect("url")).expect("client");
    let first = userinfo_token_answer(&sandbox, "xiaoming").await;
    let refresh_token = SecretString::from(
        first["refresh_token"]
            .as_str()
            .unwrap_or_default()
            .to_owned(),
    );

    let refreshed = oauth::refresh(&api, &oa_app, &refresh_token)
        .await
        .expect("refresh");
    assert_eq!(
        refreshed.refresh_token.expose_secret(),
        refresh_token.expose_secret(),
        "refreshing an unexpired refresh token keeps it"
    );
    assert_ne!(
        refreshed.access_token.expose_secret(),
        first["access_token"].as_str().unwrap_or_default()
    );
    let again = oauth::refresh(&api, &oa_app, &refresh_token)
        .await
        .expect("refresh again");
    assert_eq!(
        again.refresh_token.expose_secret(),
        refresh_token.expose_secret()
    );

    sandbox
        .control("/sandbox/refresh-tokens/expire", json!({}))
        .await;
    let ended = oauth::refresh(&api, &oa_app, &refresh_token)
        .await
        .expect_err("30 days are over");
    assert_eq!(ended.errcode(), Some(errcode::REFRESH_TOKEN_EXPIRED));
}

#[tokio::test]
async fn a_forced_stable_token_refresh_ends_the_old_token_and_is_rate_limited() {
    let sandbox = Sandbox::start().await;
    let client = reqwest::Client::new();
    let stable = |force_refresh: bool| {
        let body = json!({
            "grant_type": "client_credential", "appid": sandbox.credential("oa_appid"),
            "secret": sandbox.credential("oa_secret"), "force_refresh": force_refresh,
        });
        let request = client
            .post(sandbox.url("/cgi-bin/stable_token"))
            .json(&body);
        async move {
            request
                .send()
                .await
                .expect("stable_token")
                .json::<Value>()
                .await
                .expect("JSON")
        }
    };
    let ticket = |token: Value| {
        let url = sandbox.url(&format!(
            "/cgi-bin/ticket/getticket?access_token={}&type=jsapi",
            token.as_str().unwrap_or_default()
        ));
        async move {
            reqwest::get(url)
                .await
                .expect("getticket")
                .json::<Value>()
                .await
                .expect("JSON")
        }
    };

    let first = stable(false).await;
    assert!(
        first["expires_in"].as_u64().is_some_and(|left| left >= 300),
        "{first}"
    );
    assert_eq!(ticket(first["access_token"].clone()).await["errcode"], 0);

    let forced = stable(true).await;
    assert_ne!(forced["access_token"], first["access_token"]);
    assert_eq!(
        ticket(first["access_token"].clone()).await["errcode"],
        40001,
        "a forced refresh ends the previous token at once"
    );
    assert_eq!(ticket(forced["access_token"].clone()).await["errcode"], 0);
    assert_eq!(
        stable(true).await["errcode"],
        45011,
        "forced refreshes are 30 seconds apart"
    );
    assert_eq!(stable(false).await["access_token"], forced["access_token"]);
}

#[tokio::test]
async fn an_errmsg_ends_with_a_rid_like_wechats() {
    let sandbox = Sandbox::start().await;
    let refused: Value = sandbox
        .get_json(&format!(
        "/sns/jscode2session?appid={}&secret={}&js_code=no-such-code&grant_type=authorization_code",
        sandbox.credential("mp_appid"),
        sandbox.credential("mp_secret")
    ))
        .await;
    let errmsg = refused["errmsg"].as_str().unwrap_or_default();
    let (_, rid) = errmsg
        .rsplit_once(", rid: ")
        .expect("an errmsg ends with its rid");
    let groups: Vec<&str> = rid.split('-').collect();
    assert!(
        groups.len() == 3
            && groups.iter().all(|group| group.len() == 8
                && group
                    .bytes()
                    .all(|byte| byte.is_ascii_hexdigit() && !byte.is_ascii_uppercase())),
        "{errmsg}"
    );
}
