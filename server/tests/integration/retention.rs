//! The periodic purge (every `WXGATE_PURGE_SECONDS`) removes exactly what has outlived its use: expired sessions,
//! start/poll logins past their ten minutes, OAuth code results past their reuse window, refused notifications
//! past `WXGATE_NOTIFICATION_RETENTION_DAYS`, rate-limit windows that have ended, the answers kept for
//! `Idempotency-Key`s after a day; the notifications that moved money stay.

use std::time::Duration;

use serde_json::{json, Value};

use crate::support::{on_both_backends, unix_now, TestDatabase, WxgateProcess};

const DAY: i64 = 24 * 60 * 60;

async fn ids(db: &app::ssr::db::Database, sql: &str) -> Vec<String> {
    let mut rows: Vec<(String,)> = sqlx::query_as(sql)
        .fetch_all(db.pool())
        .await
        .expect("rows");
    rows.sort();
    rows.into_iter().map(|(id,)| id).collect()
}

async fn poll(server: &WxgateProcess, state: &str, secret: &str) -> (u16, Value) {
    let response = reqwest::Client::new()
        .get(server.url(&format!("/api/auth/oauth/result?state={state}")))
        .header("WxgateProcess-Poll-Secret", secret)
        .send()
        .await
        .expect("poll");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

on_both_backends! {
    the_purge_removes_exactly_what_has_outlived_its_use => the_purge_removes_exactly_what_has_outlived_its_use;
}

async fn the_purge_removes_exactly_what_has_outlived_its_use(database: TestDatabase) {
    let db = database.connect().await;
    let now = unix_now();
    for (id, expires_at) in [("expired", now - 10), ("live", now + 3600)] {
        sqlx::query("INSERT INTO sessions (id, data, expires_at) VALUES ($1, '{}', $2)")
            .bind(id)
            .bind(expires_at)
            .execute(db.pool())
            .await
            .expect("session");
    }
    for (code, created_at) in [("old-code", now - 301), ("fresh-code", now)] {
        sqlx::query(
            "INSERT INTO oauth_code_results (appid, code, state_digest, user_id, created_at) VALUES ('wx1', $1, 'd', 'u', $2)",
        )
        .bind(code)
        .bind(created_at)
        .execute(db.pool())
        .await
        .expect("code result");
    }
    for (receipt, outcome, age_days) in [
        ("old-probe", "unverified", 31),
        ("old-mismatch", "mismatch", 31),
        ("recent-probe", "unverified", 29),
        ("old-applied", "applied", 400),
        ("old-duplicate", "duplicate", 400),
        ("old-recorded", "recorded", 400),
        ("old-paid-after-closing", "paid_after_closing", 400),
    ] {
        sqlx::query(
            "INSERT INTO payment_notifications (receipt_id, outcome, received_at) VALUES ($1, $2, $3)",
        )
        .bind(receipt)
        .bind(outcome)
        .bind(now - age_days * DAY)
        .execute(db.pool())
        .await
        .expect("notification");
    }

    for (key, window_start) in [("ended-window", now - 120), ("unended-window", now + 3600)] {
        sqlx::query("INSERT INTO rate_limits (key, window_start, hits) VALUES ($1, $2, 1)")
            .bind(key)
            .bind(window_start)
            .execute(db.pool())
            .await
            .expect("rate-limit window");
    }

    sqlx::query(
        "INSERT INTO api_keys (id, name, scopes, secret_digest, created_at) VALUES ('key_r', 'r', 'users:read', 'd', $1)",
    )
    .bind(now)
    .execute(db.pool())
    .await
    .expect("api key");
    for (key, created_at) in [("day-old-answer", now - DAY - 10), ("fresh-answer", now)] {
        sqlx::query(
            "INSERT INTO idempotency_keys (api_key_id, idempotency_key, request_digest, status, body, created_at) \
             VALUES ('key_r', $1, 'd', 201, '{}', $2)",
        )
        .bind(key)
        .bind(created_at)
        .execute(db.pool())
        .await
        .expect("kept answer");
    }

    let server = WxgateProcess::start(&database, &[("WXGATE_PURGE_SECONDS", "1")]).await;
    // Two poll logins: one goes past its ten minutes, one is fresh.
    let mut started = Vec::new();
    for _ in 0..2 {
        let (status, login) = server
            .api(
                "",
                reqwest::Method::POST,
                "/api/auth/oauth/start",
                Some(json!({ "provider": "wechat_web" })),
            )
            .await;
        assert_eq!(status, 200, "{login}");
        started.push(login);
    }
    let aged = started[0]["state"].as_str().expect("state");
    let aged_secret = started[0]["poll_secret"].as_str().expect("secret");
    let fresh = started[1]["state"].as_str().expect("state");
    sqlx::query("UPDATE oauth_logins SET expires_at = $1 WHERE state = $2")
        .bind(now - 1)
        .bind(aged)
        .execute(db.pool())
        .await
        .expect("age the login");

    let remaining = || async {
        (
            ids(&db, "SELECT state FROM oauth_logins").await,
            ids(&db, "SELECT id FROM sessions").await,
            ids(&db, "SELECT code FROM oauth_code_results").await,
            ids(&db, "SELECT receipt_id FROM payment_notifications").await,
            ids(
                &db,
                "SELECT key FROM rate_limits WHERE key IN ('ended-window', 'unended-window')",
            )
            .await,
            ids(&db, "SELECT idempotency_key FROM idempotency_keys").await,
        )
    };
    let expected = (
        vec![fresh.to_owned()],
        vec!["live".to_owned()],
        vec!["fresh-code".to_owned()],
        [
            "old-applied",
            "old-duplicate",
            "old-paid-after-closing",
            "old-recorded",
            "recent-probe",
        ]
        .map(str::to_owned)
        .to_vec(),
        vec!["unended-window".to_owned()],
        vec!["fresh-answer".to_owned()],
    );
    let mut left = remaining().await;
    for _ in 0..100 {
        if left == expected {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        left = remaining().await;
    }
    assert_eq!(left, expected, "{}", server.log());
    // The purged login is now a state never started, even with its secret.
    let (status, answer) = poll(&server, aged, aged_secret).await;
    assert_eq!(
        (status, answer["error"]["code"].as_str()),
        (400, Some("invalid_state"))
    );
}
