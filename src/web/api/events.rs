//! GET /api/v1/events: the change journal as a feed, for integrators who
//! follow changes without webhooks. Opaque cursors; waits (long-polls) up
//! to `api.long_poll_seconds` for the next change; 410 for a cursor whose
//! entries retention has pruned; only tickets in the token's scope.

use std::time::Duration;

use axum::Extension;
use axum::extract::{Query, State};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::Auth;
use super::problem::Problem;
use crate::domain::access::{AccessLevel, scope};
use crate::domain::ids::TicketId;
use crate::events::Event;
use crate::state::AppState;
use crate::store;
use crate::store::journal::Position;
use crate::store::queue::Cursor;

fn encode(text: String) -> String {
    URL_SAFE_NO_PAD.encode(text)
}

fn decode(cursor: &str, tag: char) -> Option<Vec<String>> {
    let text = String::from_utf8(URL_SAFE_NO_PAD.decode(cursor).ok()?).ok()?;
    let rest = text.strip_prefix(tag)?.strip_prefix(':')?;
    Some(rest.split(':').map(str::to_string).collect())
}

pub fn encode_position(p: Position) -> String {
    crate::domain::journal::cursor(p.txid, p.seq)
}

pub fn decode_position(cursor: &str) -> Option<Position> {
    match decode(cursor, 'j')?.as_slice() {
        [txid, seq] => Some(Position {
            txid: txid.parse().ok().filter(|t: &i64| *t >= 0)?,
            seq: seq.parse().ok().filter(|s: &i64| *s >= 0)?,
        }),
        _ => None,
    }
}

pub fn encode_queue_cursor(c: Cursor) -> String {
    encode(format!("q:{}:{}", c.at.unix_timestamp_nanos(), c.id))
}

pub fn decode_queue_cursor(cursor: &str) -> Option<Cursor> {
    match decode(cursor, 'q')?.as_slice() {
        [at, id] => Some(Cursor {
            at: time::OffsetDateTime::from_unix_timestamp_nanos(at.parse().ok()?).ok()?,
            id: TicketId(id.parse().ok()?),
        }),
        _ => None,
    }
}

pub fn encode_search_cursor(offset: usize, pinned: u64) -> String {
    encode(format!("s:{offset}:{pinned}"))
}

pub fn decode_search_cursor(cursor: &str) -> Option<(usize, u64)> {
    match decode(cursor, 's')?.as_slice() {
        [offset, pinned] => Some((offset.parse().ok()?, pinned.parse().ok()?)),
        _ => None,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FeedQuery {
    /// `next_cursor` of the previous answer; without it, the oldest kept entry.
    pub after: Option<String>,
    /// Seconds to wait for a change when there is none yet (0 to 30, default 30).
    pub wait: Option<u64>,
    /// 1 to 500 (default 100).
    pub limit: Option<i64>,
}

/// One change.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedEvent {
    /// The change's cursor: receivers may drop an id they have seen.
    pub id: String,
    /// opened, message, status, priority, assignee, department, merged,
    /// split, rated, linked, participant or sla.
    pub kind: String,
    pub ticket: String,
    /// The ticket's version after the change.
    pub version: i32,
    /// The department's slug after the change.
    pub department: String,
    pub status_before: Option<String>,
    pub status: String,
    pub message_id: Option<String>,
    pub message_kind: Option<String>,
    /// The address of who made the change (null: Bilet itself).
    pub actor: Option<String>,
    pub at: String,
    /// What changed, as the journal records it.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Feed {
    pub events: Vec<FeedEvent>,
    /// Pass as `after` to continue.
    pub next_cursor: String,
}

async fn read(
    app: &AppState,
    s: crate::domain::access::Scope,
    after: Position,
    limit: i64,
) -> Result<(Vec<store::feed::FeedRow>, Position), Problem> {
    let end = store::journal::end(&app.db).await?;
    if end <= after {
        return Ok((Vec::new(), after));
    }
    let rows = store::feed::visible(&app.db, s, after, end, limit).await?;
    let next = match rows.last() {
        Some(r) if rows.len() as i64 == limit => Position {
            txid: r.txid,
            seq: r.seq,
        },
        _ => end,
    };
    Ok((rows, next))
}

#[utoipa::path(get, path = "/api/v1/events", tag = "events", params(FeedQuery),
    responses((status = 200, body = Feed), (status = 410, body = Problem, description = "The cursor is older than the journal's retention"),
        (status = 422, body = Problem), (status = 401, body = Problem)),
    security(("token" = [])))]
