//! Canned responses: global or per department.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::ids::{DepartmentId, UserId};

/// A canned response.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct CannedRow {
    pub id: Uuid,
    pub department_id: Option<DepartmentId>,
    pub department_name: Option<String>,
    pub title: String,
    pub body: String,
}

const SELECT: &str = "select c.id, c.department_id, d.name as department_name, c.title, c.body \
     from canned_responses c left join departments d on d.id = c.department_id";

/// The responses usable on a ticket of `department`: global ones and the
/// department's, by title.
pub async fn for_department(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
) -> sqlx::Result<Vec<CannedRow>> {
    sqlx::query_as(&format!(
        "{SELECT} where c.department_id is null or c.department_id = $1 order by c.title"
    ))
    .bind(department)
    .fetch_all(db)
    .await
}

/// Every response (admin console).
pub async fn all(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<CannedRow>> {
    sqlx::query_as(&format!("{SELECT} order by d.name nulls first, c.title"))
        .fetch_all(db)
        .await
}

/// Creates a response.
pub async fn insert(
    db: impl PgExecutor<'_>,
    department: Option<DepartmentId>,
    title: &str,
    body: &str,
    by: UserId,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query("insert into canned_responses (id, department_id, title, body, created_by) values ($1, $2, $3, $4, $5)")
        .bind(id)
        .bind(department)
        .bind(title)
        .bind(body)
        .bind(by)
        .execute(db)
        .await?;
    Ok(id)
}

/// Changes a response.
pub async fn update(
    db: impl PgExecutor<'_>,
    id: Uuid,
    department: Option<DepartmentId>,
    title: &str,
    body: &str,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update canned_responses set department_id = $2, title = $3, body = $4 where id = $1",
    )
    .bind(id)
    .bind(department)
    .bind(title)
    .bind(body)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a response.
pub async fn delete(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from canned_responses where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
