//! WeChat Pay API v3 merchant settings: ids, keys, the way responses are verified, and the notify URL.

use rsa::RsaPublicKey;
use secrecy::SecretString;
use url::Url;

use super::pem::{parse_certificate, parse_private_key, parse_public_key, read_pem};
use super::wechat_settings::WeChatSettings;
use super::{Problems, Vars};
use wechat::ids::{AppId, MchId};
use wechat::pay::certificate::PlatformCertificate;
use wechat::pay::sign::MerchantSigner;

/// The APIv3 key is 32 bytes, as set in the merchant platform.
const API_V3_KEY_LEN: usize = 32;
/// WeChat Pay public key ids carry this prefix.
const PUBLIC_KEY_ID_PREFIX: &str = "PUB_KEY_ID_";

/// The variables whose presence turns WeChat Pay on.
const PAY_SWITCHES: [&str; 5] = [
    "WECHAT_PAY_MCH_ID",
    "WECHAT_PAY_API_V3_KEY",
    "WECHAT_PAY_PRIVATE_KEY",
    "WECHAT_PAY_CERT_SERIAL",
    "WECHAT_PAY_NOTIFY_URL",
];

/// The WeChat Pay public key and its id (`PUB_KEY_ID_…`), the newer way to verify WeChat's signatures.
#[derive(Debug, Clone)]
pub struct WeChatPayPublicKey {
    pub id: String,
    pub key: RsaPublicKey,
}

/// How wxgate checks WeChat Pay's signatures; both kinds may be set at once during a migration.
#[derive(Debug, Clone, Default)]
pub struct Verification {
    pub public_key: Option<WeChatPayPublicKey>,
    /// A platform certificate given up front, parsed at start-up; without one, certificates are downloaded from
    /// `/v3/certificates`.
    pub platform_certificate: Option<PlatformCertificate>,
}

/// Everything wxgate needs to call WeChat Pay API v3 for one merchant.
#[derive(Debug, Clone)]
pub struct PaySettings {
    pub mch_id: MchId,
    /// The appid orders are made for; JSAPI requires the appid the buyer's openid belongs to.
    pub app_id: AppId,
    pub api_v3_key: SecretString,
    /// The merchant's private key (apiclient_key.pem), parsed into its signer; never printed.
    pub merchant_signer: MerchantSigner,
    /// The merchant certificate's serial number, uppercase hex.
    pub cert_serial: String,
    pub verification: Verification,
    pub notify_url: Url,
}

impl PaySettings {
    /// Reads the merchant settings; `None` when WeChat Pay is not configured at all.
    pub(super) fn read(
        vars: &Vars,
        wechat: &WeChatSettings,
        problems: &mut Problems,
    ) -> Option<PaySettings> {
        let switched_on_by = PAY_SWITCHES.iter().find(|name| vars.get(name).is_some())?;
        let before = problems.len();
        let mut required = |name: &str| {
            let value = vars.get(name);
            if value.is_none() {
                problems.push(
                    name,
                    format!("is required when WeChat Pay is configured ({switched_on_by} is set)"),
                );
            }
            value
        };
        let mch_id = required("WECHAT_PAY_MCH_ID");
        let api_v3_key = required("WECHAT_PAY_API_V3_KEY");
        let private_key = required("WECHAT_PAY_PRIVATE_KEY");
        let cert_serial = required("WECHAT_PAY_CERT_SERIAL");
        let notify_url = required("WECHAT_PAY_NOTIFY_URL");

        let mch_id =
            mch_id.and_then(|value| keep(problems, "WECHAT_PAY_MCH_ID", MchId::parse(value)));
        let api_v3_key = api_v3_key
            .and_then(|value| keep(problems, "WECHAT_PAY_API_V3_KEY", check_api_v3_key(value)));
        let merchant_signer = private_key.and_then(|value| {
            let signer = read_pem(value).and_then(|pem| parse_private_key(&pem));
            keep(problems, "WECHAT_PAY_PRIVATE_KEY", signer)
        });
        let cert_serial = cert_serial
            .and_then(|value| keep(problems, "WECHAT_PAY_CERT_SERIAL", check_serial(value)));
        let notify_url = notify_url.and_then(|value| {
            let url = check_notify_url(value, wechat.endpoints.pay_is_live());
            keep(problems, "WECHAT_PAY_NOTIFY_URL", url)
        });
        let app_id = pay_app_id(vars, wechat, problems);
        let verification = verification(vars, problems);

        if problems.len() > before {
            return None;
        }
        Some(PaySettings {
            mch_id: mch_id?,
            app_id: app_id?,
            api_v3_key: api_v3_key?,
            merchant_signer: merchant_signer?,
            cert_serial: cert_serial?,
            verification,
            notify_url: notify_url?,
        })
    }
}

