//! wxgate's WeChat Pay client against `wxgate sandbox`: every API in public-key mode and certificate mode, the
//! retry rules, and notifications verified and decrypted by the client as the webhook will.

use axum::http::StatusCode;
use base64::engine::general_purpose::STANDARD as BASE64;
use base64::Engine as _;
use rsa::pkcs1v15::{Signature, VerifyingKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey};
use rsa::sha2::Sha256;
use rsa::signature::Verifier as _;
use secrecy::SecretString;
use serde_json::json;
use url::Url;
use wechat::pay::client::{PayClient, PayClientConfig};
use wechat::pay::error::PayError;
use wechat::pay::notify::{verify_and_decrypt, NotifyError, Resource};
use wechat::pay::params::{AppPayParams, JsapiPayParams};
use wechat::pay::refund::{self, RefundRequest};
use wechat::pay::sign::{app_sign_message, pay_sign_message, MerchantSigner};
use wechat::pay::transactions::{self, OrderRequest, Prepay, TradeType};
use wechat::pay::validate::{SignatureHeaders, ValidationError};
use wechat::pay::verify::VerifyError;

use crate::support::merchant::Receiver;
use crate::support::Sandbox;

fn client(sandbox: &Sandbox, public_key_mode: bool) -> PayClient {
    let field = |name: &str| sandbox.credential(name);
    let public_key = public_key_mode.then(|| {
        let key = rsa::RsaPublicKey::from_public_key_pem(&field("pay_public_key_pem"))
            .expect("public key");
        (field("pay_public_key_id"), key)
    });
    PayClient::new(PayClientConfig {
        base: Url::parse(&sandbox.base_url).expect("url"),
        mch_id: field("mchid"),
        cert_serial: field("merchant_serial"),
        signer: MerchantSigner::from_pem(&field("merchant_private_key_pem")).expect("merchant key"),
        api_v3_key: SecretString::from(field("apiv3_key")),
        public_key,
        platform_certificate: None,
    })
    .expect("client")
}

fn order(
    sandbox: &Sandbox,
    out_trade_no: &str,
    total_fen: u64,
    notify_url: &str,
    trade_type: TradeType,
) -> OrderRequest {
    OrderRequest {
        appid: sandbox.credential("oa_appid"),
        description: "wxgate 测试商品".to_owned(),
        out_trade_no: out_trade_no.to_owned(),
        total_fen,
        notify_url: notify_url.to_owned(),
        time_expire: None,
        attach: None,
        trade_type,
    }
}

#[tokio::test]
async fn native_order_is_queried_paid_and_then_cannot_be_closed_in_public_key_mode() {
    let sandbox = Sandbox::start().await;
    let client = client(&sandbox, true);
    let request = order(
        &sandbox,
        "WXG20261121A001",
        1288,
        "https://shop.example.com/notify",
        TradeType::Native,
    );

    let Prepay::CodeUrl(code_url) = transactions::prepay(&client, &request)
        .await
        .expect("prepay")
    else {
        panic!("Native gives a code_url");
    };
    assert!(
        code_url.starts_with("weixin://wxpay/bizpayurl?pr="),
        "{code_url}"
    );
    let again = transactions::prepay(&client, &request)
        .await
        .expect("same order again");
    // As WeChat does, an identical repeat answers with a new code_url for the same order.
    let Prepay::CodeUrl(again) = again else {
        panic!("Native gives a code_url");
    };
    assert!(again.starts_with("weixin://wxpay/bizpayurl?pr="), "{again}");
    assert_ne!(
        again, code_url,
        "a repeated Native prepay issues a new code_url"
    );

    let unpaid = transactions::query_by_out_trade_no(&client, "WXG20261121A001")
        .await
        .expect("query");
    assert_eq!(unpaid.trade_state, "NOTPAY");

    sandbox
        .control("/sandbox/pay/orders/WXG20261121A001/pay", json!({}))
        .await;
    let paid = transactions::query_by_out_trade_no(&client, "WXG20261121A001")
        .await
        .expect("query");
    assert_eq!(paid.trade_state, "SUCCESS");
    assert_eq!(paid.amount.as_ref().map(|amount| amount.total), Some(1288));
    let transaction_id = paid.transaction_id.clone().expect("transaction id");
    let by_id = transactions::query_by_transaction_id(&client, &transaction_id)
        .await
        .expect("query by id");
    assert_eq!(by_id.out_trade_no, "WXG20261121A001");

    let refused = transactions::close(&client, "WXG20261121A001")
        .await
        .expect_err("paid orders stay open");
    assert_eq!(refused.code(), Some("ORDERPAID"));

    let changed = order(
        &sandbox,
        "WXG20261121A001",
        999,
        "https://shop.example.com/notify",
        TradeType::Native,
    );
    let used = transactions::prepay(&client, &changed)
        .await
        .expect_err("changed duplicate");
    assert_eq!(
        (used.status(), used.code()),
        (Some(400), Some("INVALID_REQUEST"))
    );
    let missing = transactions::query_by_out_trade_no(&client, "WXG-NO-SUCH-ORDER")
        .await
        .expect_err("unknown");
    assert_eq!(
        (missing.status(), missing.code()),
        (Some(404), Some("ORDER_NOT_EXIST"))
    );
}

