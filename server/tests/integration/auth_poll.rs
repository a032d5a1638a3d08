//! The start/poll login's secret: it travels in no URL, a poll without it (or with another) learns nothing more than
//! about a state never started, only the website QR login is offered, and starts are limited per client IP.

use serde_json::{json, Value};

use crate::support::{on_both_backends, TestDatabase, Wxgate};

/// A state no login ever had (32 letters and digits, like wxgate's).
const UNKNOWN_STATE: &str = "0123456789abcdef0123456789abcdef";

async fn start(server: &Wxgate, provider: &str) -> (u16, Value) {
    server
        .api(
            "",
            reqwest::Method::POST,
            "/api/auth/oauth/start",
            Some(json!({ "provider": provider })),
        )
        .await
}

/// `GET /api/auth/oauth/result?state=…` with the secret header when given: the status and the JSON body.
async fn poll(server: &Wxgate, state: &str, secret: Option<&str>) -> (u16, Value) {
    let mut request =
        reqwest::Client::new().get(server.url(&format!("/api/auth/oauth/result?state={state}")));
    if let Some(secret) = secret {
        request = request.header("Wxgate-Poll-Secret", secret);
    }
    let response = request.send().await.expect("poll");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

on_both_backends! {
    the_poll_secret_is_random_and_in_no_url => the_poll_secret_is_random_and_in_no_url;
    a_poll_without_the_secret_or_with_another_is_answered_like_an_unknown_state => a_poll_without_the_secret_or_with_another_is_answered_like_an_unknown_state;
    the_official_account_login_is_refused_with_a_pointer_to_its_own_start => the_official_account_login_is_refused_with_a_pointer_to_its_own_start;
    starting_poll_logins_is_limited_per_client_ip => starting_poll_logins_is_limited_per_client_ip;
    of_many_polls_at_once_after_the_confirmation_one_gets_the_session => of_many_polls_at_once_after_the_confirmation_one_gets_the_session;
}

async fn the_poll_secret_is_random_and_in_no_url(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let (status, first) = start(&server, "wechat_web").await;
    assert_eq!(status, 200, "{first}");
    let (_, second) = start(&server, "wechat_web").await;
    let secret = first["poll_secret"].as_str().expect("poll_secret");
    assert!(
        secret.len() >= 32 && secret.chars().all(|c| c.is_ascii_hexdigit()),
        "at least 128 random bits: {secret}"
    );
    assert_ne!(first["poll_secret"], second["poll_secret"]);
    let url = first["url"].as_str().expect("url");
    assert!(url.contains(first["state"].as_str().expect("state")));
    assert!(!url.contains(secret), "{url}");

    // The QR page the URL opens does not carry it either.
    let page = reqwest::get(url)
        .await
        .expect("QR page")
        .text()
        .await
        .expect("html");
    assert!(!page.contains(secret));

    // Only its digest is stored.
    let db = database.connect().await;
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT state, secret_digest FROM oauth_logins")
            .fetch_all(db.pool())
            .await
            .expect("rows");
    assert_eq!(stored.len(), 2);
    assert!(stored.iter().all(|(_, digest)| digest != secret));
}

async fn a_poll_without_the_secret_or_with_another_is_answered_like_an_unknown_state(
    database: TestDatabase,
) {
    let server = Wxgate::start(&database, &[]).await;
    let (_, started) = start(&server, "wechat_web").await;
    let state = started["state"].as_str().expect("state");
    let secret = started["poll_secret"].as_str().expect("poll_secret");
    let (_, other) = start(&server, "wechat_web").await;

    let unknown = poll(&server, UNKNOWN_STATE, Some(secret)).await;
    assert_eq!(unknown.0, 400, "{}", unknown.1);
    assert_eq!(unknown.1["error"]["code"], "invalid_state");
    assert_eq!(poll(&server, state, None).await, unknown, "no secret");
    assert_eq!(
        poll(&server, state, Some("not-the-secret")).await,
        unknown,
        "a wrong secret"
    );
    assert_eq!(
        poll(&server, state, other["poll_secret"].as_str()).await,
        unknown,
        "another login's secret"
    );
    assert_eq!(
        poll(&server, state, Some(secret)).await,
        (200, json!({ "status": "pending" })),
        "the right secret"
    );
}

async fn the_official_account_login_is_refused_with_a_pointer_to_its_own_start(
    database: TestDatabase,
) {
    let server = Wxgate::start(&database, &[]).await;
    for provider in ["wechat_oa", "wechat"] {
        let (status, refused) = start(&server, provider).await;
        assert_eq!(status, 400, "{provider}: {refused}");
        assert_eq!(refused["error"]["code"], "wechat_browser_only");
        let message = refused["error"]["message"].as_str().expect("message");
        assert!(
            message.contains("WeChat browser")
                && message.contains("GET /api/auth/wechat/oauth/start"),
            "{message}"
        );
    }
    let db = database.connect().await;
    let (logins,): (i64,) = sqlx::query_as("SELECT COUNT(*) FROM oauth_logins")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(logins, 0, "nothing was started");
}

async fn starting_poll_logins_is_limited_per_client_ip(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    // ssr::limits::LOGINS_PER_CLIENT: 30 login attempts per minute from one client address.
    for attempt in 1..=30 {
        let (status, body) = start(&server, "wechat_web").await;
        assert_eq!(status, 200, "attempt {attempt}: {body}");
    }
    let (status, refused) = start(&server, "wechat_web").await;
    assert_eq!(status, 429, "{refused}");
    assert_eq!(refused["error"]["code"], "rate_limited");
}

async fn of_many_polls_at_once_after_the_confirmation_one_gets_the_session(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("laowang").await;
    let (_, me) = server
        .api(&token, reqwest::Method::GET, "/api/me", None)
        .await;
    let (_, started) = start(&server, "wechat_web").await;
    let state = started["state"].as_str().expect("state");
    let secret = started["poll_secret"].as_str().expect("poll_secret");
    // The callback confirmed the person (what the QR flow in auth_oauth does through the sandbox).
    let db = database.connect().await;
    sqlx::query("UPDATE oauth_logins SET status = 'confirmed', user_id = $1 WHERE state = $2")
        .bind(me["user_id"].as_str().expect("user_id"))
        .bind(state)
        .execute(db.pool())
        .await
        .expect("confirm");

    let server = std::sync::Arc::new(server);
    let mut polls = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let (server, state, secret) = (server.clone(), state.to_owned(), secret.to_owned());
        polls.spawn(async move { poll(&server, &state, Some(&secret)).await });
    }
    let mut answers = Vec::new();
    while let Some(answer) = polls.join_next().await {
        answers.push(answer.expect("poll task"));
    }
    let done: Vec<&Value> = answers
        .iter()
        .filter(|(status, _)| *status == 200)
        .map(|(_, body)| body)
        .collect();
    assert_eq!(done.len(), 1, "{answers:?}");
    assert_eq!(done[0]["status"], "done");
    assert_eq!(done[0]["user_id"], me["user_id"]);
    let session_token = done[0]["session_token"].as_str().expect("session_token");
    let (status, _) = server
        .api(session_token, reqwest::Method::GET, "/api/me", None)
        .await;
    assert_eq!(status, 200, "the token handed out works");
    let unknown = poll(&server, UNKNOWN_STATE, Some(secret)).await;
    assert!(
        answers
            .iter()
            .filter(|(status, _)| *status != 200)
            .all(|answer| *answer == unknown),
        "{answers:?}"
    );
}
