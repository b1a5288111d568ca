//! What agents and customers wait for, through HTTP on a seeded helpdesk:
//! `make bench` (or `tests/env/with-services cargo bench --bench pages`).
//!
//! `bilet dev seed --tickets BENCH_TICKETS` (1 000 000 under `--bench`,
//! 2 000 under `cargo test`) fills the embedded PostgreSQL of a data
//! folder (BENCH_DATA_DIR keeps one between runs: it is seeded only when
//! empty), `bilet search reindex` indexes it, and a real `bilet serve`
//! answers. Each page, search and creation is then loaded by the benches'
//! own load tool (benches/common/load.rs) at 1, 8 and 32 connections:
//! requests/s, p50/p95/p99, and CPU ms a request of the server and of
//! PostgreSQL. Then mail ingest (an mbox of BENCH_MAILS mails, and one
//! process a mail as an MTA's pipe), and memory at rest and after the
//! load. Figures go to stdout; nothing is asserted on time.

#[path = "common/helpdesk.rs"]
mod helpdesk;
#[path = "common/load.rs"]
mod load;

use std::sync::Arc;
use std::time::Instant;

use helpdesk::{Helpdesk, attribute_after, cli};
use serde_json::json;

const AGENT: &str = "agent1@seed.bilet.test";
const CUSTOMER: &str = "c1@client1.example";
/// agent1's home department (managed; it reads billing too).
const DEPT: &str = "backup";
const PASSWORD: &str = bilet::service::seed::AGENT_PASSWORD;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    bilet::use_ring_for_tls();
    let bench = std::env::args().any(|a| a == "--bench");
    let number = |name: &str, full: u64, short: u64| {
        std::env::var(name)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(if bench { full } else { short })
    };
    let tickets = number("BENCH_TICKETS", 1_000_000, 2_000);
    let mails = number("BENCH_MAILS", 10_000, 20);
    let secs = if bench { 8.0 } else { 0.3 };
    let temp = tempfile::tempdir()?;
    let kept = std::env::var_os("BENCH_DATA_DIR").map(std::path::PathBuf::from);
    let dir = kept.clone().unwrap_or_else(|| temp.path().to_path_buf());
    std::fs::create_dir_all(&dir)?;
    std::fs::set_permissions(&dir, std::os::unix::fs::PermissionsExt::from_mode(0o700))?;

    let desk = Helpdesk::serve(&dir).await?;
    let result = run(&desk, tickets, mails, secs).await;
    desk.stop(kept.is_none()).await?;
    result
}

