//! The admin page (`/admin`): orders WeChat Pay took money for after they were closed (each a click from its refund
//! form), mini-program shipments to dispatch or failing, everyone's recent orders (refunds are made on an order's page), the catalogue, where products are added,
//! changed or taken off sale, the latest days checked against WeChat Pay's bill, and the events sent to the product.

use leptos::either::Either;
use leptos::prelude::*;

use super::events::Events;
use super::orders::OrderList;
use super::shipments::Shipments;
use super::{reload_page, Price, Problem};
use crate::api::shop::{express_companies, fetch_admin_overview, retire_product, save_product};
use crate::lang::Lang;
use crate::types::money::Fen;
use crate::types::shipping::{ExpressCompany, Goods};
use crate::types::shop::{AdminOverview, OrderSummary, Product, ReconciliationSummary};
use crate::types::ApiError;

/// Rendered on the server; its forms and buttons are islands, and the page is loaded again after each change.
#[component]
pub fn AdminPage() -> impl IntoView {
    let lang = expect_context::<Lang>();
    let overview = Resource::new(|| (), |_| fetch_page());
    view! {
        <section class="card admin">
            <h1 class="title">{lang.pick("管理", "Admin")}</h1>
            <Suspense fallback=move || view! { <p class="muted">{lang.pick("加载中…", "Loading…")}</p> }>
                {move || overview.get().map(|result| match result {
                    Ok((overview, companies)) => Either::Left(view! {
                        <PaidAfterClosing orders=overview.paid_after_closing/>
                        <h2 class="subtitle">{lang.pick("发货", "Shipping")}</h2>
                        <Shipments shipments=overview.shipments companies/>
                        <h2 class="subtitle">{lang.pick("最近的订单", "Recent orders")}</h2>
                        {if overview.orders.is_empty() {
                            Either::Left(view! { <p class="muted">{lang.pick("还没有订单。", "No orders yet.")}</p> })
                        } else {
                            Either::Right(view! { <OrderList orders=overview.orders/> })
                        }}
                        <h2 class="subtitle">{lang.pick("商品", "Products")}</h2>
                        {overview.products.into_iter().map(|product| view! { <ProductEditor product=Some(product)/> }).collect_view()}
                        <h2 class="subtitle">{lang.pick("添加商品", "Add a product")}</h2>
                        <ProductEditor product=None/>
                        <h2 class="subtitle">{lang.pick("对账", "Reconciliation")}</h2>
                        <Reconciliations days=overview.reconciliations/>
                        <h2 class="subtitle">{lang.pick("发给产品的事件", "Events for the product")}</h2>
                        <Events overview=overview.events/>
                    }),
                    Err(error) => Either::Right(view! { <Problem error next="/admin"/> }),
                })}
            </Suspense>
        </section>
    }
}

/// The overview, and WeChat's express companies when a shipment has physical goods to dispatch (asked only then).
async fn fetch_page() -> Result<(AdminOverview, Result<Vec<ExpressCompany>, ApiError>), ApiError> {
    let overview = fetch_admin_overview().await?;
    let needed = overview
        .shipments
        .iter()
        .any(|shipment| shipment.goods == Goods::Physical);
    let companies = if needed {
        express_companies().await
    } else {
        Ok(Vec::new())
    };
    Ok((overview, companies))
}

/// Orders closed here that WeChat Pay took money for anyway: each must be refunded, from its order page's refund
/// form. Nothing shows when there are none.
#[component]
fn PaidAfterClosing(orders: Vec<OrderSummary>) -> impl IntoView {
    let lang = expect_context::<Lang>();
    (!orders.is_empty()).then(|| {
        view! {
            <h2 class="subtitle error">{lang.pick("关闭后收到付款，请退款", "Paid after closing — refund it")}</h2>
            <p class="muted">{lang.pick(
                "这些订单已关闭、不会发货，但微信支付仍收了买家的钱。请把钱退回去。",
                "These orders were closed and will not be delivered, but WeChat Pay took the buyer's money anyway. Give it back.",
            )}</p>
            <ul class="orders" data-testid="paid-after-closing">
                {orders.into_iter().map(|order| view! {
                    <li class="product-row" data-order=order.order_id.clone()>
                        <span class="product-name">{order.description}</span>
                        <Price fen=order.total_fen/>
                        <a class="btn btn-primary" href=format!("/orders/{}#refund", order.order_id) data-testid="refund-late-payment">
                            {lang.pick("去退款", "Refund it")}
                        </a>
                    </li>
                }).collect_view()}
            </ul>
        }
    })
}

