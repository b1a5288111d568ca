//! The mail that tells a department's managers a promise is about to break
//! or has broken, in each manager's language and time zone.

use serde_json::json;
use sqlx::PgConnection;
use time::OffsetDateTime;

use super::notifications::{mail_domain, tagged_subject};
use crate::domain::ids::MessageId;
use crate::domain::sla_clock::TargetKind;
use crate::i18n::Formatter;
use crate::state::AppState;
use crate::store;
use crate::store::notifications::Manager;
use crate::store::tickets::TicketState;

/// What happened to which promise.
pub struct Escalated<'a> {
    pub ticket: &'a TicketState,
    pub department_name: &'a str,
    pub breach: bool,
    pub target: TargetKind,
    pub due: OffsetDateTime,
}

/// One mail per manager (their language differs), through the outbox.
pub async fn queue(
    db: &mut PgConnection,
    app: &AppState,
    managers: &[Manager],
    e: &Escalated<'_>,
) -> anyhow::Result<()> {
    let t = e.ticket;
    let now = OffsetDateTime::now_utc();
    let link = format!("{}agent/tickets/{}", app.config.http.public_url, t.number);
    for m in managers {
        let locale = super::notifications::locale_or_default(app, m.locale.as_deref());
        let zone = m
            .time_zone
            .as_deref()
            .unwrap_or(&app.config.i18n.default_time_zone);
        let tz = jiff::tz::TimeZone::get(zone).unwrap_or(jiff::tz::TimeZone::UTC);
        let fmt = Formatter::new(locale.clone(), tz);
        let target = locale.t(&format!("sla-target-{}", e.target.as_str()));
        let (when, _) = fmt.due(e.due, now);
        let what = if e.breach {
            "mail-sla-breach"
        } else {
            "mail-sla-warning"
        };
        let args = [
            ("number", t.number.to_string().into()),
            ("subject", t.subject.clone().into()),
            ("department", e.department_name.to_string().into()),
            ("target", target.clone().into()),
            ("due", fmt.exact(e.due).into()),
            ("when", when.into()),
        ];
        let text = format!("{}\n\n--\n{link}\n", locale.t_with(what, &args));
        let subject = locale.t_with(&format!("{what}-subject"), &args);
        let message_id = crate::mail::message_id::generate(
            &app.secrets.message_id_key,
            t.number,
            MessageId::new(),
            &mail_domain(app),
        );
        store::outbox::insert(
            db,
            store::outbox::NewOutbound {
                ticket: Some(t.id),
                message: None,
                kind: "notification",
                from_addr: &format!("noreply@{}", mail_domain(app)),
                from_name: Some(&app.settings.get().helpdesk_name),
                mail_message_id: &message_id,
                in_reply_to: None,
                references: &[],
                subject: &tagged_subject(app, t.number, &subject),
                body_text: &text,
                body_html: None,
                headers: json!({ "Auto-Submitted": "auto-generated" }),
                to: std::slice::from_ref(&m.email),
                attachments: &[],
            },
        )
        .await?;
    }
    Ok(())
}
