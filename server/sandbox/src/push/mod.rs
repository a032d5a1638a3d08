//! WeChat's message push (消息推送), played to the app's server as WeChat does it: each app's console setting (URL,
//! plain / compatible / safe mode, XML or JSON), messages signed with the Token and, in compatible and safe mode,
//! encrypted with the EncodingAESKey ([`crypto`]), POSTed with `signature`, `timestamp`, `nonce`, `openid` (and
//! `encrypt_type=aes`, `msg_signature`) in the query. An answer other than HTTP 200 with `success` or an empty body,
//! or none within 5 s, is retried three times, as WeChat does. The console's URL check (`GET` with `echostr`) is
//! played too.
//!
//! Control API (under `/sandbox`): `POST /push/{appid}/settings` `{url?, mode?, format?}`,
//! `POST /push/{appid}/verify-url`, `POST /push/{appid}/events` `{event, persona? | openid?, fields?}` (answers once
//! every attempt is made, with each one), `GET /push/deliveries`. The buyer's receipt confirmation
//! (`/sandbox/shipping/{transaction_id}/confirm-receipt`) pushes `trade_manage_order_settlement` to the mini program.
//!
//! Docs: <https://developers.weixin.qq.com/miniprogram/dev/framework/server-ability/message-push.html>,
//! <https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Access_Overview.html>.

pub mod crypto;
mod message;

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Map, Value};

use crate::Sandbox;
use message::Format;

/// How long WeChat waits for the answer.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);
/// WeChat tries a message this many times in all: once, then three retries.
const ATTEMPTS: usize = 4;
/// The deliveries the control API remembers.
const KEPT_DELIVERIES: usize = 100;

/// 消息加密方式.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Mode {
    /// 明文模式.
    Plain,
    /// 兼容模式: the plain fields and their `Encrypt` copy.
    Compatible,
    /// 安全模式.
    #[default]
    Safe,
}

/// One app's console setting.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PushSettings {
    pub url: Option<String>,
    pub mode: Mode,
    pub format: Format,
}

/// One attempt at a push.
#[derive(Debug, Clone, Serialize)]
pub struct Attempt {
    pub status: Option<u16>,
    pub answer: String,
    pub accepted: bool,
}

/// One message and its attempts.
#[derive(Debug, Clone, Serialize)]
pub struct Delivery {
    pub appid: String,
    pub event: String,
    pub openid: String,
    pub create_time: i64,
    pub attempts: Vec<Attempt>,
    pub delivered: bool,
}

/// The push half of the sandbox.
#[derive(Debug, Default)]
pub struct Push {
    state: Mutex<PushState>,
}

#[derive(Debug, Default)]
struct PushState {
    settings: HashMap<String, PushSettings>,
    deliveries: VecDeque<Delivery>,
}

impl Push {
    fn lock(&self) -> MutexGuard<'_, PushState> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl Sandbox {
    /// The console setting of `appid`: as set, with the URL defaulting to the wxgate this sandbox is mounted in.
    fn push_settings(&self, appid: &str) -> PushSettings {
        let mut settings = self
            .push
            .lock()
            .settings
            .get(appid)
            .cloned()
            .unwrap_or_default();
        if settings.url.is_none() {
            settings.url = self
                .service_base()
                .map(|base| format!("{base}/api/wechat/push/{appid}"));
        }
        settings
    }

    /// Whether `appid` is one of the sandbox's official account or mini program.
    fn pushes_for(&self, appid: &str) -> bool {
        appid == self.credentials.mp_appid || appid == self.credentials.oa_appid
    }

