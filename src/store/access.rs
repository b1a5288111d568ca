//! The SQL twin of `domain::access`: [`push_scope`] turns the domain's
//! access [`Scope`] into the one predicate every query that reads or
//! changes tickets (or what hangs off them: messages, attachments, history)
//! carries, with the ticket aliased `t`; [`push_level`] and [`works_in`]
//! are the twins of the level and "works a department" rules. No other
//! SQL decides who may see or act on a ticket.

use sqlx::{Postgres, QueryBuilder};

use crate::domain::access::{AccessLevel, Grants, Scope, Viewer, WORKS_IN, reads_notes};
use crate::domain::ids::{DepartmentId, TokenId, UserId};
use crate::domain::users::Role;

/// ` and ALIAS.level >= 'LEVEL'`, the level written into the text (one of
/// three names of our own enum): bound, it made the generic plan of every
/// queue statement guess its selectivity and cost more than a custom one,
/// so PostgreSQL planned each execution afresh (4-5 ms of a queue page at
/// a million tickets).
fn level_at_least(alias: &str, level: AccessLevel) -> String {
    format!(" and {alias}.level >= '{}'", level.as_str())
}

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
            .push(level_at_least("ad", at_least))
            .push(")");
        }
        Scope::Token {
            token,
            agent,
            at_least,
        } => {
            push_token_departments(qb, token, at_least, "t.department_id");
            if let Some(agent) = agent {
                push_scope(qb, Scope::Departments { agent, at_least });
            }
        }
        Scope::Customer {
            user,
            organisation,
            mail_proven,
        } => {
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
            if !mail_proven {
                qb.push(
                    " and not exists (select 1 from messages um where um.ticket_id = t.id \
                     and um.source = 'email' and um.author_id = ",
                )
                .push_bind(user)
                .push(")");
            }
        }
    }
}

/// ` and <department is listed for the token at `at_least` or above>`.
fn push_token_departments(
    qb: &mut QueryBuilder<'_, Postgres>,
    token: TokenId,
    at_least: AccessLevel,
    department: &str,
) {
    qb.push(format!(
        " and {department} in (select td.department_id from api_token_departments td where td.token_id = "
    ))
    .push_bind(token)
    .push(level_at_least("td", at_least))
    .push(")");
}

/// The search index's twin of [`push_scope`]: the index holds per-ticket
/// keys only (department, requester, portal participants, organisation,
/// mail authors), and what can change without a ticket changing (an
/// agent's grants, whether an organisation shares its tickets) is read
/// here, when the query runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchKeys {
    All,
    Departments(Vec<DepartmentId>),
    Customer {
        user: UserId,
        /// The customer's organisation, only while it shares its tickets.
        organisation: Option<crate::domain::ids::OrganisationId>,
        mail_proven: bool,
    },
    Nothing,
}

/// The keys `scope` may search.
pub async fn search_keys(db: impl sqlx::PgExecutor<'_>, scope: Scope) -> sqlx::Result<SearchKeys> {
    Ok(match scope {
        Scope::All => SearchKeys::All,
        Scope::Nothing => SearchKeys::Nothing,
        Scope::Departments { agent, at_least } => SearchKeys::Departments(
            sqlx::query_scalar(
                "select ad.department_id from agent_departments ad where ad.user_id = $1 and ad.level >= $2",
            )
            .bind(agent)
            .bind(at_least)
            .fetch_all(db)
            .await?,
        ),
        Scope::Token {
            token,
            agent,
            at_least,
        } => SearchKeys::Departments(
            sqlx::query_scalar(
                "select td.department_id from api_token_departments td where td.token_id = $1 and td.level >= $2 \
                 and ($3::uuid is null or exists (select 1 from agent_departments ad \
                     where ad.user_id = $3 and ad.department_id = td.department_id and ad.level >= $2))",
            )
            .bind(token)
            .bind(at_least)
            .bind(agent)
            .fetch_all(db)
            .await?,
        ),
        Scope::Customer {
            user,
            organisation,
            mail_proven,
        } => {
            let shared = match organisation {
                Some(org) => sqlx::query_scalar::<_, bool>(
                    "select shared_tickets from organisations where id = $1",
                )
                .bind(org)
                .fetch_optional(db)
                .await?
                .unwrap_or(false),
                None => false,
            };
            SearchKeys::Customer {
                user,
                organisation: organisation.filter(|_| shared),
                mail_proven,
            }
        }
    })
}