async fn run(desk: &Helpdesk, tickets: u64, mails: u64, secs: f64) -> anyhow::Result<()> {
    let have: i64 = sqlx::query_scalar("select count(*) from tickets")
        .fetch_one(&desk.db)
        .await?;
    if have == 0 {
        let t = Instant::now();
        print!(
            "{}",
            cli(
                &desk.dir,
                &["dev", "seed", "--tickets", &tickets.to_string()],
                None
            )
            .await?
        );
        print!("{}", cli(&desk.dir, &["search", "reindex"], None).await?);
        println!("seeded and indexed in {:.0} s", t.elapsed().as_secs_f64());
    }
    let (tickets, messages): (i64, i64) =
        sqlx::query_as("select (select count(*) from tickets), (select count(*) from messages)")
            .fetch_one(&desk.db)
            .await?;
    let name = format!("bench-{}", uuid::Uuid::new_v4().simple());
    let token = cli(
        &desk.dir,
        &["token", "create", "--name", &name, "--user", AGENT],
        None,
    )
    .await?
    .trim()
    .to_string();
    let t20 = thread(desk, &token, 20).await?;
    let t200 = thread(desk, &token, 200).await?;
    let agent = desk.sign_in(AGENT, PASSWORD).await?;
    let customer = desk.sign_in(CUSTOMER, PASSWORD).await?;
    let first = desk.page(&agent, "/agent?sort=activity_newest").await?;
    let second = attribute_after(&first, "rel=\"next\" href=\"")
        .ok_or_else(|| anyhow::anyhow!("the queue has no second page"))?;
    let own: String = sqlx::query_scalar(
        "select t.number::text from tickets t join user_emails e on e.user_id = t.requester_id \
         where e.email = $1 order by t.created_at desc limit 1",
    )
    .bind(CUSTOMER)
    .fetch_one(&desk.db)
    .await?;
    println!(
        "\nmachine: {} cores; bilet serve (debug = {}) on its embedded PostgreSQL; \
         {tickets} tickets, {messages} messages; {secs} s a run; signed in as {AGENT} \
         (agent of 2 of 10 departments) and {CUSTOMER}",
        std::thread::available_parallelism()?.get(),
        cfg!(debug_assertions)
    );
    println!("memory at rest: {}\n", load::memory(desk.pid));

    let agent_pages: Vec<(&str, String)> = vec![
        (
            "queue, activity newest",
            "/agent?sort=activity_newest".into(),
        ),
        (
            "queue, activity oldest",
            "/agent?sort=activity_oldest".into(),
        ),
        ("queue, created newest", "/agent?sort=created_newest".into()),
        ("queue, created oldest", "/agent?sort=created_oldest".into()),
        ("queue, due soonest", "/agent?sort=due_soonest".into()),
        ("queue, second page", second),
        ("workspace mine", "/agent?ws=mine".into()),
        ("workspace unassigned", "/agent?ws=unassigned".into()),
        ("workspace waiting", "/agent?ws=waiting".into()),
        ("workspace overdue", "/agent?ws=overdue".into()),
        ("workspace closed", "/agent?ws=closed".into()),
        ("filter status open", "/agent?status=open".into()),
        ("filter priority urgent", "/agent?priority=urgent".into()),
        ("filter department", format!("/agent?department={DEPT}")),
        ("filter last 7 days", "/agent?days=7".into()),
        ("filter requester", format!("/agent?requester={CUSTOMER}")),
        ("workspace counts", "/agent/counts".into()),
        ("ticket page, 20 messages", format!("/agent/tickets/{t20}")),
        (
            "ticket page, 200 messages",
            format!("/agent/tickets/{t200}"),
        ),
        ("search term", "/agent?q=сервер".into()),
        ("search stemmed", "/agent?q=серверов".into()),
        ("search phrase", "/agent?q=%22не+отвечает%22".into()),
        (
            "search filtered",
            "/agent?q=invoices&department=billing".into(),
        ),
    ];
    for (label, path) in &agent_pages {
        get(desk, label, &agent, path, secs).await?;
    }
    get(desk, "portal My tickets", &customer, "/portal", secs).await?;
    get(
        desk,
        "portal ticket page",
        &customer,
        &format!("/portal/tickets/{own}"),
        secs,
    )
    .await?;
    create_api(desk, &token, secs).await?;
    create_portal(desk, &customer, secs).await?;
    println!("\nmemory after the load: {}", load::memory(desk.pid));
    ingest(desk, mails).await
}

async fn get(
    desk: &Helpdesk,
    label: &str,
    cookie: &str,
    path: &str,
    secs: f64,
) -> anyhow::Result<()> {
    for clients in [1, 8, 32] {
        let url = Arc::new(format!("{}{path}", desk.base));
        let cookie = Arc::new(cookie.to_string());
        let line = load::run(clients, secs, desk.pid, 200, move |client, _| {
            let (url, cookie) = (url.clone(), cookie.clone());
            async move {
                let res = client
                    .get(url.as_str())
                    .header("cookie", cookie.as_str())
                    .send()
                    .await?;
                Ok((res.status().as_u16(), res.bytes().await?.to_vec()))
            }
        })
        .await?;
        println!("{label:<28} {line}");
    }
    Ok(())
}

/// A ticket of `n` messages (customer's first, then replies and notes)
/// made through the API once, found again by its subject on later runs.
async fn thread(desk: &Helpdesk, token: &str, n: usize) -> anyhow::Result<String> {
    let subject = format!("Bench: a thread of {n} messages");
    let found: Option<String> =
        sqlx::query_scalar("select number::text from tickets where subject = $1")
            .bind(&subject)
            .fetch_optional(&desk.db)
            .await?;
    if let Some(number) = found {
        return Ok(number);
    }
    let client = reqwest::Client::new();
    let res = client
        .post(format!("{}/api/v1/tickets", desk.base))
        .bearer_auth(token)
        .json(&json!({"customer_email": CUSTOMER, "department": DEPT, "subject": subject,
                      "body": "Сайт отдаёт 502 после обновления. Логи nginx ниже.\n\nupstream timed out"}))
        .send()
        .await?;
    anyhow::ensure!(res.status() == 201, "creating the thread: {}", res.status());
    let made: serde_json::Value = res.json().await?;
    let number = made["number"].as_str().unwrap_or_default().to_string();
    for i in 1..n {
        let kind = if i % 3 == 0 { "notes" } else { "replies" };
        let r = client
            .post(format!("{}/api/v1/tickets/{number}/{kind}", desk.base))
            .bearer_auth(token)
            .json(&json!({"body": format!("Сообщение {i}: проверьте, пожалуйста, настройки DNS и сертификат.")}))
            .send()
            .await?;
        anyhow::ensure!(r.status() == 201, "message {i}: {}", r.status());
    }
    Ok(number)
}

