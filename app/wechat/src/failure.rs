//! Failures on the way to WeChat, told without what they carried: `reqwest::Error` names its URL (in `Display` and
//! `Debug`) and WeChat's URLs carry the AppSecret, login codes and access tokens in their query; serde's messages
//! quote the values they could not read, and WeChat's answers carry session_keys, tokens and phone numbers. So no
//! error of either is stored or formatted as it comes: these are the only ways they become text.

use serde_json::error::Category;

/// An HTTP client failure stripped of its URL (`reqwest::Error::without_url`), with its causes.
pub fn http(error: reqwest::Error) -> String {
    let error = error.without_url();
    let mut text = error.to_string();
    let mut cause = std::error::Error::source(&error);
    while let Some(inner) = cause {
        text.push_str(": ");
        text.push_str(&inner.to_string());
        cause = inner.source();
    }
    text
}

/// Why a JSON answer could not be read, and where, but never the values in it.
pub fn json(error: &serde_json::Error) -> String {
    let what = match error.classify() {
        Category::Io => "could not be read",
        Category::Syntax => "is not valid JSON",
        Category::Data => "does not have the expected fields and types",
        Category::Eof => "is cut short",
    };
    format!(
        "the JSON {what} (line {}, column {})",
        error.line(),
        error.column()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_json_error_does_not_quote_the_value_it_refused() {
        let refused = serde_json::from_str::<u32>(r#""the-session-key-itself""#)
            .expect_err("a string is not a number");
        assert!(refused.to_string().contains("the-session-key-itself"));
        let told = json(&refused);
        assert!(!told.contains("the-session-key-itself"), "{told}");
        assert!(told.contains("expected fields and types"), "{told}");
    }
}
