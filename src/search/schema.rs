//! The index's fields: one document per ticket. Words go in twice, raw
//! (lower-cased, ё folded, with positions for phrases and exact ranking)
//! and stemmed; access keys and filters are untokenized ids; the date sort
//! is one u64 so keyset pages need a single range.

use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

use super::analysis::{RAW, STEM};

/// Bumped when the fields change: an index of another version is rebuilt.
pub const VERSION: u32 = 2;

/// Every field, by name.
#[derive(Debug, Clone, Copy)]
pub struct Fields {
    /// The ticket id: the key a re-index deletes by.
    pub ticket: Field,
    pub number: Field,
    pub subject: Field,
    pub subject_stem: Field,
    /// Customer and agent messages: what customers may search.
    pub body: Field,
    pub body_stem: Field,
    /// Internal notes: staff only.
    pub notes: Field,
    pub notes_stem: Field,
    /// Requester's name and addresses (`from:`).
    pub requester_words: Field,
    /// Participants' names and addresses.
    pub people: Field,
    /// Assignee's and replying agents' names and addresses (`agent:`).
    pub agent_words: Field,
    /// Their ids (`agent:me`).
    pub agents: Field,
    /// The assignee's id, or "none".
    pub assignee: Field,
    pub files: Field,
    pub department: Field,
    pub status: Field,
    pub priority: Field,
    pub has_attachment: Field,
    pub created: Field,
    pub updated: Field,
    /// Last activity in seconds << 32 | number: the date order and its keyset.
    pub recent: Field,
    /// Creation in seconds << 32 | number: the other date order.
    pub opened: Field,
    // Access keys, resolved against the viewer's scope at query time.
    pub requester: Field,
    pub participants: Field,
    pub organisation: Field,
    /// Who wrote to the ticket by mail: hidden from a customer whose address
    /// is not proven, as in SQL.
    pub mail_authors: Field,
}

fn text(tokenizer: &str, positions: bool, stored: bool) -> TextOptions {
    let record = if positions {
        IndexRecordOption::WithFreqsAndPositions
    } else {
        IndexRecordOption::WithFreqs
    };
    let options = TextOptions::default().set_indexing_options(
        TextFieldIndexing::default()
            .set_tokenizer(tokenizer)
            .set_index_option(record),
    );
    if stored {
        options.set_stored()
    } else {
        options
    }
}

/// The schema and its fields.
pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let fields = Fields {
        ticket: b.add_text_field("ticket", STRING | STORED),
        number: b.add_u64_field("number", INDEXED | STORED | FAST),
        subject: b.add_text_field("subject", text(RAW, true, true)),
        subject_stem: b.add_text_field("subject_stem", text(STEM, false, false)),
        body: b.add_text_field("body", text(RAW, true, true)),
        body_stem: b.add_text_field("body_stem", text(STEM, false, false)),
        notes: b.add_text_field("notes", text(RAW, true, true)),
        notes_stem: b.add_text_field("notes_stem", text(STEM, false, false)),
        requester_words: b.add_text_field("requester_words", text(RAW, true, false)),
        people: b.add_text_field("people", text(RAW, true, false)),
        agent_words: b.add_text_field("agent_words", text(RAW, true, false)),
        agents: b.add_text_field("agents", STRING),
        assignee: b.add_text_field("assignee", STRING),
        files: b.add_text_field("files", text(RAW, true, false)),
        department: b.add_text_field("department", STRING),
        status: b.add_text_field("status", STRING),
        priority: b.add_text_field("priority", STRING),
        has_attachment: b.add_u64_field("has_attachment", INDEXED),
        created: b.add_date_field("created", INDEXED | FAST),
        updated: b.add_date_field("updated", INDEXED | FAST),
        recent: b.add_u64_field("recent", INDEXED | FAST),
        opened: b.add_u64_field("opened", INDEXED | FAST),
        requester: b.add_text_field("requester", STRING),
        participants: b.add_text_field("participants", STRING),
        organisation: b.add_text_field("organisation", STRING),
        mail_authors: b.add_text_field("mail_authors", STRING),
    };
    (b.build(), fields)
}

/// The fields of an opened index's schema (built by [`build`]).
pub fn fields(schema: &Schema) -> tantivy::Result<Fields> {
    let f = |name: &str| schema.get_field(name);
    Ok(Fields {
        ticket: f("ticket")?,
        number: f("number")?,
        subject: f("subject")?,
        subject_stem: f("subject_stem")?,
        body: f("body")?,
        body_stem: f("body_stem")?,
        notes: f("notes")?,
        notes_stem: f("notes_stem")?,
        requester_words: f("requester_words")?,
        people: f("people")?,
        agent_words: f("agent_words")?,
        agents: f("agents")?,
        assignee: f("assignee")?,
        files: f("files")?,
        department: f("department")?,
        status: f("status")?,
        priority: f("priority")?,
        has_attachment: f("has_attachment")?,
        created: f("created")?,
        updated: f("updated")?,
        recent: f("recent")?,
        opened: f("opened")?,
        requester: f("requester")?,
        participants: f("participants")?,
        organisation: f("organisation")?,
        mail_authors: f("mail_authors")?,
    })
}

/// The date-order key: seconds of last activity, then the number.
pub fn recent_key(last_activity_unix: i64, number: i64) -> u64 {
    ((last_activity_unix.max(0) as u64) << 32) | (number.max(0) as u64 & 0xffff_ffff)
}
