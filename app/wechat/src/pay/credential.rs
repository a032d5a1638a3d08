//! The `Authorization` header of a WeChat Pay API v3 request (the merchant's credential).
//!
//! Doc: <https://pay.weixin.qq.com/doc/v3/merchant/4012365336>.

use super::sign::{request_message, MerchantSigner, SignError};

/// The signature scheme WeChat Pay API v3 uses.
pub const SCHEMA: &str = "WECHATPAY2-SHA256-RSA2048";

/// Who signs: the merchant id and the serial of the merchant certificate, with the private key.
#[derive(Debug)]
pub struct Credential {
    pub mch_id: String,
    pub cert_serial: String,
    pub signer: MerchantSigner,
}

impl Credential {
    /// `WECHATPAY2-SHA256-RSA2048 mchid="…",nonce_str="…",signature="…",timestamp="…",serial_no="…"`.
    pub fn authorization(
        &self,
        method: &str,
        path_and_query: &str,
        body: &[u8],
        timestamp: i64,
        nonce: &str,
    ) -> Result<String, SignError> {
        let signature = self.signer.sign(&request_message(
            method,
            path_and_query,
            timestamp,
            nonce,
            body,
        ))?;
        Ok(format!(
            r#"{SCHEMA} mchid="{}",nonce_str="{nonce}",signature="{signature}",timestamp="{timestamp}",serial_no="{}""#,
            self.mch_id, self.cert_serial
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn authorization_header_carries_every_field_and_the_known_signature() {
        let credential = Credential {
            mch_id: "1230000109".to_owned(),
            cert_serial: "5157F09EFDC096DE15EBE81A47057A72".to_owned(),
            signer: testdata::merchant_signer(),
        };
        let header = credential
            .authorization("GET", "/v3/certificates", b"", 1624523846, "A1B2C3D4E5F6G7")
            .expect("signs");
        let signature = testdata::derived_request_signatures()["get_certs"]["signature"]
            .as_str()
            .expect("signature")
            .to_owned();
        assert_eq!(
            header,
            format!(
                r#"WECHATPAY2-SHA256-RSA2048 mchid="1230000109",nonce_str="A1B2C3D4E5F6G7",signature="{signature}",timestamp="1624523846",serial_no="5157F09EFDC096DE15EBE81A47057A72""#
            )
        );
    }
}
