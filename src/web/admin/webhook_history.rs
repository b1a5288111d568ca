//! Admin: one webhook's page: its settings and state, and its delivery
//! history (status, tries, answer, duration, next try) with "send again".

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use super::webhooks::id;
use crate::service;
use crate::state::AppState;
use crate::store::webhook_deliveries::{DeliveryRow, DeliveryStatus};
use crate::store::webhooks::WebhookRow;
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;
use crate::web::notice;

const PAGE: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/webhooks/{id}", get(show))
        .route("/admin/webhooks/{id}/resend/{delivery}", post(resend))
}

/// templates/admin/webhook.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/webhook.html")]
pub struct WebhookPage {
    page: PageCtx,
    hook: WebhookRow,
    /// "failing since …", or empty.
    failing: String,
    /// Why Bilet disabled it, or empty.
    disabled: String,
    deliveries: Vec<Line>,
    next: Option<String>,
}

/// One delivery as the history shows it.
pub struct Line {
    id: i64,
    event: String,
    number: String,
    status: &'static str,
    attempts: i32,
    answer: String,
    ms: String,
    when: String,
    when_exact: String,
    next: String,
    may_resend: bool,
}

fn line(page: &PageCtx, d: DeliveryRow, now: time::OffsetDateTime) -> Line {
    let answer = match (d.last_code, &d.last_error) {
        (Some(code), _) => format!("HTTP {code}"),
        (None, Some(e)) => e.clone(),
        (None, None) => page.t("admin-webhook-not-tried"),
    };
    let at = d.last_attempt_at.unwrap_or(d.created_at);
    let next = match (d.status, d.next_at) {
        (DeliveryStatus::Pending, Some(n)) => page.fmt.exact(n),
        (DeliveryStatus::Pending, None) => page.t("admin-webhook-next-now"),
        _ => String::new(),
    };
    Line {
        id: d.id,
        event: d.event,
        number: d.number.map(|n| n.to_string()).unwrap_or_default(),
        status: d.status.as_str(),
        attempts: d.attempts,
        answer,
        ms: d
            .last_ms
            .map(|ms| format!("{} ms", page.fmt.number(i64::from(ms))))
            .unwrap_or_default(),
        when: page.fmt.relative(at, now),
        when_exact: page.fmt.exact(at),
        next,
        may_resend: d.status != DeliveryStatus::Pending,
    }
}

#[derive(Deserialize)]
pub struct HistoryQuery {
    before: Option<i64>,
}

/// GET /admin/webhooks/{id}
async fn show(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
    Path(hook): Path<String>,
    Query(q): Query<HistoryQuery>,
) -> Result<WebhookPage, WebError> {
    let hook = id(&hook)?;
    let (w, rows) = service::webhooks::history(&app, hook, q.before, PAGE).await?;
    let next = (rows.len() as i64 == PAGE)
        .then(|| {
            rows.last()
                .map(|d| format!("/admin/webhooks/{hook}?before={}", d.id))
        })
        .flatten();
    let now = time::OffsetDateTime::now_utc();
    let deliveries = rows.into_iter().map(|d| line(&page, d, now)).collect();
    let failing = w.failing_since.map_or(String::new(), |at| {
        page.t1("admin-webhook-failing-since", "when", page.fmt.exact(at))
    });
    let disabled = match (w.enabled, w.disabled_reason.as_deref()) {
        (false, Some(reason @ ("gone" | "failing"))) => {
            page.t(&format!("admin-webhook-disabled-{reason}"))
        }
        _ => String::new(),
    };
    Ok(WebhookPage {
        page,
        failing,
        disabled,
        hook: w,
        deliveries,
        next,
    })
}

/// POST /admin/webhooks/{id}/resend/{delivery}
async fn resend(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    Path((hook, delivery)): Path<(String, String)>,
) -> Result<Response, WebError> {
    let (hook, delivery) = (id(&hook)?, id(&delivery)?);
    service::webhooks::resend(&app, hook, delivery).await?;
    Ok(notice::redirect(
        &format!("/admin/webhooks/{hook}"),
        "webhook-resent",
    ))
}
