//! The admin page's events section: where events for the product go, whether the endpoint has been failing, and
//! the recent deliveries, each with its attempts and last answer; one not delivered can be sent again.

use leptos::either::Either;
use leptos::prelude::*;

use super::reload_page;
use crate::api::shop::resend_event;
use crate::lang::Lang;
use crate::types::events::{china_time, EventDelivery, EventsOverview};

#[component]
pub fn Events(overview: EventsOverview) -> impl IntoView {
    let lang = expect_context::<Lang>();
    let endpoint = match &overview.endpoint {
        Some(endpoint) => Either::Left(view! {
            <p class="muted" data-testid="events-endpoint">{lang.pick("发送到 ", "Sent to ")}<code>{endpoint.clone()}</code></p>
        }),
        None => Either::Right(view! {
            <p class="muted" data-testid="events-endpoint">{lang.pick(
                "没有设置 WXGATE_EVENTS_URL：事件只保存，不发送。",
                "WXGATE_EVENTS_URL is not set: events are kept, not sent.",
            )}</p>
        }),
    };
    let failing = overview.failing_since.map(|since| {
        view! {
            <p class="error" role="alert" data-testid="endpoint-failing">
                {format!(
                    "{} {} · {} {} · {} {}",
                    lang.pick("接收端一直失败，自", "The endpoint has been failing since"),
                    china_time(since),
                    overview.retrying,
                    lang.pick("个重试中", "retrying"),
                    overview.failed,
                    lang.pick("个已放弃", "given up"),
                )}
            </p>
        }
    });
    let deliveries = if overview.deliveries.is_empty() {
        Either::Left(
            view! { <p class="muted" data-testid="deliveries">{lang.pick("还没有事件。", "No events yet.")}</p> },
        )
    } else {
        Either::Right(view! {
            <ul class="orders" data-testid="deliveries">
                {overview.deliveries.into_iter().map(|delivery| view! { <Delivery delivery/> }).collect_view()}
            </ul>
        })
    };
    view! { {endpoint} {failing} {deliveries} }
}

#[component]
fn Delivery(delivery: EventDelivery) -> impl IntoView {
    let lang = expect_context::<Lang>();
    let state = match delivery.state.as_str() {
        "delivered" => lang.pick("已送达", "delivered"),
        "failed" => lang.pick("已放弃", "given up"),
        _ if delivery.attempts > 0 => lang.pick("重试中", "retrying"),
        _ => lang.pick("待发送", "pending"),
    };
    view! {
        <li class="delivery" data-event=delivery.id.clone() data-state=delivery.state.clone()>
            <div class="product-row">
                <code class="product-name">{delivery.kind.clone()}</code>
                <span class="muted">{format!("{state} · {} {}", delivery.attempts, lang.pick("次尝试", "attempts"))}</span>
            </div>
            <p class="muted">
                {format!("{} · {}", delivery.id, china_time(delivery.created_at))}
            </p>
            {delivery.last_answer.clone().map(|answer| view! {
                <p class="muted" data-testid="last-answer">{format!("{} {answer}", lang.pick("上次回应：", "Last answer:"))}</p>
            })}
            {(delivery.state != "delivered" || delivery.attempts > 0).then(|| view! {
                <Resend event_id=delivery.id.clone()/>
            })}
        </li>
    }
}

/// Sends an event again, then shows the page anew. An island.
#[island]
fn Resend(event_id: String) -> impl IntoView {
    let lang = crate::lang::current();
    let resend = Action::new(move |id: &String| resend_event(id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = resend.value().get() {
            reload_page();
        }
    });
    view! {
        <button class="btn btn-default" type="button" data-testid="resend-event"
            on:click=move |_| { resend.dispatch(event_id.clone()); }>
            {lang.pick("重新发送", "Resend")}
        </button>
        {move || resend.value().get().and_then(Result::err).map(|error| view! { <p class="error" role="alert">{error.sentence(lang)}</p> })}
    }
}
