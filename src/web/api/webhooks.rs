//! Webhook subscriptions through the API: for admin tokens that reach every
//! department (anyone else gets 404, as for anything outside a scope). The
//! secret is in the creation's answer only.

use axum::Extension;
use axum::extract::{Path, Query, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::{IntoParams, ToSchema};

use super::idempotency::{self, Answer};
use super::problem::Problem;
use super::{Auth, Caller, body};
use crate::domain::users::Role;
use crate::service;
use crate::state::AppState;
use crate::store::webhook_deliveries::DeliveryRow;
use crate::store::webhooks::WebhookRow;

/// Admins whose token is not narrowed to departments; writes also need a
/// token that is not read-only (403).
fn admin(caller: &Caller, write: bool) -> Result<(), Problem> {
    if caller.user.role != Role::Admin || !caller.token.all_departments {
        return Err(Problem::not_found());
    }
    if write && caller.token.read_only {
        return Err(service::Error::Forbidden.into());
    }
    Ok(())
}

/// A path's id; anything else names nothing (404, as problem+json rather
/// than the router's plain-text rejection).
fn id(text: &str) -> Result<i64, Problem> {
    text.parse().map_err(|_| Problem::not_found())
}

fn stamp(at: Option<OffsetDateTime>) -> Option<String> {
    at.and_then(|t| t.format(&Rfc3339).ok())
}

/// A subscription.
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    /// Only this department's tickets (null: every department).
    pub department: Option<String>,
    pub allow_private: bool,
    pub enabled: bool,
    /// `gone` (the target answered 410) or `failing` (three days of failures).
    pub disabled_reason: Option<String>,
    /// Since when deliveries fail (null: the last one went through).
    pub failing_since: Option<String>,
    pub waiting: i64,
    pub dead: i64,
    pub created_at: String,
}

impl From<WebhookRow> for Webhook {
    fn from(w: WebhookRow) -> Webhook {
        Webhook {
            id: w.id,
            url: w.url,
            events: w.events,
            department: w.department,
            allow_private: w.allow_private,
            enabled: w.enabled,
            disabled_reason: w.disabled_reason,
            failing_since: stamp(w.failing_since),
            waiting: w.pending,
            dead: w.dead,
            created_at: stamp(Some(w.created_at)).unwrap_or_default(),
        }
    }
}

/// A new subscription.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewWebhook {
    /// An http or https URL, without user name or password.
    pub url: String,
    /// ticket.created, message.added, status.changed, ticket.assigned,
    /// ticket.transferred, ticket.escalated, ticket.rated; or "*".
    pub events: Vec<String>,
    /// A department's slug: only its tickets.
    pub department: Option<String>,
    /// Allow private, loopback and link-local target addresses.
    #[serde(default, deserialize_with = "body::flag")]
    pub allow_private: Option<bool>,
}

/// A new subscription with its signing secret, shown this once.
#[derive(Debug, Serialize, ToSchema)]
pub struct Created {
    #[serde(flatten)]
    pub webhook: Webhook,
    /// The HMAC-SHA256 key of `Bilet-Signature`. Never shown again.
    pub secret: String,
}

#[utoipa::path(get, path = "/api/v1/webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<Webhook>), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
pub async fn list(
    State(app): State<AppState>,
    Extension(caller): Auth,
) -> Result<axum::Json<Vec<Webhook>>, Problem> {
    admin(&caller, false)?;
    let rows = service::webhooks::list(&app).await?;
    Ok(axum::Json(rows.into_iter().map(Webhook::from).collect()))
}

#[utoipa::path(post, path = "/api/v1/webhooks", tag = "webhooks", request_body = NewWebhook,
    responses((status = 201, body = Created), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem), (status = 422, body = Problem)),
    security(("token" = [])))]
pub async fn create(
    State(app): State<AppState>,
    Extension(caller): Auth,
    headers: HeaderMap,
    req: Request,
) -> Response {
    if let Err(p) = admin(&caller, true) {
        return p.into_response();
    }
    let input = match body::read::<NewWebhook>(&app, req).await {
        Ok(i) => i,
        Err(p) => return p.into_response(),
    };
    idempotency::once(&app, &caller, &headers, input.hash, || async {
        let f = input.fields;
        let spec = service::webhooks::Spec {
            url: f.url,
            events: f.events.join(","),
            department: f.department,
            allow_private: f.allow_private.unwrap_or(false),
            created_by: Some(caller.user.id),
        };
        let (row, secret) = service::webhooks::add(&app, spec).await?;
        let location = format!("/api/v1/webhooks/{}", row.id);
        Ok(Answer::created(
            location,
            &Created {
                webhook: row.into(),
                secret,
            },
        ))
    })
    .await
}

