//! Where a new mail goes: who the requester is (From, or Reply-To when From
//! is a relay such as a website form), which department (a routing rule,
//! then the recipient address, then the mailbox's default), and a readable
//! title when the mail has no subject.

use super::intake::Mail;
use crate::domain::ids::DepartmentId;
use crate::mail::parse::ParsedMail;
use crate::mail::{route, verp};
use crate::state::AppState;
use crate::store;

/// The requester's address: From, or Reply-To when From is a relay (a
/// website form sending as noreply@).
/// A mail with no readable sender gets a requester of its own, at an
/// address under `.invalid` (RFC 2606) that no one can sign in to or
/// receive mail at: strangers' tickets never share one account.
pub(super) fn sender_address(
    app: &AppState,
    m: &ParsedMail,
    raw_id: uuid::Uuid,
) -> (String, Option<String>) {
    let relays = &app.settings.get().relay_addresses;
    let from = m.from.clone();
    match (&from, &m.reply_to) {
        (Some(f), Some(r)) if relays.contains(&f.address) => (r.address.clone(), r.name.clone()),
        (Some(f), _) => (f.address.clone(), f.name.clone()),
        (None, Some(r)) => (r.address.clone(), r.name.clone()),
        (None, None) => (
            m.return_path
                .clone()
                .filter(|r| !r.is_empty())
                .unwrap_or_else(|| format!("unknown-sender+{}@invalid", raw_id.simple())),
            None,
        ),
    }
}

pub(super) async fn route_department(
    app: &AppState,
    mail: &Mail<'_>,
    sender: &(String, Option<String>),
) -> anyhow::Result<Option<(DepartmentId, &'static str)>> {
    let addresses = store::mail::department_addresses(&app.db).await?;
    let rules: Vec<route::Rule> = store::mail::rules(&app.db)
        .await?
        .into_iter()
        .map(|(_, kind, pattern, d)| match kind.as_str() {
            "sender_domain" => route::Rule::SenderDomain(pattern, d),
            _ => route::Rule::SubjectContains(pattern, d),
        })
        .collect();
    let mut envelope = mail.m.delivered_to.clone();
    envelope.extend(mail.env.recipient.clone());
    let default = match mail.env.default_department {
        Some(d) => Some(d),
        // No mailbox (a CLI import without --to): the first department.
        None => store::departments::list(&app.db)
            .await?
            .first()
            .map(|d| d.id),
    };
    Ok(route::route(
        &route::Input {
            to: &mail.m.to,
            cc: &mail.m.cc,
            envelope: &envelope,
            sender: &sender.0,
            subject: mail.m.subject.as_deref().unwrap_or(""),
        },
        |a| addresses.get(a).copied(),
        &rules,
        default,
    ))
}

pub(super) fn verp_or_relay(app: &AppState, address: &str) -> bool {
    verp::outbox_id(&app.secrets.session_key, address).is_some()
        || app
            .settings
            .get()
            .relay_addresses
            .iter()
            .any(|r| r == address)
}

/// A readable title for a mail without a subject: its first words.
pub(super) fn placeholder_subject(text: &str) -> String {
    let first: String = text
        .split_whitespace()
        .take(8)
        .collect::<Vec<_>>()
        .join(" ");
    if first.is_empty() {
        "(no subject)".into()
    } else {
        format!(
            "(no subject) {}",
            first.chars().take(80).collect::<String>()
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mails_without_subject_get_a_readable_title() {
        assert_eq!(
            placeholder_subject("Сайт не открывается с утра, помогите пожалуйста срочно очень"),
            "(no subject) Сайт не открывается с утра, помогите пожалуйста срочно"
        );
        assert_eq!(placeholder_subject(""), "(no subject)");
    }
}
