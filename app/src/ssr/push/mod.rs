//! WeChat's message push received (消息推送): the URL check, and each message verified, decrypted when it is
//! encrypted, stored once and answered; [`apply`] applies stored messages afterwards, so the answer always comes
//! within WeChat's 5 seconds. Docs: <https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html>
//! and the official account's 接入指南 and 消息加解密说明.

pub mod apply;

use secrecy::ExposeSecret;
use serde::Deserialize;
use tokio::sync::Notify;

use crate::ssr::clock::now;
use crate::ssr::config::push::PushSettings;
use crate::ssr::context::AppContext;
use crate::ssr::db::push::NewPush;
use crate::ssr::db::DbError;
use wechat::push::crypto::{msg_signature, signature, signature_matches};
use wechat::push::message::{Format, PushMessage};

/// The longest query value WeChat sends (signatures are 40 hex digits, `echostr` a few dozen characters).
const MAX_QUERY_VALUE: usize = 128;
/// How far a push's `timestamp` may be from wxgate's clock: WeChat's retries come within a minute, so an older
/// signed request is a replay.
const TIMESTAMP_TOLERANCE_SECONDS: i64 = 5 * 60;

/// The query WeChat adds to the push URL.
#[derive(Debug, Default, Deserialize)]
pub struct PushQuery {
    pub signature: Option<String>,
    pub timestamp: Option<String>,
    pub nonce: Option<String>,
    pub echostr: Option<String>,
    pub encrypt_type: Option<String>,
    pub msg_signature: Option<String>,
}

/// Why a push was refused.
#[derive(Debug, thiserror::Error)]
pub enum PushRefusal {
    #[error("no app with this appid receives the message push here")]
    UnknownApp,
    #[error("the push is not signed with the app's Token: {0}")]
    Unverified(&'static str),
    #[error("the push is malformed: {0}")]
    Malformed(String),
    #[error("the push could not be stored: {0}")]
    Internal(#[from] DbError),
}

/// What became of a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Received {
    Stored,
    /// WeChat sent it again; it was stored before.
    Duplicate,
}

/// Wakes the job that applies stored messages.
#[derive(Debug, Default)]
pub struct PushInbox {
    stored: Notify,
}

impl PushInbox {
    pub fn stored(&self) {
        self.stored.notify_one();
    }

    pub async fn woken(&self) {
        self.stored.notified().await;
    }
}

/// The push settings of the configured app `appid`.
fn push_settings<'a>(context: &'a AppContext, appid: &str) -> Option<&'a PushSettings> {
    let wechat = &context.settings.wechat;
    [
        (&wechat.mini_program, &wechat.mini_program_push),
        (&wechat.official_account, &wechat.official_account_push),
    ]
    .into_iter()
    .find_map(|(app, push)| {
        app.as_ref()
            .filter(|app| app.credentials.appid.as_str() == appid)
            .and(push.as_ref())
    })
}

/// A query value, bounded.
fn value<'a>(value: &'a Option<String>, name: &'static str) -> Result<&'a str, PushRefusal> {
    match value.as_deref() {
        None | Some("") => Err(PushRefusal::Malformed(format!("{name} is missing"))),
        Some(value) if value.len() > MAX_QUERY_VALUE => {
            Err(PushRefusal::Malformed(format!("{name} is too long")))
        }
        Some(value) => Ok(value),
    }
}

/// Checks `signature` (SHA-1 of the sorted Token, timestamp and nonce) and the timestamp's age; returns the
/// timestamp and nonce, which `msg_signature` covers too.
fn verify_signature<'a>(
    settings: &PushSettings,
    query: &'a PushQuery,
) -> Result<(&'a str, &'a str), PushRefusal> {
    let given = value(&query.signature, "signature")?;
    let timestamp = value(&query.timestamp, "timestamp")?;
    let nonce = value(&query.nonce, "nonce")?;
    let expected = signature(settings.token.expose_secret(), timestamp, nonce);
    if !signature_matches(&expected, given) {
        return Err(PushRefusal::Unverified("signature does not match"));
    }
    let sent_at: i64 = timestamp
        .parse()
        .map_err(|_| PushRefusal::Malformed("timestamp is not a number".to_owned()))?;
    if (now() - sent_at).abs() > TIMESTAMP_TOLERANCE_SECONDS {
        return Err(PushRefusal::Unverified("timestamp is too far from now"));
    }
    Ok((timestamp, nonce))
}

