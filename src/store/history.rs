//! Ticket history: one typed row per change of status, assignee,
//! department or priority, and the opening. Statistics and SLA reports are
//! computed from it; the timeline shows it. Written only by the write
//! path's commit (a test fails when another module does).

use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::domain::ids::{DepartmentId, TicketId, UserId};
use crate::domain::priority::Priority;
use crate::domain::status::Status;

/// One history row to write.
#[derive(Debug, Clone, Default)]
pub struct NewHistory {
    pub ticket: TicketId,
    /// created, status, assignee, department, priority
    pub change: &'static str,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub from_user: Option<UserId>,
    pub to_user: Option<UserId>,
    pub from_department: Option<DepartmentId>,
    pub to_department: Option<DepartmentId>,
    pub from_priority: Option<Priority>,
    pub to_priority: Option<Priority>,
    pub actor: Option<UserId>,
    /// sla_warning / sla_breach: which target.
    pub detail: Option<&'static str>,
}

/// Writes the history rows of one write in one statement.
pub(crate) async fn insert(db: impl PgExecutor<'_>, rows: &[NewHistory]) -> sqlx::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into ticket_history (ticket_id, change, from_status, to_status, from_user_id, to_user_id, \
             from_department_id, to_department_id, from_priority, to_priority, actor_id, detail) \
         select a, b::history_change, c, d, e, f, g, h, i, j, k, l from unnest($1::uuid[], $2::text[], \
             $3::ticket_status[], $4::ticket_status[], $5::uuid[], $6::uuid[], $7::uuid[], $8::uuid[], \
             $9::ticket_priority[], $10::ticket_priority[], $11::uuid[], $12::text[]) \
             with ordinality as r(a, b, c, d, e, f, g, h, i, j, k, l, n) order by n",
    )
    .bind(rows.iter().map(|r| r.ticket).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.change.to_string()).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.from_status).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.to_status).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.from_user).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.to_user).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.from_department).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.to_department).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.from_priority).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.to_priority).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.actor).collect::<Vec<_>>())
    .bind(rows.iter().map(|r| r.detail).collect::<Vec<_>>())
    .execute(db)
    .await?;
    Ok(())
}

/// One line of a ticket's timeline.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct HistoryRow {
    pub change: String,
    pub at: OffsetDateTime,
    pub actor_name: Option<String>,
    pub from_status: Option<Status>,
    pub to_status: Option<Status>,
    pub from_user_name: Option<String>,
    pub to_user_name: Option<String>,
    pub from_department_name: Option<String>,
    pub to_department_name: Option<String>,
    pub from_priority: Option<Priority>,
    pub to_priority: Option<Priority>,
    /// An assignment the actor made to themselves.
    pub self_assigned: bool,
    pub detail: Option<String>,
}

/// The ticket's history, oldest first, names resolved in one query.
pub async fn for_ticket(db: impl PgExecutor<'_>, id: TicketId) -> sqlx::Result<Vec<HistoryRow>> {
    sqlx::query_as(
        "select h.change::text as change, h.at, a.name as actor_name, h.from_status, h.to_status, \
                fu.name as from_user_name, tu.name as to_user_name, \
                fd.name as from_department_name, td.name as to_department_name, h.from_priority, h.to_priority, \
                coalesce(h.actor_id = h.to_user_id, false) as self_assigned, h.detail \
         from ticket_history h \
         left join users a on a.id = h.actor_id \
         left join users fu on fu.id = h.from_user_id left join users tu on tu.id = h.to_user_id \
         left join departments fd on fd.id = h.from_department_id left join departments td on td.id = h.to_department_id \
         where h.ticket_id = $1 order by h.at, h.id",
    )
    .bind(id)
    .fetch_all(db)
    .await
}