#[utoipa::path(get, path = "/api/v1/webhooks/{webhook}", tag = "webhooks", params(("webhook" = i64, Path)),
    responses((status = 200, body = Webhook), (status = 401, body = Problem), (status = 404, body = Problem)),
    security(("token" = [])))]
pub async fn show(
    State(app): State<AppState>,
    Extension(caller): Auth,
    Path(id): Path<String>,
) -> Result<axum::Json<Webhook>, Problem> {
    admin(&caller, false)?;
    let id = self::id(&id)?;
    Ok(axum::Json(service::webhooks::get(&app, id).await?.into()))
}

#[utoipa::path(delete, path = "/api/v1/webhooks/{webhook}", tag = "webhooks", params(("webhook" = i64, Path)),
    responses((status = 204, description = "Removed"), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem)),
    security(("token" = [])))]
pub async fn remove(
    State(app): State<AppState>,
    Extension(caller): Auth,
    Path(id): Path<String>,
) -> Result<StatusCode, Problem> {
    admin(&caller, true)?;
    let id = self::id(&id)?;
    service::webhooks::remove(&app, id, Some(caller.user.id)).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// One delivery and how it went.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    /// The `Bilet-Event-Id` it carries.
    pub event_id: String,
    pub event: String,
    pub ticket: Option<String>,
    /// pending, sent or dead.
    pub status: String,
    pub attempts: i32,
    /// The last answer's status code (null: no answer).
    pub response_code: Option<i32>,
    /// Why there was no answer.
    pub error: Option<String>,
    pub duration_ms: Option<i32>,
    pub last_attempt_at: Option<String>,
    /// When a waiting delivery is tried next.
    pub next_attempt_at: Option<String>,
    pub created_at: String,
}

impl From<DeliveryRow> for Delivery {
    fn from(d: DeliveryRow) -> Delivery {
        let waiting = d.status == crate::store::webhook_deliveries::DeliveryStatus::Pending;
        Delivery {
            id: d.id,
            event_id: d.event_id,
            event: d.event,
            ticket: d.number.map(|n| n.to_string()),
            status: d.status.as_str().to_string(),
            attempts: d.attempts,
            response_code: d.last_code,
            error: d.last_error,
            duration_ms: d.last_ms,
            last_attempt_at: stamp(d.last_attempt_at),
            next_attempt_at: if waiting {
                stamp(d.next_at.or(Some(d.created_at)))
            } else {
                None
            },
            created_at: stamp(Some(d.created_at)).unwrap_or_default(),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// `next_before` of the previous page.
    pub before: Option<i64>,
    /// 1 to 200 (default 50).
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    pub deliveries: Vec<Delivery>,
    /// Pass as `before` for older ones (null: no more).
    pub next_before: Option<i64>,
}

#[utoipa::path(get, path = "/api/v1/webhooks/{webhook}/deliveries", tag = "webhooks",
    params(("webhook" = i64, Path), HistoryQuery),
    responses((status = 200, body = History), (status = 401, body = Problem), (status = 404, body = Problem),
        (status = 422, body = Problem)),
    security(("token" = [])))]
pub async fn deliveries(
    State(app): State<AppState>,
    Extension(caller): Auth,
    Path(id): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<axum::Json<History>, Problem> {
    admin(&caller, false)?;
    let id = self::id(&id)?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(Problem::field("limit", "from 1 to 200"));
    }
    let (_, rows) = service::webhooks::history(&app, id, q.before, limit).await?;
    let next_before = (rows.len() as i64 == limit)
        .then(|| rows.last().map(|d| d.id))
        .flatten();
    Ok(axum::Json(History {
        deliveries: rows.into_iter().map(Delivery::from).collect(),
        next_before,
    }))
}

/// The copy queued by "send again".
#[derive(Debug, Serialize, ToSchema)]
pub struct Resent {
    pub id: i64,
}

#[utoipa::path(post, path = "/api/v1/webhooks/{webhook}/deliveries/{delivery}/resend", tag = "webhooks",
    params(("webhook" = i64, Path), ("delivery" = i64, Path)),
    responses((status = 202, body = Resent), (status = 401, body = Problem), (status = 403, body = Problem),
        (status = 404, body = Problem, description = "No such delivery, or it is still waiting")),
    security(("token" = [])))]
pub async fn resend(
    State(app): State<AppState>,
    Extension(caller): Auth,
    Path((id, delivery)): Path<(String, String)>,
) -> Result<(StatusCode, axum::Json<Resent>), Problem> {
    admin(&caller, true)?;
    let (id, delivery) = (self::id(&id)?, self::id(&delivery)?);
    let copy = service::webhooks::resend(&app, id, delivery).await?;
    Ok((StatusCode::ACCEPTED, axum::Json(Resent { id: copy })))
}
