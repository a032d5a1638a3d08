//! The client-side payment parameters, signed on the server: what `WeixinJSBridge.invoke('getBrandWCPayRequest')`,
//! `wx.requestPayment` and the App SDK need. paySign never leaves the server unsigned, and never uses v2's MD5.
//!
//! Docs: <https://pay.weixin.qq.com/doc/v3/merchant/4012365340> (JSAPI), <https://pay.weixin.qq.com/doc/v3/merchant/4012365341>
//! (mini program), <https://pay.weixin.qq.com/doc/v3/merchant/4012365342> (App).

use rand::distributions::{Alphanumeric, DistString};
use serde::{Deserialize, Serialize};

use super::client::{now, PayClient};
use super::sign::{app_sign_message, pay_sign_message, SignError};
/// Parameters for the JSAPI pay bridge (`getBrandWCPayRequest`) and `wx.requestPayment` (which ignores `appId`),
/// named as they take them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
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

impl JsapiPayParams {
    /// Signs the parameters for `prepay_id` of an order made for `appid`.
    pub fn sign(
        client: &PayClient,
        appid: &str,
        prepay_id: &str,
    ) -> Result<JsapiPayParams, SignError> {
        let time_stamp = now().to_string();
        let nonce_str = nonce();
        let package = format!("prepay_id={prepay_id}");
        let pay_sign =
            client.sign(pay_sign_message(appid, &time_stamp, &nonce_str, &package).as_bytes())?;
        Ok(JsapiPayParams {
            app_id: appid.to_owned(),
            time_stamp,
            nonce_str,
            package,
            sign_type: "RSA".to_owned(),
            pay_sign,
        })
    }
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

impl AppPayParams {
    pub fn sign(
        client: &PayClient,
        appid: &str,
        prepay_id: &str,
    ) -> Result<AppPayParams, SignError> {
        let timestamp = now().to_string();
        let noncestr = nonce();
        let sign =
            client.sign(app_sign_message(appid, &timestamp, &noncestr, prepay_id).as_bytes())?;
        Ok(AppPayParams {
            appid: appid.to_owned(),
            partnerid: client.mch_id().to_owned(),
            prepayid: prepay_id.to_owned(),
            package: "Sign=WXPay".to_owned(),
            noncestr,
            timestamp,
            sign,
        })
    }
}

fn nonce() -> String {
    Alphanumeric.sample_string(&mut rand::thread_rng(), 32)
}
