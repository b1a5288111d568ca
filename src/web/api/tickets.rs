//! /api/v1/tickets: list (the queue's filters and orders, keyset pages, or
//! the agent search's query language with `q`), one ticket with its
//! messages (ETag = version), creation on behalf of a customer, and
//! property updates under If-Match.

use axum::Extension;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::body::{self, flag};
use super::idempotency::{self, Answer};
use super::problem::Problem;
use super::{Auth, Caller};
use crate::domain::ids::TicketNumber;
use crate::domain::priority::Priority;
use crate::domain::queue::{Assignee, Filter, Sort};
use crate::domain::status::Status;
use crate::service;
use crate::service::tickets::agent::{self as work, OnBehalf, Properties};
use crate::service::tickets::representation::{self, Person, Ticket};
use crate::state::AppState;
use crate::store;

pub(super) fn number(raw: &str) -> Result<TicketNumber, Problem> {
    raw.trim_start_matches('#')
        .parse()
        .map_err(|_| Problem::not_found())
}

pub(super) fn etag(version: i32) -> HeaderValue {
    HeaderValue::from_str(&format!("\"{version}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// The ticket with its ETag.
pub(super) fn with_etag(status: StatusCode, t: &Ticket) -> Response {
    let mut r = (status, axum::Json(t)).into_response();
    r.headers_mut().insert(header::ETAG, etag(t.version));
    r
}

/// Query of GET /api/v1/tickets.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Comma-separated: open, pending, resolved, closed.
    pub status: Option<String>,
    /// low, normal, high or urgent.
    pub priority: Option<String>,
    /// A department's slug.
    pub department: Option<String>,
    /// "me", "unassigned" or a staff member's address.
    pub assignee: Option<String>,
    /// The requester's address or name.
    pub requester: Option<String>,
    /// Only tickets whose earliest service-level due time has passed.
    pub overdue: Option<bool>,
    /// activity_newest (default), activity_oldest, created_newest,
    /// created_oldest, due_soonest.
    pub sort: Option<String>,
    /// The agent search's query language (words, "phrases", from:, dept:…);
    /// results come best match first.
    pub q: Option<String>,
    /// 1 to 100 (default 25).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// One ticket in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct Summary {
    pub number: String,
    pub subject: String,
    pub status: String,
    pub priority: String,
    pub department: String,
    pub requester: Person,
    pub assignee: Option<String>,
    pub version: i32,
    pub created_at: String,
    pub last_activity_at: String,
    /// The earliest service-level due time, if any.
    pub sla_due_at: Option<String>,
}

/// A page of tickets.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page {
    pub items: Vec<Summary>,
    /// Pass as `cursor` for the next page; null on the last one.
    pub next_cursor: Option<String>,
}

fn rfc3339(at: time::OffsetDateTime) -> String {
    at.format(&time::format_description::well_known::Rfc3339)
        .unwrap_or_default()
}

pub(super) fn summaries(rows: Vec<store::queue::QueueRow>) -> Vec<Summary> {
    rows.into_iter()
        .map(|r| Summary {
            number: r.number.to_string(),
            subject: r.subject,
            status: r.status.as_str().to_string(),
            priority: r.priority.as_str().to_string(),
            department: r.department_name,
            requester: Person {
                email: r.requester_email,
                name: r.requester_name,
            },
            assignee: r.assignee_name,
            version: r.version,
            created_at: rfc3339(r.created_at),
            last_activity_at: rfc3339(r.last_activity_at),
            sla_due_at: r.sla_due_at.map(rfc3339),
        })
        .collect()
}

async fn filter(app: &AppState, q: &ListQuery) -> Result<Filter, Problem> {
    let mut f = Filter::default();
    for s in q.status.iter().flat_map(|s| s.split(',')).map(str::trim) {
        if s.is_empty() {
            continue;
        }
        f.statuses.push(
            s.parse::<Status>()
                .map_err(|_| Problem::field("status", "open, pending, resolved or closed"))?,
        );
    }
    if let Some(p) = q.priority.as_deref().filter(|p| !p.is_empty()) {
        f.priority = Some(
            p.parse::<Priority>()
                .map_err(|_| Problem::field("priority", "low, normal, high or urgent"))?,
        );
    }
    if let Some(slug) = q.department.as_deref().filter(|d| !d.is_empty()) {
        let d = store::departments::find_by_slug(&app.db, slug).await?;
        f.department = Some(
            d.map(|d| d.id)
                .ok_or_else(|| Problem::field("department", "no such department"))?,
        );
    }
    f.assignee = match q.assignee.as_deref().unwrap_or("") {
        "" => Assignee::Anyone,
        "me" => Assignee::Me,
        "unassigned" => Assignee::Unassigned,
        email => {
            let u = store::users::find_by_email(&app.db, email).await?;
            Assignee::User(
                u.filter(|u| u.role.is_staff())
                    .map(|u| u.id)
                    .ok_or_else(|| {
                        Problem::field("assignee", "no staff member has this address")
                    })?,
            )
        }
    };
    f.requester = q.requester.clone().filter(|r| !r.trim().is_empty());
    f.overdue = q.overdue.unwrap_or(false);
    if let Some(s) = q.sort.as_deref().filter(|s| !s.is_empty()) {
        f.sort = s
            .parse::<Sort>()
            .ok()
            .filter(|s| *s != Sort::Relevance)
            .ok_or_else(|| Problem::field("sort", "activity_newest, activity_oldest, created_newest, created_oldest or due_soonest"))?;
    }
    Ok(f)
}

fn bad_cursor() -> Problem {
    Problem::field("cursor", "not a cursor of this list")
}

#[utoipa::path(get, path = "/api/v1/tickets", tag = "tickets", params(ListQuery),
    responses((status = 200, body = Page), (status = 401, body = Problem), (status = 422, body = Problem), (status = 429, body = Problem)),
    security(("token" = [])))]
