//! What a message is and where it came from.

use serde::{Deserialize, Serialize};

/// Who speaks in a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "message_kind", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    /// The requester or another participant.
    Customer,
    /// An agent's public reply.
    Agent,
    /// An internal note: staff only, never mailed.
    Note,
    /// Bilet itself (e.g. "continued from #1041").
    System,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Customer => "customer",
            Kind::Agent => "agent",
            Kind::Note => "note",
            Kind::System => "system",
        }
    }
}

/// How a message arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, sqlx::Type)]
#[sqlx(type_name = "message_source", rename_all = "lowercase")]
#[serde(rename_all = "lowercase")]
pub enum Source {
    Web,
    Email,
    Api,
    System,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Web => "web",
            Source::Email => "email",
            Source::Api => "api",
            Source::System => "system",
        }
    }
}

/// The longest message body accepted from a form, in characters.
pub const MAX_BODY: usize = 100_000;
/// The longest subject, in characters.
pub const MAX_SUBJECT: usize = 200;
