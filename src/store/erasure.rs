//! Erasing a customer's content (data protection): messages emptied in
//! place, their files and raw mail deleted with the blob references
//! released, ratings' comments and the mail queued or sent about them
//! removed, and the person's row reduced to a neutral name. The bytes of
//! released blobs are deleted later by the collector (`store::blobs`).

use sqlx::PgConnection;

use crate::domain::ids::{TicketId, UserId};

/// What one ticket's erasure removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Removed {
    pub messages: i64,
    pub files: i64,
}

/// Empties the messages of `ticket` (all of them when `author` is `None`,
/// else those `author` wrote), deletes their files and raw mail, and
/// releases the blob references. Messages already erased are left alone.
pub async fn messages(
    db: &mut PgConnection,
    ticket: TicketId,
    author: Option<UserId>,
) -> sqlx::Result<Removed> {
    // One statement: the chosen messages, their files and raw mail go,
    // and every released blob is counted down once per reference
    // (PostgreSQL runs every data-modifying WITH part, read or not).
    let (messages, files): (i64, i64) = sqlx::query_as(
        "with chosen as ( \
             select id, raw_mail_id from messages \
             where ticket_id = $1 and ($2::uuid is null or author_id = $2) and erased_at is null \
             for update), \
         files as ( \
             delete from attachments where message_id in (select id from chosen) \
             returning blob_sha256), \
         raws as ( \
             delete from raw_mails r \
             where r.id in (select raw_mail_id from chosen where raw_mail_id is not null) \
                or r.message_row_id in (select id from chosen) \
                or ($2::uuid is null and r.ticket_id = $1) \
             returning r.blob_sha256), \
         released as ( \
             update blobs b set ref_count = greatest(b.ref_count - x.n, 0) \
             from (select blob_sha256, count(*)::int as n \
                   from (select blob_sha256 from files union all select blob_sha256 from raws) a \
                   group by blob_sha256) x \
             where b.sha256 = x.blob_sha256 \
             returning 1), \
         emptied as ( \
             update messages m set body_text = '', body_html = null, subject = null, \
                    to_addrs = '{}', cc_addrs = '{}', threading_note = null, raw_mail_id = null, \
                    erased_at = now() \
             where m.id in (select id from chosen) \
             returning 1) \
         select (select count(*) from emptied), (select count(*) from files)",
    )
    .bind(ticket)
    .bind(author)
    .fetch_one(&mut *db)
    .await?;
    Ok(Removed { messages, files })
}

/// Removes the customer's rating comments on `ticket` (the stars stay for
/// the statistics) and the mail of `ticket` queued or sent to them; with
/// `whole`, every mail of the ticket (it was all about them).
pub async fn ratings_and_mail(
    db: &mut PgConnection,
    ticket: TicketId,
    customer: UserId,
    whole: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "with c as (update ratings set comment = '' where ticket_id = $1 and user_id = $2 returning 1) \
         delete from outbox o where o.ticket_id = $1 and ($3 or exists ( \
             select 1 from outbox_recipients r join user_emails e on e.email = r.address \
             where r.outbox_id = o.id and e.user_id = $2))",
    )
    .bind(ticket)
    .bind(customer)
    .bind(whole)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// The tickets `customer` asked, wrote on or takes part in, in number order
/// (the order their writes lock them in).
pub async fn tickets_of(db: &mut PgConnection, customer: UserId) -> sqlx::Result<Vec<TicketId>> {
    sqlx::query_scalar(
        "select t.id from tickets t where t.requester_id = $1 \
            or exists (select 1 from messages m where m.ticket_id = t.id and m.author_id = $1) \
            or exists (select 1 from ticket_participants p where p.ticket_id = t.id and p.user_id = $1) \
         order by t.number",
    )
    .bind(customer)
    .fetch_all(db)
    .await
}

/// Reduces the person to `name`: addresses, password, sessions, their
/// raw mail not filed on any ticket, and their organisation go; they are
/// disabled, and every signed link they hold stops working.
pub async fn person(db: &mut PgConnection, customer: UserId, name: &str) -> sqlx::Result<()> {
    sqlx::query(
        "with raws as ( \
             delete from raw_mails r where r.ticket_id is null and r.envelope_from in \
                 (select email from user_emails where user_id = $1) \
             returning r.blob_sha256), \
         released as ( \
             update blobs b set ref_count = greatest(b.ref_count - x.n, 0) \
             from (select blob_sha256, count(*)::int as n from raws group by blob_sha256) x \
             where b.sha256 = x.blob_sha256 returning 1) \
         select count(*) from released",
    )
    .bind(customer)
    .execute(&mut *db)
    .await?;
    sqlx::query("delete from sessions where user_id = $1")
        .bind(customer)
        .execute(&mut *db)
        .await?;
    sqlx::query("delete from user_emails where user_id = $1")
        .bind(customer)
        .execute(&mut *db)
        .await?;
    sqlx::query(
        "update users set name = $2, password_hash = null, must_change_password = false, \
             organisation_id = null, preferences = '{}', session_epoch = session_epoch + 1, \
             disabled_at = coalesce(disabled_at, now()), erased_at = now() \
         where id = $1",
    )
    .bind(customer)
    .bind(name)
    .execute(&mut *db)
    .await?;
    Ok(())
}
