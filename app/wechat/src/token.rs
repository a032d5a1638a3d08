//! The server access token (for tickets and the phone API) and the jsapi_ticket: fetched once, cached, renewed
//! five minutes before expiry by exactly one caller in the process (the lock is held while fetching) and, with a
//! shared [`TokenStore`], by exactly one process (a lease), and on 40001/40014/42001 dropped and retried once,
//! never in a loop.
//!
//! Docs: <https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/getStableAccessToken.html>,
//! <https://developers.weixin.qq.com/doc/offiaccount/Basic_Information/Get_access_token.html>,
//! <https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html#62> (jsapi_ticket).

use std::future::Future;
use std::sync::Arc;
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::api::{ApiClient, WeChatError};
use super::clock::now;
use crate::credentials::AppCredentials;
use crate::metrics;

/// Renew this long before WeChat's expiry, so a token is never used in its last minutes.
const RENEW_MARGIN: Duration = Duration::from_secs(5 * 60);
/// How long a process may hold the refresh lease before another may take it over.
const LEASE: Duration = Duration::from_secs(30);
/// How often a process waiting on another's refresh looks again, and for how long in all.
const LEASE_POLL: Duration = Duration::from_millis(200);
const LEASE_WAIT: Duration = Duration::from_secs(10);
/// The kinds of token, in the shared store's keys (`{appid}:{kind}`) and the metrics.
const ACCESS_TOKEN: &str = "access_token";
const JSAPI_TICKET: &str = "jsapi_ticket";

/// A token or ticket as shared between processes; `expires_at` in Unix seconds.
#[derive(Debug, Clone)]
pub struct SharedToken {
    pub value: SecretString,
    pub expires_at: i64,
}

/// Where several wxgate processes share tokens and take turns refreshing them (implemented over the database).
#[async_trait::async_trait]
pub trait TokenStore: Send + Sync + std::fmt::Debug {
    /// The token shared under `key`, if any.
    async fn load(&self, key: &str) -> Result<Option<SharedToken>, String>;
    /// Takes the refresh lease of `key` for `holder` until `until` unless another holder's lease runs past `now`.
    async fn try_lease(
        &self,
        key: &str,
        holder: &str,
        now: i64,
        until: i64,
    ) -> Result<bool, String>;
    /// Shares a freshly fetched token and gives the lease back.
    async fn save(&self, key: &str, token: &SharedToken, holder: &str) -> Result<(), String>;
}

/// The store shared by processes, and this process's name in its leases.
#[derive(Debug, Clone)]
pub struct Shared {
    pub store: Arc<dyn TokenStore>,
    pub holder: String,
}

/// Which WeChat endpoint hands out the token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenEndpoint {
    /// `POST /cgi-bin/stable_token`: several instances asking do not invalidate each other (the default).
    Stable,
    /// `GET /cgi-bin/token`: every call invalidates the previous token after five minutes.
    Classic,
}

#[derive(Debug)]
struct Cached {
    value: SecretString,
    renew_at: Instant,
}

/// A value with an expiry, fetched by one caller at a time.
#[derive(Debug, Default)]
struct ExpiringCache {
    cached: Mutex<Option<Cached>>,
}

impl ExpiringCache {
    async fn get<F, Fut>(&self, fetch: F) -> Result<SecretString, WeChatError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, i64), WeChatError>>,
    {
        let mut cached = self.cached.lock().await;
        if let Some(entry) = cached
            .as_ref()
            .filter(|entry| Instant::now() < entry.renew_at)
        {
            return Ok(entry.value.clone());
        }
        let (value, expires_in) = fetch().await?;
        let lifetime = Duration::from_secs(u64::try_from(expires_in).unwrap_or(0));
        let value = SecretString::from(value);
        *cached = Some(Cached {
            value: value.clone(),
            renew_at: Instant::now() + lifetime.saturating_sub(RENEW_MARGIN),
        });
        Ok(value)
    }

    /// Drops the cached value if it is still `stale` (another caller may have renewed it already).
    async fn drop_if(&self, stale: &SecretString) {
        let mut cached = self.cached.lock().await;
        if cached
            .as_ref()
            .is_some_and(|entry| entry.value.expose_secret() == stale.expose_secret())
        {
            *cached = None;
        }
    }
}

#[derive(Deserialize)]
struct TokenAnswer {
    access_token: String,
    expires_in: i64,
}

#[derive(Serialize)]
struct StableTokenRequest<'a> {
    grant_type: &'static str,
    appid: &'a str,
    secret: &'a str,
    force_refresh: bool,
}

#[derive(Deserialize)]
struct TicketAnswer {
    ticket: String,
    expires_in: i64,
}

/// One app's server access token and jsapi_ticket.
#[derive(Debug)]
pub struct ServerToken {
    api: ApiClient,
    app: AppCredentials,
    endpoint: TokenEndpoint,
    shared: Option<Shared>,
    token: ExpiringCache,
    ticket: ExpiringCache,
}

impl ServerToken {
    /// `shared`: the store other processes use too, or `None` for a process of its own.
    pub fn new(
        api: ApiClient,
        app: AppCredentials,
        endpoint: TokenEndpoint,
        shared: Option<Shared>,
    ) -> ServerToken {
        ServerToken {
            api,
            app,
            endpoint,
            shared,
            token: ExpiringCache::default(),
            ticket: ExpiringCache::default(),
        }
    }

