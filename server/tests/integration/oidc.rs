//! wxgate as an OpenID Connect provider, against the sandbox, as a client would use it: discovery, the code flow
//! with PKCE through the WeChat browser's login, the ID token checked against the JWKS, refresh with rotation,
//! userinfo and logout; and the refusals the specifications call for (wrong redirect URIs, missing or wrong PKCE
//! verifiers, reused and expired codes, reused refresh tokens, wrong client secrets), key rotation, and clients
//! registered with `wxgate clients`.

use base64::Engine;
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{decode, decode_header, DecodingKey, Validation};
use reqwest::header::{LOCATION, WWW_AUTHENTICATE};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use url::Url;

use crate::support::{on_both_backends, run_to_exit, Browser, TestDatabase, Wxgate, WECHAT_UA};

pub(crate) const SECRET: &str = "shop-secret-0123456789abcdefghijklmnop";
pub(crate) const REDIRECT: &str = "https://shop.example.com/callback";
const SPA_REDIRECT: &str = "http://127.0.0.1:5173/callback";

pub(crate) fn clients() -> String {
    json!([
        {"client_id": "shop", "client_secret": SECRET, "redirect_uris": [REDIRECT],
         "post_logout_redirect_uris": ["https://shop.example.com/bye"], "name": "Shop"},
        {"client_id": "spa", "redirect_uris": [SPA_REDIRECT]},
    ])
    .to_string()
}

async fn start(database: &TestDatabase) -> Wxgate {
    Wxgate::start(database, &[("WXGATE_OIDC_CLIENTS", &clients())]).await
}

/// A PKCE pair (RFC 7636): a verifier and its S256 challenge.
pub(crate) fn pkce() -> (String, String) {
    let verifier =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(rand::random::<[u8; 32]>());
    let challenge =
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(Sha256::digest(&verifier));
    (verifier, challenge)
}

pub(crate) fn query(url: &str, name: &str) -> Option<String> {
    Url::parse(url)
        .expect("url")
        .query_pairs()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.into_owned())
}

fn location(response: &reqwest::Response) -> String {
    let location = response.headers()[LOCATION].to_str().expect("location");
    response.url().join(location).expect("url").to_string()
}

pub(crate) fn authorize_path(
    client_id: &str,
    redirect_uri: &str,
    challenge: Option<&str>,
    extra: &[(&str, &str)],
) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("client_id", client_id)
        .append_pair("redirect_uri", redirect_uri)
        .append_pair("response_type", "code")
        .append_pair("scope", "openid profile wechat")
        .append_pair("state", "st-1")
        .append_pair("nonce", "n-1");
    if let Some(challenge) = challenge {
        query
            .append_pair("code_challenge", challenge)
            .append_pair("code_challenge_method", "S256");
    }
    for (name, value) in extra {
        query.append_pair(name, value);
    }
    format!("/oauth2/authorize?{}", query.finish())
}

/// Follows an authorization request through wxgate's login in the WeChat browser (the official account, with
/// consent for the profile, as persona `xiaoming`) until wxgate sends the browser to the client; returns that URL.
async fn authorize_in_wechat(server: &Wxgate, browser: &Browser, path: &str) -> String {
    let mut response = browser.get(&server.url(path)).await;
    for _ in 0..8 {
        assert!(
            response.status().is_redirection(),
            "{}: {}",
            response.status(),
            response.url()
        );
        let target = location(&response);
        if !target.starts_with(&server.url("/")) {
            return target;
        }
        let url = Url::parse(&target).expect("url");
        response = match url.path() {
            // The login page: inside WeChat it goes to the official account's login, with `next` back here.
            "/login" => {
                let next = query(&target, "next").expect("next");
                let mut start = url::form_urlencoded::Serializer::new(String::new());
                start
                    .append_pair("scope", "userinfo")
                    .append_pair("next", &next);
                browser
                    .get(&server.url(&format!("/api/auth/wechat/oauth/start?{}", start.finish())))
                    .await
            }
            "/sandbox/connect/oauth2/authorize" => {
                let plain = target.replace("#wechat_redirect", "");
                browser
                    .post_form(
                        &server.url("/sandbox/connect/oauth2/authorize/decide"),
                        &[
                            ("appid", &query(&plain, "appid").expect("appid")),
                            (
                                "redirect_uri",
                                &query(&plain, "redirect_uri").expect("redirect_uri"),
                            ),
                            ("state", &query(&plain, "state").expect("state")),
                            ("scope", "snsapi_userinfo"),
                            ("persona", "xiaoming"),
                            ("decision", "allow"),
                        ],
                    )
                    .await
            }
            _ => browser.get(&target).await,
        };
    }
    panic!("the authorization did not come back to the client");
}

