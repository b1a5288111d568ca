//! Two `bilet serve` processes sharing one database and one S3 bucket (a
//! real Garage), as several machines behind a load balancer would: a file
//! a customer attaches on node A is seen live and downloaded by an agent
//! on node B, whose reply the customer reads on A; when node A dies, node B
//! takes A's mailbox over within the lease and files the next mail.

use std::time::Duration;

use bilet::blobs::{BlobStore, S3BlobStore};
use bilet::domain::access::AccessLevel::Reply;
use bilet::domain::users::Role;
use futures_util::StreamExt;
use secrecy::ExposeSecret;
use sqlx::PgPool;
use sqlx::postgres::PgListener;

use crate::harness::{Form, TestApp, attr};
use crate::mailkit::{address, append, helpdesk, mail};
use crate::nodes::{node_with, url_of};

const PASSWORD: &str = "correct horse battery";

async fn tickets_titled(db: &PgPool, subject: &str) -> i64 {
    sqlx::query_scalar("select count(*) from tickets where subject = $1")
        .bind(subject)
        .fetch_one(db)
        .await
        .expect("count")
}

/// Waits (on Bilet's change notifications) until a ticket has `subject`.
async fn filed(db: &PgPool, events: &mut PgListener, subject: &str, within: Duration) {
    let arrived = tokio::time::timeout(within, async {
        while tickets_titled(db, subject).await == 0 {
            events.recv().await.expect("notification");
        }
    })
    .await;
    assert!(
        arrived.is_ok(),
        "{subject:?} was not filed within {within:?}"
    );
}

async fn lease_owner(db: &PgPool) -> Option<String> {
    sqlx::query_scalar("select lease_owner from mailboxes")
        .fetch_one(db)
        .await
        .expect("lease")
}

