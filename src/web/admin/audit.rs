//! Admin: the audit log. Every entry as a sentence in the reader's
//! language ("Anna changed Settings: helpdesk name Bilet → HostCo Support"),
//! filtered by person, kind and date, newest first, paged by entry id.

use std::collections::HashMap;

use askama::Template;
use askama_web::WebTemplate;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::domain::ids::UserId;
use crate::i18n::{Arg, Locale};
use crate::service;
use crate::service::catalog::settings::Settings;
use crate::state::AppState;
use crate::store;
use crate::store::audit::{ActorFilter, AuditFilter, AuditRow};
use crate::web::context::{PageCtx, RequestCtx};
use crate::web::error::WebError;
use crate::web::extract::AdminUser;

pub fn routes() -> Router<AppState> {
    Router::new().route("/admin/audit", get(list))
}

/// Entries a page.
const PAGE: usize = 100;

/// The filter form, as typed: kept as text so that it can be shown again
/// and carried into the "older" link.
#[derive(Deserialize, Default)]
pub struct AuditQuery {
    #[serde(default)]
    person: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    before: String,
}

impl AuditQuery {
    /// The filter, with days read in the reader's time zone (`to` counts
    /// the whole day). What does not parse filters nothing.
    fn filter(&self, tz: &jiff::tz::TimeZone) -> AuditFilter {
        let start_of = |day: jiff::civil::Date| {
            day.to_zoned(tz.clone())
                .ok()
                .and_then(|z| OffsetDateTime::from_unix_timestamp(z.timestamp().as_second()).ok())
        };
        AuditFilter {
            actor: match self.person.as_str() {
                "" => None,
                "system" => Some(ActorFilter::System),
                id => id.parse().ok().map(|id| ActorFilter::User(UserId(id))),
            },
            kind: Some(self.kind.trim().to_string()).filter(|k| !k.is_empty()),
            from: day(&self.from).and_then(start_of),
            until: day(&self.to)
                .and_then(|d| d.tomorrow().ok())
                .and_then(start_of),
            before: self.before.trim().parse().ok(),
        }
    }

    /// This query's address with `before` set (or dropped), the filters kept.
    fn url(&self, before: Option<i64>) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in [
            ("person", &self.person),
            ("kind", &self.kind),
            ("from", &self.from),
            ("to", &self.to),
        ] {
            if !value.trim().is_empty() {
                q.append_pair(name, value.trim());
            }
        }
        if let Some(id) = before {
            q.append_pair("before", &id.to_string());
        }
        let q = q.finish();
        if q.is_empty() {
            "/admin/audit".into()
        } else {
            format!("/admin/audit?{q}")
        }
    }
}

fn day(text: &str) -> Option<jiff::civil::Date> {
    text.trim().parse().ok()
}

/// One entry, told.
pub struct AuditView {
    time: String,
    exact: String,
    iso: String,
    /// The sentence as HTML: its arguments are escaped, ticket numbers links.
    html: String,
    kind: String,
    data: String,
}

/// One option of a filter's select.
pub struct Choice {
    value: String,
    label: String,
    selected: bool,
}

/// templates/admin/audit.html
#[derive(Template, WebTemplate)]
#[template(path = "admin/audit.html")]
pub struct AuditPage {
    page: PageCtx,
    entries: Vec<AuditView>,
    people: Vec<Choice>,
    kinds: Vec<Choice>,
    from: String,
    to: String,
    filtered: bool,
    next: Option<String>,
    newest: Option<String>,
}

/// GET /admin/audit: who did what, when; newest first.
async fn list(
    State(app): State<AppState>,
    AdminUser(_): AdminUser,
    page: PageCtx,
    ctx: RequestCtx,
    Query(q): Query<AuditQuery>,
) -> Result<AuditPage, WebError> {
    let filter = q.filter(&ctx.tz);
    let rows = store::audit::page(&app.db, &filter, PAGE as i64 + 1).await?;
    let people = store::audit::staff_actors(&app.db).await?;
    let kinds = store::audit::kinds(&app.db).await?;
    let names = Names {
        departments: service::catalog::departments::list(&app.db)
            .await?
            .into_iter()
            .flat_map(|d| [(d.id.0.to_string(), d.name.clone()), (d.slug, d.name)])
            .collect(),
        settings: settings_json(&Settings::defaults(&app.config)),
    };
    Ok(AuditPage::new(
        page, &q, &filter, rows, people, kinds, &names,
    ))
}

