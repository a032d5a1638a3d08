//! Settings from the environment, validated once at start-up with every problem reported together.

pub mod events;
mod mode;
mod oidc;
mod pay;
mod pem;
mod problems;
pub mod push;
mod vars;
mod wechat_settings;

use std::path::Path;

use secrecy::SecretString;
use url::Url;

pub use mode::{Mode, WECHAT_VARIABLES};
pub use pay::{PaySettings, Verification, WeChatPayPublicKey};
pub use pem::{parse_private_key, parse_public_key, read_pem};
pub use problems::Problems;
pub use vars::Vars;
pub use wechat_settings::{
    ConfiguredApp, Endpoints, WeChatSettings, DEFAULT_API_BASE, DEFAULT_OPEN_BASE, DEFAULT_PAY_BASE,
};

use crate::ssr::db::Backend;

/// Where wxgate is reached when `APP_URL` is not set.
pub const DEFAULT_APP_URL: &str = "http://127.0.0.1:3000";
/// Sessions end after a week without a request unless `SESSION_TTL_SECONDS` says otherwise.
pub const DEFAULT_SESSION_TTL_SECONDS: i64 = 7 * 24 * 60 * 60;
/// The SQLite file inside the data folder.
pub const SQLITE_FILE: &str = "wxgate.db";

/// The whole configuration of one wxgate process.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Whether the built-in sandbox plays WeChat.
    pub mode: Mode,
    /// The public URL of this wxgate, used for redirects and to decide whether cookies are `Secure`.
    pub app_url: Url,
    /// Where the data lives; may hold a password, so it is never printed.
    pub database_url: SecretString,
    pub database_backend: Backend,
    /// How long a session lives without a request.
    pub session_ttl: time::Duration,
    pub wechat: WeChatSettings,
    pub pay: Option<PaySettings>,
    /// Proxies whose `X-Forwarded-For` is believed (`WXGATE_TRUSTED_PROXIES`, comma-separated IPs); none by default.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Who may refund and see every order: user ids or unionids (`WXGATE_ADMINS`, comma-separated).
    pub admins: Vec<String>,
    /// How long an unpaid order stays open (`WXGATE_ORDER_TTL_SECONDS`, default two hours).
    pub order_ttl_seconds: i64,
    /// How many orders a buyer may make, and have open unpaid.
    pub order_limits: OrderLimits,
    /// How often the sweeper looks at unpaid orders (`WXGATE_SWEEP_SECONDS`, default a minute).
    pub sweep_seconds: i64,
    /// How long the first retry of a failed shipping report waits (`WXGATE_SHIPPING_RETRY_SECONDS`, default a
    /// minute); each later one waits twice as long.
    pub shipping_retry_seconds: i64,
    /// The China time, in minutes after midnight, from which yesterday's trade bill is reconciled by the daily
    /// job (`WXGATE_RECONCILE_AT`, `HH:MM`, default 10:00 when WeChat Pay's bills are ready); `None` for `off`.
    pub reconcile_at: Option<u16>,
    /// How often the purge removes what has expired (`WXGATE_PURGE_SECONDS`, default ten minutes).
    pub purge_seconds: i64,
    /// How many days refused WeChat Pay notifications (probes included) are kept for audit
    /// (`WXGATE_NOTIFICATION_RETENTION_DAYS`, default 30); those that moved money are kept for good.
    pub notification_retention_days: i64,
    /// Where `wxgate serve` answers `GET /metrics` for Prometheus (`WXGATE_METRICS_ADDR`, HOST:PORT, e.g.
    /// `127.0.0.1:9464`), on a listener of its own; `None`, the default, serves no metrics.
    pub metrics_addr: Option<std::net::SocketAddr>,
    /// Whether requests through WeChat Cloud Hosting's gateway sign in by its identity headers
    /// (`WXGATE_CLOUD_HOSTING=1`; off by default, and then the headers are ignored).
    pub cloud_hosting: bool,
    /// Where events for the product go (`WXGATE_EVENTS_URL`); none: they are kept, not sent.
    pub events: Option<events::EventsSettings>,
    /// The OpenID Connect clients of `WXGATE_OIDC_CLIENTS` (more are registered with `wxgate clients add`).
    pub oidc_clients: Vec<crate::ssr::oidc::clients::Client>,
    /// In sandbox mode, the sandbox's pages the app links to; handed over by whoever mounts the sandbox (none are
    /// read from the environment).
    pub sandbox_links: Option<SandboxLinks>,
}

