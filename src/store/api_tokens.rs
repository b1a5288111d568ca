//! API tokens (kept as keyed hashes) and the answers kept for retried
//! requests (Idempotency-Key).

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::domain::access::AccessLevel;
use crate::domain::ids::{DepartmentId, MessageId, TicketNumber, TokenId, UserId};

/// A token as the API's authentication sees it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TokenRow {
    pub id: TokenId,
    pub name: String,
    pub user_id: UserId,
    pub service: bool,
    pub prefix: String,
    pub read_only: bool,
    pub all_departments: bool,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

const COLUMNS: &str = "k.id, k.name, k.user_id, k.service, k.prefix, k.read_only, k.all_departments, \
     k.created_at, k.last_used_at";

pub struct NewToken<'a> {
    pub id: TokenId,
    pub name: &'a str,
    pub user: UserId,
    pub service: bool,
    pub hash: &'a [u8],
    pub prefix: &'a str,
    pub read_only: bool,
    pub departments: &'a [(DepartmentId, AccessLevel)],
    pub created_by: Option<UserId>,
}

/// Inserts a token and its departments. Fails on `api_tokens_live_name`
/// when a live token has that name.
pub async fn insert(db: &mut PgConnection, t: NewToken<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into api_tokens (id, name, user_id, service, hash, prefix, read_only, all_departments, created_by) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(t.id)
    .bind(t.name)
    .bind(t.user)
    .bind(t.service)
    .bind(t.hash)
    .bind(t.prefix)
    .bind(t.read_only)
    .bind(t.departments.is_empty())
    .bind(t.created_by)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "insert into api_token_departments (token_id, department_id, level) \
         select $1, d, l from unnest($2::uuid[], $3::access_level[]) as x(d, l)",
    )
    .bind(t.id)
    .bind(t.departments.iter().map(|d| d.0).collect::<Vec<_>>())
    .bind(t.departments.iter().map(|d| d.1).collect::<Vec<_>>())
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// The live token with this hash, if its user is enabled.
pub async fn by_hash(db: impl PgExecutor<'_>, hash: &[u8]) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(&format!(
        "select {COLUMNS} from api_tokens k join users u on u.id = k.user_id \
         where k.hash = $1 and k.revoked_at is null and u.disabled_at is null"
    ))
    .bind(hash)
    .fetch_optional(db)
    .await
}

#[derive(sqlx::FromRow)]
struct Authed {
    k_id: TokenId,
    k_name: String,
    k_service: bool,
    k_prefix: String,
    k_read_only: bool,
    k_all_departments: bool,
    k_created_at: OffsetDateTime,
    k_last_used_at: Option<OffsetDateTime>,
    #[sqlx(flatten)]
    user: super::users::UserRow,
}

/// The live token with this hash and its enabled user, in one statement
/// (every API request runs it).
pub async fn authenticate(
    db: impl PgExecutor<'_>,
    hash: &[u8],
) -> sqlx::Result<Option<(TokenRow, super::users::UserRow)>> {
    let row: Option<Authed> = sqlx::query_as(&format!(
        "select k.id as k_id, k.name as k_name, k.service as k_service, k.prefix as k_prefix, \
                k.read_only as k_read_only, k.all_departments as k_all_departments, \
                k.created_at as k_created_at, k.last_used_at as k_last_used_at, {} \
         from api_tokens k join users u on u.id = k.user_id \
         join user_emails e on e.user_id = u.id and e.is_primary \
         where k.hash = $1 and k.revoked_at is null and u.disabled_at is null",
        super::users::COLUMNS
    ))
    .bind(hash)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|a| {
        let token = TokenRow {
            id: a.k_id,
            name: a.k_name,
            user_id: a.user.id,
            service: a.k_service,
            prefix: a.k_prefix,
            read_only: a.k_read_only,
            all_departments: a.k_all_departments,
            created_at: a.k_created_at,
            last_used_at: a.k_last_used_at,
        };
        (token, a.user)
    }))
}

/// Records a use (callers do it at most once a minute per token).
pub async fn touch(db: impl PgExecutor<'_>, id: TokenId) -> sqlx::Result<()> {
    sqlx::query("update api_tokens set last_used_at = now() where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// A token in `bilet token list` and the console.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Listed {
    #[sqlx(flatten)]
    pub token: TokenRow,
    pub user_email: String,
    pub user_name: String,
    /// "slug:level" of each department it is narrowed to.
    pub departments: Vec<String>,
}

/// Every live token, by name.
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Listed>> {
    sqlx::query_as(&format!(
        "select {COLUMNS}, e.email as user_email, u.name as user_name, \
                coalesce((select array_agg(d.slug || ':' || td.level::text order by d.slug) \
                          from api_token_departments td join departments d on d.id = td.department_id \
                          where td.token_id = k.id), '{{}}') as departments \
         from api_tokens k join users u on u.id = k.user_id \
         join user_emails e on e.user_id = u.id and e.is_primary \
         where k.revoked_at is null order by lower(k.name)"
    ))
    .fetch_all(db)
    .await
}

/// Revokes the live token named so; returns it (None: no such token).
pub async fn revoke(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<TokenRow>> {
    sqlx::query_as(&format!(
        "update api_tokens k set revoked_at = now() \
         where lower(k.name) = lower($1) and k.revoked_at is null returning {COLUMNS}"
    ))
    .bind(name)
    .fetch_optional(db)
    .await
}

/// What a request with an Idempotency-Key finds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: this request runs and then [`finish`]es it.
    Fresh,
    /// The first request with this key answered this.
    Done {
        request_hash: Vec<u8>,
        status: u16,
        location: Option<String>,
        body: Vec<u8>,
    },
    /// The first request is still running (or came with another body).
    Running { request_hash: Vec<u8> },
    /// The first request made this ticket but kept no answer (its node
    /// may have died after the commit): the answer is rebuilt from it.
    Made { request_hash: Vec<u8>, made: Made },
}

/// What a keyed request made: a ticket, or a message on it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Made {
    pub ticket: TicketNumber,
    pub message: Option<MessageId>,
}

