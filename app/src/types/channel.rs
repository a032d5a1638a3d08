//! Where a buyer is and how they pay, shared by the server and the browser: the kind of browser a visitor is in, and
//! the payment channel an order is paid through (stored on the order as its own name).

use std::fmt;

use serde::{Deserialize, Serialize};

/// Which browser the visitor is in, read from its user agent: it decides how they log in and how they pay.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum BrowserKind {
    /// Inside the WeChat browser (`MicroMessenger` in the user agent): official-account OAuth.
    WeChat,
    /// A desktop browser: scan the website app's QR with the phone.
    Desktop,
    /// A phone browser outside WeChat: open the page in WeChat.
    Mobile,
}

impl BrowserKind {
    /// Reads a user agent.
    pub fn from_user_agent(user_agent: &str) -> BrowserKind {
        if user_agent.contains("MicroMessenger") {
            BrowserKind::WeChat
        } else if ["Mobile", "Android", "iPhone", "iPad"]
            .iter()
            .any(|marker| user_agent.contains(marker))
        {
            BrowserKind::Mobile
        } else {
            BrowserKind::Desktop
        }
    }
}

#[cfg(feature = "ssr")]
impl BrowserKind {
    /// Reads the `User-Agent` of a request (none reads as a desktop).
    pub fn from_headers(headers: &axum::http::HeaderMap) -> BrowserKind {
        BrowserKind::from_user_agent(
            headers
                .get(axum::http::header::USER_AGENT)
                .and_then(|value| value.to_str().ok())
                .unwrap_or_default(),
        )
    }
}

/// How an order is paid: the place the buyer pays from, each with its WeChat Pay trade type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(utoipa::ToSchema))]
pub enum PayChannel {
    /// `wx.requestPayment` in the mini program (JSAPI).
    #[serde(rename = "miniprogram")]
    MiniProgram,
    /// The pay bridge in the WeChat browser, for the official account (JSAPI).
    #[serde(rename = "jsapi")]
    WeChatBrowser,
    /// A phone browser outside WeChat, sent to WeChat Pay's H5 page (MWEB).
    #[serde(rename = "h5")]
    H5,
    /// A desktop browser, showing a QR code to scan (NATIVE).
    #[serde(rename = "native")]
    Native,
}

impl PayChannel {
    const ALL: [PayChannel; 4] = [
        PayChannel::MiniProgram,
        PayChannel::WeChatBrowser,
        PayChannel::H5,
        PayChannel::Native,
    ];

    /// The name it is stored and sent as.
    pub fn as_str(self) -> &'static str {
        match self {
            PayChannel::MiniProgram => "miniprogram",
            PayChannel::WeChatBrowser => "jsapi",
            PayChannel::H5 => "h5",
            PayChannel::Native => "native",
        }
    }

    pub fn parse(text: &str) -> Option<PayChannel> {
        PayChannel::ALL
            .into_iter()
            .find(|channel| channel.as_str() == text)
    }
}

impl fmt::Display for PayChannel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channels_read_back_from_the_names_they_are_stored_and_sent_as() {
        for channel in PayChannel::ALL {
            assert_eq!(PayChannel::parse(channel.as_str()), Some(channel));
            assert_eq!(
                serde_json::to_value(channel).ok(),
                Some(serde_json::json!(channel.as_str()))
            );
        }
        assert_eq!(PayChannel::parse("JSAPI"), None);
    }

    #[test]
    fn the_user_agent_tells_the_browser_kind() {
        let wechat = "Mozilla/5.0 (iPhone) AppleWebKit MicroMessenger/8.0.49";
        assert_eq!(BrowserKind::from_user_agent(wechat), BrowserKind::WeChat);
        assert_eq!(
            BrowserKind::from_user_agent("Mozilla/5.0 (Linux; Android 14) Mobile Safari"),
            BrowserKind::Mobile
        );
        assert_eq!(
            BrowserKind::from_user_agent("Mozilla/5.0 (X11; Linux x86_64) Chrome/130"),
            BrowserKind::Desktop
        );
    }
}
