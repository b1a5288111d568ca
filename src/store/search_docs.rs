//! What the search index holds of a ticket, read for a batch of tickets in
//! four statements (tickets, messages, participants, file names), never
//! one per ticket.

use sqlx::PgConnection;
use time::OffsetDateTime;

use crate::domain::ids::{DepartmentId, OrganisationId, TicketId, TicketNumber, UserId};
use crate::domain::messages::Kind;
use crate::domain::priority::Priority;
use crate::domain::status::Status;

/// A message's text beyond this is not indexed: command output can be
/// megabytes, and no one searches its millionth line.
pub const MESSAGE_CHARS: i32 = 32_000;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct TicketDoc {
    pub id: TicketId,
    pub number: TicketNumber,
    pub subject: String,
    pub status: Status,
    pub priority: Priority,
    pub department_id: DepartmentId,
    pub requester_id: UserId,
    pub organisation_id: Option<OrganisationId>,
    pub assignee_id: Option<UserId>,
    pub merged: bool,
    pub created_at: OffsetDateTime,
    pub last_activity_at: OffsetDateTime,
    /// Name and every address of the requester.
    pub requester_words: String,
    /// Name and addresses of the assignee.
    pub assignee_words: Option<String>,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MessageDoc {
    pub ticket_id: TicketId,
    pub kind: Kind,
    pub author_id: Option<UserId>,
    pub by_mail: bool,
    pub author_is_staff: bool,
    pub author_words: Option<String>,
    pub body: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct ParticipantDoc {
    pub ticket_id: TicketId,
    pub user_id: UserId,
    pub portal_access: bool,
    pub words: String,
}

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct FileDoc {
    pub ticket_id: TicketId,
    pub filename: String,
}

/// Everything to index for `ids`; tickets that no longer exist are absent.
#[derive(Debug, Default)]
pub struct Batch {
    pub tickets: Vec<TicketDoc>,
    pub messages: Vec<MessageDoc>,
    pub participants: Vec<ParticipantDoc>,
    pub files: Vec<FileDoc>,
}

const PERSON_WORDS: &str = "coalesce(u.name, '') || ' ' || coalesce((select string_agg(e.email, ' ') \
     from user_emails e where e.user_id = u.id), '')";

pub async fn load(db: &mut PgConnection, ids: &[TicketId]) -> sqlx::Result<Batch> {
    let tickets = sqlx::query_as(&format!(
        "select t.id, t.number, t.subject, t.status, t.priority, t.department_id, t.requester_id, \
                t.organisation_id, t.assignee_id, t.merged_into_id is not null as merged, \
                t.created_at, t.last_activity_at, \
                (select {PERSON_WORDS} from users u where u.id = t.requester_id) as requester_words, \
                (select {PERSON_WORDS} from users u where u.id = t.assignee_id) as assignee_words \
         from tickets t where t.id = any($1)"
    ))
    .bind(ids)
    .fetch_all(&mut *db)
    .await?;
    let messages = sqlx::query_as(&format!(
        "select m.ticket_id, m.kind, m.author_id, m.source = 'email' as by_mail, \
                coalesce(u.role <> 'customer', false) as author_is_staff, \
                case when u.role <> 'customer' then {PERSON_WORDS} end as author_words, \
                left(m.body_text, $2) as body \
         from messages m left join users u on u.id = m.author_id \
         where m.ticket_id = any($1) and m.kind <> 'system' \
         order by m.ticket_id, m.created_at, m.id"
    ))
    .bind(ids)
    .bind(MESSAGE_CHARS)
    .fetch_all(&mut *db)
    .await?;
    let participants = sqlx::query_as(&format!(
        "select p.ticket_id, p.user_id, p.portal_access, {PERSON_WORDS} as words \
         from ticket_participants p join users u on u.id = p.user_id \
         where p.ticket_id = any($1)"
    ))
    .bind(ids)
    .fetch_all(&mut *db)
    .await?;
    let files = sqlx::query_as(
        "select a.ticket_id, a.filename from attachments a where a.ticket_id = any($1) and not a.is_inline",
    )
    .bind(ids)
    .fetch_all(&mut *db)
    .await?;
    Ok(Batch {
        tickets,
        messages,
        participants,
        files,
    })
}

/// Ticket ids in id order after `after`, for a rebuild in pages.
pub async fn ids_after(
    db: &mut PgConnection,
    after: Option<TicketId>,
    limit: i64,
) -> sqlx::Result<Vec<TicketId>> {
    sqlx::query_scalar(
        "select id from tickets where ($1::uuid is null or id > $1) and merged_into_id is null \
         order by id limit $2",
    )
    .bind(after)
    .bind(limit)
    .fetch_all(db)
    .await
}