/// One product's form: saving changes it (or adds it, for the empty form); "take off sale" retires it. An island.
#[island]
fn ProductEditor(product: Option<Product>) -> impl IntoView {
    let lang = crate::lang::current();
    let existing = product.is_some();
    let product = product.unwrap_or(Product {
        id: String::new(),
        name: String::new(),
        description: String::new(),
        price_fen: Fen::ZERO,
        goods: Goods::Physical,
    });
    let id = RwSignal::new(product.id.clone());
    let name = RwSignal::new(product.name);
    let description = RwSignal::new(product.description);
    let goods = RwSignal::new(product.goods);
    let price = RwSignal::new(if existing {
        product.price_fen.yuan()
    } else {
        String::new()
    });
    let save = Action::new(
        move |(id, name, description, price_fen, goods): &(String, String, String, Fen, Goods)| {
            save_product(
                id.clone(),
                name.clone(),
                description.clone(),
                *price_fen,
                *goods,
            )
        },
    );
    let retire = Action::new(move |id: &String| retire_product(id.clone()));
    let failure = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| {
        for outcome in [save.value().get(), retire.value().get()]
            .into_iter()
            .flatten()
        {
            match outcome {
                Ok(()) => reload_page(),
                Err(error) => failure.set(Some(error)),
            }
        }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        match Fen::from_yuan(&price.get_untracked()) {
            Some(fen) if fen.is_positive() => {
                failure.set(None);
                save.dispatch((
                    id.get_untracked(),
                    name.get_untracked(),
                    description.get_untracked(),
                    fen,
                    goods.get_untracked(),
                ));
            }
            _ => failure.set(Some(ApiError::Shop(
                crate::types::shop::ShopProblem::BadInput,
            ))),
        }
    };
    view! {
        <form class="product-editor" on:submit=submit data-testid="product-editor" data-product=product.id.clone()>
            <label>"ID"
                <input prop:value=id readonly=existing on:input=move |event| id.set(event_target_value(&event)) placeholder="green-tea" data-testid="product-id"/>
            </label>
            <label>{lang.pick("名称", "Name")}
                <input prop:value=name on:input=move |event| name.set(event_target_value(&event)) data-testid="product-name-input"/>
            </label>
            <label>{lang.pick("价格（元）", "Price (yuan)")}
                <input inputmode="decimal" prop:value=price on:input=move |event| price.set(event_target_value(&event)) data-testid="product-price"/>
            </label>
            <label>{lang.pick("介绍", "Description")}
                <input prop:value=description on:input=move |event| description.set(event_target_value(&event)) data-testid="product-description"/>
            </label>
            <label>{lang.pick("类型", "Kind")}
                <select data-testid="product-goods"
                    on:change=move |event| goods.set(Goods::parse(&event_target_value(&event)).unwrap_or(Goods::Physical))>
                    {[Goods::Physical, Goods::Virtual].into_iter().map(|kind| view! {
                        <option value=kind.as_str() selected=move || goods.get() == kind>{kind.sentence(lang)}</option>
                    }).collect_view()}
                </select>
            </label>
            <div class="actions">
                <button class="btn btn-primary" type="submit" disabled=move || save.pending().get() data-testid="save-product">
                    {if existing { lang.pick("保存", "Save") } else { lang.pick("添加", "Add") }}
                </button>
                {existing.then(|| view! {
                    <button class="btn btn-default" type="button" data-testid="retire-product"
                        on:click=move |_| { retire.dispatch(id.get_untracked()); }>
                        {lang.pick("下架", "Take off sale")}
                    </button>
                })}
            </div>
            {move || failure.get().map(|error| view! { <p class="error" role="alert">{error.sentence(lang)}</p> })}
        </form>
    }
}

/// The latest China days checked against WeChat Pay's trade bill, each with what was found.
#[component]
fn Reconciliations(days: Vec<ReconciliationSummary>) -> impl IntoView {
    let lang = expect_context::<Lang>();
    if days.is_empty() {
        return Either::Left(view! {
            <p class="muted" data-testid="reconciliations">
                {lang.pick(
                    "还没有对账。wxgate 每天早上（WXGATE_RECONCILE_AT）核对前一天的微信支付交易账单，也可以运行 wxgate reconcile。",
                    "Nothing checked yet. Each morning (WXGATE_RECONCILE_AT) wxgate checks the day before against WeChat Pay's trade bill; wxgate reconcile checks any day.",
                )}
            </p>
        });
    }
    Either::Right(view! {
        <ul class="reconciliations" data-testid="reconciliations">
            {days.into_iter().map(|day| view! {
                <li class="reconciliation" data-date=day.bill_date.clone() data-outcome=day.outcome.as_str()>
                    <div class="product-row">
                        <span class="product-name">{day.bill_date.clone()}</span>
                        <span class="muted">{day.outcome.sentence(lang)}</span>
                    </div>
                    <p class="muted">
                        {format!("{} {} · {} {}", day.payments, lang.pick("笔支付", "payments"), day.refunds, lang.pick("笔退款", "refunds"))}
                    </p>
                    <ul class="findings">
                        {day.findings.into_iter().map(|finding| view! { <li>{finding}</li> }).collect_view()}
                    </ul>
                </li>
            }).collect_view()}
        </ul>
    })
}
