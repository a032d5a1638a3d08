//! `wxgate serve` with nothing configured plays WeChat itself under `/sandbox`, says so on every page, and never
//! mixes the sandbox with a real account.

use serde_json::{json, Value};

use crate::support::{run_to_exit, TestDatabase, Wxgate};

#[tokio::test]
async fn nothing_configured_serves_a_working_sandbox_under_sandbox() {
    let database = TestDatabase::sqlite();
    let server = Wxgate::start(&database, &[]).await;
    assert!(server.log().contains("SANDBOX MODE"), "{}", server.log());

    let described: Value = reqwest::get(server.url("/sandbox"))
        .await
        .expect("GET /sandbox")
        .json()
        .await
        .expect("json");
    assert_eq!(described["pay_base"], server.url("/sandbox"));

    let client = reqwest::Client::new();
    let minted: Value = client
        .post(server.url("/sandbox/mp/login-code"))
        .json(&json!({}))
        .send()
        .await
        .expect("mint")
        .json()
        .await
        .expect("json");
    let credentials = std::fs::read_to_string(database.data_dir().join("sandbox/credentials.json"))
        .expect("credentials kept");
    let credentials: Value = serde_json::from_str(&credentials).expect("json");
    let session: Value = client
        .get(server.url("/sandbox/sns/jscode2session"))
        .query(&[
            ("appid", credentials["mp_appid"].as_str().expect("appid")),
            ("secret", credentials["mp_secret"].as_str().expect("secret")),
            ("js_code", minted["code"].as_str().expect("code")),
            ("grant_type", "authorization_code"),
        ])
        .send()
        .await
        .expect("jscode2session")
        .json()
        .await
        .expect("json");
    assert_eq!(session["openid"], minted["openid"]);

    let home = reqwest::get(server.url("/"))
        .await
        .expect("GET /")
        .text()
        .await
        .expect("html");
    assert!(
        home.contains(r#"<body class="sandbox">"#),
        "the sandbox banner is on every page: {home}"
    );
}

#[test]
fn doctor_says_sandbox_mode_when_nothing_is_configured() {
    let database = TestDatabase::sqlite();
    let output = run_to_exit(&database, &["doctor"], &[]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("Mode:                  sandbox"),
        "{stdout}"
    );
    assert!(stdout.contains("Mini program login:    on"), "{stdout}");
    assert!(stdout.contains("WeChat Pay:            on"), "{stdout}");
}

#[test]
fn sandbox_mode_refuses_real_credentials() {
    let database = TestDatabase::sqlite();
    let output = run_to_exit(
        &database,
        &["serve"],
        &[
            ("WXGATE_MODE", "sandbox"),
            ("WECHAT_APPID", "wx1234567890abcdef"),
            ("WECHAT_SECRET", "s"),
        ],
    );
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(78), "{stderr}");
    assert!(
        stderr.contains("WXGATE_MODE: is sandbox, but WECHAT_APPID is set"),
        "{stderr}"
    );
}

#[tokio::test]
async fn live_mode_has_no_sandbox_and_no_banner() {
    let database = TestDatabase::sqlite();
    let server = Wxgate::start(&database, &[("WXGATE_MODE", "live")]).await;
    assert_eq!(
        reqwest::get(server.url("/sandbox"))
            .await
            .expect("GET")
            .status(),
        404
    );
    let home = reqwest::get(server.url("/"))
        .await
        .expect("GET /")
        .text()
        .await
        .expect("html");
    assert!(!home.contains(r#"class="sandbox""#), "{home}");
}
