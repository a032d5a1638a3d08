//! `wxgate tools …` give the published known answers, and say clearly when something does not match.

use std::process::Output;

use serde_json::Value;

use crate::support::{run_to_exit, TestDatabase};

const TESTDATA: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../app/wechat/testdata");

fn vectors() -> Value {
    let text = std::fs::read_to_string(format!("{TESTDATA}/known-answers.json")).expect("vectors");
    serde_json::from_str(&text).expect("json")
}

fn tool(args: &[&str]) -> Output {
    let mut full = vec!["tools"];
    full.extend_from_slice(args);
    run_to_exit(&TestDatabase::sqlite(), &full, &[])
}

fn stdout(output: &Output) -> String {
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).trim().to_owned()
}

#[test]
fn jssdk_sign_gives_the_documentation_signature() {
    let vector = &vectors()["jssdk"];
    let field = |name: &str| vector[name].as_str().expect("field").to_owned();
    let output = tool(&[
        "jssdk-sign",
        "--ticket",
        &field("ticket"),
        "--noncestr",
        &field("noncestr"),
        "--timestamp",
        &field("timestamp"),
        "--url",
        &field("url"),
        "--verbose",
    ]);
    let printed = stdout(&output);
    assert!(printed.starts_with("jsapi_ticket="), "{printed}");
    assert!(printed.ends_with(&field("signature")), "{printed}");
}

#[test]
fn decrypt_data_and_check_rawdata_follow_the_examples() {
    let vectors = vectors();
    let vector = &vectors["decrypt_data"];
    let field = |name: &str| vector[name].as_str().expect("field").to_owned();
    let decrypted = stdout(&tool(&[
        "decrypt-data",
        "--session-key",
        &field("session_key"),
        "--iv",
        &field("iv"),
        "--data",
        &field("data"),
        "--appid",
        &field("appid"),
    ]));
    let value: Value = serde_json::from_str(&decrypted).expect("json");
    assert_eq!(value["openId"], field("openid"));
    let wrong_app = tool(&[
        "decrypt-data",
        "--session-key",
        &field("session_key"),
        "--iv",
        &field("iv"),
        "--data",
        &field("data"),
        "--appid",
        "wx0000000000000000",
    ]);
    assert!(!wrong_app.status.success());
    assert!(String::from_utf8_lossy(&wrong_app.stderr).contains("watermark"));

    let raw = &vectors["rawdata"][0];
    let raw_field = |name: &str| raw[name].as_str().expect("field").to_owned();
    assert_eq!(
        stdout(&tool(&[
            "check-rawdata",
            "--raw-data",
            &raw_field("raw"),
            "--session-key",
            &raw_field("session_key"),
            "--signature",
            &raw_field("signature")
        ])),
        "ok"
    );
    let mismatch = tool(&[
        "check-rawdata",
        "--raw-data",
        "{}",
        "--session-key",
        &raw_field("session_key"),
        "--signature",
        &raw_field("signature"),
    ]);
    assert_eq!(mismatch.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&mismatch.stderr).contains("mismatch"));
}

#[test]
fn decrypt_resource_gives_the_plaintext_or_names_the_apiv3_key() {
    let vector = &vectors()["aes_gcm"];
    let field = |name: &str| vector[name].as_str().expect("field").to_owned();
    let args = |key: String| {
        tool(&[
            "decrypt-resource",
            "--apiv3-key",
            &key,
            "--nonce",
            &field("nonce"),
            "--associated-data",
            &field("aad"),
            "--ciphertext",
            &field("ciphertext"),
        ])
    };
    assert_eq!(stdout(&args(field("key"))), field("plaintext"));
    let wrong = args("0123456789abcdef0123456789abcdef".to_owned());
    assert!(!wrong.status.success());
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("APIv3 key is wrong"));
}

#[test]
fn sign_and_pay_sign_give_the_known_signatures() {
    let vectors = vectors();
    let key = format!("{TESTDATA}/merchant-key-pkcs8.pem");
    let folder = tempfile::tempdir().expect("folder");
    let message = folder.path().join("message");
    std::fs::write(
        &message,
        vectors["rsa_sign"]["message"].as_str().expect("message"),
    )
    .expect("write");
    assert_eq!(
        stdout(&tool(&[
            "sign",
            "--private-key",
            &key,
            "--message-file",
            message.to_str().expect("path")
        ])),
        vectors["rsa_sign"]["signature"]
            .as_str()
            .expect("signature")
    );
    let pay = &vectors["pay_sign"];
    let field = |name: &str| pay[name].as_str().expect("field").to_owned();
    assert_eq!(
        stdout(&tool(&[
            "pay-sign",
            "--private-key",
            &key,
            "--appid",
            &field("appid"),
            "--timestamp",
            &field("timestamp"),
            "--nonce",
            &field("nonce"),
            "--package",
            &field("package"),
        ])),
        field("signature")
    );
}

#[test]
fn verify_notification_checks_the_signature_and_the_time_window() {
    let headers = format!("{TESTDATA}/wechatpay-go-notify-headers.json");
    let body = format!("{TESTDATA}/wechatpay-go-notify-body.json");
    let certificate = format!("{TESTDATA}/platform-cert.pem");
    let run = |now: &str| {
        tool(&[
            "verify-notification",
            "--headers",
            &headers,
            "--body",
            &body,
            "--platform-cert",
            &certificate,
            "--apiv3-key",
            "0123456789abcdef0123456789abcdef",
            "--now",
            now,
        ])
    };
    // The signature checks out; wechatpay-go encrypted it with a 16-byte key, so a 32-byte one fails at the tag.
    let signed = run("1624523846");
    assert!(
        String::from_utf8_lossy(&signed.stderr).contains("APIv3 key is wrong"),
        "{}",
        String::from_utf8_lossy(&signed.stderr)
    );
    let stale = run("1724523846");
    assert!(!stale.status.success());
    assert!(String::from_utf8_lossy(&stale.stderr).contains("away from our clock"));
}
