//! Live updates for agents: a server-sent event stream fed by the event
//! bus (so changes made on any Bilet node arrive), filtered by the
//! departments the agent may read, which each stream holds in memory and
//! reloads when the accounts code announces a change (and every 10 s);
//! presence ("Anna is typing") and the sound preference. Streams end when
//! the server shuts down, the session ends or the account is disabled.

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
use tokio::sync::broadcast::{self, error::RecvError};

use crate::domain::access::{AccessLevel, Grants};
use crate::domain::ids::{DepartmentId, SessionId, TicketNumber, UserId};
use crate::events::Event;
use crate::service;
use crate::service::tickets::agent as work;
use crate::state::AppState;
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

/// How often a stream checks its session and grants again even when no
/// event said they changed.
const RECHECK: Duration = Duration::from_secs(10);

/// Whether a ticket of `department` (and, after a transfer, of `was`) is
/// within the holder's reach: the in-memory twin of the access rule.
fn visible(grants: &Grants, department: DepartmentId, was: Option<DepartmentId>) -> bool {
    grants.reaches(department, AccessLevel::Read)
        || was.is_some_and(|w| grants.reaches(w, AccessLevel::Read))
}

/// What the browser gets for an event this agent may see, if any.
fn to_sse(
    event: &Event,
    me: UserId,
    grants: &Grants,
    only: Option<TicketNumber>,
) -> Option<SseEvent> {
    let wanted = |n: &TicketNumber| only.is_none_or(|o| o == *n);
    let (name, data) = match event {
        Event::MessageAdded {
            number,
            department,
            kind,
            ..
        } if visible(grants, *department, None) && wanted(number) => (
            "message",
            json!({ "ticket": number.to_string(), "kind": kind.as_str() }),
        ),
        Event::TicketChanged {
            number,
            department,
            was,
            version,
            ..
        } if visible(grants, *department, *was) && wanted(number) => (
            "ticket",
            json!({ "ticket": number.to_string(), "version": version }),
        ),
        Event::DeliveryChanged {
            number, department, ..
        } if visible(grants, *department, None) && wanted(number) => {
            ("ticket", json!({ "ticket": number.to_string() }))
        }
        Event::Presence {
            number,
            department,
            user,
            name,
            typing,
            ..
        } if *user != me && visible(grants, *department, None) && wanted(number) => (
            "presence",
            json!({ "ticket": number.to_string(), "name": name, "typing": typing, "who": user.to_string() }),
        ),
        Event::Resync => ("reload", json!({})),
        Event::Notified { users } if users.contains(&me) => ("notified", json!({})),
        _ => return None,
    };
    Some(SseEvent::default().event(name).data(data.to_string()))
}

/// A stream's own state: the viewer's grants, held in memory and reloaded
/// when the accounts code says they changed, or every [`RECHECK`].
struct Holder {
    app: AppState,
    rx: broadcast::Receiver<Event>,
    me: UserId,
    session: SessionId,
    grants: Grants,
    only: Option<TicketNumber>,
    recheck: tokio::time::Interval,
}

impl Holder {
    /// Reloads the grants; false when the session or account is gone.
    async fn refresh(&mut self) -> bool {
        match service::accounts::sessions::grants(&self.app.db, self.session).await {
            Ok(Some(g)) => {
                self.grants = g;
                true
            }
            Ok(None) => false,
            // A database hiccup ends the stream; the browser reconnects.
            Err(err) => {
                tracing::warn!(error = %err, "live stream re-check failed");
                false
            }
        }
    }

    /// The next thing to send, or None when the stream must end.
    async fn next(&mut self) -> Option<SseEvent> {
        loop {
            tokio::select! {
                _ = self.recheck.tick() => {
                    if !self.refresh().await {
                        return None;
                    }
                }
                received = self.rx.recv() => match received {
                    Ok(Event::AccessChanged { user } | Event::SessionEnded { user, .. }) if user == self.me => {
                        if !self.refresh().await {
                            return None;
                        }
                        return Some(SseEvent::default().event("reload").data("{}"));
                    }
                    Ok(event) => {
                        if let Some(out) = to_sse(&event, self.me, &self.grants, self.only) {
                            return Some(out);
                        }
                    }
                    // Fell behind: the page reloads what it shows.
                    Err(RecvError::Lagged(_)) => {
                        return Some(SseEvent::default().event("reload").data("{}"));
                    }
                    Err(RecvError::Closed) => return None,
                },
            }
        }
    }
}

/// GET /agent/stream[?ticket=N]: events of the agent's departments, or of
/// one ticket (404 when the agent may not read it). Ends within seconds of
/// a sign-out, a disabled account or a revoked grant.
async fn stream(
    State(app): State<AppState>,
    StaffUser(v): StaffUser,
    Query(q): Query<StreamQuery>,
) -> Result<Sse<impl Stream<Item = Result<SseEvent, Infallible>>>, WebError> {
    let only = match q.ticket.as_deref() {
        Some(n) => {
            let n: TicketNumber = n.parse().map_err(|_| WebError::NotFound)?;
            service::tickets::view::find(&app.db, &v.viewer(), n, AccessLevel::Read).await?;
            Some(n)
        }
        None => None,
    };
    let grants = service::accounts::sessions::grants(&app.db, v.session_id)
        .await?
        .ok_or(WebError::NotFound)?;
    let mut recheck = tokio::time::interval(RECHECK);
    recheck.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    recheck.reset();
    let holder = Holder {
        rx: app.events.subscribe(),
        me: v.user.id,
        session: v.session_id,
        grants,
        only,
        recheck,
        app: app.clone(),
    };
    let events =
        futures_util::stream::unfold(
            holder,
            |mut h| async move { h.next().await.map(|e| (Ok(e), h)) },
        )
        .take_until(app.shutdown.clone().cancelled_owned());
    Ok(Sse::new(events).keep_alive(KeepAlive::new().interval(Duration::from_secs(20))))
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
