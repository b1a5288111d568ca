//! Service levels at work: due times stored by the write path, the
//! Overdue workspace, and escalation exactly once (racing runners, a runner
//! that dies before committing, the job waking at the due moment), with
//! the manager told by mail through the real SMTP relay, on the bell and
//! live on an open page.

use std::time::Duration;

use bilet::domain::access::AccessLevel::Reply;
use bilet::domain::ids::{DepartmentId, TicketId, UserId};
use bilet::domain::messages::Kind;
use bilet::domain::status::Status;
use bilet::domain::users::Role;
use bilet::events::Event;
use bilet::service::mail::outbox;
use bilet::service::tickets::escalation::{recompute, run_due};
use bilet::service::tickets::{Actor, Change, Expect, TicketWrite};
use bilet::store::tickets::Target;
use futures_util::StreamExt;
use sqlx::PgPool;
use time::OffsetDateTime;

use crate::harness::{TestApp, attr, fixtures, texts};
use crate::mailkit::{address, fetch, helpdesk, parsed};

struct Desk {
    tech: DepartmentId,
    customer: UserId,
    agent: UserId,
    manager: UserId,
    /// The manager's one-time password.
    manager_password: String,
}

async fn desk(db: &PgPool, manager_email: &str) -> Desk {
    let tech = match sqlx::query_scalar("select id from departments where slug = 'tech'")
        .fetch_optional(db)
        .await
        .expect("q")
    {
        Some(id) => id,
        None => fixtures::department(db, "tech").await,
    };
    let customer = fixtures::user(db, "olga@client.test", Role::Customer, &[]).await;
    let agent = fixtures::user(db, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let (manager, manager_password) = bilet::service::accounts::create_account(
        db,
        &fixtures::state(db).hasher,
        None,
        bilet::service::accounts::NewAccount {
            email: manager_email.into(),
            name: "Boss".into(),
            role: Role::Agent,
            departments: vec![("tech".into(), Reply)],
        },
    )
    .await
    .expect("manager");
    sqlx::query("insert into department_managers (department_id, user_id) values ($1, $2)")
        .bind(tech)
        .bind(manager)
        .execute(db)
        .await
        .expect("manager");
    Desk {
        tech,
        customer,
        agent,
        manager,
        manager_password,
    }
}

/// The department's default targets (24/7: no calendar).
async fn targets(db: &PgPool, d: DepartmentId, first: &str, next: &str, resolution: &str) {
    sqlx::query(
        "insert into sla_targets (department_id, priority, first_response, next_response, resolution, \
             breach_priority) values ($1, null, $2, $3, $4, 'urgent')",
    )
    .bind(d)
    .bind(first)
    .bind(next)
    .bind(resolution)
    .execute(db)
    .await
    .expect("targets");
}

#[derive(Debug, sqlx::FromRow)]
struct Due {
    created_at: OffsetDateTime,
    first_response_due_at: Option<OffsetDateTime>,
    next_response_due_at: Option<OffsetDateTime>,
    resolution_due_at: Option<OffsetDateTime>,
    sla_due_at: Option<OffsetDateTime>,
    sla_next_at: Option<OffsetDateTime>,
}

async fn due(db: &PgPool, t: TicketId) -> Due {
    sqlx::query_as(
        "select created_at, first_response_due_at, next_response_due_at, resolution_due_at, \
                sla_due_at, sla_next_at from tickets where id = $1",
    )
    .bind(t)
    .fetch_one(db)
    .await
    .expect("due")
}

async fn count(db: &PgPool, sql: &str, t: TicketId) -> i64 {
    sqlx::query_scalar(sql)
        .bind(t)
        .fetch_one(db)
        .await
        .expect(sql)
}

/// Moves the ticket's opening `by` into the past and recomputes its
/// department (as a policy change would), so its promises fall due.
async fn age(db: &PgPool, t: TicketId, d: DepartmentId, by: time::Duration) {
    sqlx::query("update tickets set created_at = created_at - $2 where id = $1")
        .bind(t)
        .bind(by)
        .execute(db)
        .await
        .expect("age");
    recompute(&fixtures::state(db), d).await.expect("recompute");
}

#[sqlx::test]
async fn due_times_follow_the_conversation_pause_and_resolution(db: PgPool) {
    let d = desk(&db, "boss@support.test").await;
    targets(&db, d.tech, "1h", "2h", "1d").await;
    let (t, number) = fixtures::ticket(&db, d.tech, d.customer, "Сервер не отвечает").await;
    let opened = due(&db, t).await;
    let h = time::Duration::hours(1);
    assert_eq!(
        opened.first_response_due_at,
        Some(opened.created_at + h),
        "{opened:?}"
    );
    assert_eq!(opened.resolution_due_at, Some(opened.created_at + h * 24));
    assert_eq!(opened.next_response_due_at, None);
    assert_eq!(opened.sla_due_at, opened.first_response_due_at);
    assert_eq!(opened.sla_next_at, opened.first_response_due_at);

    // The first answer meets the first response; the reply waits on the
    // customer, which pauses the clock.
    fixtures::say(&db, t, Kind::Agent, Some(d.agent), "Перезапустите службу.").await;
    let replied = due(&db, t).await;
    assert_eq!(replied.first_response_due_at, None);
    assert_eq!(replied.resolution_due_at, None, "paused");
    let json = bilet::service::tickets::representation::ticket_json(&db, number)
        .await
        .expect("json");
    assert_eq!(json["status"], "pending");
    assert_eq!(json["sla"]["paused"], true, "{}", json["sla"]);
    let met: Option<OffsetDateTime> = sqlx::query_scalar(
        "select done_at from sla_outcomes where ticket_id = $1 and target = 'first_response'",
    )
    .bind(t)
    .fetch_one(&db)
    .await
    .expect("outcome");
    assert!(met.is_some(), "the first response is recorded as done");

    // The customer answers after a while: the clock resumes with the pause
    // added, and the next response is owed from that message.
    // The ticket was opened four hours ago, and the wait began three hours ago.
    sqlx::query("update tickets set created_at = created_at - interval '4 hours' where id = $1")
        .bind(t)
        .execute(&db)
        .await
        .expect("opened earlier");
    let opened = due(&db, t).await;
    sqlx::query(
        "update tickets set sla = jsonb_set(sla, '{pauses,0,from}', \
             to_jsonb(to_char((now() - interval '3 hours') at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'))) \
         where id = $1",
    )
    .bind(t)
    .execute(&db)
    .await
    .expect("pause began 3 h ago");
    fixtures::say(&db, t, Kind::Customer, Some(d.customer), "Не помогло.").await;
    let asked = due(&db, t).await;
    let next = asked.next_response_due_at.expect("next response owed");
    let now = OffsetDateTime::now_utc();
    let off: time::Duration = next - (now + h * 2);
    assert!(off.abs() < time::Duration::seconds(30), "{asked:?}");
    let resolution = asked.resolution_due_at.expect("resolution owed again");
    let paused_for: time::Duration = resolution - (opened.created_at + h * 24);
    assert!(
        (paused_for - time::Duration::hours(3)).abs() < time::Duration::minutes(2),
        "the 3 h pause moves the resolution: {paused_for}"
    );
    assert_eq!(asked.sla_due_at, Some(next));
    let json = bilet::service::tickets::representation::ticket_json(&db, number)
        .await
        .expect("json");
    assert_eq!(json["sla"]["paused"], false);
    assert!(
        json["sla"]["next_response_due"].is_string(),
        "{}",
        json["sla"]
    );
    assert!(json["sla"]["first_response_due"].is_null());

    // Resolved: nothing is owed, and the resolution is recorded.
    fixtures::change(&db, t, Change::Status(Status::Resolved)).await;
    let resolved = due(&db, t).await;
    assert_eq!(
        (
            resolved.resolution_due_at,
            resolved.sla_due_at,
            resolved.sla_next_at
        ),
        (None, None, None)
    );
    let open: i64 = count(
        &db,
        "select count(*) from sla_outcomes where ticket_id = $1 and done_at is null",
        t,
    )
    .await;
    assert_eq!(open, 0, "every promise is settled");
}

#[sqlx::test]
async fn a_breach_is_acted_on_once_however_many_runners_race(db: PgPool) {
    let d = desk(&db, "boss@support.test").await;
    targets(&db, d.tech, "30m", "2h", "2d").await;
    let (t, _) = fixtures::ticket(&db, d.tech, d.customer, "Printer on fire").await;
    // Nothing is due yet: the job has nothing to do.
    assert_eq!(run_due(&fixtures::state(&db)).await.expect("run"), 0);
    age(&db, t, d.tech, time::Duration::hours(1)).await;

    let (a, b) = (fixtures::state(&db), fixtures::state(&db));
    let (ra, rb) = tokio::join!(run_due(&a), run_due(&b));
    assert_eq!(
        ra.expect("a") + rb.expect("b"),
        1,
        "one runner took the ticket"
    );
    // Later rounds find nothing more to do.
    assert_eq!(run_due(&a).await.expect("again"), 0);

    let breaches =
        "select count(*) from sla_outcomes where ticket_id = $1 and breached_at is not null";
    assert_eq!(count(&db, breaches, t).await, 1);
    let history =
        "select count(*) from ticket_history where ticket_id = $1 and change = 'sla_breach'";
    assert_eq!(count(&db, history, t).await, 1);
    let journal = "select count(*) from ticket_journal where ticket_id = $1 and kind = 'sla'";
    assert_eq!(count(&db, journal, t).await, 1);
    let bell = "select count(*) from notifications where ticket_id = $1 and kind = 'sla_breach'";
    assert_eq!(count(&db, bell, t).await, 1, "the one manager, once");
    let mail = "select count(*) from outbox o join outbox_recipients r on r.outbox_id = o.id \
                where o.ticket_id = $1 and o.kind = 'notification' and r.address = 'boss@support.test'";
    assert_eq!(count(&db, mail, t).await, 1);
    // The policy's action: the priority goes up.
    let priority: String = sqlx::query_scalar("select priority::text from tickets where id = $1")
        .bind(t)
        .fetch_one(&db)
        .await
        .expect("priority");
    assert_eq!(priority, "urgent");
    let next = due(&db, t)
        .await
        .sla_next_at
        .expect("the resolution is still ahead");
    assert!(next > OffsetDateTime::now_utc());
}

#[sqlx::test]
async fn a_runner_that_dies_before_committing_leaves_the_breach_to_the_next(db: PgPool) {
    let d = desk(&db, "boss@support.test").await;
    targets(&db, d.tech, "30m", "2h", "2d").await;
    let (t, _) = fixtures::ticket(&db, d.tech, d.customer, "Printer on fire").await;
    age(&db, t, d.tech, time::Duration::hours(1)).await;

    // It claims, writes the mail and the bell, and dies before its commit:
    // the connection goes, and PostgreSQL rolls all of it back.
    let app = fixtures::state(&db);
    {
        let mut tx = db.begin().await.expect("tx");
        let mut w = TicketWrite::open(
            &app,
            &mut tx,
            Actor::System,
            Target::Id(t),
            Reply,
            Expect::Current,
        )
        .await
        .expect("open");
        w.apply(&mut tx, Change::SlaCheck).await.expect("check");
        w.commit(&mut tx).await.expect("commit");
        let claimed: i64 = sqlx::query_scalar(
            "select count(*) from sla_outcomes where ticket_id = $1 and breached_at is not null",
        )
        .bind(t)
        .fetch_one(&mut *tx)
        .await
        .expect("claimed");
        assert_eq!(claimed, 1, "the dying runner had claimed it");
        drop(tx);
    }
    let bell = "select count(*) from notifications where ticket_id = $1";
    assert_eq!(count(&db, bell, t).await, 0, "nothing survived the crash");

    assert_eq!(run_due(&app).await.expect("next runner"), 1);
    assert_eq!(run_due(&app).await.expect("and again"), 0);
    assert_eq!(count(&db, bell, t).await, 1);
    let history =
        "select count(*) from ticket_history where ticket_id = $1 and change = 'sla_breach'";
    assert_eq!(count(&db, history, t).await, 1);
}

#[sqlx::test]
async fn an_answer_in_time_clears_the_pending_escalation(db: PgPool) {
    let d = desk(&db, "boss@support.test").await;
    targets(&db, d.tech, "30m", "2h", "2d").await;
    let (t, _) = fixtures::ticket(&db, d.tech, d.customer, "Printer on fire").await;
    age(&db, t, d.tech, time::Duration::minutes(20)).await;
    fixtures::say(&db, t, Kind::Agent, Some(d.agent), "On it.").await;
    // Even long after the first response would have been due, nothing fires.
    age(&db, t, d.tech, time::Duration::hours(1)).await;
    run_due(&fixtures::state(&db)).await.expect("run");
    let breaches =
        "select count(*) from sla_outcomes where ticket_id = $1 and breached_at is not null";
    assert_eq!(count(&db, breaches, t).await, 0);
}

/// Waits until this node's bus listener hears its own probe, so that what
/// the test publishes next is heard too.
async fn bus_ready(app: &TestApp) {
    let mut rx = app.state.events.subscribe();
    for _ in 0..100 {
        bilet::events::publish(&app.state.db, &Event::SettingsChanged)
            .await
            .expect("probe");
        let heard = tokio::time::timeout(Duration::from_millis(100), async {
            while let Ok(e) = rx.recv().await {
                if e == Event::SettingsChanged {
                    return true;
                }
            }
            false
        })
        .await;
        if heard == Ok(true) {
            return;
        }
    }
    panic!("the bus never answered");
}

#[sqlx::test]
async fn the_job_acts_within_seconds_of_the_due_moment_and_the_manager_hears(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let (_, _) = helpdesk(&app, &db, false).await;
    let boss = address("boss", "support.test");
    let d = desk(&db, &boss).await;
    targets(&db, d.tech, "1h", "2h", "2d").await;
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(app.state.events.clone().listen(db.clone(), stop.clone()));
    bus_ready(&app).await;
    tokio::spawn(bilet::jobs::escalation::follow(
        app.state.clone(),
        stop.clone(),
    ));

    // The manager has the Overdue workspace and the live stream open.
    let manager = app.another_browser();
    manager
        .login_and_set_password(&boss, &d.manager_password, "a long enough password 1")
        .await;
    let stream = manager.get("/agent/stream").await;
    assert_eq!(stream.headers()["content-type"], "text/event-stream");

    // Due in three seconds.
    let (t, number) = fixtures::ticket(&db, d.tech, d.customer, "Сайт лежит").await;
    age(
        &db,
        t,
        d.tech,
        time::Duration::hours(1) - time::Duration::seconds(3),
    )
    .await;
    let mut events = app.state.events.subscribe();
    let heard = tokio::time::timeout(Duration::from_secs(30), async {
        loop {
            if let Ok(Event::Notified { users }) = events.recv().await {
                return users;
            }
        }
    })
    .await
    .expect("the breach is announced");
    assert_eq!(heard, vec![d.manager]);
    let (due_at, breached_at): (OffsetDateTime, OffsetDateTime) = sqlx::query_as(
        "select due_at, breached_at from sla_outcomes where ticket_id = $1 and breached_at is not null",
    )
    .bind(t)
    .fetch_one(&db)
    .await
    .expect("breach");
    let late = breached_at - due_at;
    assert!(
        late >= time::Duration::ZERO && late < time::Duration::seconds(5),
        "acted {late} after the due moment"
    );

    // Live: the open stream says so.
    let mut chunks = stream.bytes_stream();
    let mut seen = String::new();
    tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(c)) = chunks.next().await {
            seen.push_str(&String::from_utf8_lossy(&c));
            if seen.contains("event: notified") {
                break;
            }
        }
    })
    .await
    .expect("the stream hears the breach");

    // The bell counts it; its page names the ticket.
    let bell: serde_json::Value = manager.get("/agent/bell").await.json().await.expect("bell");
    assert_eq!(bell["unread"], 1);
    let html = manager
        .get("/agent/notifications")
        .await
        .text()
        .await
        .expect("page");
    let lines = texts(&html, ".bell-list li.unread");
    assert!(
        lines.iter().any(|l| l.contains(&format!("#{number}"))),
        "{lines:?}"
    );

    // The Overdue workspace lists it, red, with how late it is.
    let html = manager
        .get("/agent?ws=overdue")
        .await
        .text()
        .await
        .expect("queue");
    assert_eq!(
        texts(&html, ".queue-table .num"),
        vec![format!("#{number}")],
        "{}",
        texts(&html, "main").join(" ")
    );
    let due_text = texts(&html, ".queue-table td.sla .due.overdue");
    assert!(
        due_text.iter().any(|s| s.starts_with("overdue by")),
        "{due_text:?} {:?}",
        texts(&html, ".queue-table td")
    );
    // The ticket page: the promise overdue, and the breach on the timeline.
    let html = manager
        .get(&format!("/agent/tickets/{number}"))
        .await
        .text()
        .await
        .expect("ticket");
    assert!(
        attr(&html, ".sla-box .due.overdue", "title").is_some(),
        "{html}"
    );
    assert!(html.contains("is overdue; the managers were told"));

    // The mail reaches the manager through the real SMTP relay.
    assert!(outbox::run_once(&app.state).await.expect("send") >= 1);
    let inbox = fetch(&boss, "INBOX", 1).await;
    let mail = parsed(&inbox[0].0);
    let subject = mail.subject().expect("subject").to_string();
    assert!(
        subject.contains(&format!("#{number}")) && subject.contains("Overdue: First response"),
        "{subject}"
    );
    let body = mail.body_text(0).expect("text").to_string();
    assert!(body.contains("Сайт лежит") && body.contains(&format!("agent/tickets/{number}")));

    // Read: the bell is quiet again.
    manager.post_form("/agent/notifications/read", &[]).await;
    let bell: serde_json::Value = manager.get("/agent/bell").await.json().await.expect("bell");
    assert_eq!(bell["unread"], 0);
    stop.cancel();
}

