//! The event bus delivers at commit, never for a rollback.

use std::time::Duration;

use bilet::domain::ids::{DepartmentId, TicketId, TicketNumber};
use bilet::events::{Bus, Event, publish};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

#[sqlx::test]
async fn events_arrive_after_commit_and_never_after_rollback(db: PgPool) {
    let bus = Bus::new();
    let mut rx = bus.subscribe();
    let stop = CancellationToken::new();
    let listener = tokio::spawn(bus.clone().listen(db.clone(), stop.clone()));
    // Let the listener subscribe before anything is published.
    tokio::time::sleep(Duration::from_millis(300)).await;

    let rolled_back = Event::TicketChanged {
        ticket: TicketId::new(),
        number: TicketNumber(1),
        department: DepartmentId::new(),
        was: None,
        version: 1,
    };
    let mut tx = db.begin().await.expect("tx");
    publish(&mut *tx, &rolled_back).await.expect("publish");
    tx.rollback().await.expect("rollback");

    let committed = Event::TicketChanged {
        ticket: TicketId::new(),
        number: TicketNumber(1),
        department: DepartmentId::new(),
        was: None,
        version: 1,
    };
    let mut tx = db.begin().await.expect("tx");
    publish(&mut *tx, &committed).await.expect("publish");
    // Not delivered while the transaction is open.
    assert!(
        tokio::time::timeout(Duration::from_millis(300), rx.recv())
            .await
            .is_err()
    );
    tx.commit().await.expect("commit");

    let got = tokio::time::timeout(Duration::from_secs(5), rx.recv())
        .await
        .expect("in time")
        .expect("event");
    assert_eq!(got, committed);
    stop.cancel();
    listener.await.expect("join").expect("listener");
}
