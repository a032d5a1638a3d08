//! The wxgate Leptos app: the HTML shell, the router and the pages; server-only code lives in `ssr`.
// The server renders islands inside pages as one nested view type (the admin page's shipping list is deepest); its
// layout needs more than rustc's default query depth of 128.
#![recursion_limit = "256"]

pub mod api;
pub mod lang;
pub mod types;
pub mod ui;

#[cfg(feature = "ssr")]
pub mod ssr;

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Title};
use leptos_router::{
    components::{Route, Router, Routes},
    path, SsrMode,
};

/// The name the browser bundle is published under: `/pkg/wxgate.js`, `/pkg/wxgate.wasm`, `/pkg/wxgate.css`, or
/// with its content's hash after it (`wxgate.<hash>.js`), the name then given by the `output_name` of the
/// [`LeptosOptions`] the shell gets.
pub const OUTPUT_NAME: &str = "wxgate";

/// The HTML document around the app, rendered on the server.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    document(options, false)
}

/// The document in sandbox mode: every page carries a banner saying the built-in sandbox plays WeChat. The banner
/// is drawn by the style sheet from the body's class, so hydration never sees it.
pub fn sandbox_shell(options: LeptosOptions) -> impl IntoView {
    document(options, true)
}

fn document(options: LeptosOptions, sandbox: bool) -> impl IntoView {
    let lang = lang::current();
    view! {
        <!DOCTYPE html>
        <html lang=lang.tag()>
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1, viewport-fit=cover"/>
                <AutoReload options=options.clone()/>
                <link
                    rel="stylesheet"
                    id="wxgate-style"
                    href=format!("/{}/{}.css", options.site_pkg_dir, options.output_name)
                />
                <HydrationScripts options islands=true/>
                <link rel="icon" type="image/svg+xml" href="/favicon.svg"/>
                <MetaTags/>
            </head>
            <body class=sandbox.then_some("sandbox")>
                <App/>
            </body>
        </html>
    }
}

/// The app: style sheet, title, the page language and routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    provide_context(lang::current());
    view! {
        <Title text="wxgate"/>
        <Router>
            <ui::nav::Nav/>
            <ui::wechat::WeChatPage/>
            <main class="page">
                <Routes fallback=ui::not_found::NotFound>
                    <Route path=path!("") view=ui::home::HomePage/>
                    // Rendered whole before answering: the page starts the QR login in the session, and the session
                    // cookie must be in the answer's headers.
                    <Route path=path!("/login") view=ui::login::LoginPage ssr=SsrMode::Async/>
                    <Route path=path!("/account") view=ui::account::AccountPage/>
                    <Route path=path!("/shop") view=ui::shop::catalogue::ShopPage/>
                    <Route path=path!("/shop/:id") view=ui::shop::catalogue::ProductPage/>
                    <Route path=path!("/orders") view=ui::shop::orders::OrdersPage/>
                    <Route path=path!("/orders/:id") view=ui::shop::order::OrderPage/>
                    <Route path=path!("/admin") view=ui::shop::admin::AdminPage/>
                </Routes>
            </main>
        </Router>
    }
}
