//! Mail straight from the MTA: the LMTP listener driven by Python's
//! smtplib.LMTP (a real client), a `bilet serve` killed with SIGKILL in the
//! middle of a delivery (the MTA's retry lands once), and the pipe
//! delivery's exit statuses as Postfix's pipe(8) reads them.

use std::process::Stdio;
use std::time::Duration;

use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use crate::harness::{TestApp, fixtures};

const BIN: &str = env!("CARGO_BIN_EXE_bilet");

/// Delivers `mail` with smtplib.LMTP; prints what the client was told.
const CLIENT: &str = r#"
import json, smtplib, sys
host, port, sender = sys.argv[1], int(sys.argv[2]), sys.argv[3]
mail = sys.stdin.buffer.read()
told = lambda d: {k: [v[0], v[1].decode()] for k, v in d.items()}
try:
    s = smtplib.LMTP(host, port)
    refused = s.sendmail(sender, sys.argv[4:], mail)
    s.quit()
    print(json.dumps({"delivered": True, "refused": told(refused)}))
except smtplib.SMTPRecipientsRefused as e:
    print(json.dumps({"delivered": False, "refused": told(e.recipients)}))
except smtplib.SMTPDataError as e:
    print(json.dumps({"delivered": False, "data": [e.smtp_code, e.smtp_error.decode()]}))
"#;

fn mail(id: &str, subject: &str) -> Vec<u8> {
    format!(
        "From: =?utf-8?B?0J7Qu9GM0LPQsA==?= <olga@client.test>\r\nTo: tech@support.test\r\n\
         Subject: {subject}\r\nMessage-ID: <{id}@client.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Сайт не открывается с утра.\r\n.точка в начале строки\r\n"
    )
    .into_bytes()
}

async fn deliver(port: u16, rcpts: &[&str], raw: &[u8]) -> serde_json::Value {
    let python = std::env::var("TEST_PYTHON").expect("TEST_PYTHON");
    let mut child = tokio::process::Command::new(python)
        .args([
            "-c",
            CLIENT,
            "127.0.0.1",
            &port.to_string(),
            "olga@client.test",
        ])
        .args(rcpts)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("python");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(raw).await.expect("write");
    drop(stdin);
    let out = child.wait_with_output().await.expect("client");
    assert!(out.status.success(), "{out:?}");
    serde_json::from_slice(&out.stdout).expect("json")
}

async fn tickets(db: &PgPool, subject: &str) -> Vec<(String, String)> {
    sqlx::query_as(
        "select t.subject, d.slug from tickets t join departments d on d.id = t.department_id \
         where t.subject = $1",
    )
    .bind(subject)
    .fetch_all(db)
    .await
    .expect("tickets")
}

async fn messages(db: &PgPool, subject: &str) -> Vec<String> {
    sqlx::query_scalar(
        "select m.body_text from messages m join tickets t on t.id = m.ticket_id where t.subject = $1",
    )
    .bind(subject)
    .fetch_all(db)
    .await
    .expect("messages")
}

#[sqlx::test]
async fn the_mta_delivers_over_lmtp_and_unknown_recipients_are_refused(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let listener = bilet::jobs::lmtp::bind("127.0.0.1:0")
        .await
        .expect("bind")
        .expect("on");
    let port: u16 = listener
        .describe()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .expect("port");
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(bilet::jobs::lmtp::serve(
        app.state.clone(),
        listener,
        stop.clone(),
    ));

    // One known and one unknown recipient: the unknown one is refused at
    // RCPT, the mail is stored for the other before the 250.
    let told = deliver(
        port,
        &["tech@support.test", "nobody@elsewhere.test"],
        &mail("one", "Сайт лежит"),
    )
    .await;
    assert_eq!(told["delivered"], true, "{told}");
    assert_eq!(told["refused"]["nobody@elsewhere.test"][0], 550, "{told}");
    assert_eq!(
        tickets(&db, "Сайт лежит").await,
        vec![("Сайт лежит".to_string(), "tech".to_string())]
    );
    let body = &messages(&db, "Сайт лежит").await[0];
    assert!(
        body.contains("Сайт не открывается") && body.contains("\n.точка"),
        "dot-unstuffed once: {body:?}"
    );
    let to: Option<String> = sqlx::query_scalar("select envelope_to from raw_mails")
        .fetch_one(&db)
        .await
        .expect("raw");
    assert_eq!(to.as_deref(), Some("tech@support.test"));

    // Only unknown recipients: refused, nothing stored.
    let told = deliver(port, &["nobody@elsewhere.test"], &mail("two", "Чужое")).await;
    assert_eq!(told["delivered"], false, "{told}");
    assert_eq!(told["refused"]["nobody@elsewhere.test"][0], 550);
    assert!(tickets(&db, "Чужое").await.is_empty());

    // The same mail again (an MTA retrying after a lost answer): 250, and
    // still one message.
    let told = deliver(port, &["tech@support.test"], &mail("one", "Сайт лежит")).await;
    assert_eq!(told["delivered"], true, "{told}");
    assert_eq!(messages(&db, "Сайт лежит").await.len(), 1);

    // A mail over the limit is refused after DATA; the session goes on.
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let big = "x".repeat(80) + "\r\n";
    let limit = app.state.config.mail.max_mail_bytes as usize;
    let mut script = String::from(
        "LHLO mta.test\r\nMAIL FROM:<olga@client.test>\r\nRCPT TO:<tech@support.test>\r\nDATA\r\n",
    );
    script.push_str("Subject: big\r\n\r\n");
    let (mut r, mut w) = conn.split();
    w.write_all(script.as_bytes()).await.expect("write");
    for _ in 0..limit / big.len() + 2 {
        w.write_all(big.as_bytes()).await.expect("write");
    }
    w.write_all(b".\r\nNOOP\r\nQUIT\r\n").await.expect("write");
    let mut answers = String::new();
    r.read_to_string(&mut answers).await.expect("read");
    assert!(answers.contains("552 5.3.4"), "{answers}");
    assert!(answers.contains("250 2.0.0 OK\r\n221"), "{answers}");
    stop.cancel();
}