/// The sandbox's pages a page of the app links to, as paths on this site.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SandboxLinks {
    /// The stand-in for WeChat's JS-SDK that pages load in place of `jweixin-1.6.0.js`.
    pub jsbridge_script: String,
    /// The phone's pay page for a Native `code_url` (its query is `code_url=…`).
    pub pay_scan: String,
}

impl Settings {
    /// Reads and checks every setting for `mode` (see [`Mode::from_vars`]); on failure returns all the problems
    /// at once. In sandbox mode `vars` already carry the sandbox's credentials.
    pub fn from_vars(vars: &Vars, data_dir: &Path, mode: Mode) -> Result<Settings, Problems> {
        let mut problems = Problems::default();
        let app_url = app_url(vars, &mut problems);
        let database =
            database_url(vars, data_dir).map_err(|why| problems.push("DATABASE_URL", why));
        let session_ttl = session_ttl(vars, &mut problems);
        let wechat = WeChatSettings::read(vars, &mut problems);
        let pay = PaySettings::read(vars, &wechat, &mut problems);
        let trusted_proxies = trusted_proxies(vars, &mut problems);
        let order_ttl_seconds =
            seconds(vars, &mut problems, "WXGATE_ORDER_TTL_SECONDS", 2 * 60 * 60);
        let sweep_seconds = seconds(vars, &mut problems, "WXGATE_SWEEP_SECONDS", 60);
        let shipping_retry_seconds =
            seconds(vars, &mut problems, "WXGATE_SHIPPING_RETRY_SECONDS", 60);
        let order_limits = OrderLimits {
            per_minute: seconds(vars, &mut problems, "WXGATE_ORDERS_PER_MINUTE", 10),
            open_unpaid: seconds(vars, &mut problems, "WXGATE_MAX_OPEN_ORDERS", 10),
        };
        let reconcile_at = reconcile_at(vars, &mut problems);
        let purge_seconds = seconds(vars, &mut problems, "WXGATE_PURGE_SECONDS", 10 * 60);
        let notification_retention_days = days(
            vars,
            &mut problems,
            "WXGATE_NOTIFICATION_RETENTION_DAYS",
            DEFAULT_NOTIFICATION_RETENTION_DAYS,
        );
        let metrics_addr = metrics_addr(vars, &mut problems);
        let cloud_hosting = cloud_hosting(vars, &mut problems);
        let events = events::EventsSettings::read(vars, &mut problems);
        let oidc_clients = oidc::read(vars, &mut problems);
        let admins = vars
            .get("WXGATE_ADMINS")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|id| !id.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();

        match database {
            Ok((database_url, database_backend)) if problems.is_empty() => Ok(Settings {
                mode,
                app_url,
                database_url,
                database_backend,
                session_ttl,
                wechat,
                pay,
                trusted_proxies,
                admins,
                order_ttl_seconds,
                order_limits,
                sweep_seconds,
                shipping_retry_seconds,
                reconcile_at,
                purge_seconds,
                notification_retention_days,
                metrics_addr,
                cloud_hosting,
                events,
                oidc_clients,
                sandbox_links: None,
            }),
            _ => Err(problems),
        }
    }

    /// Cookies are marked `Secure` when wxgate is served over https.
    pub fn secure_cookies(&self) -> bool {
        self.app_url.scheme() == "https"
    }
}

/// Bounds on one buyer's orders (`WXGATE_ORDERS_PER_MINUTE`, `WXGATE_MAX_OPEN_ORDERS`; ten each by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderLimits {
    /// Orders a buyer may make in a minute.
    pub per_minute: i64,
    /// Unpaid, still payable orders a buyer may have at once.
    pub open_unpaid: i64,
}

/// The database URL and its backend: `DATABASE_URL`, or an SQLite file in the data folder.
pub fn database_url(vars: &Vars, data_dir: &Path) -> Result<(SecretString, Backend), String> {
    let Some(url) = vars.get("DATABASE_URL") else {
        let path = data_dir.join(SQLITE_FILE);
        let url = format!("sqlite://{}?mode=rwc", path.display());
        return Ok((SecretString::from(url), Backend::Sqlite));
    };
    match Backend::from_url(url) {
        Some(backend) => Ok((SecretString::from(url.to_owned()), backend)),
        None => Err("must start with sqlite: or postgres:// (postgresql:// also works)".to_owned()),
    }
}

fn app_url(vars: &Vars, problems: &mut Problems) -> Url {
    let default = || Url::parse(DEFAULT_APP_URL).expect("the default APP_URL is valid");
    let Some(value) = vars.get("APP_URL") else {
        return default();
    };
    match Url::parse(value) {
        Ok(url) if matches!(url.scheme(), "http" | "https") && url.has_host() => url,
        _ => {
            problems.push("APP_URL", "must be an absolute http:// or https:// URL");
            default()
        }
    }
}

