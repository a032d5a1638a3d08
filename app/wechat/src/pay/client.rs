//! The WeChat Pay API v3 transport: signs each request, validates each answer over its raw bytes, maps WeChat's
//! errors, refreshes platform certificates on an unknown serial, and retries only what is safe to retry.
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012081606> (rules), <https://pay.weixin.qq.com/doc/v3/merchant/4012075249> (errors).

use std::time::{Duration, Instant};

use rand::distributions::{Alphanumeric, DistString};
use reqwest::header::{HeaderMap, HeaderValue, ACCEPT, AUTHORIZATION, CONTENT_TYPE, USER_AGENT};
use reqwest::Method;
use secrecy::{ExposeSecret, SecretString};
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::sync::Mutex;
use url::Url;

pub use crate::clock::now;

use super::certificate::PlatformCertificate;
use super::certificates;
use super::credential::Credential;
use super::error::{ErrorBody, PayError};
use super::sign::{MerchantSigner, SignError};
use super::validate::{validate, SignatureHeaders, ValidationError, SERIAL_HEADER};
use super::verify::{KeyRing, VerifyError};
use crate::failure;
use crate::metrics;

/// How long one attempt may take.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(10);
/// Attempts per call, the first included.
const MAX_ATTEMPTS: u32 = 3;
/// The first retry waits this long; each next one twice as long.
const FIRST_BACKOFF: Duration = Duration::from_millis(200);
/// The longest one call can take: every attempt timing out, with the waits between them.
pub const CALL_BUDGET: Duration = REQUEST_TIMEOUT
    .saturating_mul(MAX_ATTEMPTS)
    .saturating_add(FIRST_BACKOFF.saturating_mul((1 << (MAX_ATTEMPTS - 1)) - 1));
/// Certificates are downloaded at most this often because of unknown serials (WeChat rate-limits the endpoint).
const CERTIFICATE_REFRESH_INTERVAL: Duration = Duration::from_secs(60);

/// What the client needs to act for one merchant.
pub struct PayClientConfig {
    /// `https://api.mch.weixin.qq.com`, or the sandbox.
    pub base: Url,
    pub mch_id: String,
    /// The merchant certificate's serial number.
    pub cert_serial: String,
    pub signer: MerchantSigner,
    pub api_v3_key: SecretString,
    /// The WeChat Pay public key and its id: when set, every request asks WeChat to sign with it.
    pub public_key: Option<(String, rsa::RsaPublicKey)>,
    /// A platform certificate known up front; others are downloaded.
    pub platform_certificate: Option<PlatformCertificate>,
}

/// A verified success answer: its exact body bytes.
#[derive(Debug, Clone)]
pub struct Answer {
    pub body: Vec<u8>,
    pub request_id: String,
}

/// One merchant's WeChat Pay client. Share it behind an `Arc`.
pub struct PayClient {
    http: reqwest::Client,
    base: Url,
    credential: Credential,
    keys: KeyRing,
    api_v3_key: SecretString,
    public_key_id: Option<String>,
    /// When certificates were last downloaded; the lock also makes concurrent refreshes wait for one download.
    last_certificate_download: Mutex<Option<Instant>>,
}

impl std::fmt::Debug for PayClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PayClient")
            .field("base", &self.base.as_str())
            .field("mch_id", &self.credential.mch_id)
            .field("keys", &self.keys.serials())
            .finish_non_exhaustive()
    }
}

impl PayClient {
    pub fn new(config: PayClientConfig) -> Result<PayClient, PayError> {
        let keys = KeyRing::default();
        let public_key_id = config.public_key.as_ref().map(|(id, _)| id.clone());
        if let Some((id, key)) = config.public_key {
            keys.add_public_key(&id, key);
        }
        if let Some(certificate) = config.platform_certificate {
            keys.add_certificate(certificate);
        }
        let http = reqwest::Client::builder()
            .timeout(REQUEST_TIMEOUT)
            .build()
            .map_err(|error| PayError::Network(failure::http(error)))?;
        Ok(PayClient {
            http,
            base: config.base,
            credential: Credential {
                mch_id: config.mch_id,
                cert_serial: config.cert_serial,
                signer: config.signer,
            },
            keys,
            api_v3_key: config.api_v3_key,
            public_key_id,
            last_certificate_download: Mutex::new(None),
        })
    }

    pub fn mch_id(&self) -> &str {
        &self.credential.mch_id
    }

