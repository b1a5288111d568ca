//! The customer portal: the customer's tickets, filing, following,
//! answering, closing and rating them; signed links from mail; claiming an
//! account for an address that has only written mail.

pub mod access;
pub mod claim;
pub mod rate;
pub mod tickets;
pub mod verify;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;

use super::context::{PageCtx, Visitor};
use super::error::WebError;
use super::extract::CustomerUser;
use crate::domain::messages::Kind;
use crate::domain::status::Status;
use crate::service;
use crate::state::AppState;
use crate::store::tickets::ListCursor;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/portal", get(home))
        .merge(tickets::routes())
        .merge(claim::routes())
        .merge(verify::routes())
        .merge(rate::routes())
}

/// One row of "My tickets".
pub struct ListItem {
    pub number: String,
    pub subject: String,
    pub department: String,
    pub status: &'static str,
    pub updated: String,
    pub updated_exact: String,
    pub support_replied: bool,
    pub done: bool,
    /// A search hit's highlighted fragment: (text, marked) parts.
    pub hit: Vec<(String, bool)>,
}

/// templates/portal/home.html
#[derive(Template, WebTemplate)]
#[template(path = "portal/home.html")]
pub struct PortalHomePage {
    page: PageCtx,
    active: Vec<ListItem>,
    done: Vec<ListItem>,
    q: String,
    next: Option<String>,
    /// The address is not confirmed yet: mail tickets stay hidden.
    unconfirmed: bool,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    after: Option<String>,
}

fn encode_cursor(c: &ListCursor) -> String {
    format!(
        "{}_{}_{}",
        c.done,
        c.last_activity_at.unix_timestamp_nanos(),
        c.id
    )
}

fn decode_cursor(s: &str) -> Option<ListCursor> {
    let mut parts = s.splitn(3, '_');
    let done = parts.next()?.parse().ok()?;
    let nanos: i128 = parts.next()?.parse().ok()?;
    let id = parts.next()?.parse().ok()?;
    Some(ListCursor {
        done,
        last_activity_at: time::OffsetDateTime::from_unix_timestamp_nanos(nanos).ok()?,
        id,
    })
}

/// GET /portal: "My tickets", active first, searchable, paged by keyset.
async fn home(
    State(app): State<AppState>,
    CustomerUser(visitor): CustomerUser,
    page: PageCtx,
    Query(query): Query<ListQuery>,
) -> Result<PortalHomePage, WebError> {
    if !query.q.trim().is_empty() {
        return search(&app, &visitor, page, query).await;
    }
    let after = query.after.as_deref().and_then(decode_cursor);
    let (rows, next) =
        service::tickets::portal::list_page(&app.db, &visitor.viewer(), Some(&query.q), after, 25)
            .await?;
    let now = time::OffsetDateTime::now_utc();
    let (done, active): (Vec<ListItem>, Vec<ListItem>) = rows
        .into_iter()
        .map(|r| ListItem {
            number: r.number.to_string(),
            subject: r.subject,
            department: r.department_name,
            status: r.status.as_str(),
            updated: page.fmt.relative(r.last_activity_at, now),
            updated_exact: page.fmt.exact(r.last_activity_at),
            support_replied: r.last_message_kind == Some(Kind::Agent),
            done: r.done == 1,
            hit: Vec::new(),
        })
        .partition(|i| i.done);
    let next = next.map(|c| {
        let q: String = url::form_urlencoded::byte_serialize(query.q.as_bytes()).collect();
        format!("/portal?q={q}&after={}", encode_cursor(&c))
    });
    Ok(PortalHomePage {
        unconfirmed: !visitor.user.email_verified,
        page,
        active,
        done,
        q: query.q,
        next,
    })
}

/// "My tickets" searched: the index with the customer's own access (never
/// a note), best match first, paged by offset.
async fn search(
    app: &AppState,
    visitor: &Visitor,
    page: PageCtx,
    query: ListQuery,
) -> Result<PortalHomePage, WebError> {
    let (offset, pinned) = match query.after.as_deref().and_then(|a| a.strip_prefix('r')) {
        Some(a) => {
            let (o, g) = a.split_once('.').unwrap_or((a, ""));
            (o.parse().unwrap_or(0), g.parse().ok())
        }
        None => (0, None),
    };
    let found = service::search::tickets(
        app,
        &visitor.user,
        &query.q,
        &crate::domain::queue::Filter::default(),
        crate::search::find::Sort::Relevance { offset, pinned },
        25,
    )
    .await?;
    let now = time::OffsetDateTime::now_utc();
    let mut snippets = found.snippets;
    let (done, active): (Vec<ListItem>, Vec<ListItem>) = found
        .rows
        .into_iter()
        .map(|r| ListItem {
            number: r.number.to_string(),
            hit: snippets.remove(&r.id).unwrap_or_default(),
            subject: r.subject,
            department: r.department_name,
            status: r.status.as_str(),
            updated: page.fmt.relative(r.last_activity_at, now),
            updated_exact: page.fmt.exact(r.last_activity_at),
            support_replied: r.last_message_kind == Some(Kind::Agent),
            done: matches!(r.status, Status::Resolved | Status::Closed),
        })
        .partition(|i| i.done);
    let next = found.next.and_then(|n| match n {
        crate::search::find::Sort::Relevance { offset, pinned } => {
            let q: String = url::form_urlencoded::byte_serialize(query.q.as_bytes()).collect();
            let g = pinned.map(|g| format!(".{g}")).unwrap_or_default();
            Some(format!("/portal?q={q}&after=r{offset}{g}"))
        }
        crate::search::find::Sort::Date { .. } => None,
    });
    Ok(PortalHomePage {
        unconfirmed: !visitor.user.email_verified,
        page,
        active,
        done,
        q: query.q,
        next,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_survive_the_url() {
        let c = ListCursor {
            done: 1,
            last_activity_at: time::macros::datetime!(2026-11-25 21:05:07.123456789 UTC),
            id: crate::domain::ids::TicketId::new(),
        };
        assert_eq!(decode_cursor(&encode_cursor(&c)), Some(c));
        assert_eq!(decode_cursor("x_y_z"), None);
    }
}
