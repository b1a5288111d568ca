//! Who may enter an area. Signed-out visitors are sent to the sign-in page
//! (and back afterwards); signed-in users of the wrong role get 404, as for
//! anything else they may not see.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};

use super::context::{RequestCtx, Visitor};
use super::error::WebError;
use crate::domain::ids::TicketNumber;
use crate::domain::users::Role;

/// Why an area turned the visitor away.
pub enum Rejection {
    /// Not signed in: to the sign-in page, then back to this path.
    SignIn(String),
    /// Signed in with the wrong role.
    NotFound,
}

impl IntoResponse for Rejection {
    fn into_response(self) -> Response {
        match self {
            Rejection::SignIn(next) => {
                let next: String = url::form_urlencoded::byte_serialize(next.as_bytes()).collect();
                Redirect::to(&format!("/login?next={next}")).into_response()
            }
            Rejection::NotFound => WebError::NotFound.into_response(),
        }
    }
}

fn visitor(parts: &Parts) -> Result<Visitor, Rejection> {
    match parts.extensions.get::<Visitor>() {
        Some(v) => Ok(v.clone()),
        None => Err(Rejection::SignIn(
            parts
                .extensions
                .get::<RequestCtx>()
                .map_or("/".to_string(), |c| c.path.clone()),
        )),
    }
}

/// Anyone signed in.
pub struct SignedIn(pub Visitor);

impl<S: Send + Sync> FromRequestParts<S> for SignedIn {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        visitor(parts).map(SignedIn)
    }
}

/// A customer.
pub struct CustomerUser(pub Visitor);

impl<S: Send + Sync> FromRequestParts<S> for CustomerUser {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let v = visitor(parts)?;
        if v.user.role != Role::Customer {
            return Err(Rejection::NotFound);
        }
        Ok(CustomerUser(v))
    }
}

/// An agent or admin.
pub struct StaffUser(pub Visitor);

impl<S: Send + Sync> FromRequestParts<S> for StaffUser {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let v = visitor(parts)?;
        if !v.user.role.is_staff() {
            return Err(Rejection::NotFound);
        }
        Ok(StaffUser(v))
    }
}

/// An admin.
pub struct AdminUser(pub Visitor);

impl<S: Send + Sync> FromRequestParts<S> for AdminUser {
    type Rejection = Rejection;
    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let v = visitor(parts)?;
        if v.user.role != Role::Admin {
            return Err(Rejection::NotFound);
        }
        Ok(AdminUser(v))
    }
}

/// A ticket number from the path; anything else is a ticket that does not
/// exist.
pub fn ticket_number(s: &str) -> Result<TicketNumber, WebError> {
    s.parse().map_err(|_| WebError::NotFound)
}

/// The one decision where a redirect may go (`next=`, `back=`): a path on
/// this site, nothing else. Browsers forgive a lot (a TAB or a backslash
/// after the slash, encoded slashes) and would follow such a path to
/// another host; anything of the kind is refused, and so is every control
/// character, which would also make an invalid Location header.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?;
    let path = next.split('?').next().unwrap_or("");
    let suspicious = |s: &str| {
        !s.starts_with('/')
            || s.starts_with("//")
            || s.contains('\\')
            || s.chars().any(|c| c.is_control() || c.is_whitespace())
    };
    // The path as a browser may decode it, too.
    if suspicious(next) || suspicious(&percent_decoded(path)) || next.len() > 2000 {
        return None;
    }
    // Resolved against a base of ours, it must stay on our host.
    let base = url::Url::parse("http://bilet.invalid/").ok()?;
    let resolved = base.join(next).ok()?;
    let same = resolved.host_str() == Some("bilet.invalid")
        && resolved.username().is_empty()
        && resolved.password().is_none()
        && resolved.port().is_none();
    same.then(|| {
        let mut out = resolved.path().to_string();
        if let Some(q) = resolved.query() {
            out.push('?');
            out.push_str(q);
        }
        out
    })
}

/// `s` with its %XX escapes decoded (bytes that are not UTF-8 are kept
/// as U+FFFD, which is no control character and no slash).
fn percent_decoded(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (
            bytes[i],
            bytes.get(i + 1).copied().and_then(hex),
            bytes.get(i + 2).copied().and_then(hex),
        ) {
            (b'%', Some(h), Some(l)) => {
                out.push((h * 16 + l) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/portal?x=1")), Some("/portal?x=1".into()));
        let search = "/agent?ws=mine&q=a%20b%2F";
        assert_eq!(safe_next(Some(search)), Some(search.into()));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "portal",
            "/\t/evil.example",
            "/%09/evil.example",
            "/\r\nLocation: x",
            "/%0d%0aSet-Cookie:x",
            "/\x0b/evil.example",
            "/%0b",
            "/%2F/evil.example",
            "/%2f%2fevil.example",
            "/%5C/evil.example",
            "/%5c%5cevil.example",
            "//user@evil.example",
            "/ /evil.example",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad:?}");
        }
    }
}
