//! Agents' saved searches ("workspaces").

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::ids::{DepartmentId, UserId};

/// A saved search.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SavedSearchRow {
    pub id: Uuid,
    pub owner_id: UserId,
    pub name: String,
    pub query: serde_json::Value,
    pub shared_department_id: Option<DepartmentId>,
}

/// The agent's own saved searches and those shared with a department they
/// work in: own first, in their order.
pub async fn visible_to(
    db: impl PgExecutor<'_>,
    agent: UserId,
) -> sqlx::Result<Vec<SavedSearchRow>> {
    sqlx::query_as(
        "select s.id, s.owner_id, s.name, s.query, s.shared_department_id from saved_searches s \
         where s.owner_id = $1 or exists (select 1 from agent_departments ad \
               where ad.user_id = $1 and ad.department_id = s.shared_department_id) \
         order by s.owner_id <> $1, s.position, s.created_at",
    )
    .bind(agent)
    .fetch_all(db)
    .await
}

/// Saves a search at the end of the agent's list.
pub async fn insert(
    db: impl PgExecutor<'_>,
    owner: UserId,
    name: &str,
    query: &serde_json::Value,
    shared: Option<DepartmentId>,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into saved_searches (id, owner_id, name, query, shared_department_id, position) \
         values ($1, $2, $3, $4, $5, (select coalesce(max(position), 0) + 1 from saved_searches where owner_id = $2))",
    )
    .bind(id)
    .bind(owner)
    .bind(name)
    .bind(query)
    .bind(shared)
    .execute(db)
    .await?;
    Ok(id)
}

/// Deletes one of the owner's saved searches; false when it is not theirs.
pub async fn delete(db: impl PgExecutor<'_>, owner: UserId, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from saved_searches where id = $1 and owner_id = $2")
        .bind(id)
        .bind(owner)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets the order of the owner's saved searches.
pub async fn set_order(db: impl PgExecutor<'_>, owner: UserId, ids: &[Uuid]) -> sqlx::Result<()> {
    sqlx::query(
        "update saved_searches s set position = o.n from unnest($2::uuid[]) with ordinality as o(id, n) \
         where s.id = o.id and s.owner_id = $1",
    )
    .bind(owner)
    .bind(ids)
    .execute(db)
    .await?;
    Ok(())
}
