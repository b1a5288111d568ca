//! Live updates for agents: a server-sent event stream fed by the event
//! bus (so changes made on any Bilet node arrive), filtered by the
//! departments the agent may read; presence ("Anna is typing") and the
//! sound preference. Streams end when the server shuts down.

use std::convert::Infallible;
use std::time::Duration;

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use futures_util::Stream;
use futures_util::StreamExt;
use serde::Deserialize;
use serde_json::json;
use tokio::sync::broadcast::error::RecvError;

use crate::app::AppState;
use crate::domain::access::AccessLevel;
use crate::domain::ids::{DepartmentId, TicketNumber, UserId};
use crate::events::Event;
use crate::service;
use crate::service::agent_tickets as work;
use crate::web::error::WebError;
use crate::web::extract::{StaffUser, safe_next};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent/stream", get(stream))
        .route("/agent/tickets/{number}/presence", post(presence))
        .route("/agent/preferences", post(preferences))
}

#[derive(Deserialize, Default)]
pub struct StreamQuery {
    ticket: Option<String>,
}

/// What the browser gets for an event this agent may see, if any.
fn to_sse(
    event: &Event,
    me: UserId,
    departments: &Option<Vec<DepartmentId>>,
    only: Option<TicketNumber>,
) -> Option<SseEvent> {
    let visible = |d: &DepartmentId| departments.as_ref().is_none_or(|ds| ds.contains(d));
    let wanted = |n: &TicketNumber| only.is_none_or(|o| o == *n);
    let (name, data) = match event {
        Event::MessageAdded {
            number,
            department,
            kind,
            ..
        } if visible(department) && wanted(number) => (
            "message",
            json!({ "ticket": number.to_string(), "kind": kind.as_str() }),
        ),
        Event::TicketChanged {
            number, department, ..
        } if visible(department) && wanted(number) => {
            ("ticket", json!({ "ticket": number.to_string() }))
        }
        Event::Presence {
            number,
            department,
            user,
            name,
            typing,
            ..
        } if *user != me && visible(department) && wanted(number) => (
            "presence",
            json!({ "ticket": number.to_string(), "name": name, "typing": typing, "who": user.to_string() }),
        ),
        _ => return None,
    };
    Some(SseEvent::default().event(name).data(data.to_string()))
}

/// GET /agent/stream[?ticket=N]: events of the agent's departments, or of
/// one ticket (404 when the agent may not read it).
async fn stream(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    Query(q): Query<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, WebError> {
    let only = match q.ticket.as_deref() {
        Some(n) => {
            let n: TicketNumber = n.parse().map_err(|_| WebError::NotFound)?;
            work::ticket_for(&app, &v.user, n, AccessLevel::Read).await?;
            Some(n)
        }
        None => None,
    };
    let departments = service::departments::readable_by(&app.db, &v.user).await?;
    let me = v.user.id;
    let rx = app.events.subscribe();
    let events = futures_util::stream::unfold(rx, move |mut rx| async move {
        match rx.recv().await {
            Ok(event) => Some((event, rx)),
            // Fell behind: the page reloads what it shows.
            Err(RecvError::Lagged(_)) => Some((Event::SettingsChanged, rx)),
            Err(RecvError::Closed) => None,
        }
    });
    let sse = events
        .filter_map(move |event| {
            let out = match event {
                Event::SettingsChanged => Some(SseEvent::default().event("reload").data("{}")),
                other => to_sse(&other, me, &departments, only),
            };
            std::future::ready(out.map(Ok))
        })
        .take_until(app.shutdown.clone().cancelled_owned());
    Ok(Sse::new(sse).keep_alive(KeepAlive::new().interval(Duration::from_secs(20))))
}

#[derive(Deserialize)]
pub struct PresenceForm {
    #[serde(default)]
    typing: String,
}

/// POST /agent/tickets/{number}/presence: "I am here" (or typing).
async fn presence(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    Path(number): Path<String>,
    Form(form): Form<PresenceForm>,
) -> Result<Response, WebError> {
    let number: TicketNumber = number.parse().map_err(|_| WebError::NotFound)?;
    work::presence(&app, &v.user, number, form.typing == "1").await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
pub struct PreferencesForm {
    #[serde(default)]
    sound: String,
    #[serde(default)]
    back: String,
}

/// POST /agent/preferences: the sound for new customer messages.
async fn preferences(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    Form(form): Form<PreferencesForm>,
) -> Result<Redirect, WebError> {
    service::accounts::set_sound(&app.db, v.user.id, form.sound == "1").await?;
    Ok(Redirect::to(
        &safe_next(Some(&form.back)).unwrap_or_else(|| "/agent".into()),
    ))
}
