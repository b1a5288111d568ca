//! Server-side sessions. The cookie holds a random token; only its SHA-256
//! is stored, so a database leak does not leak sign-ins.

use std::net::IpAddr;

use sqlx::PgExecutor;
use sqlx::types::ipnetwork::IpNetwork;
use time::OffsetDateTime;

use crate::domain::ids::{SessionId, UserId};

/// A session with who it belongs to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct SessionRow {
    pub id: SessionId,
    pub user_id: UserId,
    pub created_at: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub ip: Option<IpNetwork>,
    pub user_agent: Option<String>,
}

/// Stores a new session.
pub async fn insert(
    db: impl PgExecutor<'_>,
    id: SessionId,
    token_hash: &[u8],
    user: UserId,
    days: u32,
    ip: Option<IpAddr>,
    user_agent: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into sessions (id, token_hash, user_id, expires_at, ip, user_agent) \
         values ($1, $2, $3, now() + make_interval(days => $4), $5, $6)",
    )
    .bind(id)
    .bind(token_hash)
    .bind(user)
    .bind(days as i32)
    .bind(ip.map(IpNetwork::from))
    .bind(user_agent)
    .execute(db)
    .await?;
    Ok(())
}

/// A live session with its user, as the request middleware needs them.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct LiveSession {
    pub session_id: SessionId,
    #[sqlx(flatten)]
    pub user: super::users::UserRow,
    /// Whether they manage a department (the header's statistics link).
    pub manages: bool,
}

/// The live session for a token hash and its user in one statement,
/// sliding the expiry forward at most once a minute (busy pages do not
/// write on every request). Sessions of disabled users are not live.
pub async fn resume(
    db: impl PgExecutor<'_>,
    token_hash: &[u8],
    days: u32,
) -> sqlx::Result<Option<LiveSession>> {
    sqlx::query_as(&format!(
        "with live as ( \
             select s.id, s.user_id from sessions s join users u on u.id = s.user_id \
             where s.token_hash = $1 and s.expires_at > now() and u.disabled_at is null), \
         slide as ( \
             update sessions set last_seen_at = now(), expires_at = now() + make_interval(days => $2) \
             where id = (select id from live) and last_seen_at < now() - interval '1 minute') \
         select live.id as session_id, {}, \
             exists (select 1 from department_managers m where m.user_id = live.user_id) as manages \
         from live join users u on u.id = live.user_id \
         join user_emails e on e.user_id = u.id and e.is_primary",
        super::users::COLUMNS
    ))
    .bind(token_hash)
    .bind(days as i32)
    .fetch_optional(db)
    .await
}

/// The user's sessions, newest first.
pub async fn list_for_user(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Vec<SessionRow>> {
    sqlx::query_as(
        "select id, user_id, created_at, last_seen_at, ip, user_agent from sessions \
         where user_id = $1 and expires_at > now() order by last_seen_at desc",
    )
    .bind(user)
    .fetch_all(db)
    .await
}

/// Ends one session.
pub async fn delete(db: impl PgExecutor<'_>, id: SessionId) -> sqlx::Result<()> {
    sqlx::query("delete from sessions where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Ends one of the user's sessions; false when it was not theirs.
pub async fn delete_for_user(
    db: impl PgExecutor<'_>,
    user: UserId,
    id: SessionId,
) -> sqlx::Result<bool> {
    let done = sqlx::query("delete from sessions where id = $1 and user_id = $2")
        .bind(id)
        .bind(user)
        .execute(db)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every session of the user except `keep`.
pub async fn delete_all_but(
    db: impl PgExecutor<'_>,
    user: UserId,
    keep: Option<SessionId>,
) -> sqlx::Result<u64> {
    let done = sqlx::query("delete from sessions where user_id = $1 and id is distinct from $2")
        .bind(user)
        .bind(keep)
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes expired sessions.
pub async fn purge_expired(db: impl PgExecutor<'_>) -> sqlx::Result<u64> {
    let done = sqlx::query("delete from sessions where expires_at < now()")
        .execute(db)
        .await?;
    Ok(done.rows_affected())
}
