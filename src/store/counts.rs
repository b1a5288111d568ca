//! Maintained ticket counts by (department, status, assignee). The write
//! path's commit appends +1/-1 rows and nothing else does, except a bulk
//! loader, which then calls [`rebuild`]. Rows are insert-only, so parallel
//! writers never wait for each other on one hot counter row and transfers
//! cannot deadlock; readers sum the rows of the keys they need (an index
//! scan over a few thousand rows at most, see `store::queue::counts`), and
//! [`fold`] merges the rows of each key now and then.

use sqlx::{PgConnection, PgExecutor};

use crate::domain::ids::{DepartmentId, UserId};
use crate::domain::status::Status;

/// One counter key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Key {
    pub department: DepartmentId,
    pub status: Status,
    pub assignee: Option<UserId>,
}

/// Adds the deltas of one write (keys with a zero sum are left out).
pub(crate) async fn add(db: impl PgExecutor<'_>, deltas: &[(Key, i32)]) -> sqlx::Result<()> {
    let deltas: Vec<&(Key, i32)> = deltas.iter().filter(|(_, n)| *n != 0).collect();
    if deltas.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "insert into ticket_counts (department_id, status, assignee_id, n) \
         select * from unnest($1::uuid[], $2::ticket_status[], $3::uuid[], $4::int[])",
    )
    .bind(deltas.iter().map(|(k, _)| k.department).collect::<Vec<_>>())
    .bind(deltas.iter().map(|(k, _)| k.status).collect::<Vec<_>>())
    .bind(deltas.iter().map(|(k, _)| k.assignee).collect::<Vec<_>>())
    .bind(deltas.iter().map(|(_, n)| *n).collect::<Vec<_>>())
    .execute(db)
    .await?;
    Ok(())
}

/// Merges the rows of each key into one; one node at a time (the others
/// skip), and a no-op when there is little to merge. Run it in a
/// transaction of its own: the advisory lock lasts until that ends.
pub async fn fold(tx: &mut PgConnection) -> sqlx::Result<u64> {
    let mine: bool = sqlx::query_scalar(
        "select pg_try_advisory_xact_lock(hashtext('bilet.ticket_counts.fold'))",
    )
    .fetch_one(&mut *tx)
    .await?;
    if !mine {
        return Ok(0);
    }
    let merged = sqlx::query(
        "with many as ( \
             select department_id, status, assignee_id from ticket_counts \
             group by 1, 2, 3 having count(*) > 1), \
         gone as ( \
             delete from ticket_counts c using many m \
             where c.department_id = m.department_id and c.status = m.status \
               and c.assignee_id is not distinct from m.assignee_id \
             returning c.department_id, c.status, c.assignee_id, c.n) \
         insert into ticket_counts (department_id, status, assignee_id, n) \
         select department_id, status, assignee_id, sum(n) from gone group by 1, 2, 3 having sum(n) <> 0",
    )
    .execute(&mut *tx)
    .await?
    .rows_affected();
    Ok(merged)
}

/// Recomputes every count from the tickets (after a bulk load or restore),
/// in the caller's transaction: the table lock lasts until it ends.
pub async fn rebuild(tx: &mut PgConnection) -> sqlx::Result<()> {
    sqlx::query("lock table ticket_counts in exclusive mode")
        .execute(&mut *tx)
        .await?;
    sqlx::query("delete from ticket_counts")
        .execute(&mut *tx)
        .await?;
    sqlx::query(
        "insert into ticket_counts (department_id, status, assignee_id, n) \
         select department_id, status, assignee_id, count(*) from tickets \
         where merged_into_id is null group by 1, 2, 3",
    )
    .execute(&mut *tx)
    .await?;
    Ok(())
}