    /// Sends event `event` from `openid` with `fields` to `appid`'s server, retrying as WeChat does.
    pub async fn push_event(
        &self,
        appid: &str,
        event: &str,
        openid: &str,
        fields: &Map<String, Value>,
    ) -> Result<Delivery, String> {
        let settings = self.push_settings(appid);
        let url = settings.url.clone().ok_or(
            "no push URL is set for this app: POST /sandbox/push/{appid}/settings {\"url\"}",
        )?;
        let create_time = crate::pay::clock::now_unix();
        let mut plain = Map::new();
        plain.insert("ToUserName".into(), json!(original_id(appid)));
        plain.insert("FromUserName".into(), json!(openid));
        plain.insert("CreateTime".into(), json!(create_time));
        plain.insert("MsgType".into(), json!("event"));
        plain.insert("Event".into(), json!(event));
        for (name, value) in fields {
            plain.insert(name.clone(), value.clone());
        }
        let mut attempts = Vec::new();
        for _ in 0..ATTEMPTS {
            // Each attempt is signed anew, as WeChat's are (its own timestamp and nonce).
            let (query, body) = self.signed_push(appid, openid, &settings, &plain)?;
            let attempt = self.post_push(&url, &query, body, settings.format).await;
            let accepted = attempt.accepted;
            attempts.push(attempt);
            if accepted {
                break;
            }
        }
        let delivery = Delivery {
            appid: appid.to_owned(),
            event: event.to_owned(),
            openid: openid.to_owned(),
            create_time,
            delivered: attempts.iter().any(|attempt| attempt.accepted),
            attempts,
        };
        let mut state = self.push.lock();
        if state.deliveries.len() == KEPT_DELIVERIES {
            state.deliveries.pop_front();
        }
        state.deliveries.push_back(delivery.clone());
        Ok(delivery)
    }

    /// The query and body of one attempt.
    fn signed_push(
        &self,
        appid: &str,
        openid: &str,
        settings: &PushSettings,
        plain: &Map<String, Value>,
    ) -> Result<(Vec<(String, String)>, String), String> {
        let token = &self.credentials.push_token;
        let timestamp = crate::pay::clock::now_unix().to_string();
        let nonce = rand::random::<u32>().to_string();
        let mut query = vec![
            (
                "signature".to_owned(),
                crypto::sorted_sha1(&[token, &timestamp, &nonce]),
            ),
            ("timestamp".to_owned(), timestamp.clone()),
            ("nonce".to_owned(), nonce.clone()),
            ("openid".to_owned(), openid.to_owned()),
        ];
        let body = match settings.mode {
            Mode::Plain => message::render(plain, settings.format),
            Mode::Compatible | Mode::Safe => {
                let inner = message::render(plain, settings.format);
                let encrypt = crypto::encrypt(
                    &self.credentials.push_aes_key,
                    inner.as_bytes(),
                    appid,
                    rand::random(),
                )
                .ok_or("the sandbox's push_aes_key is not an EncodingAESKey")?;
                let msg_signature = crypto::sorted_sha1(&[token, &timestamp, &nonce, &encrypt]);
                query.push(("encrypt_type".to_owned(), "aes".to_owned()));
                query.push(("msg_signature".to_owned(), msg_signature));
                let mut outer = if settings.mode == Mode::Compatible {
                    plain.clone()
                } else {
                    let mut outer = Map::new();
                    outer.insert("ToUserName".into(), plain["ToUserName"].clone());
                    outer
                };
                outer.insert("Encrypt".into(), json!(encrypt));
                message::render(&outer, settings.format)
            }
        };
        Ok((query, body))
    }

    async fn post_push(
        &self,
        url: &str,
        query: &[(String, String)],
        body: String,
        format: Format,
    ) -> Attempt {
        let sent = self
            .http
            .post(url)
            .query(query)
            .header(reqwest::header::CONTENT_TYPE, format.content_type())
            .timeout(ANSWER_TIMEOUT)
            .body(body)
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status().as_u16();
                let answer = response.text().await.unwrap_or_default();
                let accepted = status == 200 && matches!(answer.trim(), "success" | "");
                Attempt {
                    status: Some(status),
                    answer: answer.chars().take(200).collect(),
                    accepted,
                }
            }
            Err(error) => Attempt {
                status: None,
                answer: error.without_url().to_string(),
                accepted: false,
            },
        }
    }
}

/// The app's original id (原始ID, `gh_…`), the `ToUserName` of its messages.
fn original_id(appid: &str) -> String {
    format!("gh_{}", &crypto::sorted_sha1(&[appid])[..12])
}

fn control_error(status: StatusCode, message: impl Into<String>) -> (StatusCode, Json<Value>) {
    (
        status,
        Json(json!({ "error": { "message": message.into() } })),
    )
}

#[derive(Debug, Deserialize)]
struct SettingsRequest {
    url: Option<String>,
    mode: Option<Mode>,
    format: Option<Format>,
}

