//! Ticket jobs and the change journal's order.

use bilet::domain::access::AccessLevel;
use bilet::domain::ids::TicketId;
use bilet::domain::priority::Priority;
use bilet::domain::status::Status;
use bilet::domain::users::Role;
use bilet::service::tickets::{Actor, Change, Expect, TicketWrite};
use bilet::store::journal::{self, Position};
use bilet::store::tickets::Target;
use sqlx::PgPool;
use time::Duration;

use crate::harness::fixtures;

#[sqlx::test]
async fn resolved_tickets_close_after_the_configured_days(db: PgPool) {
    let tech = fixtures::department(&db, "tech").await;
    let customer = fixtures::user(&db, "c@example.com", Role::Customer, &[]).await;
    let (old, _) = fixtures::ticket(&db, tech, customer, "old").await;
    let (recent, _) = fixtures::ticket(&db, tech, customer, "recent").await;
    let (open, _) = fixtures::ticket(&db, tech, customer, "open").await;
    fixtures::set_status(&db, old, Status::Resolved, Duration::days(8)).await;
    fixtures::set_status(&db, recent, Status::Resolved, Duration::days(2)).await;
    let app = fixtures::state(&db);

    assert_eq!(
        bilet::service::tickets::jobs::auto_close(&app)
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
        "select from_status::text, to_status::text from ticket_history where ticket_id = $1 and change = 'status' \
         order by id desc limit 1",
    )
    .bind(old)
    .fetch_one(&db)
    .await
    .expect("history row");
    assert_eq!(history, ("resolved".into(), "closed".into()));
    // Running again closes nothing more.
    assert_eq!(
        bilet::service::tickets::jobs::auto_close(&app)
            .await
            .expect("job"),
        0
    );
}

async fn open<'a>(
    app: &'a bilet::state::AppState,
    tx: &mut sqlx::PgConnection,
    id: bilet::domain::ids::TicketId,
) -> TicketWrite<'a> {
    TicketWrite::open(
        app,
        tx,
        Actor::System,
        Target::Id(id),
        AccessLevel::Manage,
        Expect::Current,
    )
    .await
    .expect("open")
}

#[sqlx::test]
async fn journal_readers_never_skip_a_late_commit(db: PgPool) {
    let tech = fixtures::department(&db, "tech").await;
    let customer = fixtures::user(&db, "c@example.com", Role::Customer, &[]).await;
    let (early, _) = fixtures::ticket(&db, tech, customer, "early").await;
    let (late, _) = fixtures::ticket(&db, tech, customer, "late").await;
    let start = journal::read_after(&db, Position::default(), 1000)
        .await
        .expect("read")
        .last()
        .map(|e| e.position())
        .unwrap_or_default();
    let app = fixtures::state(&db);

    // The slow write takes its transaction id first but commits last.
    let mut slow = db.begin().await.expect("tx");
    let mut w = open(&app, &mut slow, late).await;
    w.apply(&mut slow, Change::Priority(Priority::High))
        .await
        .expect("apply");
    w.commit(&mut slow).await.expect("commit");
    let mut fast = db.begin().await.expect("tx");
    let mut w = open(&app, &mut fast, early).await;
    w.apply(&mut fast, Change::Priority(Priority::Low))
        .await
        .expect("apply");
    w.commit(&mut fast).await.expect("commit");
    fast.commit().await.expect("commit");

    // The fast commit is not readable yet: reading it would move a
    // reader's position past the slow transaction's entry.
    let first = journal::read_after(&db, start, 100).await.expect("read");
    assert!(first.is_empty(), "{first:?}");

    slow.commit().await.expect("commit");
    // Other tests share the cluster, and their open transactions hold the
    // horizon back for a moment too: wait for both entries, with a ceiling.
    let mut all = Vec::new();
    for _ in 0..300 {
        all = journal::read_after(&db, start, 100).await.expect("read");
        if all.len() == 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(
        all.iter().map(|c| c.ticket_id).collect::<Vec<_>>(),
        vec![late, early]
    );
    let after = journal::read_after(&db, all[1].position(), 100)
        .await
        .expect("read");
    assert!(after.is_empty());
}
