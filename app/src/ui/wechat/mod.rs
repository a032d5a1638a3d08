//! Pages opened inside WeChat: each page configures the JS-SDK (`wx.config`, signed by the server for the page's
//! own URL) and sets its share card; the order page pays through WeChat's pay bridge.

use leptos::prelude::*;
use leptos::task::spawn_local;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

use crate::api::wechat_page::sign_wechat_page;
use crate::types::shop::{JsapiPayParams, WeChatPageConfig};

#[wasm_bindgen(module = "/src/ui/wechat/bridge.js")]
extern "C" {
    #[wasm_bindgen(js_name = configure)]
    fn configure_page(config_json: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = requestPayment)]
    fn request_payment_promise(params_json: &str) -> js_sys::Promise;
}

/// True in the WeChat browser (its user agent says MicroMessenger). Browser only.
pub fn in_wechat() -> bool {
    window()
        .navigator()
        .user_agent()
        .is_ok_and(|agent| agent.contains("MicroMessenger"))
}

/// Configures the JS-SDK for the current page; resolves once `wx.ready` has fired and the share card is set.
async fn configure(config: &WeChatPageConfig) -> Result<(), String> {
    let json = serde_json::to_string(config).map_err(|error| error.to_string())?;
    JsFuture::from(configure_page(&json))
        .await
        .map(|_| ())
        .map_err(|error| format!("{error:?}"))
}

/// Opens WeChat's pay sheet with the server-signed `params`; returns WeChat's `err_msg`
/// (`get_brand_wcpay_request:ok`, `:cancel` or `:fail`).
pub async fn request_payment(params: &JsapiPayParams) -> String {
    let Ok(json) = serde_json::to_string(params) else {
        return "get_brand_wcpay_request:fail".to_owned();
    };
    JsFuture::from(request_payment_promise(&json))
        .await
        .ok()
        .and_then(|answer| answer.as_string())
        .unwrap_or_else(|| "get_brand_wcpay_request:fail".to_owned())
}

/// Inside WeChat, configures the JS-SDK for the page (the signature covers its URL): an island, run once per page
/// load in the browser, and every page the visitor goes to is loaded from the server.
#[island]
pub fn WeChatPage() -> impl IntoView {
    Effect::new(move |_| {
        if !in_wechat() {
            return;
        }
        spawn_local(async move {
            let url = window().location().href().unwrap_or_default();
            let title = document().title();
            match sign_wechat_page(url, title).await {
                Ok(Some(config)) => {
                    if let Err(error) = configure(&config).await {
                        leptos::logging::warn!("wx.config failed: {error}");
                    }
                }
                Ok(None) => {}
                Err(error) => leptos::logging::warn!("wx.config was not signed: {error}"),
            }
        });
    });
}