/// Records the error of `result`, if any, against `var`.
fn keep<T>(problems: &mut Problems, var: &str, result: Result<T, String>) -> Option<T> {
    result.map_err(|why| problems.push(var, why)).ok()
}

fn check_api_v3_key(value: &str) -> Result<SecretString, String> {
    match value.len() {
        API_V3_KEY_LEN => Ok(SecretString::from(value.to_owned())),
        len => Err(format!(
            "must be exactly {API_V3_KEY_LEN} bytes (it has {len}); copy the APIv3 key from the merchant platform"
        )),
    }
}

fn check_serial(value: &str) -> Result<String, String> {
    if value.chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(value.to_ascii_uppercase())
    } else {
        Err("must be the merchant certificate's serial number in hex".to_owned())
    }
}

fn check_notify_url(value: &str, live: bool) -> Result<Url, String> {
    let url = Url::parse(value).map_err(|_| "must be an absolute URL".to_owned())?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err("must be an http(s) URL".to_owned());
    }
    if live && url.scheme() != "https" {
        return Err("must be https: WeChat Pay only notifies https URLs".to_owned());
    }
    if url.query().is_some() {
        return Err("must not carry a query string: WeChat Pay drops it".to_owned());
    }
    Ok(url)
}

/// The appid used for payments: `WECHAT_PAY_APP_ID`, or the appid JSAPI payments are made for.
/// JSAPI requires the appid the buyer's openid belongs to, so a different one is a mistake.
fn pay_app_id(vars: &Vars, wechat: &WeChatSettings, problems: &mut Problems) -> Option<AppId> {
    let jsapi_apps: Vec<_> = [&wechat.official_account, &wechat.mini_program]
        .into_iter()
        .flatten()
        .collect();
    let Some(value) = vars.get("WECHAT_PAY_APP_ID") else {
        return match jsapi_apps.first() {
            Some(app) => Some(app.credentials.appid.clone()),
            None => {
                problems.push(
                    "WECHAT_PAY_APP_ID",
                    "is required when WeChat Pay is configured without WECHAT_APPID",
                );
                None
            }
        };
    };
    let app_id = keep(problems, "WECHAT_PAY_APP_ID", AppId::parse(value))?;
    if jsapi_apps.is_empty() || jsapi_apps.iter().any(|app| app.credentials.appid == app_id) {
        return Some(app_id);
    }
    let expected = jsapi_apps
        .iter()
        .map(|app| format!("{}={}", app.source, app.credentials.appid))
        .collect::<Vec<_>>()
        .join(" or ");
    problems.push(
        "WECHAT_PAY_APP_ID",
        format!(
            "is {app_id}, but JSAPI payments are made for {expected}; \
             WeChat Pay rejects a JSAPI order whose appid is not the buyer's app"
        ),
    );
    None
}

fn verification(vars: &Vars, problems: &mut Problems) -> Verification {
    let public_key = match (
        vars.get("WECHAT_PAY_PUBLIC_KEY"),
        vars.get("WECHAT_PAY_PUBLIC_KEY_ID"),
    ) {
        (None, None) => None,
        (Some(_), None) => {
            problems.push(
                "WECHAT_PAY_PUBLIC_KEY_ID",
                "is required when WECHAT_PAY_PUBLIC_KEY is set",
            );
            None
        }
        (None, Some(_)) => {
            problems.push(
                "WECHAT_PAY_PUBLIC_KEY",
                "is required when WECHAT_PAY_PUBLIC_KEY_ID is set",
            );
            None
        }
        (Some(pem), Some(id)) => {
            if !id.starts_with(PUBLIC_KEY_ID_PREFIX) {
                problems.push(
                    "WECHAT_PAY_PUBLIC_KEY_ID",
                    format!("must start with {PUBLIC_KEY_ID_PREFIX}"),
                );
            }
            let key = read_pem(pem).and_then(|pem| parse_public_key(&pem));
            keep(problems, "WECHAT_PAY_PUBLIC_KEY", key).map(|key| WeChatPayPublicKey {
                id: id.to_owned(),
                key,
            })
        }
    };
    let platform_certificate = vars.get("WECHAT_PAY_PLATFORM_CERT").and_then(|value| {
        let certificate = read_pem(value)
            .and_then(|pem| parse_certificate(&pem))
            .and_then(|der| {
                PlatformCertificate::from_der(&der)
                    .map_err(|error| format!("is not a usable platform certificate: {error}"))
            });
        keep(problems, "WECHAT_PAY_PLATFORM_CERT", certificate)
    });
    Verification {
        public_key,
        platform_certificate,
    }
}
