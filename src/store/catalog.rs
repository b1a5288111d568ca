//! What customers choose from in the portal: help topics, products, and
//! the departments shown to customers.

use std::collections::BTreeMap;

use sqlx::PgExecutor;
use sqlx::types::Json;
use uuid::Uuid;

use crate::domain::ids::DepartmentId;

/// Names per language code (`ru` → "Оплата"), beside the default name.
pub type Names = BTreeMap<String, String>;

/// The name in `lang` where one is set, else `default`: the one place a
/// topic's or product's name is picked for a reader.
pub fn name_for<'a>(default: &'a str, names: &'a Names, lang: &str) -> &'a str {
    names
        .get(lang)
        .map(|n| n.trim())
        .filter(|n| !n.is_empty())
        .unwrap_or(default)
}

/// A help topic with its guidance and prompts.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HelpTopicRow {
    pub id: Uuid,
    pub name: String,
    pub names: Json<Names>,
    pub department_id: DepartmentId,
    pub guidance: String,
    pub prompts: sqlx::types::Json<Vec<Prompt>>,
    pub suggested_attachments: String,
}

impl HelpTopicRow {
    /// Its name in `lang`, else the default name.
    pub fn name_for(&self, lang: &str) -> &str {
        name_for(&self.name, &self.names.0, lang)
    }
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
        "select h.id, h.name, h.names, h.department_id, h.guidance, h.prompts, h.suggested_attachments \
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
    pub names: Json<Names>,
}

impl ProductRow {
    /// Its name in `lang`, else the default name.
    pub fn name_for(&self, lang: &str) -> &str {
        name_for(&self.name, &self.names.0, lang)
    }

    /// The same product with `name` in `lang`, for pages that show one name.
    pub fn localized(mut self, lang: &str) -> Self {
        self.name = self.name_for(lang).to_string();
        self
    }
}

/// Active products, in order.
pub async fn active_products(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<ProductRow>> {
    sqlx::query_as("select id, name, names from products where active order by position, name")
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
        "select id, name, names, department_id, guidance, prompts, suggested_attachments, customer_visible \
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

/// A product in the admin console.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ProductAdminRow {
    #[sqlx(flatten)]
    pub product: ProductRow,
    pub active: bool,
}

/// Every product (admin console).
pub async fn all_products(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<ProductAdminRow>> {
    sqlx::query_as("select id, name, names, active from products order by position, name")
        .fetch_all(db)
        .await
}

/// Changes a product's default name and its names per language.
pub async fn update_product(
    db: impl PgExecutor<'_>,
    id: Uuid,
    name: &str,
    names: &Names,
) -> sqlx::Result<bool> {
    let done = sqlx::query("update products set name = $2, names = $3 where id = $1")
        .bind(id)
        .bind(name)
        .bind(Json(names))
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Sets a help topic's names per language.
pub async fn set_topic_names(
    db: impl PgExecutor<'_>,
    id: Uuid,
    names: &Names,
) -> sqlx::Result<bool> {
    let done = sqlx::query("update help_topics set names = $2 where id = $1")
        .bind(id)
        .bind(Json(names))
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
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