async fn token(
    server: &Wxgate,
    form: &[(&str, &str)],
    basic: Option<(&str, &str)>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .post(server.url("/oauth2/token"))
        .form(form);
    if let Some((id, secret)) = basic {
        request = request.basic_auth(id, Some(secret));
    }
    let response = request.send().await.expect("token");
    let status = response.status().as_u16();
    assert_eq!(response.headers()["cache-control"], "no-store");
    (status, response.json().await.expect("json"))
}

async fn userinfo(server: &Wxgate, access_token: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(server.url("/oauth2/userinfo"))
        .bearer_auth(access_token)
        .send()
        .await
        .expect("userinfo");
    let status = response.status().as_u16();
    if status == 401 {
        assert!(response.headers()[WWW_AUTHENTICATE]
            .to_str()
            .expect("header")
            .starts_with("Bearer "));
    }
    (status, response.json().await.expect("json"))
}

async fn jwks(server: &Wxgate) -> JwkSet {
    reqwest::get(server.url("/oauth2/jwks"))
        .await
        .expect("jwks")
        .json()
        .await
        .expect("json")
}

/// The ID token's claims once its signature checks against the JWKS and its issuer and audience are right.
async fn verified_id_token(server: &Wxgate, id_token: &str, audience: &str) -> Value {
    let kid = decode_header(id_token).expect("header").kid.expect("kid");
    let set = jwks(server).await;
    let key =
        DecodingKey::from_jwk(set.find(&kid).expect("the signing key is published")).expect("key");
    let mut validation = Validation::new(jsonwebtoken::Algorithm::ES256);
    validation.set_audience(&[audience]);
    validation.set_issuer(&[server.url("").trim_end_matches('/')]);
    decode::<Value>(id_token, &key, &validation)
        .expect("a valid ID token")
        .claims
}

