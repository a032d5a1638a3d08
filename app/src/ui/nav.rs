//! The top bar: home, the shop, orders, account, and the language switch.

use leptos::prelude::*;
use leptos_router::hooks::use_location;

use crate::lang::Lang;

#[component]
pub fn Nav() -> impl IntoView {
    let lang = expect_context::<Lang>();
    let location = use_location();
    // The switch sets the cookie on the server and comes back to the same page.
    let switch = move || {
        let here = format!("{}{}", location.pathname.get(), location.search.get());
        let here: String = url_encode(&here);
        format!(
            "/api/lang?set={}&next={here}",
            match lang.other() {
                Lang::Zh => "zh",
                Lang::En => "en",
            }
        )
    };
    view! {
        <nav class="nav">
            <a class="nav-brand" href="/">"wxgate"</a>
            <a href="/shop" data-testid="nav-shop">{lang.pick("商品", "Shop")}</a>
            <a href="/orders" data-testid="nav-orders">{lang.pick("订单", "Orders")}</a>
            <a href="/account" data-testid="nav-account">{lang.pick("我的账号", "Account")}</a>
            <a href=switch rel="external nofollow" data-testid="lang-switch">{lang.pick("English", "中文")}</a>
        </nav>
    }
}

/// Percent-encodes a path for a query value.
pub fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'/' => {
                char::from(byte).to_string()
            }
            other => format!("%{other:02X}"),
        })
        .collect()
}
