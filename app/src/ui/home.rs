//! The first page: shows that SSR, hydration, a server function, the database and the session all work.

use leptos::either::Either;
use leptos::prelude::*;

use crate::api::status::check_status;
use crate::types::StatusReport;

/// The landing page with a status card the visitor can refresh.
#[component]
pub fn HomePage() -> impl IntoView {
    view! {
        <section class="card">
            <h1 class="title">"wxgate"</h1>
            <p class="lead">"微信登录与微信支付，一站接入。"</p>
            <p class="muted">"WeChat login and WeChat Pay for your product."</p>
            <a class="btn btn-primary" href="/shop" data-testid="go-shop">"去商店试试支付 · Try a payment"</a>
            <StatusCheck/>
        </section>
    }
}

/// The button that asks the server for its status, and the answer: an island, hydrated in the browser.
#[island]
fn StatusCheck() -> impl IntoView {
    let lang = crate::lang::current();
    // Effects run only in the browser, so the button is enabled exactly once the page has hydrated.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));

    let check = Action::new(|_: &()| check_status());
    let pending = check.pending();
    let outcome = check.value();

    view! {
        <button
                class="btn btn-primary"
                data-testid="check-status"
                disabled=move || !hydrated.get() || pending.get()
                on:click=move |_| {
                    check.dispatch(());
                }
            >
                {move || if pending.get() { "检查中…" } else { "检查服务状态" }}
            </button>
        {move || outcome.get().map(|result| match result {
            Ok(report) => Either::Left(view! { <StatusCard report/> }),
            Err(error) => Either::Right(view! { <p class="error" role="alert">{error.sentence(lang)}</p> }),
        })}
    }
}

/// The server's answer, laid out as a WeUI-style list.
#[component]
fn StatusCard(report: StatusReport) -> impl IntoView {
    view! {
        <dl class="status" data-testid="status-report">
            <div class="status-row"><dt>"数据库"</dt><dd data-testid="database">{report.database}</dd></div>
            <div class="status-row"><dt>"数据库版本"</dt><dd>{report.schema_version}</dd></div>
            <div class="status-row">
                <dt>"本次会话检查次数"</dt>
                <dd data-testid="checks">{report.checks_this_session}</dd>
            </div>
            <div class="status-row"><dt>"wxgate 版本"</dt><dd>{report.server_version}</dd></div>
        </dl>
    }
}
