//! Searching tickets: the box's query and the queue form's filters, as the
//! viewer may see them, answered by the index and shown as queue rows.

use std::collections::HashMap;

use time::OffsetDateTime;

use super::Result;
use crate::domain::access::{AccessLevel, reads_notes, scope};
use crate::domain::ids::{TicketId, TicketNumber};
use crate::domain::queue::Filter;
use crate::search::find::{self, Request, Sort};
use crate::search::query::{self, Parsed, Problem};
use crate::state::AppState;
use crate::store;
use crate::store::queue::QueueRow;
use crate::store::users::UserRow;

/// A `from:` or `agent:` naming more people than this is matched by the
/// indexed words instead of a list of ids.
const PEOPLE_CAP: i64 = 1_000;

/// Totals past this are shown as "10,000+".
pub const TOTAL_SHOWN: usize = 10_000;

/// One page of results.
#[derive(Debug)]
pub struct Found {
    pub rows: Vec<QueueRow>,
    /// The highlighted fragment of each ticket's matching text.
    pub snippets: HashMap<TicketId, Vec<(String, bool)>>,
    pub scores: HashMap<TicketId, f32>,
    pub total: usize,
    pub next: Option<Sort>,
    /// What in the query was ignored, for a message beside the box.
    pub problems: Vec<Problem>,
    /// `dept:` named no department.
    pub unknown_department: Option<String>,
    /// The index is being rebuilt: results may be incomplete.
    pub rebuilding: bool,
}

/// `#123` alone: the ticket to open instead of a result list.
pub fn jump(text: &str) -> Option<TicketNumber> {
    let p = query::parse(text);
    (p.numbers.len() == 1
        && Parsed {
            numbers: Vec::new(),
            problems: Vec::new(),
            ..p
        }
        .is_empty())
    .then(|| TicketNumber(query::parse(text).numbers[0]))
}

/// The start of `date` in `zone` (an IANA name; UTC when unknown).
fn day_start(date: time::Date, zone: &str) -> Option<OffsetDateTime> {
    let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
    let civil =
        jiff::civil::Date::new(date.year() as i16, date.month() as i8, date.day() as i8).ok()?;
    let ts = civil.to_zoned(tz).ok()?.timestamp();
    OffsetDateTime::from_unix_timestamp(ts.as_second()).ok()
}

/// How many tickets `text` with `filter` finds for `user` (a saved
/// search's tab).
pub async fn count(app: &AppState, user: &UserRow, text: &str, filter: &Filter) -> Result<usize> {
    Ok(tickets(
        app,
        user,
        text,
        filter,
        Sort::Relevance {
            offset: 0,
            pinned: None,
        },
        1,
    )
    .await?
    .total)
}

/// Runs `text` with `filter`'s other fields for `user`, in their zone.
pub async fn tickets(
    app: &AppState,
    user: &UserRow,
    text: &str,
    filter: &Filter,
    sort: Sort,
    limit: usize,
) -> Result<Found> {
    let viewer = user.viewer();
    let s = scope(&viewer, AccessLevel::Read);
    let parsed = query::parse(text);
    let problems = parsed.problems.clone();
    let mut unknown_department = None;
    let access = store::access::search_keys(&app.db, s).await?;
    let departments = if parsed.dept.is_empty() {
        None
    } else {
        let ids = store::departments::ids_named(&app.db, &parsed.dept).await?;
        if ids.is_empty() {
            unknown_department = Some(parsed.dept.join(", "));
        }
        Some(ids)
    };
    let zone = user
        .time_zone
        .clone()
        .unwrap_or_else(|| app.config.i18n.default_time_zone.clone());
    let zone = zone.as_str();
    // Names as they are now: a renamed customer is found by the new name.
    let mut from_ids = Vec::new();
    for who in parsed.from.iter().chain(filter.requester.iter()) {
        from_ids.push(store::users::ids_named(&app.db, who, false, PEOPLE_CAP).await?);
    }
    let mut agent_ids = Vec::new();
    for who in &parsed.agent {
        agent_ids.push(store::users::ids_named(&app.db, who, true, PEOPLE_CAP).await?);
    }
    let request = Request {
        from_ids,
        agent_ids,
        created_from: parsed.after.and_then(|d| day_start(d, zone)),
        created_before: parsed.before.and_then(|d| day_start(d, zone)),
        parsed,
        access,
        viewer: user.id,
        notes: reads_notes(s),
        departments,
        statuses: filter.statuses.clone(),
        priority: filter.priority,
        assignee: filter.assignee,
        department: filter.department,
        requester: filter.requester.clone(),
        active_since: filter
            .within_days
            .map(|d| OffsetDateTime::now_utc() - time::Duration::days(d.into())),
        sort,
        limit,
    };
    let search = app.search.clone();
    let handle = search.handle()?;
    let rebuilding = !search.complete(&app.db).await?;
    // An agent who just replied finds the reply: apply what the journal
    // holds unless another batch is already being applied.
    if !rebuilding {
        search.catch_up_if_idle(&app.db, &app.node).await?;
    }
    let live = handle.live();
    let hits = tokio::task::spawn_blocking(move || find::run(&live, &request))
        .await
        .map_err(anyhow::Error::from)??;
    let ids: Vec<TicketId> = hits.hits.iter().map(|h| h.ticket).collect();
    let rows = store::queue::rows_by_ids(&app.db, s, &ids).await?;
    Ok(Found {
        rows,
        scores: hits.hits.iter().map(|h| (h.ticket, h.score)).collect(),
        snippets: hits
            .hits
            .into_iter()
            .map(|h| (h.ticket, h.snippet))
            .collect(),
        total: hits.total,
        next: hits.next,
        problems,
        unknown_department,
        rebuilding,
    })
}
