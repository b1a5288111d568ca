//! The one function that turns the domain's access [`Scope`] into SQL.
//! Every query that reads or changes tickets (or what hangs off them:
//! messages, attachments, history) calls it with the ticket aliased `t`.

use sqlx::{Postgres, QueryBuilder};

use crate::domain::access::{Scope, reads_notes};

/// Appends ` and <t is within scope>`.
pub fn push_scope(qb: &mut QueryBuilder<'_, Postgres>, scope: Scope) {
    match scope {
        Scope::All => {
            qb.push(" and true");
        }
        Scope::Nothing => {
            qb.push(" and false");
        }
        Scope::Departments { agent, at_least } => {
            qb.push(
                " and exists (select 1 from agent_departments ad \
                 where ad.department_id = t.department_id and ad.user_id = ",
            )
            .push_bind(agent)
            .push(" and ad.level >= ")
            .push_bind(at_least)
            .push(")");
        }
        Scope::Customer { user, organisation } => {
            // One IN over a union rather than ORs: each branch uses its own
            // index (requester, participant, organisation).
            qb.push(" and t.id in (select r.id from tickets r where r.requester_id = ")
                .push_bind(user)
                .push(" union all select p.ticket_id from ticket_participants p where p.portal_access and p.user_id = ")
                .push_bind(user);
            if let Some(org) = organisation {
                qb.push(
                    " union all select o.id from tickets o join organisations g on g.id = o.organisation_id \
                     where g.shared_tickets and o.organisation_id = ",
                )
                .push_bind(org);
            }
            qb.push(")");
        }
    }
}

/// Appends ` and <message m is readable in scope>`: customers never read
/// internal notes. Used with [`push_scope`] on the message's ticket.
pub fn push_message_filter(qb: &mut QueryBuilder<'_, Postgres>, scope: Scope) {
    if !reads_notes(scope) {
        qb.push(" and m.kind in ('customer', 'agent')");
    }
}
