//! One-shot notices ("Reply sent."): a form's redirect leaves the notice's
//! key in a short-lived cookie, the next page shows `notice-<key>` and
//! clears the cookie. The address stays clean, so a reload does not repeat
//! the notice and "back" links cannot pile notices up.
//!
//! Handlers call [`redirect`] (or [`with`]); the context middleware, which
//! owns the request's cookies, reads the key with [`brought`] and writes or
//! clears the cookie with [`finish`].

use axum::http::{HeaderMap, Method, header};
use axum::response::{IntoResponse, Redirect, Response};

use super::context::cookie_header;

/// The cookie that carries a notice's key to the next page.
pub const NOTICE_COOKIE: &str = "bilet_notice";
/// Long enough for the redirect to be followed, short enough that a notice
/// never turns up on a page opened much later.
const MAX_AGE_SECONDS: i64 = 60;

/// The notice a response leaves for the next page; the middleware turns it
/// into the cookie (it knows whether cookies are Secure).
#[derive(Debug, Clone)]
struct Pending(String);

/// A redirect to `to` whose page shows the notice `notice-<key>`.
pub fn redirect(to: &str, key: &str) -> Response {
    with(Redirect::to(to), key)
}

/// `response` (usually a redirect), leaving the notice `key` for the next page.
pub fn with(response: impl IntoResponse, key: &str) -> Response {
    let mut response = response.into_response();
    if is_key(key) {
        response.extensions_mut().insert(Pending(key.to_string()));
    }
    response
}

/// Keys are message-id fragments ("reply-sent"); anything else is never
/// stored, and what is stored is shown only if the locale knows it.
fn is_key(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The notice key a request brings to be shown: only a page view takes
/// it, a GET the browser navigates to, not a script's fetch of a fragment
/// (browsers say which in Sec-Fetch-Mode).
pub(super) fn brought(
    method: &Method,
    headers: &HeaderMap,
    cookie: Option<&str>,
) -> Option<String> {
    let navigates = headers
        .get("sec-fetch-mode")
        .is_none_or(|mode| mode == "navigate");
    let is_view = (*method == Method::GET || *method == Method::HEAD) && navigates;
    cookie
        .filter(|key| is_view && is_key(key))
        .map(str::to_string)
}

/// After the handler: sets the cookie for a notice the response leaves, or
/// clears the one the request brought once a page has shown it. A redirect
/// passes a brought notice on to where it leads.
pub(super) fn finish(response: &mut Response, brought: bool, secure: bool) {
    let cookie = if let Some(Pending(key)) = response.extensions_mut().remove::<Pending>() {
        cookie_header(NOTICE_COOKIE, key, Some(MAX_AGE_SECONDS), secure)
    } else if brought && is_page(response) {
        cookie_header(NOTICE_COOKIE, String::new(), Some(0), secure)
    } else {
        return;
    };
    response.headers_mut().append(header::SET_COOKIE, cookie);
}

fn is_page(response: &Response) -> bool {
    !response.status().is_redirection()
        && response
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("text/html"))
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn only_message_id_fragments_are_keys() {
        assert!(is_key("reply-sent"));
        assert!(!is_key(""));
        assert!(!is_key("<script>"));
        assert!(!is_key("a b"));
        let page = HeaderMap::new();
        assert!(brought(&Method::POST, &page, Some("saved")).is_none());
        assert_eq!(
            brought(&Method::GET, &page, Some("saved")).as_deref(),
            Some("saved")
        );
        let mut fetch = HeaderMap::new();
        fetch.insert("sec-fetch-mode", HeaderValue::from_static("cors"));
        assert!(brought(&Method::GET, &fetch, Some("saved")).is_none());
    }
}
