//! The first page is rendered on the server with its hydration script and style sheet, under the bundle's published
//! name; the content-named files may be kept a year; unknown paths are 404.

use crate::support::{TestDatabase, Wxgate};

#[tokio::test]
async fn home_page_is_rendered_on_the_server_with_its_bundle_and_style() {
    let database = TestDatabase::sqlite();
    let server = Wxgate::start(&database, &[]).await;

    let response = reqwest::get(server.url("/")).await.expect("GET /");
    assert_eq!(response.status(), 200);
    let html = response.text().await.expect("body");
    assert!(html.contains(r#"<html lang="zh-CN">"#), "{html}");
    assert!(html.contains("微信登录与微信支付"), "{html}");
    assert!(
        html.contains("/pkg/wxgate.js"),
        "hydration script missing: {html}"
    );
    assert!(
        html.contains("/pkg/wxgate.wasm"),
        "wasm bundle missing: {html}"
    );
    assert!(
        html.contains(r#"href="/pkg/wxgate.css""#),
        "style sheet missing: {html}"
    );
    assert!(html.contains(r#"data-testid="check-status""#), "{html}");
}

#[tokio::test]
async fn a_content_named_bundle_is_linked_and_may_be_kept_a_year() {
    let database = TestDatabase::sqlite();
    let site = database.data_dir().join("site");
    let bundle = "wxgate.00112233aabbccdd";
    std::fs::create_dir_all(site.join("pkg")).expect("site folder");
    std::fs::write(site.join("bundle.txt"), format!("{bundle}\n")).expect("bundle list");
    for (extension, content) in [
        ("js", "export default 1;"),
        ("wasm", "\0asm"),
        ("css", "p{}"),
    ] {
        std::fs::write(
            site.join("pkg").join(format!("{bundle}.{extension}")),
            content,
        )
        .expect("bundle file");
    }
    let server = Wxgate::start(&database, &[("LEPTOS_SITE_ROOT", "site")]).await;

    let html = reqwest::get(server.url("/"))
        .await
        .expect("GET /")
        .text()
        .await
        .expect("body");
    for linked in [
        format!(r#"href="/pkg/{bundle}.js""#),
        format!(r#"href="/pkg/{bundle}.wasm""#),
        format!(r#"href="/pkg/{bundle}.css""#),
    ] {
        assert!(html.contains(&linked), "{linked} missing: {html}");
    }
    assert!(!html.contains("/pkg/wxgate.js"), "{html}");

    for extension in ["js", "wasm", "css"] {
        let response = reqwest::get(server.url(&format!("/pkg/{bundle}.{extension}")))
            .await
            .expect("GET a bundle file");
        assert_eq!(response.status(), 200, "{extension}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable",
            "{extension}"
        );
        assert_eq!(response.headers()["vary"], "accept-encoding", "{extension}");
    }
    let missing = reqwest::get(server.url(&format!("/pkg/{bundle}.js.map")))
        .await
        .expect("GET a missing file");
    assert_eq!(missing.status(), 404);
    assert!(missing
        .headers()
        .get("cache-control")
        .is_none_or(|value| value != "public, max-age=31536000, immutable"));
    let page = reqwest::get(server.url("/")).await.expect("GET /");
    assert!(page
        .headers()
        .get("cache-control")
        .is_none_or(|value| !value.to_str().unwrap_or_default().contains("immutable")));
}

#[tokio::test]
async fn unknown_path_is_a_404_page() {
    let database = TestDatabase::sqlite();
    let server = Wxgate::start(&database, &[]).await;

    let response = reqwest::get(server.url("/no/such/page"))
        .await
        .expect("GET");
    assert_eq!(response.status(), 404);
    assert!(response.text().await.expect("body").contains("页面不存在"));
}