#[tokio::test]
async fn certificate_mode_downloads_certificates_and_follows_a_rotation() {
    let sandbox = Sandbox::start().await;
    let client = client(&sandbox, false);
    assert!(client.keys().serials().is_empty());

    let request = order(
        &sandbox,
        "WXG20261121B001",
        100,
        "https://shop.example.com/notify",
        TradeType::Native,
    );
    transactions::prepay(&client, &request)
        .await
        .expect("the first answer's serial makes the client download");
    assert_eq!(
        client.keys().serials(),
        vec![sandbox.credential("platform_cert_serial")]
    );

    sandbox
        .control("/sandbox/pay/certificates/rotate", json!({}))
        .await;
    // Within a minute of the last download an unknown serial is not chased again: the answer is refused, naming it.
    let refused = transactions::query_by_out_trade_no(&client, "WXG20261121B001")
        .await
        .expect_err("rate limited");
    assert!(
        matches!(
            refused,
            PayError::Unverified {
                source: ValidationError::Verify(VerifyError::UnknownSerial(_)),
                ..
            }
        ),
        "{refused}"
    );
    assert_eq!(
        client
            .refresh_certificates()
            .await
            .expect("periodic refresh"),
        2,
        "both certificates overlap"
    );
    let unpaid = transactions::query_by_out_trade_no(&client, "WXG20261121B001")
        .await
        .expect("verified with the new one");
    assert_eq!(unpaid.trade_state, "NOTPAY");
    transactions::close(&client, "WXG20261121B001")
        .await
        .expect("close");
    transactions::close(&client, "WXG20261121B001")
        .await
        .expect("closing twice is harmless");
    let closed = transactions::query_by_out_trade_no(&client, "WXG20261121B001")
        .await
        .expect("query");
    assert_eq!(closed.trade_state, "CLOSED");
}

#[tokio::test]
async fn jsapi_and_h5_prepay_give_what_the_page_needs_with_a_verifiable_pay_sign() {
    let sandbox = Sandbox::start().await;
    let client = client(&sandbox, true);
    let appid = sandbox.credential("oa_appid");
    let openid = sandbox.persona_openid("xiaohong", &appid).await;
    let jsapi = order(
        &sandbox,
        "WXG20261121C001",
        500,
        "https://shop.example.com/notify",
        TradeType::Jsapi {
            openid: openid.clone(),
        },
    );
    let Prepay::PrepayId(prepay_id) = transactions::prepay(&client, &jsapi)
        .await
        .expect("jsapi prepay")
    else {
        panic!("JSAPI gives a prepay_id");
    };
    let params = JsapiPayParams::sign(&client, &appid, &prepay_id).expect("params");
    assert_eq!(params.package, format!("prepay_id={prepay_id}"));
    assert_eq!(params.sign_type, "RSA");
    let merchant =
        rsa::RsaPrivateKey::from_pkcs8_pem(&sandbox.credential("merchant_private_key_pem"))
            .expect("key");
    let message = pay_sign_message(
        &appid,
        &params.time_stamp,
        &params.nonce_str,
        &params.package,
    );
    let signature =
        Signature::try_from(BASE64.decode(&params.pay_sign).expect("base64").as_slice())
            .expect("signature");
    VerifyingKey::<Sha256>::new(merchant.to_public_key())
        .verify(message.as_bytes(), &signature)
        .expect("paySign verifies with the merchant's public key");
    let as_json = serde_json::to_value(&params).expect("json");
    for field in [
        "appId",
        "timeStamp",
        "nonceStr",
        "package",
        "signType",
        "paySign",
    ] {
        assert!(
            as_json.get(field).is_some(),
            "{field} missing from {as_json}"
        );
    }

    let h5 = order(
        &sandbox,
        "WXG20261121C002",
        500,
        "https://shop.example.com/notify",
        TradeType::H5 {
            payer_client_ip: "203.0.113.7".to_owned(),
        },
    );
    let Prepay::H5Url(h5_url) = transactions::prepay(&client, &h5).await.expect("h5 prepay") else {
        panic!("H5 gives an h5_url");
    };
    assert!(h5_url.starts_with("http"), "{h5_url}");
}

