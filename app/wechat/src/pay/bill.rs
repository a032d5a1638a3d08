//! Bills: where to download the trade bill or the fund-flow bill of a day, and the download with its SHA-1 check
//! (bill files are not signed; the digest comes with the signed link).
//!
//! Docs: <https://pay.weixin.qq.com/doc/v3/merchant/4012791866> (trade bill), <https://pay.weixin.qq.com/doc/v3/merchant/4012791867>
//! (fund-flow bill), <https://pay.weixin.qq.com/doc/v3/merchant/4012791868> (download).

use serde::Deserialize;
use sha1::{Digest, Sha1};

use super::client::PayClient;
use super::error::PayError;

/// Where a bill can be downloaded, and its digest.
#[derive(Debug, Clone, Deserialize, PartialEq, Eq)]
pub struct BillLink {
    pub hash_type: String,
    pub hash_value: String,
    pub download_url: String,
}

/// The trade bill of `date` (`YYYY-MM-DD`), `bill_type` ALL, SUCCESS or REFUND.
pub async fn trade_bill(
    client: &PayClient,
    date: &str,
    bill_type: &str,
) -> Result<BillLink, PayError> {
    client
        .get_json(&format!(
            "/v3/bill/tradebill?bill_date={date}&bill_type={bill_type}"
        ))
        .await
}

/// The fund-flow bill of `date` for the basic account.
pub async fn fund_flow_bill(client: &PayClient, date: &str) -> Result<BillLink, PayError> {
    client
        .get_json(&format!(
            "/v3/bill/fundflowbill?bill_date={date}&account_type=BASIC"
        ))
        .await
}

/// Downloads a bill and checks it against the digest that came with its link.
pub async fn download(client: &PayClient, link: &BillLink) -> Result<Vec<u8>, PayError> {
    let bytes = client.download(&link.download_url).await?;
    check_digest(&bytes, link)?;
    Ok(bytes)
}

fn check_digest(bytes: &[u8], link: &BillLink) -> Result<(), PayError> {
    let actual = hex::encode(Sha1::digest(bytes));
    if link.hash_type.eq_ignore_ascii_case("SHA1") && actual.eq_ignore_ascii_case(&link.hash_value)
    {
        Ok(())
    } else {
        Err(PayError::BillDigest {
            expected: link.hash_value.clone(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(hash: &str) -> BillLink {
        BillLink {
            hash_type: "SHA1".to_owned(),
            hash_value: hash.to_owned(),
            download_url: String::new(),
        }
    }

    #[test]
    fn digest_must_match_the_bytes() {
        // sha1("abc") = a9993e364706816aba3e25717850c26c9cd0d89d
        assert!(check_digest(b"abc", &link("A9993E364706816ABA3E25717850C26C9CD0D89D")).is_ok());
        assert!(matches!(
            check_digest(b"abd", &link("a9993e364706816aba3e25717850c26c9cd0d89d")),
            Err(PayError::BillDigest { .. })
        ));
    }
}
