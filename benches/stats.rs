//! Statistics over a year on a large helpdesk: `make bench` (or
//! `tests/env/with-services cargo bench --bench stats`). Writes
//! BENCH_TICKETS tickets (default 1 000 000 under `--bench`, 2 000 under
//! `cargo test`) spread over the last 365 days into a fresh database with
//! SQL, shaped as the write path leaves them: 10 departments, 50 agents,
//! an agent reply on nine in ten, resolved four in five, a rating on one in
//! five, first-response and resolution outcomes in `sla_outcomes`. Then
//! builds the per-ticket facts with the rebuild the server runs
//! (`service::stats::facts::rebuild`, timed), serves the real app on
//! 127.0.0.1 in this process and loads `GET /agent/stats` over HTTP to the
//! last byte: a year for an admin (per day and per week), one department,
//! a manager of two departments, and the CSV export; each 100 times at one
//! connection after a warm-up (p50/p95/p99), then 10 s at 8 connections.
//! Every page must answer 200 with the departments' lines; nothing is
//! asserted on time. Figures go to stdout.

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bilet::config::Config;
use bilet::domain::ids::UserId;
use bilet::secrets::Secrets;
use bilet::state::AppState;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgPool};
use tokio_util::sync::CancellationToken;

/// The seed, one statement each, in order; `$1` is the ticket count.
const SEED: &[&str] = &[
    "insert into departments (id, slug, name) select gen_random_uuid(), 'dept-' || g, 'Department ' || g \
     from generate_series(1, 10) g",
    "insert into users (id, role, name) select gen_random_uuid(), 'agent', 'Agent ' || g \
     from generate_series(1, 50) g",
    "insert into users (id, role, name) select gen_random_uuid(), 'customer', 'Customer ' || g \
     from generate_series(1, 100000) g",
    "insert into user_emails (id, user_id, email, is_primary) \
     select gen_random_uuid(), id, 'u' || row_number() over () || '@example.com', true from users",
    // Created over the last year; answered after 5 min to 2 days, resolved
    // after 1 h to 10 days (both skewed short), by one of the department's
    // five agents.
    "with d as (select array_agg(id order by slug) ids from departments), \
          a as (select array_agg(id order by name) ids from users where role = 'agent'), \
          c as (select array_agg(id) ids from users where role = 'customer'), \
          g as (select g, now() - make_interval(secs => (g * 31.536)::int % 31536000) as at, \
                       300 + ((g * 7919) % 1000) ^ 2 / 5.8 as reply, \
                       3600 + ((g * 104729) % 1000) ^ 2 * 0.86 as done \
                from generate_series(1, $1) g) \
     insert into tickets (id, subject, department_id, requester_id, assignee_id, status, priority, \
          created_at, last_activity_at, last_message_kind, first_response_at, resolved_at) \
     select gen_random_uuid(), 'Ticket ' || g, d.ids[1 + g % 10], c.ids[1 + g % 100000], \
            a.ids[1 + (g % 10) * 5 + (g / 10) % 5], \
            case when g % 5 = 0 then 'open'::ticket_status else 'resolved' end, \
            (array['low','normal','normal','high','urgent']::ticket_priority[])[1 + (g / 7) % 5], \
            at, least(now(), at + make_interval(secs => done)), \
            case when g % 10 = 0 then 'customer'::message_kind else 'agent' end, \
            case when g % 10 <> 0 then least(now(), at + make_interval(secs => reply)) end, \
            case when g % 5 <> 0 then least(now(), at + make_interval(secs => done)) end \
     from g, d, a, c",
    "insert into messages (id, ticket_id, kind, source, author_id, body_text, created_at) \
     select gen_random_uuid(), id, 'customer', 'email', requester_id, 'The server answers 502.', created_at \
     from tickets",
    "insert into messages (id, ticket_id, kind, source, author_id, body_text, created_at) \
     select gen_random_uuid(), id, 'agent', 'web', assignee_id, 'Restarted it: please check.', first_response_at \
     from tickets where first_response_at is not null",
    "insert into ratings (id, ticket_id, user_id, agent_id, stars, comment, created_at) \
     select gen_random_uuid(), id, requester_id, assignee_id, 1 + (number * 37 % 97) % 5, \
            case when number % 20 = 0 then 'Thank you, quick and clear.' else '' end, resolved_at \
     from tickets where resolved_at is not null and number % 4 = 1",
    // Outcomes as the SLA clock records them: a 1 h first response and an
    // 8 h resolution, met when done before due.
    "insert into sla_outcomes (ticket_id, target, started_at, due_at, department_id, priority, \
          breached_at, done_at, agent_id) \
     select id, 'first_response', created_at, created_at + interval '1 hour', department_id, priority, \
            case when coalesce(first_response_at, now()) > created_at + interval '1 hour' \
                 then created_at + interval '1 hour' end, first_response_at, assignee_id \
     from tickets where created_at + interval '1 hour' < now()",
    "insert into sla_outcomes (ticket_id, target, started_at, due_at, department_id, priority, \
          breached_at, done_at, agent_id) \
     select id, 'resolution', created_at, created_at + interval '8 hours', department_id, priority, \
            case when coalesce(resolved_at, now()) > created_at + interval '8 hours' \
                 then created_at + interval '8 hours' end, resolved_at, assignee_id \
     from tickets where created_at + interval '8 hours' < now()",
    // The first two departments' manager.
    "insert into users (id, role, name, locale) values ('00000000-0000-4000-8000-000000000002', \
         'agent', 'Bench Manager', 'en')",
    "insert into department_managers (department_id, user_id) \
     select id, '00000000-0000-4000-8000-000000000002' from departments where slug in ('dept-1', 'dept-2')",
];

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn percentile(sorted: &[Duration], p: usize) -> Duration {
    sorted[(sorted.len() * p / 100).min(sorted.len() - 1)]
}

