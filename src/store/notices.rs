//! Who hears about a ticket: the SQL of "be told", built on the access
//! rule's twin (`access::works_in`).

use sqlx::PgExecutor;

use crate::domain::ids::TicketId;

/// The assignee's address while they still work the ticket's department,
/// or else the addresses of everyone who works it. An API token's service
/// identity has no mailbox: it is never told.
pub async fn agents_to_tell(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
) -> sqlx::Result<Vec<String>> {
    let works = super::access::works_in("t.department_id");
    sqlx::query_scalar(&format!(
        "with assigned as ( \
             select u.id from tickets t join users u on u.id = t.assignee_id \
             where t.id = $1 and {works}) \
         select e.email from tickets t join users u on u.role <> 'customer' \
         join user_emails e on e.user_id = u.id and e.is_primary \
         where t.id = $1 and {works} \
           and not exists (select 1 from api_tokens k where k.user_id = u.id and k.service) \
           and (u.id in (select id from assigned) or not exists (select 1 from assigned)) \
         order by e.email"
    ))
    .bind(ticket)
    .fetch_all(db)
    .await
}