/// The URL check of the app's console: the `echostr` to answer with, when the request is signed with the Token.
pub fn verify_url(
    context: &AppContext,
    appid: &str,
    query: &PushQuery,
) -> Result<String, PushRefusal> {
    let settings = push_settings(context, appid).ok_or(PushRefusal::UnknownApp)?;
    verify_signature(settings, query)?;
    Ok(value(&query.echostr, "echostr")?.to_owned())
}

/// Verifies one pushed message for `appid`, decrypts it in safe and compatible mode (`encrypt_type=aes`:
/// `msg_signature` over the `Encrypt` field, then the AES layout with the trailing appid checked) and stores it
/// once.
pub async fn receive(
    context: &AppContext,
    appid: &str,
    query: &PushQuery,
    body: &[u8],
) -> Result<Received, PushRefusal> {
    let settings = push_settings(context, appid).ok_or(PushRefusal::UnknownApp)?;
    let (timestamp, nonce) = verify_signature(settings, query)?;
    let format = match body.iter().find(|byte| !byte.is_ascii_whitespace()) {
        Some(b'{') => Format::Json,
        Some(b'<') => Format::Xml,
        _ => {
            return Err(PushRefusal::Malformed(
                "the body is neither XML nor JSON".to_owned(),
            ))
        }
    };
    let outer = PushMessage::parse(body, format)
        .map_err(|error| PushRefusal::Malformed(error.to_string()))?;
    let message = match query.encrypt_type.as_deref() {
        None | Some("") | Some("raw") => outer,
        Some("aes") => {
            let key = settings.key.as_ref().ok_or(PushRefusal::Unverified(
                "encrypted, but no EncodingAESKey is configured",
            ))?;
            let encrypt = outer
                .encrypted()
                .ok_or_else(|| PushRefusal::Malformed("Encrypt is missing".to_owned()))?;
            let given = value(&query.msg_signature, "msg_signature")?;
            let expected = msg_signature(settings.token.expose_secret(), timestamp, nonce, encrypt);
            if !signature_matches(&expected, given) {
                return Err(PushRefusal::Unverified("msg_signature does not match"));
            }
            let plain = key
                .decrypt(encrypt, appid)
                .map_err(|error| PushRefusal::Malformed(error.to_string()))?;
            PushMessage::parse(&plain, format)
                .map_err(|error| PushRefusal::Malformed(error.to_string()))?
        }
        Some(_) => return Err(PushRefusal::Malformed("unknown encrypt_type".to_owned())),
    };
    let repeat_key = repeat_key(&message)?;
    let msg_type = message
        .msg_type()
        .ok_or_else(|| PushRefusal::Malformed("MsgType is missing".to_owned()))?;
    let fields = serde_json::to_string(message.fields())
        .map_err(|error| PushRefusal::Malformed(error.to_string()))?;
    let stored = context
        .db
        .store_push(&NewPush {
            appid,
            repeat_key: &repeat_key,
            msg_type,
            event: message.event(),
            from_openid: message.from_user_name().unwrap_or_default(),
            fields: &fields,
        })
        .await?;
    if stored {
        context.push.stored();
        Ok(Received::Stored)
    } else {
        Ok(Received::Duplicate)
    }
}

/// WeChat's repeat key, made specific to the order for trade-management events (two orders of one buyer may be
/// reported in one second).
fn repeat_key(message: &PushMessage) -> Result<String, PushRefusal> {
    let key = message.repeat_key().ok_or_else(|| {
        PushRefusal::Malformed("neither MsgId nor FromUserName and CreateTime".to_owned())
    })?;
    Ok(match message.get("transaction_id") {
        Some(transaction_id) if message.get("MsgId").is_none() => format!("{key}:{transaction_id}"),
        _ => key,
    })
}
