//! Bulk actions from a queue: the same change on every ticket ticked, each
//! in its own write with the version its row showed, so a ticket that
//! changed since the queue was loaded is refused like a stale form, and
//! one refusal does not undo the others. The result says exactly what
//! happened to each ticket.

use super::Change;
use crate::domain::ids::{DepartmentId, TicketNumber, UserId};
use crate::domain::status::Status;
use crate::service::{Conflict, Error, Result};
use crate::state::AppState;
use crate::store;
use crate::store::users::UserRow;

/// What to do to every ticket.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BulkOp {
    Assign(Option<UserId>),
    Status(Status),
    Transfer(DepartmentId),
}

/// Why one ticket was left as it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Out of reach (or no such ticket).
    NotFound,
    /// Visible, but the agent's level is too low.
    Forbidden,
    /// Changed since the queue was shown.
    Stale,
    /// Already so.
    Unchanged,
    /// The assignee does not work in the ticket's department.
    AssigneeElsewhere {
        assignee: String,
        department: String,
    },
    /// Another reason, as a notice key.
    Other(&'static str),
}

/// What a bulk action did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BulkResult {
    pub total: usize,
    pub changed: usize,
    pub refused: Vec<(TicketNumber, Refusal)>,
}

/// Applies `op` to each `(ticket, version)`.
pub async fn apply(
    app: &AppState,
    agent: &UserRow,
    tickets: &[(TicketNumber, Option<i32>)],
    op: BulkOp,
) -> Result<BulkResult> {
    let mut out = BulkResult {
        total: tickets.len(),
        ..BulkResult::default()
    };
    for (number, version) in tickets {
        let change = match op {
            BulkOp::Assign(to) => Change::Assign(to),
            BulkOp::Status(s) => Change::Status(s),
            BulkOp::Transfer(d) => Change::Transfer(d),
        };
        let refusal = match super::agent::change(app, agent, *number, *version, change).await {
            Ok(()) => {
                out.changed += 1;
                continue;
            }
            Err(Error::NotFound) => Refusal::NotFound,
            Err(Error::Forbidden) => Refusal::Forbidden,
            Err(Error::Conflict(Conflict::Stale)) => Refusal::Stale,
            Err(Error::Conflict(Conflict::Unchanged)) => Refusal::Unchanged,
            Err(Error::Conflict(other)) => Refusal::Other(other.as_str()),
            Err(Error::Invalid(e)) => match (op, e.0.first().map(|f| f.key)) {
                (BulkOp::Assign(Some(user)), Some("error-assignee-no-access")) => {
                    let (assignee, department) =
                        store::tickets::names_for_refusal(&app.db, *number, user).await?;
                    Refusal::AssigneeElsewhere {
                        assignee,
                        department,
                    }
                }
                (_, key) => Refusal::Other(key.unwrap_or("invalid")),
            },
            Err(other) => return Err(other),
        };
        out.refused.push((*number, refusal));
    }
    Ok(out)
}
