//! What every route handler and server function can reach: the settings, the database and the WeChat client.

use std::sync::Arc;

use url::Url;

use super::config::{AppCredentials, Settings};
use super::db::{new_id, Database};
use super::shared_tokens::DatabaseTokenStore;
use super::wechat::api::{ApiClient, ApiError};
use super::wechat::token::{ServerToken, Shared, TokenEndpoint};

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
}

impl WeChat {
    /// Builds the client; server tokens are shared with other processes through the database.
    pub fn new(settings: &Settings, db: &Database) -> Result<WeChat, ApiError> {
        let api = ApiClient::with_timeout(
            settings.wechat.endpoints.api.clone(),
            settings.wechat.timeout,
        )?;
        let shared = Shared {
            store: Arc::new(DatabaseTokenStore::new(db.clone())),
            holder: new_id(),
        };
        let app = |credentials: &Option<AppCredentials>| {
            credentials.as_ref().map(|credentials| WeChatApp {
                credentials: credentials.clone(),
                token: ServerToken::new(
                    api.clone(),
                    credentials.clone(),
                    TokenEndpoint::Stable,
                    Some(shared.clone()),
                ),
            })
        };
        Ok(WeChat {
            mini_program: app(&settings.wechat.mini_program),
            official_account: app(&settings.wechat.official_account),
            website: settings.wechat.website.clone(),
            open_base: settings.wechat.endpoints.open.clone(),
            api,
        })
    }
}

/// Shared, cheap to clone; provided to server functions through Leptos context and to routes as Axum state.
#[derive(Debug, Clone)]
pub struct AppContext {
    pub settings: Arc<Settings>,
    pub db: Database,
    pub wechat: Arc<WeChat>,
}

impl AppContext {
    pub fn new(settings: Settings, db: Database) -> Result<AppContext, ApiError> {
        let wechat = WeChat::new(&settings, &db)?;
        Ok(AppContext {
            settings: Arc::new(settings),
            db,
            wechat: Arc::new(wechat),
        })
    }
}