#[sqlx::test]
async fn a_changed_policy_recomputes_the_open_tickets_it_covers(db: PgPool) {
    let d = desk(&db, "boss@support.test").await;
    targets(&db, d.tech, "1h", "2h", "2d").await;
    let app = fixtures::state(&db);
    let (t, _) = fixtures::ticket(&db, d.tech, d.customer, "Printer on fire").await;
    // The job's first round brings every department up to date.
    bilet::service::tickets::escalation::recompute_stale(&app)
        .await
        .expect("first round");
    let before = due(&db, t).await;
    assert_eq!(
        before.first_response_due_at,
        Some(before.created_at + time::Duration::hours(1))
    );
    sqlx::query("update sla_targets set first_response = '4h' where department_id = $1")
        .bind(d.tech)
        .execute(&db)
        .await
        .expect("policy");
    let moved = bilet::service::tickets::escalation::recompute_stale(&app)
        .await
        .expect("recompute");
    assert_eq!(moved, 1);
    let after = due(&db, t).await;
    assert_eq!(
        after.first_response_due_at,
        Some(after.created_at + time::Duration::hours(4))
    );
    // Nothing changed since: nothing to do.
    assert_eq!(
        bilet::service::tickets::escalation::recompute_stale(&app)
            .await
            .expect("again"),
        0
    );
    // A calendar: the department now works office hours only.
    sqlx::query(
        "insert into calendars (id, name, zone, hours) values ($1, 'office', 'Europe/Moscow', 'mon-fri 09:00-18:00')",
    )
    .bind(uuid::Uuid::now_v7())
    .execute(&db)
    .await
    .expect("calendar");
    sqlx::query("update departments set calendar_id = (select id from calendars) where id = $1")
        .bind(d.tech)
        .execute(&db)
        .await
        .expect("calendar set");
    bilet::service::tickets::escalation::recompute_stale(&app)
        .await
        .expect("recompute");
    let office = due(&db, t).await.first_response_due_at.expect("due");
    let zone = jiff::tz::TimeZone::get("Europe/Moscow").expect("zone");
    let local = jiff::Timestamp::from_second(office.unix_timestamp())
        .expect("ts")
        .to_zoned(zone);
    assert!(
        (9..=18).contains(&local.hour()) && local.weekday().to_monday_one_offset() <= 5,
        "due within office hours: {local}"
    );
}

