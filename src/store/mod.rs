//! All SQL, one file per aggregate. Functions take `impl PgExecutor` when
//! they run one statement and `&mut PgConnection` when they run several;
//! only `service` begins and commits transactions. No business rules here
//! beyond what a query must know (the access predicate comes from
//! `domain::access`, applied by `access::push_scope`).

pub mod access;
pub mod account_mails;
pub mod api_tokens;
pub mod attachments;
pub mod audit;
pub mod blobs;
pub mod blocked;
pub mod canned;
pub mod catalog;
pub mod counts;
pub mod departments;
pub mod erasure;
pub mod feed;
pub mod gauges;
pub mod history;
pub mod journal;
pub mod login_attempts;
pub mod mail;
pub mod mail_texts;
pub mod mailboxes;
pub mod messages;
pub mod notices;
pub mod notifications;
pub mod outbox;
pub mod queue;
pub mod ratings;
pub mod retention;
pub mod saved_searches;
pub mod search_docs;
pub mod seed;
pub mod sessions;
pub mod settings;
pub mod sla;
pub mod sla_outcomes;
pub mod stats;
pub mod ticket_views;
pub mod tickets;
pub mod users;
pub mod webhook_deliveries;
pub mod webhooks;

/// The name of the constraint a statement violated, if that is why it failed.
pub fn violated_constraint(err: &sqlx::Error) -> Option<&str> {
    match err {
        sqlx::Error::Database(db) => db.constraint(),
        _ => None,
    }
}

/// A trivial round trip.
pub async fn ping(db: impl sqlx::PgExecutor<'_>) -> sqlx::Result<()> {
    sqlx::query_scalar::<_, i32>("select 1")
        .fetch_one(db)
        .await
        .map(|_| ())
}
