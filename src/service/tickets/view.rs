//! The read model: typed views of a ticket shared by the agent page, the
//! portal, `bilet ticket show --json` and the API, each built in a fixed
//! number of statements whatever the ticket's length, always through the
//! access rule (customers never get internal notes or delivery state).
//!
//! | view | statements |
//! | --- | --- |
//! | [`detail`]: header, the viewer's level, links, ratings | 1 |
//! | [`view`]: the detail and the timeline of messages with files | 2 |
//! | [`view`] for staff: also the history events | 3 |
//! | [`workbench`]: canned responses, assignable people, departments | 1 |

use sqlx::PgPool;

use crate::domain::access::{AccessLevel, Viewer, reads_notes, scope};
use crate::domain::ids::{DepartmentId, TicketNumber};
use crate::service::{Error, Result};
use crate::store;
use crate::store::history::HistoryRow;
use crate::store::ticket_views::{DetailRow, MessageRow, WorkbenchRow};
use crate::store::tickets::{Target, TicketState};

pub use crate::store::ticket_views::{DeliveryRef, FileRef, LinkRef, RatingRef};

/// A ticket's header, if `viewer` may read it.
pub async fn detail(db: &PgPool, viewer: &Viewer, number: TicketNumber) -> Result<DetailRow> {
    store::ticket_views::detail(
        db,
        viewer,
        scope(viewer, AccessLevel::Read),
        Target::Number(number),
    )
    .await?
    .ok_or(Error::NotFound)
}

/// The ticket's own columns if `viewer` reaches it at `need`.
pub async fn find(
    db: &PgPool,
    viewer: &Viewer,
    number: TicketNumber,
    need: AccessLevel,
) -> Result<TicketState> {
    store::tickets::find_visible(db, scope(viewer, need), number)
        .await?
        .ok_or(Error::NotFound)
}

/// A ticket as its readers see it.
#[derive(Debug, Clone)]
pub struct TicketView {
    pub ticket: DetailRow,
    pub messages: Vec<MessageRow>,
    /// Status, assignee, department and priority changes (staff only).
    pub history: Vec<HistoryRow>,
}

impl TicketView {
    /// The tickets a late reply continued this one in.
    pub fn continued_in(&self) -> Vec<TicketNumber> {
        self.links("reopened_as", true)
    }

    /// The closed tickets this one continues.
    pub fn continues(&self) -> Vec<TicketNumber> {
        self.links("reopened_as", false)
    }

    /// The ticket this one was split off from (one link row, old → new).
    pub fn split_from(&self) -> Option<TicketNumber> {
        self.links("split", false).into_iter().next()
    }

    /// The tickets split off this one.
    pub fn split_into(&self) -> Vec<TicketNumber> {
        self.links("split", true)
    }

    fn links(&self, kind: &str, outgoing: bool) -> Vec<TicketNumber> {
        self.ticket
            .links
            .0
            .iter()
            .filter(|l| l.kind == kind && l.outgoing == outgoing)
            .map(|l| l.number)
            .collect()
    }
}

/// Everything a ticket page shows, through the access rule.
pub async fn view(db: &PgPool, viewer: &Viewer, number: TicketNumber) -> Result<TicketView> {
    let s = scope(viewer, AccessLevel::Read);
    let ticket = store::ticket_views::detail(db, viewer, s, Target::Number(number))
        .await?
        .ok_or(Error::NotFound)?;
    let messages = store::ticket_views::timeline(db, s, ticket.id).await?;
    let history = if reads_notes(s) {
        store::history::for_ticket(db, ticket.id).await?
    } else {
        Vec::new()
    };
    Ok(TicketView {
        ticket,
        messages,
        history,
    })
}

/// A mail message's sanitised HTML, if `viewer` may read its ticket and
/// it has any.
pub async fn mail_html(
    db: &PgPool,
    viewer: &Viewer,
    message: crate::domain::ids::MessageId,
) -> Result<String> {
    store::ticket_views::mail_html(db, scope(viewer, AccessLevel::Read), message)
        .await?
        .ok_or(Error::NotFound)
}

/// What an agent works a ticket of `department` with.
pub async fn workbench(db: &PgPool, department: DepartmentId) -> Result<WorkbenchRow> {
    Ok(store::ticket_views::workbench(db, department).await?)
}
