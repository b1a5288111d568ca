//! The ticket as JSON: what `bilet ticket show --json` prints and what the
//! REST API will return, built from the read model. Times in RFC 3339 UTC;
//! numbers as strings; all text decoded to UTF-8; `body_text` is the whole
//! text (quoted history included: only the display folds it). The fields
//! are listed in the README ("The ticket representation").

use serde::Serialize;
use sqlx::PgPool;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use utoipa::ToSchema;

use crate::domain::access::Scope;
use crate::domain::ids::TicketNumber;
use crate::service::{Error, Result};
use crate::store;
use crate::store::ticket_views::{DetailRow, MessageRow};
use crate::store::tickets::Target;

fn rfc3339(at: OffsetDateTime) -> String {
    at.to_offset(time::UtcOffset::UTC)
        .format(&Rfc3339)
        .unwrap_or_default()
}

fn person(email: Option<&str>, name: Option<&str>) -> Option<Person> {
    email.map(|e| Person {
        email: e.to_string(),
        name: name.unwrap_or(e).to_string(),
    })
}

/// The whole ticket, for operators (every message, notes included).
pub async fn ticket_json(db: &PgPool, number: TicketNumber) -> Result<serde_json::Value> {
    let operator = crate::domain::access::Viewer {
        user_id: crate::domain::ids::UserId(uuid::Uuid::nil()),
        role: crate::domain::users::Role::Admin,
        organisation_id: None,
        disabled: false,
        mail_proven: true,
        narrowing: None,
    };
    let t = store::ticket_views::detail(db, &operator, Scope::All, Target::Number(number))
        .await?
        .ok_or(Error::NotFound)?;
    let messages = store::ticket_views::timeline(db, Scope::All, t.id).await?;
    json(represent(&t, &messages))
}

/// The ticket as the person with this address sees it: `NotFound` when
/// they may not read it (or there is no such person); customers get no
/// internal notes.
pub async fn ticket_json_as(
    db: &PgPool,
    email: &str,
    number: TicketNumber,
) -> Result<serde_json::Value> {
    let user = store::users::find_by_email(db, email)
        .await?
        .ok_or(Error::NotFound)?;
    let view = super::view::view(db, &user.viewer(), number).await?;
    json(represent(&view.ticket, &view.messages))
}

fn json(t: Ticket) -> Result<serde_json::Value> {
    serde_json::to_value(t).map_err(|e| Error::Internal(e.into()))
}

/// A person: their address and display name.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Person {
    pub email: String,
    pub name: String,
}

/// A file attached to a message; download it from
/// `/api/v1/attachments/{id}`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Attachment {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// One message of the conversation.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Message {
    pub id: String,
    /// customer, agent, note (internal, staff only) or system.
    pub kind: String,
    pub author: Option<Person>,
    /// web, email, api…
    pub source: String,
    pub created_at: String,
    /// The mail's Message-ID, for mail in and out.
    pub message_id: Option<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: Option<String>,
    /// The whole text, quoted history included.
    pub body_text: String,
    /// Why the mail gateway filed it here, when it had to guess.
    pub threading: Option<String>,
    pub attachments: Vec<Attachment>,
}

/// A link to another ticket (split, merge, continuation, mention).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Link {
    pub kind: String,
    /// "to": this ticket links to the other; "from": the other to this.
    pub direction: String,
    pub number: String,
}

/// A service-level target that was missed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Breach {
    pub target: String,
    pub due: String,
    pub at: String,
}

/// The ticket's service-level state.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Sla {
    pub first_response_due: Option<String>,
    pub next_response_due: Option<String>,
    pub resolution_due: Option<String>,
    /// Waiting on the customer: the clock stands still.
    pub paused: bool,
    pub breaches: Vec<Breach>,
}

/// A ticket with its messages. Times are RFC 3339 in UTC; numbers are
/// strings.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Ticket {
    pub number: String,
    pub subject: String,
    /// The department's slug.
    pub department: String,
    pub status: String,
    pub priority: String,
    pub requester: Person,
    pub assignee: Option<Person>,
    /// Bumped by every change; the ETag of the ticket.
    pub version: i32,
    pub created_at: String,
    pub last_activity_at: String,
    pub first_response_at: Option<String>,
    pub resolved_at: Option<String>,
    pub closed_at: Option<String>,
    pub merged_into: Option<String>,
    pub links: Vec<Link>,
    pub sla: Sla,
    pub messages: Vec<Message>,
}

/// The representation of a ticket and its messages.
pub fn represent(t: &DetailRow, messages: &[MessageRow]) -> Ticket {
    let messages = messages
        .iter()
        .map(|m| Message {
            id: m.id.to_string(),
            kind: m.kind.as_str().to_string(),
            author: person(m.author_email.as_deref(), m.author_name.as_deref()),
            source: m.source.as_str().to_string(),
            created_at: rfc3339(m.created_at),
            message_id: m.mail_message_id.clone(),
            to: m.to_addrs.clone(),
            cc: m.cc_addrs.clone(),
            subject: m.subject.clone(),
            body_text: m.body_text.clone(),
            threading: m.threading_note.clone(),
            attachments: m
                .files
                .0
                .iter()
                .map(|a| Attachment {
                    id: a.id.to_string(),
                    filename: a.filename.clone(),
                    content_type: a.content_type.clone(),
                    size: a.size,
                    sha256: a.sha256.clone(),
                })
                .collect(),
        })
        .collect();
    let links = t
        .links
        .0
        .iter()
        .map(|l| Link {
            kind: l.kind.clone(),
            direction: if l.outgoing { "to" } else { "from" }.to_string(),
            number: l.number.to_string(),
        })
        .collect();
    Ticket {
        number: t.number.to_string(),
        subject: t.subject.clone(),
        department: t.department_slug.clone(),
        status: t.status.as_str().to_string(),
        priority: t.priority.as_str().to_string(),
        requester: Person {
            email: t.requester_email.clone(),
            name: t.requester_name.clone(),
        },
        assignee: person(t.assignee_email.as_deref(), t.assignee_name.as_deref()),
        version: t.version,
        created_at: rfc3339(t.created_at),
        last_activity_at: rfc3339(t.last_activity_at),
        first_response_at: t.first_response_at.map(rfc3339),
        resolved_at: t.resolved_at.map(rfc3339),
        closed_at: t.closed_at.map(rfc3339),
        merged_into: t.merged_into.map(|n| n.to_string()),
        links,
        sla: Sla {
            first_response_due: t.first_response_due_at.map(rfc3339),
            next_response_due: t.next_response_due_at.map(rfc3339),
            resolution_due: t.resolution_due_at.map(rfc3339),
            paused: t.sla_owed && t.status == crate::domain::status::Status::Pending,
            breaches: t
                .sla_breaches
                .0
                .iter()
                .map(|b| Breach {
                    target: b.target.clone(),
                    due: rfc3339(b.due),
                    at: rfc3339(b.at),
                })
                .collect(),
        },
        messages,
    }
}

/// The ticket as `viewer` may see it (API): `NotFound` out of reach;
/// customers get no internal notes.
pub async fn ticket_for(
    db: &PgPool,
    viewer: &crate::domain::access::Viewer,
    number: TicketNumber,
) -> Result<Ticket> {
    let s = crate::domain::access::scope(viewer, crate::domain::access::AccessLevel::Read);
    let t = store::ticket_views::detail(db, viewer, s, Target::Number(number))
        .await?
        .ok_or(Error::NotFound)?;
    let messages = store::ticket_views::timeline(db, s, t.id).await?;
    Ok(represent(&t, &messages))
}
