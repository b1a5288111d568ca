//! The "your ticket is resolved" mail, with five signed star links that
//! rate the ticket without signing in (`service::rating_links`). Written
//! to the outbox in the resolving transaction, in the requester's
//! language and the department's text (`texts`), threaded under the
//! ticket's earlier mail.

use serde_json::json;
use sqlx::PgConnection;

use crate::domain::ids::MessageId;
use crate::service::mail::notifications::{
    from_address, locale_of, mail_domain, tagged_subject, ticket_link,
};
use crate::service::mail::texts::{self, MailKind, Star};
use crate::service::rating_links;
use crate::state::AppState;
use crate::store;
use crate::store::departments::DepartmentRow;
use crate::store::tickets::TicketState;
use crate::store::users::UserRow;

/// Queues the resolved mail to the requester (through the outbox).
pub async fn queue(
    db: &mut PgConnection,
    app: &AppState,
    ticket: &TicketState,
    requester: &UserRow,
    department: &DepartmentRow,
) -> anyhow::Result<()> {
    let locale = locale_of(app, requester);
    let token = rating_links::token_for(app, requester, ticket.number);
    let stars: Vec<Star> = (1..=5)
        .map(|n| Star {
            n,
            link: rating_links::url(app, &token, n),
        })
        .collect();
    let link = ticket_link(app, requester, ticket.number);
    let number = ticket.number.to_string();
    let text = texts::for_ticket(&mut *db, ticket.id, MailKind::Resolved, &locale).await?;
    let mail = texts::render(
        &text,
        &texts::Fill {
            customer_name: &requester.name,
            department_name: &department.name,
            ticket_number: &number,
            ticket_subject: &ticket.subject,
            ticket_link: Some(&link),
            stars: Some(&stars),
            ..texts::Fill::default()
        },
        &locale,
    );
    // Signed like every ticket mail: an answer to it threads back.
    let message_id = crate::mail::message_id::generate(
        &app.secrets.message_id_key,
        ticket.number,
        MessageId::new(),
        &mail_domain(app),
    );
    // Every earlier mail of the ticket (no message is left out).
    let thread = store::messages::mail_ids(&mut *db, ticket.id, MessageId::new()).await?;
    let from = from_address(app, &department.addresses);
    store::outbox::insert(
        db,
        store::outbox::NewOutbound {
            ticket: Some(ticket.id),
            message: None,
            kind: "resolved",
            from_addr: &from,
            from_name: Some(&department.name),
            mail_message_id: &message_id,
            in_reply_to: thread.last().map(String::as_str),
            references: &thread,
            subject: &tagged_subject(app, ticket.number, &mail.subject),
            body_text: &mail.text,
            body_html: Some(&mail.html),
            // RFC 3834: sent by Bilet itself, not typed by a person.
            headers: json!({ "Auto-Submitted": "auto-generated" }),
            to: std::slice::from_ref(&requester.email),
            attachments: &[],
        },
    )
    .await?;
    Ok(())
}
