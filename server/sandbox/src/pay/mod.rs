//! The WeChat Pay API v3 half of the sandbox: a local api.mch.weixin.qq.com that authenticates merchants, signs
//! every answer, keeps orders and refunds, sends encrypted and signed notifications with WeChat's retries, and
//! serves platform certificates; plus a control API under `/sandbox/pay/` to play the payer and inject faults, and
//! the pages a person pays on: the H5 cashier behind `h5_url` (`/sandbox/pay/h5`) and the Native scan page and QR
//! (`/sandbox/pay/scan`, `/sandbox/pay/qr`), and the checks behind the JSAPI pay sheet (`/sandbox/pay/jsapi/…`).
//!
//! State lives in memory (orders, refunds, rotated certificates, deliveries): a restart starts from the
//! credentials file's keys and an empty ledger.
//!
//! | WeChat path | what |
//! |---|---|
//! | `POST /v3/pay/transactions/{jsapi,native,h5,app}` | prepay |
//! | `GET /v3/pay/transactions/out-trade-no/{no}?mchid=`, `GET /v3/pay/transactions/id/{id}?mchid=` | query |
//! | `POST /v3/pay/transactions/out-trade-no/{no}/close` | close |
//! | `POST /v3/refund/domestic/refunds`, `GET /v3/refund/domestic/refunds/{no}` | refunds |
//! | `GET /v3/certificates` | platform certificates |
//! | `GET /v3/bill/tradebill`, `GET /v3/bill/fundflowbill`, `GET /v3/billdownload/file?token=` | bills |

mod aead;
mod auth;
mod bill_text;
mod bills;
mod call;
mod certificate_api;
mod certificates;
pub(crate) mod clock;
mod control;
mod error;
mod faults;
pub(crate) mod h5;
mod ids;
mod jsapi;
mod keyring;
mod ledger;
mod notify;
mod orders;
mod pages;
mod param_error;
mod refunds;
mod scan;
mod sign;
mod validate;

use std::sync::{Arc, Mutex, MutexGuard};

use axum::routing::{get, post};
use axum::Router;
use rsa::pkcs8::DecodePrivateKey;
use rsa::RsaPrivateKey;

use super::credentials::SandboxCredentials;
use super::Sandbox;
use auth::Merchant;
use bills::BillTiming;
use certificates::CertificateError;
use faults::Faults;
use keyring::KeyRing;
use ledger::Ledger;
use notify::{Notifier, NotifyError};
pub use orders::control_base;
use validate::{AppKind, BoundApp};

/// `at-once` makes a day's bills ready at once (tests that reconcile what they just paid); unset or `next-day`, they
/// are ready from 10:00 the next day, Beijing time, as WeChat's.
pub const BILLS_ENV: &str = "WXGATE_SANDBOX_BILLS";

/// Divides WeChat's notification retry delays, for tests (e.g. 1000 turns 15 s into 15 ms). Default 1.
pub const TIME_SCALE_ENV: &str = "WXGATE_SANDBOX_TIME_SCALE";

