//! The account page: the signed-in person, their orders (and the admin page for admins), their linked WeChat
//! identities, and logging out.

use leptos::prelude::*;

use crate::api::auth::{current_account, log_out};
use crate::lang::Lang;
use crate::types::Account;

#[component]
pub fn AccountPage() -> impl IntoView {
    let lang = expect_context::<Lang>();
    let current = Resource::new(|| (), |_| current_account());
    view! {
        <Suspense fallback=move || view! { <section class="card"><p class="muted">{lang.pick("加载中…", "Loading…")}</p></section> }>
            {move || current.get().map(|result| match result {
                Ok(Some(account)) => view! { <AccountCard account/> }.into_any(),
                Ok(None) => view! {
                    <section class="card">
                        <p class="lead">{lang.pick("你还没有登录。", "You are not signed in.")}</p>
                        <a class="btn btn-primary" href="/login?next=%2Faccount" data-testid="go-login">{lang.pick("去登录", "Sign in")}</a>
                    </section>
                }
                .into_any(),
                Err(failure) => view! { <section class="card"><p class="error">{failure.sentence(lang)}</p></section> }.into_any(),
            })}
        </Suspense>
    }
}

fn provider_name(lang: Lang, provider: &str) -> &'static str {
    match provider {
        "wechat_mp" => lang.pick("微信小程序", "Mini program"),
        "wechat_oa" => lang.pick("微信公众号", "WeChat browser"),
        "wechat_web" => lang.pick("微信扫码（网站）", "QR login (website)"),
        _ => lang.pick("其他", "Other"),
    }
}

/// A phone number with its middle digits hidden.
fn masked(phone: &str) -> String {
    let digits: Vec<char> = phone.chars().collect();
    if digits.len() < 7 {
        return phone.to_owned();
    }
    let start: String = digits[..3].iter().collect();
    let end: String = digits[digits.len() - 4..].iter().collect();
    format!("{start}****{end}")
}

#[component]
fn AccountCard(account: Account) -> impl IntoView {
    let lang = expect_context::<Lang>();
    let nickname = account
        .nickname
        .clone()
        .unwrap_or_else(|| lang.pick("微信用户", "WeChat user").to_owned());
    view! {
        <section class="card account" data-testid="account" data-user-id=account.user_id.clone()>
            {account.avatar_url.clone().map(|avatar| view! { <img class="avatar" src=avatar alt=""/> })}
            <h1 class="title" data-testid="nickname">{nickname}</h1>
            {account.phone.as_deref().map(|phone| view! { <p class="muted">{masked(phone)}</p> })}
            {account.profile_start.clone().map(|start| view! {
                <a class="btn btn-default" href=start rel="external" data-testid="fetch-profile">{lang.pick("使用微信头像和昵称", "Use my WeChat name and photo")}</a>
            })}
            <a class="btn btn-default" href="/orders" data-testid="my-orders">{lang.pick("我的订单", "My orders")}</a>
            {account.is_admin.then(|| view! {
                <a class="btn btn-default" href="/admin" data-testid="admin">{lang.pick("管理订单和商品", "Orders and products (admin)")}</a>
            })}
            <h2 class="subtitle">{lang.pick("已关联的微信身份", "Linked WeChat identities")}</h2>
            <ul class="identities" data-testid="identities">
                {account.identities.into_iter().map(|identity| view! {
                    <li class="status-row" data-provider=identity.provider.clone()>
                        <span>{provider_name(lang, &identity.provider)}</span>
                        <span class="muted">
                            {identity.openid.chars().take(8).collect::<String>()}"…"
                            {identity.has_unionid.then_some(" · UnionID")}
                        </span>
                    </li>
                }).collect_view()}
            </ul>
            <LogOut/>
        </section>
    }
}

/// The sign-out button, which goes to the login page once the session is ended: an island.
#[island]
fn LogOut() -> impl IntoView {
    let lang = crate::lang::current();
    let leave = Action::new(|_: &()| log_out());
    Effect::new(move |_| {
        if let Some(Ok(())) = leave.value().get() {
            let _ = window().location().set_href("/login");
        }
    });
    view! {
        <button class="btn btn-default" data-testid="logout" on:click=move |_| { leave.dispatch(()); }>
            {lang.pick("退出登录", "Sign out")}
        </button>
    }
}
