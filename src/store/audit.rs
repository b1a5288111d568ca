//! The audit log (`events`): who did what, when. Written in the same
//! transaction as the change it records.

use serde_json::Value;
use sqlx::types::ipnetwork::IpNetwork;
use sqlx::{PgExecutor, Postgres, QueryBuilder};
use time::OffsetDateTime;

use crate::domain::ids::{TicketId, TicketNumber, UserId};

/// One audit entry.
pub struct AuditEntry<'a> {
    pub actor: Option<UserId>,
    pub kind: &'a str,
    pub ticket: Option<TicketId>,
    pub subject: Option<uuid::Uuid>,
    pub data: Value,
    pub ip: Option<std::net::IpAddr>,
}

/// Records `entry`.
pub async fn record(db: impl PgExecutor<'_>, entry: AuditEntry<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into events (actor_id, kind, ticket_id, subject_id, data, ip) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(entry.actor)
    .bind(entry.kind)
    .bind(entry.ticket)
    .bind(entry.subject)
    .bind(entry.data)
    .bind(entry.ip.map(IpNetwork::from))
    .execute(db)
    .await?;
    Ok(())
}

/// Kinds of the most recent entries about `subject`, newest first (tests, audit page).
pub async fn kinds_for_subject(
    db: impl PgExecutor<'_>,
    subject: uuid::Uuid,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar("select kind from events where subject_id = $1 order by id desc")
        .bind(subject)
        .fetch_all(db)
        .await
}

/// Whose entries the audit page shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorFilter {
    User(UserId),
    /// Entries Bilet made itself (no person: jobs, the command line).
    System,
}

/// Which entries the audit page shows; every field narrows the list.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub actor: Option<ActorFilter>,
    pub kind: Option<String>,
    /// At or after this instant.
    pub from: Option<OffsetDateTime>,
    /// Before this instant.
    pub until: Option<OffsetDateTime>,
    /// After this entry in page order (the keyset cursor: an entry id).
    pub before: Option<i64>,
}

/// One entry of the audit page, with the names it mentions.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct AuditRow {
    pub id: i64,
    pub at: OffsetDateTime,
    pub actor_name: Option<String>,
    pub kind: String,
    pub ticket_number: Option<TicketNumber>,
    pub data: Value,
    /// The object's current name when it is a person, department or mailbox.
    pub subject_user: Option<String>,
    pub subject_department: Option<String>,
    pub subject_mailbox: Option<String>,
    /// The data of the entry before this one about the same object and of
    /// the same family (`department.*`), or of the same kind for entries
    /// without an object (`settings.changed`): what a change changed from.
    pub previous: Option<Value>,
}

/// The newest entries matching `filter`, newest first (by time, then id).
/// Each set filter is one more static condition (no `$n is null or ...`),
/// so each shape gets a plan that uses its index (see the migration
/// `audit_filters`).
pub async fn page(
    db: impl PgExecutor<'_>,
    filter: &AuditFilter,
    limit: i64,
) -> sqlx::Result<Vec<AuditRow>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "select e.id, e.at, u.name as actor_name, e.kind, t.number as ticket_number, e.data, \
                s.name as subject_user, d.name as subject_department, m.name as subject_mailbox, \
                coalesce(ps.data, pk.data) as previous \
         from events e \
         left join users u on u.id = e.actor_id \
         left join tickets t on t.id = e.ticket_id \
         left join users s on s.id = e.subject_id \
         left join departments d on d.id = e.subject_id \
         left join mailboxes m on m.id = e.subject_id \
         left join lateral ( \
             select p.data from events p \
             where e.subject_id is not null and p.subject_id = e.subject_id \
               and (p.at, p.id) < (e.at, e.id) \
               and split_part(p.kind, '.', 1) = split_part(e.kind, '.', 1) and p.data <> '{}'::jsonb \
             order by p.at desc, p.id desc limit 1) ps on true \
         left join lateral ( \
             select p.data from events p \
             where e.subject_id is null and e.kind = 'settings.changed' \
               and p.kind = e.kind and (p.at, p.id) < (e.at, e.id) \
             order by p.at desc, p.id desc limit 1) pk on true \
         where true",
    );
    match filter.actor {
        Some(ActorFilter::User(id)) => {
            qb.push(" and e.actor_id = ").push_bind(id);
        }
        Some(ActorFilter::System) => {
            qb.push(" and e.actor_id is null");
        }
        None => {}
    }
    if let Some(kind) = &filter.kind {
        qb.push(" and e.kind = ").push_bind(kind.clone());
    }
    if let Some(from) = filter.from {
        qb.push(" and e.at >= ").push_bind(from);
    }
    if let Some(until) = filter.until {
        qb.push(" and e.at < ").push_bind(until);
    }
    if let Some(before) = filter.before {
        // The cursor is an entry id; its time is looked up so that the
        // page order (at, id) stays one index range under every filter.
        qb.push(" and (e.at, e.id) < ((select b.at from events b where b.id = ")
            .push_bind(before)
            .push("), ")
            .push_bind(before)
            .push(")");
    }
    qb.push(" order by e.at desc, e.id desc limit ")
        .push_bind(limit);
    qb.build_query_as().fetch_all(db).await
}

/// Staff who appear in the log as the one who did something, by name:
/// the audit page's person filter. One index probe per staff member.
pub async fn staff_actors(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<(UserId, String)>> {
    sqlx::query_as(
        "select u.id, u.name from users u \
         where u.role <> 'customer' and exists (select 1 from events e where e.actor_id = u.id) \
         order by lower(u.name), u.id",
    )
    .fetch_all(db)
    .await
}

/// Every kind the log holds, in code order: a skip scan over events_kind
/// (one index probe per kind), not a scan of the log.
pub async fn kinds(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "with recursive k(kind) as ( \
             (select kind from events order by kind limit 1) \
             union all \
             select (select e.kind from events e where e.kind > k.kind order by e.kind limit 1) \
             from k where k.kind is not null) \
         select kind from k where kind is not null",
    )
    .fetch_all(db)
    .await
}
