//! The agent workspace: workspaces (built-in queues and saved searches)
//! with counts, a filterable queue with keyset pagination and bulk actions.

mod bell;
pub mod live;
mod panel;
mod search;
mod tickets;

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, Query, State};
use axum::response::{Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::context::{PageCtx, Visitor};
use super::error::WebError;
use super::extract::StaffUser;
use super::notice;
use crate::domain::ids::{DepartmentId, TicketNumber, UserId};
use crate::domain::messages::Kind;
use crate::domain::priority::Priority;
use crate::domain::queue::{Assignee, Builtin, Filter, Sort};
use crate::domain::status::Status;
use crate::service::tickets::bulk::{BulkOp, Refusal};
use crate::service::{self, tickets::workspaces::Workspace};
use crate::state::AppState;
use crate::store::queue::{Cursor, QueueRow};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/agent", get(home))
        .route("/agent/queue", get(queue_fragment))
        .route("/agent/search", get(search::advanced))
        .route("/agent/counts", get(counts))
        .route("/agent/workspaces", post(save_workspace))
        .route("/agent/workspaces/{id}/delete", post(delete_workspace))
        .route("/agent/workspaces/{id}/move", post(move_workspace))
        .route("/agent/bulk", post(bulk))
        .merge(tickets::routes())
        .merge(panel::routes())
        .merge(live::routes())
        .merge(bell::routes())
}

/// The queue's query string: a workspace, or an ad-hoc filter.
#[derive(Debug, Deserialize, Default, Clone)]
pub struct QueueQuery {
    ws: Option<String>,
    #[serde(default)]
    status: String,
    #[serde(default)]
    priority: String,
    #[serde(default)]
    assignee: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    requester: String,
    #[serde(default)]
    days: String,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    overdue: String,
    after: Option<String>,
}

