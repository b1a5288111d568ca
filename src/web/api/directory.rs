//! Departments the token reaches, and customers: found by address, made
//! (one per address, however many requests race), and their tickets.

use axum::Extension;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Auth;
use super::body;
use super::idempotency::{self, Answer};
use super::problem::Problem;
use super::tickets::{Page, summaries};
use crate::domain::access::{AccessLevel, scope};
use crate::domain::email;
use crate::domain::queue::Filter;
use crate::domain::users::Role;
use crate::service;
use crate::state::AppState;
use crate::store;
use crate::store::users::UserRow;

/// A department.
#[derive(Debug, Serialize, ToSchema)]
pub struct Department {
    pub slug: String,
    pub name: String,
    /// Shown to customers in the portal.
    pub customer_visible: bool,
}

#[utoipa::path(get, path = "/api/v1/departments", tag = "directory",
    responses((status = 200, body = Vec<Department>), (status = 401, body = Problem)),
    security(("token" = [])))]
pub async fn departments(
    State(app): State<AppState>,
    Extension(caller): Auth,
) -> Result<axum::Json<Vec<Department>>, Problem> {
    let s = scope(&caller.user.viewer(), AccessLevel::Read);
    let rows = store::departments::visible(&app.db, s).await?;
    Ok(axum::Json(
        rows.into_iter()
            .map(|d| Department {
                slug: d.slug,
                name: d.name,
                customer_visible: d.customer_visible,
            })
            .collect(),
    ))
}

/// A customer.
#[derive(Debug, Serialize, ToSchema)]
pub struct Customer {
    pub email: String,
    pub name: String,
    pub created_at: String,
}

fn customer(u: UserRow) -> Customer {
    Customer {
        email: u.email,
        name: u.name,
        created_at: u
            .created_at
            .format(&time::format_description::well_known::Rfc3339)
            .unwrap_or_default(),
    }
}

async fn find(app: &AppState, address: &str) -> Result<UserRow, Problem> {
    let address = email::normalize(address).ok_or_else(Problem::not_found)?;
    store::users::find_by_email(&app.db, &address)
        .await?
        .filter(|u| u.role == Role::Customer)
        .ok_or_else(Problem::not_found)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CustomerQuery {
    /// The customer's address (any of theirs).
    pub email: String,
}

#[utoipa::path(get, path = "/api/v1/customers", tag = "directory", params(CustomerQuery),
    responses((status = 200, body = Customer), (status = 404, body = Problem), (status = 401, body = Problem)),
    security(("token" = [])))]
pub async fn find_customer(
    State(app): State<AppState>,
    Extension(_caller): Auth,
    Query(q): Query<CustomerQuery>,
) -> Result<axum::Json<Customer>, Problem> {
    Ok(axum::Json(customer(find(&app, &q.email).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewCustomer {
    pub email: String,
    pub name: Option<String>,
}

#[utoipa::path(post, path = "/api/v1/customers", tag = "directory", request_body = NewCustomer,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retries with this key return the first answer")),
    responses((status = 201, body = Customer, description = "Made"), (status = 200, body = Customer, description = "The address had a customer already"),
        (status = 403, body = Problem), (status = 422, body = Problem), (status = 401, body = Problem)),
    security(("token" = [])))]
pub async fn create_customer(
    State(app): State<AppState>,
    Extension(caller): Auth,
    headers: HeaderMap,
    req: Request,
) -> Response {
    let input = match body::read::<NewCustomer>(&app, req).await {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    idempotency::once(&app, &caller, &headers, input.hash, || async {
        if caller.token.read_only {
            return Err(service::Error::Forbidden.into());
        }
        let address = email::normalize(&input.fields.email)
            .ok_or_else(|| Problem::field("/email", "not an email address"))?;
        if let Some(u) = store::users::find_by_email(&app.db, &address).await? {
            if u.role != Role::Customer {
                return Err(Problem::field("/email", "this address belongs to staff"));
            }
            let mut a = Answer::created(format!("/api/v1/customers?email={address}"), &customer(u));
            a.status = StatusCode::OK;
            return Ok(a);
        }
        let mut tx = app.db.begin().await?;
        let u = service::accounts::customer_for_address(
            &mut tx,
            &address,
            input.fields.name.as_deref(),
        )
        .await?;
        tx.commit().await?;
        Ok(Answer::created(
            format!("/api/v1/customers?email={address}"),
            &customer(u),
        ))
    })
    .await
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// 1 to 100 (default 25).
    pub limit: Option<i64>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/customers/{email}/tickets", tag = "directory",
    params(("email" = String, Path, description = "The customer's address"), PageQuery),
    responses((status = 200, body = Page), (status = 404, body = Problem), (status = 401, body = Problem)),
    security(("token" = [])))]
pub async fn customer_tickets(
    State(app): State<AppState>,
    Extension(caller): Auth,
    Path(address): Path<String>,
    Query(q): Query<PageQuery>,
) -> Result<axum::Json<Page>, Problem> {
    let limit = q.limit.unwrap_or(25);
    if !(1..=100).contains(&limit) {
        return Err(Problem::field("limit", "from 1 to 100"));
    }
    let who = find(&app, &address).await?;
    let filter = Filter {
        requester_id: Some(who.id),
        ..Filter::default()
    };
    let after = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            super::events::decode_queue_cursor(c)
                .ok_or_else(|| Problem::field("cursor", "not a cursor of this list"))?,
        ),
    };
    let (rows, next) =
        service::tickets::workspaces::page(&app.db, &caller.user, &filter, after, limit).await?;
    Ok(axum::Json(Page {
        items: summaries(rows),
        next_cursor: next.map(super::events::encode_queue_cursor),
    }))
}
