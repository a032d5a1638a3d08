//! A request that brings the cookie of a session that is gone (replaced when its browser signed in, or expired)
//! leaves the browser's cookie alone. tower-sessions answers such a request with a removal of the cookie, and a
//! request the browser sent just before a login's answer (the page's own `wx.config` fetch, a poll) arrives after
//! that answer and removes the new session's cookie: the person is signed out the moment they signed in. Only
//! signing out (or a handler emptying the session) removes the cookie.

use axum::extract::Request;
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::Response;
use tower_sessions::Session;

use crate::router::SESSION_COOKIE;

/// Marks a response whose request brought a session that no longer exists.
#[derive(Debug, Clone, Copy)]
pub struct StaleSession;

/// Whether the request carries a session cookie with a value.
pub fn brings_session_cookie(headers: &HeaderMap) -> bool {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|cookies| cookies.split(';'))
        .filter_map(|cookie| {
            cookie
                .trim()
                .strip_prefix(SESSION_COOKIE)?
                .strip_prefix('=')
        })
        .any(|value| !value.is_empty())
}

/// After the handler: the cookie brought named no stored session, and nothing was done to this one (a sign-out
/// flushes it, which counts as a change).
pub fn is_stale(session: &Session, brought_cookie: bool) -> bool {
    brought_cookie && session.id().is_none() && !session.is_modified()
}

/// Outside the session layer: drops the session cookie's removal from a response marked [`StaleSession`].
pub async fn keep_newer_session_cookie(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    if response.extensions().get::<StaleSession>().is_some() {
        let kept: Vec<HeaderValue> = response
            .headers()
            .get_all(SET_COOKIE)
            .iter()
            .filter(|value| !removes_session_cookie(value))
            .cloned()
            .collect();
        let headers = response.headers_mut();
        headers.remove(SET_COOKIE);
        for value in kept {
            headers.append(SET_COOKIE, value);
        }
    }
    response
}

/// `wxgate_session=; …`: the session cookie set to nothing, as a removal is.
fn removes_session_cookie(value: &HeaderValue) -> bool {
    value
        .to_str()
        .ok()
        .and_then(|cookie| cookie.split(';').next())
        .map(str::trim)
        .is_some_and(|pair| pair == format!("{SESSION_COOKIE}="))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_session_cookies_removal_counts_and_only_a_valued_cookie_is_brought() {
        let removal = HeaderValue::from_static(
            "wxgate_session=; Path=/; Max-Age=0; Expires=Tue, 02 Dec 2025 04:23:08 GMT",
        );
        assert!(removes_session_cookie(&removal));
        assert!(!removes_session_cookie(&HeaderValue::from_static(
            "wxgate_session=R20TZWAAxsI-onmFFYElxg; HttpOnly; Path=/"
        )));
        assert!(!removes_session_cookie(&HeaderValue::from_static(
            "wxgate_lang=; Max-Age=0"
        )));
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("wx_sandbox_persona=xiaoming; wxgate_session=BMXVLQ7U"),
        );
        assert!(brings_session_cookie(&headers));
        headers.insert(COOKIE, HeaderValue::from_static("wxgate_session="));
        assert!(!brings_session_cookie(&headers));
        headers.insert(COOKIE, HeaderValue::from_static("wxgate_sessions=x"));
        assert!(!brings_session_cookie(&headers));
    }
}
