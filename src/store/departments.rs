//! Departments and their mail addresses.

use sqlx::{PgConnection, PgExecutor};

use crate::domain::ids::DepartmentId;

/// A department with its addresses (primary first).
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DepartmentRow {
    pub id: DepartmentId,
    pub slug: String,
    pub name: String,
    pub signature: String,
    pub customer_visible: bool,
    pub addresses: Vec<String>,
}

const SELECT: &str = "select d.id, d.slug, d.name, d.signature, d.customer_visible, \
     coalesce(array(select a.email from department_addresses a where a.department_id = d.id \
                    order by a.is_primary desc, a.email), '{}') as addresses \
     from departments d";

/// Inserts a department and its addresses (the first is primary). Fails on
/// `departments_slug_key` or `department_addresses_pkey` when taken.
pub async fn insert(
    db: &mut PgConnection,
    id: DepartmentId,
    slug: &str,
    name: &str,
    signature: &str,
    addresses: &[String],
) -> sqlx::Result<()> {
    sqlx::query("insert into departments (id, slug, name, signature) values ($1, $2, $3, $4)")
        .bind(id)
        .bind(slug)
        .bind(name)
        .bind(signature)
        .execute(&mut *db)
        .await?;
    for (i, address) in addresses.iter().enumerate() {
        sqlx::query(
            "insert into department_addresses (email, department_id, is_primary) values ($1, $2, $3)",
        )
        .bind(address)
        .bind(id)
        .bind(i == 0)
        .execute(&mut *db)
        .await?;
    }
    Ok(())
}

/// Every department, in display order.
pub async fn list(db: impl PgExecutor<'_>) -> sqlx::Result<Vec<DepartmentRow>> {
    sqlx::query_as(&format!("{SELECT} order by d.position, d.name"))
        .fetch_all(db)
        .await
}

/// The departments whose tickets `scope` reaches, in display order.
pub async fn visible(
    db: impl PgExecutor<'_>,
    scope: crate::domain::access::Scope,
) -> sqlx::Result<Vec<DepartmentRow>> {
    let mut qb = sqlx::QueryBuilder::<sqlx::Postgres>::new(format!("{SELECT} where true"));
    super::access::push_department_scope(&mut qb, scope, "d.id");
    qb.push(" order by d.position, d.name");
    qb.build_query_as().fetch_all(db).await
}

/// The departments `user` works (reply level or more; admins: all).
pub async fn worked_by(
    db: impl PgExecutor<'_>,
    user: crate::domain::ids::UserId,
) -> sqlx::Result<Vec<DepartmentRow>> {
    let works = super::access::works_in("d.id");
    sqlx::query_as(&format!(
        "{SELECT} where exists (select 1 from users u where u.id = $1 and {works}) order by d.position, d.name"
    ))
    .bind(user)
    .fetch_all(db)
    .await
}

/// The department with this id.
pub async fn find(
    db: impl PgExecutor<'_>,
    id: DepartmentId,
) -> sqlx::Result<Option<DepartmentRow>> {
    sqlx::query_as(&format!("{SELECT} where d.id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await
}

/// The department with this slug.
pub async fn find_by_slug(
    db: impl PgExecutor<'_>,
    slug: &str,
) -> sqlx::Result<Option<DepartmentRow>> {
    sqlx::query_as(&format!("{SELECT} where d.slug = $1"))
        .bind(slug)
        .fetch_optional(db)
        .await
}

/// A department's editable fields with its manager.
#[derive(Debug, Clone, sqlx::FromRow)]
pub struct DepartmentEdit {
    pub id: DepartmentId,
    pub slug: String,
    pub name: String,
    pub signature: String,
    pub customer_visible: bool,
    pub manager_id: Option<crate::domain::ids::UserId>,
    pub addresses: Vec<String>,
}

/// A department for the edit form.
pub async fn find_for_edit(
    db: impl PgExecutor<'_>,
    slug: &str,
) -> sqlx::Result<Option<DepartmentEdit>> {
    sqlx::query_as(
        "select d.id, d.slug, d.name, d.signature, d.customer_visible, d.manager_id, \
         coalesce(array(select a.email from department_addresses a where a.department_id = d.id \
                        order by a.is_primary desc, a.email), '{}') as addresses \
         from departments d where d.slug = $1",
    )
    .bind(slug)
    .fetch_optional(db)
    .await
}

/// Changes a department and replaces its addresses (the first is primary).
pub async fn update(db: &mut PgConnection, d: &DepartmentEdit) -> sqlx::Result<()> {
    sqlx::query(
        "update departments set name = $2, signature = $3, customer_visible = $4, manager_id = $5 where id = $1",
    )
    .bind(d.id)
    .bind(&d.name)
    .bind(&d.signature)
    .bind(d.customer_visible)
    .bind(d.manager_id)
    .execute(&mut *db)
    .await?;
    sqlx::query("delete from department_addresses where department_id = $1")
        .bind(d.id)
        .execute(&mut *db)
        .await?;
    for (i, address) in d.addresses.iter().enumerate() {
        sqlx::query("insert into department_addresses (email, department_id, is_primary) values ($1, $2, $3)")
            .bind(address)
            .bind(d.id)
            .bind(i == 0)
            .execute(&mut *db)
            .await?;
    }
    Ok(())
}

/// The departments whose slug or name is one of `names` (any case): the
/// search box's `dept:`.
pub async fn ids_named(
    db: impl sqlx::PgExecutor<'_>,
    names: &[String],
) -> sqlx::Result<Vec<crate::domain::ids::DepartmentId>> {
    let lower: Vec<String> = names.iter().map(|n| n.to_lowercase()).collect();
    sqlx::query_scalar(
        "select id from departments where lower(slug) = any($1) or lower(name) = any($1)",
    )
    .bind(lower)
    .fetch_all(db)
    .await
}