#[tokio::test]
async fn refunds_go_up_to_the_paid_total_and_repeat_safely() {
    let sandbox = Sandbox::start().await;
    let client = client(&sandbox, true);
    let request = order(
        &sandbox,
        "WXG20261121D001",
        100,
        "https://shop.example.com/notify",
        TradeType::Native,
    );
    transactions::prepay(&client, &request)
        .await
        .expect("prepay");
    sandbox
        .control("/sandbox/pay/orders/WXG20261121D001/pay", json!({}))
        .await;

    let first = RefundRequest {
        out_trade_no: "WXG20261121D001".to_owned(),
        out_refund_no: "WXGR20261121D001".to_owned(),
        refund_fen: 30,
        total_fen: 100,
        reason: Some("部分退款".to_owned()),
        notify_url: None,
    };
    let refund = refund::create(&client, &first).await.expect("refund");
    assert_eq!(refund.status, "PROCESSING");
    assert_eq!(refund.amount.refund, 30);
    let repeated = refund::create(&client, &first)
        .await
        .expect("same out_refund_no again");
    assert_eq!(repeated.refund_id, refund.refund_id);

    sandbox
        .control(
            "/sandbox/pay/refunds/WXGR20261121D001/outcome",
            json!({ "status": "SUCCESS" }),
        )
        .await;
    assert_eq!(
        refund::query(&client, "WXGR20261121D001")
            .await
            .expect("query")
            .status,
        "SUCCESS"
    );

    let too_much = RefundRequest {
        out_refund_no: "WXGR20261121D002".to_owned(),
        refund_fen: 80,
        ..first
    };
    let refused = refund::create(&client, &too_much)
        .await
        .expect_err("only 70 left");
    assert_eq!(
        (refused.status(), refused.code()),
        (Some(400), Some("INVALID_REQUEST"))
    );
}

#[tokio::test]
async fn system_errors_are_retried_and_unsigned_errors_still_give_their_code() {
    let sandbox = Sandbox::start().await;
    let client = client(&sandbox, true);
    let request = order(
        &sandbox,
        "WXG20261121E001",
        100,
        "https://shop.example.com/notify",
        TradeType::Native,
    );
    transactions::prepay(&client, &request)
        .await
        .expect("prepay");

    sandbox
        .control(
            "/sandbox/pay/faults",
            json!({ "fail_next": 1, "error": "SYSTEM_ERROR" }),
        )
        .await;
    let unpaid = transactions::query_by_out_trade_no(&client, "WXG20261121E001")
        .await
        .expect("retried once");
    assert_eq!(unpaid.trade_state, "NOTPAY");

    sandbox
        .control(
            "/sandbox/pay/faults",
            json!({ "fail_next": 5, "error": "FREQUENCY_LIMITED", "unsigned_errors": true }),
        )
        .await;
    let refused = transactions::query_by_out_trade_no(&client, "WXG20261121E001")
        .await
        .expect_err("bounded retries");
    assert_eq!(
        (refused.status(), refused.code()),
        (Some(429), Some("FREQUENCY_LIMITED"))
    );
}

