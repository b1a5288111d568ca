//! Failed sign-ins, for throttling by (account, address) and by address.

use std::net::IpAddr;

use sqlx::PgExecutor;
use sqlx::types::ipnetwork::IpNetwork;

/// Failures within the last `window_minutes`: (for this account from this
/// address, from this address over all accounts).
pub async fn recent(
    db: impl PgExecutor<'_>,
    account: &str,
    ip: IpAddr,
    window_minutes: u32,
) -> sqlx::Result<(i64, i64)> {
    sqlx::query_as(
        "select count(*) filter (where account = $1), count(*) \
         from login_failures \
         where ip = $2 and at > now() - make_interval(mins => $3)",
    )
    .bind(account)
    .bind(IpNetwork::from(ip))
    .bind(window_minutes as i32)
    .fetch_one(db)
    .await
}

/// Counts one failure.
pub async fn record(db: impl PgExecutor<'_>, account: &str, ip: IpAddr) -> sqlx::Result<()> {
    sqlx::query("insert into login_failures (account, ip) values ($1, $2)")
        .bind(account)
        .bind(IpNetwork::from(ip))
        .execute(db)
        .await?;
    Ok(())
}

/// Forgets the failures of this account from this address (after a success).
pub async fn clear(db: impl PgExecutor<'_>, account: &str, ip: IpAddr) -> sqlx::Result<()> {
    sqlx::query("delete from login_failures where account = $1 and ip = $2")
        .bind(account)
        .bind(IpNetwork::from(ip))
        .execute(db)
        .await?;
    Ok(())
}

/// Deletes failures older than a day.
pub async fn purge(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query("delete from login_failures where at < now() - interval '1 day'")
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
