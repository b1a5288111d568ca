//! The two steps every way of writing into a ticket shares: storing a
//! message with its files, and announcing a ticket just opened (search
//! feed, acknowledgement, live event). Callers own the transaction.

use sqlx::PgConnection;

use super::uploads::Upload;
use super::{Result, notifications};
use crate::app::AppState;
use crate::domain::ids::{AttachmentId, MessageId, TicketId, TicketNumber, UserId};
use crate::domain::messages::{Kind, Source};
use crate::domain::status::Status;
use crate::events::{self, Event};
use crate::store;
use crate::store::departments::DepartmentRow;
use crate::store::users::UserRow;

/// A message written on the web (portal or workspace).
pub struct Post<'a> {
    pub ticket: TicketId,
    pub kind: Kind,
    pub author: UserId,
    pub subject: Option<&'a str>,
    pub body: &'a str,
    pub uploads: &'a [Upload],
}

/// Inserts the message and its attachments (each a new reference to its
/// blob); returns the message id and the attachment ids in upload order.
pub async fn add(tx: &mut PgConnection, p: Post<'_>) -> Result<(MessageId, Vec<AttachmentId>)> {
    let id = MessageId::new();
    store::messages::insert(
        &mut *tx,
        store::messages::NewMessage {
            id,
            ticket: p.ticket,
            kind: p.kind,
            source: Source::Web,
            author: Some(p.author),
            body_text: p.body,
            body_html: None,
            subject: p.subject,
            mail_message_id: None,
        },
    )
    .await?;
    let mut files = Vec::with_capacity(p.uploads.len());
    for upload in p.uploads {
        let file = AttachmentId::new();
        store::blobs::add_ref(&mut *tx, &upload.sha256, upload.size as i64).await?;
        store::attachments::insert(
            &mut *tx,
            file,
            id,
            p.ticket,
            &upload.sha256,
            &upload.filename,
            &upload.content_type,
            upload.size as i64,
        )
        .await?;
        files.push(file);
    }
    Ok((id, files))
}

/// A ticket just inserted with its first (customer) message.
pub struct Opened<'a> {
    pub id: TicketId,
    pub number: TicketNumber,
    pub subject: &'a str,
    pub department: &'a DepartmentRow,
    pub requester: &'a UserRow,
    pub message: MessageId,
    /// Mail the requester an acknowledgement.
    pub ack: bool,
}

/// Opens the ticket's clock, feeds search, queues the acknowledgement and
/// tells live pages.
pub async fn opened(tx: &mut PgConnection, app: &AppState, o: Opened<'_>) -> Result<()> {
    store::tickets::after_message(&mut *tx, o.id, Kind::Customer, Status::Open).await?;
    store::search_log::append(&mut *tx, o.id, "upsert").await?;
    if o.ack {
        notifications::queue_ack(
            tx,
            app,
            notifications::Ack {
                ticket: o.id,
                number: o.number,
                subject: o.subject,
                department_name: &o.department.name,
                department_addresses: &o.department.addresses,
                requester: o.requester,
            },
        )
        .await?;
    }
    events::publish(
        &mut *tx,
        &Event::MessageAdded {
            ticket: o.id,
            number: o.number,
            department: o.department.id,
            message: o.message,
            kind: Kind::Customer,
        },
    )
    .await?;
    Ok(())
}
