//! The bill APIs: apply for the trade bill or the fund-flow bill of a day (a signed answer with the file's SHA-1 and
//! a download link), and the download itself (Authorization checked, the file NOT signed: its SHA-1 is the check).
//!
//! Docs: trade bill <https://pay.weixin.qq.com/doc/v3/merchant/4012791866>, fund-flow bill
//! <https://pay.weixin.qq.com/doc/v3/merchant/4012791867>, download <https://pay.weixin.qq.com/doc/v3/merchant/4012791868>,
//! and the FAQ <https://pay.weixin.qq.com/doc/v3/merchant/4013071254>: a day without trades or refunds (or without
//! movements of that account) answers 400 NO_STATEMENT_EXIST; downloads carry no signature headers. The link lives
//! five minutes. As WeChat, the sandbox bills a day from 10:00 the next day, Beijing time (400 STATEMENT_CREATING
//! before); tests that reconcile what they just paid switch that off (`WXGATE_SANDBOX_BILLS=at-once`, or the control
//! API), so a day is billed at once. The file is a snapshot taken when the bill is applied for. With `tar_type=GZIP` (what WeChat's sample code asks for) the file is served gzip-compressed
//! and `hash_value` is still the SHA-1 of the uncompressed file, as the trade-bill page says.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use flate2::write::GzEncoder;
use serde_json::{json, Value};
use sha1::{Digest, Sha1};

use super::bill_text::{self, TradeBillType};
use super::call::{PayCall, Reply};
use super::clock::Date;
use super::error::PayError;
use super::param_error::{field_error, Rule};
use super::{ids, PaySandbox};
use crate::Sandbox;

/// How long a download link works.
const LINK_LIFETIME: Duration = Duration::from_secs(5 * 60);

type Params = HashMap<String, String>;

/// A bill file as it is served: its bytes and their content type.
#[derive(Debug, Clone)]
struct File {
    bytes: Vec<u8>,
    content_type: &'static str,
}

/// Bill files waiting to be downloaded, by token.
#[derive(Debug, Default)]
pub struct Downloads {
    files: Mutex<HashMap<String, (File, Instant)>>,
}

impl Downloads {
    /// Keeps `bytes` for one download link; answers its token.
    fn keep(&self, file: File) -> String {
        let token = ids::alphanumeric(48);
        let now = Instant::now();
        let mut files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        files.retain(|_, (_, until)| *until > now);
        files.insert(token.clone(), (file, now + LINK_LIFETIME));
        token
    }

    fn get(&self, token: &str) -> Option<File> {
        let files = self.files.lock().unwrap_or_else(|p| p.into_inner());
        files
            .get(token)
            .filter(|(_, until)| *until > Instant::now())
            .map(|(file, _)| file.clone())
    }
}

/// How long after a day's midnight its bills are ready: 10:00 the next day.
const BILLED_AFTER: i64 = (24 + 10) * 60 * 60;

/// When a day's bills may be asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BillTiming {
    /// From 10:00 the next day, Beijing time, as WeChat.
    NextDay,
    /// At once, for tests that reconcile what they just paid.
    AtOnce,
}

impl BillTiming {
    /// The timing `WXGATE_SANDBOX_BILLS` names: unset or `next-day`, or `at-once`.
    pub fn parse(text: Option<&str>) -> Option<BillTiming> {
        match text.map(str::trim) {
            None | Some("") | Some("next-day") => Some(BillTiming::NextDay),
            Some("at-once") => Some(BillTiming::AtOnce),
            Some(_) => None,
        }
    }
}

/// `date`'s bill exists by now, or it is still being made.
fn billed(pay: &PaySandbox, date: Date) -> Result<(), PayError> {
    let ready = pay.platform().bill_timing == BillTiming::AtOnce
        || super::clock::now_unix() >= date.midnight() + BILLED_AFTER;
    if ready {
        Ok(())
    } else {
        Err(PayError::StatementCreating)
    }
}

/// `bill_date`, required, `YYYY-MM-DD`.
fn bill_date(params: &Params) -> Result<Date, PayError> {
    let field = "/query/bill_date";
    let text = params.get("bill_date").ok_or_else(|| {
        field_error(
            field,
            Rule::Required,
            None,
            "bill_date is required (yyyy-MM-dd)",
        )
    })?;
    Date::parse(text).ok_or_else(|| {
        field_error(
            field,
            Rule::Format,
            Some(&Value::from(text.as_str())),
            "bill_date must be a real date written yyyy-MM-dd",
        )
    })
}

/// How the file is served: `tar_type` left out, or `GZIP`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Packing {
    Plain,
    Gzip,
}

fn packing(params: &Params) -> Result<Packing, PayError> {
    match params.get("tar_type").map(String::as_str) {
        None => Ok(Packing::Plain),
        Some("GZIP") => Ok(Packing::Gzip),
        Some(other) => Err(field_error(
            "/query/tar_type",
            Rule::Format,
            Some(&Value::from(other)),
            "tar_type is GZIP, or left out for an uncompressed file",
        )),
    }
}

/// The link answer for a bill file, which is kept for download: `hash_value` is over the uncompressed file.
fn link(sandbox: &Sandbox, text: Option<String>, packing: Packing) -> Result<Reply, PayError> {
    let bytes = text.ok_or(PayError::NoStatementExist)?.into_bytes();
    let hash_value = hex::encode(Sha1::digest(&bytes));
    let served = match packing {
        Packing::Plain => File {
            bytes,
            content_type: "text/plain; charset=utf-8",
        },
        Packing::Gzip => {
            let mut encoder = GzEncoder::new(Vec::new(), flate2::Compression::default());
            let bytes = std::io::Write::write_all(&mut encoder, &bytes)
                .and_then(|()| encoder.finish())
                .map_err(|error| {
                    PayError::InvalidRequest(format!("the bill could not be compressed: {error}"))
                })?;
            File {
                bytes,
                content_type: "application/x-gzip",
            }
        }
    };
    let token = sandbox.pay.downloads.keep(served);
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
        Some(text) => TradeBillType::parse(text).ok_or_else(|| {
            field_error(
                "/query/bill_type",
                Rule::Format,
                Some(&Value::from(text.as_str())),
                "bill_type is ALL, SUCCESS or REFUND",
            )
        })?,
    };
    let packing = packing(params)?;
    let pay: &PaySandbox = &sandbox.pay;
    billed(pay, date)?;
    let text = bill_text::trade_bill(&pay.ledger(), &pay.merchant.mchid, date, kind);
    link(sandbox, text, packing)
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
        return Err(field_error(
            "/query/account_type",
            Rule::Format,
            Some(&Value::from(account)),
            "account_type is BASIC, OPERATION or FEES",
        ));
    }
    let packing = packing(params)?;
    let pay: &PaySandbox = &sandbox.pay;
    billed(pay, date)?;
    let text = (account == "BASIC")
        .then(|| bill_text::fund_flow_bill(&pay.ledger(), &pay.merchant.mchid, date))
        .flatten();
    link(sandbox, text, packing)
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
        Some(file) => (
            StatusCode::OK,
            [
                (CONTENT_TYPE, file.content_type.to_owned()),
                (
                    axum::http::HeaderName::from_static("request-id"),
                    ids::request_id(),
                ),
            ],
            Body::from(file.bytes),
        )
            .into_response(),
        None => call.respond(Err(PayError::ResourceNotExists(
            "the download link is unknown or has expired (links live 5 minutes); apply for the bill again"
                .to_owned(),
        ))),
    }
}
