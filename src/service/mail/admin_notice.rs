//! Mail to the admins about the helpdesk itself (not about a ticket): a
//! webhook switched off. One mail per admin, in their language, through
//! the outbox, in the transaction that made the change.

use serde_json::json;
use sqlx::PgConnection;

use super::notifications::mail_domain;
use crate::state::AppState;
use crate::store;

/// Tells every admin that the webhook `id` to `url` was switched off for
/// `reason` (`gone` or `failing`).
pub async fn webhook_disabled(
    db: &mut PgConnection,
    app: &AppState,
    id: i64,
    url: &str,
    reason: &str,
) -> anyhow::Result<()> {
    let link = format!("{}admin/webhooks/{id}", app.config.http.public_url);
    for admin in store::notifications::admins_to_tell(&mut *db).await? {
        let locale = super::notifications::locale_or_default(app, admin.locale.as_deref());
        let args = [
            ("url", url.to_string().into()),
            (
                "reason",
                locale.t(&format!("bell-webhook-reason-{reason}")).into(),
            ),
        ];
        let text = format!(
            "{}\n\n{}\n{link}\n",
            locale.t_with("mail-webhook-disabled", &args),
            locale.t("mail-webhook-disabled-next")
        );
        let message_id = format!(
            "webhook.{}@{}",
            uuid::Uuid::new_v4().simple(),
            mail_domain(app)
        );
        store::outbox::insert(
            &mut *db,
            store::outbox::NewOutbound {
                ticket: None,
                message: None,
                kind: "notification",
                from_addr: &format!("noreply@{}", mail_domain(app)),
                from_name: Some(&app.settings.get().helpdesk_name),
                mail_message_id: &message_id,
                in_reply_to: None,
                references: &[],
                subject: &locale.t_with("mail-webhook-disabled-subject", &args),
                body_text: &text,
                body_html: None,
                headers: json!({ "Auto-Submitted": "auto-generated" }),
                to: std::slice::from_ref(&admin.email),
                attachments: &[],
            },
        )
        .await?;
    }
    Ok(())
}
