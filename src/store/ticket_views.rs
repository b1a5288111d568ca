//! The read model's SQL: a ticket's header with everything around it in
//! one statement, and its timeline (messages with their files and delivery
//! state) in another, whatever the ticket's length. Both carry the access
//! scope; the service layer turns them into the typed views that pages,
//! the CLI and the API share.

use sqlx::types::Json;
use sqlx::{PgExecutor, Postgres, QueryBuilder};
use time::OffsetDateTime;

use super::tickets::Target;
use crate::domain::access::{AccessLevel, Scope, Viewer, reads_notes};
use crate::domain::ids::{AttachmentId, DepartmentId, MessageId, TicketId, TicketNumber, UserId};
use crate::domain::messages::{Kind, Source};
use crate::domain::priority::Priority;
use crate::domain::status::Status;

/// A link to another ticket.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct LinkRef {
    pub kind: String,
    /// From this ticket to the other.
    pub outgoing: bool,
    pub number: TicketNumber,
}

/// A rating of the ticket (no message) or of one reply.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct RatingRef {
    pub message_id: Option<MessageId>,
    pub stars: i16,
    pub comment: String,
    #[serde(with = "time::serde::rfc3339")]
    pub created_at: OffsetDateTime,
}

/// A ticket with what its page shows above the conversation.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DetailRow {
    pub id: TicketId,
    pub number: TicketNumber,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub department_id: DepartmentId,
    pub department_slug: String,
    pub department_name: String,
    pub signature: String,
    pub requester_id: UserId,
    pub requester_name: String,
    pub requester_email: String,
    pub assignee_id: Option<UserId>,
    pub assignee_name: Option<String>,
    pub assignee_email: Option<String>,
    pub product_name: Option<String>,
    /// The product's names per language (empty without a product).
    pub product_names: Json<super::catalog::Names>,
    pub prompt_answers: serde_json::Value,
    pub merged_into: Option<TicketNumber>,
    pub created_at: OffsetDateTime,
    pub last_activity_at: OffsetDateTime,
    pub first_response_at: Option<OffsetDateTime>,
    pub resolved_at: Option<OffsetDateTime>,
    pub closed_at: Option<OffsetDateTime>,
    pub version: i32,
    /// The viewer's level in the ticket's department.
    pub level: Option<AccessLevel>,
    pub links: Json<Vec<LinkRef>>,
    pub ratings: Json<Vec<RatingRef>>,
    pub first_response_due_at: Option<OffsetDateTime>,
    pub next_response_due_at: Option<OffsetDateTime>,
    pub resolution_due_at: Option<OffsetDateTime>,
    /// A promise is still open (while pending: the clock is paused).
    pub sla_owed: bool,
    pub sla_breaches: Json<Vec<BreachRef>>,
}

/// A broken promise: which, when it was due, when the job acted.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct BreachRef {
    pub target: String,
    #[serde(with = "time::serde::rfc3339")]
    pub due: OffsetDateTime,
    #[serde(with = "time::serde::rfc3339")]
    pub at: OffsetDateTime,
}

impl DetailRow {
    /// The product's name in `lang`, else its default name.
    pub fn product_name_for(&self, lang: &str) -> Option<String> {
        self.product_name
            .as_deref()
            .map(|name| super::catalog::name_for(name, &self.product_names.0, lang).to_string())
    }

