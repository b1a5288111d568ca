//! Admin: help topics (mapped to departments, with guidance, prompts and
//! suggested attachments), products, and canned responses.

use askama::Template;
use askama_web::WebTemplate;

use crate::web::confirm::{ConfirmPage, confirmed};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use std::collections::HashMap;
use uuid::Uuid;

use super::saved;
use crate::domain::placeholders::KNOWN;
use crate::service::catalog::{self, CannedInput, ProductInput, TopicInput};
use crate::service::{self, FieldErrors};
use crate::state::AppState;
use crate::store;
use crate::store::catalog::{Names, ProductAdminRow};
use crate::web::context::PageCtx;
use crate::web::error::WebError;
use crate::web::extract::AdminUser;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/admin/topics", get(topics).post(create_topic))
        .route("/admin/topics/{id}", get(edit_topic).post(update_topic))
        .route("/admin/topics/{id}/delete", post(delete_topic))
        .route("/admin/products", get(products).post(add_product))
        .route(
            "/admin/products/{id}",
            get(edit_product).post(update_product),
        )
        .route("/admin/products/{id}/toggle", post(toggle_product))
        .route("/admin/canned", get(canned).post(create_canned))
        .route("/admin/canned/{id}", get(edit_canned).post(update_canned))
        .route("/admin/canned/{id}/delete", post(delete_canned))
}

fn parse(id: &str) -> Result<Uuid, WebError> {
    id.parse().map_err(|_| WebError::NotFound)
}

async fn departments(app: &AppState) -> Result<Vec<(String, String)>, WebError> {
    Ok(service::catalog::departments::list(&app.db)
        .await?
        .into_iter()
        .map(|d| (d.id.to_string(), d.name))
        .collect())
}

#[derive(Deserialize, Default, Clone)]
pub struct TopicForm {
    #[serde(default)]
    name: String,
    #[serde(default)]
    department: String,
    #[serde(default)]
    guidance: String,
    #[serde(default)]
    prompts: String,
    #[serde(default)]
    suggested: String,
    #[serde(default)]
    visible: String,
    /// `name_<lang>`: the name per language (and the CSRF token, unused).
    #[serde(flatten)]
    other: HashMap<String, String>,
}

/// The `name_<lang>` fields of a form, by language code.
fn names_of(other: &HashMap<String, String>) -> Names {
    other
        .iter()
        .filter_map(|(k, v)| Some((k.strip_prefix("name_")?.to_string(), v.clone())))
        .collect()
}

/// The `name_<lang>` fields for a saved set of names.
fn fields_of(names: &Names) -> HashMap<String, String> {
    names
        .iter()
        .map(|(lang, name)| (format!("name_{lang}"), name.clone()))
        .collect()
}

impl TopicForm {
    /// What the admin typed as the name in `lang` (templates).
    fn name_in(&self, lang: &str) -> &str {
        self.other
            .get(&format!("name_{lang}"))
            .map_or("", String::as_str)
    }

    fn input(&self) -> TopicInput {
        TopicInput {
            name: self.name.clone(),
            names: names_of(&self.other),
            department: self.department.parse().ok(),
            guidance: self.guidance.clone(),
            prompts: self.prompts.clone(),
            suggested_attachments: self.suggested.clone(),
            visible: self.visible == "1",
        }
    }
}

/// One topic in the list.
pub struct TopicRow {
    id: String,
    name: String,
    department: String,
    prompts: usize,
    visible: bool,
}

/// templates/admin/topics.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/topics.html")]
pub struct TopicsPage {
    page: PageCtx,
    topics: Vec<TopicRow>,
    departments: Vec<(String, String)>,
    form: TopicForm,
    errors: FieldErrors,
    editing: Option<String>,
}

async fn topics_page(app: &AppState, page: PageCtx) -> Result<TopicsPage, WebError> {
    let departments = departments(app).await?;
    let topics = store::catalog::all_help_topics(&app.db)
        .await?
        .into_iter()
        .map(|(t, visible)| TopicRow {
            id: t.id.to_string(),
            department: departments
                .iter()
                .find(|(id, _)| *id == t.department_id.to_string())
                .map(|(_, n)| n.clone())
                .unwrap_or_default(),
            name: t.name,
            prompts: t.prompts.0.len(),
            visible,
        })
        .collect();
    Ok(TopicsPage {
        page,
        topics,
        departments,
        form: TopicForm {
            visible: "1".into(),
            ..TopicForm::default()
        },
        errors: FieldErrors::default(),
        editing: None,
    })
}

/// GET /admin/topics
async fn topics(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
) -> Result<TopicsPage, WebError> {
    topics_page(&app, page).await
}

