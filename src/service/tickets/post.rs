//! A message as the write path stores it, from whatever entry point: the
//! text, the sanitised HTML of a mail, its files (already in the blob
//! store), the mail facts for threading; and the mail it causes.

use sqlx::PgConnection;

use super::commit::Mail;
use super::write::TicketWrite;
use crate::domain::ids::{AttachmentId, MessageId, UserId};
use crate::domain::messages::{Kind, Source};
use crate::domain::status::Status;
use crate::service::Result;
use crate::service::tickets::uploads::Upload;
use crate::store;

/// A file of a message whose bytes are already in the blob store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFile {
    pub sha256: String,
    pub size: i64,
    pub filename: String,
    pub content_type: String,
    /// The Content-ID of an inline mail part.
    pub content_id: Option<String>,
    pub inline: bool,
}

impl From<&Upload> for NewFile {
    fn from(u: &Upload) -> Self {
        NewFile {
            sha256: u.sha256.clone(),
            size: u.size as i64,
            filename: u.filename.clone(),
            content_type: u.content_type.clone(),
            content_id: None,
            inline: false,
        }
    }
}

/// What a mail says about where it belongs.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MailFacts {
    pub message_id: Option<String>,
    pub in_reply_to: Option<String>,
    pub references: Vec<String>,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub raw_mail: Option<uuid::Uuid>,
    /// Why the gateway put it here ("threaded by References", ...).
    pub threading_note: String,
}

/// A message to add.
#[derive(Debug, Clone)]
pub struct Post {
    pub kind: Kind,
    pub source: Source,
    pub author: Option<UserId>,
    pub subject: Option<String>,
    pub body_text: String,
    /// Sanitised HTML of a mail; inline `cid:` references are rewritten to
    /// our own downloads.
    pub body_html: Option<String>,
    pub mail: Option<MailFacts>,
    pub files: Vec<NewFile>,
    /// An agent reply's "send and set status".
    pub then: Option<Status>,
    /// Stored without changing the ticket or telling anyone (automatic mail).
    pub silent: bool,
    /// Tell the other side: mail an agent reply to the requester, tell the
    /// agents about a customer message.
    pub notify: bool,
}

impl Post {
    /// A message written on a web page (portal or workspace).
    pub fn web(kind: Kind, author: UserId, body: &str, uploads: &[Upload]) -> Post {
        Post {
            kind,
            source: Source::Web,
            author: Some(author),
            subject: None,
            body_text: body.to_string(),
            body_html: None,
            mail: None,
            files: uploads.iter().map(NewFile::from).collect(),
            then: None,
            silent: false,
            notify: true,
        }
    }
}

/// Inserts the message and its files; returns its id.
pub(super) async fn insert(
    w: &TicketWrite<'_>,
    tx: &mut PgConnection,
    p: &Post,
) -> Result<(MessageId, Vec<AttachmentId>)> {
    let id = MessageId::new();
    let file_ids: Vec<AttachmentId> = p.files.iter().map(|_| AttachmentId::new()).collect();
    let mut html = p.body_html.clone();
    if let Some(h) = html.as_mut() {
        for (f, fid) in p.files.iter().zip(&file_ids) {
            if let Some(cid) = &f.content_id {
                *h = h.replace(&format!("cid:{cid}"), &format!("/attachments/{fid}"));
            }
        }
    }
    // A reply that will be mailed carries its signed Message-ID from the
    // start, so that answers to it thread back.
    let mut mail_id = p.mail.as_ref().and_then(|m| m.message_id.clone());
    if mails_reply(w, p) {
        mail_id = Some(crate::mail::message_id::generate(
            &w.app.secrets.message_id_key,
            w.t.number,
            id,
            &super::commit::mail_domain(w.app),
        ));
    }
    let facts = p.mail.clone().unwrap_or_default();
    store::messages::insert(
        &mut *tx,
        store::messages::NewMessage {
            id,
            ticket: w.t.id,
            kind: p.kind,
            source: p.source,
            author: p.author,
            subject: p.subject.as_deref(),
            body_text: &p.body_text,
            body_html: html.as_deref(),
            mail_message_id: mail_id.as_deref(),
            in_reply_to: facts.in_reply_to.as_deref(),
            references: &facts.references,
            to: &facts.to,
            cc: &facts.cc,
            raw_mail: facts.raw_mail,
            threading_note: Some(&facts.threading_note)
                .filter(|n| !n.is_empty())
                .map(|n| n.as_str()),
            automatic: p.silent,
        },
    )
    .await?;
    if !p.files.is_empty() {
        let rows: Vec<store::attachments::NewAttachment> = p
            .files
            .iter()
            .zip(&file_ids)
            .map(|(f, fid)| store::attachments::NewAttachment {
                id: *fid,
                sha256: f.sha256.clone(),
                filename: f.filename.clone(),
                content_type: f.content_type.clone(),
                size: f.size,
                content_id: f.content_id.clone(),
                inline: f.inline,
            })
            .collect();
        store::attachments::insert_many(&mut *tx, id, w.t.id, &rows).await?;
        let shas: Vec<String> = rows.iter().map(|r| r.sha256.clone()).collect();
        crate::service::blob_gc::kept(w.app, &shas).await?;
    }
    Ok((id, file_ids))
}

fn mails_reply(w: &TicketWrite<'_>, p: &Post) -> bool {
    p.kind == Kind::Agent && p.notify && !p.silent && w.app.settings.get().notify_replies
}

/// The mail a message causes, for the commit to write.
pub(super) fn queue_mails(
    w: &mut TicketWrite<'_>,
    message: MessageId,
    files: Vec<AttachmentId>,
    p: &Post,
) {
    if mails_reply(w, p) {
        w.mails.push(Mail::Reply {
            message,
            body: p.body_text.clone(),
            files,
        });
    } else if p.kind == Kind::Customer && p.notify && w.app.settings.get().notify_agents {
        let author = w.actor.user().map(|u| u.name.clone()).unwrap_or_default();
        w.mails.push(Mail::AgentNotice {
            author,
            body: p.body_text.clone(),
        });
    }
}