    /// The verifying keys, e.g. to validate notifications with the same keys as answers.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    pub fn api_v3_key(&self) -> &[u8] {
        self.api_v3_key.expose_secret().as_bytes()
    }

    /// Downloads the platform certificates because a message named a serial not yet known, at most once a
    /// minute (WeChat Pay rate-limits the endpoint); concurrent callers wait for one download.
    pub async fn refresh_certificates_for_unknown_serial(&self) -> Result<usize, PayError> {
        self.refresh_certificates_older_than(CERTIFICATE_REFRESH_INTERVAL)
            .await
    }

    /// Signs `message` with the merchant key (for paySign and the like).
    pub fn sign(&self, message: &[u8]) -> Result<String, SignError> {
        self.credential.signer.sign(message)
    }

    /// GET, answer parsed as JSON.
    pub async fn get_json<T: DeserializeOwned>(&self, path_and_query: &str) -> Result<T, PayError> {
        let answer = self.call(Method::GET, path_and_query, None).await?;
        parse(&answer)
    }

    /// POST a JSON body, answer parsed as JSON.
    pub async fn post_json<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, PayError> {
        let body = serde_json::to_vec(body).map_err(|error| PayError::Decode(error.to_string()))?;
        let answer = self.call(Method::POST, path, Some(body)).await?;
        parse(&answer)
    }

    /// POST a JSON body whose answer is `204 No Content`.
    pub async fn post_no_content<B: Serialize>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<(), PayError> {
        let body = serde_json::to_vec(body).map_err(|error| PayError::Decode(error.to_string()))?;
        self.call(Method::POST, path, Some(body)).await.map(|_| ())
    }

    /// Downloads the platform certificates and adds them to the key ring, after checking that the list itself is
    /// signed by one of them (or by a key already known). Returns how many there are.
    pub async fn refresh_certificates(&self) -> Result<usize, PayError> {
        self.refresh_certificates_older_than(Duration::ZERO).await
    }

    /// Downloads the certificates unless the last download is more recent than `interval`; concurrent callers wait
    /// for one download.
    async fn refresh_certificates_older_than(&self, interval: Duration) -> Result<usize, PayError> {
        let mut last = self.last_certificate_download.lock().await;
        if interval > Duration::ZERO && last.is_some_and(|at| at.elapsed() < interval) {
            return Ok(0);
        }
        let answer = self.send(Method::GET, certificates::PATH, None).await?;
        *last = Some(Instant::now());
        let downloaded = certificates::decrypt_certificate_list(&answer.body, self.api_v3_key())?;
        let candidates = KeyRing::default();
        for certificate in &downloaded {
            candidates.add_certificate(certificate.clone());
        }
        let headers = SignatureHeaders::from_headers(&answer.headers).map_err(|source| {
            PayError::Unverified {
                source,
                request_id: answer.request_id.clone(),
            }
        })?;
        let signed_by_new = validate(&candidates, &headers, &answer.body, now());
        let signed_by_known = validate(&self.keys, &headers, &answer.body, now());
        if let (Err(source), Err(_)) = (signed_by_new, signed_by_known) {
            return Err(PayError::Unverified {
                source,
                request_id: answer.request_id,
            });
        }
        let count = downloaded.len();
        for certificate in downloaded {
            self.keys.add_certificate(certificate);
        }
        Ok(count)
    }

    /// One call with WeChat's retry rules: SYSTEM_ERROR, 429, 5xx and network failures again with the same
    /// parameters (every call wxgate makes is a read or a write WeChat de-duplicates by our id: out_trade_no,
    /// out_refund_no); a bounded number of attempts with doubling waits.
    pub async fn call(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<Vec<u8>>,
    ) -> Result<Answer, PayError> {
        let mut backoff = FIRST_BACKOFF;
        let mut attempt = 1;
        loop {
            let outcome = match self
                .send(method.clone(), path_and_query, body.as_deref())
                .await
            {
                Ok(raw) => self.verify(raw).await,
                Err(error) => Err(error),
            };
            let retry = matches!(&outcome, Err(error) if error.is_retryable());
            if !retry || attempt >= MAX_ATTEMPTS {
                return outcome;
            }
            tracing::warn!(
                attempt,
                path = path_and_query,
                "WeChat Pay call failed; retrying with the same parameters"
            );
            tokio::time::sleep(backoff).await;
            backoff *= 2;
            attempt += 1;
        }
    }

    /// Downloads a file WeChat Pay pointed to (a bill's `download_url`). Such files are not signed: the caller checks
    /// the digest WeChat gave with the link. The URL must be on the configured base's origin (its exact scheme, host
    /// and port, with no user name or password), so the merchant's signed credential is never sent elsewhere. The URL carries a download token in its query,
    /// so no error names it.
    pub async fn download(&self, url: &str) -> Result<Vec<u8>, PayError> {
        let url = Url::parse(url)
            .map_err(|_| PayError::Decode("the bill's download_url is not a URL".to_owned()))?;
        if !on_origin_of(&url, &self.base) {
            return Err(PayError::Decode(format!(
                "the bill's download_url is not on {}",
                self.base.origin().ascii_serialization()
            )));
        }
        Ok(self.send_to(Method::GET, url, None).await?.body)
    }

    /// One signed HTTP exchange; error statuses become `PayError`, success answers come back unverified.
    async fn send(
        &self,
        method: Method,
        path_and_query: &str,
        body: Option<&[u8]>,
    ) -> Result<RawAnswer, PayError> {
        self.send_to(method, self.url(path_and_query)?, body).await
    }

    /// One exchange with `url` (under the base), counted and timed under its path below the base.
    async fn send_to(
        &self,
        method: Method,
        url: Url,
        body: Option<&[u8]>,
    ) -> Result<RawAnswer, PayError> {
        let base_path = self.base.path().trim_end_matches('/');
        let path = url
            .path()
            .strip_prefix(base_path)
            .unwrap_or(url.path())
            .to_owned();
        let started = Instant::now();
        let answer = self.exchange(method, url, body).await;
        let outcome = answer
            .as_ref()
            .map_or_else(PayError::outcome, |_| "ok".into());
        metrics::wechat_call(metrics::WECHAT_PAY, &path, outcome, started.elapsed());
        answer
    }

    async fn exchange(
        &self,
        method: Method,
        url: Url,
        body: Option<&[u8]>,
    ) -> Result<RawAnswer, PayError> {
        let signed_path = &url[url::Position::BeforePath..];
        let timestamp = now();
        let nonce = Alphanumeric
            .sample_string(&mut rand::thread_rng(), 32)
            .to_ascii_uppercase();
        let body = body.unwrap_or_default();
        let authorization =
            self.credential
                .authorization(method.as_str(), signed_path, body, timestamp, &nonce)?;

        let mut request = self
            .http
            .request(method, url.as_str())
            .header(AUTHORIZATION, authorization)
            .header(ACCEPT, "application/json")
            .header(CONTENT_TYPE, "application/json")
            .header(USER_AGENT, concat!("wxgate/", env!("CARGO_PKG_VERSION")));
        if let Some(id) = &self.public_key_id {
            request = request.header(SERIAL_HEADER, id);
        }
        if !body.is_empty() {
            request = request.body(body.to_vec());
        }
        let response = request
            .send()
            .await
            .map_err(|error| PayError::Network(failure::http(error)))?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let request_id = header(&headers, "Request-ID").unwrap_or_default();
        let body = response
            .bytes()
            .await
            .map_err(|error| PayError::Network(failure::http(error)))?
            .to_vec();
        if (200..300).contains(&status) {
            return Ok(RawAnswer {
                headers,
                body,
                request_id,
            });
        }
        // Error answers may come without signature headers: WeChat's own code and message are what matter.
        Err(match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(error) => PayError::Api {
                status,
                code: error.code,
                message: error.message,
                detail: error.detail,
                request_id,
            },
            Err(_) => PayError::Status { status, request_id },
        })
    }

    /// Checks a success answer's signature; an unknown serial downloads the certificates once (rate limited).
    async fn verify(&self, raw: RawAnswer) -> Result<Answer, PayError> {
        let unverified = |source| PayError::Unverified {
            source,
            request_id: raw.request_id.clone(),
        };
        let headers = SignatureHeaders::from_headers(&raw.headers).map_err(unverified)?;
        match validate(&self.keys, &headers, &raw.body, now()) {
            Err(ValidationError::Verify(VerifyError::UnknownSerial(_))) => {
                self.refresh_certificates_older_than(CERTIFICATE_REFRESH_INTERVAL)
                    .await?;
                validate(&self.keys, &headers, &raw.body, now()).map_err(unverified)?;
            }
            other => other.map_err(unverified)?,
        }
        Ok(Answer {
            body: raw.body,
            request_id: raw.request_id,
        })
    }

    fn url(&self, path_and_query: &str) -> Result<Url, PayError> {
        let joined = format!(
            "{}{}",
            self.base.as_str().trim_end_matches('/'),
            path_and_query
        );
        Url::parse(&joined).map_err(|error| PayError::Decode(format!("bad URL {joined}: {error}")))
    }
}

