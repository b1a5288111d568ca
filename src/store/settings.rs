//! Helpdesk-wide settings admins change at run time, as key → JSON value.

use sqlx::PgExecutor;

use crate::domain::ids::UserId;

/// Every stored setting.
pub async fn all(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(String, serde_json::Value)>> {
    sqlx::query_as("select key, value from settings")
        .fetch_all(db)
        .await
}

/// Stores one setting.
pub async fn put(
    db: impl PgExecutor<'_>,
    key: &str,
    value: serde_json::Value,
    by: UserId,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into settings (key, value, updated_by) values ($1, $2, $3) \
         on conflict (key) do update set value = excluded.value, updated_by = excluded.updated_by, updated_at = now()",
    )
    .bind(key)
    .bind(value)
    .bind(by)
    .execute(db)
    .await?;
    Ok(())
}