pub async fn feed(
    State(app): State<AppState>,
    Extension(caller): Auth,
    Query(q): Query<FeedQuery>,
) -> Result<axum::Json<Feed>, Problem> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=500).contains(&limit) {
        return Err(Problem::field("limit", "from 1 to 500"));
    }
    let wait = q.wait.unwrap_or(app.config.api.long_poll_seconds);
    if wait > app.config.api.long_poll_seconds {
        return Err(Problem::field(
            "wait",
            format!("from 0 to {}", app.config.api.long_poll_seconds),
        ));
    }
    let after = match q.after.as_deref() {
        None | Some("") => store::feed::horizon(&app.db).await?,
        Some(c) => {
            let p = decode_position(c)
                .ok_or_else(|| Problem::field("after", "not a cursor of this feed"))?;
            if store::journal::pruned_past(&app.db, p).await? {
                return Err(Problem::new(axum::http::StatusCode::GONE, "Gone").detail(format!(
                    "entries after this cursor were pruned (kept {} days): read the tickets again, then follow from a new cursor",
                    app.config.journal.retention_days
                )));
            }
            p
        }
    };
    let s = scope(&caller.user.viewer(), AccessLevel::Read);
    // Listen before the first read, so a change in between is not missed.
    let mut changes = app.events.subscribe();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(wait);
    let mut at = after;
    loop {
        let (rows, next) = read(&app, s, at, limit).await?;
        at = next;
        if !rows.is_empty() || tokio::time::Instant::now() >= deadline {
            let events = rows
                .into_iter()
                .map(|r| FeedEvent {
                    id: encode_position(Position {
                        txid: r.txid,
                        seq: r.seq,
                    }),
                    kind: r.kind.as_str().to_string(),
                    ticket: r.number.to_string(),
                    version: r.version,
                    department: r.department,
                    status_before: r.status_before.map(|s| s.as_str().to_string()),
                    status: r.status_after.as_str().to_string(),
                    message_id: r.message_id.map(|m| m.to_string()),
                    message_kind: r.message_kind.map(|k| k.as_str().to_string()),
                    actor: r.actor_email,
                    at: r
                        .at
                        .format(&time::format_description::well_known::Rfc3339)
                        .unwrap_or_default(),
                    data: r.data,
                })
                .collect();
            return Ok(axum::Json(Feed {
                events,
                next_cursor: encode_position(at),
            }));
        }
        // A commit announces itself on the bus; entries of a transaction
        // become readable once older ones end, so look again each second too.
        let tick = tokio::time::Instant::now() + Duration::from_secs(1);
        tokio::select! {
            _ = tokio::time::sleep_until(tick.min(deadline)) => {}
            _ = wait_for_change(&mut changes) => {}
            _ = app.shutdown.cancelled() => {
                return Ok(axum::Json(Feed { events: Vec::new(), next_cursor: encode_position(at) }));
            }
        }
    }
}

async fn wait_for_change(rx: &mut tokio::sync::broadcast::Receiver<Event>) {
    loop {
        match rx.recv().await {
            Ok(Event::TicketChanged { .. })
            | Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                return;
            }
            Ok(_) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => {
                // No bus: fall back to the once-a-second look.
                std::future::pending::<()>().await;
            }
        }
    }
}