impl AuditPage {
    /// The page for `rows` (one more than fits, to tell if there is an
    /// older page) and the filters' options.
    fn new(
        page: PageCtx,
        q: &AuditQuery,
        filter: &AuditFilter,
        rows: Vec<AuditRow>,
        people: Vec<(UserId, String)>,
        kinds: Vec<String>,
        names: &Names,
    ) -> AuditPage {
        let next = rows
            .get(PAGE - 1)
            .filter(|_| rows.len() > PAGE)
            .map(|r| q.url(Some(r.id)));
        let now = OffsetDateTime::now_utc();
        let teller = Teller { page: &page, names };
        let entries = rows
            .iter()
            .take(PAGE)
            .map(|r| teller.view(r, now))
            .collect();
        AuditPage {
            entries,
            people: people_choices(&page, &q.person, people),
            kinds: kind_choices(&page, &q.kind, kinds),
            from: day(&q.from).map(|d| d.to_string()).unwrap_or_default(),
            to: day(&q.to).map(|d| d.to_string()).unwrap_or_default(),
            filtered: filter.actor.is_some()
                || filter.kind.is_some()
                || filter.from.is_some()
                || filter.until.is_some(),
            next,
            newest: filter.before.map(|_| q.url(None)),
            page,
        }
    }
}

fn people_choices(page: &PageCtx, chosen: &str, staff: Vec<(UserId, String)>) -> Vec<Choice> {
    let mut out = vec![
        Choice {
            value: String::new(),
            label: page.t("audit-anyone"),
            selected: chosen.is_empty(),
        },
        Choice {
            value: "system".into(),
            label: page.t("audit-by-bilet"),
            selected: chosen == "system",
        },
    ];
    out.extend(staff.into_iter().map(|(id, name)| {
        let value = id.0.to_string();
        Choice {
            selected: value == chosen,
            value,
            label: name,
        }
    }));
    out
}

fn kind_choices(page: &PageCtx, chosen: &str, kinds: Vec<String>) -> Vec<Choice> {
    let mut options: Vec<Choice> = kinds
        .into_iter()
        .map(|kind| Choice {
            label: kind_label(&page.locale, &kind),
            selected: kind == chosen,
            value: kind,
        })
        .collect();
    options.sort_by_key(|c| c.label.to_lowercase());
    options.insert(
        0,
        Choice {
            value: String::new(),
            label: page.t("audit-any-kind"),
            selected: chosen.is_empty(),
        },
    );
    options
}

/// Kinds Bilet records, each with a sentence of its own. A kind not listed
/// (a newer Bilet's, a plugin's) gets the generic sentence.
const KINDS: &[&str] = &[
    "account.address_confirmed",
    "account.claimed",
    "account.created",
    "account.password_changed",
    "account.registered",
    "canned.created",
    "customer.erased",
    "customer.exported",
    "canned.deleted",
    "canned.updated",
    "department.created",
    "department.updated",
    "mail.sender_unblocked",
    "mail_rule.created",
    "mail_rule.deleted",
    "mail_text.reset",
    "mail_text.saved",
    "mailbox.created",
    "product.created",
    "product.hidden",
    "product.shown",
    "settings.changed",
    "staff.disabled",
    "staff.enabled",
    "staff.password_reset",
    "staff.updated",
    "ticket.erased",
    "ticket.merged",
    "ticket.opened",
    "ticket.split",
    "ticket.transferred",
    "topic.created",
    "topic.deleted",
    "topic.updated",
];

