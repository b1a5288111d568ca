//! Two `bilet serve` processes on one database, as behind a load
//! balancer: settings saved through one are live on the other within a
//! second or two, and a change made through one reaches the live stream
//! of an agent signed in on the other.

use std::net::SocketAddr;
use std::time::Duration;

use base64::Engine;
use bilet::domain::access::AccessLevel::Reply;
use bilet::domain::users::Role;
use futures_util::StreamExt;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};

use crate::harness::{Form, TestApp, assert_redirect, fixtures};

const PASSWORD: &str = "correct horse battery";

/// A node: the child process (killed when dropped) and its address.
pub(crate) struct Node {
    pub child: tokio::process::Child,
    pub addr: SocketAddr,
    _dir: tempfile::TempDir,
}

async fn node(url: &str) -> Node {
    node_with(url, &[]).await
}

pub(crate) async fn node_with(url: &str, env: &[(&str, String)]) -> Node {
    let dir = tempfile::tempdir().expect("dir");
    let key = |seed: u8| base64::engine::general_purpose::STANDARD.encode([seed; 32]);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
        .args([
            "--data-dir",
            &dir.path().to_string_lossy(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("DATABASE_URL", url)
        .env("BILET_LOG__FILTER", "error")
        // Nodes of one helpdesk share its keys (the tests' keys here).
        .env("BILET_SECRETS__SESSION_KEY", key(1))
        .env("BILET_SECRETS__MESSAGE_ID_KEY", key(2))
        .env("BILET_SECRETS__MAILBOX_KEY", key(3))
        .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
        .stdout(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("bilet serve");
    let stdout = child.stdout.take().expect("stdout");
    let mut lines = BufReader::new(stdout).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("line") {
            if let Some(rest) = line.strip_prefix("Bilet is running at http://") {
                return rest.split('/').next().expect("addr").parse().expect("addr");
            }
        }
        panic!("bilet serve ended without listening");
    })
    .await
    .expect("the node starts");
    // Keep reading so the child never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    Node {
        child,
        addr,
        _dir: dir,
    }
}

pub(crate) async fn url_of(db: &PgPool) -> String {
    let name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(db)
        .await
        .expect("db");
    std::env::var("DATABASE_URL")
        .expect("url")
        .replacen("/postgres?", &format!("/{name}?"), 1)
}

#[sqlx::test]
async fn settings_and_live_events_cross_nodes(db: PgPool) {
    let url = url_of(&db).await;
    let a = node(&url).await;
    let b = node(&url).await;
    let tech = fixtures::department(&db, "tech").await;

    // Settings saved through node A's admin page are live on node B.
    let admin = TestApp::attach(a.addr, &db);
    let one_time = admin
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    admin
        .login_and_set_password("root@support.test", &one_time, PASSWORD)
        .await;
    let res = admin
        .post_form(
            "/admin/settings",
            &[
                ("helpdesk_name", "Хостинг-Помощь"),
                ("default_locale", "en"),
                ("max_file_mb", "10"),
                ("max_message_mb", "25"),
                ("relay_addresses", ""),
                ("notify_ack", "1"),
                ("notify_replies", "1"),
                ("notify_agents", "1"),
            ],
        )
        .await;
    assert!(
        res.status().is_redirection(),
        "settings saved: {}",
        res.status()
    );
    let visitor = TestApp::attach(b.addr, &db);
    let mut seen = false;
    for _ in 0..100 {
        let html = visitor.get("/login").await.text().await.expect("page");
        if html.contains("Хостинг-Помощь") {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "node B shows the name saved through node A");

    // An agent's live stream on node B hears of a reply made on node A.
    let agent = TestApp::attach(b.addr, &db);
    let one_time = agent
        .create_account("ana@support.test", Role::Agent, &[("tech", Reply)])
        .await;
    agent
        .login_and_set_password("ana@support.test", &one_time, PASSWORD)
        .await;
    let stream = agent.get("/agent/stream").await;
    assert_eq!(stream.status(), reqwest::StatusCode::OK);
    let mut body = stream.bytes_stream();

    let customer = TestApp::attach(a.addr, &db);
    assert_redirect(
        &customer
            .register("anna@example.com", "Anna", PASSWORD)
            .await,
        "/portal",
    );
    let form = Form::new()
        .text("topic", &format!("d-{tech}"))
        .text("subject", "Node A ticket")
        .text("body", "Written through node A")
        .text("confirm_new", "1");
    let res = customer.post_multipart("/portal/tickets", form).await;
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
        while let Some(chunk) = body.next().await {
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
}