/// Appends ` and <the department in column `department` is within scope>`:
/// the twin of [`push_scope`] for rows kept by department (the maintained
/// counts). Customers' scope is by ticket, never by department: nothing.
pub fn push_department_scope(qb: &mut QueryBuilder<'_, Postgres>, scope: Scope, department: &str) {
    match scope {
        Scope::All => {}
        Scope::Departments { agent, at_least } => {
            qb.push(format!(
                " and {department} in (select ad.department_id from agent_departments ad where ad.user_id = "
            ))
            .push_bind(agent)
            .push(level_at_least("ad", at_least))
            .push(")");
        }
        Scope::Token {
            token,
            agent,
            at_least,
        } => {
            push_token_departments(qb, token, at_least, department);
            if let Some(agent) = agent {
                push_department_scope(qb, Scope::Departments { agent, at_least }, department);
            }
        }
        Scope::Customer { .. } | Scope::Nothing => {
            qb.push(" and false");
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

/// Appends the viewer's access level in ticket `t`'s department as an SQL
/// expression (null: none), the twin of `Grants::level_in`. For customers
/// it is `reply` once the row is within their scope: they never manage.
pub fn push_level(qb: &mut QueryBuilder<'_, Postgres>, viewer: &Viewer) {
    if viewer.disabled {
        qb.push("null::access_level");
        return;
    }
    // A token's level is the least of its user's, its own and (read-only) read.
    if let Some(n) = viewer.narrowing {
        qb.push("least(");
        push_level(
            qb,
            &Viewer {
                narrowing: None,
                ..*viewer
            },
        );
        if n.departments {
            qb.push(
                ", (select td.level from api_token_departments td \
                 where td.department_id = t.department_id and td.token_id = ",
            )
            .push_bind(n.token)
            .push(")");
        }
        if n.read_only {
            qb.push(", 'read'::access_level");
        }
        qb.push(")");
        return;
    }
    match viewer.role {
        Role::Admin => {
            qb.push("'manage'::access_level");
        }
        Role::Agent => {
            qb.push(
                "(select ad.level from agent_departments ad \
                 where ad.department_id = t.department_id and ad.user_id = ",
            )
            .push_bind(viewer.user_id)
            .push(")");
        }
        Role::Customer => {
            qb.push("'reply'::access_level");
        }
    }
}

/// The SQL predicate "user `u` works department `department`" (an SQL
/// expression such as `t.department_id` or `$1`): enabled staff at
/// `WORKS_IN` or above there, or admins. The twin of `access::works_in`;
/// used for assignees, notices, transfers and staff mail.
pub fn works_in(department: &str) -> String {
    format!(
        "(u.disabled_at is null and (u.role = 'admin' or (u.role = 'agent' and exists ( \
             select 1 from agent_departments ad where ad.user_id = u.id \
             and ad.department_id = {department} and ad.level >= '{}'))))",
        WORKS_IN.as_str()
    )
}

/// One staff member's grants, for the live stream (in-memory twin).
pub async fn grants(db: impl sqlx::PgExecutor<'_>, user: UserId) -> sqlx::Result<Option<Grants>> {
    let row: Option<(Role, bool, Vec<DepartmentId>, Vec<AccessLevel>)> = sqlx::query_as(
        "select u.role, u.disabled_at is not null, \
                coalesce(array_agg(ad.department_id) filter (where ad.department_id is not null), '{}'), \
                coalesce(array_agg(ad.level) filter (where ad.department_id is not null), '{}') \
         from users u left join agent_departments ad on ad.user_id = u.id \
         where u.id = $1 group by u.id",
    )
    .bind(user)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(role, disabled, ds, ls)| Grants {
        admin: role == Role::Admin,
        disabled: disabled || role == Role::Customer,
        departments: ds.into_iter().zip(ls).collect(),
    }))
}

/// Whether `viewer` may open a ticket in `department`: customers in the
/// departments shown to them, staff where they work (admins anywhere).
pub async fn may_open(
    db: impl sqlx::PgExecutor<'_>,
    viewer: &Viewer,
    department: DepartmentId,
) -> sqlx::Result<bool> {
    if viewer.disabled || viewer.narrowing.is_some_and(|n| n.read_only) {
        return Ok(false);
    }
    let sql = match viewer.role {
        Role::Customer => {
            "select $2::uuid is not null and (exists (select 1 from departments where id = $1 and customer_visible) \
                 or exists (select 1 from help_topics where department_id = $1 and customer_visible))"
                .to_string()
        }
        Role::Agent | Role::Admin => format!(
            "select exists (select 1 from users u where u.id = $2 and {})",
            works_in("$1")
        ),
    };
    // A token narrowed to departments opens tickets only where it may reply.
    let sql = format!(
        "{sql} and ($3::uuid is null or exists (select 1 from api_token_departments td \
             where td.token_id = $3 and td.department_id = $1 and td.level >= '{}'))",
        WORKS_IN.as_str()
    );
    let token = viewer.narrowing.filter(|n| n.departments).map(|n| n.token);
    sqlx::query_scalar(&sql)
        .bind(department)
        .bind(viewer.user_id)
        .bind(token)
        .fetch_one(db)
        .await
}

/// Whether `user` works `department` (may be assigned its tickets).
pub async fn works_in_department(
    db: impl sqlx::PgExecutor<'_>,
    user: UserId,
    department: DepartmentId,
) -> sqlx::Result<bool> {
    sqlx::query_scalar(&format!(
        "select exists (select 1 from users u where u.id = $1 and {})",
        works_in("$2")
    ))
    .bind(user)
    .bind(department)
    .fetch_one(db)
    .await
}

/// The grants of the user of a live session (None: the session ended, or
/// the account is disabled or a customer's). One statement: what a live
/// stream runs to re-check, never per event.
pub async fn session_grants(
    db: impl sqlx::PgExecutor<'_>,
    session: crate::domain::ids::SessionId,
) -> sqlx::Result<Option<Grants>> {
    let row: Option<(Role, Vec<DepartmentId>, Vec<AccessLevel>)> = sqlx::query_as(
        "select u.role, \
                coalesce(array_agg(ad.department_id) filter (where ad.department_id is not null), '{}'), \
                coalesce(array_agg(ad.level) filter (where ad.department_id is not null), '{}') \
         from sessions s join users u on u.id = s.user_id \
         left join agent_departments ad on ad.user_id = u.id \
         where s.id = $1 and s.expires_at > now() and u.disabled_at is null and u.role <> 'customer' \
         group by u.id",
    )
    .bind(session)
    .fetch_optional(db)
    .await?;
    Ok(row.map(|(role, ds, ls)| Grants {
        admin: role == Role::Admin,
        disabled: false,
        departments: ds.into_iter().zip(ls).collect(),
    }))
}