/// "Settings changed" for `settings.changed`; an unknown kind in words.
fn kind_label(locale: &Locale, kind: &str) -> String {
    if KINDS.contains(&kind) {
        locale.t(&format!("audit-kind-{}", kind.replace(['.', '_'], "-")))
    } else {
        humanize(kind)
    }
}

/// `report.exported_csv` → "report exported csv".
fn humanize(kind: &str) -> String {
    kind.replace(['.', '_', '-'], " ")
}

/// The settings as `settings.changed` records them: what the first change
/// changed from.
fn settings_json(s: &Settings) -> Value {
    json!({
        "helpdesk_name": s.helpdesk_name,
        "default_locale": s.default_locale,
        "max_file_bytes": s.max_file_bytes,
        "max_message_bytes": s.max_message_bytes,
    })
}

/// Names entries refer to by id or short name.
struct Names {
    /// Department names by id and by slug.
    departments: HashMap<String, String>,
    /// The settings before anyone changed them.
    settings: Value,
}

/// How a recorded field is shown.
#[derive(Clone, Copy)]
enum Shown {
    Text,
    Bytes,
    Language,
    YesNo,
    List,
    Role,
    Grants,
}

/// Fields of a change entry: JSON key, label, how it is shown.
type Fields = &'static [(&'static str, &'static str, Shown)];

const SETTINGS_FIELDS: Fields = &[
    ("helpdesk_name", "audit-field-helpdesk-name", Shown::Text),
    (
        "default_locale",
        "audit-field-default-language",
        Shown::Language,
    ),
    ("max_file_bytes", "audit-field-max-file", Shown::Bytes),
    ("max_message_bytes", "audit-field-max-message", Shown::Bytes),
];
const DEPARTMENT_FIELDS: Fields = &[
    ("name", "audit-field-name", Shown::Text),
    ("slug", "audit-field-slug", Shown::Text),
    ("addresses", "audit-field-addresses", Shown::List),
    (
        "customer_visible",
        "audit-field-customer-visible",
        Shown::YesNo,
    ),
];
const STAFF_FIELDS: Fields = &[
    ("name", "audit-field-person-name", Shown::Text),
    ("role", "audit-field-role", Shown::Role),
    ("grants", "audit-field-grants", Shown::Grants),
];
const NAME_FIELDS: Fields = &[("name", "audit-field-name", Shown::Text)];
const TITLE_FIELDS: Fields = &[("title", "audit-field-title", Shown::Text)];

/// Tells entries in one reader's language.
struct Teller<'a> {
    page: &'a PageCtx,
    names: &'a Names,
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn str_of<'v>(data: &'v Value, key: &str) -> Option<&'v str> {
    data.get(key)
        .and_then(Value::as_str)
        .filter(|s| !s.is_empty())
}

