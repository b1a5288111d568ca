//! Who may download the original bytes of a mail: staff who may read its
//! ticket, and admins for mail on no ticket (quarantined or held). Decided
//! by the access rule like every other ticket read.

use uuid::Uuid;

use crate::domain::access::{AccessLevel, Scope, Viewer, reads_notes, scope};
use crate::service::{Error, Result};
use crate::state::AppState;
use crate::store;
use crate::store::tickets::Target;

/// The raw mail `viewer` may download; `NotFound` otherwise.
pub async fn raw_for(app: &AppState, viewer: &Viewer, raw: Uuid) -> Result<store::mail::RawRow> {
    let s = scope(viewer, AccessLevel::Read);
    // Customers never see the mail behind a message: it may carry what
    // only staff should read (other recipients, notes by mail).
    if !reads_notes(s) {
        return Err(Error::NotFound);
    }
    let row = store::mail::raw(&app.db, raw)
        .await?
        .ok_or(Error::NotFound)?;
    let visible = match row.ticket_number {
        Some(number) => store::tickets::exists(&app.db, Target::Number(number), s).await?,
        None => s == Scope::All,
    };
    if visible {
        Ok(row)
    } else {
        Err(Error::NotFound)
    }
}
