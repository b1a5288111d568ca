//! Agent workspaces: the built-in queues and the agent's saved searches,
//! each with a count, and pages of any queue through the access rule.

use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use super::{Error, FieldErrors, Result};
use crate::domain::access::{AccessLevel, scope};
use crate::domain::queue::{Builtin, Filter};
use crate::store;
use crate::store::queue::{Cursor, QueueRow};
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
    /// Shared with a department by someone else.
    pub shared: bool,
}

/// The agent's workspaces with their counts: the built-ins first, then
/// their own and shared saved searches in their order.
pub async fn list(db: &PgPool, agent: &UserRow) -> Result<Vec<Workspace>> {
    let s = scope(&agent.viewer(), AccessLevel::Read);
    let mut out = Vec::new();
    for b in Builtin::ALL {
        let filter = b.filter();
        let count = store::queue::count(db, s, agent.id, &filter).await?;
        out.push(Workspace {
            key: b.slug().into(),
            name: format!("workspace-{}", b.slug()),
            builtin: true,
            filter,
            count,
            shared: false,
        });
    }
    for saved in store::saved_searches::visible_to(db, agent.id).await? {
        let filter: Filter = serde_json::from_value(saved.query).unwrap_or_default();
        let count = store::queue::count(db, s, agent.id, &filter).await?;
        out.push(Workspace {
            key: saved.id.to_string(),
            name: saved.name,
            builtin: false,
            filter,
            count,
            shared: saved.owner_id != agent.id,
        });
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
        let grants = store::access::grants(db, agent.id).await?.unwrap_or_default();
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
