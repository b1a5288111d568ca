//! The write path's invariants: every kind of change writes its history,
//! journal entries, maintained counts and live event; parallel writers
//! neither deadlock nor miscount; and no module but the commit writes the
//! side tables (checked on the source).

use std::time::Duration;

use bilet::domain::access::AccessLevel::{Manage, Reply};
use bilet::domain::ids::{DepartmentId, TicketId, TicketNumber};
use bilet::domain::priority::Priority;
use bilet::domain::status::Status;
use bilet::domain::users::Role;
use bilet::events::{Bus, Event};
use bilet::service::mail::Envelope;
use bilet::service::tickets::{self, bulk::BulkOp, portal::CustomerTicketInput};
use bilet::store;
use bilet::store::users::UserRow;
use sqlx::PgPool;
use tokio::sync::broadcast;
use tokio_util::sync::CancellationToken;

use crate::harness::{TestApp, fixtures};
use crate::mailkit::{address, mail};

/// Maintained counts that disagree with the tickets themselves.
pub async fn miscounted(db: &PgPool) -> i64 {
    sqlx::query_scalar(
        "with real as (select department_id, status, assignee_id, count(*) n from tickets \
                       where merged_into_id is null group by 1, 2, 3), \
              kept as (select department_id, status, assignee_id, sum(n) n from ticket_counts \
                       group by 1, 2, 3 having sum(n) <> 0) \
         select count(*) from real full join kept on real.department_id = kept.department_id \
           and real.status = kept.status and real.assignee_id is not distinct from kept.assignee_id \
         where real.n is distinct from kept.n",
    )
    .fetch_one(db)
    .await
    .expect("counts")
}

struct World {
    app: TestApp,
    tech: DepartmentId,
    billing: DepartmentId,
    customer: UserRow,
    agent: UserRow,
    events: broadcast::Receiver<Event>,
    _stop: tokio_util::sync::DropGuard,
}

async fn user(db: &PgPool, email: &str) -> UserRow {
    store::users::find_by_email(db, email)
        .await
        .expect("q")
        .expect("user")
}

async fn world(db: &PgPool) -> World {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(db, "tech").await;
    let billing = fixtures::department(db, "billing").await;
    fixtures::user(db, "anna@example.com", Role::Customer, &[]).await;
    fixtures::user(
        db,
        "ana@support.test",
        Role::Agent,
        &[("tech", Manage), ("billing", Manage)],
    )
    .await;
    fixtures::user(
        db,
        "bo@support.test",
        Role::Agent,
        &[("tech", Reply), ("billing", Reply)],
    )
    .await;
    let bus: Bus = app.state.events.clone();
    let events = bus.subscribe();
    let stop = CancellationToken::new();
    let listener = bus.listen(db.clone(), stop.clone());
    tokio::spawn(listener);
    // The listener is connected once an event of our own comes back.
    let mut probe = app.state.events.subscribe();
    for _ in 0..100 {
        bilet::events::publish(db, &Event::SettingsChanged)
            .await
            .expect("probe");
        if let Ok(Ok(_)) = tokio::time::timeout(Duration::from_millis(100), probe.recv()).await {
            break;
        }
    }
    World {
        tech,
        billing,
        customer: user(db, "anna@example.com").await,
        agent: user(db, "ana@support.test").await,
        events,
        _stop: stop.drop_guard(),
        app,
    }
}

impl World {
    /// The next TicketChanged event about `number`, within a generous ceiling.
    async fn changed(&mut self, number: TicketNumber) -> i32 {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(20);
        loop {
            let left = deadline - tokio::time::Instant::now();
            match tokio::time::timeout(left, self.events.recv()).await {
                Ok(Ok(Event::TicketChanged {
                    number: n, version, ..
                })) if n == number => {
                    return version;
                }
                Ok(Ok(_)) | Ok(Err(broadcast::error::RecvError::Lagged(_))) => {}
                other => panic!("no live event for #{number}: {other:?}"),
            }
        }
    }
}

async fn id_of(db: &PgPool, number: TicketNumber) -> TicketId {
    sqlx::query_scalar("select id from tickets where number = $1")
        .bind(number)
        .fetch_one(db)
        .await
        .expect("ticket")
}

