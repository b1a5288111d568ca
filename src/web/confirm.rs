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
    /// One thing the second step asks for (the subject of a split), if any.
    pub text: Option<TextField>,
    pub confirm_label: String,
    pub cancel: String,
}

/// A text field on the confirmation page, prefilled and editable.
pub struct TextField {
    pub name: &'static str,
    pub label: String,
    pub value: String,
    pub error: Option<String>,
}

/// Whether a form's `confirm` field says the person confirmed.
pub fn confirmed(value: Option<&str>) -> bool {
    value == Some("1")
}
