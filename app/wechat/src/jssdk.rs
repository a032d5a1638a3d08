//! The JS-SDK page signature (`wx.config`): sha1 over the jsapi_ticket, nonce, timestamp and the page URL exactly
//! as the browser has it, without its `#fragment`.
//!
//! Doc: <https://developers.weixin.qq.com/doc/offiaccount/OA_Web_Apps/JS-SDK.html#62> (appendix 1).

use sha1::{Digest, Sha1};

/// The signed string: `jsapi_ticket=T&noncestr=N&timestamp=TS&url=U`.
pub fn signed_string(ticket: &str, noncestr: &str, timestamp: &str, url: &str) -> String {
    format!(
        "jsapi_ticket={ticket}&noncestr={noncestr}&timestamp={timestamp}&url={}",
        page_url(url)
    )
}

/// The lowercase hex sha1 signature for `wx.config`.
pub fn signature(ticket: &str, noncestr: &str, timestamp: &str, url: &str) -> String {
    hex::encode(Sha1::digest(
        signed_string(ticket, noncestr, timestamp, url).as_bytes(),
    ))
}

/// The URL WeChat signs: everything before `#`, not re-encoded.
pub fn page_url(url: &str) -> &str {
    url.split('#').next().unwrap_or(url)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testdata;

    #[test]
    fn matches_the_js_sdk_documentation_example() {
        let vector = &testdata::known_answers()["jssdk"];
        let field = |name: &str| vector[name].as_str().expect("field");
        assert_eq!(
            signature(
                field("ticket"),
                field("noncestr"),
                field("timestamp"),
                field("url")
            ),
            field("signature")
        );
    }

    #[test]
    fn the_fragment_is_not_signed() {
        let vector = &testdata::known_answers()["jssdk"];
        let field = |name: &str| vector[name].as_str().expect("field");
        let with_fragment = format!("{}#/orders/1", field("url"));
        assert_eq!(
            signature(
                field("ticket"),
                field("noncestr"),
                field("timestamp"),
                &with_fragment
            ),
            field("signature")
        );
    }
}
