//! Start-up checks shared by every command: the mode, the settings, then the database, every problem reported
//! together. In sandbox mode the sandbox's own credentials are laid over the environment and pointed at this
//! process, so sandbox and live settings pass the same checks; a sandbox reachable beyond this machine needs its
//! own opt-in. Before serving, the database is migrated and must have been made for the same mode.

use std::net::SocketAddr;
use std::path::Path;

use app::ssr::config::{self, Mode, Problems, SandboxLinks, Settings, Vars};
use app::ssr::context::AppContext;
use app::ssr::db::Database;
use secrecy::ExposeSecret;

use sandbox::credentials::SandboxCredentials;
use sandbox::login::personas::Persona;

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

/// The variable that lets a sandbox be reached beyond this machine (a shared staging sandbox for a team's phones).
pub const SANDBOX_EXPOSED: &str = "WXGATE_SANDBOX_EXPOSED";

/// Reads the variables `user_vars` (the environment, for the binary) and connects to the database; returns every problem found, not just the first.
/// `listen` is where this process answers (`127.0.0.1:3000`): the sandbox is reached there.
pub async fn check(
    user_vars: &Vars,
    data_dir: &Path,
    listen: SocketAddr,
) -> Result<Ready, Problems> {
    let local_base = &local_base(listen);
    // Without APP_URL, wxgate's public URL is where it answers (OAuth redirects come back here).
    let user_vars = match user_vars.get("APP_URL") {
        Some(_) => user_vars.clone(),
        None => user_vars.with([("APP_URL", local_base.to_owned())]),
    };
    let mut problems = Problems::default();
    // The folder holds the SQLite database and the sandbox's keys: only wxgate's user may look inside.
    if let Err(error) = private_files::create_folder(data_dir) {
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
    if mode == Mode::Sandbox {
        check_sandbox_exposure(&user_vars, listen, &mut problems);
    }
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
    let settings = Settings::from_vars(&vars, data_dir, mode).map(|mut settings| {
        if sandbox.is_some() {
            settings.sandbox_links = Some(SandboxLinks {
                jsbridge_script: format!("{SANDBOX_PATH}{}", sandbox::JSBRIDGE_PATH),
                pay_scan: format!("{SANDBOX_PATH}{}", sandbox::PAY_SCAN_PATH),
            });
        }
        settings
    });
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

/// A sandbox can mark any order paid and signs anyone in as any persona, the admin included: reachable beyond this
/// machine (a non-loopback listening address, an https or non-loopback `APP_URL`), it needs `WXGATE_SANDBOX_EXPOSED`.
fn check_sandbox_exposure(user_vars: &Vars, listen: SocketAddr, problems: &mut Problems) {
    let Some(why) = sandbox_exposure(listen, user_vars.get("APP_URL")) else {
        return;
    };
    if exposure_allowed(user_vars) {
        tracing::warn!(
            "SANDBOX EXPOSED ({why}): anyone who reaches this wxgate can mark any order paid and sign in as any \
             sandbox persona, the admin included. Never let real people or real money near it."
        );
    } else {
        problems.push(
            "WXGATE_MODE",
            format!(
                "is sandbox, and {why}: anyone reaching it could mark orders paid and sign in as the sandbox's admin. \
                 For a shared staging sandbox set {SANDBOX_EXPOSED}=yes as well; otherwise listen on 127.0.0.1"
            ),
        );
    }
}

fn exposure_allowed(user_vars: &Vars) -> bool {
    user_vars
        .get(SANDBOX_EXPOSED)
        .is_some_and(|value| matches!(value.to_ascii_lowercase().as_str(), "yes" | "true" | "1"))
}

/// Why a sandbox listening on `listen` and reached at `app_url` would be reachable beyond this machine, if it would.
fn sandbox_exposure(listen: SocketAddr, app_url: Option<&str>) -> Option<String> {
    if !listen.ip().is_loopback() {
        return Some(format!("it listens on {listen}, not on a loopback address"));
    }
    let app_url = url::Url::parse(app_url?).ok()?;
    if app_url.scheme() == "https" {
        return Some(format!("APP_URL ({app_url}) is https"));
    }
    let loopback = match app_url.host()? {
        url::Host::Domain(domain) => domain.eq_ignore_ascii_case("localhost"),
        url::Host::Ipv4(ip) => ip.is_loopback(),
        url::Host::Ipv6(ip) => ip.is_loopback(),
    };
    (!loopback).then(|| format!("APP_URL ({app_url}) is not a loopback address"))
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
        ("WECHAT_PUSH_TOKEN", c.push_token.clone()),
        ("WECHAT_PUSH_AES_KEY", c.push_aes_key.clone()),
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
pub fn local_base(address: SocketAddr) -> String {
    let host = if address.ip().is_unspecified() {
        std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST)
    } else {
        address.ip()
    };
    format!("http://{}", std::net::SocketAddr::new(host, address.port()))
}

/// Migrates the database and checks that it was made for this mode (and, live, this merchant): sandbox-paid orders
/// must never meet live ones. The first start records what the database is for.
/// For a one-shot command (`migrate`, `reconcile`, `events`): the checked configuration's context with the
/// database migrated, or the exit code once what stopped it is printed — a configuration problem, or
/// `unprepared` when the database could not be prepared.
pub async fn prepared_context(
    command: &str,
    data_dir: &Path,
    listen: SocketAddr,
    unprepared: std::process::ExitCode,
) -> Result<AppContext, std::process::ExitCode> {
    let context = match check(&Vars::from_env(), data_dir, listen).await {
        Ok(ready) => ready.context,
        Err(problems) => {
            eprintln!("{problems}");
            return Err(std::process::ExitCode::from(CONFIG_EXIT_CODE));
        }
    };
    if let Err(error) = prepare(&context).await {
        eprintln!("wxgate {command} failed: {error}");
        return Err(unprepared);
    }
    Ok(context)
}

pub async fn prepare(context: &AppContext) -> Result<(), String> {
    context
        .db
        .migrate()
        .await
        .map_err(|error| error.to_string())?;
    let mode = context.settings.mode;
    let mch_id = match mode {
        Mode::Live => context.settings.pay.as_ref().map(|pay| pay.mch_id.as_str()),
        Mode::Sandbox => None,
    };
    let made_for = context
        .db
        .claim_instance(&mode.to_string(), mch_id)
        .await
        .map_err(|error| error.to_string())?;
    if made_for.mode != mode.to_string() {
        return Err(format!(
            "this database was made for {} mode, and wxgate is in {mode} mode: {}. Give each mode a database of its \
             own (DATABASE_URL, or WXGATE_DATA_DIR for SQLite).",
            made_for.mode,
            match mode {
                Mode::Live => "its orders were paid by the sandbox, never by WeChat Pay",
                Mode::Sandbox => "the sandbox would mark real orders paid",
            }
        ));
    }
    if let (Some(recorded), Some(configured)) = (made_for.mch_id.as_deref(), mch_id) {
        if recorded != configured {
            return Err(format!(
                "this database belongs to WeChat Pay merchant {recorded}, but WECHAT_PAY_MCH_ID is {configured}: \
                 each merchant needs a database of its own."
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn listen(address: &str) -> SocketAddr {
        address.parse().expect("an address")
    }

    #[test]
    fn a_sandbox_on_this_machine_alone_is_not_exposed() {
        assert_eq!(sandbox_exposure(listen("127.0.0.1:3000"), None), None);
        assert_eq!(
            sandbox_exposure(listen("[::1]:3000"), Some("http://localhost:3000")),
            None
        );
        assert_eq!(
            sandbox_exposure(listen("127.0.0.1:3000"), Some("http://127.0.0.1:3000")),
            None
        );
    }

    #[test]
    fn a_sandbox_reachable_from_elsewhere_is_exposed() {
        assert!(sandbox_exposure(listen("0.0.0.0:3000"), None).is_some());
        assert!(sandbox_exposure(listen("192.0.2.7:3000"), None).is_some());
        assert!(sandbox_exposure(listen("127.0.0.1:3000"), Some("https://localhost")).is_some());
        assert!(
            sandbox_exposure(listen("127.0.0.1:3000"), Some("http://staging.example.com"))
                .is_some()
        );
    }
}
