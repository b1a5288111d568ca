//! The second step of an action that cannot be undone (a merge, a
//! deletion): the first POST, without `confirm`, answers this page, whose
//! form sends the same fields again with `confirm=1`. Works without
//! JavaScript; nothing happens until the second POST.

use askama::Template;
use askama_web::WebTemplate;

use super::context::PageCtx;

/// templates/confirm.html
#[derive(Template, WebTemplate)]
#[template(path = "confirm.html")]
pub struct ConfirmPage {
    pub page: PageCtx,
    pub title: String,
    pub question: String,
    pub action: String,
    /// Fields the first form sent, sent again.
    pub fields: Vec<(&'static str, String)>,
    pub confirm_label: String,
    pub cancel: String,
}

/// Whether a form's `confirm` field says the person confirmed.
pub fn confirmed(value: Option<&str>) -> bool {
    value == Some("1")
}
