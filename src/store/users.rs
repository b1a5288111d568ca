//! Users (customers and staff) and their addresses.

use sqlx::{PgConnection, PgExecutor};
use time::OffsetDateTime;

use crate::domain::access::AccessLevel;
use crate::domain::ids::{DepartmentId, OrganisationId, UserId};
use crate::domain::users::Role;

/// A user as the rest of the server sees them, with their primary address.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct UserRow {
    pub id: UserId,
    pub role: Role,
    pub name: String,
    pub email: String,
    pub password_hash: Option<String>,
    pub must_change_password: bool,
    pub locale: Option<String>,
    pub time_zone: Option<String>,
    pub organisation_id: Option<OrganisationId>,
    pub session_epoch: i32,
    pub disabled_at: Option<OffsetDateTime>,
    pub created_at: OffsetDateTime,
    pub preferences: serde_json::Value,
    /// The primary address was proven (a mailed link, or mail from it).
    pub email_verified: bool,
    /// Set when the user acts through an API token (never from the database row).
    #[sqlx(skip)]
    pub narrowing: Option<crate::domain::access::Narrowing>,
}

impl UserRow {
    /// The user as the access rule sees them.
    pub fn viewer(&self) -> crate::domain::access::Viewer {
        crate::domain::access::Viewer {
            user_id: self.id,
            role: self.role,
            organisation_id: self.organisation_id,
            disabled: self.disabled_at.is_some(),
            mail_proven: self.email_verified,
            narrowing: self.narrowing,
        }
    }
}

// One list of a user's columns for both constants below.
macro_rules! user_columns {
    () => {
        "u.id, u.role, u.name, e.email, u.password_hash, u.must_change_password, \
         u.locale, u.time_zone, u.organisation_id, u.session_epoch, u.disabled_at, u.created_at, \
         u.preferences, e.verified_at is not null as email_verified"
    };
}

/// The columns of a [`UserRow`] (users `u` joined with their primary address `e`).
pub(super) const COLUMNS: &str = user_columns!();

const SELECT: &str = concat!(
    "select ",
    user_columns!(),
    " from users u join user_emails e on e.user_id = u.id and e.is_primary"
);

/// What a new user starts with.
pub struct NewUser<'a> {
    pub id: UserId,
    pub role: Role,
    pub name: &'a str,
    pub email: &'a str,
    pub password_hash: Option<&'a str>,
    pub must_change_password: bool,
    pub locale: Option<&'a str>,
}

/// Inserts the user and their primary address. Fails on
/// `user_emails_email_key` when the address is taken.
pub async fn insert(db: &mut PgConnection, user: NewUser<'_>) -> sqlx::Result<()> {
    sqlx::query(
        "insert into users (id, role, name, password_hash, must_change_password, locale) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user.id)
    .bind(user.role)
    .bind(user.name)
    .bind(user.password_hash)
    .bind(user.must_change_password)
    .bind(user.locale)
    .execute(&mut *db)
    .await?;
    sqlx::query(
        "insert into user_emails (id, user_id, email, is_primary) values ($1, $2, $3, true)",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(user.id)
    .bind(user.email)
    .execute(&mut *db)
    .await?;
    Ok(())
}

/// Inserts the user unless the address is taken (by a transaction that
/// committed, or that commits while this one waits on it): the address's
/// unique key decides, with ON CONFLICT, so two racing intakes of a new
/// address make one person. Returns whether this call made them.
pub async fn insert_if_new(db: &mut PgConnection, user: NewUser<'_>) -> sqlx::Result<bool> {
    sqlx::query(
        "insert into users (id, role, name, password_hash, must_change_password, locale) \
         values ($1, $2, $3, $4, $5, $6)",
    )
    .bind(user.id)
    .bind(user.role)
    .bind(user.name)
    .bind(user.password_hash)
    .bind(user.must_change_password)
    .bind(user.locale)
    .execute(&mut *db)
    .await?;
    let made = sqlx::query(
        "insert into user_emails (id, user_id, email, is_primary) values ($1, $2, $3, true) \
         on conflict (email) do nothing",
    )
    .bind(uuid::Uuid::now_v7())
    .bind(user.id)
    .bind(user.email)
    .execute(&mut *db)
    .await?
    .rows_affected()
        == 1;
    if !made {
        sqlx::query("delete from users where id = $1")
            .bind(user.id)
            .execute(&mut *db)
            .await?;
    }
    Ok(made)
}

/// The user owning `email` (any of their addresses).
pub async fn find_by_email(db: impl PgExecutor<'_>, email: &str) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!(
        "{SELECT} where u.id = (select user_id from user_emails where email = $1)"
    ))
    .bind(email)
    .fetch_optional(db)
    .await
}

