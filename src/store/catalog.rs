//! What customers choose from in the portal: help topics, products, and
//! the departments shown to customers.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::domain::ids::DepartmentId;

/// A help topic with its guidance and prompts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HelpTopicRow {
    pub id: Uuid,
    pub name: String,
    pub department_id: DepartmentId,
    pub guidance: String,
    pub prompts: sqlx::types::Json<Vec<Prompt>>,
    pub suggested_attachments: String,
}

/// One structured question of a help topic.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, PartialEq, Eq)]
pub struct Prompt {
    pub key: String,
    pub label: String,
    #[serde(default)]
    pub hint: String,
    #[serde(default)]
    pub required: bool,
}

/// Help topics shown to customers, in order.
pub async fn visible_help_topics(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<HelpTopicRow>> {
    sqlx::query_as(
        "select h.id, h.name, h.department_id, h.guidance, h.prompts, h.suggested_attachments \
         from help_topics h join departments d on d.id = h.department_id \
         where h.customer_visible order by h.position, h.name",
    )
    .fetch_all(db)
    .await
}

/// Inserts a help topic (admin console, tests).
pub async fn insert_help_topic(
    db: impl PgExecutor<'_>,
    name: &str,
    department: DepartmentId,
    guidance: &str,
    prompts: &[Prompt],
    suggested_attachments: &str,
) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into help_topics (id, name, department_id, guidance, prompts, suggested_attachments) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(id)
    .bind(name)
    .bind(department)
    .bind(guidance)
    .bind(sqlx::types::Json(prompts))
    .bind(suggested_attachments)
    .execute(db)
    .await?;
    Ok(id)
}

/// A product or service a ticket may be about.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductRow {
    pub id: Uuid,
    pub name: String,
}

/// Active products, in order.
pub async fn active_products(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<ProductRow>> {
    sqlx::query_as("select id, name from products where active order by position, name")
        .fetch_all(db)
        .await
}

/// Inserts a product (admin console, tests).
pub async fn insert_product(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query("insert into products (id, name) values ($1, $2)")
        .bind(id)
        .bind(name)
        .execute(db)
        .await?;
    Ok(id)
}

/// A department customers may pick.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DepartmentChoice {
    pub id: DepartmentId,
    pub name: String,
}

/// Departments shown to customers, in order.
pub async fn visible_departments(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<DepartmentChoice>> {
    sqlx::query_as(
        "select id, name from departments where customer_visible order by position, name",
    )
    .fetch_all(db)
    .await
}
