//! Mail handed over by the local MTA: over LMTP (`mail::lmtp`, listener in
//! `jobs::lmtp`) or through a pipe (`bilet mail ingest -`). Both ask
//! whether a recipient is Bilet's before taking the mail, and both take it
//! through the one intake path, so de-duplication and routing are the
//! IMAP path's. A copy counts as delivered once intake has stored it
//! (quarantined included); when nothing could be stored the MTA is told to
//! try again.

use super::intake::{Envelope, ingest};
use crate::domain::email::normalize;
use crate::domain::ids::DepartmentId;
use crate::mail::lmtp::{Delivery, Outcome, Verdict};
use crate::service::Result;
use crate::state::AppState;
use crate::store;

/// Whether Bilet takes mail for `address`, and the department it goes to
/// when nothing else decides (None: not Bilet's). Bounce addresses of the
/// outbox are Bilet's.
pub async fn recipient(app: &AppState, address: &str) -> Result<Option<Option<DepartmentId>>> {
    let Some(address) = normalize(address) else {
        return Ok(None);
    };
    if super::routing::verp_or_relay(app, &address) {
        return Ok(Some(None));
    }
    Ok(store::mail::recipient(&app.db, &address).await?)
}

/// Takes one copy of a mail for `to`: whether it is stored.
pub async fn deliver(app: &AppState, raw: &[u8], to: &str) -> Outcome {
    let department = match recipient(app, to).await {
        Ok(d) => d.flatten(),
        // The department is only a fallback; intake tells if the database
        // is really away.
        Err(_) => None,
    };
    let env = Envelope {
        recipient: normalize(to),
        notify: true,
        default_department: department,
        ..Envelope::default()
    };
    let report = ingest(app, raw, &env).await;
    match report.outcome {
        "deferred" => Outcome::TryLater,
        _ => Outcome::Stored,
    }
}

/// The LMTP listener's view of the helpdesk.
pub struct Intake(pub AppState);

impl Delivery for Intake {
    async fn accepts(&self, to: &str) -> Verdict {
        match recipient(&self.0, to).await {
            Ok(Some(_)) => Verdict::Accept,
            Ok(None) => Verdict::Unknown,
            Err(err) => {
                tracing::warn!(error = ?err, "LMTP: cannot check a recipient");
                Verdict::TryLater
            }
        }
    }

    async fn deliver(&self, raw: &[u8], _sender: &str, to: &str) -> Outcome {
        deliver(&self.0, raw, to).await
    }
}