pub(crate) fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
    l.local_addr().expect("addr").port()
}

/// `bilet serve` with LMTP on `port`, once it says so.
pub(crate) async fn serve(url: &str, dir: &std::path::Path, port: u16) -> tokio::process::Child {
    let mut child = tokio::process::Command::new(BIN)
        .args([
            "--data-dir",
            &dir.to_string_lossy(),
            "serve",
            "--listen",
            "127.0.0.1:0",
        ])
        .env("DATABASE_URL", url)
        .env("BILET_LOG__FILTER", "error")
        .env("BILET_MAIL__LMTP__LISTEN", format!("127.0.0.1:{port}"))
        .stdout(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("bilet serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("line") {
            if line.starts_with("Taking mail over LMTP at 127.0.0.1:") {
                return;
            }
        }
        panic!("bilet serve ended without LMTP");
    })
    .await
    .expect("the server starts");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    child
}

#[sqlx::test]
async fn a_server_killed_during_a_delivery_gets_the_mail_once_from_the_retry(db: PgPool) {
    fixtures::department(&db, "tech").await;
    let url = crate::harness::fixtures::url_of(&db).await;
    let dir = tempfile::tempdir().expect("dir");
    let port = free_port();
    let mut server = serve(&url, dir.path(), port).await;

    // The MTA is halfway through the mail when the server dies.
    let mut conn = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .expect("connect");
    let raw = mail("killed", "Почта не уходит");
    let (head, _) = raw.split_at(raw.len() / 2);
    conn.write_all(
        b"LHLO mta.test\r\nMAIL FROM:<olga@client.test>\r\nRCPT TO:<tech@support.test>\r\nDATA\r\n",
    )
    .await
    .expect("write");
    conn.write_all(head).await.expect("write");
    let mut seen = Vec::new();
    let mut buf = [0u8; 1024];
    while !String::from_utf8_lossy(&seen).contains("354 ") {
        let n = conn.read(&mut buf).await.expect("read");
        assert!(n > 0, "closed early: {}", String::from_utf8_lossy(&seen));
        seen.extend_from_slice(&buf[..n]);
    }
    server.start_kill().expect("SIGKILL");
    server.wait().await.expect("dead");
    let mut rest = Vec::new();
    conn.read_to_end(&mut rest).await.ok();
    assert!(
        !String::from_utf8_lossy(&rest).contains("250 2.0.0"),
        "nothing was confirmed"
    );
    assert!(tickets(&db, "Почта не уходит").await.is_empty());

    // The MTA retries against the restarted server, twice (its first retry's
    // answer lost too): one ticket, one message.
    let _server = serve(&url, dir.path(), port).await;
    for _ in 0..2 {
        let told = deliver(port, &["tech@support.test"], &raw).await;
        assert_eq!(told["delivered"], true, "{told}");
    }
    assert_eq!(tickets(&db, "Почта не уходит").await.len(), 1);
    assert_eq!(messages(&db, "Почта не уходит").await.len(), 1);
}

async fn pipe(url: &str, dir: &std::path::Path, to: &str, raw: &[u8]) -> (i32, String) {
    let mut child = tokio::process::Command::new(BIN)
        .args([
            "--data-dir",
            &dir.to_string_lossy(),
            "mail",
            "ingest",
            "--to",
            to,
            "-",
        ])
        .env("DATABASE_URL", url)
        .env("BILET_LOG__FILTER", "off")
        .stdin(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("bilet mail ingest -");
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(raw).await.expect("write");
    drop(stdin);
    let out = child.wait_with_output().await.expect("ingest");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[sqlx::test]
async fn the_pipe_answers_by_sysexits(db: PgPool) {
    fixtures::department(&db, "tech").await;
    let url = crate::harness::fixtures::url_of(&db).await;
    let dir = tempfile::tempdir().expect("dir");

    let (code, err) = pipe(
        &url,
        dir.path(),
        "tech@support.test",
        &mail("p1", "Через pipe"),
    )
    .await;
    assert_eq!(code, 0, "{err}");
    assert_eq!(tickets(&db, "Через pipe").await.len(), 1);

    // A mail that cannot be parsed is still stored: 0.
    let (code, err) = pipe(&url, dir.path(), "tech@support.test", b"\xff\xfe garbage").await;
    assert_eq!(code, 0, "{err}");

    let (code, err) = pipe(
        &url,
        dir.path(),
        "nobody@elsewhere.test",
        &mail("p2", "Чужое"),
    )
    .await;
    assert_eq!(code, 67, "{err}");
    assert!(err.contains("nobody@elsewhere.test"), "{err}");
    assert!(tickets(&db, "Чужое").await.is_empty());

    // No database: try again later.
    let gone = format!(
        "postgres://nobody@127.0.0.1:{}/nothing?connect_timeout=2",
        free_port()
    );
    let (code, err) = pipe(&gone, dir.path(), "tech@support.test", &mail("p3", "Позже")).await;
    assert_eq!(code, 75, "{err}");
}
