//! The bell: in-app notifications per person, and who is told about a
//! department's escalations.

use sqlx::{PgExecutor, types::Json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::domain::ids::{DepartmentId, TicketId, TicketNumber, UserId};

/// Someone to tell about an escalation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Manager {
    pub id: UserId,
    pub name: String,
    pub email: String,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
}

/// The department's managers who can still act (staff, not disabled); when
/// it has none, the admins, so that a breach is never told to nobody.
pub async fn managers_to_tell(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
) -> sqlx::Result<Vec<Manager>> {
    sqlx::query_as(
        "with managers as ( \
             select u.* from department_managers m join users u on u.id = m.user_id \
             where m.department_id = $1 and u.role <> 'customer' and u.disabled_at is null) \
         select u.id, u.name, e.email, u.locale, u.time_zone \
         from (select * from managers \
               union all \
               select * from users where role = 'admin' and disabled_at is null \
                 and not exists (select 1 from managers)) u \
         join user_emails e on e.user_id = u.id and e.is_primary \
         order by e.email",
    )
    .bind(department)
    .fetch_all(db)
    .await
}

/// A new notification for each of `users`.
pub(crate) async fn insert(
    db: impl PgExecutor<'_>,
    users: &[UserId],
    ticket: TicketId,
    kind: &str,
    data: &serde_json::Value,
) -> sqlx::Result<()> {
    let ids: Vec<Uuid> = users.iter().map(|_| Uuid::now_v7()).collect();
    sqlx::query(
        "insert into notifications (id, user_id, ticket_id, kind, data) \
         select i, u, $3, $4, $5 from unnest($1::uuid[], $2::uuid[]) x(i, u)",
    )
    .bind(&ids)
    .bind(users)
    .bind(ticket)
    .bind(kind)
    .bind(data)
    .execute(db)
    .await?;
    Ok(())
}

/// One notification as the bell's page lists it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct NotificationRow {
    pub id: Uuid,
    pub kind: String,
    pub data: Json<serde_json::Value>,
    pub created_at: OffsetDateTime,
    pub read_at: Option<OffsetDateTime>,
    pub number: Option<TicketNumber>,
    pub subject: Option<String>,
}

/// Unread notifications, capped: the bell shows "99+" past that.
pub async fn unread(db: impl PgExecutor<'_>, user: UserId, cap: i64) -> sqlx::Result<i64> {
    sqlx::query_scalar(
        "select count(*) from (select 1 from notifications \
         where user_id = $1 and read_at is null limit $2) x",
    )
    .bind(user)
    .bind(cap)
    .fetch_one(db)
    .await
}

/// The newest notifications, before the keyset `(created_at, id)`.
pub async fn page(
    db: impl PgExecutor<'_>,
    user: UserId,
    before: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> sqlx::Result<Vec<NotificationRow>> {
    sqlx::query_as(
        "select n.id, n.kind, n.data, n.created_at, n.read_at, t.number, t.subject \
         from notifications n left join tickets t on t.id = n.ticket_id \
         where n.user_id = $1 and ($2::timestamptz is null or (n.created_at, n.id) < ($2, $3)) \
         order by n.created_at desc, n.id desc limit $4",
    )
    .bind(user)
    .bind(before.map(|b| b.0))
    .bind(before.map(|b| b.1))
    .bind(limit)
    .fetch_all(db)
    .await
}

/// Marks all of a person's notifications read.
pub async fn read_all(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<u64> {
    Ok(sqlx::query(
        "update notifications set read_at = now() where user_id = $1 and read_at is null",
    )
    .bind(user)
    .execute(db)
    .await?
    .rows_affected())
}

/// Tells every active admin of something outside any ticket (a webhook
/// Bilet disabled); returns who was told.
pub async fn tell_admins(
    db: impl PgExecutor<'_>,
    kind: &str,
    data: &serde_json::Value,
) -> sqlx::Result<Vec<UserId>> {
    sqlx::query_scalar(
        "insert into notifications (id, user_id, kind, data) \
         select gen_random_uuid(), id, $1, $2 from users \
         where role = 'admin' and disabled_at is null \
         returning user_id",
    )
    .bind(kind)
    .bind(data)
    .fetch_all(db)
    .await
}

/// Every admin who can be told by mail, with their language and zone.
pub async fn admins_to_tell(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<Manager>> {
    sqlx::query_as(
        "select u.id, u.name, e.email, u.locale, u.time_zone from users u \
         join user_emails e on e.user_id = u.id and e.is_primary \
         where u.role = 'admin' and u.disabled_at is null order by e.email",
    )
    .fetch_all(db)
    .await
}
