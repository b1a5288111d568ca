//! A customer's content erased from one ticket (data protection), as one
//! step of the write path: the journal entry makes every reader re-read
//! the ticket (search forgets the words, statistics drop the comments),
//! and the live event refreshes open pages. On a ticket the customer
//! asked, everything written there goes, agents' replies and notes too
//! (they quote and address the customer), and the subject becomes a dash;
//! elsewhere only what the customer wrote. The ticket, its times, people
//! and ratings' stars stay, so history and statistics still add up.

use serde_json::json;
use sqlx::PgConnection;

use super::write::TicketWrite;
use crate::domain::ids::UserId;
use crate::domain::journal::JournalKind;
use crate::service::Result;
use crate::store;

/// What an erased ticket's subject becomes: no words, in no language.
pub const ERASED_SUBJECT: &str = "—";

pub(super) async fn apply(
    w: &mut TicketWrite<'_>,
    tx: &mut PgConnection,
    customer: UserId,
) -> Result<store::erasure::Removed> {
    let whole = w.t.requester_id == customer;
    let author = (!whole).then_some(customer);
    let removed = store::erasure::messages(&mut *tx, w.t.id, author).await?;
    store::erasure::ratings_and_mail(&mut *tx, w.t.id, customer, whole).await?;
    let before = w.t.clone();
    if whole {
        w.t.subject = ERASED_SUBJECT.to_string();
    }
    let data = json!({
        "customer": customer,
        "whole": whole,
        "messages": removed.messages,
        "files": removed.files,
    });
    w.step(JournalKind::Erased, before, None, data.clone(), None);
    w.audit.push(("ticket.erased", data));
    Ok(removed)
}
