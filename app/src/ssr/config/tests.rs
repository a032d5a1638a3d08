//! Configuration validation: each rule, and that every problem is reported together without secrets.

use std::path::Path;

use super::*;

const KEY_PKCS8: &str = include_str!("../../../wechat/testdata/merchant-key-pkcs8.pem");
const KEY_PKCS1: &str = include_str!("../../../wechat/testdata/merchant-key-pkcs1.pem");
const PUBLIC_KEY: &str = include_str!("../../../wechat/testdata/wechatpay-public-key.pem");
const PLATFORM_CERT: &str = include_str!("../../../wechat/testdata/platform-cert.pem");
const API_V3_KEY: &str = "0123456789abcdef0123456789ABCDEF";

fn read(pairs: &[(&str, &str)]) -> Result<Settings, Problems> {
    Settings::from_vars(
        &Vars::from_pairs(pairs.iter().copied()),
        Path::new("data"),
        Mode::Live,
    )
}

fn problems(pairs: &[(&str, &str)]) -> Vec<String> {
    read(pairs)
        .expect_err("the configuration should be rejected")
        .iter()
        .map(str::to_owned)
        .collect()
}

fn full_pay<'a>() -> Vec<(&'a str, &'a str)> {
    vec![
        ("WECHAT_APPID", "wx1234567890abcdef"),
        ("WECHAT_SECRET", "app-secret-value"),
        ("WECHAT_PAY_MCH_ID", "1900000109"),
        ("WECHAT_PAY_API_V3_KEY", API_V3_KEY),
        ("WECHAT_PAY_PRIVATE_KEY", KEY_PKCS8),
        ("WECHAT_PAY_CERT_SERIAL", "5157f09efdc096de15ebe81a47057a72"),
        (
            "WECHAT_PAY_NOTIFY_URL",
            "https://example.com/api/webhooks/wechat-pay",
        ),
    ]
}

#[test]
fn nothing_configured_gives_sqlite_in_the_data_folder_and_no_wechat_products() {
    let settings = read(&[]).expect("defaults are valid");
    assert_eq!(settings.database_backend, Backend::Sqlite);
    assert_eq!(
        secrecy::ExposeSecret::expose_secret(&settings.database_url),
        "sqlite://data/wxgate.db?mode=rwc"
    );
    assert_eq!(settings.app_url.as_str(), "http://127.0.0.1:3000/");
    assert!(!settings.secure_cookies());
    assert_eq!(settings.session_ttl, time::Duration::days(7));
    assert!(settings.wechat.mini_program.is_none());
    assert!(settings.wechat.official_account.is_none());
    assert!(settings.wechat.website.is_none());
    assert!(settings.pay.is_none());
    assert_eq!(
        settings.wechat.endpoints.pay.as_str(),
        "https://api.mch.weixin.qq.com/"
    );
}

#[test]
fn shared_appid_serves_mini_program_and_official_account_unless_overridden() {
    let settings = read(&[
        ("WECHAT_APPID", "wx1111111111111111"),
        ("WECHAT_SECRET", "s1"),
        ("WECHAT_OA_APPID", "wx2222222222222222"),
        ("WECHAT_OA_SECRET", "s2"),
        ("WECHAT_CLIENT_ID", "wx3333333333333333"),
        ("WECHAT_CLIENT_SECRET", "s3"),
    ])
    .expect("valid");
    let appid =
        |app: &Option<ConfiguredApp>| app.as_ref().map(|app| app.credentials.appid.to_string());
    assert_eq!(
        appid(&settings.wechat.mini_program).as_deref(),
        Some("wx1111111111111111")
    );
    assert_eq!(
        appid(&settings.wechat.official_account).as_deref(),
        Some("wx2222222222222222")
    );
    assert_eq!(
        appid(&settings.wechat.website).as_deref(),
        Some("wx3333333333333333")
    );
}

