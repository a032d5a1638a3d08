//! The login page: inside WeChat it goes straight to the official account's login; on a desktop it shows WeChat's
//! QR; on a phone outside WeChat it explains how to open the page in WeChat, or to scan WeChat's QR page with another.

use leptos::either::EitherOf4;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::auth::fetch_login_options;
use crate::lang::Lang;
use crate::types::channel::BrowserKind;
use crate::types::LoginOptions;

/// A sentence for each error code the login routes send back here.
fn error_message(lang: Lang, code: &str) -> &'static str {
    match code {
        "declined" => lang.pick(
            "你没有同意授权。需要时可以再次登录。",
            "You did not allow the login. You can try again any time.",
        ),
        "invalid_state" | "state_expired" => lang.pick(
            "登录链接已失效，请重新登录。",
            "This login link has expired. Please sign in again.",
        ),
        "invalid_code" | "code_used" => lang.pick(
            "登录凭证无效或已被使用，请重新登录。",
            "The login was already used or is invalid. Please sign in again.",
        ),
        "user_blocked" => lang.pick(
            "微信判定此账号存在风险，暂时无法登录。",
            "WeChat considers this account at risk; it cannot sign in now.",
        ),
        "wechat_busy" | "upstream_timeout" | "wechat_error" => lang.pick(
            "微信暂时无法响应，请稍后重试。",
            "WeChat is not answering right now. Please try again shortly.",
        ),
        "snapshot_user" => lang.pick(
            "请在微信中打开本页面后再登录。",
            "Open this page in WeChat to sign in.",
        ),
        "rate_limited" => lang.pick(
            "尝试次数过多，请稍后再试。",
            "Too many attempts. Please wait a minute.",
        ),
        _ => lang.pick(
            "登录没有完成，请重试。",
            "The login did not complete. Please try again.",
        ),
    }
}

#[component]
pub fn LoginPage() -> impl IntoView {
    let lang = expect_context::<Lang>();
    let query = use_query_map();
    let next = move || {
        query
            .read()
            .get("next")
            .unwrap_or_else(|| "/account".to_owned())
    };
    let error = move || query.read().get("error");
    let options = Resource::new(next, fetch_login_options);

    view! {
        <section class="card">
            <h1 class="title">{lang.pick("登录", "Sign in")}</h1>
            {move || {
                error().map(|code| view! { <p class="error" role="alert" data-testid="login-error">{error_message(lang, &code)}</p> })
            }}
            <Suspense fallback=move || view! { <p class="muted">{lang.pick("加载中…", "Loading…")}</p> }>
                {move || options.get().map(|result| match result {
                    Ok(options) => view! { <LoginChoice options retry=error().is_some()/> }.into_any(),
                    Err(failure) => view! { <p class="error">{failure.sentence(lang)}</p> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// The way to log in for this visitor: an island, as inside WeChat it goes on by itself and on a phone it shows
/// the page's own address to copy.
#[island]
fn LoginChoice(options: LoginOptions, retry: bool) -> impl IntoView {
    let lang = crate::lang::current();
    match (options.browser, options.wechat_start, options.qr_frame) {
        (BrowserKind::WeChat, Some(start), _) => {
            // Inside WeChat the login is silent: go at once, unless the visitor just came back from a failure.
            let target = start.clone();
            Effect::new(move |_| {
                if !retry {
                    let _ = window().location().set_href(&target);
                }
            });
            EitherOf4::A(view! {
                <p class="muted">{lang.pick("正在通过微信登录…", "Signing in with WeChat…")}</p>
                <a class="btn btn-primary" href=start rel="external" data-testid="wechat-login">{lang.pick("微信登录", "Sign in with WeChat")}</a>
            })
        }
        (BrowserKind::Desktop, _, Some(frame)) => EitherOf4::B(view! {
            <p class="muted">{lang.pick("请使用微信扫描二维码登录", "Scan the QR code with WeChat to sign in")}</p>
            <iframe class="qr-frame" src=frame title="WeChat QR login" data-testid="qr-frame"></iframe>
            {options.qr_page_start.map(|page| view! {
                <a class="link" href=page rel="external">{lang.pick("二维码无法显示？打开微信登录页", "QR not showing? Open WeChat's login page")}</a>
            })}
        }),
        (BrowserKind::Mobile, _, _) => {
            let link = RwSignal::new(String::new());
            Effect::new(move |_| {
                if let Ok(href) = window().location().href() {
                    link.set(href);
                }
            });
            EitherOf4::C(view! {
                <p class="lead">{lang.pick("请在微信中打开本页面登录", "Open this page in WeChat to sign in")}</p>
                <p class="muted">
                    {lang.pick(
                        "复制下面的链接，发送到微信（例如文件传输助手），然后在微信里点开。",
                        "Copy the link below, send it to yourself in WeChat (e.g. File Transfer), then open it there.",
                    )}
                </p>
                <input class="copy-link" readonly prop:value=move || link.get() data-testid="copy-link"
                    on:focus=move |event| {
                        event_target::<leptos::web_sys::HtmlInputElement>(&event).select();
                    }
                />
                {options.qr_page_start.map(|page| view! {
                    <a class="link" href=page rel="external" data-testid="qr-page-login">
                        {lang.pick("或者：用另一台手机上的微信扫码登录", "Or sign in by scanning a QR with WeChat on another phone")}
                    </a>
                })}
            })
        }
        // This way of logging in is not configured.
        _ => EitherOf4::D(disabled(lang)),
    }
}

fn disabled(lang: Lang) -> impl IntoView {
    view! { <p class="muted">{lang.pick("此登录方式尚未开启。", "This way of signing in is not enabled.")}</p> }
}
