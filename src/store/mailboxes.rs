//! Mailboxes: where mail comes from and goes out, and their IMAP position
//! and lease.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::config::TlsMode;
use crate::domain::ids::DepartmentId;

/// A mailbox with its (still encrypted) passwords.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct MailboxRow {
    pub id: Uuid,
    pub name: String,
    pub imap_host: String,
    pub imap_port: i32,
    pub imap_tls: TlsMode,
    pub imap_user: String,
    pub imap_password: Vec<u8>,
    pub imap_folder: String,
    pub processed_folder: Option<String>,
    pub smtp_host: String,
    pub smtp_port: i32,
    pub smtp_tls: TlsMode,
    pub smtp_user: Option<String>,
    pub smtp_password: Option<Vec<u8>>,
    pub default_department_id: DepartmentId,
    pub use_idle: bool,
    pub enabled: bool,
    pub uid_validity: Option<i64>,
    pub last_uid: i64,
    pub import_existing: bool,
    pub import_until_uid: i64,
    pub last_error: Option<String>,
    pub last_polled_at: Option<time::OffsetDateTime>,
    pub addresses: Vec<String>,
}

const SELECT: &str = "select m.id, m.name, m.imap_host, m.imap_port, m.imap_tls, m.imap_user, m.imap_password, \
     m.imap_folder, m.processed_folder, m.smtp_host, m.smtp_port, m.smtp_tls, m.smtp_user, m.smtp_password, \
     m.default_department_id, m.use_idle, m.enabled, m.uid_validity, m.last_uid, m.import_existing, \
     m.import_until_uid, m.last_error, m.last_polled_at, \
     coalesce(array(select a.email from mailbox_addresses a where a.mailbox_id = m.id order by a.email), '{}') as addresses \
     from mailboxes m";

/// Every mailbox.
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<MailboxRow>> {
    sqlx::query_as(&format!("{SELECT} order by m.name"))
        .fetch_all(db)
        .await
}