fn trusted_proxies(vars: &Vars, problems: &mut Problems) -> Vec<std::net::IpAddr> {
    let Some(list) = vars.get("WXGATE_TRUSTED_PROXIES") else {
        return Vec::new();
    };
    list.split(',')
        .map(str::trim)
        .filter(|entry| !entry.is_empty())
        .filter_map(|entry| match entry.parse() {
            Ok(ip) => Some(ip),
            Err(_) => {
                problems.push(
                    "WXGATE_TRUSTED_PROXIES",
                    format!("{entry} is not an IP address"),
                );
                None
            }
        })
        .collect()
}

/// A positive whole number (of seconds, or of things) from `name`, or `default`.
fn seconds(vars: &Vars, problems: &mut Problems, name: &str, default: i64) -> i64 {
    match vars.get(name).map(str::parse::<i64>) {
        None => default,
        Some(Ok(seconds)) if seconds > 0 => seconds,
        Some(_) => {
            problems.push(name, "must be a whole number above 0");
            default
        }
    }
}

/// Refused notifications are kept this many days unless `WXGATE_NOTIFICATION_RETENTION_DAYS` says otherwise.
pub const DEFAULT_NOTIFICATION_RETENTION_DAYS: i64 = 30;

/// A positive whole number of days from `name`, or `default`.
fn days(vars: &Vars, problems: &mut Problems, name: &str, default: i64) -> i64 {
    // Up to 100 years, so the cut-off in seconds cannot overflow.
    match vars.get(name).map(str::parse::<i64>) {
        None => default,
        Some(Ok(days)) if (1..=36_500).contains(&days) => days,
        Some(_) => {
            problems.push(name, "must be a whole number of days from 1 to 36500");
            default
        }
    }
}

/// Default for `WXGATE_RECONCILE_AT`: WeChat Pay makes a day's bills from 09:00 the next day and advises fetching
/// them after 10:00.
const DEFAULT_RECONCILE_AT: u16 = 10 * 60;

fn reconcile_at(vars: &Vars, problems: &mut Problems) -> Option<u16> {
    let Some(value) = vars.get("WXGATE_RECONCILE_AT") else {
        return Some(DEFAULT_RECONCILE_AT);
    };
    if value.eq_ignore_ascii_case("off") {
        return None;
    }
    let minute = value.split_once(':').and_then(|(hour, minute)| {
        let hour: u16 = hour.parse().ok().filter(|hour| *hour < 24)?;
        let minute: u16 = Some(minute)
            .filter(|minute| minute.len() == 2)?
            .parse()
            .ok()
            .filter(|minute| *minute < 60)?;
        Some(hour * 60 + minute)
    });
    if minute.is_none() {
        problems.push(
            "WXGATE_RECONCILE_AT",
            "must be a China time as HH:MM (e.g. 10:00), or off",
        );
    }
    minute.or(Some(DEFAULT_RECONCILE_AT))
}

fn metrics_addr(vars: &Vars, problems: &mut Problems) -> Option<std::net::SocketAddr> {
    let value = vars.get("WXGATE_METRICS_ADDR")?;
    match value.parse() {
        Ok(address) => Some(address),
        Err(_) => {
            problems.push(
                "WXGATE_METRICS_ADDR",
                "must be an IP address and port, HOST:PORT (e.g. 127.0.0.1:9464), or unset for no metrics",
            );
            None
        }
    }
}

fn cloud_hosting(vars: &Vars, problems: &mut Problems) -> bool {
    match vars.get("WXGATE_CLOUD_HOSTING") {
        None | Some("0") | Some("") => false,
        Some("1") => true,
        Some(_) => {
            problems.push(
                "WXGATE_CLOUD_HOSTING",
                "must be 1 (sign in by WeChat Cloud Hosting's identity headers) or 0",
            );
            false
        }
    }
}

fn session_ttl(vars: &Vars, problems: &mut Problems) -> time::Duration {
    let seconds = match vars.get("SESSION_TTL_SECONDS").map(str::parse::<i64>) {
        None => DEFAULT_SESSION_TTL_SECONDS,
        Some(Ok(seconds)) if seconds > 0 => seconds,
        Some(_) => {
            problems.push(
                "SESSION_TTL_SECONDS",
                "must be a whole number of seconds above 0",
            );
            DEFAULT_SESSION_TTL_SECONDS
        }
    };
    time::Duration::seconds(seconds)
}

#[cfg(test)]
mod tests;