async fn version(db: &PgPool, number: TicketNumber) -> i32 {
    sqlx::query_scalar("select version from tickets where number = $1")
        .bind(number)
        .fetch_one(db)
        .await
        .expect("version")
}

/// What a ticket has left behind so far: (journal kinds in order, history
/// changes in order, audit kinds).
async fn traces(db: &PgPool, id: TicketId) -> (Vec<String>, Vec<String>, Vec<String>) {
    let journal = sqlx::query_scalar(
        "select kind::text from ticket_journal where ticket_id = $1 order by version, seq",
    )
    .bind(id)
    .fetch_all(db)
    .await
    .expect("journal");
    let history = sqlx::query_scalar(
        "select change::text from ticket_history where ticket_id = $1 order by id",
    )
    .bind(id)
    .fetch_all(db)
    .await
    .expect("history");
    let audit = sqlx::query_scalar("select kind from events where ticket_id = $1 order by id")
        .bind(id)
        .fetch_all(db)
        .await
        .expect("audit");
    (journal, history, audit)
}

/// Asserts that since `before` the ticket gained exactly these journal
/// kinds and history changes, that its version went up by one (and the
/// live event said so), and that the counts still match the tickets.
#[allow(clippy::too_many_arguments)]
async fn check(
    w: &mut World,
    case: &str,
    number: TicketNumber,
    before: &(Vec<String>, Vec<String>, Vec<String>),
    journal: &[&str],
    history: &[&str],
    audit: &[&str],
) {
    let db = &w.app.state.db.clone();
    let id = id_of(db, number).await;
    let after = traces(db, id).await;
    assert_eq!(&after.0[before.0.len()..], journal, "{case}: journal");
    assert_eq!(&after.1[before.1.len()..], history, "{case}: history");
    assert_eq!(&after.2[before.2.len()..], audit, "{case}: audit");
    let v = version(db, number).await;
    assert_eq!(
        w.changed(number).await,
        v,
        "{case}: live event with the new version"
    );
    let versions: Vec<i32> = sqlx::query_scalar(
        "select distinct version from ticket_journal where ticket_id = $1 order by version desc limit 1",
    )
    .bind(id)
    .fetch_all(db)
    .await
    .expect("versions");
    assert_eq!(versions, vec![v], "{case}: journal carries the version");
    assert_eq!(miscounted(db).await, 0, "{case}: counts");
}

fn input(department: DepartmentId, subject: &str) -> CustomerTicketInput {
    CustomerTicketInput {
        topic: format!("d-{department}"),
        subject: subject.into(),
        body: "Сервер не отвечает".into(),
        ..CustomerTicketInput::default()
    }
}

