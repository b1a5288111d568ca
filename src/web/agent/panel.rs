//! The ticket page's properties panel (status, priority, assignee and
//! department in one form) and the split, which asks for the new ticket's
//! subject before it acts.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Form, Router};
use serde::Deserialize;

use crate::domain::access::AccessLevel;
use crate::domain::ids::{DepartmentId, MessageId, UserId};
use crate::domain::priority::Priority;
use crate::domain::status::Status;
use crate::service;
use crate::service::tickets::agent::{self as work, Properties};
use crate::state::AppState;
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::{StaffUser, ticket_number};
use crate::web::notice;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/tickets/{number}/properties", post(properties))
        .route("/agent/tickets/{number}/split", post(split))
}

#[derive(Deserialize)]
pub struct PropertiesForm {
    #[serde(default)]
    version: i32,
    status: String,
    priority: String,
    #[serde(default)]
    assignee: String,
    department: String,
    #[serde(default)]
    note: String,
}

/// POST /agent/tickets/{number}/properties: saves what differs.
async fn properties(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    Path(n): Path<String>,
    Form(f): Form<PropertiesForm>,
) -> Result<Response, WebError> {
    let number = ticket_number(&n)?;
    let assignee = match f.assignee.as_str() {
        "" => None,
        id => Some(id.parse::<UserId>().map_err(|_| WebError::Invalid)?),
    };
    let p = Properties {
        status: Some(f.status.parse::<Status>().map_err(|_| WebError::Invalid)?),
        priority: Some(
            f.priority
                .parse::<Priority>()
                .map_err(|_| WebError::Invalid)?,
        ),
        assignee: Some(assignee),
        department: Some(
            f.department
                .parse::<DepartmentId>()
                .map_err(|_| WebError::Invalid)?,
        ),
        note: &f.note,
    };
    match work::properties(&app, &v.user, number, f.version, p).await {
        Ok(done) => {
            let notice = match done.as_slice() {
                ["status"] => "status-changed",
                ["priority"] => "priority-changed",
                ["assignee"] => "assigned",
                ["department"] | ["department", "note"] => "transferred",
                _ => "properties-saved",
            };
            // A transfer may have taken the ticket out of the agent's reach.
            let reachable =
                service::tickets::view::find(&app.db, &v.viewer(), number, AccessLevel::Read)
                    .await
                    .is_ok();
            Ok(if reachable {
                notice::redirect(&format!("/agent/tickets/{number}"), notice)
            } else {
                notice::redirect("/agent", "transferred-away")
            })
        }
        Err(e) => super::tickets::back(number, Err(e), ""),
    }
}

#[derive(Deserialize)]
pub struct SplitForm {
    #[serde(default)]
    value: String,
    subject: Option<String>,
    confirm: Option<String>,
}

/// POST /agent/tickets/{number}/split: first a page that asks for the new
/// ticket's subject (prefilled), then the split.
async fn split(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    page: PageCtx,
    Path(n): Path<String>,
    Form(f): Form<SplitForm>,
) -> Result<Response, WebError> {
    let number = ticket_number(&n)?;
    let message: MessageId = f.value.parse().map_err(|_| WebError::Invalid)?;
    let subject = f.subject.as_deref().map(str::trim).unwrap_or_default();
    let max = crate::domain::messages::MAX_SUBJECT;
    let error = match f.subject {
        None => None,
        Some(_) if subject.is_empty() => Some(page.t("error-subject-required")),
        Some(_) if subject.chars().count() > max => {
            Some(page.t1("error-subject-too-long", "n", max as i64))
        }
        Some(_) => None,
    };
    if !crate::web::confirm::confirmed(f.confirm.as_deref()) || error.is_some() {
        let value = match f.subject {
            Some(typed) => typed,
            None => work::split_subject(&app, &v.user, number, message).await?,
        };
        return Ok(crate::web::confirm::ConfirmPage {
            title: page.t("split-title"),
            question: page.t1("split-question", "number", number.to_string()),
            action: format!("/agent/tickets/{number}/split"),
            fields: vec![("value", message.to_string())],
            text: Some(crate::web::confirm::TextField {
                name: "subject",
                label: page.t("split-subject"),
                value,
                error,
            }),
            confirm_label: page.t("split"),
            cancel: format!("/agent/tickets/{number}"),
            page,
        }
        .into_response());
    }
    match work::split(&app, &v.user, number, message, subject).await {
        Ok(new) => Ok(notice::redirect(&format!("/agent/tickets/{new}"), "split")),
        Err(e) => super::tickets::back(number, Err(e), ""),
    }
}