#[derive(Debug, thiserror::Error)]
pub enum PayInitError {
    #[error("the merchant key in the sandbox credentials does not parse: {0}")]
    MerchantKey(String),
    #[error(transparent)]
    Certificate(#[from] CertificateError),
    #[error(transparent)]
    Notify(#[from] NotifyError),
    #[error("{TIME_SCALE_ENV} must be a whole number of at least 1, not `{0}`")]
    TimeScale(String),
    #[error("{BILLS_ENV} must be next-day or at-once, not `{0}`")]
    Bills(String),
}

/// The WeChat Pay sandbox's state.
#[derive(Debug)]
pub struct PaySandbox {
    merchant: Merchant,
    /// The apps bound to the merchant: the sandbox's mini program, official account and mobile app.
    apps: Vec<BoundApp>,
    keys: KeyRing,
    ledger: Mutex<Ledger>,
    faults: Faults,
    notifier: Notifier,
    downloads: bills::Downloads,
    platform: Mutex<Platform>,
}

/// What a merchant sets on WeChat Pay's merchant platform (here through the control API).
#[derive(Debug, Clone)]
pub(crate) struct Platform {
    /// Where refunds asked for without a `notify_url` are announced; none at first.
    pub refund_notify_url: Option<String>,
    /// The H5 payment domains: the H5 cashier opens only for a Referer on one of them.
    pub h5_domains: Vec<String>,
    /// When a day's bills can be had.
    pub bill_timing: BillTiming,
}

impl PaySandbox {
    /// Reads the keys from the credentials; `time_scale` and `bills` are the texts of [`TIME_SCALE_ENV`] and
    /// [`BILLS_ENV`], if set.
    pub fn new(
        credentials: &SandboxCredentials,
        time_scale: Option<&str>,
        bills: Option<&str>,
    ) -> Result<Arc<PaySandbox>, PayInitError> {
        let bill_timing = BillTiming::parse(bills)
            .ok_or_else(|| PayInitError::Bills(bills.unwrap_or_default().to_owned()))?;
        let merchant_key = RsaPrivateKey::from_pkcs8_pem(&credentials.merchant_private_key_pem)
            .map_err(|error| PayInitError::MerchantKey(error.to_string()))?;
        let time_scale = match time_scale {
            None => 1,
            Some(text) => match text.trim().parse::<u32>() {
                Ok(scale) if scale >= 1 => scale,
                _ => return Err(PayInitError::TimeScale(text.to_owned())),
            },
        };
        Ok(Arc::new(PaySandbox {
            merchant: Merchant {
                mchid: credentials.mchid.clone(),
                serial: credentials.merchant_serial.clone(),
                verifying_key: rsa::pkcs1v15::VerifyingKey::new(merchant_key.to_public_key()),
            },
            apps: vec![
                BoundApp {
                    appid: credentials.mp_appid.clone(),
                    kind: AppKind::MiniProgram,
                },
                BoundApp {
                    appid: credentials.oa_appid.clone(),
                    kind: AppKind::OfficialAccount,
                },
                BoundApp {
                    appid: credentials.app_appid.clone(),
                    kind: AppKind::MobileApp,
                },
            ],
            keys: KeyRing::from_credentials(credentials)?,
            ledger: Mutex::new(Ledger::default()),
            faults: Faults::default(),
            notifier: Notifier::new(time_scale)?,
            downloads: bills::Downloads::default(),
            platform: Mutex::new(Platform {
                refund_notify_url: None,
                h5_domains: Vec::new(),
                bill_timing,
            }),
        }))
    }

    /// The merchant platform's settings, as the control API left them.
    pub(crate) fn platform(&self) -> MutexGuard<'_, Platform> {
        self.platform
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        self.ledger
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A JSAPI payment as the mini program's order APIs see it, by its transaction id or (with this merchant's
    /// mchid) its out_trade_no.
    pub(crate) fn jsapi_payment(&self, key: &PaymentKey) -> Option<PaymentFacts> {
        let ledger = self.ledger();
        let order = match key {
            PaymentKey::Transaction(id) => ledger.by_transaction(id)?,
            PaymentKey::Merchant {
                mchid,
                out_trade_no,
            } if *mchid == self.merchant.mchid => ledger.orders.get(out_trade_no)?,
            PaymentKey::Merchant { .. } => return None,
        };
        if order.kind != validate::TradeType::Jsapi {
            return None;
        }
        Some(PaymentFacts {
            transaction_id: order.transaction_id.clone()?,
            out_trade_no: order.request.out_trade_no.clone(),
            mchid: self.merchant.mchid.clone(),
            appid: order.request.appid.clone(),
            payer_openid: order.payer_openid.clone().unwrap_or_default(),
            description: order.request.description.clone(),
            total: order.request.total,
            refundable: ledger.refundable(order),
            paid: order.state == ledger::TradeState::Success,
            paid_at: order.success_time.unwrap_or_default(),
        })
    }
}

/// How a mini program's order APIs name a payment (`order_key` of upload_shipping_info, get_order's parameters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum PaymentKey {
    Transaction(String),
    Merchant { mchid: String, out_trade_no: String },
}

/// What the mini program's order APIs tell of a paid JSAPI order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct PaymentFacts {
    pub transaction_id: String,
    pub out_trade_no: String,
    pub mchid: String,
    pub appid: String,
    pub payer_openid: String,
    pub description: String,
    /// Fen.
    pub total: u64,
    /// Fen not refunded yet.
    pub refundable: u64,
    /// Paid, and not refunded (in part or whole) nor closed.
    pub paid: bool,
    pub paid_at: i64,
}

/// WeChat Pay's paths, relative to wherever the sandbox's WeChat paths are mounted.
pub fn wechat_routes() -> Router<Arc<Sandbox>> {
    Router::new()
        .route("/v3/pay/transactions/{kind}", post(orders::prepay))
        .route(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}",
            get(orders::query_by_out_trade_no),
        )
        .route(
            "/v3/pay/transactions/id/{transaction_id}",
            get(orders::query_by_transaction_id),
        )
        .route(
            "/v3/pay/transactions/out-trade-no/{out_trade_no}/close",
            post(orders::close),
        )
        .route("/v3/refund/domestic/refunds", post(refunds::create))
        .route(
            "/v3/refund/domestic/refunds/{out_refund_no}",
            get(refunds::query),
        )
        .route("/v3/certificates", get(certificate_api::download))
        .route("/v3/bill/tradebill", get(bills::trade_bill))
        .route("/v3/bill/fundflowbill", get(bills::fund_flow_bill))
        .route("/v3/billdownload/file", get(bills::download))
}

/// The WeChat Pay control API and pages, relative to `/sandbox`.
pub fn control_routes() -> Router<Arc<Sandbox>> {
    control::routes()
        .route("/pay/h5", get(h5::cashier).post(h5::pay))
        .route(crate::PAY_SCAN_PATH, get(scan::scan_page).post(scan::pay))
        .route("/pay/qr", get(scan::qr_page))
        .route("/pay/jsapi/check", post(jsapi::check))
        .route("/pay/jsapi/confirm", post(jsapi::confirm))
}