#[sqlx::test]
async fn every_kind_of_change_writes_history_journal_counts_and_event(db: PgPool) {
    let mut w = world(&db).await;
    let app = w.app.state.clone();
    let none = (Vec::new(), Vec::new(), Vec::new());
    let (customer, agent) = (w.customer.clone(), w.agent.clone());

    // Opening from the portal.
    let n = tickets::portal::open_by_customer(&app, &customer, input(w.tech, "VPN"))
        .await
        .expect("open");
    check(
        &mut w,
        "portal open",
        n,
        &none,
        &["opened", "message"],
        &["created"],
        &["ticket.opened"],
    )
    .await;
    let id = id_of(&db, n).await;

    // A customer message on an open ticket.
    let t = traces(&db, id).await;
    tickets::portal::customer_reply(&app, &customer, n, "more", &[])
        .await
        .expect("reply");
    check(&mut w, "customer message", n, &t, &["message"], &[], &[]).await;

    // An agent reply: waits on the customer, takes the ticket, is mailed.
    let t = traces(&db, id).await;
    let v = version(&db, n).await;
    tickets::agent::reply(&app, &agent, n, v, "On it", &[], None)
        .await
        .expect("agent reply");
    check(
        &mut w,
        "agent reply",
        n,
        &t,
        &["message", "status", "assignee"],
        &["status", "assignee"],
        &[],
    )
    .await;
    let mails: i64 =
        sqlx::query_scalar("select count(*) from outbox where ticket_id = $1 and kind = 'reply'")
            .bind(id)
            .fetch_one(&db)
            .await
            .expect("outbox");
    assert_eq!(mails, 1, "the reply is in the outbox");

    // An internal note.
    let t = traces(&db, id).await;
    let v = version(&db, n).await;
    tickets::agent::note(&app, &agent, n, v, "internal", &[])
        .await
        .expect("note");
    check(&mut w, "note", n, &t, &["message"], &[], &[]).await;

    // Status, priority, assignee.
    let t = traces(&db, id).await;
    let v = version(&db, n).await;
    tickets::agent::set_status(&app, &agent, n, v, Status::Open)
        .await
        .expect("status");
    check(&mut w, "status", n, &t, &["status"], &["status"], &[]).await;
    let t = traces(&db, id).await;
    let v = version(&db, n).await;
    tickets::agent::set_priority(&app, &agent, n, v, Priority::High)
        .await
        .expect("priority");
    check(&mut w, "priority", n, &t, &["priority"], &["priority"], &[]).await;
    let t = traces(&db, id).await;
    let v = version(&db, n).await;
    tickets::agent::assign(&app, &agent, n, v, None)
        .await
        .expect("unassign");
    check(&mut w, "assignee", n, &t, &["assignee"], &["assignee"], &[]).await;

    // A transfer with a note.
    let t = traces(&db, id).await;
    let v = version(&db, n).await;
    tickets::agent::transfer(&app, &agent, n, v, w.billing, "billing question")
        .await
        .expect("transfer");
    check(
        &mut w,
        "transfer",
        n,
        &t,
        &["department", "message"],
        &["department"],
        &["ticket.transferred"],
    )
    .await;

    // Resolve, then the customer's reply reopens it.
    let t = traces(&db, id).await;
    let v = version(&db, n).await;
    tickets::agent::set_status(&app, &agent, n, v, Status::Resolved)
        .await
        .expect("resolve");
    check(&mut w, "resolve", n, &t, &["status"], &["status"], &[]).await;
    let t = traces(&db, id).await;
    tickets::portal::customer_reply(&app, &customer, n, "still broken", &[])
        .await
        .expect("reopen");
    check(
        &mut w,
        "reopen",
        n,
        &t,
        &["message", "status"],
        &["status"],
        &[],
    )
    .await;

    // The customer closes it ("my problem is solved") and rates it.
    let t = traces(&db, id).await;
    tickets::portal::customer_close(&app, &customer, n)
        .await
        .expect("close");
    check(&mut w, "close", n, &t, &["status"], &["status"], &[]).await;
    let t = traces(&db, id).await;
    tickets::portal::rate(&app, &customer, n, None, 5, "thanks")
        .await
        .expect("rate");
    check(&mut w, "rating", n, &t, &["rated"], &[], &[]).await;

    // A reply long after closing continues in a new, linked ticket.
    sqlx::query("update tickets set closed_at = now() - interval '90 days', resolved_at = null where id = $1")
        .bind(id)
        .execute(&db)
        .await
        .expect("backdate");
    let outcome = tickets::portal::customer_reply(&app, &customer, n, "again", &[])
        .await
        .expect("late");
    let tickets::portal::ReplyOutcome::NewTicket(cont) = outcome else {
        panic!("expected a continuation, got {outcome:?}");
    };
    check(
        &mut w,
        "continuation",
        cont,
        &none,
        &["opened", "message"],
        &["created"],
        &["ticket.opened"],
    )
    .await;

    // Opening by mail.
    let raw = mail(
        &address("mailer", "example.com"),
        "tech@support.test",
        "Mail ticket",
        "hello",
        "",
    );
    let report = bilet::service::mail::ingest(
        &app,
        &raw,
        &Envelope {
            notify: true,
            ..Envelope::default()
        },
    )
    .await;
    assert_eq!(report.outcome, "created", "{report:?}");
    let by_mail: TicketNumber = report.ticket.expect("ticket").parse().expect("n");
    check(
        &mut w,
        "mail open",
        by_mail,
        &none,
        &["opened", "message"],
        &["created"],
        &["ticket.opened"],
    )
    .await;

    // Opening on a customer's behalf.
    let behalf = tickets::agent::open_for_customer(
        &app,
        &agent,
        tickets::agent::OnBehalf {
            email: "phone@example.com".into(),
            name: "Phone".into(),
            department: Some(w.tech),
            subject: "Called in".into(),
            body: "By phone".into(),
            uploads: Vec::new(),
            notify: false,
            api: false,
            idempotency: None,
        },
    )
    .await
    .expect("on behalf");
    check(
        &mut w,
        "on behalf",
        behalf,
        &none,
        &["opened", "message"],
        &["created"],
        &["ticket.opened"],
    )
    .await;

    // Split: the source loses a message, a new ticket gets it.
    let a = tickets::portal::open_by_customer(&app, &customer, input(w.tech, "Two problems"))
        .await
        .expect("open");
    w.changed(a).await;
    tickets::portal::customer_reply(&app, &customer, a, "second problem", &[])
        .await
        .expect("reply");
    w.changed(a).await;
    let a_id = id_of(&db, a).await;
    let second: bilet::domain::ids::MessageId = sqlx::query_scalar(
        "select id from messages where ticket_id = $1 order by created_at desc, id desc limit 1",
    )
    .bind(a_id)
    .fetch_one(&db)
    .await
    .expect("message");
    let t = traces(&db, a_id).await;
    let split = tickets::agent::split(&app, &agent, a, second, "Split off")
        .await
        .expect("split");
    check(
        &mut w,
        "split source",
        a,
        &t,
        &["split", "linked"],
        &[],
        &["ticket.split"],
    )
    .await;
    check(
        &mut w,
        "split new",
        split,
        &none,
        // The link is one row, written by the source's write.
        &["opened", "split"],
        &["created"],
        &["ticket.opened"],
    )
    .await;

    // Merge: the source closes into the target.
    let t_src = traces(&db, a_id).await;
    let split_id = id_of(&db, split).await;
    let t_dst = traces(&db, split_id).await;
    let v = version(&db, a).await;
    tickets::agent::merge(&app, &agent, a, v, split)
        .await
        .expect("merge");
    check(
        &mut w,
        "merge source",
        a,
        &t_src,
        &["merged", "status"],
        &["status"],
        &["ticket.merged"],
    )
    .await;
    check(&mut w, "merge target", split, &t_dst, &["merged"], &[], &[]).await;

    // Auto-close of a resolved ticket.
    let b = tickets::portal::open_by_customer(&app, &customer, input(w.tech, "Old"))
        .await
        .expect("open");
    w.changed(b).await;
    let b_id = id_of(&db, b).await;
    fixtures::set_status(&db, b_id, Status::Resolved, time::Duration::days(30)).await;
    w.changed(b).await;
    let t = traces(&db, b_id).await;
    assert_eq!(
        tickets::jobs::auto_close(&app).await.expect("auto-close"),
        1
    );
    check(&mut w, "auto-close", b, &t, &["status"], &["status"], &[]).await;

    // Each ticket of a bulk action.
    let c = tickets::portal::open_by_customer(&app, &customer, input(w.tech, "Bulk me"))
        .await
        .expect("open");
    w.changed(c).await;
    let c_id = id_of(&db, c).await;
    let t = traces(&db, c_id).await;
    let done = tickets::bulk::apply(
        &app,
        &agent,
        &[(c, Some(version(&db, c).await))],
        BulkOp::Status(Status::Pending),
    )
    .await
    .expect("bulk");
    assert_eq!((done.changed, done.refused.len()), (1, 0));
    check(&mut w, "bulk", c, &t, &["status"], &["status"], &[]).await;
}

