//! The admin page's shipping section: paid mini-program orders whose shipping WeChat must be told of and has not
//! been yet. Physical goods get a dispatch form (an express company from WeChat's list, the tracking number, the
//! receiver's phone for SF Express); a report WeChat refused shows why and how often it was tried; a FAILED one can
//! be tried again.

use leptos::either::Either;
use leptos::prelude::*;

use super::reload_page;
use crate::api::shop::{dispatch_order, retry_shipping};
use crate::lang::Lang;
use crate::types::shipping::{ExpressCompany, Goods, ShipmentSummary, ShippingState};
use crate::types::ApiError;

#[component]
pub fn Shipments(
    shipments: Vec<ShipmentSummary>,
    companies: Result<Vec<ExpressCompany>, ApiError>,
) -> impl IntoView {
    let lang = expect_context::<Lang>();
    if shipments.is_empty() {
        return view! {
            <p class="muted" data-testid="shipments">{lang.pick(
                "没有待发货或同步失败的订单。",
                "Nothing to dispatch, and every shipping report went through.",
            )}</p>
        }
        .into_any();
    }
    // Rendered on the server only: erased to keep the page's type shallow.
    view! {
        <ul class="orders" data-testid="shipments">
            {shipments.into_iter().map(|shipment| view! {
                <li class="shipment" data-order=shipment.order_id.clone() data-state=shipment.state.as_str()>
                    <div class="product-row">
                        <a class="product-name" href=format!("/orders/{}", shipment.order_id)>{shipment.description.clone()}</a>
                        <span class="muted">{shipment.goods.sentence(lang)}" · "{shipment.state.sentence(lang)}</span>
                    </div>
                    {shipment.last_error.clone().map(|error| view! {
                        <p class="error" data-testid="shipping-error">
                            {format!("{} {} · {error}", shipment.attempts, lang.pick("次失败", "failed tries"))}
                        </p>
                    })}
                    {(shipment.goods == Goods::Physical).then(|| view! {
                        <DispatchForm shipment=shipment.clone() companies=companies.clone()/>
                    })}
                    {(shipment.state == ShippingState::Failed).then(|| view! {
                        <RetryButton order_id=shipment.order_id.clone()/>
                    })}
                </li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// Express company, tracking number and (SF Express) the receiver's phone for one order's physical goods. An
/// island.
#[island]
fn DispatchForm(
    shipment: ShipmentSummary,
    companies: Result<Vec<ExpressCompany>, ApiError>,
) -> impl IntoView {
    let lang = crate::lang::current();
    let order_id = shipment.order_id.clone();
    let company = RwSignal::new(shipment.express_company.clone().unwrap_or_default());
    let tracking_no = RwSignal::new(shipment.tracking_no.clone().unwrap_or_default());
    let phone = RwSignal::new(String::new());
    let dispatch = Action::new(
        move |(order_id, company, tracking_no, phone): &(String, String, String, String)| {
            dispatch_order(
                order_id.clone(),
                company.clone(),
                tracking_no.clone(),
                phone.clone(),
            )
        },
    );
    let failure = RwSignal::new(None::<ApiError>);
    Effect::new(move |_| match dispatch.value().get() {
        Some(Ok(())) => reload_page(),
        Some(Err(error)) => failure.set(Some(error)),
        None => {}
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        failure.set(None);
        dispatch.dispatch((
            order_id.clone(),
            company.get_untracked(),
            tracking_no.get_untracked(),
            phone.get_untracked(),
        ));
    };
    view! {
        <form class="product-editor" on:submit=submit data-testid="dispatch-form">
            <label>{lang.pick("快递公司", "Express company")}
                {match companies {
                        Ok(listed) => Either::Left(view! {
                            <select on:change=move |event| company.set(event_target_value(&event)) data-testid="express-company">
                                <option value="" selected=move || company.get().is_empty()>{lang.pick("请选择", "Pick one")}</option>
                                {listed.into_iter().map(|listed| {
                                    let id = listed.delivery_id.clone();
                                    view! {
                                        <option value=listed.delivery_id.clone() selected=move || company.get() == id>{listed.name}</option>
                                    }
                                }).collect_view()}
                            </select>
                        }),
                        Err(error) => Either::Right(view! { <span class="error">{error.sentence(lang)}</span> }),
                    }}
            </label>
            <label>{lang.pick("运单号", "Tracking number")}
                <input prop:value=tracking_no on:input=move |event| tracking_no.set(event_target_value(&event)) data-testid="tracking-no"/>
            </label>
            <label>{lang.pick("收件人手机（顺丰必填，只保存掩码）", "Receiver's phone (SF Express; kept masked)")}
                <input inputmode="tel" prop:value=phone on:input=move |event| phone.set(event_target_value(&event)) data-testid="receiver-phone"/>
            </label>
            <div class="actions">
                <button class="btn btn-primary" type="submit" disabled=move || dispatch.pending().get() data-testid="dispatch">
                    {if shipment.state == ShippingState::AwaitingDispatch { lang.pick("发货", "Dispatch") } else { lang.pick("更正并重新同步", "Correct and report again") }}
                </button>
            </div>
            {move || failure.get().map(|error| view! { <p class="error" role="alert">{error.sentence(lang)}</p> })}
        </form>
    }
}

/// Tries a FAILED report again. An island.
#[island]
fn RetryButton(order_id: String) -> impl IntoView {
    let lang = crate::lang::current();
    let retry = Action::new(move |order_id: &String| retry_shipping(order_id.clone()));
    Effect::new(move |_| {
        if let Some(Ok(())) = retry.value().get() {
            reload_page();
        }
    });
    view! {
        <button class="btn btn-default" type="button" data-testid="retry-shipping"
            on:click=move |_| { retry.dispatch(order_id.clone()); }>
            {lang.pick("重新同步", "Try again")}
        </button>
        {move || retry.value().get().and_then(Result::err).map(|error| view! { <p class="error" role="alert">{error.sentence(lang)}</p> })}
    }
}
