//! The one check for every path wxgate sends a browser to after a login, a language switch or a poll (`next`):
//! resolved against `APP_URL` and kept only when it stays on wxgate's own origin (OWASP's unvalidated redirects
//! cheat sheet: allow-list by origin, not by string prefix).

use url::Url;

/// Where a refused or missing `next` goes.
pub const HOME: &str = "/";
/// Longer than any path of wxgate's; a longer `next` is refused.
pub const MAX_NEXT_BYTES: usize = 2048;

/// `next` as a path (with query and fragment) on `app_url`'s origin, or `/` when it would leave it.
///
/// Browsers repair what they are given: they drop tabs and newlines from URLs (`/\t/evil.example` becomes
/// `//evil.example`), read `\` as `/`, and take `//host` as another host; so control characters, whitespace and
/// backslashes are refused outright, and the resolved URL must have `APP_URL`'s scheme, host and port, and a path
/// that a browser cannot read as `//host`.
pub fn same_origin_path(app_url: &Url, next: Option<&str>) -> String {
    let Some(next) = next.filter(|next| !next.is_empty() && next.len() <= MAX_NEXT_BYTES) else {
        return HOME.to_owned();
    };
    if next
        .chars()
        .any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        || !next.starts_with('/')
    {
        return HOME.to_owned();
    }
    let Ok(resolved) = app_url.join(next) else {
        return HOME.to_owned();
    };
    if resolved.origin() != app_url.origin() || resolved.path().starts_with("//") {
        return HOME.to_owned();
    }
    let mut path = resolved.path().to_owned();
    if let Some(query) = resolved.query() {
        path.push('?');
        path.push_str(query);
    }
    if let Some(fragment) = resolved.fragment() {
        path.push('#');
        path.push_str(fragment);
    }
    path
}

#[cfg(test)]
mod tests {
    use super::*;

    fn next(path: &str) -> String {
        let app_url = Url::parse("https://login.example.com").expect("url");
        same_origin_path(&app_url, Some(path))
    }

    #[test]
    fn paths_on_the_site_are_kept() {
        assert_eq!(next("/orders/7?tab=1"), "/orders/7?tab=1");
        assert_eq!(next("/account#phone"), "/account#phone");
        assert_eq!(next("/%2F%2Fevil.example"), "/%2F%2Fevil.example");
        assert_eq!(next("/shop/../orders"), "/orders");
    }

    #[test]
    fn anything_that_could_leave_the_site_goes_home() {
        for unsafe_next in [
            "https://evil.example.com/",
            "https:evil.example",
            "//evil.example",
            "///evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/ /evil.example",
            "/.//evil.example",
            "/..//evil.example",
            "javascript:alert(1)",
            "JavaScript:alert(1)",
            "data:text/html,hi",
            "evil.example",
            "",
        ] {
            assert_eq!(next(unsafe_next), HOME, "{unsafe_next:?}");
        }
        assert_eq!(next(&format!("/{}", "a".repeat(MAX_NEXT_BYTES))), HOME);
        let app_url = Url::parse("https://login.example.com").expect("url");
        assert_eq!(same_origin_path(&app_url, None), HOME);
    }
}