/// True when `url` has exactly `base`'s scheme, host and port (the default port of the scheme counts as given) and
/// no user name or password: a parsed comparison, so `https://api.mch.weixin.qq.com.evil.example/`,
/// `https://api.mch.weixin.qq.com@evil.example/`, another port or plain `http` are all elsewhere.
fn on_origin_of(url: &Url, base: &Url) -> bool {
    url.username().is_empty()
        && url.password().is_none()
        && url.origin().is_tuple()
        && url.origin() == base.origin()
}

/// A success answer before its signature is checked.
struct RawAnswer {
    headers: HeaderMap,
    body: Vec<u8>,
    request_id: String,
}

fn header(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|value: &HeaderValue| value.to_str().ok())
        .map(str::to_owned)
}

fn parse<T: DeserializeOwned>(answer: &Answer) -> Result<T, PayError> {
    serde_json::from_slice(&answer.body).map_err(|error| {
        PayError::Decode(format!(
            "{} (Request-ID {})",
            failure::json(&error),
            answer.request_id
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn is_on_wechat_pay(url: &str) -> bool {
        let base = Url::parse("https://api.mch.weixin.qq.com").expect("base");
        on_origin_of(&Url::parse(url).expect("url"), &base)
    }

    #[test]
    fn a_download_url_on_wechat_pay_itself_is_accepted() {
        assert!(is_on_wechat_pay(
            "https://api.mch.weixin.qq.com/v3/billdownload/file?token=abc"
        ));
        assert!(is_on_wechat_pay(
            "https://api.mch.weixin.qq.com:443/v3/billdownload/file?token=abc"
        ));
        assert!(is_on_wechat_pay(
            "HTTPS://API.MCH.WEIXIN.QQ.COM/v3/billdownload/file"
        ));
    }

    #[test]
    fn a_host_that_merely_starts_like_wechat_pay_is_refused() {
        assert!(!is_on_wechat_pay(
            "https://api.mch.weixin.qq.com.evil.example/v3/billdownload/file?token=abc"
        ));
        assert!(!is_on_wechat_pay(
            "https://api.mch.weixin.qq.comevil.example/"
        ));
        assert!(!is_on_wechat_pay(
            "https://evil.example/https://api.mch.weixin.qq.com/"
        ));
    }

    #[test]
    fn another_port_or_scheme_is_refused() {
        assert!(!is_on_wechat_pay(
            "https://api.mch.weixin.qq.com:8443/v3/billdownload/file"
        ));
        assert!(!is_on_wechat_pay(
            "http://api.mch.weixin.qq.com/v3/billdownload/file"
        ));
        assert!(!is_on_wechat_pay(
            "ftp://api.mch.weixin.qq.com/v3/billdownload/file"
        ));
    }

    #[test]
    fn userinfo_tricks_are_refused() {
        assert!(!is_on_wechat_pay(
            "https://api.mch.weixin.qq.com@evil.example/v3/billdownload/file"
        ));
        assert!(!is_on_wechat_pay(
            "https://api.mch.weixin.qq.com:443@evil.example/"
        ));
        assert!(!is_on_wechat_pay(
            "https://user:pass@api.mch.weixin.qq.com/v3/billdownload/file"
        ));
        assert!(!is_on_wechat_pay(
            "https://evil.example#@api.mch.weixin.qq.com/"
        ));
    }

    #[test]
    fn a_sandbox_base_on_loopback_is_matched_by_its_port() {
        let base = Url::parse("http://127.0.0.1:8080/sandbox").expect("base");
        let on = |url: &str| on_origin_of(&Url::parse(url).expect("url"), &base);
        assert!(on(
            "http://127.0.0.1:8080/sandbox/v3/billdownload/file?token=abc"
        ));
        assert!(!on(
            "http://127.0.0.1:8081/sandbox/v3/billdownload/file?token=abc"
        ));
        assert!(!on(
            "http://localhost:8080/sandbox/v3/billdownload/file?token=abc"
        ));
    }
}
