//! Blocked senders: their mail is stored and held, never filed.

use sqlx::PgExecutor;

use crate::domain::ids::UserId;

/// Whether mail from `address` is blocked.
pub async fn is_blocked(db: impl PgExecutor<'_>, address: &str) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists (select 1 from blocked_senders where address = $1)")
        .bind(address)
        .fetch_one(db)
        .await
}

/// Blocks `address`.
pub async fn block(
    db: impl PgExecutor<'_>,
    address: &str,
    by: UserId,
    reason: &str,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into blocked_senders (address, blocked_by, reason) values ($1, $2, $3) \
         on conflict (address) do nothing",
    )
    .bind(address)
    .bind(by)
    .bind(reason)
    .execute(db)
    .await?;
    Ok(())
}

/// Lets `address` write again; false when it was not blocked.
pub async fn unblock(db: impl PgExecutor<'_>, address: &str) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from blocked_senders where address = $1")
        .bind(address)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// One blocked sender, for the admin page.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct BlockedRow {
    pub address: String,
    pub blocked_by_name: Option<String>,
    pub reason: String,
    pub at: time::OffsetDateTime,
}

/// Every blocked sender, newest first.
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<BlockedRow>> {
    sqlx::query_as(
        "select b.address, u.name as blocked_by_name, b.reason, b.at from blocked_senders b \
         left join users u on u.id = b.blocked_by order by b.at desc",
    )
    .fetch_all(db)
    .await
}