pub async fn list(
    State(app): State<AppState>,
    Extension(caller): Auth,
    Query(q): Query<ListQuery>,
) -> Result<axum::Json<Page>, Problem> {
    let limit = q.limit.unwrap_or(25);
    if !(1..=100).contains(&limit) {
        return Err(Problem::field("limit", "from 1 to 100"));
    }
    let f = filter(&app, &q).await?;
    if let Some(text) = q.q.as_deref().filter(|t| !t.trim().is_empty()) {
        return search(&app, &caller, text, &f, q.cursor.as_deref(), limit).await;
    }
    let after = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(super::events::decode_queue_cursor(c).ok_or_else(bad_cursor)?),
    };
    let (rows, next) =
        service::tickets::workspaces::page(&app.db, &caller.user, &f, after, limit).await?;
    Ok(axum::Json(Page {
        items: summaries(rows),
        next_cursor: next.map(super::events::encode_queue_cursor),
    }))
}

async fn search(
    app: &AppState,
    caller: &Caller,
    text: &str,
    f: &Filter,
    cursor: Option<&str>,
    limit: i64,
) -> Result<axum::Json<Page>, Problem> {
    use crate::search::find::Sort as Found;
    let sort = match cursor {
        None | Some("") => Found::Relevance {
            offset: 0,
            pinned: None,
        },
        Some(c) => {
            let (offset, pinned) = super::events::decode_search_cursor(c).ok_or_else(bad_cursor)?;
            Found::Relevance {
                offset,
                pinned: Some(pinned),
            }
        }
    };
    let found = service::search::tickets(app, &caller.user, text, f, sort, limit as usize).await?;
    let next = match found.next {
        Some(Found::Relevance {
            offset,
            pinned: Some(p),
        }) => Some(super::events::encode_search_cursor(offset, p)),
        _ => None,
    };
    Ok(axum::Json(Page {
        items: summaries(found.rows),
        next_cursor: next,
    }))
}

#[utoipa::path(get, path = "/api/v1/tickets/{number}", tag = "tickets",
    params(("number" = String, Path, description = "The ticket number")),
    responses((status = 200, body = Ticket, headers(("ETag" = String, description = "The ticket's version"))),
        (status = 404, body = Problem), (status = 401, body = Problem)),
    security(("token" = [])))]
pub async fn show(
    State(app): State<AppState>,
    Extension(caller): Auth,
    Path(raw): Path<String>,
) -> Result<Response, Problem> {
    let t = representation::ticket_for(&app.db, &caller.user.viewer(), number(&raw)?).await?;
    Ok(with_etag(StatusCode::OK, &t))
}

/// POST /api/v1/tickets: a ticket in a customer's name.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTicket {
    /// The customer's address; a new address makes a new customer.
    pub customer_email: String,
    pub customer_name: Option<String>,
    /// The department's slug.
    pub department: String,
    pub subject: String,
    pub body: String,
    /// Mail the customer the department's acknowledgement (default true).
    #[serde(default, deserialize_with = "flag")]
    #[schema(value_type = Option<bool>)]
    pub acknowledge: Option<bool>,
    /// Files as base64 (or send multipart/form-data with file parts).
    #[serde(default)]
    #[schema(value_type = Option<Vec<super::body::Base64File>>)]
    pub attachments: Option<serde_json::Value>,
}

#[utoipa::path(post, path = "/api/v1/tickets", tag = "tickets", request_body = NewTicket,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with this key return the first answer")),
    responses((status = 201, body = Ticket), (status = 403, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem), (status = 401, body = Problem)),
    security(("token" = [])))]
