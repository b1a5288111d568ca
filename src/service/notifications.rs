//! The bell: what a person was told in the app (escalations), unread
//! first. Written by the write path's commit; read and cleared here.

use sqlx::PgPool;
use time::OffsetDateTime;
use uuid::Uuid;

use super::Result;
use crate::store;
use crate::store::notifications::NotificationRow;
use crate::store::users::UserRow;

/// The bell shows "99+" past this.
pub const UNREAD_CAP: i64 = 100;

pub async fn unread(db: &PgPool, user: &UserRow) -> Result<i64> {
    Ok(store::notifications::unread(db, user.id, UNREAD_CAP).await?)
}

/// A page of notifications, newest first, and the next page's keyset.
pub async fn page(
    db: &PgPool,
    user: &UserRow,
    before: Option<(OffsetDateTime, Uuid)>,
    limit: i64,
) -> Result<(Vec<NotificationRow>, Option<(OffsetDateTime, Uuid)>)> {
    let mut rows = store::notifications::page(db, user.id, before, limit + 1).await?;
    let next = if rows.len() as i64 > limit {
        rows.truncate(limit as usize);
        rows.last().map(|r| (r.created_at, r.id))
    } else {
        None
    };
    Ok((rows, next))
}

pub async fn read_all(db: &PgPool, user: &UserRow) -> Result<u64> {
    Ok(store::notifications::read_all(db, user.id).await?)
}
