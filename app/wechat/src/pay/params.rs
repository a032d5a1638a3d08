//! The client-side payment parameters, signed on the server: what `WeixinJSBridge.invoke('getBrandWCPayRequest')`,
//! `wx.requestPayment` and the App SDK need. paySign never leaves the server unsigned, and never uses v2's MD5.
//!
//! Docs: <https://pay.weixin.qq.com/doc/v3/merchant/4012365340> (JSAPI), <https://pay.weixin.qq.com/doc/v3/merchant/4012365341>
//! (mini program), <https://pay.weixin.qq.com/doc/v3/merchant/4012365342> (App).

use serde::{Deserialize, Serialize};

#[cfg(feature = "client")]
mod signing;

/// Parameters for the JSAPI pay bridge (`getBrandWCPayRequest`) and `wx.requestPayment` (which ignores `appId`),
/// named as they take them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "camelCase")]
pub struct JsapiPayParams {
    pub app_id: String,
    /// Unix seconds as a string, as WeChat wants it.
    pub time_stamp: String,
    pub nonce_str: String,
    /// `prepay_id=…`
    pub package: String,
    /// Always `RSA` in API v3.
    pub sign_type: String,
    pub pay_sign: String,
}

/// Parameters for the WeChat App SDK's `PayReq`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AppPayParams {
    pub appid: String,
    pub partnerid: String,
    pub prepayid: String,
    /// Always `Sign=WXPay`.
    pub package: String,
    pub noncestr: String,
    pub timestamp: String,
    pub sign: String,
}
