//! Profiles for mini-program users: the nickname (`PUT /api/me/profile`) and the avatar (`POST /api/me/avatar`,
//! multipart), checked, kept and shown by `/api/me` and the account page; avatars served back under their digest
//! with caching headers; a file that is no image, or too large, refused with nothing changed.

use reqwest::header::{CACHE_CONTROL, CONTENT_TYPE, ETAG, IF_NONE_MATCH};
use reqwest::multipart::{Form, Part};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use crate::support::{on_both_backends, TestDatabase, Wxgate};

on_both_backends! {
    a_nickname_is_set_within_its_bounds_and_shown => a_nickname_is_set_within_its_bounds_and_shown;
    an_avatar_is_checked_kept_and_served_under_its_digest => an_avatar_is_checked_kept_and_served_under_its_digest;
}

/// A 1×1 PNG.
const PIXEL_PNG: &[u8] = include_bytes!("../../../app/src/ssr/profile/testdata/pixel.png");

/// The start of a JPEG: SOI, then a baseline SOF0 frame header of 2×3 pixels.
fn tiny_jpeg() -> Vec<u8> {
    let mut jpeg = vec![
        0xFF, 0xD8, 0xFF, 0xC0, 0x00, 0x11, 0x08, 0x00, 0x03, 0x00, 0x02, 0x03,
    ];
    jpeg.extend([0x01, 0x22, 0x00, 0x02, 0x11, 0x01, 0x03, 0x11, 0x01]);
    jpeg.extend([0xFF, 0xD9]);
    jpeg
}

async fn put_nickname(server: &Wxgate, token: &str, nickname: &str) -> (u16, Value) {
    server
        .api(
            token,
            reqwest::Method::PUT,
            "/api/me/profile",
            Some(json!({ "nickname": nickname })),
        )
        .await
}

/// Uploads `bytes` as `wx.uploadFile` would (field `avatar`), claiming `file_name` and `mime`.
async fn upload(
    server: &Wxgate,
    token: &str,
    bytes: Vec<u8>,
    file_name: &str,
    mime: &str,
) -> (u16, Value) {
    let part = Part::bytes(bytes)
        .file_name(file_name.to_owned())
        .mime_str(mime)
        .expect("mime");
    let response = reqwest::Client::new()
        .post(server.url("/api/me/avatar"))
        .bearer_auth(token)
        .multipart(Form::new().part("avatar", part))
        .send()
        .await
        .expect("upload");
    let status = response.status().as_u16();
    (status, response.json().await.unwrap_or(Value::Null))
}

async fn stored_avatars(database: &TestDatabase) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM avatars")
        .fetch_one(database.connect().await.pool())
        .await
        .expect("count")
}

async fn a_nickname_is_set_within_its_bounds_and_shown(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("xiaoming").await;

    let (status, me) = put_nickname(&server, &token, "  小明同学 ").await;
    assert_eq!((status, &me["nickname"]), (200, &json!("小明同学")), "{me}");
    let (_, shown) = server
        .api(&token, reqwest::Method::GET, "/api/me", None)
        .await;
    assert_eq!(shown["nickname"], "小明同学");
    let page = reqwest::Client::new()
        .get(server.url("/account"))
        .bearer_auth(&token)
        .send()
        .await
        .expect("account page")
        .text()
        .await
        .expect("HTML");
    assert!(
        page.contains("小明同学"),
        "the account page shows the nickname"
    );

    for refused in ["", "   ", &"字".repeat(33), "a\u{7}b"] {
        let (status, answer) = put_nickname(&server, &token, refused).await;
        assert_eq!(
            (status, &answer["error"]["code"]),
            (400, &json!("bad_request")),
            "{refused:?}"
        );
    }
    let (_, kept) = server
        .api(&token, reqwest::Method::GET, "/api/me", None)
        .await;
    assert_eq!(
        kept["nickname"], "小明同学",
        "a refused nickname changes nothing"
    );
    let (status, _) = put_nickname(&server, "", "匿名").await;
    assert_eq!(status, 401);
}

async fn an_avatar_is_checked_kept_and_served_under_its_digest(database: TestDatabase) {
    let server = Wxgate::start(&database, &[]).await;
    let token = server.mini_program_login("xiaoming").await;

    // What chooseAvatar hands over is a temporary file; only its content says what it is.
    let (status, me) = upload(
        &server,
        &token,
        PIXEL_PNG.to_vec(),
        "tmp_0a1b.jpg",
        "image/jpeg",
    )
    .await;
    assert_eq!(status, 200, "{me}");
    let digest = hex::encode(Sha256::digest(PIXEL_PNG));
    let avatar_url = format!("/api/avatars/{digest}");
    assert_eq!(me["avatar_url"], avatar_url.as_str());
    assert_eq!(stored_avatars(&database).await, 1);

    let served = reqwest::get(server.url(&avatar_url)).await.expect("avatar");
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()[CONTENT_TYPE], "image/png");
    assert_eq!(
        served.headers()[CACHE_CONTROL],
        "public, max-age=31536000, immutable"
    );
    let etag = served.headers()[ETAG].to_str().expect("etag").to_owned();
    assert_eq!(etag, format!("\"{digest}\""));
    assert_eq!(served.bytes().await.expect("bytes").as_ref(), PIXEL_PNG);
    let again = reqwest::Client::new()
        .get(server.url(&avatar_url))
        .header(IF_NONE_MATCH, &etag)
        .send()
        .await
        .expect("revalidation");
    assert_eq!(again.status(), 304);

    // Not an image, whatever it claims; an image too large; neither changes the avatar.
    let (status, refused) = upload(
        &server,
        &token,
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>".to_vec(),
        "avatar.png",
        "image/png",
    )
    .await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (415, &json!("unsupported_image")),
        "{refused}"
    );
    let mut huge = PIXEL_PNG.to_vec();
    huge.resize(1024 * 1024 + 1, 0);
    let (status, refused) = upload(&server, &token, huge, "big.png", "image/png").await;
    assert_eq!(
        (status, &refused["error"]["code"]),
        (413, &json!("too_large")),
        "{refused}"
    );
    let (_, kept) = server
        .api(&token, reqwest::Method::GET, "/api/me", None)
        .await;
    assert_eq!(kept["avatar_url"], avatar_url.as_str());

    // A new avatar replaces the old, whose image goes with it: nobody shows it any more.
    let (status, replaced) = upload(&server, &token, tiny_jpeg(), "tmp.jpg", "image/jpeg").await;
    assert_eq!(status, 200, "{replaced}");
    assert_ne!(replaced["avatar_url"], avatar_url.as_str());
    assert_eq!(stored_avatars(&database).await, 1);
    let gone = reqwest::get(server.url(&avatar_url))
        .await
        .expect("old avatar");
    assert_eq!(gone.status(), 404);
    let new = reqwest::get(server.url(replaced["avatar_url"].as_str().expect("url")))
        .await
        .expect("new avatar");
    assert_eq!(new.headers()[CONTENT_TYPE], "image/jpeg");

    let (status, _) = upload(&server, "", PIXEL_PNG.to_vec(), "a.png", "image/png").await;
    assert_eq!(status, 401);
    let not_a_digest = reqwest::get(server.url("/api/avatars/..%2F..%2Fetc%2Fpasswd"))
        .await
        .expect("lookup");
    assert_eq!(not_a_digest.status(), 404);
}
