//! Who reads a portal ticket: a signed-in customer, or whoever holds a
//! signed link from one of our mails for that one ticket. Staff use the
//! agent workspace; for them portal tickets do not exist.

use axum::http::HeaderMap;
use cookie::Cookie;

use crate::domain::access::AccessLevel;
use crate::domain::ids::TicketNumber;
use crate::domain::users::Role;
use crate::service;
use crate::state::AppState;
use crate::store::users::UserRow;
use crate::web::context::Visitor;
use crate::web::extract::Rejection;

/// Cookie holding the last signed link followed.
pub const LINK_COOKIE: &str = "bilet_link";

/// The link token in the request's cookies, if any.
pub fn link_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| Cookie::split_parse(v.to_string()))
        .filter_map(Result::ok)
        .find(|c| c.name() == LINK_COOKIE)
        .map(|c| c.value().to_string())
}

/// The user and ticket of the signed link this browser followed, if it is
/// still valid: the one place where portal pages and downloads check it.
pub async fn link_holder(
    app: &AppState,
    headers: &HeaderMap,
) -> Result<Option<(UserRow, TicketNumber)>, crate::web::error::WebError> {
    let Some(token) = link_token(headers) else {
        return Ok(None);
    };
    Ok(service::accounts::links::holder(&app.db, &app.secrets.session_key, &token).await?)
}

/// The customer reading ticket `number`, or why not.
pub async fn reader(
    app: &AppState,
    visitor: Option<&Visitor>,
    headers: &HeaderMap,
    number: TicketNumber,
    path: &str,
) -> Result<UserRow, Rejection> {
    if let Some(v) = visitor {
        if v.user.role != Role::Customer {
            return Err(Rejection::NotFound);
        }
        if service::tickets::view::find(&app.db, &v.viewer(), number, AccessLevel::Read)
            .await
            .is_ok()
        {
            return Ok(v.user.clone());
        }
    }
    if let Ok(Some((user, ticket))) = link_holder(app, headers).await
        && ticket == number
    {
        return Ok(user);
    }
    match visitor {
        Some(_) => Err(Rejection::NotFound),
        None => Err(Rejection::SignIn(path.to_string())),
    }
}
