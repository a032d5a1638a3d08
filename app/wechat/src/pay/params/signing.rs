//! Signing the client-side payment parameters with the merchant's key.

use rand::distributions::{Alphanumeric, DistString};

use super::{AppPayParams, JsapiPayParams};
use crate::pay::client::{now, PayClient};
use crate::pay::sign::{app_sign_message, pay_sign_message, SignError};

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