    /// The current access token, fetched if there is none or it is about to expire.
    pub async fn access_token(&self) -> Result<SecretString, WeChatError> {
        self.token
            .get(|| self.renew(ACCESS_TOKEN, None, || self.fetch_token()))
            .await
    }

    /// Runs `call` with the access token; if WeChat says the token is stale, fetches a new one and runs it once more.
    pub async fn with_access_token<T, F, Fut>(&self, call: F) -> Result<T, WeChatError>
    where
        F: Fn(SecretString) -> Fut,
        Fut: Future<Output = Result<T, WeChatError>>,
    {
        let token = self.access_token().await?;
        match call(token.clone()).await {
            Err(error) if error.is_stale_token() => {
                self.token.drop_if(&token).await;
                let fresh = self
                    .token
                    .get(|| {
                        self.renew(ACCESS_TOKEN, Some(token.expose_secret()), || {
                            self.fetch_token()
                        })
                    })
                    .await?;
                call(fresh).await
            }
            other => other,
        }
    }

    /// The current jsapi_ticket, for signing `wx.config`.
    pub async fn jsapi_ticket(&self) -> Result<SecretString, WeChatError> {
        self.ticket
            .get(|| {
                self.renew(JSAPI_TICKET, None, || async {
                    let answer: TicketAnswer = self
                        .with_access_token(|token| async move {
                            self.api
                                .get(
                                    "/cgi-bin/ticket/getticket",
                                    &[("access_token", token.expose_secret()), ("type", "jsapi")],
                                )
                                .await
                        })
                        .await?;
                    Ok((answer.ticket, answer.expires_in))
                })
            })
            .await
    }

    /// Renews the `kind` of token (see [`Self::through_store`]) and counts the renewal by its outcome.
    async fn renew<F, Fut>(
        &self,
        kind: &'static str,
        stale: Option<&str>,
        fetch: F,
    ) -> Result<(String, i64), WeChatError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, i64), WeChatError>>,
    {
        let key = format!("{}:{kind}", self.app.appid);
        let renewed = self.through_store(key, stale, fetch).await;
        let outcome = renewed
            .as_ref()
            .map_or_else(WeChatError::outcome, |_| "ok".into());
        metrics::token_refresh(self.app.appid.as_str(), kind, outcome);
        renewed
    }

    /// Fetches through the shared store: a still-fresh shared value is used; otherwise the process that takes the
    /// lease fetches and shares, and the others wait for it (bounded, then fetch themselves). `stale` is a value
    /// WeChat refused, never taken from the store again.
    async fn through_store<F, Fut>(
        &self,
        key: String,
        stale: Option<&str>,
        fetch: F,
    ) -> Result<(String, i64), WeChatError>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<(String, i64), WeChatError>>,
    {
        let Some(shared) = &self.shared else {
            return fetch().await;
        };
        let fresh = |token: Option<SharedToken>| {
            token.and_then(|token| {
                let remaining = token.expires_at - now();
                let usable = remaining > i64::try_from(RENEW_MARGIN.as_secs()).unwrap_or(i64::MAX)
                    && Some(token.value.expose_secret()) != stale;
                usable.then(|| (token.value.expose_secret().to_owned(), remaining))
            })
        };
        let store_error = |error: String| WeChatError::Network(format!("token store: {error}"));
        if let Some(found) = fresh(shared.store.load(&key).await.map_err(store_error)?) {
            return Ok(found);
        }
        let lease_until = now() + i64::try_from(LEASE.as_secs()).unwrap_or(i64::MAX);
        if !shared
            .store
            .try_lease(&key, &shared.holder, now(), lease_until)
            .await
            .map_err(store_error)?
        {
            let deadline = Instant::now() + LEASE_WAIT;
            while Instant::now() < deadline {
                tokio::time::sleep(LEASE_POLL).await;
                if let Some(found) = fresh(shared.store.load(&key).await.map_err(store_error)?) {
                    return Ok(found);
                }
            }
            tracing::warn!(
                key,
                "another process held the token lease too long; fetching here"
            );
        } else if let Some(token) = shared.store.load(&key).await.map_err(store_error)? {
            // Another process may have shared a token between our first look and taking the lease: use it, and give
            // the lease back (saving it again releases the lease).
            if let Some(found) = fresh(Some(token.clone())) {
                shared
                    .store
                    .save(&key, &token, &shared.holder)
                    .await
                    .map_err(store_error)?;
                return Ok(found);
            }
        }
        let (value, expires_in) = fetch().await?;
        let token = SharedToken {
            value: SecretString::from(value.clone()),
            expires_at: now() + expires_in,
        };
        shared
            .store
            .save(&key, &token, &shared.holder)
            .await
            .map_err(store_error)?;
        Ok((value, expires_in))
    }

    async fn fetch_token(&self) -> Result<(String, i64), WeChatError> {
        let answer: TokenAnswer = match self.endpoint {
            TokenEndpoint::Stable => {
                let request = StableTokenRequest {
                    grant_type: "client_credential",
                    appid: self.app.appid.as_str(),
                    secret: self.app.secret.expose_secret(),
                    force_refresh: false,
                };
                self.api
                    .post("/cgi-bin/stable_token", &[], &request)
                    .await?
            }
            TokenEndpoint::Classic => {
                self.api
                    .get(
                        "/cgi-bin/token",
                        &[
                            ("grant_type", "client_credential"),
                            ("appid", self.app.appid.as_str()),
                            ("secret", self.app.secret.expose_secret()),
                        ],
                    )
                    .await?
            }
        };
        Ok((answer.access_token, answer.expires_in))
    }
}
