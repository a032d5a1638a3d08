//! The buyer's orders (`/orders`), newest first.

use leptos::prelude::*;

use super::{status_label, Price, Problem};
use crate::api::shop::my_orders;
use crate::lang::Lang;
use crate::types::shop::OrderSummary;

#[component]
pub fn OrdersPage() -> impl IntoView {
    let lang = expect_context::<Lang>();
    let orders = Resource::new(|| (), |_| my_orders());
    view! {
        <section class="card">
            <h1 class="title">{lang.pick("我的订单", "My orders")}</h1>
            <Suspense fallback=move || view! { <p class="muted">{lang.pick("加载中…", "Loading…")}</p> }>
                {move || orders.get().map(|result| match result {
                    Ok(orders) if orders.is_empty() => view! {
                        <p class="muted">{lang.pick("还没有订单。", "No orders yet.")}</p>
                        <a class="btn btn-primary" href="/shop">{lang.pick("去逛逛", "Go shopping")}</a>
                    }
                    .into_any(),
                    Ok(orders) => view! { <OrderList orders/> }.into_any(),
                    Err(error) => view! { <Problem error next="/orders"/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// Orders, each linking to its page.
#[component]
pub fn OrderList(orders: Vec<OrderSummary>) -> impl IntoView {
    let lang = expect_context::<Lang>();
    view! {
        <ul class="orders" data-testid="orders">
            {orders.into_iter().map(|order| view! {
                <li class="product-row" data-order=order.order_id.clone() data-status=order.status.as_str()>
                    <a href=format!("/orders/{}", order.order_id)>
                        <span class="product-name">{order.description}</span>
                        <span class="muted">{status_label(lang, order.status)}</span>
                    </a>
                    <Price fen=order.total_fen/>
                </li>
            }).collect_view()}
        </ul>
    }
}