    /// The answers to the help topic's prompts, as (label, value) in the
    /// order asked.
    pub fn answers(&self) -> Vec<(String, String)> {
        self.prompt_answers
            .as_array()
            .map(|a| {
                a.iter()
                    .map(|v| {
                        let field = |k: &str| v[k].as_str().unwrap_or("").to_string();
                        (field("label"), field("value"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    }
}

/// The ticket's header if `viewer` may read it.
pub async fn detail(
    db: impl PgExecutor<'_>,
    viewer: &Viewer,
    scope: Scope,
    target: Target,
) -> sqlx::Result<Option<DetailRow>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "select t.id, t.number, t.subject, t.status, t.priority, t.department_id, d.slug as department_slug, \
                d.name as department_name, d.signature, t.requester_id, u.name as requester_name, \
                coalesce(re.email, '') as requester_email, t.assignee_id, au.name as assignee_name, ae.email as assignee_email, \
                p.name as product_name, coalesce(p.names, '{}') as product_names, t.prompt_answers, mt.number as merged_into, t.created_at, \
                t.last_activity_at, t.first_response_at, t.resolved_at, t.closed_at, t.version, ",
    );
    super::access::push_level(&mut qb, viewer);
    qb.push(
        " as level, \
         coalesce((select json_agg(json_build_object('kind', l.kind, 'outgoing', l.ticket_id = t.id, \
                  'number', o.number::text) order by o.number) \
           from ticket_links l join tickets o on o.id = \
                case when l.ticket_id = t.id then l.other_ticket_id else l.ticket_id end \
           where l.ticket_id = t.id or l.other_ticket_id = t.id), '[]') as links, \
         coalesce((select json_agg(json_build_object('message_id', r.message_id, 'stars', r.stars, \
                  'comment', r.comment, 'created_at', r.created_at)) \
           from ratings r where r.ticket_id = t.id), '[]') as ratings, \
         t.first_response_due_at, t.next_response_due_at, t.resolution_due_at, \
         exists (select 1 from sla_outcomes o where o.ticket_id = t.id and o.done_at is null) as sla_owed, \
         coalesce((select json_agg(json_build_object('target', o.target, \
                  'due', o.due_at, 'at', o.breached_at) \
                  order by o.breached_at) \
           from sla_outcomes o where o.ticket_id = t.id and o.breached_at is not null), '[]') as sla_breaches \
         from tickets t join departments d on d.id = t.department_id \
         join users u on u.id = t.requester_id \
         left join user_emails re on re.user_id = u.id and re.is_primary \
         left join users au on au.id = t.assignee_id \
         left join user_emails ae on ae.user_id = au.id and ae.is_primary \
         left join tickets mt on mt.id = t.merged_into_id \
         left join products p on p.id = t.product_id where ",
    );
    match target {
        Target::Id(id) => qb.push("t.id = ").push_bind(id),
        Target::Number(n) => qb.push("t.number = ").push_bind(n),
    };
    super::access::push_scope(&mut qb, scope);
    qb.build_query_as().fetch_optional(db).await
}

/// A file of a message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct FileRef {
    pub id: AttachmentId,
    pub filename: String,
    pub content_type: String,
    pub size: i64,
    pub sha256: String,
}

/// One recipient of the mail that carried a message.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
pub struct DeliveryRef {
    pub address: String,
    pub state: String,
    pub error: Option<String>,
    /// Delivery attempts so far (more than one: retried).
    #[serde(default)]
    pub attempts: i32,
}

/// A message with its files and, for staff, its delivery state.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageRow {
    pub id: MessageId,
    pub kind: Kind,
    pub source: Source,
    pub author_id: Option<UserId>,
    pub author_name: Option<String>,
    pub author_email: Option<String>,
    pub subject: Option<String>,
    pub body_text: String,
    pub body_html: Option<String>,
    /// Set when the content was erased on the customer's request.
    pub erased_at: Option<OffsetDateTime>,
    pub threading_note: Option<String>,
    pub raw_mail_id: Option<uuid::Uuid>,
    pub mail_message_id: Option<String>,
    pub to_addrs: Vec<String>,
    pub cc_addrs: Vec<String>,
    pub created_at: OffsetDateTime,
    pub files: Json<Vec<FileRef>>,
    pub deliveries: Json<Vec<DeliveryRef>>,
}

/// The messages of a ticket that `scope` may read, oldest first (internal
/// notes and delivery state only for staff).
pub async fn timeline(
    db: impl PgExecutor<'_>,
    scope: Scope,
    ticket: TicketId,
) -> sqlx::Result<Vec<MessageRow>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "select m.id, m.kind, m.source, m.author_id, u.name as author_name, e.email as author_email, \
                m.subject, m.body_text, m.body_html, m.erased_at, m.threading_note, \
                (select r.id from raw_mails r where r.id = m.raw_mail_id and r.blob_sha256 is not null) as raw_mail_id, \
                m.mail_message_id, \
                m.to_addrs, m.cc_addrs, m.created_at, \
                coalesce((select json_agg(json_build_object('id', a.id, 'filename', a.filename, \
                         'content_type', a.content_type, 'size', a.size, 'sha256', a.blob_sha256) \
                         order by a.created_at, a.id) \
                  from attachments a where a.message_id = m.id), '[]') as files, ",
    );
    if reads_notes(scope) {
        qb.push(
            "coalesce((select json_agg(json_build_object('address', r.address, 'state', r.state, \
                      'error', r.last_error, 'attempts', o.attempts) order by r.address) \
               from outbox o join outbox_recipients r on r.outbox_id = o.id \
               where o.message_id = m.id), '[]') as deliveries ",
        );
    } else {
        qb.push("'[]'::json as deliveries ");
    }
    qb.push(
        "from messages m join tickets t on t.id = m.ticket_id \
         left join users u on u.id = m.author_id \
         left join user_emails e on e.user_id = u.id and e.is_primary \
         where m.ticket_id = ",
    );
    qb.push_bind(ticket);
    super::access::push_scope(&mut qb, scope);
    super::access::push_message_filter(&mut qb, scope);
    qb.push(" order by m.created_at, m.id");
    qb.build_query_as().fetch_all(db).await
}

/// The stored HTML of one message, if `scope` may read it.
pub async fn mail_html(
    db: impl PgExecutor<'_>,
    scope: Scope,
    message: MessageId,
) -> sqlx::Result<Option<String>> {
    let mut qb = QueryBuilder::<Postgres>::new(
        "select m.body_html from messages m join tickets t on t.id = m.ticket_id where m.id = ",
    );
    qb.push_bind(message);
    super::access::push_scope(&mut qb, scope);
    super::access::push_message_filter(&mut qb, scope);
    qb.push(" and m.body_html is not null");
    qb.build_query_scalar().fetch_optional(db).await
}

/// What the agent's ticket page offers besides the ticket itself, in one
/// statement: the canned responses of the department, the people who may
/// be assigned, and the departments to transfer to.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct WorkbenchRow {
    pub canned: Json<Vec<(uuid::Uuid, String, String)>>,
    pub assignable: Json<Vec<(UserId, String)>>,
    pub departments: Json<Vec<(DepartmentId, String)>>,
}

/// The workbench of a ticket in `department`.
pub async fn workbench(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
) -> sqlx::Result<WorkbenchRow> {
    let works = super::access::works_in("$1");
    sqlx::query_as(&format!(
        "select \
           coalesce((select json_agg(json_build_array(c.id, c.title, c.body) order by c.title) \
             from canned_responses c where c.department_id = $1 or c.department_id is null), '[]') as canned, \
           coalesce((select json_agg(json_build_array(u.id, u.name) order by u.name) \
             from users u where u.role <> 'customer' and {works}), '[]') as assignable, \
           coalesce((select json_agg(json_build_array(d.id, d.name) order by d.position, d.name) \
             from departments d), '[]') as departments"
    ))
    .bind(department)
    .fetch_one(db)
    .await
}