#[sqlx::test]
async fn parallel_creations_and_crossing_transfers_neither_deadlock_nor_miscount(db: PgPool) {
    let w = world(&db).await;
    let app = w.app.state.clone();
    let creations = (0..16).map(|i| {
        let (app, customer, tech) = (app.clone(), w.customer.clone(), w.tech);
        tokio::spawn(async move {
            tickets::portal::open_by_customer(
                &app,
                &customer,
                input(tech, &format!("Parallel {i}")),
            )
            .await
        })
    });
    for c in futures_util::future::join_all(creations).await {
        c.expect("task").expect("created");
    }
    let open: i64 = sqlx::query_scalar(
        "select coalesce(sum(n), 0)::bigint from ticket_counts where department_id = $1 and status = 'open'",
    )
    .bind(w.tech)
    .fetch_one(&db)
    .await
    .expect("count");
    assert_eq!(open, 16);

    // Half of them go to billing first, so transfers cross both ways.
    let numbers: Vec<TicketNumber> =
        sqlx::query_scalar("select number from tickets order by number")
            .fetch_all(&db)
            .await
            .expect("numbers");
    for n in &numbers[..4] {
        let v = version(&db, *n).await;
        tickets::agent::transfer(&app, &w.agent, *n, v, w.billing, "")
            .await
            .expect("to billing");
    }
    let transfers = numbers[..8].iter().enumerate().map(|(i, n)| {
        let (app, agent, n) = (app.clone(), w.agent.clone(), *n);
        let to = if i < 4 { w.tech } else { w.billing };
        tokio::spawn(async move {
            let v = sqlx::query_scalar::<_, i32>("select version from tickets where number = $1")
                .bind(n)
                .fetch_one(&app.db)
                .await
                .expect("v");
            tickets::agent::transfer(&app, &agent, n, v, to, "").await
        })
    });
    for t in futures_util::future::join_all(transfers).await {
        t.expect("task").expect("transferred");
    }
    assert_eq!(miscounted(&db).await, 0);
    tickets::jobs::fold_counts(&app).await.expect("fold");
    assert_eq!(miscounted(&db).await, 0, "folding keeps every count");
    let rows: i64 = sqlx::query_scalar(
        "select count(*) from (select 1 from ticket_counts group by department_id, status, assignee_id having count(*) > 1) x",
    )
    .fetch_one(&db)
    .await
    .expect("rows");
    assert_eq!(rows, 0, "one row a key after folding");
}