/// The user with this id.
pub async fn find(db: impl PgExecutor<'_>, id: UserId) -> sqlx::Result<Option<UserRow>> {
    sqlx::query_as(&format!("{SELECT} where u.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// Marks the user's primary address proven.
pub async fn verify_email(db: impl PgExecutor<'_>, id: UserId) -> sqlx::Result<()> {
    sqlx::query(
        "update user_emails set verified_at = coalesce(verified_at, now()) where user_id = $1 and is_primary",
    )
    .bind(id)
    .execute(db)
    .await?;
    Ok(())
}

/// Replaces the password hash; bumps the session epoch, which revokes
/// signed links issued before.
pub async fn set_password(
    db: impl PgExecutor<'_>,
    id: UserId,
    hash: &str,
    must_change: bool,
) -> sqlx::Result<()> {
    sqlx::query(
        "update users set password_hash = $2, must_change_password = $3, \
         session_epoch = session_epoch + 1 where id = $1",
    )
    .bind(id)
    .bind(hash)
    .bind(must_change)
    .execute(db)
    .await?;
    Ok(())
}

/// Bumps the session epoch ("sign out everywhere").
pub async fn bump_epoch(db: impl PgExecutor<'_>, id: UserId) -> sqlx::Result<()> {
    sqlx::query("update users set session_epoch = session_epoch + 1 where id = $1")
        .bind(id)
        .execute(db)
        .await?;
    Ok(())
}

/// Saves the reader preferences (None: follow the browser / the default).
/// Sets the time zone only when the person has none yet.
pub async fn adopt_time_zone(db: impl PgExecutor<'_>, id: UserId, zone: &str) -> sqlx::Result<()> {
    sqlx::query("update users set time_zone = $2 where id = $1 and time_zone is null")
        .bind(id)
        .bind(zone)
        .execute(db)
        .await?;
    Ok(())
}

pub async fn set_preferences(
    db: impl PgExecutor<'_>,
    id: UserId,
    name: &str,
    locale: Option<&str>,
    time_zone: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("update users set name = $2, locale = $3, time_zone = $4 where id = $1")
        .bind(id)
        .bind(name)
        .bind(locale)
        .bind(time_zone)
        .execute(db)
        .await?;
    Ok(())
}

/// Saves just the language (the header's language switcher).
pub async fn set_locale(db: impl PgExecutor<'_>, id: UserId, locale: &str) -> sqlx::Result<()> {
    sqlx::query("update users set locale = $2 where id = $1")
        .bind(id)
        .bind(locale)
        .execute(db)
        .await?;
    Ok(())
}

/// Whether any administrator exists (first start).
pub async fn any_admin(db: impl PgExecutor<'_>) -> sqlx::Result<bool> {
    sqlx::query_scalar("select exists(select 1 from users where role = 'admin')")
        .fetch_one(db)
        .await
}

/// Grants an agent a department at a level (or changes the level).
pub async fn grant_department(
    db: impl PgExecutor<'_>,
    user: UserId,
    department: DepartmentId,
    level: AccessLevel,
) -> sqlx::Result<()> {
    sqlx::query(
        "insert into agent_departments (user_id, department_id, level) values ($1, $2, $3) \
         on conflict (user_id, department_id) do update set level = excluded.level",
    )
    .bind(user)
    .bind(department)
    .bind(level)
    .execute(db)
    .await?;
    Ok(())
}

/// Disables or re-enables an account; history stays.
pub async fn set_disabled(db: impl PgExecutor<'_>, id: UserId, disabled: bool) -> sqlx::Result<()> {
    sqlx::query(
        "update users set disabled_at = case when $2 then coalesce(disabled_at, now()) end, \
         session_epoch = session_epoch + 1 where id = $1",
    )
    .bind(id)
    .bind(disabled)
    .execute(db)
    .await?;
    Ok(())
}

/// Puts a customer into an organisation.
pub async fn set_organisation(
    db: impl PgExecutor<'_>,
    id: UserId,
    organisation: Option<OrganisationId>,
) -> sqlx::Result<()> {
    sqlx::query("update users set organisation_id = $2 where id = $1")
        .bind(id)
        .bind(organisation)
        .execute(db)
        .await?;
    Ok(())
}

/// Sets one key of the user's preferences (e.g. "sound").
pub async fn set_preference(
    db: impl PgExecutor<'_>,
    id: UserId,
    key: &str,
    value: serde_json::Value,
) -> sqlx::Result<()> {
    sqlx::query(
        "update users set preferences = jsonb_set(preferences, array[$2], $3) where id = $1",
    )
    .bind(id)
    .bind(key)
    .bind(value)
    .execute(db)
    .await?;
    Ok(())
}

/// Staff members, by name.
pub async fn staff(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<UserRow>> {
    sqlx::query_as(&format!(
        "{SELECT} where u.role <> 'customer' order by u.name"
    ))
    .fetch_all(db)
    .await
}

/// An agent's department grants: (department, level).
pub async fn grants(
    db: impl PgExecutor<'_>,
    id: UserId,
) -> sqlx::Result<Vec<(DepartmentId, AccessLevel)>> {
    sqlx::query_as("select department_id, level from agent_departments where user_id = $1")
        .bind(id)
        .fetch_all(db)
        .await
}

/// Replaces an agent's grants.
pub async fn set_grants(
    db: &mut PgConnection,
    id: UserId,
    grants: &[(DepartmentId, AccessLevel)],
) -> sqlx::Result<()> {
    sqlx::query("delete from agent_departments where user_id = $1")
        .bind(id)
        .execute(&mut *db)
        .await?;
    for (department, level) in grants {
        grant_department(&mut *db, id, *department, *level).await?;
    }
    Ok(())
}

/// Changes a staff member's name and role.
pub async fn set_name_and_role(
    db: impl PgExecutor<'_>,
    id: UserId,
    name: &str,
    role: Role,
) -> sqlx::Result<()> {
    sqlx::query("update users set name = $2, role = $3 where id = $1")
        .bind(id)
        .bind(name)
        .bind(role)
        .execute(db)
        .await?;
    Ok(())
}

/// The people whose name or an address contains `words` (any case), staff
/// only when `staff`: the search box's `from:` and `agent:`, resolved when
/// the query runs. `None` when more than `cap` match.
pub async fn ids_named(
    db: impl PgExecutor<'_>,
    words: &str,
    staff: bool,
    cap: i64,
) -> sqlx::Result<Option<Vec<UserId>>> {
    let pattern = format!(
        "%{}%",
        words
            .trim()
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let ids: Vec<UserId> = sqlx::query_scalar(
        "select u.id from users u where ($2 = false or u.role <> 'customer') \
         and (lower(u.name) like $1 \
              or exists (select 1 from user_emails e where e.user_id = u.id and lower(e.email) like $1)) \
         limit $3",
    )
    .bind(pattern)
    .bind(staff)
    .bind(cap + 1)
    .fetch_all(db)
    .await?;
    Ok((ids.len() as i64 <= cap).then_some(ids))
}

/// The unmerged tickets someone asked or takes part in, by number.
pub async fn ticket_numbers_of(
    db: impl PgExecutor<'_>,
    user: UserId,
) -> sqlx::Result<Vec<crate::domain::ids::TicketNumber>> {
    sqlx::query_scalar(
        "select t.number from tickets t where t.merged_into_id is null and (t.requester_id = $1 \
             or exists (select 1 from ticket_participants p where p.ticket_id = t.id and p.user_id = $1)) \
         order by t.number",
    )
    .bind(user)
    .fetch_all(db)
    .await
}

/// Every address of a user, primary first.
pub async fn addresses_of(db: impl PgExecutor<'_>, user: UserId) -> sqlx::Result<Vec<String>> {
    sqlx::query_scalar(
        "select email from user_emails where user_id = $1 order by is_primary desc, email",
    )
    .bind(user)
    .fetch_all(db)
    .await
}
