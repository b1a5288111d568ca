//! The ticket as JSON: what `bilet ticket show --json` prints and what the
//! REST API will return. Times in RFC 3339 UTC; numbers as strings; all
//! text decoded to UTF-8; `body_text` is the whole text (quoted history
//! included: only the display folds it).

use serde_json::{Value, json};
use sqlx::PgPool;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::{Error, Result};
use crate::domain::access::Scope;
use crate::domain::ids::TicketNumber;
use crate::store;

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

/// The whole ticket.
pub async fn ticket_json(db: &PgPool, number: TicketNumber) -> Result<Value> {
    let t = store::tickets::detail(db, Scope::All, number)
        .await?
        .ok_or(Error::NotFound)?;
    let department = store::departments::list(db)
        .await?
        .into_iter()
        .find(|d| d.id == t.department_id)
        .map(|d| d.slug);
    let assignee = match t.assignee_id {
        Some(a) => store::users::find(db, a)
            .await?
            .map(|u| json!({ "email": u.email, "name": u.name })),
        None => None,
    };
    let files = store::attachments::list_for_ticket(db, Scope::All, t.id).await?;
    let messages: Vec<Value> = store::messages::full_for_ticket(db, t.id)
        .await?
        .into_iter()
        .map(|m| {
            let attachments: Vec<Value> = files
                .iter()
                .filter(|a| a.message_id == m.id)
                .map(|a| json!({ "id": a.id.to_string(), "filename": a.filename, "content_type": a.content_type, "size": a.size, "sha256": a.blob_sha256 }))
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
    Ok(json!({
        "number": t.number.to_string(),
        "subject": t.subject,
        "department": department,
        "status": t.status.as_str(),
        "priority": t.priority.as_str(),
        "requester": { "email": t.requester_email, "name": t.requester_name },
        "assignee": assignee,
        "created_at": rfc3339(t.created_at),
        "messages": messages,
    }))
}
