//! Public known-answer data for the WeChat crypto tests, from `testdata/` (each item's source is in its README).

use serde_json::Value;

use super::pay::sign::MerchantSigner;

pub const MERCHANT_KEY_PEM: &str = include_str!("../testdata/merchant-key-pkcs8.pem");
pub const NOTIFY_BODY: &[u8] = include_bytes!("../testdata/wechatpay-go-notify-body.json");

fn json(text: &str) -> Value {
    serde_json::from_str(text).expect("test data is JSON")
}

pub fn known_answers() -> Value {
    json(include_str!("../testdata/known-answers.json"))
}

pub fn derived_request_signatures() -> Value {
    json(include_str!("../testdata/derived-request-signatures.json"))
}

pub fn notify_headers() -> Value {
    json(include_str!("../testdata/wechatpay-go-notify-headers.json"))
}

/// A signer with wechatpay-go's throwaway test key.
pub fn merchant_signer() -> MerchantSigner {
    MerchantSigner::from_pem(MERCHANT_KEY_PEM).expect("signer")
}
