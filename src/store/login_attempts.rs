//! Sign-in attempts, counted per (account, address) and per address over a
//! fixed window. An attempt is reserved before its password is checked, in
//! one statement whose row locks serialise parallel attempts: each sees
//! the count including every attempt before it.

use std::net::IpAddr;

use sqlx::PgExecutor;
use sqlx::types::ipnetwork::IpNetwork;

/// Counts one attempt; returns the counts now (for this account from this
/// address, for this address over all accounts), this attempt included.
pub async fn reserve(
    db: impl PgExecutor<'_>,
    account: &str,
    ip: IpAddr,
    window_minutes: u32,
) -> sqlx::Result<(i64, i64)> {
    let rows: Vec<(String, i32)> = sqlx::query_as(
        "insert into login_attempts as a (account, ip, n) values ($1, $2, 1), ('', $2, 1) \
         on conflict (account, ip) do update set \
             window_start = case when a.window_start < now() - make_interval(mins => $3) \
                                 then now() else a.window_start end, \
             n = case when a.window_start < now() - make_interval(mins => $3) then 1 else a.n + 1 end \
         returning account, n",
    )
    .bind(account)
    .bind(IpNetwork::from(ip))
    .bind(window_minutes as i32)
    .fetch_all(db)
    .await?;
    let n = |key: &str| {
        rows.iter()
            .find(|(a, _)| a == key)
            .map_or(0, |(_, n)| i64::from(*n))
    };
    Ok((n(account), n("")))
}

/// A successful sign-in: its attempts from this address no longer count.
pub async fn succeeded(db: impl PgExecutor<'_>, account: &str, ip: IpAddr) -> sqlx::Result<()> {
    sqlx::query(
        "with mine as (delete from login_attempts where account = $1 and ip = $2 returning n) \
         update login_attempts set n = greatest(n - coalesce((select n from mine), 1), 0) \
         where account = '' and ip = $2",
    )
    .bind(account)
    .bind(IpNetwork::from(ip))
    .execute(db)
    .await?;
    Ok(())
}

/// Deletes counters whose window ended a day ago.
pub async fn purge(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done =
        sqlx::query("delete from login_attempts where window_start < now() - interval '1 day'")
            .execute(db)
            .await?;
    Ok(done.rows_affected())
}
