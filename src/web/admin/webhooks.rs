//! Admin: webhook subscriptions: listed, made with their secret shown
//! once, enabled again, removed after a confirmation. One webhook's page
//! and history are in `webhook_history`; the rules in `service::webhooks`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::domain::webhooks::Event;
use crate::service::{self, FieldErrors};
use crate::state::AppState;
use crate::store::departments::DepartmentRow;
use crate::store::webhooks::WebhookRow;
use crate::web::confirm::{ConfirmPage, confirmed};
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;
use crate::web::notice;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/webhooks", get(list).post(create))
        .route("/admin/webhooks/{id}/enable", post(enable))
        .route("/admin/webhooks/{id}/remove", post(remove))
        .merge(super::webhook_history::routes())
}

pub(super) fn id(text: &str) -> Result<i64, WebError> {
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