pub async fn create(
    State(app): State<AppState>,
    Extension(caller): Auth,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let input = match body::read::<NewTicket>(&app, req).await {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    let key = idempotency::key_of(&headers).map(|k| (caller.token.id, k));
    let (db, viewer) = (app.db.clone(), caller.user.viewer());
    let rebuild = |made: store::api_tokens::Made| async move {
        let number = made.ticket;
        let t = representation::ticket_for(&db, &viewer, number).await?;
        Ok(Answer::created(format!("/api/v1/tickets/{number}"), &t))
    };
    idempotency::once_or_rebuild(
        &app,
        &caller,
        &headers,
        input.hash,
        || async {
            if caller.token.read_only {
                return Err(service::Error::Forbidden.into());
            }
            let f = &input.fields;
            let department = store::departments::find_by_slug(&app.db, f.department.trim())
                .await?
                .map(|d| d.id);
            let number = work::open_for_customer(
                &app,
                &caller.user,
                OnBehalf {
                    email: f.customer_email.clone(),
                    name: f.customer_name.clone().unwrap_or_default(),
                    department,
                    subject: f.subject.clone(),
                    body: f.body.clone(),
                    uploads: input.uploads.clone(),
                    notify: f.acknowledge.unwrap_or(true),
                    api: true,
                    idempotency: key,
                },
            )
            .await
            .map_err(|e| match e {
                service::Error::Invalid(mut errors) => {
                    for e in &mut errors.0 {
                        if e.field == "email" {
                            e.field = "customer_email";
                        }
                    }
                    service::Error::Invalid(errors)
                }
                other => other,
            })?;
            let t = representation::ticket_for(&app.db, &caller.user.viewer(), number).await?;
            Ok(Answer::created(format!("/api/v1/tickets/{number}"), &t))
        },
        rebuild,
    )
    .await
}

/// PATCH /api/v1/tickets/{number}: only the fields sent change.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Update {
    pub status: Option<String>,
    pub priority: Option<String>,
    /// A staff member's address; null or "" unassigns.
    #[serde(default, deserialize_with = "some_or_null")]
    #[schema(value_type = Option<String>)]
    pub assignee: Option<Option<String>>,
    /// A department's slug: a transfer.
    pub department: Option<String>,
    /// An internal note for the receiving department, with a transfer.
    pub note: Option<String>,
}

fn some_or_null<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> Result<Option<Option<String>>, D::Error> {
    Ok(Some(Option::<String>::deserialize(d)?))
}

fn if_match(headers: &HeaderMap) -> Result<i32, Problem> {
    let Some(v) = headers.get(header::IF_MATCH) else {
        return Err(
            Problem::new(StatusCode::PRECONDITION_REQUIRED, "Precondition Required")
                .detail("send If-Match with the ticket's ETag"),
        );
    };
    v.to_str()
        .ok()
        .map(|s| s.trim().trim_start_matches("W/").trim_matches('"'))
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| {
            Problem::new(StatusCode::PRECONDITION_FAILED, "Precondition Failed")
                .detail("If-Match is not an ETag of this ticket")
        })
}

#[utoipa::path(patch, path = "/api/v1/tickets/{number}", tag = "tickets", request_body = Update,
    params(("number" = String, Path, description = "The ticket number"),
        ("If-Match" = String, Header, description = "The ETag the change is based on")),
    responses((status = 200, body = Ticket), (status = 403, body = Problem), (status = 404, body = Problem),
        (status = 412, body = Problem), (status = 428, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
pub async fn update(
    State(app): State<AppState>,
    Extension(caller): Auth,
    Path(raw): Path<String>,
    headers: HeaderMap,
    req: Request,
) -> Result<Response, Problem> {
    let n = number(&raw)?;
    let version = if_match(&headers)?;
    let input = body::read::<Update>(&app, req).await?;
    let u = input.fields;
    let viewer = caller.user.viewer();
    let mut p = Properties {
        status: None,
        priority: None,
        assignee: None,
        department: None,
        note: u.note.as_deref().unwrap_or(""),
    };
    if let Some(s) = &u.status {
        p.status = Some(
            s.parse()
                .map_err(|_| Problem::field("/status", "open, pending, resolved or closed"))?,
        );
    }
    if let Some(s) = &u.priority {
        p.priority = Some(
            s.parse()
                .map_err(|_| Problem::field("/priority", "low, normal, high or urgent"))?,
        );
    }
    if let Some(a) = &u.assignee {
        p.assignee = Some(
            match a.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
                None => None,
                Some(email) => Some(
                    store::users::find_by_email(&app.db, email)
                        .await?
                        .filter(|u| u.role.is_staff())
                        .map(|u| u.id)
                        .ok_or_else(|| {
                            Problem::field("/assignee", "no staff member has this address")
                        })?,
                ),
            },
        );
    }
    if let Some(slug) = &u.department {
        p.department = Some(
            store::departments::find_by_slug(&app.db, slug.trim())
                .await?
                .map(|d| d.id)
                .ok_or_else(|| Problem::field("/department", "no such department"))?,
        );
    }
    match work::properties(&app, &caller.user, n, version, p).await {
        Ok(_) => {}
        // Nothing to change: the ticket as it is.
        Err(service::Error::Conflict(service::Conflict::Unchanged)) => {}
        Err(e) => return Err(e.into()),
    }
    // After a transfer out of the token's reach this is 404, as the rule says.
    let t = representation::ticket_for(&app.db, &viewer, n).await?;
    Ok(with_etag(StatusCode::OK, &t))
}