#[test]
fn full_pay_configuration_is_accepted_with_pkcs8_or_pkcs1_keys() {
    let settings = read(&full_pay()).expect("valid");
    let pay = settings.pay.expect("pay is on");
    assert_eq!(pay.app_id.as_str(), "wx1234567890abcdef");
    assert_eq!(pay.cert_serial, "5157F09EFDC096DE15EBE81A47057A72");

    let mut pairs = full_pay();
    pairs.retain(|(name, _)| *name != "WECHAT_PAY_PRIVATE_KEY");
    pairs.push(("WECHAT_PAY_PRIVATE_KEY", KEY_PKCS1));
    assert!(read(&pairs).expect("PKCS#1 is accepted").pay.is_some());
}

#[test]
fn private_key_may_be_a_path_or_pem_with_escaped_newlines() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/wechat/testdata/merchant-key-pkcs8.pem"
    );
    let escaped = KEY_PKCS8.replace('\n', "\\n");
    for value in [path, escaped.as_str()] {
        let mut pairs = full_pay();
        pairs.retain(|(name, _)| *name != "WECHAT_PAY_PRIVATE_KEY");
        pairs.push(("WECHAT_PAY_PRIVATE_KEY", value));
        assert!(read(&pairs).expect("valid").pay.is_some());
    }
}

#[test]
fn public_key_and_platform_certificate_are_read_together() {
    let mut pairs = full_pay();
    pairs.push(("WECHAT_PAY_PUBLIC_KEY", PUBLIC_KEY));
    pairs.push(("WECHAT_PAY_PUBLIC_KEY_ID", "PUB_KEY_ID_0112345678"));
    pairs.push(("WECHAT_PAY_PLATFORM_CERT", PLATFORM_CERT));
    let pay = read(&pairs).expect("valid").pay.expect("pay is on");
    assert_eq!(
        pay.verification.public_key.map(|key| key.id).as_deref(),
        Some("PUB_KEY_ID_0112345678")
    );
    assert!(pay.verification.platform_certificate.is_some());
}

#[test]
fn every_problem_is_reported_together_and_no_secret_is_printed() {
    let short_key = "0123456789abcdef0123456789ABCDE";
    let mut pairs = full_pay();
    pairs.retain(|(name, _)| !matches!(*name, "WECHAT_PAY_API_V3_KEY" | "WECHAT_PAY_PRIVATE_KEY"));
    pairs.extend([
        ("WECHAT_PAY_API_V3_KEY", short_key),
        (
            "WECHAT_PAY_PRIVATE_KEY",
            "-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----",
        ),
        ("WECHAT_PAY_APP_ID", "wx9999999999999999"),
    ]);
    let found = problems(&pairs);
    assert_eq!(found.len(), 3, "{found:#?}");
    assert!(found[0].starts_with("WECHAT_PAY_API_V3_KEY: must be exactly 32 bytes (it has 31)"));
    assert!(found[1].starts_with("WECHAT_PAY_PRIVATE_KEY: is not an RSA private key"));
    assert!(found[2]
        .starts_with("WECHAT_PAY_APP_ID: is wx9999999999999999, but JSAPI payments are made for"));
    let message = read(&pairs).expect_err("rejected").to_string();
    assert!(message.starts_with("wxgate cannot start: 3 configuration problems to fix:"));
    assert!(!message.contains(short_key));
    assert!(!message.contains("app-secret-value"));
}

#[test]
fn half_configured_pay_names_each_missing_variable() {
    let found = problems(&[("WECHAT_PAY_MCH_ID", "1900000109")]);
    for missing in [
        "WECHAT_PAY_API_V3_KEY",
        "WECHAT_PAY_PRIVATE_KEY",
        "WECHAT_PAY_CERT_SERIAL",
        "WECHAT_PAY_NOTIFY_URL",
        "WECHAT_PAY_APP_ID",
    ] {
        assert!(
            found.iter().any(|problem| problem.starts_with(missing)),
            "{missing} missing from {found:#?}"
        );
    }
}

