//! Start-up with a bad configuration fails fast, names every problem in one message, and prints no secret.

use crate::support::{run_to_exit, TestDatabase};

const SECRET: &str = "app-secret-never-printed";
const SHORT_API_V3_KEY: &str = "0123456789abcdef0123456789ABCDE";

fn bad_configuration() -> Vec<(&'static str, &'static str)> {
    vec![
        ("WECHAT_APPID", "wx1234567890abcdef"),
        ("WECHAT_SECRET", SECRET),
        ("WECHAT_PAY_MCH_ID", "1900000109"),
        ("WECHAT_PAY_API_V3_KEY", SHORT_API_V3_KEY),
        (
            "WECHAT_PAY_PRIVATE_KEY",
            "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----",
        ),
        ("WECHAT_PAY_CERT_SERIAL", "5157F09EFDC096DE15EBE81A47057A72"),
        (
            "WECHAT_PAY_NOTIFY_URL",
            "https://example.com/api/webhooks/wechat-pay",
        ),
        ("WECHAT_PAY_APP_ID", "wx9999999999999999"),
        // Nothing listens on port 1.
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:1/wxgate"),
    ]
}

#[test]
fn bad_configuration_stops_serve_with_one_message_naming_every_problem() {
    let database = TestDatabase::sqlite();
    let output = run_to_exit(&database, &["serve"], &bad_configuration());
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(78), "{stderr}");
    assert!(
        stderr.contains("wxgate cannot start: 4 configuration problems to fix:"),
        "{stderr}"
    );
    for expected in [
        "WECHAT_PAY_API_V3_KEY: must be exactly 32 bytes (it has 31)",
        "WECHAT_PAY_PRIVATE_KEY: is not an RSA private key",
        "WECHAT_PAY_APP_ID: is wx9999999999999999, but JSAPI payments are made for",
        "DATABASE_URL: cannot reach the PostgreSQL database",
    ] {
        assert!(
            stderr.contains(expected),
            "{expected:?} missing from:\n{stderr}"
        );
    }
    assert!(!stderr.contains(SECRET), "{stderr}");
    assert!(!stderr.contains(SHORT_API_V3_KEY), "{stderr}");
    assert!(!stderr.contains("bm90IGEga2V5"), "{stderr}");
}

#[test]
fn doctor_prints_the_same_problems_without_starting() {
    let database = TestDatabase::sqlite();
    let output = run_to_exit(&database, &["doctor"], &bad_configuration());
    let stdout = String::from_utf8_lossy(&output.stdout);

    assert_eq!(output.status.code(), Some(78), "{stdout}");
    assert!(stdout.contains("4 configuration problems"), "{stdout}");
    assert!(!stdout.contains(SECRET), "{stdout}");
}

#[test]
fn doctor_lists_what_a_good_configuration_enables() {
    let database = TestDatabase::sqlite();
    let key = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../app/wechat/testdata/merchant-key-pkcs8.pem"
    );
    let output = run_to_exit(
        &database,
        &["doctor"],
        &[
            ("WECHAT_APPID", "wx1234567890abcdef"),
            ("WECHAT_SECRET", SECRET),
            ("WECHAT_PAY_MCH_ID", "1900000109"),
            ("WECHAT_PAY_API_V3_KEY", "0123456789abcdef0123456789ABCDEF"),
            ("WECHAT_PAY_PRIVATE_KEY", key),
            ("WECHAT_PAY_CERT_SERIAL", "5157F09EFDC096DE15EBE81A47057A72"),
            (
                "WECHAT_PAY_NOTIFY_URL",
                "https://example.com/api/webhooks/wechat-pay",
            ),
        ],
    );
    let stdout = String::from_utf8_lossy(&output.stdout);

    assert!(
        output.status.success(),
        "{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    for expected in [
        "Database:              SQLite",
        "Mini program login:    on (appid wx1234567890abcdef, from WECHAT_APPID)",
        "WeChat browser login:  on (appid wx1234567890abcdef, from WECHAT_APPID)",
        "Website QR login:      off (set WECHAT_CLIENT_ID/WECHAT_CLIENT_SECRET)",
        "WeChat Pay:            on (mchid 1900000109, appid wx1234567890abcdef",
        "OpenID Connect:        issuer http://127.0.0.1:",
        "/.well-known/openid-configuration); 0 client(s) in WXGATE_OIDC_CLIENTS",
        "No problems found.",
    ] {
        assert!(
            stdout.contains(expected),
            "{expected:?} missing from:\n{stdout}"
        );
    }
    assert!(!stdout.contains(SECRET), "{stdout}");
}

#[test]
fn malformed_dotenv_file_is_reported() {
    let database = TestDatabase::sqlite();
    std::fs::write(database.data_dir().join(".env"), "NOT A VALID LINE\n").expect("write .env");
    let output = run_to_exit(&database, &["doctor"], &[]);
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert_eq!(output.status.code(), Some(78), "{stderr}");
    assert!(
        stderr.contains(".env has a line it cannot read"),
        "{stderr}"
    );
}