/// One mailbox.
pub async fn find(db: impl PgExecutor<'_>, id: Uuid) -> sqlx::Result<Option<MailboxRow>> {
    sqlx::query_as(&format!("{SELECT} where m.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The mailbox with this name.
pub async fn find_by_name(db: impl PgExecutor<'_>, name: &str) -> sqlx::Result<Option<MailboxRow>> {
    sqlx::query_as(&format!("{SELECT} where m.name = $1"))
        .bind(name)
        .fetch_optional(db)
        .await
}

/// The mailbox's default department.
pub async fn default_department(
    db: impl PgExecutor<'_>,
    id: Uuid,
) -> sqlx::Result<Option<DepartmentId>> {
    sqlx::query_scalar("select default_department_id from mailboxes where id = $1")
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The department one of these addresses belongs to, preferring the
/// earliest address in the list (a new mailbox's department "from the
/// address").
pub async fn department_by_address(
    db: impl PgExecutor<'_>,
    addresses: &[String],
) -> sqlx::Result<Option<DepartmentId>> {
    sqlx::query_scalar(
        "select d.department_id from department_addresses d where d.email = any($1) \
         order by array_position($1, d.email) limit 1",
    )
    .bind(addresses)
    .fetch_optional(db)
    .await
}

/// A mailbox to create.
pub struct NewMailbox<'a> {
    pub name: &'a str,
    pub imap_host: &'a str,
    pub imap_port: i32,
    pub imap_tls: TlsMode,
    pub imap_user: &'a str,
    pub imap_password: &'a [u8],
    pub imap_folder: &'a str,
    pub processed_folder: Option<&'a str>,
    pub smtp_host: &'a str,
    pub smtp_port: i32,
    pub smtp_tls: TlsMode,
    pub smtp_user: Option<&'a str>,
    pub smtp_password: Option<&'a [u8]>,
    pub default_department: DepartmentId,
    pub use_idle: bool,
    pub import_existing: bool,
    pub addresses: &'a [String],
}

/// Creates a mailbox with its addresses.
pub async fn insert(db: &mut sqlx::PgConnection, m: NewMailbox<'_>) -> sqlx::Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "insert into mailboxes (id, name, imap_host, imap_port, imap_tls, imap_user, imap_password, imap_folder, \
             processed_folder, smtp_host, smtp_port, smtp_tls, smtp_user, smtp_password, default_department_id, \
             use_idle, import_existing) \
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17)",
    )
    .bind(id)
    .bind(m.name)
    .bind(m.imap_host)
    .bind(m.imap_port)
    .bind(m.imap_tls)
    .bind(m.imap_user)
    .bind(m.imap_password)
    .bind(m.imap_folder)
    .bind(m.processed_folder)
    .bind(m.smtp_host)
    .bind(m.smtp_port)
    .bind(m.smtp_tls)
    .bind(m.smtp_user)
    .bind(m.smtp_password)
    .bind(m.default_department)
    .bind(m.use_idle)
    .bind(m.import_existing)
    .execute(&mut *db)
    .await?;
    for a in m.addresses {
        sqlx::query("insert into mailbox_addresses (email, mailbox_id) values ($1, $2)")
            .bind(a)
            .bind(id)
            .execute(&mut *db)
            .await?;
    }
    Ok(id)
}

/// Takes or renews the lease on a mailbox for `node`; false when another
/// node holds a live one.
pub async fn lease(
    db: impl PgExecutor<'_>,
    id: Uuid,
    node: &str,
    seconds: i32,
) -> sqlx::Result<bool> {
    let done = sqlx::query(
        "update mailboxes set lease_owner = $2, lease_until = now() + make_interval(secs => $3) \
         where id = $1 and enabled and (lease_owner is null or lease_owner = $2 or lease_until < now())",
    )
    .bind(id)
    .bind(node)
    .bind(seconds)
    .execute(db)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Gives up a lease.
pub async fn release(db: impl PgExecutor<'_>, id: Uuid, node: &str) -> sqlx::Result<()> {
    sqlx::query("update mailboxes set lease_owner = null, lease_until = null where id = $1 and lease_owner = $2")
        .bind(id)
        .bind(node)
        .execute(db)
        .await?;
    Ok(())
}

/// Records the folder's UIDVALIDITY. A new value (the folder was rebuilt)
/// resets the position so that everything is looked at again; the
/// de-duplication keeps that from making second messages.
pub async fn set_uid_validity(
    db: impl PgExecutor<'_>,
    id: Uuid,
    uid_validity: i64,
    last_uid: i64,
    import_until: i64,
) -> sqlx::Result<()> {
    sqlx::query("update mailboxes set uid_validity = $2, last_uid = $3, import_until_uid = $4 where id = $1")
        .bind(id)
        .bind(uid_validity)
        .bind(last_uid)
        .bind(import_until)
        .execute(db)
        .await?;
    Ok(())
}

/// Notes how the last poll went.
pub async fn polled(db: impl PgExecutor<'_>, id: Uuid, error: Option<&str>) -> sqlx::Result<()> {
    sqlx::query("update mailboxes set last_polled_at = now(), last_error = $2 where id = $1")
        .bind(id)
        .bind(error)
        .execute(db)
        .await?;
    Ok(())
}

/// The mailbox that sends a department's mail (one serving its primary address).
pub async fn for_department(
    db: impl PgExecutor<'_>,
    department: DepartmentId,
) -> sqlx::Result<Option<Uuid>> {
    sqlx::query_scalar(
        "select m.id from mailboxes m where m.enabled and (m.default_department_id = $1 or exists ( \
             select 1 from mailbox_addresses a join department_addresses d on d.email = a.email \
             where a.mailbox_id = m.id and d.department_id = $1)) \
         order by (m.default_department_id = $1) desc, m.name limit 1",
    )
    .bind(department)
    .fetch_optional(db)
    .await
}
