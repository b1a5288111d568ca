//! The change journal's vocabulary: what kind of change an entry records.
//! Entries are written by the write path's commit only; readers (search,
//! SLA, webhooks, statistics, the API's event feed) filter on these kinds
//! and on the department and status before and after, without a join.

use serde::{Deserialize, Serialize};

/// What one journal entry records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "journal_kind", rename_all = "snake_case")]
#[serde(rename_all = "snake_case")]
pub enum JournalKind {
    /// A ticket was opened (portal, mail, agent, split, continuation).
    Opened,
    /// A message was added (customer, agent reply, internal note, system).
    Message,
    Status,
    Priority,
    Assignee,
    /// A transfer to another department.
    Department,
    /// Merged into another ticket (on the source) or received one (target).
    Merged,
    /// A message was split out (on the source) or this ticket was split off.
    Split,
    /// The customer rated the ticket or a reply.
    Rated,
    /// Linked to another ticket (continuation, mention).
    Linked,
    /// Someone joined the conversation (a Cc by mail).
    Participant,
    /// A service-level warning or breach (the escalation job).
    Sla,
    /// A customer's content was erased on request (data protection).
    Erased,
}

impl JournalKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JournalKind::Opened => "opened",
            JournalKind::Message => "message",
            JournalKind::Status => "status",
            JournalKind::Priority => "priority",
            JournalKind::Assignee => "assignee",
            JournalKind::Department => "department",
            JournalKind::Merged => "merged",
            JournalKind::Split => "split",
            JournalKind::Rated => "rated",
            JournalKind::Linked => "linked",
            JournalKind::Participant => "participant",
            JournalKind::Sla => "sla",
            JournalKind::Erased => "erased",
        }
    }
}

/// The opaque name of a journal position: the API feed's cursors and event
/// ids, and webhooks' `Bilet-Event-Id`, so the two can be matched.
pub fn cursor(txid: i64, seq: i64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("j:{txid}:{seq}"))
}
