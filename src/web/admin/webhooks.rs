//! Admin: webhook subscriptions (made with their secret shown once,
//! enabled again, removed after a confirmation) and each one's delivery
//! history with "send again". The rules are in `service::webhooks`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::domain::webhooks::Event;
use crate::service::{self, FieldErrors};
use crate::state::AppState;
use crate::store::departments::DepartmentRow;
use crate::store::webhook_deliveries::{DeliveryRow, DeliveryStatus};
use crate::store::webhooks::WebhookRow;
use crate::web::confirm::{ConfirmPage, confirmed};
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;
use crate::web::notice;

const PAGE: i64 = 50;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/webhooks", get(list).post(create))
        .route("/admin/webhooks/{id}", get(show))
        .route("/admin/webhooks/{id}/enable", post(enable))
        .route("/admin/webhooks/{id}/remove", post(remove))
        .route("/admin/webhooks/{id}/resend/{delivery}", post(resend))
}

fn id(text: &str) -> Result<i64, WebError> {
    text.parse().map_err(|_| WebError::NotFound)
}

#[derive(Default, Clone)]
pub struct WebhookForm {
    url: String,
    /// The checked events (repeated fields).
    events: Vec<String>,
    department: String,
    allow_private: Option<String>,
}

impl WebhookForm {
    fn has(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == event)
    }
}

/// templates/admin/webhooks.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/webhooks.html")]
pub struct WebhooksPage {
    page: PageCtx,
    hooks: Vec<WebhookRow>,
    departments: Vec<DepartmentRow>,
    events: Vec<&'static str>,
    form: WebhookForm,
    errors: FieldErrors,
    /// Just made: its URL and secret, shown this once.
    created: Option<(String, String)>,
}

impl WebhooksPage {
    /// "3 · 1 failed": waiting and dead deliveries.
    fn counts(&self, w: &WebhookRow) -> String {
        let waiting = self.page.fmt.number(w.pending);
        if w.dead == 0 {
            return waiting;
        }
        format!(
            "{waiting} · {}",
            self.page.tn("admin-webhook-dead-n", "n", w.dead)
        )
    }
}

async fn page_of(
    app: &AppState,
    page: PageCtx,
    form: WebhookForm,
    errors: FieldErrors,
    created: Option<(String, String)>,
) -> Result<WebhooksPage, WebError> {
    Ok(WebhooksPage {
        page,
        hooks: service::webhooks::list(app).await?,
        departments: service::catalog::departments::list(&app.db).await?,
        events: Event::ALL.iter().map(|e| e.as_str()).collect(),
        form,
        errors,
        created,
    })
}

/// GET /admin/webhooks
async fn list(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
) -> Result<WebhooksPage, WebError> {
    let form = WebhookForm {
        events: Event::ALL.iter().map(|e| e.as_str().to_string()).collect(),
        ..WebhookForm::default()
    };
    page_of(&app, page, form, FieldErrors::default(), None).await
}

/// POST /admin/webhooks: the answer shows the secret, once.
async fn create(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    raw: axum::extract::RawForm,
) -> Result<Response, WebError> {
    // Repeated `events` fields: serde_urlencoded reads them as a sequence
    // only through this pair list.
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&raw.0).map_err(|_| WebError::Invalid)?;
    let mut form = WebhookForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "url" => form.url = v,
            "events" => form.events.push(v),
            "department" => form.department = v,
            "allow_private" => form.allow_private = Some(v),
            _ => {}
        }
    }
    let spec = service::webhooks::Spec {
        url: form.url.clone(),
        events: form.events.join(","),
        department: Some(form.department.clone()).filter(|d| !d.is_empty()),
        allow_private: form.allow_private.is_some(),
        created_by: Some(admin.user.id),
    };
    match service::webhooks::add(&app, spec).await {
        Ok((row, secret)) => {
            let fresh = WebhookForm {
                events: Event::ALL.iter().map(|e| e.as_str().to_string()).collect(),
                ..WebhookForm::default()
            };
            let body = page_of(
                &app,
                page,
                fresh,
                FieldErrors::default(),
                Some((row.url, secret)),
            );
            Ok(body.await?.into_response())
        }
        Err(service::Error::Invalid(errors)) => {
            let body = page_of(&app, page, form, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(other) => Err(other.into()),
    }
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

/// POST /admin/webhooks/{id}/enable
async fn enable(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(hook): Path<String>,
) -> Result<Response, WebError> {
    let hook = id(&hook)?;
    service::webhooks::enable(&app, hook, Some(admin.user.id)).await?;
    Ok(notice::redirect(
        &format!("/admin/webhooks/{hook}"),
        "webhook-enabled",
    ))
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    confirm: Option<String>,
}

/// POST /admin/webhooks/{id}/remove: asks first.
async fn remove(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path(hook): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    let hook = id(&hook)?;
    let w = service::webhooks::get(&app, hook).await?;
    if !confirmed(form.confirm.as_deref()) {
        return Ok(ConfirmPage {
            title: page.t("admin-webhook-remove"),
            question: page.t1("admin-webhook-remove-question", "url", &w.url),
            action: format!("/admin/webhooks/{hook}/remove"),
            fields: Vec::new(),
            text: None,
            confirm_label: page.t("admin-webhook-remove"),
            cancel: format!("/admin/webhooks/{hook}"),
            page,
        }
        .into_response());
    }
    service::webhooks::remove(&app, hook, Some(admin.user.id)).await?;
    Ok(notice::redirect("/admin/webhooks", "webhook-removed"))
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