#[sqlx::test]
async fn two_nodes_share_files_on_s3_and_a_dead_nodes_mailbox_moves(db: PgPool) {
    let url = url_of(&db).await;
    let s3 = crate::s3::bucket("nodes");
    // The mailbox exists before the nodes start, so both work it at once.
    let setup = TestApp::attach("127.0.0.1:9".parse().expect("addr"), &db);
    let (_, support) = helpdesk(&setup, &db, true).await;
    let tech: uuid::Uuid = sqlx::query_scalar("select id from departments where slug = 'tech'")
        .fetch_one(&db)
        .await
        .expect("tech");
    let env = [
        ("BILET_BLOBS__STORE", "s3".to_string()),
        ("BILET_BLOBS__S3__ENDPOINT", s3.endpoint.clone()),
        ("BILET_BLOBS__S3__REGION", s3.region.clone()),
        ("BILET_BLOBS__S3__BUCKET", s3.bucket.clone()),
        ("BILET_BLOBS__S3__PREFIX", s3.prefix.clone()),
        ("BILET_BLOBS__S3__ACCESS_KEY_ID", s3.access_key_id.clone()),
        (
            "BILET_BLOBS__S3__SECRET_ACCESS_KEY",
            s3.secret_access_key
                .as_ref()
                .map(|k| k.expose_secret().to_string())
                .unwrap_or_default(),
        ),
        ("BILET_MAIL__POLL_SECONDS", "1".to_string()),
        ("BILET_MAIL__LEASE_SECONDS", "4".to_string()),
    ];
    let mut events = PgListener::connect_with(&db).await.expect("listener");
    events.listen(bilet::events::CHANNEL).await.expect("listen");

    // Node A alone: it takes the mailbox and files the first mail.
    let mut a = node_with(&url, &env).await;
    let olga = address("olga", "example.org");
    append(
        &support,
        "INBOX",
        &mail(&olga, &support, "Первое письмо", "через узел A", ""),
        false,
    )
    .await;
    filed(&db, &mut events, "Первое письмо", Duration::from_secs(30)).await;
    let a_owner = lease_owner(&db).await.expect("node A holds the mailbox");
    let b = node_with(&url, &env).await;

    // The agent is on node B, listening live.
    let agent = TestApp::attach(b.addr, &db);
    let one_time = agent
        .create_account("ana@support.test", Role::Agent, &[("tech", Reply)])
        .await;
    agent
        .login_and_set_password("ana@support.test", &one_time, PASSWORD)
        .await;
    let stream = agent.get("/agent/stream").await;
    assert_eq!(stream.status(), reqwest::StatusCode::OK);
    let mut live = stream.bytes_stream();

    // The customer files on node A with a screenshot.
    let customer = TestApp::attach(a.addr, &db);
    customer
        .register("anna@example.com", "Anna", PASSWORD)
        .await;
    let shot = b"\x89PNG\r\n\x1a\n screenshot of the 502 page".to_vec();
    let res = customer
        .post_multipart(
            "/portal/tickets",
            Form::new()
                .text("topic", &format!("d-{tech}"))
                .text("subject", "502 on the shop")
                .text("body", "See the screenshot")
                .text("confirm_new", "1")
                .file("files", "502.png", &shot),
        )
        .await;
    let number = TestApp::location(&res)
        .trim_start_matches("/portal/tickets/")
        .split('?')
        .next()
        .unwrap_or("")
        .to_string();
    assert!(
        number.parse::<i64>().is_ok(),
        "opened: {}",
        TestApp::location(&res)
    );
    let wanted = format!("\"ticket\":\"{number}\"");
    let mut got = String::new();
    let heard = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(chunk) = live.next().await {
            got.push_str(&String::from_utf8_lossy(&chunk.expect("chunk")));
            if got.contains(&wanted) {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    assert!(heard, "node B's stream heard of #{number}: {got}");

    // Node B serves the file node A stored: it is in the bucket.
    let page = agent
        .get(&format!("/agent/tickets/{number}"))
        .await
        .text()
        .await
        .expect("page");
    let link = attr(&page, "a[href^='/attachments/']", "href").expect("attachment link");
    let res = agent.get(&link).await;
    assert_eq!(res.status(), reqwest::StatusCode::OK);
    assert_eq!(res.bytes().await.expect("bytes").to_vec(), shot);
    let sha: String =
        sqlx::query_scalar("select blob_sha256 from attachments where filename = '502.png'")
            .fetch_one(&db)
            .await
            .expect("sha");
    let spool = tempfile::tempdir().expect("spool");
    let bucket = S3BlobStore::new(&s3, spool.path()).expect("bucket");
    assert!(
        bucket.exists(&sha).await.expect("exists"),
        "the file is in the bucket"
    );

    // The agent replies on B; the customer reads it on A.
    let version: i32 = sqlx::query_scalar("select version from tickets where number = $1")
        .bind(number.parse::<i64>().expect("number"))
        .fetch_one(&db)
        .await
        .expect("version");
    let res = agent
        .post_multipart(
            &format!("/agent/tickets/{number}/reply"),
            Form::new()
                .text("version", &version.to_string())
                .text("body", "Restarted the upstream; the shop answers again.")
                .text("then", "pending")
                .text("action", "send"),
        )
        .await;
    assert!(res.status().is_redirection(), "replied: {}", res.status());
    let portal = customer
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("portal");
    assert!(portal.contains("Restarted the upstream"), "{portal}");

    // Node A dies holding the mailbox; B takes it over once the lease
    // (4 s here) runs out, and files the next mail.
    a.child.start_kill().expect("SIGKILL");
    a.child.wait().await.expect("dead");
    append(
        &support,
        "INBOX",
        &mail(&olga, &support, "Второе письмо", "узел A умер", ""),
        false,
    )
    .await;
    filed(&db, &mut events, "Второе письмо", Duration::from_secs(60)).await;
    let b_owner = lease_owner(&db).await.expect("node B holds the mailbox");
    assert_ne!(a_owner, b_owner, "another node works the mailbox now");
    let raw: String = sqlx::query_scalar(
        "select r.blob_sha256 from raw_mails r where r.message_id is not null \
         order by r.received_at desc limit 1",
    )
    .fetch_one(&db)
    .await
    .expect("raw mail");
    assert!(
        bucket.exists(&raw).await.expect("exists"),
        "the raw mail is in the bucket"
    );
}