#[tokio::test]
async fn notifications_are_verified_and_decrypted_by_the_client_and_bad_ones_refused() {
    let sandbox = Sandbox::start().await;
    let client = client(&sandbox, true);
    let receiver = Receiver::start(vec![StatusCode::NO_CONTENT]).await;
    let request = order(
        &sandbox,
        "WXG20261121F001",
        2500,
        &receiver.url,
        TradeType::Native,
    );
    transactions::prepay(&client, &request)
        .await
        .expect("prepay");
    sandbox
        .control("/sandbox/pay/orders/WXG20261121F001/pay", json!({}))
        .await;

    let (headers, body) = receiver.nth(1).await;
    let signature_headers = SignatureHeaders::from_headers(&headers).expect("signature headers");
    let now = wechat::pay::client::now();
    let verified = verify_and_decrypt(
        client.keys(),
        client.api_v3_key(),
        &signature_headers,
        &body,
        now,
    )
    .expect("valid");
    assert_eq!(verified.notification.event_type, "TRANSACTION.SUCCESS");
    let Ok(Resource::Transaction(transaction)) = verified.resource else {
        panic!("a transaction: {:?}", verified.resource);
    };
    assert_eq!(transaction.out_trade_no, "WXG20261121F001");
    assert_eq!(transaction.trade_state, "SUCCESS");
    assert_eq!(transaction.amount.map(|amount| amount.total), Some(2500));

    let mut tampered = body.to_vec();
    tampered.insert(1, b' ');
    assert!(matches!(
        verify_and_decrypt(
            client.keys(),
            client.api_v3_key(),
            &signature_headers,
            &tampered,
            now
        ),
        Err(NotifyError::Validation(ValidationError::Verify(
            VerifyError::BadSignature
        )))
    ));
    assert!(matches!(
        verify_and_decrypt(
            client.keys(),
            client.api_v3_key(),
            &signature_headers,
            &body,
            now + 3600
        ),
        Err(NotifyError::Validation(ValidationError::Stale(_)))
    ));
    let wrong_key = verify_and_decrypt(
        client.keys(),
        b"0123456789abcdef0123456789abcdef",
        &signature_headers,
        &body,
        now,
    )
    .expect_err("wrong APIv3 key");
    assert!(
        wrong_key.to_string().contains("APIv3 key is wrong"),
        "{wrong_key}"
    );

    sandbox
        .control("/sandbox/pay/probes", json!({ "url": receiver.url }))
        .await;
    let (probe_headers, probe_body) = receiver.nth(2).await;
    let probe = SignatureHeaders::from_headers(&probe_headers).expect("headers");
    assert!(matches!(
        verify_and_decrypt(client.keys(), client.api_v3_key(), &probe, &probe_body, now),
        Err(NotifyError::Validation(ValidationError::Probe))
    ));
}

