//! An order's page (`/orders/{id}`): what was bought and its state, kept live while it can be paid or a refund is
//! under way (the database every second, WeChat Pay every five); the way to pay from this browser (the pay bridge inside WeChat, WeChat
//! Pay's H5 page on a phone, a QR on a desktop); its shipping and refunds, and for an admin the refund form. An order
//! of a product's checkout goes back to the product's `success_url` once this visit sees it paid.

use std::time::Duration;

use leptos::either::{Either, EitherOf5};
use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_router::hooks::{use_params_map, use_query_map};

use super::{status_label, Price, Problem};
use crate::api::shop::{fetch_order, pay_order, refund_order};
use crate::lang::Lang;
use crate::types::money::Fen;
use crate::types::shop::{OrderDetail, PaymentStep, ShopProblem};
use crate::types::status::RefundStatus;
use crate::types::ApiError;
use crate::ui::wechat::request_payment;

/// Every this many polls (seconds), the poll asks WeChat Pay rather than only the database.
const ASK_WECHAT_EVERY: u32 = 5;

#[component]
pub fn OrderPage() -> impl IntoView {
    let lang = expect_context::<Lang>();
    let params = use_params_map();
    let query = use_query_map();
    let order_id = params.read_untracked().get("id").unwrap_or_default();
    let returned = query.read_untracked().get("returned").is_some();
    // How to pay is asked of the server while it renders the page (paying again reuses the order's live prepay),
    // and handed to the island as it is.
    let id = order_id.clone();
    let step = Resource::new(move || id.clone(), pay_order);
    view! {
        <Suspense fallback=move || view! { <section class="card"><p class="muted">{lang.pick("正在准备支付…", "Preparing the payment…")}</p></section> }>
            {move || step.get().map(|step| view! { <LiveOrder order_id=order_id.clone() returned step/> })}
        </Suspense>
    }
}

/// The order kept live and its payment: an island, hydrated in the browser. `returned` says the visitor came back
/// from WeChat Pay's page; `step` is how this browser pays, or why it cannot.
#[island]
fn LiveOrder(
    order_id: String,
    returned: bool,
    step: Result<PaymentStep, ApiError>,
) -> impl IntoView {
    let lang = crate::lang::current();
    provide_context(lang);
    let polls = RwSignal::new(0_u32);
    let id = order_id.clone();
    let detail = Resource::new(
        move || (id.clone(), polls.get()),
        |(id, poll)| fetch_order(id, poll % ASK_WECHAT_EVERY == 0),
    );
    // True until the order is seen paid, closed or expired: the same on the server and at hydration, then kept up
    // to date by the polls in the browser.
    let waiting = RwSignal::new(true);
    // True while something is still to come: the payment, or a refund WeChat Pay has not finished.
    let live = RwSignal::new(true);
    // Whether this visit saw the order unpaid (or came back from WeChat Pay's page): then its payment happened now,
    // and a product's checkout goes back to the product.
    let paying_now = RwSignal::new(returned);
    Effect::new(move |_| {
        if let Some(Ok(order)) = detail.get() {
            if order.payable {
                paying_now.set(true);
            } else if order.status.is_paid() && paying_now.get_untracked() {
                if let Some(url) = &order.success_url {
                    let _ = window().location().set_href(url);
                }
            }
            waiting.set(order.payable);
            live.set(
                order.payable
                    || order
                        .refunds
                        .iter()
                        .any(|refund| refund.status.is_pending()),
            );
        }
    });
    // Browser only: poll while something is to come.
    Effect::new(move |_| {
        let interval = set_interval_with_handle(
            move || {
                if live.get_untracked() {
                    polls.update(|poll| *poll += 1);
                }
            },
            Duration::from_secs(1),
        );
        if let Ok(handle) = interval {
            on_cleanup(move || handle.clear());
        }
    });
    // Asks WeChat Pay on the next poll, e.g. right after the pay sheet said ok.
    let ask_now =
        move || polls.update(|poll| *poll = (*poll / ASK_WECHAT_EVERY + 1) * ASK_WECHAT_EVERY);
    let here = format!("/orders/{order_id}");
    let pay_here = here.clone();

    view! {
        <section class="card order">
            <Transition fallback=move || view! { <p class="muted">{lang.pick("加载中…", "Loading…")}</p> }>
                {move || detail.get().map(|result| match result {
                    Ok(order) => Either::Left(view! { <OrderCard order on_refunded=move || polls.update(|poll| *poll += 1)/> }),
                    Err(error) => Either::Right(view! { <Problem error next=here.clone()/> }),
                })}
            </Transition>
            <Show when=move || waiting.get()>
                {returned.then(|| view! {
                    <p class="muted" data-testid="confirming">{lang.pick("正在确认支付结果…", "Checking the payment…")}</p>
                })}
                <PayPanel step=step.clone() here=pay_here.clone() on_paid=ask_now/>
            </Show>
        </section>
    }
}

