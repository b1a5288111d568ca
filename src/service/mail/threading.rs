//! Which ticket a mail answers, and whether its sender may write there.
//! Our signed Message-ID, then In-Reply-To/References matching a stored
//! Message-ID, then the subject tag (from the requester or a participant
//! only). A signed Message-ID proves which ticket a mail answers, not who
//! sent it: mail from a staff address goes to the staff policy (storing.rs)
//! whatever matched, and never becomes a customer message.

use crate::domain::ids::TicketNumber;
use crate::domain::users::Role;
use crate::mail::message_id;
use crate::mail::parse::ParsedMail;
use crate::mail::threading as rules;
use crate::state::AppState;
use crate::store;
use crate::store::tickets::TicketState;

/// Where a mail belongs.
pub(super) enum Thread {
    /// A ticket the sender takes part in (or answers by Message-ID).
    Found(TicketState, String),
    /// A ticket matched, and the sender is staff.
    Staff(TicketState, String),
    /// A tag of a ticket the sender has no part in: a new ticket linked to it.
    Mentioned(TicketState),
    None,
}

/// The ticket with this number, following merges to where the
/// conversation went.
async fn ticket(app: &AppState, number: TicketNumber) -> anyhow::Result<Option<TicketState>> {
    let all = crate::domain::access::Scope::All;
    let mut t = store::tickets::find_visible(&app.db, all, number).await?;
    for _ in 0..5 {
        match t.as_ref().and_then(|t| t.merged_into_id) {
            Some(into) => match store::tickets::number_of(&app.db, into).await? {
                Some(n) => t = store::tickets::find_visible(&app.db, all, n).await?,
                None => break,
            },
            None => break,
        }
    }
    Ok(t)
}

pub(super) async fn find_thread(
    app: &AppState,
    m: &ParsedMail,
    sender: &(String, Option<String>),
) -> anyhow::Result<Thread> {
    let user = store::users::find_by_email(&app.db, &sender.0).await?;
    let staff = user.as_ref().is_some_and(|u| u.role != Role::Customer);
    let found = |t: TicketState, how: String| {
        if staff {
            Thread::Staff(t, how)
        } else {
            Thread::Found(t, how)
        }
    };
    let ids = rules::referenced_ids(m);
    for id in &ids {
        if let Some((number, _)) = message_id::verify(&app.secrets.message_id_key, id)
            && let Some(t) = ticket(app, number).await?
        {
            return Ok(found(t, "threaded by Bilet's signed Message-ID".into()));
        }
    }
    if let Some((number, matched)) = store::mail::ticket_by_mail_ids(&app.db, &ids).await?
        && let Some(t) = ticket(app, number).await?
    {
        let how = if m.in_reply_to.iter().any(|r| rules::clean_id(r) == matched) {
            "In-Reply-To"
        } else {
            "References"
        };
        return Ok(found(t, format!("threaded by {how}")));
    }
    let subject = m.subject.as_deref().unwrap_or("");
    if let Some(number) = rules::tag_number(subject, &app.config.mail.tag_prefixes())
        && let Some(t) = ticket(app, number).await?
    {
        if staff {
            return Ok(Thread::Staff(t, "threaded by subject tag".into()));
        }
        let known = match &user {
            Some(u) => store::mail::is_participant(&app.db, t.id, u.id).await?,
            None => false,
        };
        return Ok(if known {
            Thread::Found(t, "threaded by subject tag".into())
        } else {
            Thread::Mentioned(t)
        });
    }
    Ok(Thread::None)
}