#[test]
fn notify_url_must_be_https_towards_wechat_pay_but_not_towards_a_sandbox() {
    let mut pairs = full_pay();
    pairs.retain(|(name, _)| *name != "WECHAT_PAY_NOTIFY_URL");
    pairs.push(("WECHAT_PAY_NOTIFY_URL", "http://example.com/notify"));
    assert!(problems(&pairs)[0].starts_with("WECHAT_PAY_NOTIFY_URL: must be https"));

    pairs.push(("WECHAT_PAY_BASE", "http://127.0.0.1:3000/sandbox/pay"));
    assert!(read(&pairs).is_ok());
}

#[test]
fn half_pairs_and_malformed_values_are_problems() {
    let found = problems(&[
        ("WECHAT_APPID", "wx1234567890abcdef"),
        ("WECHAT_CLIENT_SECRET", "s"),
        ("WECHAT_PAY_PUBLIC_KEY_ID", "PUB_KEY_ID_1"),
        ("WECHAT_PAY_MCH_ID", "not-digits"),
        ("APP_URL", "example.com"),
        ("DATABASE_URL", "mysql://localhost/db"),
        ("SESSION_TTL_SECONDS", "0"),
        ("WECHAT_API_BASE", "ftp://example.com"),
    ]);
    for expected in [
        "WECHAT_SECRET: is required when WECHAT_APPID is set",
        "WECHAT_CLIENT_ID: is required when WECHAT_CLIENT_SECRET is set",
        "WECHAT_PAY_PUBLIC_KEY: is required when WECHAT_PAY_PUBLIC_KEY_ID is set",
        "WECHAT_PAY_MCH_ID: must be a WeChat Pay merchant id",
        "APP_URL: must be an absolute",
        "DATABASE_URL: must start with sqlite:",
        "SESSION_TTL_SECONDS: must be a whole number",
        "WECHAT_API_BASE: must be an absolute",
    ] {
        assert!(
            found.iter().any(|problem| problem.starts_with(expected)),
            "{expected:?} missing from {found:#?}"
        );
    }
}

#[test]
fn https_app_url_makes_cookies_secure_and_postgres_url_selects_postgres() {
    let settings = read(&[
        ("APP_URL", "https://login.example.com"),
        ("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/wxgate"),
    ])
    .expect("valid");
    assert!(settings.secure_cookies());
    assert_eq!(settings.database_backend, Backend::Postgres);
}

#[test]
fn the_daily_reconciliation_time_is_china_hh_mm_or_off() {
    assert_eq!(read(&[]).expect("settings").reconcile_at, Some(600));
    let at = |value| read(&[("WXGATE_RECONCILE_AT", value)]).map(|settings| settings.reconcile_at);
    assert_eq!(at("9:30").expect("settings"), Some(570));
    assert_eq!(at("00:00").expect("settings"), Some(0));
    assert_eq!(at("OFF").expect("settings"), None);
    for wrong in ["24:00", "10", "10:5", "10:60", "ten"] {
        assert!(
            problems(&[("WXGATE_RECONCILE_AT", wrong)])
                .iter()
                .any(|problem| problem.starts_with("WXGATE_RECONCILE_AT: must be a China time")),
            "{wrong} accepted"
        );
    }
}

#[test]
fn refused_notifications_are_kept_thirty_days_unless_configured() {
    assert_eq!(read(&[]).expect("settings").notification_retention_days, 30);
    let days = |value| {
        read(&[("WXGATE_NOTIFICATION_RETENTION_DAYS", value)])
            .map(|settings| settings.notification_retention_days)
    };
    assert_eq!(days("7").expect("settings"), 7);
    for wrong in ["0", "-3", "2.5", "a month", "36501"] {
        assert!(
            problems(&[("WXGATE_NOTIFICATION_RETENTION_DAYS", wrong)])
                .iter()
                .any(|problem| problem.starts_with(
                    "WXGATE_NOTIFICATION_RETENTION_DAYS: must be a whole number of days"
                )),
            "{wrong} accepted"
        );
    }
    assert_eq!(read(&[]).expect("settings").purge_seconds, 600);
    assert!(problems(&[("WXGATE_PURGE_SECONDS", "0")])
        .iter()
        .any(|problem| problem.starts_with("WXGATE_PURGE_SECONDS: must be a whole number")));
}

