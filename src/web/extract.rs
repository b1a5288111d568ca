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

/// A safe place to go after signing in: a local path only, never another
/// site ("//evil.example" or "https://...").
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?;
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.contains(['\r', '\n']);
    ok.then(|| next.to_string())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next(Some("/portal?x=1")), Some("/portal?x=1".into()));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "portal",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
    }
}
