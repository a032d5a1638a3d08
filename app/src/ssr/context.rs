//! What every route handler and server function can reach: the settings, the database and the WeChat client.

use std::sync::Arc;

use url::Url;

use super::config::{ConfiguredApp, PaySettings, Settings};
use super::db::{new_id, Database};
use super::push::PushInbox;
use super::shared_tokens::DatabaseTokenStore;
use super::shipping::ShippingDesk;
use wechat::api::{ApiClient, WeChatError};
use wechat::pay::client::{PayClient, PayClientConfig};
use wechat::token::{ServerToken, Shared, TokenEndpoint};
use wechat::AppCredentials;

/// One WeChat app wxgate acts for, with its server token.
#[derive(Debug)]
pub struct WeChatApp {
    pub credentials: AppCredentials,
    pub token: ServerToken,
}

/// The WeChat client as configured: one API host, the OAuth host, and the apps that are switched on.
#[derive(Debug)]
pub struct WeChat {
    pub api: ApiClient,
    pub open_base: Url,
    pub mini_program: Option<WeChatApp>,
    pub official_account: Option<WeChatApp>,
    pub website: Option<AppCredentials>,
    /// WeChat Pay, when a merchant is configured.
    pub pay: Option<Arc<PayClient>>,
}

impl WeChat {
    /// Builds the client; server tokens are shared with other processes through the database.
    pub fn new(settings: &Settings, db: &Database) -> Result<WeChat, WeChatError> {
        let api = ApiClient::with_timeout(
            settings.wechat.endpoints.api.clone(),
            settings.wechat.timeout,
        )?;
        let shared = Shared {
            store: Arc::new(DatabaseTokenStore::new(db.clone())),
            holder: new_id(),
        };
        let app = |configured: &Option<ConfiguredApp>| {
            configured
                .as_ref()
                .map(|ConfiguredApp { credentials, .. }| WeChatApp {
                    credentials: credentials.clone(),
                    token: ServerToken::new(
                        api.clone(),
                        credentials.clone(),
                        TokenEndpoint::Stable,
                        Some(shared.clone()),
                    ),
                })
        };
        let pay = settings
            .pay
            .as_ref()
            .map(|pay| pay_client(settings, pay))
            .transpose()?;
        Ok(WeChat {
            pay,
            mini_program: app(&settings.wechat.mini_program),
            official_account: app(&settings.wechat.official_account),
            website: settings
                .wechat
                .website
                .as_ref()
                .map(|website| website.credentials.clone()),
            open_base: settings.wechat.endpoints.open.clone(),
            api,
        })
    }
}

/// The WeChat Pay client for the configured merchant.
fn pay_client(settings: &Settings, pay: &PaySettings) -> Result<Arc<PayClient>, WeChatError> {
    let client = PayClient::new(PayClientConfig {
        base: settings.wechat.endpoints.pay.clone(),
        mch_id: pay.mch_id.to_string(),
        cert_serial: pay.cert_serial.clone(),
        signer: pay.merchant_signer.clone(),
        api_v3_key: pay.api_v3_key.clone(),
        public_key: pay
            .verification
            .public_key
            .as_ref()
            .map(|key| (key.id.clone(), key.key.clone())),
        platform_certificate: pay.verification.platform_certificate.clone(),
    })
    .map_err(|error| WeChatError::Network(error.to_string()))?;
    Ok(Arc::new(client))
}

/// Shared, cheap to clone; provided to server functions through Leptos context and to routes as Axum state.
#[derive(Debug, Clone)]
pub struct AppContext {
    pub settings: Arc<Settings>,
    pub db: Database,
    pub wechat: Arc<WeChat>,
    /// The shipping job's nudge and WeChat's express companies.
    pub shipping: Arc<ShippingDesk>,
    /// The nudge of the job that applies WeChat's pushed messages.
    pub push: Arc<PushInbox>,
}

impl AppContext {
    pub fn new(settings: Settings, db: Database) -> Result<AppContext, WeChatError> {
        let wechat = WeChat::new(&settings, &db)?;
        Ok(AppContext {
            settings: Arc::new(settings),
            db,
            wechat: Arc::new(wechat),
            shipping: Arc::new(ShippingDesk::default()),
            push: Arc::new(PushInbox::default()),
        })
    }
}