/// Claims `key` for this request. A claim left running longer than
/// `abandon_after_s` (its request died with its node) is taken over.
pub async fn claim(
    db: &mut PgConnection,
    token: TokenId,
    key: &str,
    request_hash: &[u8],
    abandon_after_s: i64,
) -> sqlx::Result<Claim> {
    let fresh = sqlx::query(
        "insert into api_idempotency (token_id, key, request_hash) values ($1, $2, $3) \
         on conflict (token_id, key) do update set request_hash = excluded.request_hash, created_at = now() \
             where api_idempotency.status is null and api_idempotency.made_ticket is null \
               and api_idempotency.request_hash = excluded.request_hash \
               and api_idempotency.created_at < now() - make_interval(secs => $4) \
             or api_idempotency.created_at < now() - interval '24 hours'",
    )
    .bind(token)
    .bind(key)
    .bind(request_hash)
    .bind(abandon_after_s as f64)
    .execute(&mut *db)
    .await?
    .rows_affected()
        == 1;
    if fresh {
        // A row kept from an earlier day starts over.
        sqlx::query(
            "update api_idempotency set status = null, location = null, body = null, made_ticket = null, \
                 made_message = null \
             where token_id = $1 and key = $2",
        )
        .bind(token)
        .bind(key)
        .execute(&mut *db)
        .await?;
        return Ok(Claim::Fresh);
    }
    #[allow(clippy::type_complexity)]
    let (request_hash, status, location, body, made, message): (
        Vec<u8>,
        Option<i16>,
        Option<String>,
        Option<Vec<u8>>,
        Option<TicketNumber>,
        Option<MessageId>,
    ) = sqlx::query_as(
        "select request_hash, status, location, body, made_ticket, made_message from api_idempotency \
             where token_id = $1 and key = $2",
    )
    .bind(token)
    .bind(key)
    .fetch_one(&mut *db)
    .await?;
    Ok(match status {
        Some(status) => Claim::Done {
            request_hash,
            status: status as u16,
            location,
            body: body.unwrap_or_default(),
        },
        None => match made {
            Some(ticket) => Claim::Made {
                request_hash,
                made: Made { ticket, message },
            },
            None => Claim::Running { request_hash },
        },
    })
}

/// Records, in the transaction that made it, the ticket (and message) a
/// keyed request made.
pub async fn made(
    db: impl PgExecutor<'_>,
    token: TokenId,
    key: &str,
    ticket: TicketNumber,
    message: Option<MessageId>,
) -> sqlx::Result<()> {
    sqlx::query(
        "update api_idempotency set made_ticket = $3, made_message = $4 \
         where token_id = $1 and key = $2",
    )
    .bind(token)
    .bind(key)
    .bind(ticket)
    .bind(message)
    .execute(db)
    .await?;
    Ok(())
}

/// Keeps the first request's answer for its retries.
pub async fn finish(
    db: impl PgExecutor<'_>,
    token: TokenId,
    key: &str,
    status: u16,
    location: Option<&str>,
    body: &[u8],
) -> sqlx::Result<()> {
    sqlx::query(
        "update api_idempotency set status = $3, location = $4, body = $5 where token_id = $1 and key = $2",
    )
    .bind(token)
    .bind(key)
    .bind(status as i16)
    .bind(location)
    .bind(body)
    .execute(db)
    .await?;
    Ok(())
}

/// Forgets a claim whose request failed before it changed anything, so a
/// retry runs again.
pub async fn release(db: impl PgExecutor<'_>, token: TokenId, key: &str) -> sqlx::Result<()> {
    sqlx::query("delete from api_idempotency where token_id = $1 and key = $2 and status is null")
        .bind(token)
        .bind(key)
        .execute(db)
        .await?;
    Ok(())
}

/// Forgets answers older than a day (the cleanup job).
pub async fn prune(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    Ok(
        sqlx::query("delete from api_idempotency where created_at < now() - interval '24 hours'")
            .execute(db)
            .await?
            .rows_affected(),
    )
}