#[sqlx::test]
async fn a_warning_and_a_breach_appear_live_on_an_open_agent_page(db: PgPool) {
    use crate::browser::{browser, shot, sign_in, text, wait_until};

    let app = TestApp::spawn(db.clone()).await;
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(app.state.events.clone().listen(db.clone(), stop.clone()));
    bus_ready(&app).await;
    let tech = fixtures::department(&db, "tech").await;
    sqlx::query(
        "insert into sla_targets (department_id, priority, first_response, next_response, resolution, \
             warn_before) values ($1, null, '1h', '2h', '2d', '1m')",
    )
    .bind(tech)
    .execute(&db)
    .await
    .expect("targets");
    let pw = app
        .create_account("boss@support.test", Role::Agent, &[("tech", Reply)])
        .await;
    app.another_browser()
        .login_and_set_password("boss@support.test", &pw, "correct horse battery")
        .await;
    sqlx::query(
        "insert into department_managers (department_id, user_id) \
         select $1, user_id from user_emails where email = 'boss@support.test'",
    )
    .bind(tech)
    .execute(&db)
    .await
    .expect("manager");
    let customer = fixtures::user(&db, "olga@client.test", Role::Customer, &[]).await;
    let (t, number) = fixtures::ticket(&db, tech, customer, "Сайт лежит").await;
    tokio::spawn(bilet::jobs::escalation::follow(
        app.state.clone(),
        stop.clone(),
    ));

    // The manager has the ticket open in the browser; the bell is quiet.
    let base = app.url("");
    let boss = browser(1280, 900, false).await;
    sign_in(&boss, &base, "boss@support.test").await;
    boss.goto(&format!("{base}/agent/tickets/{number}"))
        .await
        .expect("goto");
    assert_eq!(text(&boss, "[data-bell-count]").await, "");

    // The warning (a minute before the first response is due) falls due
    // in two seconds: the timeline and the bell show it without a reload.
    age(
        &db,
        t,
        tech,
        time::Duration::minutes(59) - time::Duration::seconds(2),
    )
    .await;
    wait_until(&boss, "the warning on the open page", async |c| {
        text(c, "#timeline")
            .await
            .contains("First response is due soon; the managers were told")
    })
    .await;
    wait_until(&boss, "the bell counts the warning", async |c| {
        text(c, "[data-bell-count]").await == "1"
    })
    .await;

    // A minute later the promise is broken: the breach arrives the same way.
    age(&db, t, tech, time::Duration::minutes(1)).await;
    wait_until(&boss, "the breach on the open page", async |c| {
        text(c, "#timeline")
            .await
            .contains("First response is overdue; the managers were told")
    })
    .await;
    wait_until(&boss, "the bell counts both", async |c| {
        text(c, "[data-bell-count]").await == "2"
    })
    .await;
    assert!(
        text(&boss, ".sla-box").await.contains("overdue by"),
        "{}",
        text(&boss, ".sla-box").await
    );
    shot(&boss, "agent-ticket-breach-en-1280").await;
    boss.close().await.expect("close");
    stop.cancel();
}
