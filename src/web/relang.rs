//! Switching the language without losing a form. On a page whose form
//! opts in (`PageCtx::keep_form`), the language buttons submit that form
//! to its own address with `?relang=CODE`; the middleware switches the
//! language for that request (and remembers it, as `/locale` does), and
//! the form's handler, seeing `Redisplay`, shows the form again in the
//! new language with everything typed and every kept file instead of
//! acting on it. Elsewhere the buttons post to `/locale`, which returns to
//! the page's own GET address.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{Method, header};
use axum::response::Response;

use crate::i18n::Locale;
use crate::state::AppState;

use super::context::{LANG_COOKIE, Visitor, build_cookie};

/// The query parameter the language buttons add to a form's address.
pub const PARAM: &str = "relang";

/// Set on a request posted by a language button.
#[derive(Debug, Clone)]
struct Marker;

/// Whether this POST only asks for its form again in another language.
#[derive(Debug, Clone, Copy)]
pub struct Redisplay(pub bool);

impl<S: Send + Sync> FromRequestParts<S> for Redisplay {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Redisplay(parts.extensions.get::<Marker>().is_some()))
    }
}

/// The language a POST's `?relang=CODE` asks for, when it is one we ship.
pub fn requested(parts: &Parts) -> Option<Locale> {
    if parts.method != Method::POST {
        return None;
    }
    url::form_urlencoded::parse(parts.uri.query()?.as_bytes())
        .find(|(k, _)| k == PARAM)
        .and_then(|(_, v)| Locale::parse(&v))
}

/// Marks the request for its handler and keeps the choice for a signed-in
/// user; called only once the request passed the CSRF check.
pub async fn accept(app: &AppState, visitor: Option<&Visitor>, locale: &Locale, parts: &mut Parts) {
    parts.extensions.insert(Marker);
    if let Some(v) = visitor {
        // The page is shown in the new language either way; a failed write
        // only means the next page falls back to the cookie.
        if let Err(e) = crate::service::accounts::set_locale(&app.db, v.user.id, locale).await {
            tracing::warn!(error = %e, "keeping the chosen language");
        }
    }
}

/// Remembers the language in its cookie, as `/locale` does.
pub fn finish(response: &mut Response, locale: &Locale, secure: bool) {
    response.headers_mut().append(
        header::SET_COOKIE,
        build_cookie(LANG_COOKIE, locale.code(), Some(365), secure),
    );
}

/// The form the language buttons submit on this page.
#[derive(Debug, Clone)]
pub struct KeptForm {
    /// The form element's `id`.
    pub id: String,
    /// Its `action`.
    pub action: String,
}

impl KeptForm {
    /// The address a language button posts the form to.
    pub fn action_for(&self, code: &str) -> String {
        let join = if self.action.contains('?') { '&' } else { '?' };
        format!("{}{join}{PARAM}={code}", self.action)
    }
}
