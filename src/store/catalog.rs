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

#[derive(sqlx::FromRow)]
struct TopicWithVisibility {
    #[sqlx(flatten)]
    topic: HelpTopicRow,
    customer_visible: bool,
}

/// Every help topic (admin console), with its visibility.
pub async fn all_help_topics(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(HelpTopicRow, bool)>> {
    let rows: Vec<TopicWithVisibility> = sqlx::query_as(
        "select id, name, department_id, guidance, prompts, suggested_attachments, customer_visible \
         from help_topics order by position, name",
    )
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| (r.topic, r.customer_visible))
        .collect())
}

/// Shows or hides a help topic.
pub async fn set_topic_visible(
    db: impl PgExecutor<'_>,
    id: Uuid,
    visible: bool,
) -> sqlx::Result<()> {
    sqlx::query("update help_topics set customer_visible = $2 where id = $1")
        .bind(id)
        .bind(visible)
        .execute(db)
        .await?;
    Ok(())
}

/// Changes a help topic.
#[allow(clippy::too_many_arguments)]
pub async fn update_help_topic(
    db: impl PgExecutor<'_>,
    id: Uuid,
    name: &str,
    department: DepartmentId,
    guidance: &str,
    prompts: &[Prompt],
    suggested_attachments: &str,
    visible: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update help_topics set name = $2, department_id = $3, guidance = $4, prompts = $5, \
             suggested_attachments = $6, customer_visible = $7 where id = $1",
    )
    .bind(id)
    .bind(name)
    .bind(department)
    .bind(guidance)
    .bind(sqlx::types::Json(prompts))
    .bind(suggested_attachments)
    .bind(visible)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes a help topic.
pub async fn delete_help_topic(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from help_topics where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Every product (admin console): (row, active).
pub async fn all_products(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(Uuid, String, bool)>> {
    sqlx::query_as("select id, name, active from products order by position, name")
        .fetch_all(db)
        .await
}

/// Shows or hides a product.
pub async fn set_product_active(
    db: impl PgExecutor<'_>,
    id: Uuid,
    active: bool,
) -> sqlx::Result<bool> {
    let done = sqlx::query("update products set active = $2 where id = $1")
        .bind(id)
        .bind(active)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}
