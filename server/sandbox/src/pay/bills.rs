//! The bill APIs: apply for the trade bill or the fund-flow bill of a day (a signed answer with the file's SHA-1 and
//! a download link), and the download itself (Authorization checked, the file NOT signed: its SHA-1 is the check).
//!
//! Docs: trade bill <https://pay.weixin.qq.com/doc/v3/merchant/4012791866>, fund-flow bill
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791867>, download <https://pay.weixin.qq.com/doc/v3/merchant/4012791868>,
//! and the FAQ <https://pay.weixin.qq.com/doc/v3/merchant/4013071254>: a day without trades or refunds (or without
//! movements of that account) answers 400 NO_STATEMENT_EXIST; downloads carry no signature headers. The link lives
//! five minutes. Unlike WeChat, which bills a day from 10 a.m. the next day (STATEMENT_CREATING before), the sandbox
//! bills the current day at once, so tests can reconcile what they just paid. The file is a snapshot taken when the
//! bill is applied for; `tar_type=GZIP` is not served.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;
use sha1::{Digest, Sha1};

use super::bill_text::{self, TradeBillType};
use super::call::{PayCall, Reply};
use super::clock::Date;
use super::error::PayError;
use super::{ids, PaySandbox};
use crate::Sandbox;

/// How long a download link works.
const LINK_LIFETIME: Duration = Duration::from_secs(5 * 60);

type Params = HashMap<String, String>;

/// Bill files waiting to be downloaded, by token.
#[derive(Debug, Default)]
pub struct Downloads {
    files: Mutex<HashMap<String, (Vec<u8>, Instant)>>,
}

impl Downloads {
    /// Keeps `bytes` for one download link; answers its token.
    fn keep(&self, bytes: Vec<u8>) -> String {
        let token = ids::alphanumeric(48);
        let now = Instant::now();
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        files.retain(|_, (_, until)| *until > now);
        files.insert(token.clone(), (bytes, now + LINK_LIFETIME));
        token
    }

    fn get(&self, token: &str) -> Option<Vec<u8>> {
        let files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        files
            .get(token)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(bytes, _)| bytes.clone())
    }
}

/// `bill_date`, required, `YYYY-MM-DD`.
fn bill_date(params: &Params) -> Result<Date, PayError> {
    let text = params
        .get("bill_date")
        .ok_or_else(|| PayError::ParamError {
            field: "/query/bill_date".to_owned(),
            issue: "bill_date is required (yyyy-MM-dd)".to_owned(),
        })?;
    Date::parse(text).ok_or_else(|| PayError::ParamError {
        field: "/query/bill_date".to_owned(),
        issue: format!("bill_date `{text}` is not a date written yyyy-MM-dd"),
    })
}

fn refuse_compression(params: &Params) -> Result<(), PayError> {
    match params.get("tar_type") {
        Some(tar_type) => Err(PayError::InvalidRequest(format!(
            "tar_type={tar_type}: the sandbox serves bills uncompressed only; leave tar_type out"
        ))),
        None => Ok(()),
    }
}

/// The link answer for a bill file, which is kept for download.
fn link(sandbox: &Sandbox, text: Option<String>) -> Result<Reply, PayError> {
    let bytes = text.ok_or(PayError::NoStatementExist)?.into_bytes();
    let hash_value = hex::encode(Sha1::digest(&bytes));
    let token = sandbox.pay.downloads.keep(bytes);
    Ok(Reply::Json(json!({
        "hash_type": "SHA1",
        "hash_value": hash_value,
        "download_url": format!("{}/v3/billdownload/file?token={token}", sandbox.wechat_base),
    })))
}

/// `GET /v3/bill/tradebill?bill_date=&bill_type=ALL|SUCCESS|REFUND` (default ALL).
pub async fn trade_bill(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Query<Params>,
    call: PayCall,
) -> Response {
    call.respond(apply_trade_bill(&sandbox, &params))
}

fn apply_trade_bill(sandbox: &Sandbox, params: &Params) -> Result<Reply, PayError> {
    let date = bill_date(params)?;
    let kind = match params.get("bill_type") {
        None => TradeBillType::All,
        Some(text) => TradeBillType::parse(text).ok_or_else(|| PayError::ParamError {
            field: "/query/bill_type".to_owned(),
            issue: format!("bill_type `{text}` is not ALL, SUCCESS or REFUND"),
        })?,
    };
    refuse_compression(params)?;
    let pay: &PaySandbox = &sandbox.pay;
    let text = bill_text::trade_bill(&pay.ledger(), &pay.merchant.mchid, date, kind);
    link(sandbox, text)
}

/// `GET /v3/bill/fundflowbill?bill_date=&account_type=BASIC|OPERATION|FEES` (default BASIC; only the basic account
/// moves in the sandbox).
pub async fn fund_flow_bill(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Query<Params>,
    call: PayCall,
) -> Response {
    call.respond(apply_fund_flow_bill(&sandbox, &params))
}

fn apply_fund_flow_bill(sandbox: &Sandbox, params: &Params) -> Result<Reply, PayError> {
    let date = bill_date(params)?;
    let account = params.get("account_type").map_or("BASIC", String::as_str);
    if !matches!(account, "BASIC" | "OPERATION" | "FEES") {
        return Err(PayError::ParamError {
            field: "/query/account_type".to_owned(),
            issue: format!("account_type `{account}` is not BASIC, OPERATION or FEES"),
        });
    }
    refuse_compression(params)?;
    let pay: &PaySandbox = &sandbox.pay;
    let text = (account == "BASIC")
        .then(|| bill_text::fund_flow_bill(&pay.ledger(), &pay.merchant.mchid, date))
        .flatten();
    link(sandbox, text)
}

/// `GET /v3/billdownload/file?token=`: the bill's bytes, unsigned; errors are signed as usual.
pub async fn download(
    State(sandbox): State<Arc<Sandbox>>,
    Query(params): Query<Params>,
    call: PayCall,
) -> Response {
    let file = params
        .get("token")
        .and_then(|token| sandbox.pay.downloads.get(token));
    match file {
        Some(bytes) => (
            StatusCode::OK,
            [
                (CONTENT_TYPE, "text/plain; charset=utf-8".to_owned()),
                (
                    axum::http::HeaderName::from_static("request-id"),
                    ids::uuid_like(),
                ),
            ],
            Body::from(bytes),
        )
            .into_response(),
        None => call.respond(Err(PayError::ResourceNotExists(
            "the download link is unknown or has expired (links live 5 minutes); apply for the bill again"
                .to_owned(),
        ))),
    }
}
