//! Statistics on a fixed data set: tickets and replies made through the
//! write path, their times then set by SQL, ratings and SLA outcomes
//! inserted directly. The report must equal hand-computed values and a
//! direct computation over the raw rows; managers see only their
//! departments, a plain agent gets a 404, the CSV has the same numbers and
//! the page carries its charts.

use bilet::domain::access::AccessLevel::Reply;
use bilet::domain::ids::{DepartmentId, TicketId, UserId};
use bilet::domain::messages::Kind;
use bilet::domain::status::Status;
use bilet::domain::users::Role;
use bilet::service::stats::{self, Filter, Report};
use sqlx::PgPool;
use time::macros::{date, datetime};

use crate::harness::{TestApp, fixtures};

struct Data {
    tech: DepartmentId,
    sales: DepartmentId,
    ana: UserId,
    boris: UserId,
}

/// Sets the times of a ticket's agent replies, oldest first.
async fn reply_times(db: &PgPool, id: TicketId, times: &[time::OffsetDateTime]) {
    let ids: Vec<uuid::Uuid> = sqlx::query_scalar(
        "select id from messages where ticket_id = $1 and kind = 'agent' order by created_at, id",
    )
    .bind(id)
    .fetch_all(db)
    .await
    .expect("messages");
    assert_eq!(ids.len(), times.len());
    for (m, t) in ids.iter().zip(times) {
        sqlx::query("update messages set created_at = $2 where id = $1")
            .bind(m)
            .bind(t)
            .execute(db)
            .await
            .expect("time");
    }
}

