//! Sessions live in the database: the status server function counts in them, across processes that share it.

use reqwest::header::{ACCEPT, CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::Value;

use crate::support::{on_both_backends, schema_version, TestDatabase, WxgateProcess};

/// The server function behind the home page's status card.
const CHECK_STATUS: &str = "/api/fn/check_status";

/// Calls the status server function, with a session cookie if given; returns the body and any new cookie.
async fn check_status(server: &WxgateProcess, cookie: Option<&str>) -> (Value, Option<String>) {
    let mut request = reqwest::Client::new()
        .post(server.url(CHECK_STATUS))
        .header(CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(ACCEPT, "application/json")
        .body("");
    if let Some(cookie) = cookie {
        request = request.header(COOKIE, cookie);
    }
    let response = request.send().await.expect("POST check_status");
    assert_eq!(response.status(), 200, "{}", server.log());
    let set_cookie = response
        .headers()
        .get(SET_COOKIE)
        .map(|value| value.to_str().expect("ascii cookie").to_owned());
    (response.json().await.expect("json body"), set_cookie)
}

/// The `name=value` part of a Set-Cookie header.
fn cookie_pair(set_cookie: &str) -> String {
    set_cookie.split(';').next().unwrap_or_default().to_owned()
}

on_both_backends! {
    status_check_reads_the_database_and_counts_in_the_session => status_check_reads_the_database_and_counts_in_the_session;
    two_processes_sharing_a_database_share_sessions => two_processes_sharing_a_database_share_sessions;
}

async fn status_check_reads_the_database_and_counts_in_the_session(database: TestDatabase) {
    let server = WxgateProcess::start(&database, &[]).await;

    let (first, set_cookie) = check_status(&server, None).await;
    assert_eq!(first["database"], database.backend.label());
    assert_eq!(first["schema_version"], schema_version());
    assert_eq!(first["checks_this_session"], 1);
    let set_cookie = set_cookie.expect("a session cookie is set");
    assert!(set_cookie.starts_with("wxgate_session="), "{set_cookie}");
    assert!(set_cookie.contains("HttpOnly"), "{set_cookie}");
    assert!(set_cookie.contains("SameSite=Lax"), "{set_cookie}");
    assert!(!set_cookie.contains("Secure"), "{set_cookie}");
    // Nobody is signed in: an anonymous session lives fifteen minutes after its last request.
    assert!(set_cookie.contains("Max-Age=900"), "{set_cookie}");

    let cookie = cookie_pair(&set_cookie);
    let (second, _) = check_status(&server, Some(&cookie)).await;
    assert_eq!(second["checks_this_session"], 2);

    let (stranger, _) = check_status(&server, None).await;
    assert_eq!(
        stranger["checks_this_session"], 1,
        "a new visitor starts a new session"
    );
}

async fn two_processes_sharing_a_database_share_sessions(database: TestDatabase) {
    let first = WxgateProcess::start(&database, &[]).await;
    let second = WxgateProcess::start(&database, &[]).await;
    assert_ne!(first.base_url, second.base_url);

    let (_, set_cookie) = check_status(&first, None).await;
    let cookie = cookie_pair(&set_cookie.expect("a session cookie is set"));
    let (on_second, _) = check_status(&second, Some(&cookie)).await;
    assert_eq!(
        on_second["checks_this_session"], 2,
        "the second process sees the first one's session"
    );
    let (back_on_first, _) = check_status(&first, Some(&cookie)).await;
    assert_eq!(back_on_first["checks_this_session"], 3);
}

#[tokio::test]
async fn https_app_url_makes_the_cookie_secure_and_expiry_is_configurable() {
    let database = TestDatabase::sqlite();
    let server = WxgateProcess::start(
        &database,
        &[
            ("APP_URL", "https://login.example.com"),
            // A sandbox behind an https APP_URL is reachable from elsewhere: it has to be said.
            ("WXGATE_SANDBOX_EXPOSED", "yes"),
            ("SESSION_TTL_SECONDS", "3600"),
        ],
    )
    .await;

    let (_, set_cookie) = check_status(&server, None).await;
    let set_cookie = set_cookie.expect("a session cookie is set");
    assert!(set_cookie.contains("; Secure"), "{set_cookie}");

    // SESSION_TTL_SECONDS is the lifetime of a signed-in session.
    let minted = server
        .control(
            "/sandbox/mp/login-code",
            serde_json::json!({ "persona": "xiaoming" }),
        )
        .await;
    let login = reqwest::Client::new()
        .post(server.url("/api/auth/wechat/login"))
        .json(&serde_json::json!({ "code": minted["code"] }))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200);
    let signed_in = login.headers()[SET_COOKIE].to_str().expect("ascii");
    assert!(signed_in.contains("Max-Age=3600"), "{signed_in}");
}

/// The Set-Cookie headers of `response` for the session cookie.
fn session_cookies(response: &reqwest::Response) -> Vec<String> {
    response
        .headers()
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter(|value| value.starts_with("wxgate_session="))
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn a_request_late_with_the_cookie_a_login_replaced_leaves_the_new_cookie_alone() {
    let database = TestDatabase::sqlite();
    let server = WxgateProcess::start(&database, &[]).await;
    let client = reqwest::Client::new();

    // An anonymous session (a check counted in it), then a login that replaces it with a new session id.
    let (_, before) = check_status(&server, None).await;
    let before = cookie_pair(&before.expect("an anonymous session"));
    let minted = server
        .control(
            "/sandbox/mp/login-code",
            serde_json::json!({ "persona": "xiaoming" }),
        )
        .await;
    let login = client
        .post(server.url("/api/auth/wechat/login"))
        .header(COOKIE, &before)
        .json(&serde_json::json!({ "code": minted["code"] }))
        .send()
        .await
        .expect("login");
    assert_eq!(login.status(), 200);
    let after = cookie_pair(&session_cookies(&login)[0]);
    assert_ne!(after, before, "signing in gives the session a new id");

    // A request the browser sent with the old cookie, answered after the login: it must not remove the new one.
    let late = client
        .get(server.url("/api/me"))
        .header(COOKIE, &before)
        .send()
        .await
        .expect("late request");
    assert_eq!(late.status(), 401, "the old session is signed in as nobody");
    assert_eq!(
        session_cookies(&late),
        Vec::<String>::new(),
        "{}",
        server.log()
    );

    // Signing out still removes the cookie.
    let out = client
        .post(server.url("/api/auth/logout"))
        .header(COOKIE, &after)
        .send()
        .await
        .expect("logout");
    assert_eq!(out.status(), 204);
    let removal = session_cookies(&out);
    assert!(
        removal.len() == 1 && removal[0].starts_with("wxgate_session=;"),
        "{removal:?}"
    );
}