/// Signs `xiaoming` in for the confidential client and returns its token answer.
async fn shop_tokens(server: &Wxgate, browser: &Browser) -> Value {
    let (verifier, challenge) = pkce();
    let back = authorize_in_wechat(
        server,
        browser,
        &authorize_path("shop", REDIRECT, Some(&challenge), &[]),
    )
    .await;
    let code = query(&back, "code").expect("code");
    let (status, answer) = token(
        server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
        Some(("shop", SECRET)),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    answer
}

on_both_backends! {
    a_client_signs_a_person_in_with_pkce_refreshes_and_reads_userinfo => a_client_signs_a_person_in_with_pkce_refreshes_and_reads_userinfo;
    refusals_follow_the_specifications => refusals_follow_the_specifications;
    reused_codes_and_refresh_tokens_revoke_what_they_issued => reused_codes_and_refresh_tokens_revoke_what_they_issued;
    keys_rotate_and_tokens_of_the_old_key_still_verify => keys_rotate_and_tokens_of_the_old_key_still_verify;
    logout_ends_the_session_and_returns_to_a_registered_uri => logout_ends_the_session_and_returns_to_a_registered_uri;
    clients_are_added_listed_and_removed_from_the_command_line => clients_are_added_listed_and_removed_from_the_command_line;
}

async fn a_client_signs_a_person_in_with_pkce_refreshes_and_reads_userinfo(database: TestDatabase) {
    let server = start(&database).await;
    let discovery: Value = reqwest::get(server.url("/.well-known/openid-configuration"))
        .await
        .expect("discovery")
        .json()
        .await
        .expect("json");
    let issuer = server.url("").trim_end_matches('/').to_owned();
    assert_eq!(discovery["issuer"], issuer);
    assert_eq!(
        discovery["token_endpoint"],
        format!("{issuer}/oauth2/token")
    );
    assert_eq!(
        discovery["code_challenge_methods_supported"],
        json!(["S256"])
    );

    let browser = Browser::new(Some(WECHAT_UA));
    let (verifier, challenge) = pkce();
    let back = authorize_in_wechat(
        &server,
        &browser,
        &authorize_path("shop", REDIRECT, Some(&challenge), &[]),
    )
    .await;
    assert!(back.starts_with(REDIRECT), "{back}");
    assert_eq!(query(&back, "state").as_deref(), Some("st-1"));
    assert_eq!(query(&back, "iss").as_deref(), Some(issuer.as_str()));
    let code = query(&back, "code").expect("code");

    // client_secret_post this time.
    let (status, answer) = token(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &code),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", "shop"),
            ("client_secret", SECRET),
        ],
        None,
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert_eq!(answer["token_type"], "Bearer");
    assert_eq!(answer["scope"], "openid profile wechat");
    let claims = verified_id_token(
        &server,
        answer["id_token"].as_str().expect("id_token"),
        "shop",
    )
    .await;
    assert_eq!(claims["nonce"], "n-1");
    assert_eq!(claims["name"], "小明");
    let me: Value = browser
        .get(&server.url("/api/me"))
        .await
        .json()
        .await
        .expect("me");
    assert_eq!(claims["sub"], me["user_id"], "sub is wxgate's user id");
    let openids = claims["openids"].as_array().expect("openids");
    assert_eq!(openids[0]["provider"], "wechat_oa");
    assert!(claims["unionid"].is_string());

    let (status, info) = userinfo(&server, answer["access_token"].as_str().expect("access")).await;
    assert_eq!(status, 200);
    assert_eq!(info["sub"], claims["sub"]);
    assert_eq!(info["nickname"], "小明");

    // A second sign-in of a signed-in person is silent: straight back with a code.
    let again = browser
        .get(&server.url(&authorize_path("shop", REDIRECT, Some(&challenge), &[])))
        .await;
    assert!(location(&again).starts_with(REDIRECT));
    assert!(query(&location(&again), "code").is_some());
    // prompt=login sends a signed-in person to sign in again: inside WeChat, with a client asking for the
    // profile, through the official account's consent.
    let fresh = browser
        .get(&server.url(&authorize_path(
            "shop",
            REDIRECT,
            Some(&challenge),
            &[("prompt", "login")],
        )))
        .await;
    assert!(
        location(&fresh).contains("/api/auth/wechat/oauth/start?scope=userinfo&next="),
        "{}",
        location(&fresh)
    );

    let refresh = answer["refresh_token"].as_str().expect("refresh");
    let (status, refreshed) = token(
        &server,
        &[("grant_type", "refresh_token"), ("refresh_token", refresh)],
        Some(("shop", SECRET)),
    )
    .await;
    assert_eq!(status, 200, "{refreshed}");
    assert_ne!(
        refreshed["refresh_token"], answer["refresh_token"],
        "refresh tokens rotate"
    );
    let renewed =
        verified_id_token(&server, refreshed["id_token"].as_str().expect("id"), "shop").await;
    assert_eq!(renewed["sub"], claims["sub"]);
    assert_eq!(
        userinfo(&server, refreshed["access_token"].as_str().expect("access"))
            .await
            .0,
        200
    );

    // A public client: PKCE, no secret, calling the token endpoint with fetch from its own origin (CORS).
    let (verifier, challenge) = pkce();
    let back = authorize_in_wechat(
        &server,
        &browser,
        &authorize_path("spa", SPA_REDIRECT, Some(&challenge), &[]),
    )
    .await;
    let spa_origin = "http://127.0.0.1:5173";
    let preflight = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, server.url("/oauth2/token"))
        .header("origin", spa_origin)
        .header("access-control-request-method", "POST")
        .header("access-control-request-headers", "content-type")
        .send()
        .await
        .expect("preflight");
    assert!(preflight.status().is_success(), "{}", preflight.status());
    assert_eq!(preflight.headers()["access-control-allow-origin"], "*");
    let code = query(&back, "code").expect("code");
    let answer = reqwest::Client::new()
        .post(server.url("/oauth2/token"))
        .header("origin", spa_origin)
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
            ("redirect_uri", SPA_REDIRECT),
            ("code_verifier", verifier.as_str()),
            ("client_id", "spa"),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["access-control-allow-origin"], "*");
    assert!(
        answer
            .headers()
            .get("access-control-allow-credentials")
            .is_none(),
        "never with the browser's cookies"
    );
    let public: Value = answer.json().await.expect("json");
    let (status, _) = userinfo(&server, public["access_token"].as_str().expect("access")).await;
    assert_eq!(status, 200);
    // The authorization endpoint, which the session cookie speaks for, stays same-site for changes.
    let authorize = reqwest::Client::new()
        .post(server.url("/oauth2/authorize"))
        .header("origin", spa_origin)
        .form(&[("client_id", "spa")])
        .send()
        .await
        .expect("authorize");
    assert_eq!(authorize.status(), 403);
    let spa_claims =
        verified_id_token(&server, public["id_token"].as_str().expect("id"), "spa").await;
    assert_eq!(spa_claims["sub"], claims["sub"]);
    assert!(
        spa_claims.get("phone_number").is_none(),
        "phone was not asked for"
    );

    // The person withdraws the official account's authorisation (WeChat's user_authorization_revoke, which the
    // push tests receive): clients are no longer told that openid.
    let db = database.connect().await;
    sqlx::query("UPDATE identities SET revoked_at = 1 WHERE provider = 'wechat_oa'")
        .execute(db.pool())
        .await
        .expect("revoke");
    let (status, info) = userinfo(&server, public["access_token"].as_str().expect("access")).await;
    assert_eq!(status, 200);
    assert_eq!(info["openids"], json!([]), "{info}");
}

