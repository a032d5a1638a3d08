//! WeChat Pay notifications: TRANSACTION.SUCCESS for orders the sandbox has marked paid, POSTed to
//! `/api/webhooks/wechat-pay` end to end (verify, decrypt, check against the order, mark it paid, keep an audit
//! record), and wxgate's crypto for one alone.

use std::future::Future;

use rsa::pkcs8::DecodePublicKey;
use serde_json::json;
use wechat::pay::aead;
use wechat::pay::client::now;
use wechat::pay::notify::Notification;
use wechat::pay::validate::{
    validate, NONCE_HEADER, SERIAL_HEADER, SIGNATURE_HEADER, TIMESTAMP_HEADER,
};
use wechat::pay::verify::KeyRing;

use super::measure::{self, Latency, Rate};
use super::wechat_pay::{Signed, WeChatPay};
use super::wxgate::{Api, Credentials};

/// Holds the sandbox's own notifications, pays every order there, and forges each payment's notification.
pub async fn prepare(
    sandbox: &Api,
    credentials: &Credentials,
    out_trade_nos: Vec<String>,
    in_flight: usize,
) -> Vec<Signed> {
    sandbox
        .post_ok("/sandbox/pay/notifications/hold", None, json!({}))
        .await;
    let payments = out_trade_nos
        .into_iter()
        .map(|out_trade_no| {
            let api = sandbox.clone();
            async move {
                let path = format!("/sandbox/pay/orders/{out_trade_no}/pay");
                // The sandbox answers with the transaction its notification would carry.
                api.post_ok(&path, None, json!({})).await
            }
        })
        .collect();
    let (transactions, _) = measure::in_flight(payments, in_flight).await;
    let wechat_pay = WeChatPay::new(credentials);
    transactions
        .iter()
        .map(|transaction| wechat_pay.payment_notification(transaction))
        .collect()
}

/// POSTs every notification, `in_flight` at a time; each must be answered 204.
pub async fn deliver(api: &Api, notifications: Vec<Signed>, in_flight: usize) -> Rate {
    let deliveries = notifications
        .into_iter()
        .map(|signed| delivery(api, signed))
        .collect();
    measure::in_flight(deliveries, in_flight).await.1
}

/// POSTs every notification at `per_second`, as WeChat Pay sends them, and times the answers.
pub async fn deliver_at_rate(api: &Api, notifications: Vec<Signed>, per_second: f64) -> Latency {
    let deliveries = notifications
        .into_iter()
        .map(|signed| delivery(api, signed))
        .collect();
    measure::at_rate(deliveries, per_second).await
}

/// One notification's POST, which must be answered 204.
fn delivery(
    api: &Api,
    Signed { headers, body }: Signed,
) -> impl Future<Output = ()> + Send + 'static {
    let request = api
        .http
        .post(api.url("/api/webhooks/wechat-pay"))
        .header(TIMESTAMP_HEADER, headers.timestamp)
        .header(NONCE_HEADER, headers.nonce)
        .header(SERIAL_HEADER, headers.serial)
        .header(SIGNATURE_HEADER, headers.signature)
        .header("Wechatpay-Signature-Type", "WECHATPAY2-SHA256-RSA2048")
        .header("content-type", "application/json")
        .body(body);
    async move {
        let answer = request.send().await.expect("wxgate answers");
        let status = answer.status();
        let text = answer.text().await.unwrap_or_default();
        assert_eq!(
            status, 204,
            "a valid notification was answered {status}: {text}"
        );
    }
}

/// What wxgate does to a notification before looking at the order, with its own functions: the signature over the
/// raw body checked with the WeChat Pay public key (time window, serial, RSA-SHA256), the resource decrypted with
/// the APIv3 key (AES-256-GCM).
pub fn crypto_alone(credentials: &Credentials, notifications: &[Signed]) -> Rate {
    let keys = KeyRing::default();
    keys.add_public_key(
        &credentials.pay_public_key_id,
        rsa::RsaPublicKey::from_public_key_pem(&credentials.pay_public_key_pem)
            .expect("the WeChat Pay public key"),
    );
    let apiv3_key = credentials.apiv3_key.as_bytes();
    let parsed: Vec<_> = notifications
        .iter()
        .map(|signed| {
            let notification: Notification =
                serde_json::from_str(&signed.body).expect("a notification");
            (signed, notification.resource)
        })
        .collect();

    measure::on_one_core(|i| {
        let (signed, resource) = &parsed[i % parsed.len()];
        validate(&keys, &signed.headers, signed.body.as_bytes(), now())
            .expect("the notification verifies");
        aead::decrypt(
            apiv3_key,
            &resource.nonce,
            &resource.associated_data,
            &resource.ciphertext,
        )
        .expect("the resource decrypts");
    })
}
