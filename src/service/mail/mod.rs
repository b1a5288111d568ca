//! The mail gateway's use cases: taking mail in (intake → threading →
//! routing → storing, one path for IMAP, `bilet mail ingest` and retries),
//! the mailboxes it polls, the outbox sender, the mails Bilet writes, and
//! who may download a raw mail, and how long raw mail is kept.

pub mod admin_notice;
mod authres;
pub mod connection;
pub mod delivery;
pub mod escalation;
pub mod intake;
pub mod lmtp;
pub mod mailboxes;
pub mod notifications;
pub mod outbox;
pub mod raw;
pub mod resolved;
pub mod retention;
mod routing;
mod storing;
pub mod texts;
mod threading;

pub use intake::{Envelope, Report, content_hash, ingest, retry, retry_due};
pub use raw::raw_for;