#[sqlx::test]
async fn a_stale_version_is_refused_and_changes_nothing(db: PgPool) {
    let w = world(&db).await;
    let app = w.app.state.clone();
    let n = tickets::portal::open_by_customer(&app, &w.customer, input(w.tech, "Stale"))
        .await
        .expect("open");
    let v = version(&db, n).await;
    tickets::agent::set_priority(&app, &w.agent, n, v, Priority::High)
        .await
        .expect("first");
    let err = tickets::agent::set_priority(&app, &w.agent, n, v, Priority::Low)
        .await
        .expect_err("stale");
    assert!(
        matches!(
            err,
            bilet::service::Error::Conflict(bilet::service::Conflict::Stale)
        ),
        "{err:?}"
    );
    let p: Priority = sqlx::query_scalar("select priority from tickets where number = $1")
        .bind(n)
        .fetch_one(&db)
        .await
        .expect("p");
    assert_eq!(p, Priority::High);
}

/// The source files of the crate, by path.
fn sources() -> Vec<(String, String)> {
    fn walk(dir: &std::path::Path, out: &mut Vec<(String, String)>) {
        for entry in std::fs::read_dir(dir).expect("src") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = std::fs::read_to_string(&path).expect("read");
                let rel = path
                    .strip_prefix(env!("CARGO_MANIFEST_DIR"))
                    .expect("inside")
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, text));
            }
        }
    }
    let mut out = Vec::new();
    walk(
        &std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src"),
        &mut out,
    );
    out
}

