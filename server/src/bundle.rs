//! The browser bundle as `make site` publishes it: the wasm, its JS and the style sheet named after a hash of their
//! content (`wxgate.<hash>.js`, `.wasm`, `.css`), the name listed in the site root's `bundle.txt`; a browser or a
//! cache may keep those files for a year, as a new build has a new name (RFC 9111, section 5.2.2.1, and RFC 8246's
//! `immutable`). A site without that list (built by cargo-leptos, or not built) is served under the plain names
//! `wxgate.js`, `wxgate.wasm` and `wxgate.css`, which get no such promise.

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Request, State};
use axum::http::header::{CACHE_CONTROL, VARY};
use axum::http::{HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::Response;

/// The file at the site root naming the published bundle, written by `make site`.
pub const MANIFEST: &str = "bundle.txt";
/// The longest hash part a published name may have (`make site` writes 16 hex digits).
const MAX_HASH_LEN: usize = 64;
/// What a content-named file may be kept for: a year, without asking again.
const FOREVER: HeaderValue = HeaderValue::from_static("public, max-age=31536000, immutable");

/// The bundle's content name in `/pkg/`, or none when it is published under the plain name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bundle {
    content_name: Option<Arc<str>>,
}

impl Bundle {
    /// The bundle `site_root` holds: the name its `bundle.txt` lists, or the plain name when it lists none.
    pub fn read(site_root: &Path) -> Bundle {
        let plain = Bundle { content_name: None };
        let manifest = site_root.join(MANIFEST);
        let Ok(listed) = std::fs::read_to_string(&manifest) else {
            return plain;
        };
        let listed = listed.trim();
        if !is_content_name(listed) {
            tracing::warn!(
                manifest = %manifest.display(),
                "the bundle list does not name a bundle (expected {}.<hex digits>); serving the plain names",
                app::OUTPUT_NAME
            );
            return plain;
        }
        let script = site_root.join("pkg").join(format!("{listed}.js"));
        if !script.is_file() {
            tracing::warn!(
                missing = %script.display(),
                "the site is incomplete: the bundle its list names is missing; run `make build`"
            );
        }
        Bundle {
            content_name: Some(listed.into()),
        }
    }

    /// The output name Leptos' hydration scripts and the style sheet link use: `/pkg/<name>.js` and so on.
    pub fn name(&self) -> &str {
        self.content_name.as_deref().unwrap_or(app::OUTPUT_NAME)
    }

    /// Whether `path` is one of the bundle's files (or their compressed copies) under a content name.
    fn holds(&self, path: &str) -> bool {
        self.content_name.as_deref().is_some_and(|name| {
            path.strip_prefix("/pkg/")
                .and_then(|file| file.strip_prefix(name))
                .is_some_and(|rest| rest.starts_with('.'))
        })
    }
}

/// `wxgate.` followed by 1 to [`MAX_HASH_LEN`] hex digits.
fn is_content_name(name: &str) -> bool {
    name.strip_prefix(app::OUTPUT_NAME)
        .and_then(|rest| rest.strip_prefix('.'))
        .is_some_and(|hash| {
            (1..=MAX_HASH_LEN).contains(&hash.len()) && hash.bytes().all(|b| b.is_ascii_hexdigit())
        })
}

/// Lets browsers and caches keep the bundle's content-named files for a year; as each is sent compressed as the
/// browser accepts, a cache must also key it by `Accept-Encoding` (RFC 9110, section 12.5.5).
pub async fn cache_content_named(
    State(bundle): State<Bundle>,
    request: Request,
    next: Next,
) -> Response {
    let content_named = bundle.holds(request.uri().path());
    let mut response = next.run(request).await;
    if content_named {
        let sent = matches!(response.status(), StatusCode::OK | StatusCode::NOT_MODIFIED);
        let headers = response.headers_mut();
        headers.append(VARY, HeaderValue::from_static("accept-encoding"));
        if sent {
            headers.insert(CACHE_CONTROL, FOREVER);
        }
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn content_named(name: &str) -> Bundle {
        Bundle {
            content_name: Some(name.into()),
        }
    }

    #[test]
    fn a_content_name_is_the_output_name_and_hex_digits() {
        assert!(is_content_name("wxgate.0123456789abcdef"));
        assert!(!is_content_name("wxgate"));
        assert!(!is_content_name("wxgate."));
        assert!(!is_content_name("wxgate.../../etc"));
        assert!(!is_content_name("other.0123456789abcdef"));
        assert!(!is_content_name(&format!("wxgate.{}", "a".repeat(65))));
    }

    #[test]
    fn only_the_bundles_own_files_are_held() {
        let bundle = content_named("wxgate.0123456789abcdef");
        assert!(bundle.holds("/pkg/wxgate.0123456789abcdef.wasm"));
        assert!(bundle.holds("/pkg/wxgate.0123456789abcdef.js.br"));
        assert!(!bundle.holds("/pkg/wxgate.0123456789abcdefff.js"));
        assert!(!bundle.holds("/pkg/wxgate.js"));
        assert!(!bundle.holds("/wxgate.0123456789abcdef.js"));
        assert!(!bundle.holds("/favicon.svg"));
        let plain = Bundle { content_name: None };
        assert!(!plain.holds("/pkg/wxgate.js"));
    }

    #[test]
    fn a_site_without_a_list_is_served_under_the_plain_name() {
        let site = tempfile::tempdir().expect("temporary folder");
        assert_eq!(Bundle::read(site.path()).name(), "wxgate");
        std::fs::write(site.path().join(MANIFEST), "../../secret\n").expect("write");
        assert_eq!(Bundle::read(site.path()).name(), "wxgate");
        std::fs::write(site.path().join(MANIFEST), "wxgate.00ff\n").expect("write");
        assert_eq!(Bundle::read(site.path()), content_named("wxgate.00ff"));
    }
}