async fn create_api(desk: &Helpdesk, token: &str, secs: f64) -> anyhow::Result<()> {
    for clients in [1, 8, 32] {
        let (url, token) = (
            Arc::new(format!("{}/api/v1/tickets", desk.base)),
            Arc::new(token.to_string()),
        );
        let line = load::run(clients, secs, desk.pid, 201, move |client, n| {
            let (url, token) = (url.clone(), token.clone());
            async move {
                let res = client
                    .post(url.as_str())
                    .bearer_auth(token.as_str())
                    .json(&json!({"customer_email": format!("c{}@client{}.example", 1 + n % 100, 1 + n % 100),
                                  "department": DEPT, "subject": format!("Сайт не открывается {n}"),
                                  "body": "После обновления сайт отдаёт 502.\n\nupstream timed out (110)"}))
                    .send()
                    .await?;
                Ok((res.status().as_u16(), res.bytes().await?.to_vec()))
            }
        })
        .await?;
        println!("{:<28} {line}", "create ticket, API");
    }
    Ok(())
}

async fn create_portal(desk: &Helpdesk, cookie: &str, secs: f64) -> anyhow::Result<()> {
    let choose = desk.page(cookie, "/portal/tickets/new").await?;
    let topic = attribute_after(&choose, "name=\"topic\" value=\"")
        .ok_or_else(|| anyhow::anyhow!("no topic to choose"))?;
    let form = desk
        .page(cookie, &format!("/portal/tickets/new?topic={topic}"))
        .await?;
    let csrf = helpdesk::csrf(&form).ok_or_else(|| anyhow::anyhow!("no csrf on the form"))?;
    for clients in [1, 8, 32] {
        let url = Arc::new(format!("{}/portal/tickets", desk.base));
        let fields = Arc::new((cookie.to_string(), csrf.clone(), topic.clone()));
        let line = load::run(clients, secs, desk.pid, 303, move |client, n| {
            let (url, fields) = (url.clone(), fields.clone());
            async move {
                let form = reqwest::multipart::Form::new()
                    .text("csrf", fields.1.clone())
                    .text("topic", fields.2.clone())
                    .text("confirm_new", "1")
                    .text("subject", format!("Не работает почта {n}"))
                    .text("body", "Письма не доходят со вчерашнего дня, ошибка 550.");
                let res = client
                    .post(url.as_str())
                    .header("cookie", fields.0.as_str())
                    .multipart(form)
                    .send()
                    .await?;
                Ok((res.status().as_u16(), res.bytes().await?.to_vec()))
            }
        })
        .await?;
        println!("{:<28} {line}", "create ticket, portal");
    }
    Ok(())
}

fn mail(n: u64) -> String {
    format!(
        "From: Client {n} <mailer{n}@client{}.example>\r\nTo: {DEPT}@support.seed.bilet.test\r\n\
         Subject: =?UTF-8?B?{}?=\r\nMessage-ID: <bench-{}-{n}@client.example>\r\n\
         Date: Fri, 4 Dec 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Здравствуйте! Сервер не отвечает с утра, перезагрузка не помогла.\r\n",
        n % 997,
        base64::Engine::encode(
            &base64::engine::general_purpose::STANDARD,
            format!("Сервер не отвечает {n}")
        ),
        uuid::Uuid::new_v4().simple()
    )
}

async fn ingest(desk: &Helpdesk, mails: u64) -> anyhow::Result<()> {
    let mbox: String = (0..mails)
        .map(|n| {
            format!(
                "From bench@example Fri Dec  4 10:00:00 2026\n{}\n",
                mail(n).replace("\r\n", "\n")
            )
        })
        .collect();
    let file = tempfile::NamedTempFile::new()?;
    std::fs::write(file.path(), mbox)?;
    let path = file.path().to_string_lossy().into_owned();
    let t = Instant::now();
    cli(&desk.dir, &["mail", "ingest", "--no-notify", &path], None).await?;
    let took = t.elapsed().as_secs_f64();
    println!(
        "\nmail ingest, one mbox        {mails} mails in {took:.1} s: {:.0} mails/s",
        mails as f64 / took
    );
    let mut walls = Vec::new();
    for n in 0..(mails / 100).max(10) {
        let raw = mail(1_000_000 + n);
        let t = Instant::now();
        cli(
            &desk.dir,
            &[
                "mail",
                "ingest",
                "--to",
                &format!("{DEPT}@support.seed.bilet.test"),
                "-",
            ],
            Some(raw.as_bytes()),
        )
        .await?;
        walls.push(t.elapsed());
    }
    let count = walls.len();
    println!(
        "mail ingest, a process a mail ({count} mails, server running): {}",
        load::percentiles(&mut walls)
    );
    Ok(())
}