/// The order, its status and its refunds.
#[component]
fn OrderCard(
    order: OrderDetail,
    on_refunded: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let lang = expect_context::<Lang>();
    let paid = order.status.is_paid();
    let back_to_product = if paid {
        order.success_url.clone().map(|url| {
            view! { <a class="btn btn-primary" href=url rel="external" data-testid="return-to-product">{lang.pick("返回商家", "Back to the shop")}</a> }
        })
    } else {
        order.cancel_url.clone().filter(|_| order.payable).map(|url| {
            view! { <a class="link" href=url rel="external" data-testid="cancel-checkout">{lang.pick("不付款，返回商家", "Back to the shop without paying")}</a> }
        })
    };
    view! {
        <h1 class="title">{order.description.clone()}</h1>
        <div class="amount"><Price fen=order.total_fen/></div>
        <p class=if paid { "order-status paid" } else { "order-status" } data-testid="order-status" data-status=order.status.as_str()>
            {status_label(lang, order.status)}
        </p>
        {if order.paid_after_closing {
            Some(Either::Left(view! {
                <p class="error" data-testid="paid-after-closing">{lang.pick(
                    "订单关闭后微信支付仍收到了这笔付款，订单不会发货，请退款。",
                    "WeChat Pay took this payment after the order was closed: it will not be delivered, so refund it.",
                )}</p>
            }))
        } else {
            order.flagged.then(|| Either::Right(view! {
                <p class="error">{lang.pick(
                    "收到了一笔金额不符的支付，已标记待人工核对。",
                    "A payment that did not match this order arrived; it is flagged for a person to check.",
                )}</p>
            }))
        }}
        <dl class="status">
            <div class="status-row"><dt>{lang.pick("订单号", "Order number")}</dt><dd>{order.out_trade_no.clone()}</dd></div>
            {order.shipping.clone().map(|shipping| view! {
                <div class="status-row" data-testid="shipping" data-state=shipping.state.as_str()>
                    <dt>{lang.pick("发货", "Shipping")}</dt>
                    <dd>
                        {shipping.state.sentence(lang)}
                        {shipping.express_company.map(|company| format!(" · {company}"))}
                        {shipping.tracking_no.map(|tracking_no| format!(" {tracking_no}"))}
                        {shipping.receipt_confirmed_at.map(|_| view! {
                            <span data-testid="receipt-confirmed">{lang.pick(" · 买家已确认收货", " · receipt confirmed by the buyer")}</span>
                        })}
                    </dd>
                </div>
            })}
        </dl>
        {(!order.refunds.is_empty()).then(|| view! {
            <h2 class="subtitle">{lang.pick("退款", "Refunds")}</h2>
            <ul class="refunds" data-testid="refunds">
                {order.refunds.iter().map(|refund| view! {
                    <li class="status-row" data-refund=refund.out_refund_no.clone() data-status=refund.status.as_str()>
                        <span><Price fen=refund.refund_fen/>" "{refund.reason.clone().unwrap_or_default()}</span>
                        <span class="muted">{refund_label(lang, refund.status)}</span>
                    </li>
                }).collect_view()}
            </ul>
        })}
        {order.refundable_fen.filter(|left| left.is_positive()).map(|left| view! {
            <RefundForm order_id=order.order_id.clone() left on_refunded/>
        })}
        {back_to_product}
    }
}

fn refund_label(lang: Lang, status: RefundStatus) -> &'static str {
    match status {
        RefundStatus::Success => lang.pick("已退回", "Refunded"),
        RefundStatus::Closed => lang.pick("已关闭", "Closed"),
        RefundStatus::Abnormal => lang.pick("退款异常", "Needs attention"),
        RefundStatus::Requested | RefundStatus::Processing => lang.pick("退款中", "In progress"),
    }
}

/// How to pay from this browser.
#[component]
fn PayPanel(
    step: Result<PaymentStep, ApiError>,
    here: String,
    on_paid: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let lang = expect_context::<Lang>();
    match step {
        Ok(PaymentStep::Qr {
            image,
            sandbox_scan,
        }) => EitherOf5::A(view! {
            <p class="lead">{lang.pick("请用微信扫码支付", "Scan with WeChat to pay")}</p>
            <img class="pay-qr" src=image alt=lang.pick("微信支付二维码", "WeChat Pay QR code") data-testid="pay-qr"/>
            <p class="muted">{lang.pick("支付完成后本页会自动更新。", "This page updates by itself once you have paid.")}</p>
            {sandbox_scan.map(|link| view! {
                <a class="link" href=link rel="external" target="_blank" data-testid="sandbox-scan">
                    {lang.pick("沙盒：在“手机”上打开这个二维码", "Sandbox: open this QR on the \"phone\"")}
                </a>
            })}
        }),
        Ok(PaymentStep::Redirect(url)) => EitherOf5::B(view! {
            <a class="btn btn-primary" href=url rel="external" data-testid="pay-h5">{lang.pick("去微信支付", "Pay with WeChat")}</a>
        }),
        Ok(PaymentStep::Bridge(params)) => EitherOf5::C(view! { <BridgeButton params on_paid/> }),
        // Paid or closed by now: the order card says so.
        Err(ApiError::Shop(ShopProblem::NotPayable)) => EitherOf5::D(()),
        Err(error) => EitherOf5::E(view! { <Problem error next=here/> }),
    }
}

