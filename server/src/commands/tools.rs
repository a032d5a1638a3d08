//! `wxgate tools …`: the WeChat crypto steps one at a time, for people debugging a live integration. Each prints
//! its result on standard output, or says clearly what is wrong and exits non-zero.

use std::process::ExitCode;

use app::ssr::config::{parse_private_key, parse_public_key, read_pem};
use wechat::pay::certificate::PlatformCertificate;
use wechat::pay::notify::verify_and_decrypt;
use wechat::pay::sign::{pay_sign_message, MerchantSigner};
use wechat::pay::validate::SignatureHeaders;
use wechat::pay::verify::KeyRing;
use wechat::pay::{aead, client};
use wechat::{jssdk, open_data};

use crate::cli::Tool;

pub fn run(tool: &Tool) -> ExitCode {
    match outcome(tool) {
        Ok(printed) => {
            println!("{printed}");
            ExitCode::SUCCESS
        }
        Err(why) => {
            eprintln!("wxgate tools: {why}");
            ExitCode::FAILURE
        }
    }
}

fn outcome(tool: &Tool) -> Result<String, String> {
    match tool {
        Tool::JssdkSign {
            ticket,
            noncestr,
            timestamp,
            url,
            verbose,
        } => {
            let signature = jssdk::signature(ticket, noncestr, timestamp, url);
            Ok(if *verbose {
                format!(
                    "{}\n{signature}",
                    jssdk::signed_string(ticket, noncestr, timestamp, url)
                )
            } else {
                signature
            })
        }
        Tool::DecryptData {
            session_key,
            iv,
            data,
            appid,
        } => open_data::decrypt(session_key, iv, data, appid.as_deref())
            .map(|value| value.to_string())
            .map_err(|error| error.to_string()),
        Tool::CheckRawdata {
            raw_data,
            session_key,
            signature,
        } => {
            if open_data::raw_data_signature_matches(raw_data, session_key, signature) {
                Ok("ok".to_owned())
            } else {
                Err("mismatch: the signature is not sha1(rawData + session_key); is the session_key the newest one?".to_owned())
            }
        }
        Tool::DecryptResource {
            apiv3_key,
            nonce,
            associated_data,
            ciphertext,
        } => {
            let plaintext = aead::decrypt(apiv3_key.as_bytes(), nonce, associated_data, ciphertext)
                .map_err(|error| error.to_string())?;
            String::from_utf8(plaintext).map_err(|_| "the plaintext is not UTF-8 text".to_owned())
        }
        Tool::VerifyNotification {
            headers,
            body,
            public_key,
            public_key_id,
            platform_cert,
            apiv3_key,
            now,
        } => {
            let keys = KeyRing::default();
            match (public_key, public_key_id, platform_cert) {
                (Some(pem), Some(id), _) => keys.add_public_key(
                    id,
                    read_pem(pem)
                        .and_then(|pem| parse_public_key(&pem))
                        .map_err(|why| format!("--public-key {why}"))?,
                ),
                (None, None, Some(pem)) => keys.add_certificate(
                    read_pem(pem)
                        .and_then(|pem| {
                            PlatformCertificate::from_pem(&pem).map_err(|error| error.to_string())
                        })
                        .map_err(|why| format!("--platform-cert {why}"))?,
                ),
                _ => {
                    return Err(
                        "give --public-key with --public-key-id, or --platform-cert".to_owned()
                    )
                }
            }
            let headers_text = std::fs::read_to_string(headers)
                .map_err(|error| format!("--headers {headers}: {error}"))?;
            let body = std::fs::read(body).map_err(|error| format!("--body {body}: {error}"))?;
            let signature_headers = notification_headers(&headers_text)?;
            let verified = verify_and_decrypt(
                &keys,
                apiv3_key.as_bytes(),
                &signature_headers,
                &body,
                now.unwrap_or_else(client::now),
            )
            .map_err(|error| format!("rejected: {error}"))?;
            Ok(verified.plaintext)
        }
        Tool::Sign {
            private_key,
            message_file,
        } => {
            let message = std::fs::read(message_file)
                .map_err(|error| format!("--message-file {message_file}: {error}"))?;
            signer(private_key)?
                .sign(&message)
                .map_err(|error| error.to_string())
        }
        Tool::PaySign {
            private_key,
            appid,
            timestamp,
            nonce,
            package,
        } => signer(private_key)?
            .sign(pay_sign_message(appid, timestamp, nonce, package).as_bytes())
            .map_err(|error| error.to_string()),
    }
}

fn signer(private_key: &str) -> Result<MerchantSigner, String> {
    read_pem(private_key)
        .and_then(|pem| parse_private_key(&pem))
        .map_err(|why| format!("--private-key {why}"))
}

/// The signature headers from a file of JSON (`{"Wechatpay-Timestamp": …}`) or of `Name: value` lines.
fn notification_headers(text: &str) -> Result<SignatureHeaders, String> {
    let mut headers = axum::http::HeaderMap::new();
    let pairs: Vec<(String, String)> =
        match serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(text) {
            Ok(map) => map
                .into_iter()
                .map(|(name, value)| (name, value.as_str().unwrap_or_default().to_owned()))
                .collect(),
            Err(_) => text
                .lines()
                .filter_map(|line| line.split_once(':'))
                .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()))
                .collect(),
        };
    for (name, value) in pairs {
        if let (Ok(name), Ok(value)) = (
            axum::http::HeaderName::from_bytes(name.as_bytes()),
            axum::http::HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    SignatureHeaders::from_headers(&headers).map_err(|error| format!("--headers: {error}"))
}
