//! `wxgate doctor`: print the configuration problems and what is enabled, without starting.

use std::path::Path;
use std::process::ExitCode;

use app::ssr::config::push::PushSettings;
use app::ssr::config::{ConfiguredApp, Mode, Settings};

use crate::startup;

pub async fn run(data_dir: &Path, listen: std::net::SocketAddr) -> ExitCode {
    match startup::check(&app::ssr::config::Vars::from_env(), data_dir, listen).await {
        Ok(startup::Ready { context, .. }) => {
            print!(
                "{}",
                describe(&context.settings, context.db.backend().label())
            );
            println!("No problems found.");
            ExitCode::SUCCESS
        }
        Err(problems) => {
            println!("{problems}");
            ExitCode::from(startup::CONFIG_EXIT_CODE)
        }
    }
}

/// What a configuration switches on, one line per product, with the variables that would switch the rest on.
fn describe(settings: &Settings, database: &str) -> String {
    let wechat = &settings.wechat;
    let app = |configured: &Option<ConfiguredApp>, hint: &str| match configured {
        Some(configured) => format!(
            "on (appid {}, from {})",
            configured.credentials.appid, configured.source
        ),
        None => format!("off (set {hint})"),
    };
    let pay = match &settings.pay {
        Some(pay) => {
            let mut verifiers = Vec::new();
            if let Some(public_key) = &pay.verification.public_key {
                verifiers.push(format!("WeChat Pay public key {}", public_key.id));
            }
            if pay.verification.platform_certificate.is_some() {
                verifiers.push("the configured platform certificate".to_owned());
            }
            if verifiers.is_empty() {
                verifiers.push("platform certificates downloaded from /v3/certificates".to_owned());
            }
            format!(
                "on (mchid {}, appid {}, verifying with {}, notifications to {})",
                pay.mch_id,
                pay.app_id,
                verifiers.join(" and "),
                pay.notify_url
            )
        }
        None => "off (set the WECHAT_PAY_* variables)".to_owned(),
    };
    let endpoints = &wechat.endpoints;
    let mode = match settings.mode {
        Mode::Sandbox => format!(
            "sandbox (the built-in sandbox plays WeChat under {}; `wxgate sandbox credentials` prints its keys)",
            startup::SANDBOX_PATH
        ),
        Mode::Live => "live (talking to the WeChat hosts below)".to_owned(),
    };
    let metrics = match settings.metrics_addr {
        Some(address) if address.ip().is_loopback() => {
            format!("on (GET http://{address}/metrics, a listener of its own, this machine only)")
        }
        Some(address) => format!(
            "on (GET http://{address}/metrics, a listener of its own, reachable from other machines: \
             let only Prometheus reach it)"
        ),
        None => "off (set WXGATE_METRICS_ADDR, e.g. 127.0.0.1:9464)".to_owned(),
    };
    let push = |app: &Option<ConfiguredApp>, push: &Option<PushSettings>| match (app, push) {
        (Some(app), Some(push)) => format!(
            "on ({}/api/wechat/push/{}, {})",
            settings.app_url.as_str().trim_end_matches('/'),
            app.credentials.appid,
            if push.key.is_some() {
                "plain, compatible or safe mode"
            } else {
                "plain mode only: set WECHAT_PUSH_AES_KEY for safe mode"
            }
        ),
        (None, _) => "off (the app is not configured)".to_owned(),
        (Some(_), None) => "off (set WECHAT_PUSH_TOKEN and WECHAT_PUSH_AES_KEY)".to_owned(),
    };
    let events = match &settings.events {
        Some(events) => format!(
            "on (Standard Webhooks to {}://{}{}, {} attempts)",
            events.url.scheme(),
            events.url.host_str().unwrap_or_default(),
            events.url.path(),
            events.schedule.attempts()
        ),
        None => "kept, not sent (set WXGATE_EVENTS_URL and WXGATE_EVENTS_SECRET)".to_owned(),
    };
    let issuer = app::ssr::oidc::issuer(&settings.app_url);
    let openid_connect = format!(
        "issuer {issuer} (discovery at {issuer}{}); {} client(s) in WXGATE_OIDC_CLIENTS, \
         more with `wxgate clients add` (`wxgate clients list` shows all)",
        app::ssr::oidc::DISCOVERY_PATH,
        settings.oidc_clients.len()
    );
    [
        format!("Mode:                  {mode}"),
        format!("Public URL:            {}", settings.app_url),
        format!("Database:              {database}"),
        format!(
            "Sessions:              expire after {} s idle; cookies {}",
            settings.session_ttl.whole_seconds(),
            if settings.secure_cookies() {
                "Secure"
            } else {
                "not Secure (APP_URL is http)"
            }
        ),
        format!(
            "Mini program login:    {}",
            app(
                &wechat.mini_program,
                "WECHAT_APPID/WECHAT_SECRET or WECHAT_MP_APPID/WECHAT_MP_SECRET"
            )
        ),
        format!(
            "WeChat browser login:  {}",
            app(
                &wechat.official_account,
                "WECHAT_APPID/WECHAT_SECRET or WECHAT_OA_APPID/WECHAT_OA_SECRET"
            )
        ),
        format!(
            "Website QR login:      {}",
            app(&wechat.website, "WECHAT_CLIENT_ID/WECHAT_CLIENT_SECRET")
        ),
        format!("WeChat Pay:            {pay}"),
        format!("OpenID Connect:        {openid_connect}"),
        format!(
            "Mini program push:     {}",
            push(&wechat.mini_program, &wechat.mini_program_push)
        ),
        format!(
            "Official account push: {}",
            push(&wechat.official_account, &wechat.official_account_push)
        ),
        format!("Events to the product: {events}"),
        format!(
            "WeChat servers:        {} | {} | {}",
            endpoints.api, endpoints.open, endpoints.pay
        ),
        format!("Metrics:               {metrics}"),
    ]
    .iter()
    .map(|line| format!("{line}\n"))
    .collect()
}