async fn data(db: &PgPool) -> Data {
    let tech = fixtures::department(db, "tech").await;
    let sales = fixtures::department(db, "sales").await;
    // Tech works Monday to Friday, 9 to 18 UTC; sales runs 24/7.
    sqlx::query(
        "with c as (insert into calendars (id, name, zone, hours) \
             values (gen_random_uuid(), 'office', 'UTC', 'mon-fri 09:00-18:00') returning id) \
         update departments set calendar_id = (select id from c) where id = $1",
    )
    .bind(tech)
    .execute(db)
    .await
    .expect("calendar");
    let grants = [("tech", Reply), ("sales", Reply)];
    let ana = fixtures::user(db, "ana@support.test", Role::Agent, &grants).await;
    let boris = fixtures::user(db, "boris@support.test", Role::Agent, &grants).await;
    let customer = fixtures::user(db, "olga@client.test", Role::Customer, &[]).await;
    let say = |id, who| async move { fixtures::say(db, id, Kind::Agent, Some(who), "ok").await };

    // A (tech): Mon 10:00, ana answers 10:30 and 11:00, resolved 12:00.
    let (a, _) = fixtures::ticket(db, tech, customer, "A").await;
    say(a, ana).await;
    say(a, ana).await;
    fixtures::say(db, a, Kind::Note, Some(ana), "a note is no reply").await;
    fixtures::set_status(db, a, Status::Resolved, time::Duration::ZERO).await;
    // B (tech): Mon 17:00, ana answers Tue 10:00, resolved Tue 17:00.
    let (b, _) = fixtures::ticket(db, tech, customer, "B").await;
    say(b, ana).await;
    fixtures::set_status(db, b, Status::Resolved, time::Duration::ZERO).await;
    // C (tech): Fri 16:00, boris answers Mon 09:30; still open.
    let (c, _) = fixtures::ticket(db, tech, customer, "C").await;
    say(c, boris).await;
    // D (sales): Wed 08:00, boris 09:00, ana 10:00, resolved Thu 08:00.
    let (d, _) = fixtures::ticket(db, sales, customer, "D").await;
    say(d, boris).await;
    say(d, ana).await;
    fixtures::set_status(db, d, Status::Resolved, time::Duration::ZERO).await;
    // E (tech): merged into A, counts nowhere.
    let (e, _) = fixtures::ticket(db, tech, customer, "E").await;
    say(e, boris).await;

    let set = "update tickets set created_at = $2, first_response_at = $3, resolved_at = $4, \
               closed_at = null where id = $1";
    for (id, created, first, resolved) in [
        (
            a,
            datetime!(2026-11-02 10:00 UTC),
            datetime!(2026-11-02 10:30 UTC),
            Some(datetime!(2026-11-02 12:00 UTC)),
        ),
        (
            b,
            datetime!(2026-11-02 17:00 UTC),
            datetime!(2026-11-03 10:00 UTC),
            Some(datetime!(2026-11-03 17:00 UTC)),
        ),
        (
            c,
            datetime!(2026-11-06 16:00 UTC),
            datetime!(2026-11-09 09:30 UTC),
            None,
        ),
        (
            d,
            datetime!(2026-11-04 08:00 UTC),
            datetime!(2026-11-04 09:00 UTC),
            Some(datetime!(2026-11-05 08:00 UTC)),
        ),
        (
            e,
            datetime!(2026-11-04 08:00 UTC),
            datetime!(2026-11-04 08:01 UTC),
            None,
        ),
    ] {
        sqlx::query(set)
            .bind(id)
            .bind(created)
            .bind(first)
            .bind(resolved)
            .execute(db)
            .await
            .expect("times");
    }
    reply_times(
        db,
        a,
        &[
            datetime!(2026-11-02 10:30 UTC),
            datetime!(2026-11-02 11:00 UTC),
        ],
    )
    .await;
    reply_times(db, b, &[datetime!(2026-11-03 10:00 UTC)]).await;
    reply_times(db, c, &[datetime!(2026-11-09 09:30 UTC)]).await;
    reply_times(
        db,
        d,
        &[
            datetime!(2026-11-04 09:00 UTC),
            datetime!(2026-11-04 10:00 UTC),
        ],
    )
    .await;
    reply_times(db, e, &[datetime!(2026-11-04 08:01 UTC)]).await;
    // Bilet's own replies (fixtures) take no ticket: the assignees by hand.
    for (id, who) in [(a, ana), (b, ana), (d, boris)] {
        sqlx::query("update tickets set assignee_id = $2 where id = $1")
            .bind(id)
            .bind(who)
            .execute(db)
            .await
            .expect("assign");
    }
    sqlx::query("update tickets set merged_into_id = $2 where id = $1")
        .bind(e)
        .bind(a)
        .execute(db)
        .await
        .expect("merge");
    for (id, stars, comment, agent) in
        [(a, 5, "Great", ana), (b, 4, "", ana), (d, 2, "Slow", boris)]
    {
        sqlx::query(
            "insert into ratings (id, ticket_id, user_id, agent_id, stars, comment, created_at) \
             values (gen_random_uuid(), $1, $2, $3, $4, $5, '2026-11-05 12:00Z')",
        )
        .bind(id)
        .bind(customer)
        .bind(agent)
        .bind(stars as i16)
        .bind(comment)
        .execute(db)
        .await
        .expect("rating");
    }
    // SLA: A met, B breached, C's resolution due and running (missed), D met,
    // C's first response due outside the range.
    for (id, target, due, done, breached, dept, agent) in [
        (
            a,
            "first_response",
            "2026-11-02 11:00Z",
            Some("2026-11-02 10:30Z"),
            None,
            tech,
            Some(ana),
        ),
        (
            b,
            "first_response",
            "2026-11-03 09:00Z",
            Some("2026-11-03 10:00Z"),
            Some("2026-11-03 09:00Z"),
            tech,
            Some(ana),
        ),
        (c, "resolution", "2026-11-20 12:00Z", None, None, tech, None),
        (
            d,
            "first_response",
            "2026-11-04 12:00Z",
            Some("2026-11-04 09:00Z"),
            None,
            sales,
            Some(boris),
        ),
        (
            c,
            "first_response",
            "2026-12-20 12:00Z",
            None,
            None,
            tech,
            None,
        ),
    ] {
        sqlx::query(
            "insert into sla_outcomes (ticket_id, target, started_at, due_at, department_id, priority, \
                 done_at, breached_at, agent_id) \
             values ($1, $2::sla_target, '2026-11-01Z', $3::timestamptz, $6, 'normal', \
                 $4::timestamptz, $5::timestamptz, $7)",
        )
        .bind(id)
        .bind(target)
        .bind(due)
        .bind(done)
        .bind(breached)
        .bind(dept)
        .bind(agent)
        .execute(db)
        .await
        .expect("outcome");
    }
    Data {
        tech,
        sales,
        ana,
        boris,
    }
}

