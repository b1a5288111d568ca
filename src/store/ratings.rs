//! Customer ratings of tickets and of single agent replies.

use sqlx::PgExecutor;
use time::OffsetDateTime;

use crate::domain::ids::{MessageId, TicketId, UserId};

/// A rating as the ticket page shows it.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct RatingRow {
    pub message_id: Option<MessageId>,
    pub stars: i16,
    pub comment: String,
    pub created_at: OffsetDateTime,
}

/// The ratings of a ticket (the whole ticket and single replies).
pub async fn for_ticket(db: impl PgExecutor<'_>, ticket: TicketId) -> sqlx::Result<Vec<RatingRow>> {
    sqlx::query_as(
        "select message_id, stars, comment, created_at from ratings where ticket_id = $1",
    )
    .bind(ticket)
    .fetch_all(db)
    .await
}

/// Saves a rating, or changes it while it is younger than `change_hours`.
/// Returns false when an older rating exists and stays as it was.
#[allow(clippy::too_many_arguments)]
pub async fn save(
    db: impl PgExecutor<'_>,
    ticket: TicketId,
    message: Option<MessageId>,
    user: UserId,
    agent: Option<UserId>,
    stars: i16,
    comment: &str,
    change_hours: u32,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "insert into ratings (id, ticket_id, message_id, user_id, agent_id, stars, comment) \
         values ($1, $2, $3, $4, $5, $6, $7) \
         on conflict (ticket_id, message_id) do update \
             set stars = excluded.stars, comment = excluded.comment, user_id = excluded.user_id \
             where ratings.created_at > now() - make_interval(hours => $8)",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(ticket)
    .bind(message)
    .bind(user)
    .bind(agent)
    .bind(stars)
    .bind(comment)
    .bind(change_hours as i32)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}
