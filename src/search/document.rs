//! A ticket as one index document, from what `store::search_docs` read.

use std::collections::HashMap;

use tantivy::{DateTime, TantivyDocument};

use super::schema::{Fields, recent_key};
use crate::domain::ids::TicketId;
use crate::domain::messages::Kind;
use crate::store::search_docs::{Batch, FileDoc, MessageDoc, ParticipantDoc, TicketDoc};

/// A ticket's text beyond this is not indexed (a 200-message ticket of
/// pasted logs): bounded memory per document.
const TICKET_CHARS: usize = 1_000_000;

fn date(at: time::OffsetDateTime) -> DateTime {
    DateTime::from_timestamp_micros((at.unix_timestamp_nanos() / 1000) as i64)
}

/// The documents of a batch, one per ticket that is still searchable
/// (merged tickets are left out: their messages live on in the target).
pub fn build(fields: &Fields, batch: Batch) -> Vec<(TicketId, Option<TantivyDocument>)> {
    let mut messages: HashMap<TicketId, Vec<MessageDoc>> = HashMap::new();
    for m in batch.messages {
        messages.entry(m.ticket_id).or_default().push(m);
    }
    let mut participants: HashMap<TicketId, Vec<ParticipantDoc>> = HashMap::new();
    for p in batch.participants {
        participants.entry(p.ticket_id).or_default().push(p);
    }
    let mut files: HashMap<TicketId, Vec<FileDoc>> = HashMap::new();
    for f in batch.files {
        files.entry(f.ticket_id).or_default().push(f);
    }
    batch
        .tickets
        .into_iter()
        .map(|t| {
            let id = t.id;
            if t.merged {
                return (id, None);
            }
            let doc = ticket(
                fields,
                t,
                messages.remove(&id).unwrap_or_default(),
                participants.remove(&id).unwrap_or_default(),
                files.remove(&id).unwrap_or_default(),
            );
            (id, Some(doc))
        })
        .collect()
}

fn ticket(
    f: &Fields,
    t: TicketDoc,
    messages: Vec<MessageDoc>,
    participants: Vec<ParticipantDoc>,
    files: Vec<FileDoc>,
) -> TantivyDocument {
    let mut doc = TantivyDocument::new();
    doc.add_text(f.ticket, t.id.to_string());
    doc.add_u64(f.number, t.number.0.max(0) as u64);
    doc.add_text(f.subject, &t.subject);
    doc.add_text(f.subject_stem, &t.subject);
    doc.add_text(f.status, t.status.as_str());
    doc.add_text(f.priority, t.priority.as_str());
    doc.add_text(f.department, t.department_id.to_string());
    doc.add_text(f.requester, t.requester_id.to_string());
    doc.add_text(f.requester_words, &t.requester_words);
    if let Some(org) = t.organisation_id {
        doc.add_text(f.organisation, org.to_string());
    }
    match t.assignee_id {
        Some(a) => {
            doc.add_text(f.agents, a.to_string());
            doc.add_text(f.assignee, a.to_string());
        }
        None => doc.add_text(f.assignee, "none"),
    }
    if let Some(words) = &t.assignee_words {
        doc.add_text(f.agent_words, words);
    }
    doc.add_date(f.created, date(t.created_at));
    doc.add_date(f.updated, date(t.last_activity_at));
    doc.add_u64(
        f.recent,
        recent_key(t.last_activity_at.unix_timestamp(), t.number.0),
    );
    doc.add_u64(
        f.opened,
        recent_key(t.created_at.unix_timestamp(), t.number.0),
    );
    let mut budget = TICKET_CHARS;
    let mut agents_seen = Vec::new();
    for m in messages {
        if m.by_mail
            && let Some(a) = m.author_id
        {
            doc.add_text(f.mail_authors, a.to_string());
        }
        if m.author_is_staff
            && let Some(a) = m.author_id
            && !agents_seen.contains(&a)
        {
            agents_seen.push(a);
            doc.add_text(f.agents, a.to_string());
            if let Some(words) = &m.author_words {
                doc.add_text(f.agent_words, words);
            }
        }
        if budget == 0 {
            continue;
        }
        let body: String = m.body.chars().take(budget).collect();
        budget = budget.saturating_sub(body.chars().count());
        let (raw, stem) = if m.kind == Kind::Note {
            (f.notes, f.notes_stem)
        } else {
            (f.body, f.body_stem)
        };
        doc.add_text(raw, &body);
        doc.add_text(stem, &body);
    }
    for p in participants {
        doc.add_text(f.people, &p.words);
        if p.portal_access {
            doc.add_text(f.participants, p.user_id.to_string());
        }
    }
    doc.add_u64(f.has_attachment, u64::from(!files.is_empty()));
    for file in files {
        doc.add_text(f.files, &file.filename);
    }
    doc
}
