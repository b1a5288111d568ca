//! Who hears about a ticket.

use sqlx::PgExecutor;

use crate::domain::ids::TicketId;

/// The assignee's address, or with no assignee, the addresses of the
/// agents who may answer in the ticket's department.
pub async fn agents_to_tell(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select e.email from tickets t \
         join users u on (u.id = t.assignee_id) \
             or (t.assignee_id is null and exists (select 1 from agent_departments ad \
                 where ad.user_id = u.id and ad.department_id = t.department_id and ad.level >= 'reply')) \
         join user_emails e on e.user_id = u.id and e.is_primary \
         where t.id = $1 and u.disabled_at is null order by e.email",
    )
    .bind(ticket)
    .fetch_all(db)
    .await
}