#[test]
fn only_the_commit_writes_history_journal_counts_outbox_audit_and_events() {
    // (what, the only files allowed to contain it)
    let rules: &[(&str, &[&str])] = &[
        ("store::journal::append", &["src/service/tickets/commit.rs"]),
        ("store::history::insert", &["src/service/tickets/commit.rs"]),
        ("store::counts::add", &["src/service/tickets/commit.rs"]),
        ("events::publish_all", &["src/service/tickets/commit.rs"]),
        (
            "notifications::queue_ack",
            &["src/service/tickets/commit.rs"],
        ),
        (
            "notifications::queue_reply",
            &["src/service/tickets/commit.rs"],
        ),
        (
            "notifications::queue_agent_notice",
            &["src/service/tickets/commit.rs"],
        ),
        (
            "store::outbox::insert",
            &[
                "src/service/mail/notifications.rs",
                "src/service/mail/escalation.rs",
                "src/service/mail/resolved.rs",
                // Mail about the helpdesk, on no ticket (a webhook disabled).
                "src/service/mail/admin_notice.rs",
            ],
        ),
        ("escalation::queue(", &["src/service/tickets/commit.rs"]),
        ("resolved::queue(", &["src/service/tickets/commit.rs"]),
        (
            "store::notifications::insert(",
            &["src/service/tickets/commit.rs"],
        ),
        ("insert into notifications", &["src/store/notifications.rs"]),
        (
            "store::sla_outcomes::record(",
            &["src/service/tickets/sla.rs"],
        ),
        (
            "store::sla_outcomes::claim(",
            &["src/service/tickets/sla.rs"],
        ),
        (
            "Event::TicketChanged {",
            &[
                "src/service/tickets/commit.rs",
                "src/events.rs",
                // readers that only match on it
                "src/web/agent/live.rs",
                "src/jobs/escalation.rs",
                "src/service/stats/facts.rs",
                "src/web/api/events.rs",
                "src/service/webhooks/send.rs",
            ],
        ),
        (
            "Event::MessageAdded {",
            &[
                "src/service/tickets/commit.rs",
                "src/events.rs",
                "src/web/agent/live.rs",
            ],
        ),
        ("kind: \"ticket.", &[]),
        (
            "audit.push((",
            &[
                "src/service/tickets/write.rs",
                "src/service/tickets/change.rs",
                "src/service/tickets/erase.rs",
            ],
        ),
        ("store::tickets::lock(", &["src/service/tickets/write.rs"]),
        ("store::tickets::insert(", &["src/service/tickets/write.rs"]),
        (
            "store::tickets::update(",
            &["src/service/tickets/commit.rs"],
        ),
        ("store::messages::insert(", &["src/service/tickets/post.rs"]),
        (
            "store::attachments::insert_many(",
            &["src/service/tickets/post.rs"],
        ),
        (
            "store::tickets::move_all(",
            &["src/service/tickets/change.rs"],
        ),
        (
            "store::tickets::move_message(",
            &["src/service/tickets/change.rs"],
        ),
        (
            "store::tickets::add_participant(",
            &["src/service/tickets/change.rs"],
        ),
        ("store::tickets::link(", &["src/service/tickets/change.rs"]),
        ("store::ratings::save(", &["src/service/tickets/change.rs"]),
        (
            "store::messages::set_note(",
            &["src/service/tickets/change.rs"],
        ),
        ("insert into ticket_journal", &["src/store/journal.rs"]),
        ("insert into ticket_history", &["src/store/history.rs"]),
        ("insert into ticket_counts", &["src/store/counts.rs"]),
        ("insert into outbox ", &["src/store/outbox.rs"]),
        ("insert into events", &["src/store/audit.rs"]),
        ("update tickets", &["src/store/tickets.rs"]),
        // The seed fills an empty database in bulk (it refuses one with
        // data) and rebuilds the counts after; it changes no ticket.
        (
            "insert into tickets",
            &["src/store/tickets.rs", "src/store/seed.rs"],
        ),
        (
            "insert into messages",
            &["src/store/messages.rs", "src/store/seed.rs"],
        ),
    ];
    let files = sources();
    assert!(files.len() > 50, "found the sources");
    for (needle, allowed) in rules {
        let offenders: Vec<&str> = files
            .iter()
            .filter(|(path, text)| text.contains(needle) && !allowed.contains(&path.as_str()))
            .map(|(path, _)| path.as_str())
            .collect();
        assert!(
            offenders.is_empty(),
            "`{needle}` outside {allowed:?}: {offenders:?}"
        );
    }
}
