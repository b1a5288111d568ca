//! Admin: API tokens. Made with a name, optionally a staff member to act
//! as, departments to narrow to and a read-only flag; the token is shown
//! once in the answer; revoked after a confirmation. The rules are in
//! `service::tokens`.

use askama::Template;
use askama_web::WebTemplate;
use axum::extract::{Path, RawForm, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;

use crate::domain::access::AccessLevel;
use crate::service::{self, FieldErrors};
use crate::state::AppState;
use crate::store::api_tokens::Listed;
use crate::store::departments::DepartmentRow;
use crate::web::confirm::{ConfirmPage, confirmed};
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;
use crate::web::notice;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/tokens", get(list).post(create))
        .route("/admin/tokens/{name}/revoke", post(revoke))
}

/// What the form holds: `dept-SLUG` fields carry a level or nothing.
#[derive(Default, Clone)]
pub struct TokenForm {
    name: String,
    user: String,
    levels: Vec<(String, String)>,
    read_only: bool,
}

impl TokenForm {
    /// Whether the department `slug` was given `level`.
    fn is(&self, slug: &str, level: &str) -> bool {
        self.levels.iter().any(|(s, l)| s == slug && l == level)
    }
}

/// templates/admin/tokens.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/tokens.html")]
pub struct TokensPage {
    page: PageCtx,
    tokens: Vec<Listed>,
    departments: Vec<DepartmentRow>,
    form: TokenForm,
    errors: FieldErrors,
    /// Just made: its name and the token, shown this once.
    created: Option<(String, String)>,
}

impl TokensPage {
    /// When the token was last used: exact and as shown.
    fn used(&self, t: &Listed) -> Option<(String, String)> {
        let at = t.token.last_used_at?;
        Some((self.page.fmt.exact(at), self.page.fmt.datetime(at)))
    }
}

async fn page_of(
    app: &AppState,
    page: PageCtx,
    form: TokenForm,
    errors: FieldErrors,
    created: Option<(String, String)>,
) -> Result<TokensPage, WebError> {
    Ok(TokensPage {
        page,
        tokens: service::tokens::list(app).await?,
        departments: service::catalog::departments::list(&app.db).await?,
        form,
        errors,
        created,
    })
}

/// GET /admin/tokens
async fn list(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
) -> Result<TokensPage, WebError> {
    page_of(
        &app,
        page,
        TokenForm::default(),
        FieldErrors::default(),
        None,
    )
    .await
}

/// POST /admin/tokens: the answer shows the token, once.
async fn create(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    raw: RawForm,
) -> Result<Response, WebError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(&raw.0).map_err(|_| WebError::Invalid)?;
    let mut form = TokenForm::default();
    for (k, v) in pairs {
        match k.as_str() {
            "name" => form.name = v,
            "user" => form.user = v,
            "read_only" => form.read_only = true,
            other => {
                if let Some(slug) = other.strip_prefix("dept-")
                    && !v.is_empty()
                {
                    form.levels.push((slug.to_string(), v));
                }
            }
        }
    }
    let mut departments = Vec::new();
    for (slug, level) in &form.levels {
        let level: AccessLevel = level.parse().map_err(|_| WebError::Invalid)?;
        departments.push((slug.clone(), level));
    }
    let spec = service::tokens::Spec {
        name: form.name.clone(),
        user_email: Some(form.user.trim().to_string()).filter(|u| !u.is_empty()),
        departments,
        read_only: form.read_only,
        created_by: Some(admin.user.id),
    };
    match service::tokens::create(&app, spec).await {
        Ok((token, row)) => {
            let body = page_of(
                &app,
                page,
                TokenForm::default(),
                FieldErrors::default(),
                Some((row.name, token)),
            );
            Ok(body.await?.into_response())
        }
        Err(service::Error::Invalid(errors)) => {
            let body = page_of(&app, page, form, errors, None).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, body).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct ConfirmForm {
    confirm: Option<String>,
}

/// POST /admin/tokens/{name}/revoke: asks first.
async fn revoke(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path(name): Path<String>,
    Form(form): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    if !confirmed(form.confirm.as_deref()) {
        let known = service::tokens::list(&app).await?;
        if !known.iter().any(|t| t.token.name == name) {
            return Err(WebError::NotFound);
        }
        let action = format!("/admin/tokens/{}/revoke", urlencode(&name));
        return Ok(ConfirmPage {
            title: page.t("admin-token-revoke"),
            question: page.t1("admin-token-revoke-question", "name", &name),
            action,
            fields: Vec::new(),
            text: None,
            confirm_label: page.t("admin-token-revoke"),
            cancel: "/admin/tokens".into(),
            page,
        }
        .into_response());
    }
    service::tokens::revoke(&app, &name, Some(admin.user.id)).await?;
    Ok(notice::redirect("/admin/tokens", "token-revoked"))
}

fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes())
        .collect::<String>()
        .replace('+', "%20")
}
