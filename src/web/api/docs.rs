//! The OpenAPI 3.1 document, generated from the handlers and types
//! (utoipa), and a readable page of it at /api/docs, rendered here from the
//! same document: no CDN, no JavaScript.

use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{body, directory, events, messages, problem, statistics, tickets, webhooks};
use crate::service::tickets::representation as rep;

struct Token;

impl Modify for Token {
    fn modify(&self, doc: &mut utoipa::openapi::OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "token",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API token from `bilet token create` or Admin → API tokens",
                    ))
                    .build(),
            ),
        );
        // Every error is a problem details document (RFC 9457).
        for item in doc.paths.paths.values_mut() {
            let ops = [
                &mut item.get,
                &mut item.post,
                &mut item.patch,
                &mut item.put,
                &mut item.delete,
            ];
            for op in ops.into_iter().flatten() {
                for (code, response) in op.responses.responses.iter_mut() {
                    if !code.starts_with('4') && !code.starts_with('5') {
                        continue;
                    }
                    if let utoipa::openapi::RefOr::T(r) = response
                        && let Some(content) = r.content.shift_remove("application/json")
                    {
                        r.content
                            .insert("application/problem+json".to_string(), content);
                    }
                }
            }
        }
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Bilet API", version = "1",
        description = "Tickets, messages, customers and the change feed of a Bilet helpdesk. \
            Every request carries `Authorization: Bearer <token>`. Errors are RFC 9457 problem details."),
    paths(
        tickets::list, tickets::show, tickets::create, tickets::update,
        messages::reply, messages::note, messages::attachment,
        directory::departments, directory::find_customer, directory::create_customer, directory::customer_tickets,
        events::feed, statistics::report,
        webhooks::list, webhooks::create, webhooks::show, webhooks::remove, webhooks::deliveries, webhooks::resend,
    ),
    components(schemas(
        rep::Ticket, rep::Message, rep::Person, rep::Attachment, rep::Link, rep::Sla, rep::Breach,
        tickets::Summary, tickets::Page, tickets::NewTicket, tickets::Update,
        messages::NewMessage, body::Base64File,
        directory::Department, directory::Customer, directory::NewCustomer,
        events::Feed, events::FeedEvent,
        statistics::Statistics, statistics::StatsLine, statistics::Durations, statistics::Spread, statistics::TrendPoint,
        webhooks::Webhook, webhooks::NewWebhook, webhooks::Created, webhooks::Delivery, webhooks::History, webhooks::Resent,
        problem::Problem, problem::FieldProblem,
    )),
    modifiers(&Token),
)]
pub struct Doc;

/// The document as JSON (built once).
pub fn json() -> &'static str {
    static DOC: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DOC.get_or_init(|| Doc::openapi().to_pretty_json().unwrap_or_default())
}

/// GET /api/v1/openapi.json
pub async fn document() -> Response {
    ([(header::CONTENT_TYPE, "application/json")], json()).into_response()
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// GET /api/docs
pub async fn page() -> Html<String> {
    static PAGE: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    Html(PAGE.get_or_init(render).clone())
}

fn render() -> String {
    let doc: serde_json::Value = serde_json::from_str(json()).unwrap_or_default();
    let mut out = String::from(
        "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Bilet API</title><link rel=\"stylesheet\" href=\"/static/app.css\"></head>\
         <body><main class=\"api-docs\"><h1>Bilet API</h1>",
    );
    if let Some(d) = doc["info"]["description"].as_str() {
        out += &format!("<p>{}</p>", esc(d));
    }
    out += "<p><a href=\"/api/v1/openapi.json\">OpenAPI 3.1 document (JSON)</a></p>";
    for (path, item) in doc["paths"].as_object().into_iter().flatten() {
        for (method, op) in item.as_object().into_iter().flatten() {
            out += &format!(
                "<section><h2><code>{} {}</code></h2>",
                esc(&method.to_uppercase()),
                esc(path)
            );
            if let Some(d) = op["description"].as_str().or(op["summary"].as_str()) {
                out += &format!("<p>{}</p>", esc(d));
            }
            let params = op["parameters"].as_array().cloned().unwrap_or_default();
            if !params.is_empty() {
                out += "<h3>Parameters</h3><ul>";
                for p in params {
                    out += &format!(
                        "<li><code>{}</code> ({}{}) {}</li>",
                        esc(p["name"].as_str().unwrap_or("")),
                        esc(p["in"].as_str().unwrap_or("")),
                        if p["required"].as_bool() == Some(true) {
                            ", required"
                        } else {
                            ""
                        },
                        esc(p["description"].as_str().unwrap_or(""))
                    );
                }
                out += "</ul>";
            }
            if let Some(r) =
                op["requestBody"]["content"]["application/json"]["schema"]["$ref"].as_str()
            {
                out += &format!(
                    "<h3>Body</h3><p><a href=\"#{0}\">{0}</a> (JSON, or multipart/form-data with file parts)</p>",
                    esc(r.rsplit('/').next().unwrap_or(""))
                );
            }
            out += "<h3>Answers</h3><ul>";
            for (code, r) in op["responses"].as_object().into_iter().flatten() {
                out += &format!(
                    "<li><code>{}</code> {}</li>",
                    esc(code),
                    esc(r["description"].as_str().unwrap_or(""))
                );
            }
            out += "</ul></section>";
        }
    }
    out += "<h2>Types</h2>";
    for (name, schema) in doc["components"]["schemas"]
        .as_object()
        .into_iter()
        .flatten()
    {
        out += &format!("<section id=\"{0}\"><h3>{0}</h3><ul>", esc(name));
        for (field, s) in schema["properties"].as_object().into_iter().flatten() {
            out += &format!(
                "<li><code>{}</code> {}</li>",
                esc(field),
                esc(s["description"].as_str().unwrap_or(""))
            );
        }
        out += "</ul></section>";
    }
    out + "</main></body></html>"
}