/// Inside WeChat: the button that opens WeChat's pay sheet.
#[component]
fn BridgeButton(
    params: crate::types::shop::JsapiPayParams,
    on_paid: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let lang = expect_context::<Lang>();
    let outcome = RwSignal::new(None::<String>);
    let busy = RwSignal::new(false);
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let pay = move |_| {
        let params = params.clone();
        busy.set(true);
        spawn_local(async move {
            let answer = request_payment(&params).await;
            busy.set(false);
            if answer.ends_with(":ok") {
                on_paid();
            }
            outcome.set(Some(answer));
        });
    };
    view! {
        <button class="btn btn-primary" data-testid="pay-wechat" disabled=move || !hydrated.get() || busy.get() on:click=pay>
            {lang.pick("微信支付", "Pay with WeChat")}
        </button>
        {move || outcome.get().map(|answer| {
            let (class, sentence) = if answer.ends_with(":ok") {
                ("muted", lang.pick("支付完成，正在确认…", "Paid; confirming…"))
            } else if answer.ends_with(":cancel") {
                ("muted", lang.pick("你取消了支付。", "You cancelled the payment."))
            } else {
                ("error", lang.pick("微信没有完成支付，请重试。", "WeChat did not complete the payment; please try again."))
            };
            view! { <p class=class data-testid="pay-outcome">{sentence}</p> }
        })}
    }
}

/// For an admin: refund part or all of what is left.
#[component]
fn RefundForm(
    order_id: String,
    left: Fen,
    on_refunded: impl Fn() + Copy + Send + Sync + 'static,
) -> impl IntoView {
    let lang = expect_context::<Lang>();
    let amount = RwSignal::new(left.yuan());
    let reason = RwSignal::new(String::new());
    // One id per refund meant: a retried click sends the same id, so it is the same refund at WeChat Pay.
    // Made in the browser at the first submit, kept until that refund succeeds.
    let request_id = RwSignal::new(String::new());
    let invalid = RwSignal::new(false);
    let refund = Action::new(move |(fen, reason, request_id): &(Fen, String, String)| {
        refund_order(order_id.clone(), *fen, reason.clone(), request_id.clone())
    });
    Effect::new(move |_| {
        if let Some(Ok(())) = refund.value().get() {
            request_id.set(String::new());
            on_refunded();
        }
    });
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        match Fen::from_yuan(&amount.get_untracked()) {
            Some(fen) if fen.is_positive() && fen <= left => {
                invalid.set(false);
                if request_id.get_untracked().is_empty() {
                    request_id.set(new_request_id());
                }
                refund.dispatch((fen, reason.get_untracked(), request_id.get_untracked()));
            }
            _ => invalid.set(true),
        }
    };
    view! {
        <form class="refund-form" id="refund" on:submit=submit data-testid="refund-form">
            <h2 class="subtitle">{lang.pick("退款（管理员）", "Refund (admin)")}</h2>
            <label>{lang.pick("金额（元）", "Amount (yuan)")}
                <input inputmode="decimal" prop:value=amount data-testid="refund-amount"
                    on:input=move |event| {
                        // Another amount is another refund.
                        amount.set(event_target_value(&event));
                        request_id.set(String::new());
                    }/>
            </label>
            <label>{lang.pick("原因", "Reason")}
                <input prop:value=reason on:input=move |event| reason.set(event_target_value(&event)) data-testid="refund-reason"/>
            </label>
            <button class="btn btn-default" type="submit" disabled=move || refund.pending().get() data-testid="refund">
                {lang.pick("退款", "Refund")}
            </button>
            {move || invalid.get().then(|| view! {
                <p class="error">{format!("{} ¥{}", lang.pick("请输入不超过可退金额的金额：", "Enter an amount up to what is left:"), left.yuan())}</p>
            })}
            {move || refund.value().get().and_then(Result::err).map(|error| view! { <p class="error" role="alert">{error.sentence(lang)}</p> })}
        </form>
    }
}

/// A fresh id for a refund request, from the browser's random numbers (browser only).
fn new_request_id() -> String {
    (0..4)
        .map(|_| {
            format!(
                "{:08x}",
                (js_sys::Math::random() * f64::from(u32::MAX)) as u32
            )
        })
        .collect()
}
