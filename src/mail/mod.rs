//! Mail: our Message-IDs now; the IMAP gateway and SMTP sender later.

pub mod message_id;
