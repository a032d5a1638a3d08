//! The shop's pages: the catalogue and a product, an order (with its payment and, for admins, refunds), the
//! buyer's orders, and the admin page (with its shipping section).

pub mod admin;
pub mod catalogue;
pub mod events;
pub mod order;
pub mod orders;
pub mod shipments;

use leptos::prelude::*;

use crate::lang::Lang;
use crate::types::money::Fen;
use crate::types::shop::ShopProblem;
use crate::types::status::OrderStatus;
use crate::types::{ApiError, LoginProblem};
use crate::ui::nav::url_encode;

/// Loads the page again from the server, after an island changed what it shows (browser only).
pub fn reload_page() {
    let _ = window().location().reload();
}

/// An order status in words.
pub fn status_label(lang: Lang, status: OrderStatus) -> &'static str {
    match status {
        OrderStatus::Created => lang.pick("待支付", "Not paid yet"),
        OrderStatus::Paying => lang.pick("等待支付", "Waiting for payment"),
        OrderStatus::Paid => lang.pick("已支付", "Paid"),
        OrderStatus::PartiallyRefunded => lang.pick("已部分退款", "Partly refunded"),
        OrderStatus::Refunded => lang.pick("已退款", "Refunded"),
        OrderStatus::Closed => lang.pick("已关闭", "Closed"),
    }
}

/// A price: ¥ and yuan with two decimals.
#[component]
pub fn Price(fen: Fen) -> impl IntoView {
    view! { <span class="price">"¥"{fen.yuan()}</span> }
}

/// A failed call, said as a sentence; signing in gets a link to the login page that comes back to `next`.
#[component]
pub fn Problem(error: ApiError, #[prop(into)] next: String) -> impl IntoView {
    let lang = expect_context::<Lang>();
    let sign_in = matches!(
        error,
        ApiError::Shop(ShopProblem::SignIn) | ApiError::Login(LoginProblem::SignIn)
    )
    .then(|| {
        let encoded = url_encode(&next);
        view! {
            <a class="btn btn-primary" href=format!("/login?next={encoded}") data-testid="go-login">
                {lang.pick("去登录", "Sign in")}
            </a>
        }
    });
    view! {
        <p class="error" role="alert" data-testid="problem">{error.sentence(lang)}</p>
        {sign_in}
    }
}
