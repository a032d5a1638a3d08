//! Start-up checks shared by every command: the mode, the settings, then the database, every problem reported
//! together. In sandbox mode the sandbox's own credentials are laid over the environment and pointed at this
//! process, so sandbox and live settings pass the same checks.

use std::path::Path;

use app::ssr::config::{self, Mode, Problems, Settings, Vars};
use app::ssr::context::AppContext;
use app::ssr::db::Database;
use secrecy::ExposeSecret;

use crate::sandbox::credentials::SandboxCredentials;
use crate::sandbox::login::personas::Persona;

/// The exit code for a configuration that cannot run (sysexits' EX_CONFIG).
pub const CONFIG_EXIT_CODE: u8 = 78;
/// Where the sandbox is mounted inside `wxgate serve`.
pub const SANDBOX_PATH: &str = "/sandbox";

/// A checked configuration with its database, and the sandbox's credentials in sandbox mode.
#[derive(Debug)]
pub struct Ready {
    pub context: AppContext,
    pub sandbox: Option<SandboxCredentials>,
}

/// Reads the environment and connects to the database; returns every problem found, not just the first.
/// `local_base` is where this process answers (`http://127.0.0.1:3000`): the sandbox is reached there.
pub async fn check(data_dir: &Path, local_base: &str) -> Result<Ready, Problems> {
    let user_vars = Vars::from_env();
    // Without APP_URL, wxgate's public URL is where it answers (OAuth redirects come back here).
    let user_vars = match user_vars.get("APP_URL") {
        Some(_) => user_vars,
        None => user_vars.with([("APP_URL", local_base.to_owned())]),
    };
    let mut problems = Problems::default();
    // The folder holds the SQLite database and the sandbox's keys: only wxgate's user may look inside.
    if let Err(error) = app::ssr::private_files::create_folder(data_dir) {
        problems.push(
            "WXGATE_DATA_DIR",
            format!(
                "cannot create the data folder {}: {error}",
                data_dir.display()
            ),
        );
    }
    let mode = Mode::from_vars(&user_vars).unwrap_or_else(|found| {
        found
            .iter()
            .for_each(|problem| problems.push_plain(problem));
        Mode::Live
    });
    let (vars, sandbox) = match mode {
        Mode::Live => (user_vars, None),
        Mode::Sandbox => match SandboxCredentials::load_or_create(data_dir) {
            Ok(credentials) => (
                user_vars.with(sandbox_vars(&user_vars, &credentials, local_base)),
                Some(credentials),
            ),
            Err(error) => {
                problems.push_plain(format!("the sandbox cannot start: {error}"));
                (user_vars, None)
            }
        },
    };
    let settings = Settings::from_vars(&vars, data_dir, mode);
    if let Err(found) = &settings {
        found
            .iter()
            .for_each(|problem| problems.push_plain(problem));
    }
    // The database is tried even when other settings are wrong, so one run names every problem.
    let database = match config::database_url(&vars, data_dir) {
        Ok((url, backend)) => match Database::connect(url.expose_secret(), backend).await {
            Ok(db) => Some(db),
            Err(error) => {
                problems.push("DATABASE_URL", error);
                None
            }
        },
        Err(_) => None,
    };
    match (settings, database) {
        (Ok(settings), Some(db)) if problems.is_empty() => match AppContext::new(settings, db) {
            Ok(context) => Ok(Ready { context, sandbox }),
            Err(error) => {
                problems.push_plain(format!("the WeChat client cannot start: {error}"));
                Err(problems)
            }
        },
        _ => Err(problems),
    }
}

/// The variables that point wxgate at its own sandbox: the sandbox's apps and merchant, its URLs under this
/// process (`APP_URL`'s for the pages a browser opens, the local address for server-to-server calls). Unless
/// `WXGATE_ADMINS` says otherwise, the sandbox user 老王 (laowang) is the shop's admin, so refunds can be tried.
fn sandbox_vars(
    user_vars: &Vars,
    credentials: &SandboxCredentials,
    local_base: &str,
) -> Vec<(&'static str, String)> {
    let local = format!("{}{SANDBOX_PATH}", local_base.trim_end_matches('/'));
    let public = user_vars
        .get("APP_URL")
        .map(|app_url| format!("{}{SANDBOX_PATH}", app_url.trim_end_matches('/')))
        .unwrap_or_else(|| local.clone());
    let c = credentials;
    let admins = user_vars
        .get("WXGATE_ADMINS")
        .map(str::to_owned)
        .unwrap_or_else(|| Persona::ready_made_admin().unionid());
    vec![
        ("WXGATE_ADMINS", admins),
        ("WECHAT_MP_APPID", c.mp_appid.clone()),
        ("WECHAT_MP_SECRET", c.mp_secret.clone()),
        ("WECHAT_OA_APPID", c.oa_appid.clone()),
        ("WECHAT_OA_SECRET", c.oa_secret.clone()),
        ("WECHAT_CLIENT_ID", c.web_appid.clone()),
        ("WECHAT_CLIENT_SECRET", c.web_secret.clone()),
        ("WECHAT_PAY_MCH_ID", c.mchid.clone()),
        ("WECHAT_PAY_APP_ID", c.oa_appid.clone()),
        ("WECHAT_PAY_API_V3_KEY", c.apiv3_key.clone()),
        ("WECHAT_PAY_PRIVATE_KEY", c.merchant_private_key_pem.clone()),
        ("WECHAT_PAY_CERT_SERIAL", c.merchant_serial.clone()),
        ("WECHAT_PAY_PUBLIC_KEY", c.pay_public_key_pem.clone()),
        ("WECHAT_PAY_PUBLIC_KEY_ID", c.pay_public_key_id.clone()),
        (
            "WECHAT_PAY_NOTIFY_URL",
            format!(
                "{}/api/webhooks/wechat-pay",
                local_base.trim_end_matches('/')
            ),
        ),
        ("WECHAT_API_BASE", local.clone()),
        ("WECHAT_PAY_BASE", local),
        ("WECHAT_OPEN_BASE", public),
    ]
}

/// `http://HOST:PORT` for a listening address, with an unspecified host (0.0.0.0, ::) read as loopback.
pub fn local_base(address: std::net::SocketAddr) -> String {
    let host = if address.ip().is_unspecified() {
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
    } else {
        address.ip()
    };
    format!("http://{}", std::net::SocketAddr::new(host, address.port()))
}