/// Runs the facts reader until every counted ticket has its row (other
/// tests' transactions can hold the journal's horizon back a moment).
async fn facts(app: &bilet::state::AppState) {
    for _ in 0..300 {
        stats::facts::catch_up(app).await.expect("catch up");
        let n: i64 = sqlx::query_scalar("select count(*) from stats_tickets")
            .fetch_one(&app.db)
            .await
            .expect("count");
        if n == 4 {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("the facts never arrived");
}

fn november() -> Filter {
    Filter {
        from: date!(2026 - 11 - 01),
        to: date!(2026 - 11 - 30),
        department: None,
        weekly: false,
    }
}

async fn viewer(db: &PgPool, id: UserId) -> bilet::domain::access::Viewer {
    bilet::store::users::find(db, id)
        .await
        .expect("user")
        .expect("exists")
        .viewer()
}

async fn admin(db: &PgPool) -> UserId {
    fixtures::user(db, "root@support.test", Role::Admin, &[]).await
}

fn close(a: Option<f64>, b: f64) {
    let a = a.expect("a value");
    assert!((a - b).abs() < 1e-6, "{a} != {b}");
}

#[sqlx::test]
async fn statistics_match_hand_computed_values_and_the_raw_rows(db: PgPool) {
    let d = data(&db).await;
    let app = fixtures::state(&db);
    facts(&app).await;
    // Applying everything again changes nothing.
    stats::facts::rebuild(&app).await.expect("rebuild");
    let root = admin(&db).await;
    let r: Report = stats::report(&app, &viewer(&db, root).await, november())
        .await
        .expect("report");
    let t = &r.total;
    assert_eq!((t.handled, t.replies), (3, 6));
    assert_eq!(t.first_response.n, 4);
    close(t.first_response.wall.median, 32400.0);
    close(t.first_response.wall.average, 75600.0);
    close(t.first_response.wall.p90, 183420.0);
    close(t.first_response.business.median, 5400.0);
    close(t.first_response.business.average, 5400.0);
    close(t.first_response.business.p90, 8460.0);
    close(t.resolution.wall.median, 86400.0);
    close(t.resolution.wall.average, 60000.0);
    close(t.resolution.wall.p90, 86400.0);
    close(t.resolution.business.median, 32400.0);
    close(t.resolution.business.average, 42000.0);
    close(t.resolution.business.p90, 75600.0);
    assert_eq!((t.met, t.missed), (2, 2));
    close(t.compliance(), 50.0);
    assert_eq!(t.stars, [0, 1, 0, 1, 1]);
    close(t.rating, 11.0 / 3.0);

    let line = |lines: &[stats::Line], id: uuid::Uuid| {
        lines
            .iter()
            .find(|l| l.id == Some(id))
            .cloned()
            .expect("line")
    };
    let tech = line(&r.departments, d.tech.0);
    assert_eq!(
        (tech.handled, tech.replies, tech.met, tech.missed),
        (2, 4, 1, 2)
    );
    close(tech.first_response.wall.median, 61200.0);
    let sales = line(&r.departments, d.sales.0);
    assert_eq!((sales.handled, sales.replies), (1, 2));
    close(sales.compliance(), 100.0);
    let ana = line(&r.agents, d.ana.0);
    assert_eq!((ana.handled, ana.replies, ana.first_response.n), (2, 4, 2));
    assert_eq!(ana.stars, [0, 0, 0, 1, 1]);
    let boris = line(&r.agents, d.boris.0);
    assert_eq!(
        (boris.handled, boris.replies, boris.first_response.n),
        (1, 2, 2)
    );
    assert_eq!(r.comments.len(), 2, "comments without text are left out");
    assert_eq!(r.trend.iter().map(|b| b.replies).sum::<i64>(), 6);
    assert_eq!(
        r.trend
            .iter()
            .find(|b| b.bucket == date!(2026 - 11 - 02))
            .map(|b| (b.handled, b.replies)),
        Some((1, 2))
    );

    // The same numbers straight from the raw rows.
    let raw: (f64, f64, f64, f64, i64) = sqlx::query_as(
        "select percentile_cont(0.5) within group (order by s), avg(s)::float8, \
                percentile_cont(0.9) within group (order by s), \
                (select percentile_cont(0.5) within group (order by extract(epoch from resolved_at - created_at)) \
                 from tickets where merged_into_id is null and resolved_at >= '2026-11-01Z' \
                   and resolved_at < '2026-12-01Z')::float8, \
                (select count(*) from messages m join tickets t on t.id = m.ticket_id \
                 where m.kind = 'agent' and t.merged_into_id is null \
                   and m.created_at >= '2026-11-01Z' and m.created_at < '2026-12-01Z') \
         from (select extract(epoch from first_response_at - created_at)::float8 as s from tickets \
               where merged_into_id is null and first_response_at >= '2026-11-01Z' \
                 and first_response_at < '2026-12-01Z') x",
    )
    .fetch_one(&db)
    .await
    .expect("raw");
    close(t.first_response.wall.median, raw.0);
    close(t.first_response.wall.average, raw.1);
    close(t.first_response.wall.p90, raw.2);
    close(t.resolution.wall.median, raw.3);
    assert_eq!(t.replies, raw.4);
    let (met, decided, stars): (i64, i64, Vec<i64>) = sqlx::query_as(
        "select count(*) filter (where breached_at is null and done_at <= due_at), \
                count(*) filter (where breached_at is not null or done_at is not null or due_at <= now()), \
                (select array_agg(n order by s) from (select s, (select count(*) from ratings where stars = s) n \
                 from generate_series(1, 5) s) x) \
         from sla_outcomes where due_at >= '2026-11-01Z' and due_at < '2026-12-01Z'",
    )
    .fetch_one(&db)
    .await
    .expect("raw compliance");
    assert_eq!((t.met, t.met + t.missed), (met, decided));
    assert_eq!(t.stars.to_vec(), stars);

    // A target still running and not yet due counts as neither.
    let range = bilet::store::stats::Range {
        from: date!(2026 - 11 - 01),
        to: date!(2026 - 11 - 30),
        start: datetime!(2026-11-01 0:00 UTC),
        end: datetime!(2026-12-01 0:00 UTC),
        departments: None,
    };
    let then = bilet::store::stats::compliance(&db, &range, datetime!(2026-11-10 0:00 UTC))
        .await
        .expect("compliance");
    let total = then
        .iter()
        .find(|r| r.group == bilet::store::stats::Group::Total)
        .expect("total");
    assert_eq!((total.met, total.missed), (2, 1));
}

#[sqlx::test]
async fn managers_see_their_departments_others_get_404_and_csv_and_charts_follow(db: PgPool) {
    let d = data(&db).await;
    let app = fixtures::state(&db);
    facts(&app).await;
    // A manager of sales with no grant there at all.
    let (boss, password) = bilet::service::accounts::create_account(
        &db,
        &app.hasher,
        None,
        bilet::service::accounts::NewAccount {
            email: "boss@support.test".into(),
            name: "Boss".into(),
            role: Role::Agent,
            departments: vec![],
        },
    )
    .await
    .expect("boss");
    sqlx::query("insert into department_managers (department_id, user_id) values ($1, $2)")
        .bind(d.sales)
        .bind(boss)
        .execute(&db)
        .await
        .expect("manager");
    let r = stats::report(&app, &viewer(&db, boss).await, november())
        .await
        .expect("report");
    assert_eq!(r.departments.len(), 1);
    assert_eq!(r.departments[0].id, Some(d.sales.0));
    assert_eq!((r.total.handled, r.total.replies), (1, 2));
    let other = Filter {
        department: Some(d.tech),
        ..november()
    };
    assert!(matches!(
        stats::report(&app, &viewer(&db, boss).await, other).await,
        Err(bilet::service::Error::NotFound)
    ));
    assert!(matches!(
        stats::report(&app, &viewer(&db, d.ana).await, november()).await,
        Err(bilet::service::Error::NotFound)
    ));

    let web = TestApp::spawn(db.clone()).await;
    web.login_and_set_password("boss@support.test", &password, "a long enough password 1")
        .await;
    let q = "from=2026-11-01&to=2026-11-30";
    let page = web.get(&format!("/agent/stats?{q}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("<svg class=\"chart\""), "the trend chart");
    assert!(
        html.contains("<a href=\"/agent/stats\">"),
        "a manager's header links to the statistics"
    );
    assert!(html.contains("role=\"img\""));
    assert!(
        html.contains("stats-trend-table"),
        "numbers beside the chart"
    );
    assert!(
        html.contains("SALES") && !html.contains(">TECH<"),
        "only sales"
    );
    assert_eq!(
        web.get(&format!("/agent/stats?{q}&department={}", d.tech))
            .await
            .status(),
        404
    );
    let csv = web.get(&format!("/agent/stats.csv?{q}")).await;
    assert_eq!(csv.status(), 200);
    assert_eq!(
        csv.headers()["content-type"].to_str().expect("type"),
        "text/csv; charset=utf-8"
    );
    let text = csv.text().await.expect("csv");
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("kind,name,handled,replies,"));
    assert!(lines[1].starts_with("total,,1,2,1,3600,"), "{}", lines[1]);
    assert!(lines.iter().any(|l| l.starts_with("department,SALES,1,2,")));
    assert!(lines.iter().any(|l| l.starts_with("day,2026-11-04,0,2,")));

    // A plain agent: 404 on both.
    let plain = TestApp::spawn(db.clone()).await;
    let (_, once) = bilet::service::accounts::create_account(
        &db,
        &app.hasher,
        None,
        bilet::service::accounts::NewAccount {
            email: "plain@support.test".into(),
            name: "Plain".into(),
            role: Role::Agent,
            departments: vec![("tech".into(), Reply)],
        },
    )
    .await
    .expect("plain");
    plain
        .login_and_set_password("plain@support.test", &once, "a long enough password 1")
        .await;
    let home = plain.get("/agent").await.text().await.expect("html");
    assert!(
        !home.contains("href=\"/agent/stats\""),
        "no statistics link for a plain agent"
    );
    assert_eq!(plain.get("/agent/stats").await.status(), 404);
    assert_eq!(plain.get("/agent/stats.csv").await.status(), 404);
}
