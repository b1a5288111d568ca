//! The bell: a page of the agent's notifications (escalations), the unread
//! count for the header, and "mark all read".

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;

use crate::domain::sla_clock::TargetKind;
use crate::service;
use crate::state::AppState;
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::StaffUser;
use crate::web::notice;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/notifications", get(list))
        .route("/agent/notifications/read", post(read_all))
        .route("/agent/bell", get(bell))
}

/// One line under the bell.
pub struct Line {
    text: String,
    /// Where the line leads (a ticket, a webhook), or nowhere.
    href: String,
    unread: bool,
    breach: bool,
    time: String,
    time_exact: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "agent/notifications.html")]
pub struct NotificationsPage {
    page: PageCtx,
    lines: Vec<Line>,
    unread: i64,
    next: Option<String>,
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    before: Option<String>,
}

fn decode(s: &str) -> Option<(time::OffsetDateTime, uuid::Uuid)> {
    let (at, id) = s.split_once('_')?;
    let at = time::OffsetDateTime::from_unix_timestamp_nanos(at.parse().ok()?).ok()?;
    Some((at, id.parse().ok()?))
}

/// GET /agent/notifications
async fn list(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    page: PageCtx,
    Query(q): Query<ListQuery>,
) -> Result<NotificationsPage, WebError> {
    let before = q.before.as_deref().and_then(decode);
    let (rows, next) = service::notifications::page(&app.db, &v.user, before, 50).await?;
    let unread = service::notifications::unread(&app.db, &v.user).await?;
    let now = time::OffsetDateTime::now_utc();
    let lines = rows
        .into_iter()
        .map(|r| {
            let target = r.data.0["target"]
                .as_str()
                .and_then(|t| t.parse::<TargetKind>().ok())
                .unwrap_or(TargetKind::Resolution);
            let number = r.number.map(|n| n.to_string()).unwrap_or_default();
            if r.kind == "webhook_disabled" {
                let reason = r.data.0["reason"].as_str().unwrap_or("failing");
                let reason = if reason == "gone" { "gone" } else { "failing" };
                return Line {
                    text: page.locale.t_with(
                        "bell-webhook-disabled",
                        &[
                            (
                                "url",
                                r.data.0["url"]
                                    .as_str()
                                    .unwrap_or_default()
                                    .to_string()
                                    .into(),
                            ),
                            (
                                "reason",
                                page.t(&format!("bell-webhook-reason-{reason}")).into(),
                            ),
                        ],
                    ),
                    href: format!(
                        "/admin/webhooks/{}",
                        r.data.0["webhook"].as_i64().unwrap_or(0)
                    ),
                    unread: r.read_at.is_none(),
                    breach: true,
                    time: page.fmt.relative(r.created_at, now),
                    time_exact: page.fmt.exact(r.created_at),
                };
            }
            let text = page.locale.t_with(
                &format!("bell-{}", r.kind.replace('_', "-")),
                &[
                    ("number", number.clone().into()),
                    ("subject", r.subject.clone().unwrap_or_default().into()),
                    (
                        "target",
                        page.t(&format!("sla-target-{}", target.as_str())).into(),
                    ),
                ],
            );
            Line {
                text,
                href: if number.is_empty() {
                    String::new()
                } else {
                    format!("/agent/tickets/{number}")
                },
                unread: r.read_at.is_none(),
                breach: r.kind == "sla_breach",
                time: page.fmt.relative(r.created_at, now),
                time_exact: page.fmt.exact(r.created_at),
            }
        })
        .collect();
    Ok(NotificationsPage {
        page,
        lines,
        unread,
        next: next.map(|(at, id)| {
            format!(
                "/agent/notifications?before={}_{id}",
                at.unix_timestamp_nanos()
            )
        }),
    })
}

/// POST /agent/notifications/read
async fn read_all(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
) -> Result<Response, WebError> {
    service::notifications::read_all(&app.db, &v.user).await?;
    Ok(notice::redirect(
        "/agent/notifications",
        "notifications-read",
    ))
}

/// GET /agent/bell: the unread count, for the header's badge.
async fn bell(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    page: PageCtx,
) -> Result<axum::Json<serde_json::Value>, WebError> {
    let n = service::notifications::unread(&app.db, &v.user).await?;
    let label = match n {
        0 => String::new(),
        n if n >= service::notifications::UNREAD_CAP => {
            format!(
                "{}+",
                page.fmt.number(service::notifications::UNREAD_CAP - 1)
            )
        }
        n => page.fmt.number(n),
    };
    Ok(axum::Json(
        serde_json::json!({ "unread": n, "label": label }),
    ))
}
