//! The ticket as JSON: what `bilet ticket show --json` prints and what the
//! REST API will return, built from the read model. Times in RFC 3339 UTC;
//! numbers as strings; all text decoded to UTF-8; `body_text` is the whole
//! text (quoted history included: only the display folds it). The fields
//! are listed in the README ("The ticket representation").

use serde_json::{Value, json};
use sqlx::PgPool;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

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

fn person(email: Option<&str>, name: Option<&str>) -> Value {
    match email {
        Some(e) => json!({ "email": e, "name": name.unwrap_or(e) }),
        None => Value::Null,
    }
}

/// The whole ticket, for operators (every message, notes included).
pub async fn ticket_json(db: &PgPool, number: TicketNumber) -> Result<Value> {
    let operator = crate::domain::access::Viewer {
        user_id: crate::domain::ids::UserId(uuid::Uuid::nil()),
        role: crate::domain::users::Role::Admin,
        organisation_id: None,
        disabled: false,
        mail_proven: true,
    };
    let t = store::ticket_views::detail(db, &operator, Scope::All, Target::Number(number))
        .await?
        .ok_or(Error::NotFound)?;
    let messages = store::ticket_views::timeline(db, Scope::All, t.id).await?;
    Ok(represent(&t, &messages))
}

/// The ticket as the person with this address sees it: `NotFound` when
/// they may not read it (or there is no such person); customers get no
/// internal notes.
pub async fn ticket_json_as(db: &PgPool, email: &str, number: TicketNumber) -> Result<Value> {
    let user = store::users::find_by_email(db, email)
        .await?
        .ok_or(Error::NotFound)?;
    let view = super::view::view(db, &user.viewer(), number).await?;
    Ok(represent(&view.ticket, &view.messages))
}

/// The representation of a ticket and its messages.
pub fn represent(t: &DetailRow, messages: &[MessageRow]) -> Value {
    let messages: Vec<Value> = messages
        .iter()
        .map(|m| {
            let attachments: Vec<Value> = m
                .files
                .0
                .iter()
                .map(|a| json!({ "id": a.id.to_string(), "filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.sha256 }))
                .collect();
            json!({
                "id": m.id.to_string(),
                "kind": m.kind.as_str(),
                "author": person(m.author_email.as_deref(), m.author_name.as_deref()),
                "source": m.source.as_str(),
                "created_at": rfc3339(m.created_at),
                "message_id": m.mail_message_id,
                "to": m.to_addrs,
                "cc": m.cc_addrs,
                "subject": m.subject,
                "body_text": m.body_text,
                "threading": m.threading_note,
                "attachments": attachments,
            })
        })
        .collect();
    let links: Vec<Value> = t
        .links
        .0
        .iter()
        .map(|l| json!({ "kind": l.kind, "direction": if l.outgoing { "to" } else { "from" }, "number": l.number.to_string() }))
        .collect();
    json!({
        "number": t.number.to_string(),
        "subject": t.subject,
        "department": t.department_slug,
        "status": t.status.as_str(),
        "priority": t.priority.as_str(),
        "requester": { "email": t.requester_email, "name": t.requester_name },
        "assignee": person(t.assignee_email.as_deref(), t.assignee_name.as_deref()),
        "version": t.version,
        "created_at": rfc3339(t.created_at),
        "last_activity_at": rfc3339(t.last_activity_at),
        "first_response_at": t.first_response_at.map(rfc3339),
        "resolved_at": t.resolved_at.map(rfc3339),
        "closed_at": t.closed_at.map(rfc3339),
        "merged_into": t.merged_into.map(|n| n.to_string()),
        "links": links,
        "sla": {
            "first_response_due": t.first_response_due_at.map(rfc3339),
            "next_response_due": t.next_response_due_at.map(rfc3339),
            "resolution_due": t.resolution_due_at.map(rfc3339),
            "paused": t.sla_owed && t.status == crate::domain::status::Status::Pending,
            "breaches": t.sla_breaches.0.iter().map(|b| json!({
                "target": b.target,
                "due": rfc3339(b.due),
                "at": rfc3339(b.at),
            })).collect::<Vec<_>>(),
        },
        "messages": messages,
    })
}