#[test]
fn metrics_are_off_unless_an_address_is_given_and_a_bad_address_is_a_problem() {
    assert_eq!(read(&[]).expect("settings").metrics_addr, None);
    let metrics_addr = read(&[("WXGATE_METRICS_ADDR", "127.0.0.1:9464")])
        .expect("settings")
        .metrics_addr;
    assert_eq!(
        metrics_addr,
        Some("127.0.0.1:9464".parse().expect("address"))
    );
    for wrong in ["9464", "localhost:9464", "127.0.0.1", "127.0.0.1:99999"] {
        assert!(
            problems(&[("WXGATE_METRICS_ADDR", wrong)])
                .iter()
                .any(|problem| problem
                    .starts_with("WXGATE_METRICS_ADDR: must be an IP address and port")),
            "{wrong} accepted"
        );
    }
}

#[test]
fn cloud_hosting_sign_in_is_off_unless_switched_on_with_1() {
    assert!(!read(&[]).expect("settings").cloud_hosting);
    assert!(
        !read(&[("WXGATE_CLOUD_HOSTING", "0")])
            .expect("settings")
            .cloud_hosting
    );
    assert!(
        read(&[("WXGATE_CLOUD_HOSTING", "1")])
            .expect("settings")
            .cloud_hosting
    );
    for wrong in ["yes", "true", "on"] {
        assert!(
            problems(&[("WXGATE_CLOUD_HOSTING", wrong)])
                .iter()
                .any(|problem| problem.starts_with("WXGATE_CLOUD_HOSTING: must be 1")),
            "{wrong} accepted"
        );
    }
}

#[test]
fn the_message_push_is_configured_for_both_apps_or_one() {
    const AES_KEY: &str = "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C";
    let mut pairs = full_pay();
    pairs.extend([
        ("WECHAT_PUSH_TOKEN", "QDG6eK"),
        ("WECHAT_OA_PUSH_AES_KEY", AES_KEY),
    ]);
    let wechat = read(&pairs).expect("valid").wechat;
    let mini_program = wechat.mini_program_push.expect("the mini program's push");
    let official_account = wechat
        .official_account_push
        .expect("the official account's push");
    assert!(mini_program.key.is_none(), "plain mode only");
    assert!(official_account.key.is_some(), "safe mode");

    let mut bad = full_pay();
    bad.extend([
        ("WECHAT_PUSH_TOKEN", "a token"),
        ("WECHAT_MP_PUSH_AES_KEY", "short"),
    ]);
    let found = problems(&bad);
    assert!(
        found
            .iter()
            .any(|problem| problem
                .starts_with("WECHAT_PUSH_TOKEN: must be 3 to 32 letters and digits")),
        "{found:#?}"
    );
    let mut keyless = full_pay();
    keyless.extend([
        ("WECHAT_MP_PUSH_TOKEN", "QDG6eK"),
        ("WECHAT_MP_PUSH_AES_KEY", "short"),
    ]);
    let found = problems(&keyless);
    assert!(
        found.iter().any(|problem| problem
            .starts_with("WECHAT_MP_PUSH_AES_KEY: the EncodingAESKey must be 43 characters")),
        "{found:#?}"
    );
    let found = problems(&[&full_pay()[..], &[("WECHAT_PUSH_AES_KEY", AES_KEY)]].concat());
    assert!(
        found
            .iter()
            .any(|problem| problem.starts_with("WECHAT_PUSH_AES_KEY: needs WECHAT_PUSH_TOKEN too")),
        "{found:#?}"
    );
    let message = read(&keyless).expect_err("rejected").to_string();
    assert!(
        !message.contains("QDG6eK"),
        "no token in the message: {message}"
    );
}
