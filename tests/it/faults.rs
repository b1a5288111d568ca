//! Faults with the real services: the SMTP relay goes away while replies
//! are queued and comes back; PostgreSQL restarts in the middle of an IMAP
//! batch. Nothing is lost and nothing arrives twice.

use std::collections::HashSet;
use std::time::Duration;

use bilet::domain::access::AccessLevel::Reply;
use bilet::domain::users::Role;
use bilet::service::mail::outbox;
use sqlx::PgPool;

use crate::harness::{TestApp, fixtures};
use crate::mailkit::{address, fetch, parsed};

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    l.local_addr().expect("addr").port()
}

/// The tests' SMTP relay (aiosmtpd into Dovecot) on `port`, until dropped.
async fn relay(port: u16) -> tokio::process::Child {
    let python = std::env::var("TEST_PYTHON").expect("TEST_PYTHON");
    let child = tokio::process::Command::new(python)
        .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .args([
            "-c",
            "lmtp_relay.LmtpRelay",
            &std::env::var("TEST_LMTP_PORT").expect("lmtp"),
        ])
        .env(
            "PYTHONPATH",
            std::env::var("TEST_ENV_DIR").expect("env dir"),
        )
        .kill_on_drop(true)
        .spawn()
        .expect("smtp relay");
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            return child;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the relay did not start");
}

async fn states(db: &PgPool) -> Vec<String> {
    sqlx::query_scalar("select state::text from outbox where kind = 'reply'")
        .fetch_all(db)
        .await
        .expect("states")
}

#[sqlx::test]
async fn replies_queued_while_the_relay_is_down_all_arrive_once(db: PgPool) {
    let port = free_port();
    let app = TestApp::spawn_with(db.clone(), |c| {
        c.mail.smtp.host = Some("127.0.0.1".into());
        c.mail.smtp.port = port;
        c.mail.smtp.tls = bilet::config::TlsMode::None;
        c.mail.retry_backoff = vec![1];
    })
    .await;
    let tech = fixtures::department(&db, "tech").await;
    let agent = fixtures::user(&db, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let agent = bilet::store::users::find(&db, agent)
        .await
        .expect("q")
        .expect("agent");
    let customer_address = address("waiting", "example.com");
    let customer = fixtures::user(&db, &customer_address, Role::Customer, &[]).await;
    for i in 0..50 {
        let (_, number) = fixtures::ticket(&db, tech, customer, &format!("Question {i}")).await;
        let body = format!("Answer {i}");
        bilet::service::tickets::agent::reply(&app.state, &agent, number, 1, &body, &[], None)
            .await
            .expect("reply");
    }
    // The relay is down: every mail is tried and kept for a retry.
    while outbox::run_once(&app.state).await.expect("try") > 0 {}
    let down = states(&db).await;
    assert_eq!(down.len(), 50);
    assert!(down.iter().all(|s| s == "retrying"), "{down:?}");

    let _relay = relay(port).await;
    let mut sent = 0;
    for _ in 0..300 {
        outbox::run_once(&app.state).await.expect("retry");
        sent = states(&db).await.iter().filter(|s| *s == "sent").count();
        if sent == 50 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(sent, 50);
    let mails = fetch(&customer_address, "INBOX", 50).await;
    let ids: Vec<String> = mails
        .iter()
        .map(|(raw, _)| parsed(raw).message_id().unwrap_or("").to_string())
        .collect();
    let unique: HashSet<&String> = ids.iter().collect();
    assert_eq!((ids.len(), unique.len()), (50, 50), "each reply once");
    let retried: i64 =
        sqlx::query_scalar("select count(*) from outbox where kind = 'reply' and attempts > 1")
            .fetch_one(&db)
            .await
            .expect("attempts");
    assert_eq!(retried, 50, "each shows its retries");
    // The ticket page says how many attempts it took.
    let browser = app.another_browser();
    let pw = browser
        .create_account("bo@support.test", Role::Agent, &[("tech", Reply)])
        .await;
    browser
        .login_and_set_password("bo@support.test", &pw, "correct horse battery")
        .await;
    let page = browser
        .get("/agent/tickets/1001")
        .await
        .text()
        .await
        .expect("page");
    let deliveries = crate::harness::texts(&page, ".deliveries li").join(" ");
    assert!(deliveries.contains("attempts"), "{deliveries}");
    // Nothing goes out again.
    sqlx::query("update outbox set next_attempt_at = now()")
        .execute(&db)
        .await
        .expect("due");
    assert_eq!(outbox::run_once(&app.state).await.expect("again"), 0);
}

async fn count(db: &PgPool, table: &str) -> i64 {
    // A restart is in progress now and then: an error counts as "not yet".
    sqlx::query_scalar(&format!("select count(*) from {table}"))
        .fetch_one(db)
        .await
        .unwrap_or(-1)
}

async fn unseen(user: &str) -> usize {
    let mut s = crate::mailkit::session(user).await;
    s.select("INBOX").await.expect("select");
    let n = s.uid_search("UNSEEN").await.expect("search").len();
    let _ = s.logout().await;
    n
}

#[tokio::test]
async fn postgres_restarting_mid_batch_loses_and_doubles_no_mail() {
    let cluster = crate::cluster::Cluster::start();
    let db = sqlx::postgres::PgPoolOptions::new()
        .max_connections(5)
        .acquire_timeout(Duration::from_secs(5))
        .connect(&cluster.url())
        .await
        .expect("connect");
    bilet::database::MIGRATOR.run(&db).await.expect("migrate");
    let app = TestApp::spawn_with(db.clone(), |c| c.mail.poll_seconds = 1).await;
    let (mailbox, support) = crate::mailkit::helpdesk(&app, &db, false).await;
    // The first poll only notes where the folder stands.
    bilet::service::mail::mailboxes::poll_once(&app.state, mailbox)
        .await
        .expect("first poll");
    const MAILS: i64 = 200;
    for i in 0..MAILS {
        let from = format!("customer{i}@example.com");
        let raw = crate::mailkit::mail(&from, &support, &format!("Problem {i}"), "Help", "");
        crate::mailkit::append(&support, "INBOX", &raw, false).await;
    }
    let supervisor = bilet::jobs::Supervisor::new();
    bilet::app::start_jobs(&app.state, &supervisor);
    let mut before = 0;
    for _ in 0..600 {
        before = count(&db, "tickets").await;
        if before >= 10 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        (10..MAILS).contains(&before),
        "restart mid-batch, at {before}"
    );
    cluster.restart();
    let mut after = 0;
    for _ in 0..1200 {
        after = count(&db, "tickets").await;
        if after == MAILS && unseen(&support).await == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    supervisor.token().cancel();
    assert_eq!(after, MAILS, "every mail became one ticket");
    assert_eq!(count(&db, "messages").await, MAILS, "one message each");
    assert_eq!(
        count(&db, "raw_mails").await,
        MAILS,
        "each raw mail kept once"
    );
    let subjects: i64 = sqlx::query_scalar("select count(distinct subject) from tickets")
        .fetch_one(&db)
        .await
        .expect("subjects");
    assert_eq!(subjects, MAILS);
}