impl QueueQuery {
    /// Whether the filter form holds anything besides the search words
    /// (it is shown open then).
    fn is_filtered(&self) -> bool {
        [
            &self.status,
            &self.priority,
            &self.assignee,
            &self.department,
            &self.requester,
            &self.days,
            &self.sort,
            &self.overdue,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }

    fn is_adhoc(&self) -> bool {
        [
            &self.status,
            &self.priority,
            &self.assignee,
            &self.department,
            &self.q,
            &self.requester,
            &self.days,
            &self.sort,
            &self.overdue,
        ]
        .iter()
        .any(|v| !v.is_empty())
    }

    fn filter(&self) -> Filter {
        Filter {
            statuses: self
                .status
                .split(',')
                .filter_map(|s| s.parse::<Status>().ok())
                .collect(),
            priority: self.priority.parse::<Priority>().ok(),
            assignee: match self.assignee.as_str() {
                "me" => Assignee::Me,
                "unassigned" => Assignee::Unassigned,
                other => other
                    .parse::<UserId>()
                    .map(Assignee::User)
                    .unwrap_or(Assignee::Anyone),
            },
            department: self.department.parse::<DepartmentId>().ok(),
            // A saved query is parsed again from its own string: no NUL
            // may reach the database from there either.
            text: Some(self.q.replace('\0', " ").trim().to_string()).filter(|s| !s.is_empty()),
            requester: Some(self.requester.replace('\0', " ").trim().to_string())
                .filter(|s| !s.is_empty()),
            requester_id: None,
            within_days: self.days.parse().ok(),
            overdue: self.overdue == "1",
            // A text search ranks by relevance unless asked otherwise.
            sort: self.sort.parse().unwrap_or(if self.q.trim().is_empty() {
                Sort::default()
            } else {
                Sort::Relevance
            }),
        }
    }
}

/// The query string that shows `filter` (pagination, saving).
fn filter_query(filter: &Filter) -> String {
    let mut q = url::form_urlencoded::Serializer::new(String::new());
    if !filter.statuses.is_empty() {
        q.append_pair(
            "status",
            &filter
                .statuses
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    if let Some(p) = filter.priority {
        q.append_pair("priority", p.as_str());
    }
    match filter.assignee {
        Assignee::Anyone => {}
        Assignee::Me => {
            q.append_pair("assignee", "me");
        }
        Assignee::Unassigned => {
            q.append_pair("assignee", "unassigned");
        }
        Assignee::User(u) => {
            q.append_pair("assignee", &u.to_string());
        }
    }
    if let Some(d) = filter.department {
        q.append_pair("department", &d.to_string());
    }
    if let Some(t) = &filter.text {
        q.append_pair("q", t);
    }
    if let Some(r) = &filter.requester {
        q.append_pair("requester", r);
    }
    if let Some(d) = filter.within_days {
        q.append_pair("days", &d.to_string());
    }
    if filter.overdue {
        q.append_pair("overdue", "1");
    }
    // Words default to relevance, a queue to the newest activity: the
    // link says the order whenever it is not the default of its kind.
    let default = if filter.text.is_some() {
        Sort::Relevance
    } else {
        Sort::default()
    };
    if filter.sort != default {
        q.append_pair("sort", filter.sort.as_str());
    }
    q.finish()
}

fn encode_cursor(c: &Cursor) -> String {
    format!("{}_{}", c.at.unix_timestamp_nanos(), c.id)
}

fn decode_cursor(s: &str) -> Option<Cursor> {
    let (at, id) = s.split_once('_')?;
    Some(Cursor {
        at: time::OffsetDateTime::from_unix_timestamp_nanos(at.parse().ok()?).ok()?,
        id: id.parse().ok()?,
    })
}

/// One queue row, formatted for the reader.
pub struct RowView {
    number: String,
    subject: String,
    requester: String,
    requester_email: String,
    department: String,
    status: &'static str,
    status_label: String,
    status_short: String,
    priority: &'static str,
    priority_label: String,
    assignee: String,
    initials: String,
    updated: String,
    updated_exact: String,
    awaiting: bool,
    last_by: String,
    snippet: String,
    /// A search hit's highlighted fragment: (text, marked) parts.
    hit: Vec<(String, bool)>,
    version: i32,
    /// "due in 2 h" / "overdue by 15 min"; empty when nothing is due.
    due: String,
    due_exact: String,
    overdue: bool,
}

fn initials(name: &str) -> String {
    name.split_whitespace()
        .filter_map(|w| w.chars().next())
        .take(2)
        .flat_map(char::to_uppercase)
        .collect()
}

fn row_view(page: &PageCtx, r: QueueRow, now: time::OffsetDateTime) -> RowView {
    let assignee = r.assignee_name.unwrap_or_default();
    let (due, overdue) = r
        .sla_due_at
        .map(|d| page.fmt.due(d, now))
        .unwrap_or_default();
    RowView {
        due,
        due_exact: r.sla_due_at.map(|d| page.fmt.exact(d)).unwrap_or_default(),
        overdue,
        number: r.number.to_string(),
        subject: r.subject,
        requester: r.requester_name,
        requester_email: r.requester_email,
        department: r.department_name,
        status: r.status.as_str(),
        status_label: page.t(&format!("status-{}", r.status.as_str())),
        status_short: page.t(&format!("status-short-{}", r.status.as_str())),
        priority: r.priority.as_str(),
        priority_label: page.t(&format!("priority-{}", r.priority.as_str())),
        initials: initials(&assignee),
        assignee,
        updated: page.fmt.relative(r.last_activity_at, now),
        updated_exact: page.fmt.exact(r.last_activity_at),
        awaiting: r.last_message_kind == Some(Kind::Customer),
        last_by: match r.last_message_kind {
            Some(Kind::Customer) => page.t("last-by-customer"),
            Some(Kind::Agent) => page.t("last-by-agent"),
            _ => String::new(),
        },
        version: r.version,
        hit: Vec::new(),
        snippet: r
            .snippet
            .unwrap_or_default()
            .lines()
            .next()
            .unwrap_or("")
            .to_string(),
    }
}

/// A tab's count as shown: "999+" once a capped count reached its cap.
fn count_label(page: &PageCtx, w: &Workspace) -> String {
    if w.over_cap() {
        format!("{}+", page.fmt.number(crate::store::queue::COUNT_CAP - 1))
    } else {
        page.fmt.number(w.count)
    }
}

/// A workspace tab.
pub struct TabView {
    key: String,
    name: String,
    count: String,
    active: bool,
    own: bool,
    shared: bool,
}

/// templates/agent/home.html
#[derive(Template, WebTemplate)]
#[template(path = "agent/home.html")]
pub struct AgentHomePage {
    page: PageCtx,
    tabs: Vec<TabView>,
    title: String,
    rows: Vec<RowView>,
    next: Option<String>,
    empty_text: String,
    query: String,
    adhoc: bool,
    q: QueueQuery,
    departments: Vec<(String, String)>,
    agents: Vec<(String, String)>,
    sound: bool,
    /// What the last bulk action did, line by line.
    bulk: Vec<String>,
    search: Option<search::Summary>,
    filtered: bool,
}

/// templates/agent/queue.html: the list alone, for live refreshes.
#[derive(Template, WebTemplate)]
#[template(path = "agent/queue.html")]
pub struct QueueFragment {
    page: PageCtx,
    rows: Vec<RowView>,
    next: Option<String>,
    empty_text: String,
}

struct Queue {
    tabs: Vec<TabView>,
    title: String,
    rows: Vec<RowView>,
    next: Option<String>,
    empty_text: String,
    query: String,
    adhoc: bool,
    /// A search's "N tickets found", its ignored parts, and whether the
    /// index is being rebuilt.
    search: Option<search::Summary>,
}

async fn load_queue(
    app: &AppState,
    visitor: &Visitor,
    page: &PageCtx,
    q: &QueueQuery,
) -> Result<Queue, WebError> {
    let workspaces: Vec<Workspace> = service::tickets::workspaces::list(app, &visitor.user).await?;
    let adhoc = q.is_adhoc();
    let selected = if adhoc {
        None
    } else {
        q.ws.clone()
            .or_else(|| Some(Builtin::MineOpen.slug().to_string()))
    };
    let (filter, title) = match selected
        .as_deref()
        .and_then(|k| workspaces.iter().find(|w| w.key == k))
    {
        Some(w) => (
            w.filter.clone(),
            if w.builtin {
                page.t(&w.name)
            } else {
                w.name.clone()
            },
        ),
        None if adhoc => (q.filter(), page.t("queue-search-results")),
        None => return Err(WebError::NotFound),
    };
    if let Some(text) = filter.text.clone() {
        let query = filter_query(&filter);
        let tabs = tab_views(page, &workspaces, selected.as_deref());
        return search::queue(
            app, visitor, page, q, &filter, &text, query, tabs, title, adhoc,
        )
        .await;
    }
    let after = q.after.as_deref().and_then(decode_cursor);
    let (rows, next) =
        service::tickets::workspaces::page(&app.db, &visitor.user, &filter, after, 50).await?;
    let now = time::OffsetDateTime::now_utc();
    let query = if adhoc {
        filter_query(&filter)
    } else {
        format!("ws={}", selected.clone().unwrap_or_default())
    };
    let tabs = tab_views(page, &workspaces, selected.as_deref());
    // Each workspace says what to do when it is empty.
    let empty_text = page.t(match selected.as_deref().and_then(Builtin::from_slug) {
        Some(Builtin::MineOpen) => "queue-empty-mine",
        Some(Builtin::Unassigned) => "queue-empty-unassigned",
        Some(Builtin::Waiting) => "queue-empty-waiting",
        Some(Builtin::Overdue) => "queue-empty-overdue",
        Some(Builtin::RecentlyClosed) => "queue-empty-closed",
        None if adhoc => "queue-empty-search",
        None => "queue-empty-saved",
    });
    Ok(Queue {
        tabs,
        title,
        empty_text,
        rows: rows.into_iter().map(|r| row_view(page, r, now)).collect(),
        next: next.map(|c| format!("/agent?{query}&after={}", encode_cursor(&c))),
        query,
        adhoc,
        search: None,
    })
}

fn tab_views(page: &PageCtx, workspaces: &[Workspace], selected: Option<&str>) -> Vec<TabView> {
    workspaces
        .iter()
        .map(|w| TabView {
            key: w.key.clone(),
            name: if w.builtin {
                page.t(&w.name)
            } else {
                w.name.clone()
            },
            count: count_label(page, w),
            active: selected == Some(w.key.as_str()),
            own: !w.builtin && !w.shared,
            shared: w.shared,
        })
        .collect()
}

/// The workspace tabs for the sidebar the ticket page keeps.
async fn sidebar_tabs(
    app: &AppState,
    visitor: &Visitor,
    page: &PageCtx,
) -> Result<Vec<TabView>, WebError> {
    let workspaces = service::tickets::workspaces::names(&app.db, &visitor.user).await?;
    let mut tabs = tab_views(page, &workspaces, None);
    // The counts come from /agent/counts once the page is shown, so the
    // ticket itself is not held up by them.
    for tab in &mut tabs {
        tab.count = String::new();
    }
    Ok(tabs)
}

/// GET /agent: a workspace or a search.
async fn home(
    State(app): State<AppState>,
    StaffUser(visitor): StaffUser,
    page: PageCtx,
    Query(q): Query<QueueQuery>,
) -> Result<axum::response::Response, WebError> {
    use axum::response::IntoResponse;
    // "#123" alone opens the ticket (a 404 there if it is not theirs).
    if let Some(n) = service::search::jump(&q.q) {
        return Ok(axum::response::Redirect::to(&format!("/agent/tickets/{n}")).into_response());
    }
    Ok(home_page(&app, &visitor, page, q).await?.into_response())
}

async fn home_page(
    app: &AppState,
    visitor: &Visitor,
    page: PageCtx,
    q: QueueQuery,
) -> Result<AgentHomePage, WebError> {
    let queue = load_queue(app, visitor, &page, &q).await?;
    let (departments, agents) = service::tickets::workspaces::filter_choices(&app.db).await?;
    let departments = departments
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    let agents = agents
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect();
    Ok(AgentHomePage {
        sound: visitor.user_preference_sound(),
        page,
        tabs: queue.tabs,
        title: queue.title,
        rows: queue.rows,
        next: queue.next,
        empty_text: queue.empty_text,
        query: queue.query,
        adhoc: queue.adhoc,
        search: queue.search,
        filtered: q.is_filtered(),
        q,
        departments,
        agents,
        bulk: Vec::new(),
    })
}

/// GET /agent/queue: the same list without the page around it.
async fn queue_fragment(
    State(app): State<AppState>,
    StaffUser(visitor): StaffUser,
    page: PageCtx,
    Query(q): Query<QueueQuery>,
) -> Result<QueueFragment, WebError> {
    let queue = load_queue(&app, &visitor, &page, &q).await?;
    Ok(QueueFragment {
        page,
        rows: queue.rows,
        next: queue.next,
        empty_text: queue.empty_text,
    })
}

/// GET /agent/counts: every workspace's count, for live tabs.
async fn counts(
    State(app): State<AppState>,
    StaffUser(visitor): StaffUser,
    page: PageCtx,
) -> Result<axum::Json<serde_json::Value>, WebError> {
    let map: serde_json::Map<String, serde_json::Value> =
        service::tickets::workspaces::list(&app, &visitor.user)
            .await?
            .into_iter()
            .map(|w| {
                let label = count_label(&page, &w);
                (w.key, serde_json::Value::String(label))
            })
            .collect();
    Ok(axum::Json(serde_json::Value::Object(map)))
}

#[derive(Deserialize)]
pub struct SaveForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    query: String,
    #[serde(default)]
    share: String,
}

/// POST /agent/workspaces: saves the current search as a workspace.
async fn save_workspace(
    State(app): State<AppState>,
    StaffUser(visitor): StaffUser,
    Form(form): Form<SaveForm>,
) -> Result<Response, WebError> {
    let q: QueueQuery = serde_urlencoded::from_str(&form.query).unwrap_or_default();
    let share = form.share.parse().ok();
    match service::tickets::workspaces::save(&app.db, &visitor.user, &form.name, &q.filter(), share)
        .await
    {
        Ok(id) => Ok(notice::redirect(
            &format!("/agent?ws={id}"),
            "workspace-saved",
        )),
        Err(service::Error::Invalid(_)) => Ok(notice::redirect(
            &format!("/agent?{}", form.query),
            "workspace-name-missing",
        )),
        Err(other) => Err(other.into()),
    }
}

/// POST /agent/workspaces/{id}/delete
async fn delete_workspace(
    State(app): State<AppState>,
    StaffUser(visitor): StaffUser,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id = id.parse().map_err(|_| WebError::NotFound)?;
    service::tickets::workspaces::delete(&app.db, &visitor.user, id).await?;
    Ok(notice::redirect("/agent", "workspace-deleted"))
}

#[derive(Deserialize)]
pub struct MoveForm {
    #[serde(default)]
    direction: String,
}

/// POST /agent/workspaces/{id}/move
async fn move_workspace(
    State(app): State<AppState>,
    StaffUser(visitor): StaffUser,
    Path(id): Path<String>,
    Form(form): Form<MoveForm>,
) -> Result<Redirect, WebError> {
    let id = id.parse().map_err(|_| WebError::NotFound)?;
    service::tickets::workspaces::reorder(&app.db, &visitor.user, id, form.direction == "up")
        .await?;
    Ok(Redirect::to(&format!("/agent?ws={id}")))
}

/// What a bulk action says about one refused ticket.
fn refusal_text(page: &PageCtx, number: TicketNumber, r: &Refusal) -> String {
    let why = match r {
        Refusal::NotFound => page.t("bulk-refused-not-found"),
        Refusal::Forbidden => page.t("bulk-refused-forbidden"),
        Refusal::Stale => page.t("bulk-refused-stale"),
        Refusal::Unchanged => page.t("bulk-refused-unchanged"),
        Refusal::AssigneeElsewhere {
            assignee,
            department,
        } => page.t2(
            "bulk-refused-assignee",
            "name",
            assignee,
            "department",
            department,
        ),
        Refusal::Other(key) => {
            let key = format!("notice-{}", key.trim_start_matches("error-"));
            if page.locale.has(&key) {
                page.t(&key)
            } else {
                page.t("bulk-refused-other")
            }
        }
    };
    format!("#{number}: {why}")
}

/// POST /agent/bulk: the same action on every selected ticket, each through
/// the same checks as on its own page, at the version its row showed. The
/// queue comes back with exactly what happened ("3 of 4 changed; #1004: …").
async fn bulk(
    State(app): State<AppState>,
    StaffUser(visitor): StaffUser,
    page: PageCtx,
    body: String,
) -> Result<AgentHomePage, WebError> {
    let pairs: Vec<(String, String)> = url::form_urlencoded::parse(body.as_bytes())
        .into_owned()
        .collect();
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(n, _)| n == k)
            .map_or("", |(_, v)| v.as_str())
            .to_string()
    };
    // Each box carries "number:version" (a bare number: the current version).
    let tickets: Vec<(TicketNumber, Option<i32>)> = pairs
        .iter()
        .filter(|(k, _)| k == "ticket")
        .filter_map(|(_, v)| {
            let (n, version) = v.split_once(':').unwrap_or((v, ""));
            Some((n.parse().ok()?, version.parse().ok()))
        })
        .collect();
    let back = super::extract::safe_next(Some(&get("back"))).unwrap_or_else(|| "/agent".into());
    let q: QueueQuery = back
        .split_once('?')
        .map(|(_, q)| serde_urlencoded::from_str(q).unwrap_or_default())
        .unwrap_or_default();
    let op = get("op");
    let (action, value) = op.split_once(':').unwrap_or((op.as_str(), ""));
    let op = match action {
        "assign" => match value {
            "" => Some(BulkOp::Assign(None)),
            "me" => Some(BulkOp::Assign(Some(visitor.user.id))),
            other => other.parse().ok().map(|u| BulkOp::Assign(Some(u))),
        },
        "status" => value.parse::<Status>().ok().map(BulkOp::Status),
        "transfer" => value.parse::<DepartmentId>().ok().map(BulkOp::Transfer),
        _ => None,
    };
    let lines = match (op, tickets.is_empty()) {
        (_, true) => vec![page.t("bulk-select-first")],
        (None, false) => vec![page.t("bulk-choose-action")],
        (Some(op), false) => {
            let done = service::tickets::bulk::apply(&app, &visitor.user, &tickets, op).await?;
            let summary = page.locale.t_with(
                "bulk-summary",
                &[
                    ("done", crate::i18n::Arg::Num(done.changed as i64)),
                    ("total", crate::i18n::Arg::Num(done.total as i64)),
                ],
            );
            let mut lines = vec![summary];
            lines.extend(done.refused.iter().map(|(n, r)| refusal_text(&page, *n, r)));
            lines
        }
    };
    // The page shown is the queue the action came from.
    let mut page = page;
    page.path = back;
    let mut home = home_page(&app, &visitor, page, q).await?;
    home.bulk = lines;
    Ok(home)
}

impl Visitor {
    /// Whether the agent switched on the sound for new customer messages.
    pub fn user_preference_sound(&self) -> bool {
        self.user
            .preferences
            .get("sound")
            .and_then(serde_json::Value::as_bool)
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_survive_the_query_string() {
        let filter = Filter {
            statuses: vec![Status::Open, Status::Pending],
            priority: Some(Priority::High),
            assignee: Assignee::Unassigned,
            text: Some("ошибка 502".into()),
            within_days: Some(7),
            sort: Sort::CreatedOldest,
            ..Filter::default()
        };
        let q: QueueQuery = serde_urlencoded::from_str(&filter_query(&filter)).expect("parse");
        assert_eq!(q.filter(), filter);
    }

    #[test]
    fn cursors_survive_the_url() {
        let c = Cursor {
            at: time::macros::datetime!(2026-11-25 21:05:07.5 UTC),
            id: crate::domain::ids::TicketId::new(),
        };
        assert_eq!(decode_cursor(&encode_cursor(&c)), Some(c));
    }
}