impl Teller<'_> {
    fn view(&self, r: &AuditRow, now: OffsetDateTime) -> AuditView {
        let fmt = &self.page.fmt;
        AuditView {
            time: fmt.relative(r.at, now),
            exact: fmt.datetime(r.at),
            iso: r
                .at
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            html: self.sentence(r),
            kind: r.kind.clone(),
            data: if r.data.as_object().is_some_and(|o| o.is_empty()) {
                String::new()
            } else {
                serde_json::to_string_pretty(&r.data).unwrap_or_default()
            },
        }
    }

    fn t(&self, key: &str) -> String {
        self.page.t(key)
    }

    /// A message whose arguments are HTML already.
    fn say(&self, key: &str, args: Vec<(&'static str, String)>) -> String {
        let args: Vec<(&'static str, Arg)> =
            args.into_iter().map(|(k, v)| (k, Arg::Str(v))).collect();
        self.page.locale.t_with(key, &args)
    }

    fn ticket_link(&self, number: Option<i64>) -> String {
        match number {
            Some(n) => format!("<a href=\"/agent/tickets/{n}\">#{n}</a>"),
            None => escape(&self.t("audit-deleted-ticket")),
        }
    }

    fn department(&self, key: Option<&str>) -> String {
        escape(
            &key.and_then(|k| self.names.departments.get(k).cloned())
                .or_else(|| key.map(str::to_string))
                .unwrap_or_else(|| self.t("audit-unknown-name")),
        )
    }

    /// The name an entry's object had: its current one, else the last
    /// one recorded.
    fn object_name(&self, r: &AuditRow, current: Option<&String>, key: &str) -> String {
        let none = Value::Null;
        let previous = r.previous.as_ref().unwrap_or(&none);
        escape(
            current
                .map(String::as_str)
                .or_else(|| str_of(&r.data, key))
                .or_else(|| str_of(previous, key))
                .unwrap_or(&self.t("audit-unknown-name")),
        )
    }

    fn value(&self, shown: Shown, v: Option<&Value>) -> String {
        let text = match (shown, v) {
            (_, None | Some(Value::Null)) => String::new(),
            (Shown::Text, Some(v)) => v.as_str().map_or_else(|| v.to_string(), str::to_string),
            (Shown::Bytes, Some(v)) => v
                .as_u64()
                .map_or_else(|| v.to_string(), |n| self.page.fmt.bytes(n)),
            (Shown::Language, Some(v)) => {
                let code = v.as_str().unwrap_or_default();
                Locale::parse(code).map_or_else(|| code.to_string(), |l| l.t("language-name"))
            }
            (Shown::YesNo, Some(v)) => self.t(if v.as_bool() == Some(true) {
                "yes"
            } else {
                "no"
            }),
            (Shown::List, Some(v)) => v
                .as_array()
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
            (Shown::Role, Some(v)) => {
                let role = v.as_str().unwrap_or_default();
                let key = format!("role-{role}");
                if self.page.locale.has(&key) {
                    self.t(&key)
                } else {
                    role.to_string()
                }
            }
            (Shown::Grants, Some(v)) => v
                .as_array()
                .map(|a| {
                    a.iter()
                        .map(|g| {
                            let department = str_of(g, "department")
                                .and_then(|d| self.names.departments.get(d).cloned())
                                .unwrap_or_else(|| self.t("audit-unknown-name"));
                            let level = str_of(g, "level").unwrap_or("none");
                            format!("{department}: {}", self.t(&format!("level-{level}")))
                        })
                        .collect::<Vec<_>>()
                        .join(", ")
                })
                .unwrap_or_default(),
        };
        if text.is_empty() {
            self.t("audit-value-empty")
        } else {
            text
        }
    }

    /// "helpdesk name Bilet → HostCo Support; largest attachment 10 MB → 5 MB":
    /// the fields whose value differs from `old`. A field `old` lacks is
    /// shown with its new value only. An entry may carry its old values
    /// itself, as `before`.
    fn changes(&self, old: Option<&Value>, new: &Value, fields: Fields) -> String {
        let old = new.get("before").filter(|b| b.is_object()).or(old);
        let mut out = Vec::new();
        for (key, label, shown) in fields {
            let Some(now) = new.get(*key) else { continue };
            let field = self.t(label);
            let now = self.value(*shown, Some(now));
            match old.and_then(|o| o.get(*key)) {
                Some(was) => {
                    let was = self.value(*shown, Some(was));
                    if was != now {
                        out.push(self.page.locale.t_with(
                            "audit-change",
                            &[
                                ("field", field.into()),
                                ("old", was.into()),
                                ("new", now.into()),
                            ],
                        ));
                    }
                }
                None => out.push(self.page.locale.t_with(
                    "audit-change-set",
                    &[("field", field.into()), ("new", now.into())],
                )),
            }
        }
        escape(&out.join("; "))
    }

    /// "{actor} changed {object}: {changes}", or "{actor} edited {object}"
    /// when none of the recorded fields changed.
    fn changed(&self, actor: String, object: String, changes: String) -> String {
        if changes.is_empty() {
            self.say("audit-edited", vec![("actor", actor), ("object", object)])
        } else {
            self.say(
                "audit-changed",
                vec![("actor", actor), ("object", object), ("changes", changes)],
            )
        }
    }

    fn sentence(&self, r: &AuditRow) -> String {
        let actor = escape(r.actor_name.as_deref().unwrap_or(&self.t("system")));
        let d = &r.data;
        let text = |key: &str| escape(str_of(d, key).unwrap_or_default());
        let ticket = self.ticket_link(r.ticket_number.map(|n| n.0));
        let person = || self.object_name(r, r.subject_user.as_ref(), "name");
        let department = || self.object_name(r, r.subject_department.as_ref(), "name");
        let object = |key: &str, name: String| self.say(key, vec![("name", name)]);
        let with_name = |key: &str, field: &str| {
            self.say(
                key,
                vec![
                    ("actor", actor.clone()),
                    ("name", self.object_name(r, None, field)),
                ],
            )
        };
        match r.kind.as_str() {
            "settings.changed" => {
                let old = r.previous.as_ref().unwrap_or(&self.names.settings);
                let changes = self.changes(Some(old), d, SETTINGS_FIELDS);
                self.changed(actor, self.t("audit-object-settings"), changes)
            }
            "department.created" => self.say(
                "audit-department-created",
                vec![("actor", actor), ("name", department())],
            ),
            "department.updated" => self.changed(
                actor,
                object("audit-object-department", department()),
                self.changes(r.previous.as_ref(), d, DEPARTMENT_FIELDS),
            ),
            "staff.updated" => self.changed(
                actor,
                object("audit-object-account", person()),
                self.changes(r.previous.as_ref(), d, STAFF_FIELDS),
            ),
            "topic.updated" => self.changed(
                actor,
                object("audit-object-topic", self.object_name(r, None, "name")),
                self.changes(r.previous.as_ref(), d, NAME_FIELDS),
            ),
            "canned.updated" => self.changed(
                actor,
                object("audit-object-canned", self.object_name(r, None, "title")),
                self.changes(r.previous.as_ref(), d, TITLE_FIELDS),
            ),
            "topic.created" | "topic.deleted" | "product.created" | "product.shown"
            | "product.hidden" => with_name(&format!("audit-{}", r.kind.replace('.', "-")), "name"),
            "canned.created" | "canned.deleted" => {
                with_name(&format!("audit-{}", r.kind.replace('.', "-")), "title")
            }
            "mailbox.created" => self.say(
                "audit-mailbox-created",
                vec![
                    ("actor", actor),
                    (
                        "name",
                        self.object_name(r, r.subject_mailbox.as_ref(), "name"),
                    ),
                    ("server", text("imap")),
                ],
            ),
            "mail_rule.created" => {
                let rule = match str_of(d, "kind") {
                    Some("sender_domain") => "audit-rule-sender-domain",
                    _ => "audit-rule-subject-contains",
                };
                let rule = self.say(rule, vec![("pattern", text("pattern"))]);
                self.say(
                    "audit-mail-rule-created",
                    vec![
                        ("actor", actor),
                        ("rule", rule),
                        ("department", self.department(str_of(d, "department"))),
                    ],
                )
            }
            "mail_rule.deleted" => self.say("audit-mail-rule-deleted", vec![("actor", actor)]),
            "mail.sender_unblocked" => self.say(
                "audit-mail-sender-unblocked",
                vec![("actor", actor), ("address", text("address"))],
            ),
            "mail_text.saved" | "mail_text.reset" => {
                let mail = str_of(d, "mail").unwrap_or_default();
                let key = format!("admin-mail-text-kind-{mail}");
                let mail = if self.page.locale.has(&key) {
                    self.t(&key)
                } else {
                    mail.to_string()
                };
                let language = str_of(d, "language").unwrap_or_default();
                let language = Locale::parse(language)
                    .map_or_else(|| language.to_string(), |l| l.t("language-name"));
                self.say(
                    &format!("audit-{}", r.kind.replace(['.', '_'], "-")),
                    vec![
                        ("actor", actor),
                        ("mail", escape(&mail)),
                        (
                            "department",
                            r.subject_department
                                .as_deref()
                                .map(escape)
                                .unwrap_or_else(|| self.department(str_of(d, "department"))),
                        ),
                        ("language", escape(&language)),
                    ],
                )
            }
            "ticket.opened" => {
                let via = str_of(d, "via")
                    .map(|v| format!("audit-via-{v}"))
                    .filter(|k| self.page.locale.has(k));
                match via {
                    Some(via) => self.say(
                        "audit-ticket-opened-via",
                        vec![
                            ("actor", actor),
                            ("ticket", ticket),
                            ("via", escape(&self.t(&via))),
                        ],
                    ),
                    None => self.say(
                        "audit-ticket-opened",
                        vec![("actor", actor), ("ticket", ticket)],
                    ),
                }
            }
            "ticket.merged" | "ticket.split" => self.say(
                &format!("audit-{}", r.kind.replace('.', "-")),
                vec![
                    ("actor", actor),
                    ("ticket", ticket),
                    (
                        "into",
                        self.ticket_link(d.get("into").and_then(Value::as_i64)),
                    ),
                ],
            ),
            "ticket.transferred" => self.say(
                "audit-ticket-transferred",
                vec![
                    ("actor", actor),
                    ("ticket", ticket),
                    ("from", self.department(str_of(d, "from"))),
                    ("to", self.department(str_of(d, "to"))),
                ],
            ),
            "account.registered" | "account.address_confirmed" => self.say(
                &format!("audit-{}", r.kind.replace(['.', '_'], "-")),
                vec![("actor", actor), ("email", text("email"))],
            ),
            "account.created" => {
                let role = self.value(Shown::Role, d.get("role"));
                self.say(
                    "audit-account-created",
                    vec![
                        ("actor", actor),
                        ("name", person()),
                        ("email", text("email")),
                        ("role", escape(&role)),
                    ],
                )
            }
            "account.password_changed" | "account.claimed" => self.say(
                &format!("audit-{}", r.kind.replace(['.', '_'], "-")),
                vec![("actor", actor)],
            ),
            "staff.disabled" | "staff.enabled" | "staff.password_reset" => self.say(
                &format!("audit-{}", r.kind.replace(['.', '_'], "-")),
                vec![("actor", actor), ("name", person())],
            ),
            other => {
                let what = escape(&kind_label(&self.page.locale, other));
                match r.ticket_number {
                    Some(_) => self.say(
                        "audit-generic-ticket",
                        vec![("actor", actor), ("what", what), ("ticket", ticket)],
                    ),
                    None => self.say("audit-generic", vec![("actor", actor), ("what", what)]),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_has_a_label_in_every_language() {
        for code in crate::i18n::available() {
            let locale = Locale::parse(&code).expect("shipped");
            for kind in KINDS {
                let key = format!("audit-kind-{}", kind.replace(['.', '_'], "-"));
                assert!(locale.has(&key), "{code} lacks {key}");
            }
        }
    }

    #[test]
    fn unknown_kinds_read_as_words() {
        assert_eq!(
            kind_label(&Locale::fallback(), "report.exported_csv"),
            "report exported csv"
        );
    }

    #[test]
    fn days_are_read_in_the_readers_zone_and_to_counts_the_whole_day() {
        let q = AuditQuery {
            from: "2026-12-01".into(),
            to: "2026-12-01".into(),
            before: "x".into(),
            person: "nobody".into(),
            ..AuditQuery::default()
        };
        let tz = jiff::tz::TimeZone::get("Europe/Moscow").expect("zone");
        let f = q.filter(&tz);
        assert_eq!(f.from, Some(time::macros::datetime!(2026-11-30 21:00 UTC)));
        assert_eq!(f.until, Some(time::macros::datetime!(2026-12-01 21:00 UTC)));
        assert_eq!(
            (f.before, f.actor),
            (None, None),
            "nonsense filters nothing"
        );
    }
}