/// POST /admin/topics
async fn create_topic(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Form(form): Form<TopicForm>,
) -> Result<Response, WebError> {
    match catalog::create_topic(&app.db, admin.user.id, form.input()).await {
        Ok(_) => Ok(saved("/admin/topics").into_response()),
        Err(service::Error::Invalid(errors)) => {
            let mut again = topics_page(&app, page).await?;
            again.form = form;
            again.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, again).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// GET /admin/topics/{id}
async fn edit_topic(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
) -> Result<TopicsPage, WebError> {
    let id = parse(&id)?;
    let (topic, visible) = store::catalog::all_help_topics(&app.db)
        .await?
        .into_iter()
        .find(|(t, _)| t.id == id)
        .ok_or(WebError::NotFound)?;
    let mut again = topics_page(&app, page).await?;
    again.form = TopicForm {
        name: topic.name,
        department: topic.department_id.to_string(),
        guidance: topic.guidance,
        prompts: catalog::format_prompts(&topic.prompts.0),
        suggested: topic.suggested_attachments,
        visible: if visible { "1".into() } else { String::new() },
        other: fields_of(&topic.names.0),
    };
    again.editing = Some(id.to_string());
    Ok(again)
}

/// POST /admin/topics/{id}
async fn update_topic(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
    Form(form): Form<TopicForm>,
) -> Result<Response, WebError> {
    let id = parse(&id)?;
    match catalog::update_topic(&app.db, admin.user.id, id, form.input()).await {
        Ok(()) => Ok(saved("/admin/topics").into_response()),
        Err(service::Error::Invalid(errors)) => {
            let mut again = topics_page(&app, page).await?;
            again.form = form;
            again.errors = errors;
            again.editing = Some(id.to_string());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, again).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// POST /admin/topics/{id}/delete
async fn delete_topic(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    let topic = parse(&id)?;
    if !confirmed(f.confirm.as_deref()) {
        return Ok(confirm_delete(
            page,
            "confirm-delete-topic",
            &format!("/admin/topics/{id}/delete"),
            "/admin/topics",
        ));
    }
    catalog::delete_topic(&app.db, admin.user.id, topic).await?;
    Ok(saved("/admin/topics").into_response())
}

#[derive(serde::Deserialize)]
pub struct ConfirmForm {
    confirm: Option<String>,
}

/// The second step of a deletion.
fn confirm_delete(page: PageCtx, question: &str, action: &str, cancel: &str) -> Response {
    ConfirmPage {
        title: page.t("confirm-delete-title"),
        question: page.t(question),
        action: action.to_string(),
        fields: Vec::new(),
        text: None,
        confirm_label: page.t("delete"),
        cancel: cancel.to_string(),
        page,
    }
    .into_response()
}

/// templates/admin/products.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/products.html")]
pub struct ProductsPage {
    page: PageCtx,
    products: Vec<ProductAdminRow>,
    form: ProductForm,
    errors: FieldErrors,
    editing: Option<String>,
}

async fn products_page(app: &AppState, page: PageCtx) -> Result<ProductsPage, WebError> {
    Ok(ProductsPage {
        page,
        products: store::catalog::all_products(&app.db).await?,
        form: ProductForm::default(),
        errors: FieldErrors::default(),
        editing: None,
    })
}

/// GET /admin/products
async fn products(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
) -> Result<ProductsPage, WebError> {
    products_page(&app, page).await
}

/// A product's default name and its `name_<lang>` names.
#[derive(Deserialize, Default, Clone)]
pub struct ProductForm {
    #[serde(default)]
    name: String,
    #[serde(flatten)]
    other: HashMap<String, String>,
}

impl ProductForm {
    /// What the admin typed as the name in `lang` (templates).
    fn name_in(&self, lang: &str) -> &str {
        self.other
            .get(&format!("name_{lang}"))
            .map_or("", String::as_str)
    }

    fn input(&self) -> ProductInput {
        ProductInput {
            name: self.name.clone(),
            names: names_of(&self.other),
        }
    }
}

/// The products page again with what was typed and what is wrong.
async fn product_form_again(
    app: &AppState,
    page: PageCtx,
    form: ProductForm,
    errors: FieldErrors,
    editing: Option<String>,
) -> Result<Response, WebError> {
    let mut again = products_page(app, page).await?;
    again.form = form;
    again.errors = errors;
    again.editing = editing;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, again).into_response())
}

/// POST /admin/products
async fn add_product(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Form(form): Form<ProductForm>,
) -> Result<Response, WebError> {
    match catalog::add_product(&app.db, admin.user.id, form.input()).await {
        Ok(_) => Ok(saved("/admin/products").into_response()),
        Err(service::Error::Invalid(errors)) => {
            product_form_again(&app, page, form, errors, None).await
        }
        Err(other) => Err(other.into()),
    }
}

/// GET /admin/products/{id}
async fn edit_product(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
) -> Result<ProductsPage, WebError> {
    let id = parse(&id)?;
    let mut again = products_page(&app, page).await?;
    let p = again
        .products
        .iter()
        .find(|p| p.product.id == id)
        .ok_or(WebError::NotFound)?;
    again.form = ProductForm {
        name: p.product.name.clone(),
        other: fields_of(&p.product.names.0),
    };
    again.editing = Some(id.to_string());
    Ok(again)
}

/// POST /admin/products/{id}
async fn update_product(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
    Form(form): Form<ProductForm>,
) -> Result<Response, WebError> {
    let id = parse(&id)?;
    match catalog::update_product(&app.db, admin.user.id, id, form.input()).await {
        Ok(()) => Ok(saved("/admin/products").into_response()),
        Err(service::Error::Invalid(errors)) => {
            product_form_again(&app, page, form, errors, Some(id.to_string())).await
        }
        Err(other) => Err(other.into()),
    }
}

#[derive(Deserialize)]
pub struct ToggleForm {
    #[serde(default)]
    active: String,
}

/// POST /admin/products/{id}/toggle
async fn toggle_product(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    Path(id): Path<String>,
    Form(form): Form<ToggleForm>,
) -> Result<Response, WebError> {
    catalog::set_product_active(&app.db, admin.user.id, parse(&id)?, form.active == "1").await?;
    Ok(saved("/admin/products").into_response())
}

#[derive(Deserialize, Default, Clone)]
pub struct CannedForm {
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    department: String,
}

impl CannedForm {
    fn input(&self) -> CannedInput {
        CannedInput {
            title: self.title.clone(),
            body: self.body.clone(),
            department: self.department.parse().ok(),
        }
    }
}

/// templates/admin/canned.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/canned.html")]
pub struct CannedPage {
    page: PageCtx,
    responses: Vec<store::canned::CannedRow>,
    departments: Vec<(String, String)>,
    form: CannedForm,
    errors: FieldErrors,
    editing: Option<String>,
    placeholders: String,
}

async fn canned_page(app: &AppState, page: PageCtx) -> Result<CannedPage, WebError> {
    Ok(CannedPage {
        page,
        responses: store::canned::all(&app.db).await?,
        departments: departments(app).await?,
        form: CannedForm::default(),
        errors: FieldErrors::default(),
        editing: None,
        placeholders: KNOWN.join(" "),
    })
}

/// GET /admin/canned
async fn canned(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
) -> Result<CannedPage, WebError> {
    canned_page(&app, page).await
}

/// POST /admin/canned
async fn create_canned(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Form(form): Form<CannedForm>,
) -> Result<Response, WebError> {
    match catalog::create_canned(&app.db, admin.user.id, form.input()).await {
        Ok(_) => Ok(saved("/admin/canned").into_response()),
        Err(service::Error::Invalid(errors)) => {
            let mut again = canned_page(&app, page).await?;
            again.form = form;
            again.errors = errors;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, again).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// GET /admin/canned/{id}
async fn edit_canned(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
) -> Result<CannedPage, WebError> {
    let id = parse(&id)?;
    let mut again = canned_page(&app, page).await?;
    let c = again
        .responses
        .iter()
        .find(|c| c.id == id)
        .ok_or(WebError::NotFound)?;
    again.form = CannedForm {
        title: c.title.clone(),
        body: c.body.clone(),
        department: c.department_id.map(|d| d.to_string()).unwrap_or_default(),
    };
    again.editing = Some(id.to_string());
    Ok(again)
}

/// POST /admin/canned/{id}
async fn update_canned(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
    Form(form): Form<CannedForm>,
) -> Result<Response, WebError> {
    let id = parse(&id)?;
    match catalog::update_canned(&app.db, admin.user.id, id, form.input()).await {
        Ok(()) => Ok(saved("/admin/canned").into_response()),
        Err(service::Error::Invalid(errors)) => {
            let mut again = canned_page(&app, page).await?;
            again.form = form;
            again.errors = errors;
            again.editing = Some(id.to_string());
            Ok((StatusCode::UNPROCESSABLE_ENTITY, again).into_response())
        }
        Err(other) => Err(other.into()),
    }
}

/// POST /admin/canned/{id}/delete
async fn delete_canned(
    State(app): State<AppState>,
    AdminUser(admin): AdminUser,
    page: PageCtx,
    Path(id): Path<String>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, WebError> {
    let canned = parse(&id)?;
    if !confirmed(f.confirm.as_deref()) {
        return Ok(confirm_delete(
            page,
            "confirm-delete-canned",
            &format!("/admin/canned/{id}/delete"),
            "/admin/canned",
        ));
    }
    catalog::delete_canned(&app.db, admin.user.id, canned).await?;
    Ok(saved("/admin/canned").into_response())
}
