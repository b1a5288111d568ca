//! The budget of account mails (claim links, address confirmations): per
//! address and per client address over the last hour.

use std::net::IpAddr;

use sqlx::PgExecutor;
use sqlx::types::ipnetwork::IpNetwork;

/// Counts one mail of `kind` to `address` asked for by `client`, if both
/// are still under their hourly limit; false (and nothing counted) when not.
/// In a transaction: the address's and the client's locks (taken in that
/// order by every caller) serialise parallel requests until it ends.
pub async fn reserve(
    db: &mut sqlx::PgConnection,
    address: &str,
    client: Option<IpAddr>,
    kind: &str,
    per_address: u32,
    per_client: u32,
) -> sqlx::Result<bool> {
    sqlx::query(
        "select pg_advisory_xact_lock(hashtext('bilet.account_mail:' || $1)), \
                pg_advisory_xact_lock(hashtext('bilet.account_client:' || coalesce($2::text, '')))",
    )
    .bind(address)
    .bind(client.map(|c| c.to_string()))
    .execute(&mut *db)
    .await?;
    let done = sqlx::query(
        "with recent as (select \
             (select count(*) from account_mails where address = $1 and at > now() - interval '1 hour') a, \
             (select count(*) from account_mails where ip = $2 and at > now() - interval '1 hour') c) \
         insert into account_mails (address, ip, kind) select $1, $2, $3 from recent \
         where a < $4 and ($2 is null or c < $5)",
    )
    .bind(address)
    .bind(client.map(IpNetwork::from))
    .bind(kind)
    .bind(per_address as i64)
    .bind(per_client as i64)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Forgets entries older than a day.
pub async fn purge(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query("delete from account_mails where at < now() - interval '1 day'")
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
