//! Sessions at rest and in time: the table keeps only digests of their ids, an anonymous session lives fifteen
//! minutes and a signed-in one `SESSION_TTL_SECONDS`, each counted from its last request.

use std::time::Duration;

use reqwest::header::{COOKIE, SET_COOKIE};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::{on_both_backends, unix_now, TestDatabase, Wxgate};

fn set_cookie(response: &reqwest::Response) -> String {
    response
        .headers()
        .get(SET_COOKIE)
        .expect("a session cookie is set")
        .to_str()
        .expect("ascii")
        .to_owned()
}

/// Logs the persona in as the mini program would; returns the answer's `Set-Cookie` header and session token.
async fn mini_program_login(server: &Wxgate, persona: &str) -> (String, String) {
    let minted = server
        .control("/sandbox/mp/login-code", json!({ "persona": persona }))
        .await;
    let response = reqwest::Client::new()
        .post(server.url("/api/auth/wechat/login"))
        .json(&json!({ "code": minted["code"] }))
        .send()
        .await
        .expect("login");
    assert_eq!(response.status(), 200);
    let cookie = set_cookie(&response);
    let login: Value = response.json().await.expect("json");
    let token = login["session_token"].as_str().expect("token").to_owned();
    (cookie, token)
}

async fn me_status(server: &Wxgate, token: &str) -> u16 {
    server
        .api(token, reqwest::Method::GET, "/api/me", None)
        .await
        .0
}

on_both_backends! {
    a_session_id_is_stored_only_as_its_digest => a_session_id_is_stored_only_as_its_digest;
    an_anonymous_session_lives_fifteen_minutes_and_a_signed_in_one_the_ttl => an_anonymous_session_lives_fifteen_minutes_and_a_signed_in_one_the_ttl;
    a_session_in_use_lives_on_and_ends_a_ttl_after_its_last_request => a_session_in_use_lives_on_and_ends_a_ttl_after_its_last_request;
}

async fn a_session_id_is_stored_only_as_its_digest(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let (_, token) = mini_program_login(&server, "xiaoming").await;

    let db = database.connect().await;
    let ids: Vec<(String,)> = sqlx::query_as("SELECT id FROM sessions")
        .fetch_all(db.pool())
        .await
        .expect("sessions");
    let digest = hex::encode(Sha256::digest(token.as_bytes()));
    assert!(ids.iter().all(|(id,)| *id != token), "{ids:?}");
    assert_eq!(ids, vec![(digest,)]);

    // The token still works, as the bearer and as the cookie.
    assert_eq!(me_status(&server, &token).await, 200);
    let by_cookie = reqwest::Client::new()
        .get(server.url("/api/me"))
        .header(COOKIE, format!("wxgate_session={token}"))
        .send()
        .await
        .expect("me");
    assert_eq!(by_cookie.status(), 200);
    // A copy of the table's id is no token.
    let (stored,) = &ids[0];
    assert_eq!(me_status(&server, stored).await, 401);
}

async fn an_anonymous_session_lives_fifteen_minutes_and_a_signed_in_one_the_ttl(
    database: TestDatabase,
) {
    let server = Wxgate::start(&database, &[]).await;
    // A QR login started in a browser: the session carries only the pending OAuth state.
    let started = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client")
        .get(server.url("/api/auth/wechat/oauth/start?provider=wechat_web&next=/"))
        .send()
        .await
        .expect("start");
    assert!(started.status().is_redirection());
    assert!(
        set_cookie(&started).contains("Max-Age=900"),
        "{}",
        set_cookie(&started)
    );
    let db = database.connect().await;
    let (expires_at,): (i64,) = sqlx::query_as("SELECT expires_at FROM sessions")
        .fetch_one(db.pool())
        .await
        .expect("the anonymous session");
    assert!(
        expires_at <= unix_now() + 15 * 60,
        "stored for fifteen minutes"
    );

    let (cookie, _) = mini_program_login(&server, "xiaoming").await;
    assert!(cookie.contains("Max-Age=604800"), "{cookie}");
}

async fn a_session_in_use_lives_on_and_ends_a_ttl_after_its_last_request(database: TestDatabase) {
    let server = Wxgate::start(&database, &[("SESSION_TTL_SECONDS", "4")]).await;
    let (_, token) = mini_program_login(&server, "xiaoming").await;
    // Used every 1.5 seconds for 7.5 seconds: well past four seconds after the login, nothing in it changed.
    for step in 1..=5 {
        tokio::time::sleep(Duration::from_millis(1500)).await;
        assert_eq!(me_status(&server, &token).await, 200, "request {step}");
    }
    // Then left alone for longer than its TTL.
    tokio::time::sleep(Duration::from_secs(6)).await;
    assert_eq!(me_status(&server, &token).await, 401);
}
