//! Building the MIME message of an outbox row with lettre: UTF-8
//! everywhere (RFC 2047 names and subject, RFC 2231 file names), our fixed
//! Message-ID, threading headers, text and HTML alternatives, attachments.

use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::{Address, Message};

use crate::store::outbox::ClaimedMail;

/// A file going with a mail.
pub struct OutFile {
    pub filename: String,
    pub content_type: String,
    pub bytes: Vec<u8>,
}

fn address(a: &str) -> anyhow::Result<Address> {
    a.parse::<Address>()
        .map_err(|e| anyhow::anyhow!("bad address {a:?}: {e}"))
}

fn angle(id: &str) -> String {
    format!("<{}>", id.trim_start_matches('<').trim_end_matches('>'))
}

/// The message as bytes, ready for SMTP.
pub fn compose(mail: &ClaimedMail, files: Vec<OutFile>) -> anyhow::Result<Vec<u8>> {
    let from = Mailbox::new(
        mail.from_name.clone().filter(|n| !n.is_empty()),
        address(&mail.from_addr)?,
    );
    let mut b = Message::builder()
        .from(from)
        .subject(mail.subject.clone())
        .message_id(Some(angle(&mail.mail_message_id)));
    for to in &mail.recipients {
        b = b.to(Mailbox::new(None, address(to)?));
    }
    if let Some(parent) = &mail.in_reply_to {
        b = b.in_reply_to(angle(parent));
    }
    if !mail.mail_references.is_empty() {
        b = b.references(
            mail.mail_references
                .iter()
                .map(|r| angle(r))
                .collect::<Vec<_>>()
                .join(" "),
        );
    }
    if let Some(headers) = mail.headers.as_object() {
        for (name, value) in headers {
            let Some(value) = value.as_str() else {
                continue;
            };
            let name = HeaderName::new_from_ascii(name.clone())
                .map_err(|e| anyhow::anyhow!("header name {name}: {e}"))?;
            b = b.raw_header(HeaderValue::new(name, value.to_string()));
        }
    }
    let body = match &mail.body_html {
        Some(html) => MultiPart::alternative_plain_html(mail.body_text.clone(), html.clone()),
        None => MultiPart::mixed().singlepart(SinglePart::plain(mail.body_text.clone())),
    };
    let message = if files.is_empty() {
        b.multipart(body)?
    } else {
        let mut mixed = MultiPart::mixed().multipart(body);
        for f in files {
            let ct = ContentType::parse(&f.content_type)
                .unwrap_or(ContentType::parse("application/octet-stream")?);
            mixed = mixed.singlepart(Attachment::new(f.filename).body(f.bytes, ct));
        }
        b.multipart(mixed)?
    };
    Ok(message.formatted())
}
