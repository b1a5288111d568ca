//! Agent workspaces: the built-in queues and the agent's saved searches,
//! each with a count, and pages of any queue through the access rule.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::domain::access::{AccessLevel, scope};
use crate::domain::queue::{Builtin, Filter};
use crate::service::{Error, FieldErrors, Result};
use crate::state::AppState;
use crate::store;
use crate::store::queue::{COUNT_CAP, CountOf, Cursor, QueueRow};
use crate::store::users::UserRow;

/// A tab on the agent's home.
#[derive(Debug, Clone)]
pub struct Workspace {
    /// `mine`, `unassigned`... or a saved search's id.
    pub key: String,
    /// A locale key for built-ins, the agent's own name for saved ones.
    pub name: String,
    pub builtin: bool,
    pub filter: Filter,
    pub count: i64,
    /// The count is capped: [`COUNT_CAP`] means "that many or more".
    pub capped: bool,
    /// Shared with a department by someone else.
    pub shared: bool,
}

impl Workspace {
    /// Whether the count reached its cap ("999+").
    pub fn over_cap(&self) -> bool {
        self.capped && self.count >= COUNT_CAP
    }
}

/// The workspaces without their counts (one statement: the saved ones),
/// for the ticket page's sidebar, whose counts arrive from /agent/counts.
pub async fn names(db: &PgPool, agent: &UserRow) -> Result<Vec<Workspace>> {
    let mut out: Vec<Workspace> = Builtin::ALL
        .into_iter()
        .map(|b| Workspace {
            key: b.slug().into(),
            name: format!("workspace-{}", b.slug()),
            builtin: true,
            filter: b.filter(),
            count: 0,
            capped: false,
            shared: false,
        })
        .collect();
    for saved in store::saved_searches::visible_to(db, agent.id).await? {
        out.push(Workspace {
            key: saved.id.to_string(),
            name: saved.name,
            builtin: false,
            filter: serde_json::from_value(saved.query).unwrap_or_default(),
            count: 0,
            capped: false,
            shared: saved.owner_id != agent.id,
        });
    }
    Ok(out)
}

/// The agent's workspaces with their counts, the built-ins first, then
/// their own and shared saved searches in their order: two statements,
/// however many there are. Tabs of status, assignee and department come
/// from the maintained counts; saved searches with words are counted by
/// the search index (exactly: "999+" past the cap, as the others); the
/// rest are index-backed counts capped at [`COUNT_CAP`].
pub async fn list(app: &AppState, agent: &UserRow) -> Result<Vec<Workspace>> {
    let db = &app.db;
    let s = scope(&agent.viewer(), AccessLevel::Read);
    let mut out = names(db, agent).await?;
    let searched = |w: &Workspace| w.filter.text.is_some();
    let of: Vec<CountOf<'_>> = out
        .iter()
        .filter(|w| !searched(w))
        .map(|w| {
            if w.filter.counted_by_counters() {
                CountOf::Counter(&w.filter)
            } else {
                CountOf::Capped(&w.filter)
            }
        })
        .collect();
    let capped: Vec<bool> = of.iter().map(|c| matches!(c, CountOf::Capped(_))).collect();
    let mut counts = store::queue::counts(db, s, agent.id, &of)
        .await?
        .into_iter()
        .zip(capped);
    for w in out.iter_mut() {
        if let Some(text) = w.filter.text.clone() {
            let total = crate::service::search::count(app, agent, &text, &w.filter).await?;
            w.count = (total as i64).min(COUNT_CAP);
            w.capped = true;
        } else if let Some((n, c)) = counts.next() {
            w.count = n;
            w.capped = c;
        }
    }
    Ok(out)
}

/// One page of a queue; also returns the next page's cursor.
pub async fn page(
    db: &PgPool,
    agent: &UserRow,
    filter: &Filter,
    after: Option<Cursor>,
    limit: i64,
) -> Result<(Vec<QueueRow>, Option<Cursor>)> {
    let s = scope(&agent.viewer(), AccessLevel::Read);
    let mut rows = store::queue::page(db, s, agent.id, filter, after, limit + 1).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| Cursor {
            at: if filter.sort.by_created() {
                r.created_at
            } else if filter.sort.by_due() {
                r.sla_due_at.unwrap_or(r.last_activity_at)
            } else {
                r.last_activity_at
            },
            id: r.id,
        })
    } else {
        None
    };
    Ok((rows, next))
}

/// The departments and people the queue's filter form offers.
pub async fn filter_choices(
    db: &PgPool,
) -> Result<(
    Vec<(crate::domain::ids::DepartmentId, String)>,
    Vec<(crate::domain::ids::UserId, String)>,
)> {
    Ok(store::queue::filter_choices(db).await?)
}

/// Saves a filter as a workspace, optionally shared with a department the
/// agent works in.
pub async fn save(
    db: &PgPool,
    agent: &UserRow,
    name: &str,
    filter: &Filter,
    share_with: Option<crate::domain::ids::DepartmentId>,
) -> Result<Uuid> {
    let mut errors = FieldErrors::default();
    if name.trim().is_empty() {
        errors.add("name", "error-name-required");
    }
    if let Some(d) = share_with {
        let grants = store::access::grants(db, agent.id)
            .await?
            .unwrap_or_default();
        if grants.level_in(d).is_none() {
            errors.add("share", "error-department-unknown");
        }
    }
    errors.into_result()?;
    Ok(
        store::saved_searches::insert(db, agent.id, name.trim(), &json!(filter), share_with)
            .await?,
    )
}

/// Deletes one of the agent's own saved searches.
pub async fn delete(db: &PgPool, agent: &UserRow, id: Uuid) -> Result<()> {
    if store::saved_searches::delete(db, agent.id, id).await? {
        Ok(())
    } else {
        Err(Error::NotFound)
    }
}

/// Moves one of the agent's saved searches up or down.
pub async fn reorder(db: &PgPool, agent: &UserRow, id: Uuid, up: bool) -> Result<()> {
    let mine: Vec<Uuid> = store::saved_searches::visible_to(db, agent.id)
        .await?
        .into_iter()
        .filter(|s| s.owner_id == agent.id)
        .map(|s| s.id)
        .collect();
    let Some(i) = mine.iter().position(|x| *x == id) else {
        return Err(Error::NotFound);
    };
    let j = if up {
        i.checked_sub(1)
    } else {
        (i + 1 < mine.len()).then_some(i + 1)
    };
    let mut order = mine.clone();
    if let Some(j) = j {
        order.swap(i, j);
    }
    store::saved_searches::set_order(db, agent.id, &order).await?;
    Ok(())
}