async fn refusals_follow_the_specifications(database: TestDatabase) {
    let server = start(&database).await;
    let browser = Browser::new(Some(WECHAT_UA));
    let (_, challenge) = pkce();

    // An unknown client and a redirect URI not registered are answered here, never redirected.
    for path in [
        authorize_path("nobody", REDIRECT, Some(&challenge), &[]),
        authorize_path(
            "shop",
            "https://evil.example.com/callback",
            Some(&challenge),
            &[],
        ),
        authorize_path(
            "shop",
            "https://shop.example.com/callback/",
            Some(&challenge),
            &[],
        ),
        authorize_path(
            "shop",
            "https://shop.example.com/callback?x=1",
            Some(&challenge),
            &[],
        ),
    ] {
        let response = browser.get(&server.url(&path)).await;
        assert_eq!(response.status(), 400, "{path}");
        assert!(response.headers().get(LOCATION).is_none());
    }
    // Other errors go back to the client with error and state.
    let cases: [(String, &str); 4] = [
        (
            authorize_path("spa", SPA_REDIRECT, None, &[]),
            "invalid_request",
        ),
        (
            authorize_path(
                "spa",
                SPA_REDIRECT,
                None,
                &[
                    ("code_challenge", &challenge),
                    ("code_challenge_method", "plain"),
                ],
            ),
            "invalid_request",
        ),
        (
            authorize_path("shop", REDIRECT, Some(&challenge), &[("prompt", "none")]),
            "login_required",
        ),
        (
            authorize_path(
                "shop",
                REDIRECT,
                Some(&challenge),
                &[("response_type", "token")],
            )
            .replace("response_type=code&", ""),
            "unsupported_response_type",
        ),
    ];
    for (path, error) in cases {
        let response = Browser::new(None).get(&server.url(&path)).await;
        assert!(
            response.status().is_redirection(),
            "{path}: {}",
            response.status()
        );
        let back = location(&response);
        assert!(
            back.starts_with(REDIRECT) || back.starts_with(SPA_REDIRECT),
            "{back}"
        );
        assert_eq!(query(&back, "error").as_deref(), Some(error), "{path}");
        assert_eq!(query(&back, "state").as_deref(), Some("st-1"));
    }

    // Token requests: a wrong secret by Basic is 401 with WWW-Authenticate; by the form, 400.
    let response = reqwest::Client::new()
        .post(server.url("/oauth2/token"))
        .basic_auth("shop", Some("wrong"))
        .form(&[
            ("grant_type", "authorization_code"),
            ("code", "x"),
            ("redirect_uri", REDIRECT),
        ])
        .send()
        .await
        .expect("token");
    assert_eq!(response.status(), 401);
    assert!(response.headers().contains_key(WWW_AUTHENTICATE));
    let (status, refused) = token(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("client_id", "shop"),
            ("client_secret", "wrong"),
        ],
        None,
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_client"))
    );
    let (status, refused) = token(
        &server,
        &[("grant_type", "password")],
        Some(("shop", SECRET)),
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("unsupported_grant_type"))
    );

    // A code with a missing verifier, a wrong verifier, the wrong redirect URI: each refused (and used up).
    let (verifier, challenge) = pkce();
    for form in [
        vec![("redirect_uri", REDIRECT)],
        vec![
            ("redirect_uri", REDIRECT),
            (
                "code_verifier",
                "wrong-verifier-wrong-verifier-wrong-verifier-00",
            ),
        ],
        vec![
            ("redirect_uri", SPA_REDIRECT),
            ("code_verifier", verifier.as_str()),
        ],
    ] {
        let back = authorize_in_wechat(
            &server,
            &browser,
            &authorize_path("shop", REDIRECT, Some(&challenge), &[]),
        )
        .await;
        let code = query(&back, "code").expect("code");
        let mut form = form.clone();
        form.extend([
            ("grant_type", "authorization_code"),
            ("code", code.as_str()),
        ]);
        let (status, refused) = token(&server, &form, Some(("shop", SECRET))).await;
        assert_eq!(
            (status, refused["error"].as_str()),
            (400, Some("invalid_grant")),
            "{form:?}"
        );
    }

    // An expired code.
    let back = authorize_in_wechat(
        &server,
        &browser,
        &authorize_path("shop", REDIRECT, Some(&challenge), &[]),
    )
    .await;
    let db = database.connect().await;
    sqlx::query("UPDATE oidc_codes SET expires_at = 0 WHERE used_at IS NULL")
        .execute(db.pool())
        .await
        .expect("expire");
    let (status, refused) = token(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &query(&back, "code").expect("code")),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
        ],
        Some(("shop", SECRET)),
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // Another client's code.
    let back = authorize_in_wechat(
        &server,
        &browser,
        &authorize_path("shop", REDIRECT, Some(&challenge), &[]),
    )
    .await;
    let (status, refused) = token(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &query(&back, "code").expect("code")),
            ("redirect_uri", REDIRECT),
            ("code_verifier", &verifier),
            ("client_id", "spa"),
        ],
        None,
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("invalid_grant"))
    );

    // userinfo without a token, or with a made-up one.
    assert_eq!(userinfo(&server, "made-up").await.0, 401);
    let bare = reqwest::get(server.url("/oauth2/userinfo"))
        .await
        .expect("userinfo");
    assert_eq!(bare.status(), 401);
}

