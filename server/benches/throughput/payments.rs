//! Mini-program payment creation: `POST /api/payments/miniprogram/create` end to end (an order, a prepay at the
//! sandbox with a signed request and a verified answer, a signed paySign), and wxgate's crypto for one alone.

use rsa::pkcs8::DecodePublicKey;
use serde_json::json;
use wechat::pay::client::{now, PayClient, PayClientConfig};
use wechat::pay::credential::Credential;
use wechat::pay::params::JsapiPayParams;
use wechat::pay::sign::MerchantSigner;
use wechat::pay::validate::validate;

use super::measure::{self, Rate};
use super::wechat_pay::WeChatPay;
use super::wxgate::{Api, Credentials};

/// The cheapest product of the catalogue.
const PRODUCT: &str = "one-fen";
const PREPAY_PATH: &str = "/v3/pay/transactions/jsapi";

/// Creates `count` payments, `in_flight` at a time, the buyers of `tokens` taking turns, each answered 200 with a
/// paySign; returns their out_trade_nos.
pub async fn create(
    api: &Api,
    tokens: &[String],
    count: usize,
    in_flight: usize,
) -> (Vec<String>, Rate) {
    let jobs = (0..count)
        .map(|i| {
            let (api, token) = (api.clone(), tokens[i % tokens.len()].clone());
            async move {
                let payment = api
                    .post_ok(
                        "/api/payments/miniprogram/create",
                        Some(&token),
                        json!({ "product_id": PRODUCT }),
                    )
                    .await;
                assert!(payment["paySign"].is_string(), "no paySign in {payment}");
                payment["out_trade_no"]
                    .as_str()
                    .expect("an out_trade_no")
                    .to_owned()
            }
        })
        .collect();
    measure::in_flight(jobs, in_flight).await
}

/// What wxgate signs and verifies per mini-program payment, with its own functions: the prepay request's
/// `Authorization` (merchant key), the sandbox's signed answer (WeChat Pay public key), the paySign (merchant key).
pub fn crypto_alone(credentials: &Credentials) -> Rate {
    let signer =
        MerchantSigner::from_pem(&credentials.merchant_private_key_pem).expect("the merchant key");
    let pay_public_key = rsa::RsaPublicKey::from_public_key_pem(&credentials.pay_public_key_pem)
        .expect("the WeChat Pay public key");
    let credential = Credential {
        mch_id: credentials.mchid.clone(),
        cert_serial: credentials.merchant_serial.clone(),
        signer: signer.clone(),
    };
    let client = PayClient::new(PayClientConfig {
        base: url::Url::parse("http://127.0.0.1:9/").expect("a URL"),
        mch_id: credentials.mchid.clone(),
        cert_serial: credentials.merchant_serial.clone(),
        signer,
        api_v3_key: credentials.apiv3_key.clone().into(),
        public_key: Some((credentials.pay_public_key_id.clone(), pay_public_key)),
        platform_certificate: None,
    })
    .expect("a pay client");

    // Requests and answers as they travel, made beforehand: only wxgate's part is timed.
    let wechat_pay = WeChatPay::new(credentials);
    let exchanges: Vec<_> = (0..16)
        .map(|i| {
            let request = json!({
                "appid": credentials.mp_appid, "mchid": credentials.mchid, "description": "一分钱测试商品",
                "out_trade_no": format!("BENCH{i:027}"), "notify_url": "http://127.0.0.1:3000/api/webhooks/wechat-pay",
                "amount": { "total": 1, "currency": "CNY" }, "payer": { "openid": "oBench0123456789abcdefghijkl" },
            });
            let prepay_id = format!("wx2111{i:030}");
            let answer = wechat_pay.sign(json!({ "prepay_id": prepay_id }).to_string());
            (request.to_string(), answer, prepay_id)
        })
        .collect();

    measure::on_one_core(|i| {
        let (request, answer, prepay_id) = &exchanges[i % exchanges.len()];
        let now = now();
        credential
            .authorization(
                "POST",
                PREPAY_PATH,
                request.as_bytes(),
                now,
                "NONCE0123456789ABCDEFGHIJKLMNOPQ",
            )
            .expect("signs the request");
        validate(client.keys(), &answer.headers, answer.body.as_bytes(), now)
            .expect("the answer verifies");
        JsapiPayParams::sign(&client, &credentials.mp_appid, prepay_id).expect("signs paySign");
    })
}
