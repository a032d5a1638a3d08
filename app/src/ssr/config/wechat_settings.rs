//! WeChat application credentials and the base URLs of WeChat's servers.

use secrecy::SecretString;
use url::Url;

use super::push::{PushSettings, MINI_PROGRAM_PUSH, OFFICIAL_ACCOUNT_PUSH};
use super::{Problems, Vars};
use wechat::credentials::AppCredentials;
use wechat::ids::AppId;

/// WeChat's real hosts; point these elsewhere for the sandbox, tests or a staging proxy.
pub const DEFAULT_API_BASE: &str = "https://api.weixin.qq.com";
pub const DEFAULT_OPEN_BASE: &str = "https://open.weixin.qq.com";
pub const DEFAULT_PAY_BASE: &str = "https://api.mch.weixin.qq.com";

/// The (appid, secret) variable pairs of each login product, the first set pair winning.
const SHARED_VARS: (&str, &str) = ("WECHAT_APPID", "WECHAT_SECRET");
const MINI_PROGRAM_VARS: &[(&str, &str)] = &[("WECHAT_MP_APPID", "WECHAT_MP_SECRET"), SHARED_VARS];
const OFFICIAL_ACCOUNT_VARS: &[(&str, &str)] =
    &[("WECHAT_OA_APPID", "WECHAT_OA_SECRET"), SHARED_VARS];
const WEBSITE_VARS: &[(&str, &str)] = &[("WECHAT_CLIENT_ID", "WECHAT_CLIENT_SECRET")];

/// Where wxgate finds WeChat's servers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    pub api: Url,
    pub open: Url,
    pub pay: Url,
}

impl Endpoints {
    /// True when payments go to WeChat Pay itself, where notify URLs must be https.
    pub fn pay_is_live(&self) -> bool {
        self.pay.as_str().trim_end_matches('/') == DEFAULT_PAY_BASE
    }
}

/// A login product's credentials with the variable its appid was read from (for messages).
#[derive(Debug, Clone)]
pub struct ConfiguredApp {
    pub credentials: AppCredentials,
    pub source: &'static str,
}

/// The three login products and the hosts they talk to.
#[derive(Debug, Clone)]
pub struct WeChatSettings {
    /// Mini program (`wx.login` → jscode2session).
    pub mini_program: Option<ConfiguredApp>,
    /// Official account OAuth inside the WeChat browser.
    pub official_account: Option<ConfiguredApp>,
    /// Open Platform website app (QR login on desktop browsers).
    pub website: Option<ConfiguredApp>,
    /// The mini program's and the official account's message push (`WECHAT_PUSH_TOKEN`, `WECHAT_PUSH_AES_KEY`).
    pub mini_program_push: Option<PushSettings>,
    pub official_account_push: Option<PushSettings>,
    pub endpoints: Endpoints,
    /// How long a call to WeChat may take (`WECHAT_TIMEOUT_SECONDS`, default 10).
    pub timeout: std::time::Duration,
}

impl WeChatSettings {
    pub(super) fn read(vars: &Vars, problems: &mut Problems) -> WeChatSettings {
        WeChatSettings {
            mini_program: credentials(vars, problems, MINI_PROGRAM_VARS),
            official_account: credentials(vars, problems, OFFICIAL_ACCOUNT_VARS),
            website: credentials(vars, problems, WEBSITE_VARS),
            mini_program_push: PushSettings::read(vars, problems, &MINI_PROGRAM_PUSH),
            official_account_push: PushSettings::read(vars, problems, &OFFICIAL_ACCOUNT_PUSH),
            timeout: timeout(vars, problems),
            endpoints: Endpoints {
                api: base_url(vars, problems, "WECHAT_API_BASE", DEFAULT_API_BASE),
                open: base_url(vars, problems, "WECHAT_OPEN_BASE", DEFAULT_OPEN_BASE),
                pay: base_url(vars, problems, "WECHAT_PAY_BASE", DEFAULT_PAY_BASE),
            },
        }
    }
}

/// The credentials of the first (appid, secret) pair that is set; a half-set pair is a problem.
fn credentials(
    vars: &Vars,
    problems: &mut Problems,
    pairs: &[(&'static str, &'static str)],
) -> Option<ConfiguredApp> {
    for &(appid_var, secret_var) in pairs {
        match (vars.get(appid_var), vars.get(secret_var)) {
            (None, None) => continue,
            (Some(_), None) => {
                problems.push(secret_var, format!("is required when {appid_var} is set"))
            }
            (None, Some(_)) => {
                problems.push(appid_var, format!("is required when {secret_var} is set"))
            }
            (Some(appid), Some(secret)) => match AppId::parse(appid) {
                Ok(appid) => {
                    return Some(ConfiguredApp {
                        credentials: AppCredentials {
                            appid,
                            secret: SecretString::from(secret.to_owned()),
                        },
                        source: appid_var,
                    })
                }
                Err(why) => problems.push(appid_var, why),
            },
        }
        return None;
    }
    None
}

/// `WECHAT_TIMEOUT_SECONDS`: 1 to 60 seconds.
fn timeout(vars: &Vars, problems: &mut Problems) -> std::time::Duration {
    let seconds = match vars.get("WECHAT_TIMEOUT_SECONDS").map(str::parse::<u64>) {
        None => wechat::api::DEFAULT_TIMEOUT.as_secs(),
        Some(Ok(seconds)) if (1..=60).contains(&seconds) => seconds,
        Some(_) => {
            problems.push(
                "WECHAT_TIMEOUT_SECONDS",
                "must be a whole number of seconds from 1 to 60",
            );
            wechat::api::DEFAULT_TIMEOUT.as_secs()
        }
    };
    std::time::Duration::from_secs(seconds)
}

/// A base URL: absolute http(s), kept without a trailing slash so paths can be appended.
fn base_url(vars: &Vars, problems: &mut Problems, var: &str, default: &str) -> Url {
    let fallback = || Url::parse(default).expect("default base URLs are valid");
    let Some(value) = vars.get(var) else {
        return fallback();
    };
    match Url::parse(value.trim_end_matches('/')) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => url,
        _ => {
            problems.push(var, "must be an absolute http:// or https:// URL");
            fallback()
        }
    }
}
