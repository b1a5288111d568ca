//! Admin: a department's mail texts (acknowledgement, claim link) in each
//! shipped language: the list with what is customised, an edit form with
//! a server-rendered preview, and a reset to the shipped text that asks
//! first.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use super::saved;
use crate::i18n::Locale;
use crate::service::mail::texts::{self, MailKind, MailText, Rendered};
use crate::service::{self, FieldErrors};
use crate::state::AppState;
use crate::web::confirm::{ConfirmPage, confirmed};
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;
use crate::web::notice;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/departments/{slug}/mail-texts", get(index))
        .route(
            "/admin/departments/{slug}/mail-texts/{kind}/{lang}",
            get(edit).post(update),
        )
        .route(
            "/admin/departments/{slug}/mail-texts/{kind}/{lang}/reset",
            post(reset),
        )
}

fn list_path(slug: &str) -> String {
    format!("/admin/departments/{slug}/mail-texts")
}

/// The mail and language a URL names; anything else is not found.
fn target(kind: &str, lang: &str) -> Result<(MailKind, Locale), WebError> {
    let kind = MailKind::parse(kind).ok_or(WebError::NotFound)?;
    let locale = Locale::parse(lang)
        .filter(|l| l.code() == lang)
        .ok_or(WebError::NotFound)?;
    Ok((kind, locale))
}

/// A language's own name ("Русский"), as the language switch shows it.
fn language_name(locale: &Locale) -> String {
    locale.t("language-name")
}

/// templates/admin/mail_texts.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/mail_texts.html")]
pub struct MailTextsPage {
    page: PageCtx,
    slug: String,
    department: String,
    /// The shipped languages, as (code, own name): the columns.
    languages: Vec<(String, String)>,
    /// One row per mail, one cell per language.
    rows: Vec<(MailKind, Vec<TextCell>)>,
}

/// One kind in one language on the list.
pub struct TextCell {
    lang: String,
    language: String,
    /// When the department's own text was saved; `None`: the shipped one.
    customised: Option<String>,
}

/// GET /admin/departments/{slug}/mail-texts
async fn index(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
    Path(slug): Path<String>,
) -> Result<MailTextsPage, WebError> {
    let overview = texts::overview(&app.db, &slug).await?;
    let name = |code: &str| {
        Locale::parse(code)
            .map(|l| language_name(&l))
            .unwrap_or_else(|| code.to_string())
    };
    let languages = crate::i18n::available()
        .into_iter()
        .map(|code| (code.clone(), name(&code)))
        .collect();
    let mut rows: Vec<(MailKind, Vec<TextCell>)> = Vec::new();
    for s in overview.texts {
        let cell = TextCell {
            language: name(&s.language),
            lang: s.language,
            customised: s.customised.map(|at| page.fmt.datetime(at)),
        };
        match rows.last_mut() {
            Some((kind, cells)) if *kind == s.kind => cells.push(cell),
            _ => rows.push((s.kind, vec![cell])),
        }
    }
    Ok(MailTextsPage {
        page,
        slug: overview.department.slug,
        department: overview.department.name,
        languages,
        rows,
    })
}

/// templates/admin/mail_texts_edit.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/mail_texts_edit.html")]
pub struct MailTextPage {
    page: PageCtx,
    slug: String,
    department: String,
    kind: MailKind,
    lang: String,
    language: String,
    form: MailTextForm,
    shipped: MailText,
    customised: bool,
    placeholders: String,
    preview: Option<Rendered>,
    errors: FieldErrors,
}

#[derive(Deserialize, Default, Clone)]
pub struct MailTextForm {
    #[serde(default)]
    subject: String,
    #[serde(default)]
    body: String,
    /// `preview` for the Preview button; anything else saves.
    #[serde(default)]
    action: String,
}

impl MailTextPage {
    fn new(
        page: PageCtx,
        kind: MailKind,
        locale: &Locale,
        editing: texts::Editing,
        form: MailTextForm,
    ) -> Self {
        MailTextPage {
            page,
            slug: editing.department.slug,
            department: editing.department.name,
            kind,
            lang: locale.code(),
            language: language_name(locale),
            form,
            shipped: editing.shipped,
            customised: editing.customised,
            placeholders: kind.placeholder_list().join(" "),
            preview: None,
            errors: FieldErrors::default(),
        }
    }
}

/// GET /admin/departments/{slug}/mail-texts/{kind}/{lang}
async fn edit(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
    Path((slug, kind, lang)): Path<(String, String, String)>,
) -> Result<MailTextPage, WebError> {
    let (kind, locale) = target(&kind, &lang)?;
    let editing = texts::for_edit(&app.db, &slug, kind, &locale).await?;
    let form = MailTextForm {
        subject: editing.text.subject.clone(),
        body: editing.text.body.clone(),
        action: String::new(),
    };
    Ok(MailTextPage::new(page, kind, &locale, editing, form))
}

/// POST /admin/departments/{slug}/mail-texts/{kind}/{lang}: save, or preview
/// what was typed.
async fn update(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path((slug, kind, lang)): Path<(String, String, String)>,
    Form(form): Form<MailTextForm>,
) -> Result<Response, WebError> {
    let (kind, locale) = target(&kind, &lang)?;
    let text = MailText::from_form(&form.subject, &form.body);
    let result = if form.action == "preview" {
        let editing = texts::for_edit(&app.db, &slug, kind, &locale).await?;
        let url = app.config.http.public_url.to_string();
        let sample = texts::Sample {
            public_url: &url,
            tag_prefix: &app.config.mail.tag_prefix,
        };
        match texts::preview(kind, &locale, &text, &editing.department.name, sample) {
            Ok(preview) => {
                let mut body = MailTextPage::new(page, kind, &locale, editing, form);
                body.preview = Some(preview);
                return Ok(body.into_response());
            }
            Err(err) => Err(err),
        }
    } else {
        texts::save(&app.db, admin.user.id, &slug, kind, &locale, &text).await
    };
    match result {
        Ok(()) => Ok(saved(&list_path(&slug)).into_response()),
        Err(service::Error::Invalid(errors)) => {
            let editing = texts::for_edit(&app.db, &slug, kind, &locale).await?;
            let mut body = MailTextPage::new(page, kind, &locale, editing, form);
            body.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct ResetForm {
    confirm: Option<String>,
}

/// POST /admin/departments/{slug}/mail-texts/{kind}/{lang}/reset: asks
/// first, then goes back to the shipped text.
async fn reset(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path((slug, kind_code, lang)): Path<(String, String, String)>,
    Form(f): Form<ResetForm>,
) -> Result<Response, WebError> {
    let (kind, locale) = target(&kind_code, &lang)?;
    if !confirmed(f.confirm.as_deref()) {
        // Not found before asking, like the reset itself.
        let editing = texts::for_edit(&app.db, &slug, kind, &locale).await?;
        let what = format!("{} ({})", page.t(kind.label_key()), language_name(&locale));
        return Ok(ConfirmPage {
            title: page.t("admin-mail-text-reset-title"),
            question: page.t2(
                "admin-mail-text-reset-question",
                "mail",
                what,
                "department",
                editing.department.name,
            ),
            action: format!("{}/{kind_code}/{lang}/reset", list_path(&slug)),
            fields: Vec::new(),
            text: None,
            confirm_label: page.t("admin-mail-text-reset"),
            cancel: format!("{}/{kind_code}/{lang}", list_path(&slug)),
            page,
        }
        .into_response());
    }
    texts::reset(&app.db, admin.user.id, &slug, kind, &locale).await?;
    Ok(notice::redirect(&list_path(&slug), "mail-text-reset"))
}
