//! `bilet dev seed`: a large helpdesk for benchmarks and trials, never on
//! a database with real data in it. Ten departments, fifty agents (who can
//! sign in), 100 000 customers, N tickets with their threads, files and
//! ratings, made in one transaction; then the maintained counts and the
//! statistics' facts are rebuilt, since a bulk load bypasses the write
//! path. The search index is rebuilt by `bilet search reindex`.

use std::time::{Duration, Instant};

use crate::domain::priority::Priority;
use crate::domain::queue::Filter;
use crate::domain::status::Status;
use crate::service::accounts::passwords;
use crate::state::AppState;
use crate::store;
use crate::store::seed::SeedInputs;

/// Every seeded agent's password (a seed is for trials, not production).
pub const AGENT_PASSWORD: &str = "seeded-agent-password";

/// What a seed made, and how long it took.
#[derive(Debug)]
pub struct Seeded {
    pub tickets: i64,
    pub messages: i64,
    pub fill: Duration,
    pub rebuild: Duration,
}

/// The files seeded attachments point at: a log, a screenshot, a PDF…
const FILES: &[(&str, &str, &[u8])] = &[
    (
        "traceroute.txt",
        "text/plain",
        b"traceroute to shop.example (203.0.113.7), 30 hops max\n 1  gw (10.0.0.1)  0.4 ms\n 2  * * *\n 3  203.0.113.1  38.1 ms\n",
    ),
    (
        "nginx-error.log",
        "text/plain",
        b"2026/11/30 08:14:02 [error] 812#812: *1 upstream prematurely closed connection while reading response header from upstream\n",
    ),
    (
        "invoice.pdf",
        "application/pdf",
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n",
    ),
    (
        "screenshot.png",
        "image/png",
        b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\0\x05\0\x01\xff\x89\x99=\x1d\0\0\0\0IEND\xaeB`\x82",
    ),
    (
        "dmesg.txt",
        "text/plain",
        b"[12345.678] EXT4-fs error (device sda1): ext4_find_entry: reading directory lblock 0\n",
    ),
];

pub async fn seed(app: &AppState, tickets: i64) -> anyhow::Result<Seeded> {
    if tickets < 1 {
        anyhow::bail!("--tickets must be at least 1");
    }
    let mut tx = app.db.begin().await?;
    if store::seed::has_data(&mut tx).await? {
        anyhow::bail!(
            "this database already holds departments, customers or tickets; seed only a new, empty one"
        );
    }
    let started = Instant::now();
    let hash = passwords::hash(&app.hasher, None, AGENT_PASSWORD.into()).await?;
    let urgent = Filter {
        statuses: vec![Status::Open, Status::Pending],
        priority: Some(Priority::Urgent),
        ..Filter::default()
    };
    let mut files = SeedInputs {
        workspace: ("Urgent".into(), serde_json::to_value(&urgent)?),
        ..SeedInputs::default()
    };
    for (name, kind, bytes) in FILES {
        let stored = app.blobs.put(Box::pin(*bytes), u64::MAX).await?;
        store::blobs::add_ref(&mut *tx, &stored.sha256, stored.size as i64).await?;
        files.sha256.push(stored.sha256);
        files.names.push((*name).into());
        files.types.push((*kind).into());
        files.sizes.push(stored.size as i64);
    }
    store::seed::fill(&mut tx, tickets, &hash, &files).await?;
    tx.commit().await?;
    let fill = started.elapsed();

    let started = Instant::now();
    // The planner must know the new sizes before the rebuilds' queries.
    sqlx::query("analyze").execute(&app.db).await?;
    let mut counts = app.db.begin().await?;
    store::counts::rebuild(&mut counts).await?;
    counts.commit().await?;
    crate::service::stats::facts::rebuild(app).await?;
    let messages: i64 = sqlx::query_scalar("select count(*) from messages")
        .fetch_one(&app.db)
        .await?;
    Ok(Seeded {
        tickets,
        messages,
        fill,
        rebuild: started.elapsed(),
    })
}