fn loadavg() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .unwrap_or_default()
        .split_whitespace()
        .next()
        .unwrap_or("?")
        .to_string()
}

async fn seed(db: &PgPool, tickets: i64) -> anyhow::Result<()> {
    let started = Instant::now();
    let mut tx = db.begin().await?;
    for sql in SEED {
        let q = sqlx::query(sql);
        let q = if sql.contains("$1") {
            q.bind(tickets)
        } else {
            q
        };
        q.execute(&mut *tx).await?;
    }
    tx.commit().await?;
    println!(
        "seeded {tickets} tickets over a year in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One page load: status, body, the time to the last byte.
async fn load(
    client: &reqwest::Client,
    url: &str,
    cookie: &str,
) -> anyhow::Result<(u16, String, Duration)> {
    let started = Instant::now();
    let res = client
        .get(url)
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await?;
    let status = res.status().as_u16();
    let body = res.text().await?;
    Ok((status, body, started.elapsed()))
}

/// A signed-in session of `user` as a cookie header.
async fn session(db: &PgPool, user: UserId, role: &str, email: &str) -> anyhow::Result<String> {
    if role == "admin" {
        sqlx::query(
            "insert into users (id, role, name, locale) values ($1, 'admin', 'Bench Admin', 'en')",
        )
        .bind(user)
        .execute(db)
        .await?;
    }
    sqlx::query("insert into user_emails (id, user_id, email, is_primary) values (gen_random_uuid(), $1, $2, true)")
        .bind(user)
        .bind(email)
        .execute(db)
        .await?;
    let token = bilet::service::accounts::sessions::start(db, user, 30, None, None).await?;
    Ok(format!("bilet_session={token}"))
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bilet::use_ring_for_tls();
    let url = std::env::var("DATABASE_URL")
        .map_err(|_| anyhow::anyhow!("run through tests/env/with-services (DATABASE_URL)"))?;
    let full = std::env::args().any(|a| a == "--bench");
    let tickets: i64 = std::env::var("BENCH_TICKETS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if full { 1_000_000 } else { 2_000 });
    let name = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&url).await?;
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await?;
    let db_url = url.replacen("/postgres?", &format!("/{name}?"), 1);
    let result = run(&db_url, tickets, full).await;
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&mut admin)
        .await?;
    result
}

async fn run(db_url: &str, tickets: i64, full: bool) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let db = PgPoolOptions::new()
        .max_connections(20)
        .connect(db_url)
        .await?;
    bilet::database::MIGRATOR.run(&db).await?;
    seed(&db, tickets).await?;
    let state = AppState::new(
        db.clone(),
        Config::for_tests(dir.path()),
        Secrets::for_tests(),
        CancellationToken::new(),
    )?;
    let started = Instant::now();
    let built = bilet::service::stats::facts::rebuild(&state).await?;
    let took = started.elapsed().as_secs_f64();
    anyhow::ensure!(built as i64 == tickets, "facts for {built} of {tickets}");
    sqlx::query("analyze").execute(&db).await?;

    let admin = session(&db, UserId::new(), "admin", "admin@example.com").await?;
    let manager_id: UserId = "00000000-0000-4000-8000-000000000002".parse()?;
    let manager = session(&db, manager_id, "agent", "manager@example.com").await?;
    let dept: uuid::Uuid = sqlx::query_scalar("select id from departments where slug = 'dept-3'")
        .fetch_one(&db)
        .await?;

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let router = bilet::web::router(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
    });

    let today = time::OffsetDateTime::now_utc().date();
    let from = today - time::Duration::days(364);
    let year = format!("from={from}&to={today}");
    let pages = [
        (
            "a year, per day (admin)",
            format!("/agent/stats?{year}"),
            &admin,
        ),
        (
            "a year, per week (admin)",
            format!("/agent/stats?{year}&per=week"),
            &admin,
        ),
        (
            "a year, one department",
            format!("/agent/stats?{year}&department={dept}"),
            &admin,
        ),
        (
            "a year, manager of two departments",
            format!("/agent/stats?{year}"),
            &manager,
        ),
        (
            "a year as CSV (admin)",
            format!("/agent/stats.csv?{year}"),
            &admin,
        ),
    ];
    let (runs, secs) = if full { (100, 10) } else { (10, 1) };
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let load_before = loadavg();
    let mut table = Vec::new();
    for (label, path, cookie) in &pages {
        let page = format!("http://{addr}{path}");
        let (status, body, _) = load(&client, &page, cookie).await?;
        anyhow::ensure!(
            status == 200 && body.contains("Department"),
            "{label}: status {status}"
        );
        for _ in 0..3 {
            load(&client, &page, cookie).await?;
        }
        let mut samples = Vec::with_capacity(runs);
        for _ in 0..runs {
            let (status, _, took) = load(&client, &page, cookie).await?;
            anyhow::ensure!(status == 200, "{label}: status {status}");
            samples.push(took);
        }
        samples.sort();
        let stop = Arc::new(AtomicBool::new(false));
        let done = Arc::new(AtomicU64::new(0));
        let mut tasks = Vec::new();
        for _ in 0..8 {
            let (stop, done, page, cookie) =
                (stop.clone(), done.clone(), page.clone(), cookie.to_string());
            tasks.push(tokio::spawn(async move {
                let client = reqwest::Client::new();
                while !stop.load(Ordering::Relaxed) {
                    let (status, _, _) = load(&client, &page, &cookie).await?;
                    anyhow::ensure!(status == 200, "status {status} under load");
                    done.fetch_add(1, Ordering::Relaxed);
                }
                anyhow::Ok(())
            }));
        }
        let load_started = Instant::now();
        tokio::time::sleep(Duration::from_secs(secs)).await;
        stop.store(true, Ordering::Relaxed);
        for t in tasks {
            t.await??;
        }
        let rps = done.load(Ordering::Relaxed) as f64 / load_started.elapsed().as_secs_f64();
        table.push((
            label,
            ms(percentile(&samples, 50)),
            ms(percentile(&samples, 95)),
            ms(percentile(&samples, 99)),
            rps,
        ));
    }
    let load_after = loadavg();
    let facts: i64 = sqlx::query_scalar("select count(*) from stats_tickets")
        .fetch_one(&db)
        .await?;
    println!(
        "\nmachine: {} cores; load average {load_before} before the pages, {load_after} after",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );
    println!(
        "facts rebuild: {facts} tickets in {took:.1} s ({:.0} tickets/s)",
        tickets as f64 / took
    );
    println!(
        "\nGET /agent/stats over {from}..{today}, {runs} runs at 1 connection after a warm-up; req/s at 8 connections for {secs} s\n"
    );
    println!(
        "{:<36} {:>8} {:>8} {:>8} {:>7}",
        "page", "p50 ms", "p95 ms", "p99 ms", "req/s"
    );
    for (label, p50, p95, p99, rps) in &table {
        println!("{label:<36} {p50:>8.1} {p95:>8.1} {p99:>8.1} {rps:>7.1}");
    }
    db.close().await;
    Ok(())
}