async fn reused_codes_and_refresh_tokens_revoke_what_they_issued(database: TestDatabase) {
    let server = start(&database).await;
    let browser = Browser::new(Some(WECHAT_UA));
    let (verifier, challenge) = pkce();
    let back = authorize_in_wechat(
        &server,
        &browser,
        &authorize_path("shop", REDIRECT, Some(&challenge), &[]),
    )
    .await;
    let code = query(&back, "code").expect("code");
    let form = [
        ("grant_type", "authorization_code"),
        ("code", code.as_str()),
        ("redirect_uri", REDIRECT),
        ("code_verifier", verifier.as_str()),
    ];
    let (status, first) = token(&server, &form, Some(("shop", SECRET))).await;
    assert_eq!(status, 200);
    let access = first["access_token"].as_str().expect("access");
    assert_eq!(userinfo(&server, access).await.0, 200);
    // RFC 6749 §4.1.2: a code used twice is refused, and what it issued is revoked.
    let (status, again) = token(&server, &form, Some(("shop", SECRET))).await;
    assert_eq!(
        (status, again["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(userinfo(&server, access).await.0, 401);

    // A refresh token presented after it was rotated revokes the grant (RFC 9700 §4.14.2).
    let tokens = shop_tokens(&server, &browser).await;
    let old = tokens["refresh_token"].as_str().expect("refresh");
    let (status, next) = token(
        &server,
        &[("grant_type", "refresh_token"), ("refresh_token", old)],
        Some(("shop", SECRET)),
    )
    .await;
    assert_eq!(status, 200);
    let (status, replay) = token(
        &server,
        &[("grant_type", "refresh_token"), ("refresh_token", old)],
        Some(("shop", SECRET)),
    )
    .await;
    assert_eq!(
        (status, replay["error"].as_str()),
        (400, Some("invalid_grant"))
    );
    assert_eq!(
        userinfo(&server, next["access_token"].as_str().expect("access"))
            .await
            .0,
        401
    );
    let (status, _) = token(
        &server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", next["refresh_token"].as_str().expect("r")),
        ],
        Some(("shop", SECRET)),
    )
    .await;
    assert_eq!(
        status, 400,
        "the newest refresh token of a revoked grant is refused too"
    );
}

async fn keys_rotate_and_tokens_of_the_old_key_still_verify(database: TestDatabase) {
    let server = start(&database).await;
    let browser = Browser::new(Some(WECHAT_UA));
    let first = shop_tokens(&server, &browser).await;
    let old_id_token = first["id_token"].as_str().expect("id").to_owned();
    let old_kid = decode_header(&old_id_token)
        .expect("header")
        .kid
        .expect("kid");
    assert_eq!(jwks(&server).await.keys.len(), 1);

    // The key is 91 days old: the next token is signed with a new key, and the old one stays published.
    let db = database.connect().await;
    sqlx::query("UPDATE oidc_signing_keys SET created_at = created_at - 91 * 24 * 60 * 60")
        .execute(db.pool())
        .await
        .expect("age the key");
    let second = shop_tokens(&server, &browser).await;
    let new_kid = decode_header(second["id_token"].as_str().expect("id"))
        .expect("header")
        .kid
        .expect("kid");
    assert_ne!(new_kid, old_kid);
    let set = jwks(&server).await;
    assert_eq!(set.keys.len(), 2);
    assert!(set.find(&old_kid).is_some());
    verified_id_token(&server, &old_id_token, "shop").await;
    verified_id_token(&server, second["id_token"].as_str().expect("id"), "shop").await;

    // Past its day of grace the retired key leaves the JWKS.
    sqlx::query("UPDATE oidc_signing_keys SET expires_at = 1 WHERE retired_at IS NOT NULL")
        .execute(db.pool())
        .await
        .expect("expire the key");
    let set = jwks(&server).await;
    assert_eq!(set.keys.len(), 1);
    assert!(set.find(&new_kid).is_some());
}

async fn logout_ends_the_session_and_returns_to_a_registered_uri(database: TestDatabase) {
    let server = start(&database).await;
    let browser = Browser::new(Some(WECHAT_UA));
    let tokens = shop_tokens(&server, &browser).await;
    let id_token = tokens["id_token"].as_str().expect("id");
    assert_eq!(browser.get(&server.url("/api/me")).await.status(), 200);

    let refused = browser
        .get(&server.url(&format!(
            "/oauth2/logout?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Fevil.example.com%2F"
        )))
        .await;
    assert_eq!(refused.status(), 400);
    assert_eq!(
        browser.get(&server.url("/api/me")).await.status(),
        200,
        "a refused logout keeps the session"
    );

    // Without an ID token nothing shows a client of the person asked: wxgate asks the person first, and only a
    // confirmation from its own page counts.
    let logout_url = server.url("/oauth2/logout");
    let unhinted = [
        ("client_id", "shop"),
        ("post_logout_redirect_uri", "https://shop.example.com/bye"),
        ("state", "s8"),
    ];
    let asked = browser
        .post_form_from("https://shop.example.com", &logout_url, &unhinted)
        .await;
    assert_eq!(asked.status(), 200);
    let page = asked.text().await.expect("page");
    assert!(page.contains(r#"name="confirm" value="yes""#), "{page}");
    assert!(page.contains(r#"value="https://shop.example.com/bye""#));
    let mut confirmed = unhinted.to_vec();
    confirmed.push(("confirm", "yes"));
    let forged = browser
        .post_form_from("https://evil.example.com", &logout_url, &confirmed)
        .await;
    assert_eq!(
        forged.status(),
        200,
        "another site's confirmation is asked again"
    );
    assert_eq!(browser.get(&server.url("/api/me")).await.status(), 200);
    let confirmed_here = browser
        .post_form_from(&server.url(""), &logout_url, &confirmed)
        .await;
    assert!(confirmed_here.status().is_redirection());
    assert_eq!(
        location(&confirmed_here),
        "https://shop.example.com/bye?state=s8"
    );
    assert_eq!(browser.get(&server.url("/api/me")).await.status(), 401);

    // With the ID token the client holds, the logout is at once, from a GET or from the client's own form POST.
    let tokens = shop_tokens(&server, &browser).await;
    let id_token = tokens["id_token"].as_str().expect("id");
    let done = browser
        .post_form_from(
            "https://shop.example.com",
            &logout_url,
            &[
                ("id_token_hint", id_token),
                ("post_logout_redirect_uri", "https://shop.example.com/bye"),
                ("state", "s9"),
            ],
        )
        .await;
    assert!(done.status().is_redirection());
    assert_eq!(location(&done), "https://shop.example.com/bye?state=s9");
    assert_eq!(browser.get(&server.url("/api/me")).await.status(), 401);
    let tokens = shop_tokens(&server, &browser).await;
    let id_token = tokens["id_token"].as_str().expect("id");
    let done = browser
        .get(&server.url(&format!(
            "/oauth2/logout?id_token_hint={id_token}&post_logout_redirect_uri=https%3A%2F%2Fshop.example.com%2Fbye&state=s9"
        )))
        .await;
    assert!(done.status().is_redirection());
    assert_eq!(location(&done), "https://shop.example.com/bye?state=s9");
    assert_eq!(browser.get(&server.url("/api/me")).await.status(), 401);
}

async fn clients_are_added_listed_and_removed_from_the_command_line(database: TestDatabase) {
    let added = run_to_exit(
        &database,
        &[
            "clients",
            "add",
            "--id",
            "partner",
            "--redirect-uri",
            "https://partner.example.com/cb",
        ],
        &[],
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let printed = String::from_utf8_lossy(&added.stdout).into_owned();
    let secret = printed
        .lines()
        .find_map(|line| line.strip_prefix("client_secret: "))
        .expect("the secret is shown")
        .to_owned();
    let db = database.connect().await;
    let (stored,): (String,) =
        sqlx::query_as("SELECT secret_digest FROM oidc_clients WHERE client_id = 'partner'")
            .fetch_one(db.pool())
            .await
            .expect("row");
    assert_ne!(stored, secret, "only the digest is stored");
    let again = run_to_exit(
        &database,
        &[
            "clients",
            "add",
            "--id",
            "partner",
            "--redirect-uri",
            "https://partner.example.com/cb",
        ],
        &[],
    );
    assert!(!again.status.success());
    let bad = run_to_exit(
        &database,
        &[
            "clients",
            "add",
            "--id",
            "plain",
            "--redirect-uri",
            "http://partner.example.com/cb",
        ],
        &[],
    );
    assert!(!bad.status.success());

    let server = Wxgate::start(&database, &[]).await;
    let browser = Browser::new(Some(WECHAT_UA));
    let (verifier, challenge) = pkce();
    let back = authorize_in_wechat(
        &server,
        &browser,
        &authorize_path(
            "partner",
            "https://partner.example.com/cb",
            Some(&challenge),
            &[],
        ),
    )
    .await;
    let (status, tokens) = token(
        &server,
        &[
            ("grant_type", "authorization_code"),
            ("code", &query(&back, "code").expect("code")),
            ("redirect_uri", "https://partner.example.com/cb"),
            ("code_verifier", &verifier),
        ],
        Some(("partner", &secret)),
    )
    .await;
    assert_eq!(status, 200, "{tokens}");
    let listed = run_to_exit(&database, &["clients", "list"], &[]);
    assert!(String::from_utf8_lossy(&listed.stdout).contains("partner"));
    assert!(!String::from_utf8_lossy(&listed.stdout).contains(&secret));

    let removed = run_to_exit(&database, &["clients", "remove", "partner"], &[]);
    assert!(removed.status.success());
    assert_eq!(
        userinfo(&server, tokens["access_token"].as_str().expect("access"))
            .await
            .0,
        401
    );
    let (status, refused) = token(
        &server,
        &[
            ("grant_type", "refresh_token"),
            (
                "refresh_token",
                tokens["refresh_token"].as_str().expect("r"),
            ),
        ],
        Some(("partner", &secret)),
    )
    .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (401, Some("invalid_client"))
    );
}
