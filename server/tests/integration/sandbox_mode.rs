//! `wxgate serve` with `WXGATE_MODE=sandbox` plays WeChat itself under `/sandbox` and says so on every page; with
//! nothing configured it refuses to guess; the sandbox stays on this machine unless told otherwise, and never
//! mixes with a real account or a live database.

use serde_json::{json, Value};

use crate::support::{on_both_backends, run_to_exit, TestDatabase, Wxgate, WxgateProcess};

#[tokio::test]
async fn sandbox_mode_serves_a_working_sandbox_under_sandbox() {
    let database = TestDatabase::sqlite();
    let server = WxgateProcess::start(&database, &[]).await;
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
fn doctor_says_sandbox_mode_when_asked_for() {
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

/// Runs `wxgate serve` expecting it to refuse at start-up; what it printed.
fn refused_serve(database: &TestDatabase, args: &[&str], env: &[(&str, &str)]) -> String {
    let output = run_to_exit(database, &[&["serve"], args].concat(), env);
    let printed = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(output.status.code(), Some(78), "{printed}");
    printed
}

#[test]
fn serve_with_nothing_configured_refuses_and_says_how_to_go_on() {
    for nothing in [
        &[("WXGATE_MODE", "")][..],
        &[
            ("WXGATE_MODE", ""),
            ("WECHAT_APPID", ""),
            ("WECHAT_SECRET", " "),
            ("WECHAT_PAY_MCH_ID", ""),
        ][..],
    ] {
        let database = TestDatabase::sqlite();
        let printed = refused_serve(&database, &[], nothing);
        assert!(printed.contains("WXGATE_MODE: is not set"), "{printed}");
        assert!(printed.contains("set WXGATE_MODE=sandbox"), "{printed}");
        assert!(printed.contains(".env.example"), "{printed}");
        assert!(
            !database.data_dir().join("sandbox").exists(),
            "no sandbox credentials were made"
        );
    }
}

#[test]
fn a_sandbox_reachable_from_other_machines_needs_its_own_opt_in() {
    let database = TestDatabase::sqlite();
    let printed = refused_serve(&database, &["--addr", "0.0.0.0:0"], &[]);
    assert!(printed.contains("listens on 0.0.0.0:0"), "{printed}");
    assert!(printed.contains("WXGATE_SANDBOX_EXPOSED=yes"), "{printed}");

    for app_url in ["https://staging.example.com", "http://192.0.2.10:3000"] {
        let printed = refused_serve(&database, &[], &[("APP_URL", app_url)]);
        assert!(printed.contains("WXGATE_SANDBOX_EXPOSED=yes"), "{printed}");
    }
}

#[tokio::test]
async fn an_exposed_sandbox_says_so_loudly() {
    let database = TestDatabase::sqlite();
    let server = WxgateProcess::start(
        &database,
        &[
            ("APP_URL", "https://staging.example.com"),
            ("WXGATE_SANDBOX_EXPOSED", "yes"),
        ],
    )
    .await;
    assert!(server.log().contains("SANDBOX EXPOSED"), "{}", server.log());
    assert_eq!(
        reqwest::get(server.url("/sandbox"))
            .await
            .expect("GET")
            .status(),
        200
    );
}

on_both_backends! {
    a_sandbox_database_is_refused_in_live_mode => sandbox_database_refused_in_live_mode;
    a_live_database_is_refused_in_sandbox_mode => live_database_refused_in_sandbox_mode;
    a_live_database_is_refused_for_another_merchant => merchants_never_share_a_database;
}

async fn sandbox_database_refused_in_live_mode(database: TestDatabase) {
    drop(Wxgate::start(&database, &[]).await);
    let printed = refused_serve(&database, &[], &[("WXGATE_MODE", "live")]);
    assert!(
        printed.contains("this database was made for sandbox mode, and wxgate is in live mode"),
        "{printed}"
    );
}

async fn live_database_refused_in_sandbox_mode(database: TestDatabase) {
    drop(Wxgate::start(&database, &[("WXGATE_MODE", "live")]).await);
    let printed = refused_serve(&database, &[], &[]);
    assert!(
        printed.contains("this database was made for live mode, and wxgate is in sandbox mode"),
        "{printed}"
    );
}

/// A live configuration with WeChat Pay for merchant `mch_id`.
fn live_merchant(mch_id: &'static str) -> Vec<(&'static str, &'static str)> {
    vec![
        ("WECHAT_APPID", "wx1234567890abcdef"),
        ("WECHAT_SECRET", "app-secret"),
        ("WECHAT_PAY_MCH_ID", mch_id),
        ("WECHAT_PAY_API_V3_KEY", "0123456789abcdef0123456789ABCDEF"),
        (
            "WECHAT_PAY_PRIVATE_KEY",
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../app/wechat/testdata/merchant-key-pkcs8.pem"
            ),
        ),
        ("WECHAT_PAY_CERT_SERIAL", "5157F09EFDC096DE15EBE81A47057A72"),
        (
            "WECHAT_PAY_NOTIFY_URL",
            "https://example.com/api/webhooks/wechat-pay",
        ),
    ]
}

async fn merchants_never_share_a_database(database: TestDatabase) {
    let first = run_to_exit(&database, &["migrate"], &live_merchant("1900000109"));
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let again = run_to_exit(&database, &["migrate"], &live_merchant("1900000109"));
    assert!(
        again.status.success(),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );

    let other = run_to_exit(&database, &["migrate"], &live_merchant("1900000110"));
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert!(!other.status.success(), "{stderr}");
    assert!(
        stderr.contains(
            "belongs to WeChat Pay merchant 1900000109, but WECHAT_PAY_MCH_ID is 1900000110"
        ),
        "{stderr}"
    );
}
