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
    // The openings first: another test's open transaction can hold them
    // back for a moment, and the fast write below must be the only one
    // readable after `start`.
    let mut start = Position::default();
    for _ in 0..300 {
        let opened = journal::read_after(&db, Position::default(), 1000)
            .await
            .expect("read");
        if opened
            .iter()
            .filter(|e| e.ticket_id == early || e.ticket_id == late)
            .count()
            >= 2
        {
            start = opened.last().map(|e| e.position()).unwrap_or_default();
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_ne!(
        start,
        Position::default(),
        "the openings never became readable"
    );
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

/// A reader that remembers which tickets it saw, in order.
struct Recorder {
    reach: bilet::service::journal::Reach,
    seen: std::sync::Mutex<Vec<(bilet::domain::ids::TicketId, i32)>>,
}

impl bilet::service::journal::Reader for Recorder {
    fn name(&self) -> &'static str {
        "test-recorder"
    }
    fn reach(&self) -> bilet::service::journal::Reach {
        self.reach
    }
    fn apply<'a>(
        &'a self,
        _app: &'a bilet::state::AppState,
        _tx: &'a mut sqlx::PgConnection,
        entries: &'a [journal::Entry],
    ) -> bilet::service::journal::Apply<'a> {
        Box::pin(async move {
            let mut seen = self.seen.lock().expect("lock");
            seen.extend(entries.iter().map(|e| (e.ticket_id, e.version)));
            Ok(())
        })
    }
}

/// Runs the reader until the journal entries of `ticket` up to `version`
/// have come through, with a ceiling (other tests' transactions can hold
/// the horizon back for a moment).
async fn read_until(
    app: &bilet::state::AppState,
    r: &Recorder,
    ticket: bilet::domain::ids::TicketId,
    version: i32,
) {
    for _ in 0..300 {
        bilet::service::journal::run_once(app, r, 1000)
            .await
            .expect("run");
        if r.seen.lock().expect("lock").contains(&(ticket, version)) {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the reader never got version {version}");
}

#[sqlx::test]
async fn a_journal_reader_gets_each_entry_once_reports_lag_and_notices_pruning(db: PgPool) {
    use bilet::service::journal::{self as readers, Reach};
    let tech = fixtures::department(&db, "tech").await;
    let customer = fixtures::user(&db, "c@example.com", Role::Customer, &[]).await;
    let (id, _) = fixtures::ticket(&db, tech, customer, "one").await;
    let app = fixtures::state(&db);
    let r = Recorder {
        reach: Reach::Node,
        seen: Default::default(),
    };
    read_until(&app, &r, id, 1).await;
    fixtures::change(&db, id, Change::Priority(Priority::High)).await;
    read_until(&app, &r, id, 2).await;
    let seen = r.seen.lock().expect("lock").clone();
    assert_eq!(seen, vec![(id, 1), (id, 2)], "each entry once, in order");
    assert_eq!(readers::lag(&app, &r).await.expect("lag").entries, 0);

    // Another node keeps its own position and reads everything again;
    // a cluster-wide reader keeps one position for all nodes.
    let mut other = fixtures::state(&db);
    other.node = "another-node".into();
    let again = Recorder {
        reach: Reach::Node,
        seen: Default::default(),
    };
    read_until(&other, &again, id, 2).await;
    assert_eq!(again.seen.lock().expect("lock").len(), 2);
    let shared = Recorder {
        reach: Reach::Cluster,
        seen: Default::default(),
    };
    read_until(&app, &shared, id, 2).await;
    assert_eq!(
        readers::run_once(&other, &shared, 1000).await.expect("run"),
        0
    );

    // Entries pruned before a reader got them: it is told to rebuild.
    fixtures::change(&db, id, Change::Priority(Priority::Low)).await;
    sqlx::query("update ticket_journal set at = now() - interval '40 days'")
        .execute(&db)
        .await
        .expect("age");
    assert!(readers::prune(&app).await.expect("prune") >= 3);
    let err = readers::run_once(&app, &r, 1000).await.expect_err("pruned");
    assert!(matches!(
        err,
        bilet::service::Error::Conflict(bilet::service::Conflict::JournalPruned)
    ));
    readers::restart_at_end(&app, &r).await.expect("restart");
    assert_eq!(readers::run_once(&app, &r, 1000).await.expect("run"), 0);
}
