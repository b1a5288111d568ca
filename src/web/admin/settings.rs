//! Admin: helpdesk-wide settings.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Form, Router};
use serde::Deserialize;

use super::saved;
use crate::service::catalog::settings::Settings;
use crate::service::{self, FieldErrors};
use crate::state::AppState;
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/settings", get(show).post(update))
}

const MB: u64 = 1024 * 1024;

/// templates/admin/settings.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/settings.html")]
pub struct SettingsPage {
    page: PageCtx,
    form: SettingsForm,
    errors: FieldErrors,
}

#[derive(Deserialize, Default)]
pub struct SettingsForm {
    #[serde(default)]
    helpdesk_name: String,
    #[serde(default)]
    default_locale: String,
    #[serde(default)]
    max_file_mb: String,
    #[serde(default)]
    max_message_mb: String,
    #[serde(default)]
    relay_addresses: String,
    #[serde(default)]
    notify_ack: String,
    #[serde(default)]
    notify_replies: String,
    #[serde(default)]
    notify_agents: String,
}

fn flag(b: bool) -> String {
    if b { "1".into() } else { String::new() }
}

/// GET /admin/settings
async fn show(State(app): State<AppState>, AdminUser(_): AdminUser, page: PageCtx) -> SettingsPage {
    let s = app.settings.get();
    SettingsPage {
        page,
        form: SettingsForm {
            helpdesk_name: s.helpdesk_name.clone(),
            default_locale: s.default_locale.clone(),
            max_file_mb: (s.max_file_bytes / MB).to_string(),
            max_message_mb: (s.max_message_bytes / MB).to_string(),
            relay_addresses: s.relay_addresses.join("\n"),
            notify_ack: flag(s.notify_ack),
            notify_replies: flag(s.notify_replies),
            notify_agents: flag(s.notify_agents),
        },
        errors: FieldErrors::default(),
    }
}

/// POST /admin/settings
async fn update(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Form(form): Form<SettingsForm>,
) -> Result<Response, WebError> {
    let mut errors = FieldErrors::default();
    let file: Option<u64> = form
        .max_file_mb
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0 && *n <= 1024);
    let total: Option<u64> = form
        .max_message_mb
        .trim()
        .parse()
        .ok()
        .filter(|n| *n > 0 && *n <= 4096);
    if file.is_none() {
        errors.add("max_file_mb", "error-limit");
    }
    if total.is_none() {
        errors.add("max_message_mb", "error-limit");
    }
    let result = match (file, total) {
        (Some(file), Some(total)) if errors.is_empty() => {
            let new = Settings {
                helpdesk_name: form.helpdesk_name.clone(),
                default_locale: form.default_locale.clone(),
                max_file_bytes: file * MB,
                max_message_bytes: total * MB,
                relay_addresses: form
                    .relay_addresses
                    .split([',', '\n'])
                    .map(str::trim)
                    .filter(|a| !a.is_empty())
                    .map(str::to_string)
                    .collect(),
                notify_ack: form.notify_ack == "1",
                notify_replies: form.notify_replies == "1",
                notify_agents: form.notify_agents == "1",
            };
            service::catalog::settings::save(&app.db, &app.settings, &app.config, &admin.user, new)
                .await
        }
        _ => Err(service::Error::Invalid(errors)),
    };
    match result {
        Ok(()) => Ok(saved("/admin/settings").into_response()),
        Err(service::Error::Invalid(errors)) => Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            SettingsPage { page, form, errors },
        )
            .into_response()),
        Err(other) => Err(other.into()),
    }
}
