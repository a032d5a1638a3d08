//! The first page is rendered on the server with its hydration script and style sheet; unknown paths are 404.

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
async fn unknown_path_is_a_404_page() {
    let database = TestDatabase::sqlite();
    let server = Wxgate::start(&database, &[]).await;

    let response = reqwest::get(server.url("/no/such/page"))
        .await
        .expect("GET");
    assert_eq!(response.status(), 404);
    assert!(response.text().await.expect("body").contains("页面不存在"));
}
