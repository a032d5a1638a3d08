//! The page language: Chinese by default, English on request. The server reads the `wxgate_lang` cookie and writes
//! the language into `<html lang>`; the browser reads it back from there, so both renders agree.

use leptos::prelude::*;

/// The cookie the language switch sets.
pub const COOKIE: &str = "wxgate_lang";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The value of `<html lang>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn from_code(code: &str) -> Lang {
        if code.starts_with("en") {
            Lang::En
        } else {
            Lang::Zh
        }
    }

    /// The other language, for the switch.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// Picks the text for this language.
    pub fn pick(self, zh: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }
}

/// The language of the page being rendered.
#[cfg(feature = "ssr")]
pub fn current() -> Lang {
    use_context::<axum::http::request::Parts>()
        .and_then(|parts| {
            parts
                .headers
                .get_all(axum::http::header::COOKIE)
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|cookies| cookies.split(';'))
                .find_map(|cookie| {
                    cookie
                        .trim()
                        .strip_prefix(&format!("{COOKIE}="))
                        .map(Lang::from_code)
                })
        })
        .unwrap_or(Lang::Zh)
}

/// The language of the page being rendered.
#[cfg(not(feature = "ssr"))]
pub fn current() -> Lang {
    document()
        .document_element()
        .and_then(|root| root.get_attribute("lang"))
        .map(|tag| Lang::from_code(&tag))
        .unwrap_or(Lang::Zh)
}
