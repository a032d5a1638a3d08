//! The product's backend's API under `/api/v1/` (issue #15): API keys made, listed and revoked with `wxgate keys`,
//! stored only as digests, their scopes enforced; and users looked up by id and by openid with their identities.

use reqwest::Method;

use crate::support::{on_both_backends, run_to_exit, TestDatabase, Wxgate};

on_both_backends! {
    keys_are_made_scoped_and_revoked_from_the_command_line => keys_are_made_scoped_and_revoked;
    users_are_looked_up_by_id_and_by_openid => users_are_looked_up;
}

/// Makes a key with `scopes` through the CLI; its id and the key.
pub(crate) fn create_key(database: &TestDatabase, name: &str, scopes: &[&str]) -> (String, String) {
    let mut args = vec!["keys", "create", "--name", name];
    for scope in scopes {
        args.extend(["--scope", scope]);
    }
    let made = run_to_exit(database, &args, &[]);
    let printed = String::from_utf8_lossy(&made.stdout).into_owned();
    assert!(
        made.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let field = |name: &str| {
        printed
            .lines()
            .find_map(|line| line.strip_prefix(name))
            .unwrap_or_else(|| panic!("{name} is printed: {printed}"))
            .to_owned()
    };
    (field("id: "), field("key: "))
}

async fn keys_are_made_scoped_and_revoked(database: TestDatabase) {
    let (reader_id, reader) = create_key(&database, "support desk", &["users:read"]);
    let (_, writer) = create_key(&database, "shop backend", &["checkouts:write"]);
    assert!(reader.starts_with("wxk_"));
    let refused = run_to_exit(
        &database,
        &["keys", "create", "--name", "x", "--scope", "admin"],
        &[],
    );
    assert!(!refused.status.success(), "an unknown scope is refused");

    let db = database.connect().await;
    let stored: Vec<(String, String)> =
        sqlx::query_as("SELECT secret_digest, scopes FROM api_keys ORDER BY name")
            .fetch_all(db.pool())
            .await
            .expect("rows");
    assert_eq!(stored.len(), 2);
    assert!(stored
        .iter()
        .all(|(digest, _)| digest != &reader && digest != &writer));
    assert_eq!(stored[1].1, "users:read");
    let listed = run_to_exit(&database, &["keys", "list"], &[]);
    let listing = String::from_utf8_lossy(&listed.stdout).into_owned();
    assert!(listing.contains(&reader_id) && listing.contains("support desk"));
    assert!(!listing.contains(&reader), "the key itself is never listed");

    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("xiaoming").await;
    let (_, me) = server.api(&token, Method::GET, "/api/me", None).await;
    let path = format!("/api/v1/users/{}", me["user_id"].as_str().expect("user_id"));

    let (status, _) = server.api(&reader, Method::GET, &path, None).await;
    assert_eq!(status, 200);
    let (status, body) = server.api("", Method::GET, &path, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_api_key"))
    );
    let (status, body) = server.api(&token, Method::GET, &path, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_api_key")),
        "a person's session token is not an API key"
    );
    let (status, body) = server.api(&writer, Method::GET, &path, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("insufficient_scope"))
    );
    let forged = format!("wxk_{}", "A".repeat(43));
    let (status, _) = server.api(&forged, Method::GET, &path, None).await;
    assert_eq!(status, 401);

    let revoked = run_to_exit(&database, &["keys", "revoke", &reader_id], &[]);
    assert!(revoked.status.success());
    let (status, body) = server.api(&reader, Method::GET, &path, None).await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("invalid_api_key")),
        "a revoked key is refused"
    );
    let again = run_to_exit(&database, &["keys", "revoke", &reader_id], &[]);
    assert!(!again.status.success(), "a key is revoked once");
    let (last_used,): (Option<i64>,) =
        sqlx::query_as("SELECT last_used_at FROM api_keys WHERE id = $1")
            .bind(&reader_id)
            .fetch_one(db.pool())
            .await
            .expect("row");
    assert!(last_used.is_some(), "the key's last use is recorded");
}

async fn users_are_looked_up(database: TestDatabase) {
    let (_, key) = create_key(&database, "shop backend", &["users:read"]);
    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("xiaoming").await;
    let (_, me) = server.api(&token, Method::GET, "/api/me", None).await;
    let user_id = me["user_id"].as_str().expect("user_id");
    let openid = me["identities"][0]["openid"].as_str().expect("openid");

    let (status, user) = server
        .api(&key, Method::GET, &format!("/api/v1/users/{user_id}"), None)
        .await;
    assert_eq!(status, 200, "{user}");
    assert_eq!(user["user_id"], user_id);
    assert_eq!(user["identities"][0]["provider"], "wechat_mp");
    assert_eq!(user["identities"][0]["openid"], openid);

    let (status, found) = server
        .api(
            &key,
            Method::GET,
            &format!("/api/v1/users/lookup?openid={openid}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{found}");
    assert_eq!(found["user_id"], user_id);

    let (status, body) = server
        .api(&key, Method::GET, "/api/v1/users/u_nobody", None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("unknown_user"))
    );
    let (status, body) = server
        .api(
            &key,
            Method::GET,
            "/api/v1/users/lookup?openid=o_nobody",
            None,
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("unknown_user"))
    );
    let (status, body) = server
        .api(&key, Method::GET, "/api/v1/users/lookup", None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("bad_request"))
    );
    let long = "o".repeat(65);
    let (status, _) = server
        .api(
            &key,
            Method::GET,
            &format!("/api/v1/users/lookup?openid={long}"),
            None,
        )
        .await;
    assert_eq!(
        status, 400,
        "an openid past its bound is refused before it is looked up"
    );
}
