//! The `webhooks` journal reader, one for the cluster: each entry that
//! makes an event becomes one delivery per enabled subscription that
//! follows the event and the ticket's department (before or after a
//! transfer), in the transaction that moves the reader's position. So an
//! event is queued exactly once, and in journal order.

use sqlx::PgConnection;
use time::format_description::well_known::Rfc3339;

use crate::domain::journal::cursor;
use crate::domain::webhooks::Event;
use crate::service::Result;
use crate::service::journal::{Apply, Reach, Reader};
use crate::state::AppState;
use crate::store;
use crate::store::journal::Entry;
use crate::store::webhook_deliveries::{EventSource, NewDelivery};

pub struct Webhooks;

impl Reader for Webhooks {
    fn name(&self) -> &'static str {
        "webhooks"
    }

    fn reach(&self) -> Reach {
        Reach::Cluster
    }

    fn apply<'a>(
        &'a self,
        app: &'a AppState,
        tx: &'a mut PgConnection,
        entries: &'a [Entry],
    ) -> Apply<'a> {
        Box::pin(queue(app, tx, entries))
    }
}

async fn queue(app: &AppState, tx: &mut PgConnection, entries: &[Entry]) -> Result<()> {
    let subscriptions = store::webhooks::subscriptions(&mut *tx).await?;
    if subscriptions.is_empty() {
        return Ok(());
    }
    let wanted: Vec<_> = entries
        .iter()
        .filter(|e| Event::of(e.kind, &e.data).is_some())
        .filter(|e| {
            subscriptions
                .iter()
                .any(|s| s.kinds.contains(&e.kind) && s.follows(e.position()))
        })
        .map(Entry::position)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let mut deliveries = Vec::new();
    for source in store::webhook_deliveries::sources(&mut *tx, &wanted).await? {
        let Some(event) = Event::of(source.kind, &source.data) else {
            continue;
        };
        let body = body(app, event, &source);
        for s in &subscriptions {
            let department = s.department_id.is_none_or(|d| {
                d == source.department_after || Some(d) == source.department_before
            });
            let at = crate::store::journal::Position {
                txid: source.txid,
                seq: source.seq,
            };
            if s.kinds.contains(&source.kind) && department && s.follows(at) {
                deliveries.push(NewDelivery {
                    webhook_id: s.id,
                    event_id: cursor(source.txid, source.seq),
                    event: event.as_str(),
                    ticket_id: source.ticket_id,
                    body: body.clone(),
                });
            }
        }
    }
    store::webhook_deliveries::enqueue(&mut *tx, &deliveries).await?;
    Ok(())
}

/// The JSON a receiver gets: what happened and enough of the ticket to act
/// on it; the rest is one API call away.
fn body(app: &AppState, event: Event, s: &EventSource) -> String {
    let mut link = app.config.http.public_url.clone();
    link.set_path(&format!("/agent/tickets/{}", s.number));
    serde_json::json!({
        "id": cursor(s.txid, s.seq),
        "event": event.as_str(),
        "at": s.at.format(&Rfc3339).unwrap_or_default(),
        "ticket": {
            "number": s.number.to_string(),
            "subject": s.subject,
            "department": s.department,
            "status": s.status_after.as_str(),
            "priority": s.priority.as_str(),
            "version": s.version,
            "url": link.as_str(),
        },
        "department_was": s.department_was.as_ref().filter(|w| **w != s.department),
        "status_was": s.status_before.map(|x| x.as_str()),
        "message": s.message_id.map(|m| serde_json::json!({
            "id": m.to_string(),
            "kind": s.message_kind.map(|k| k.as_str()),
        })),
        "actor": s.actor_email,
        "data": s.data,
    })
    .to_string()
}