/// `POST /sandbox/push/{appid}/settings`: the console's 消息推送 setting.
async fn set_settings(
    State(sandbox): State<Arc<Sandbox>>,
    Path(appid): Path<String>,
    Json(request): Json<SettingsRequest>,
) -> (StatusCode, Json<Value>) {
    if !sandbox.pushes_for(&appid) {
        return control_error(
            StatusCode::NOT_FOUND,
            "no such mini program or official account",
        );
    }
    let mut state = sandbox.push.lock();
    let settings = state.settings.entry(appid.clone()).or_default();
    if let Some(url) = request.url {
        settings.url = Some(url);
    }
    if let Some(mode) = request.mode {
        settings.mode = mode;
    }
    if let Some(format) = request.format {
        settings.format = format;
    }
    drop(state);
    (
        StatusCode::OK,
        Json(json!({ "appid": appid, "settings": sandbox.push_settings(&appid) })),
    )
}

/// `POST /sandbox/push/{appid}/verify-url`: what the console does on 提交 — a signed `GET` with `echostr`; the URL
/// passes when the answer is the `echostr`.
async fn verify_url(
    State(sandbox): State<Arc<Sandbox>>,
    Path(appid): Path<String>,
) -> (StatusCode, Json<Value>) {
    if !sandbox.pushes_for(&appid) {
        return control_error(
            StatusCode::NOT_FOUND,
            "no such mini program or official account",
        );
    }
    let Some(url) = sandbox.push_settings(&appid).url else {
        return control_error(StatusCode::CONFLICT, "no push URL is set for this app");
    };
    let token = &sandbox.credentials.push_token;
    let timestamp = crate::pay::clock::now_unix().to_string();
    let nonce = rand::random::<u32>().to_string();
    let echostr = rand::random::<u64>().to_string();
    let answer = sandbox
        .http
        .get(&url)
        .query(&[
            (
                "signature",
                crypto::sorted_sha1(&[token, &timestamp, &nonce]).as_str(),
            ),
            ("timestamp", &timestamp),
            ("nonce", &nonce),
            ("echostr", &echostr),
        ])
        .timeout(ANSWER_TIMEOUT)
        .send()
        .await;
    let (status, body) = match answer {
        Ok(response) => (
            Some(response.status().as_u16()),
            response.text().await.unwrap_or_default(),
        ),
        Err(error) => (None, error.without_url().to_string()),
    };
    let passed = status == Some(200) && body == echostr;
    (
        StatusCode::OK,
        Json(
            json!({ "appid": appid, "passed": passed, "status": status, "answer": body.chars().take(200).collect::<String>() }),
        ),
    )
}

#[derive(Debug, Deserialize)]
struct EventRequest {
    event: String,
    persona: Option<String>,
    openid: Option<String>,
    #[serde(default)]
    fields: Map<String, Value>,
}

/// `POST /sandbox/push/{appid}/events`: pushes one event from a persona (default the first) or an openid.
async fn send_event(
    State(sandbox): State<Arc<Sandbox>>,
    Path(appid): Path<String>,
    Json(request): Json<EventRequest>,
) -> (StatusCode, Json<Value>) {
    if !sandbox.pushes_for(&appid) {
        return control_error(
            StatusCode::NOT_FOUND,
            "no such mini program or official account",
        );
    }
    let openid = match request.openid {
        Some(openid) => openid,
        None => match sandbox
            .login
            .lock()
            .persona_or_default(request.persona.as_deref())
        {
            Some(persona) => persona.openid(&appid),
            None => return control_error(StatusCode::NOT_FOUND, "no such persona"),
        },
    };
    match sandbox
        .push_event(&appid, &request.event, &openid, &request.fields)
        .await
    {
        Ok(delivery) => (StatusCode::OK, Json(json!(delivery))),
        Err(why) => control_error(StatusCode::CONFLICT, why),
    }
}

/// `GET /sandbox/push/deliveries`: the recent pushes and their attempts, oldest first.
async fn deliveries(State(sandbox): State<Arc<Sandbox>>) -> Json<Value> {
    Json(json!({ "deliveries": sandbox.push.lock().deliveries }))
}

/// The control routes, relative to `/sandbox`.
pub fn control_routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/push/{appid}/settings", post(set_settings))
        .route("/push/{appid}/verify-url", post(verify_url))
        .route("/push/{appid}/events", post(send_event))
        .route("/push/deliveries", get(deliveries))
}
