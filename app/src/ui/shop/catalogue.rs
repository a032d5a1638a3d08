//! The catalogue (`/shop`) and a product's page (`/shop/{id}`), where the buyer picks a quantity and places the
//! order; paying happens on the order's page.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;

use super::{Price, Problem};
use crate::api::shop::{find_product, list_products, place_order};
use crate::lang::Lang;
use crate::types::shop::{Product, MAX_QUANTITY};

#[component]
pub fn ShopPage() -> impl IntoView {
    let lang = expect_context::<Lang>();
    let products = Resource::new(|| (), |_| list_products());
    view! {
        <section class="card">
            <h1 class="title">{lang.pick("商品", "Shop")}</h1>
            <Suspense fallback=move || view! { <p class="muted">{lang.pick("加载中…", "Loading…")}</p> }>
                {move || products.get().map(|result| match result {
                    Ok(products) => view! {
                        <ul class="products" data-testid="products">
                            {products.into_iter().map(|product| view! { <ProductRow product/> }).collect_view()}
                        </ul>
                    }
                    .into_any(),
                    Err(error) => view! { <Problem error next="/shop"/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

#[component]
fn ProductRow(product: Product) -> impl IntoView {
    view! {
        <li class="product-row" data-product=product.id.clone()>
            <a href=format!("/shop/{}", product.id)>
                <span class="product-name">{product.name}</span>
                <span class="muted">{product.description}</span>
            </a>
            <Price fen=product.price_fen/>
        </li>
    }
}

#[component]
pub fn ProductPage() -> impl IntoView {
    let lang = expect_context::<Lang>();
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let product = Resource::new(id, find_product);
    view! {
        <section class="card">
            <Suspense fallback=move || view! { <p class="muted">{lang.pick("加载中…", "Loading…")}</p> }>
                {move || product.get().map(|result| match result {
                    Ok(product) => view! { <Buy product/> }.into_any(),
                    Err(error) => view! { <Problem error next="/shop"/> }.into_any(),
                })}
            </Suspense>
        </section>
    }
}

/// The product with a quantity and the buy button; buying places the order and opens its page. An island.
#[island]
fn Buy(product: Product) -> impl IntoView {
    let lang = crate::lang::current();
    provide_context(lang);
    let quantity = RwSignal::new(1_i64);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let product_id = product.id.clone();
    let place = Action::new(move |count: &i64| place_order(product_id.clone(), *count));
    Effect::new(move |_| {
        if let Some(Ok(order_id)) = place.value().get() {
            let _ = window().location().set_href(&format!("/orders/{order_id}"));
        }
    });
    let here = format!("/shop/{}", product.id);
    let price_fen = product.price_fen;
    view! {
        <h1 class="title" data-testid="product-name">{product.name}</h1>
        <p class="muted">{product.description}</p>
        <div class="quantity">
            <button class="btn-step" aria-label=lang.pick("减少", "Fewer")
                disabled=move || { quantity.get() <= 1 }
                on:click=move |_| quantity.update(|count| *count = (*count - 1).max(1))>"−"</button>
            <span data-testid="quantity">{quantity}</span>
            <button class="btn-step" aria-label=lang.pick("增加", "More")
                disabled=move || { quantity.get() >= MAX_QUANTITY }
                on:click=move |_| quantity.update(|count| *count = (*count + 1).min(MAX_QUANTITY))>"+"</button>
        </div>
        <p class="total">{lang.pick("合计 ", "Total ")}"¥"{move || price_fen.times(quantity.get()).unwrap_or_default().yuan()}</p>
        <button class="btn btn-primary" data-testid="buy"
            disabled=move || !hydrated.get() || place.pending().get()
            on:click=move |_| { place.dispatch(quantity.get()); }>
            {lang.pick("立即购买", "Buy now")}
        </button>
        {move || place.value().get().and_then(Result::err).map(|error| view! { <Problem error next=here.clone()/> })}
    }
}
