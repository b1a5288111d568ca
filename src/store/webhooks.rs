//! Webhook subscriptions: made, listed, removed, leased by one sender at a
//! time, disabled. Their deliveries are in `store::webhook_deliveries`.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::journal::JournalKind;
use crate::store::journal::Position;

/// A subscription as the console and the API list it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WebhookRow {
    pub id: i64,
    pub url: String,
    pub events: Vec<String>,
    pub department_id: Option<DepartmentId>,
    pub department: Option<String>,
    pub allow_private: bool,
    pub enabled: bool,
    pub disabled_reason: Option<String>,
    pub disabled_at: Option<OffsetDateTime>,
    pub failing_since: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub pending: i64,
    pub dead: i64,
}

const ROW: &str = "select w.id, w.url, w.events, w.department_id, d.slug as department, \
        w.allow_private, w.enabled, w.disabled_reason, w.disabled_at, w.failing_since, w.created_at, \
        (select count(*) from webhook_deliveries x where x.webhook_id = w.id and x.status = 'pending') as pending, \
        (select count(*) from webhook_deliveries x where x.webhook_id = w.id and x.status = 'dead') as dead \
     from webhooks w left join departments d on d.id = w.department_id \
     where w.removed_at is null";

pub struct NewWebhook<'a> {
    pub url: &'a str,
    pub kinds: &'a [JournalKind],
    pub events: &'a [String],
    pub department_id: Option<DepartmentId>,
    pub secret: &'a [u8],
    pub allow_private: bool,
    pub created_by: Option<UserId>,
}

/// Makes a subscription that follows the changes committed after it (the
/// newest entry its statement sees; a change committing at the same moment
/// may fall on either side).
pub async fn insert(db: impl PgExecutor<'_>, w: NewWebhook<'_>) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "insert into webhooks (url, kinds, events, department_id, secret, allow_private, created_by, \
                from_txid, from_seq) \
         select $1, $2, $3, $4, $5, $6, $7, coalesce(max(txid), 0), coalesce(max(seq), 0) \
         from (select txid::text::bigint as txid, seq from ticket_journal \
               order by ticket_journal.txid desc, seq desc limit 1) newest \
         returning id",
    )
    .bind(w.url)
    .bind(w.kinds)
    .bind(w.events)
    .bind(w.department_id)
    .bind(w.secret)
    .bind(w.allow_private)
    .bind(w.created_by)
    .fetch_one(db)
    .await
}

/// Live subscriptions, oldest first (a handful: the counts are cheap).
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<WebhookRow>> {
    sqlx::query_as(&format!("{ROW} order by w.id"))
        .fetch_all(db)
        .await
}

pub async fn get(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<Option<WebhookRow>> {
    sqlx::query_as(&format!("{ROW} and w.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Removes a subscription (its history stays until pruned); false when
/// there is none.
pub async fn remove(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update webhooks set removed_at = now(), enabled = false \
         where id = $1 and removed_at is null",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Enables a disabled subscription again, with a clean slate.
pub async fn enable(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update webhooks set enabled = true, disabled_reason = null, disabled_at = null, \
                failing_since = null \
         where id = $1 and removed_at is null",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// What the journal reader matches entries against.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Subscription {
    pub id: i64,
    pub kinds: Vec<JournalKind>,
    pub department_id: Option<DepartmentId>,
    pub from_txid: i64,
    pub from_seq: i64,
}

impl Subscription {
    /// Whether `at` is newer than the subscription.
    pub fn follows(&self, at: Position) -> bool {
        at > Position {
            txid: self.from_txid,
            seq: self.from_seq,
        }
    }
}

pub async fn subscriptions(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Subscription>> {
    sqlx::query_as(
        "select id, kinds, department_id, from_txid, from_seq from webhooks \
         where enabled and removed_at is null order by id",
    )
    .fetch_all(db)
    .await
}

/// Subscriptions whose first waiting delivery is due at `now`, not held
/// by a sender.
pub async fn due(
    db: impl PgExecutor<'_>,
    now: OffsetDateTime,
    limit: i64,
) -> sqlx::Result<Vec<i64>> {
    sqlx::query_scalar(
        "select w.id from webhooks w \
         where w.enabled and w.removed_at is null \
           and (w.lease_until is null or w.lease_until < now()) \
           and exists (select 1 from (select d.next_at from webhook_deliveries d \
                where d.webhook_id = w.id and d.status = 'pending' order by d.id limit 1) h \
                where h.next_at is null or h.next_at <= $1) \
         order by w.id limit $2",
    )
    .bind(now)
    .bind(limit)
    .fetch_all(db)
    .await
}

/// The earliest time a waiting delivery may be tried, for the sender's
/// wake-up.
pub async fn next_due(db: impl PgExecutor<'_>) -> sqlx::Result<Option<OffsetDateTime>> {
    sqlx::query_scalar(
        "select min(coalesce(d.next_at, now())) from webhook_deliveries d join webhooks w on w.id = d.webhook_id \
         where d.status = 'pending' and w.enabled and w.removed_at is null",
    )
    .fetch_one(db)
    .await
}

/// What a sender needs, once it holds the subscription.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Claimed {
    pub id: i64,
    pub url: String,
    pub secret: Vec<u8>,
    pub allow_private: bool,
    pub failing_since: Option<OffsetDateTime>,
}

/// Takes the subscription for `seconds`, if no other sender holds it.
pub async fn claim(
    db: impl PgExecutor<'_>,
    id: i64,
    seconds: i64,
) -> sqlx::Result<Option<Claimed>> {
    sqlx::query_as(
        "update webhooks set lease_until = now() + make_interval(secs => $2) \
         where id = $1 and enabled and removed_at is null \
           and (lease_until is null or lease_until < now()) \
         returning id, url, secret, allow_private, failing_since",
    )
    .bind(id)
    .bind(seconds as f64)
    .fetch_optional(db)
    .await
}

pub async fn release(db: impl PgExecutor<'_>, id: i64) -> sqlx::Result<()> {
    sqlx::query("update webhooks set lease_until = null where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Records the start (a time) or the end (None) of a run of failures.
pub async fn set_failing(
    db: impl PgExecutor<'_>,
    id: i64,
    since: Option<OffsetDateTime>,
) -> sqlx::Result<()> {
    sqlx::query("update webhooks set failing_since = $2 where id = $1")
        .bind(id)
        .bind(since)
        .execute(db)
        .await?;
    Ok(())
}

/// Disables a subscription; false when it already was.
pub async fn disable(
    db: impl PgExecutor<'_>,
    id: i64,
    reason: &str,
    at: OffsetDateTime,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update webhooks set enabled = false, disabled_reason = $2, disabled_at = $3 \
         where id = $1 and enabled",
    )
    .bind(id)
    .bind(reason)
    .bind(at)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