#[tokio::test]
async fn bills_download_with_a_matching_sha1_and_a_tampered_digest_is_refused() {
    use wechat::pay::bill::{self, BillLink};

    let sandbox = Sandbox::start().await;
    // Today's bill, at once (WeChat's are ready from 10:00 the next day).
    sandbox
        .control("/sandbox/pay/bills/timing", json!({"at_once": true}))
        .await;
    let client = client(&sandbox, true);
    for (out_trade_no, total) in [("WXGBILL0001", 1288), ("WXGBILL0002", 1)] {
        let request = order(
            &sandbox,
            out_trade_no,
            total,
            "https://shop.example.com/notify",
            TradeType::Native,
        );
        transactions::prepay(&client, &request)
            .await
            .expect("prepay");
        sandbox
            .control(
                &format!("/sandbox/pay/orders/{out_trade_no}/pay"),
                json!({}),
            )
            .await;
    }
    let unpaid = order(
        &sandbox,
        "WXGBILL0003",
        700,
        "https://shop.example.com/notify",
        TradeType::Native,
    );
    transactions::prepay(&client, &unpaid)
        .await
        .expect("prepay");
    refund::create(
        &client,
        &RefundRequest {
            out_trade_no: "WXGBILL0001".to_owned(),
            out_refund_no: "WXGBILLR001".to_owned(),
            reason: None,
            refund_fen: 288,
            total_fen: 1288,
            notify_url: None,
        },
    )
    .await
    .expect("refund");
    sandbox
        .control(
            "/sandbox/pay/refunds/WXGBILLR001/outcome",
            json!({"status": "SUCCESS"}),
        )
        .await;
    let paid = transactions::query_by_out_trade_no(&client, "WXGBILL0001")
        .await
        .expect("query");
    let day = paid.success_time.expect("paid")[..10].to_owned();

    let link = bill::trade_bill(&client, &day, "ALL")
        .await
        .expect("trade bill");
    assert_eq!(link.hash_type, "SHA1");
    let bytes = bill::download(&client, &link).await.expect("download");
    let text = String::from_utf8(bytes).expect("UTF-8");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("交易时间,公众账号ID,商户号,"),
        "{text}"
    );
    assert_eq!(
        lines.len(),
        6,
        "two payments, one refund, two summary lines: {text}"
    );
    assert!(lines[1..4].iter().any(|line| line.contains("`WXGBILL0001,")
        && line.contains("`SUCCESS,")
        && line.contains("`12.88,")));
    assert!(lines[1..4]
        .iter()
        .any(|line| line.contains("`REFUND,") && line.contains("`WXGBILLR001,`2.88,")));
    assert!(
        !text.contains("WXGBILL0003"),
        "unpaid orders are not billed"
    );
    assert_eq!(lines[4], "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额");
    assert_eq!(lines[5], "`3,`12.89,`2.88,`0.00,`0.00000,`12.89,`2.88");

    let payments = bill::trade_bill(&client, &day, "SUCCESS")
        .await
        .expect("payments");
    let payments = String::from_utf8(bill::download(&client, &payments).await.expect("download"))
        .expect("UTF-8");
    assert!(!payments.contains("`REFUND,") && payments.contains("`WXGBILL0002,"));

    let funds = bill::fund_flow_bill(&client, &day)
        .await
        .expect("fund-flow bill");
    let funds =
        String::from_utf8(bill::download(&client, &funds).await.expect("download")).expect("UTF-8");
    assert!(
        funds.starts_with("记账时间,微信支付业务单号,资金流水单号,"),
        "{funds}"
    );
    assert!(
        funds.ends_with(
            "资金流水总笔数,收入笔数,收入金额,支出笔数,支出金额\n`3,`2,`12.89,`1,`2.88\n"
        ),
        "{funds}"
    );

    let tampered = BillLink {
        hash_value: "0".repeat(40),
        ..link
    };
    let refused = bill::download(&client, &tampered)
        .await
        .expect_err("a digest that does not match the bytes");
    assert!(
        matches!(refused, PayError::BillDigest { .. }),
        "{refused:?}"
    );

    let empty = bill::trade_bill(&client, "2001-01-01", "ALL")
        .await
        .expect_err("no trades that day");
    assert_eq!(
        (empty.status(), empty.code()),
        (Some(400), Some("NO_STATEMENT_EXIST"))
    );
}

#[tokio::test]
async fn app_prepay_gives_signed_parameters_for_the_app_sdk() {
    let sandbox = Sandbox::start().await;
    let client = client(&sandbox, true);
    let appid = sandbox.credential("app_appid");
    let app_order = OrderRequest {
        appid: appid.clone(),
        ..order(
            &sandbox,
            "WXG20261121G001",
            300,
            "https://shop.example.com/notify",
            TradeType::App,
        )
    };
    let Prepay::PrepayId(prepay_id) = transactions::prepay(&client, &app_order)
        .await
        .expect("app prepay")
    else {
        panic!("App gives a prepay_id");
    };
    let params = AppPayParams::sign(&client, &appid, &prepay_id).expect("params");
    assert_eq!(params.partnerid, sandbox.credential("mchid"));
    assert_eq!(params.package, "Sign=WXPay");
    let merchant =
        rsa::RsaPrivateKey::from_pkcs8_pem(&sandbox.credential("merchant_private_key_pem"))
            .expect("key");
    let message = app_sign_message(&appid, &params.timestamp, &params.noncestr, &prepay_id);
    let signature = Signature::try_from(BASE64.decode(&params.sign).expect("base64").as_slice())
        .expect("signature");
    VerifyingKey::<Sha256>::new(merchant.to_public_key())
        .verify(message.as_bytes(), &signature)
        .expect("the App signature verifies with the merchant's public key");
}
