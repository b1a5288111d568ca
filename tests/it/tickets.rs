//! Ticket jobs and the search change feed.

use bilet::domain::ids::TicketId;
use bilet::domain::status::Status;
use bilet::domain::users::Role;
use bilet::store::search_log::{self, Position};
use sqlx::PgPool;
use time::{Duration, OffsetDateTime};

use crate::harness::fixtures;

#[sqlx::test]
async fn resolved_tickets_close_after_the_configured_days(db: PgPool) {
    let tech = fixtures::department(&db, "tech").await;
    let customer = fixtures::user(&db, "c@example.com", Role::Customer, &[]).await;
    let (old, _) = fixtures::ticket(&db, tech, customer, "old").await;
    let (recent, _) = fixtures::ticket(&db, tech, customer, "recent").await;
    let (open, _) = fixtures::ticket(&db, tech, customer, "open").await;
    let now = OffsetDateTime::now_utc();
    bilet::store::tickets::set_status(&db, old, Status::Resolved, now - Duration::days(8))
        .await
        .expect("resolve");
    bilet::store::tickets::set_status(&db, recent, Status::Resolved, now - Duration::days(2))
        .await
        .expect("resolve");

    assert_eq!(
        bilet::service::tickets::auto_close(&db, 7)
            .await
            .expect("job"),
        1
    );
    let status = |id: TicketId| {
        let db = db.clone();
        async move {
            sqlx::query_scalar::<_, Status>("select status from tickets where id = $1")
                .bind(id)
                .fetch_one(&db)
                .await
                .expect("status")
        }
    };
    assert_eq!(status(old).await, Status::Closed);
    assert_eq!(status(recent).await, Status::Resolved);
    assert_eq!(status(open).await, Status::Open);
    let history: (String, String) = sqlx::query_as(
        "select from_status::text, to_status::text from ticket_history where ticket_id = $1 and change = 'status'",
    )
    .bind(old)
    .fetch_one(&db)
    .await
    .expect("history row");
    assert_eq!(history, ("resolved".into(), "closed".into()));
    // Running again closes nothing more.
    assert_eq!(
        bilet::service::tickets::auto_close(&db, 7)
            .await
            .expect("job"),
        0
    );
}

#[sqlx::test]
async fn the_search_feed_never_skips_a_late_commit(db: PgPool) {
    let tech = fixtures::department(&db, "tech").await;
    let customer = fixtures::user(&db, "c@example.com", Role::Customer, &[]).await;
    let (early, _) = fixtures::ticket(&db, tech, customer, "early").await;
    let (late, _) = fixtures::ticket(&db, tech, customer, "late").await;

    // The slow transaction takes its id first but commits last.
    let mut slow = db.begin().await.expect("tx");
    search_log::append(&mut *slow, late, "upsert")
        .await
        .expect("append");
    let mut fast = db.begin().await.expect("tx");
    search_log::append(&mut *fast, early, "upsert")
        .await
        .expect("append");
    fast.commit().await.expect("commit");

    // The fast commit is not readable yet: reading it would move the
    // position past the slow transaction's row.
    let first = search_log::read_after(&db, Position::default(), 100)
        .await
        .expect("read");
    assert!(first.is_empty(), "{first:?}");

    slow.commit().await.expect("commit");
    // Other tests share the cluster, and their open transactions hold the
    // horizon back for a moment too.
    let mut all = Vec::new();
    for _ in 0..100 {
        all = search_log::read_after(&db, Position::default(), 100)
            .await
            .expect("read");
        if all.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        all.iter().map(|c| c.ticket_id).collect::<Vec<_>>(),
        vec![late, early]
    );
    let last = all.last().expect("rows");
    let after = search_log::read_after(
        &db,
        Position {
            txid: last.txid,
            seq: last.seq,
        },
        100,
    )
    .await
    .expect("read");
    assert!(after.is_empty());
}
