//! Postfix itself delivering to Bilet's LMTP listener: a private Postfix
//! instance (its own config, queue and ports on loopback) relays mail for
//! support.test to `bilet serve`; with the server killed (SIGKILL) Postfix
//! is refused, keeps the mail queued and retries, and it lands once when
//! Bilet is back.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use sqlx::PgPool;
use sqlx::postgres::PgListener;

use crate::harness::fixtures;
use crate::lmtp::{free_port, serve};

/// A Postfix instance of the test's own; stopped when dropped.
struct Postfix {
    dir: PathBuf,
    smtp: u16,
}

impl Postfix {
    fn start(dir: &Path, lmtp: u16) -> Postfix {
        let smtp = free_port();
        let d = dir.display();
        std::fs::create_dir_all(dir.join("queue")).expect("queue");
        std::fs::create_dir_all(dir.join("data")).expect("data");
        let main = format!(
            "compatibility_level = 3.6\nqueue_directory = {d}/queue\ndata_directory = {d}/data\n\
             mail_owner = postfix\nsetgid_group = postdrop\ninet_interfaces = 127.0.0.1\n\
             inet_protocols = ipv4\nmyhostname = mta.test\nmydestination =\n\
             relay_domains = support.test\n\
             transport_maps = inline:{{ support.test=lmtp:inet:127.0.0.1:{lmtp} }}\n\
             mynetworks = 127.0.0.0/8\nsmtpd_relay_restrictions = permit_mynetworks, reject\n\
             alias_maps =\nalias_database =\nlocal_recipient_maps =\n\
             maillog_file_prefixes = {d}\nmaillog_file = {d}/maillog\n\
             minimal_backoff_time = 1s\nmaximal_backoff_time = 1s\nqueue_run_delay = 1s\n\
             smtputf8_enable = yes\n"
        );
        std::fs::write(dir.join("main.cf"), main).expect("main.cf");
        let services = [
            ("pickup", "unix  n - n 60 1 pickup"),
            ("cleanup", "unix  n - n - 0 cleanup"),
            ("qmgr", "unix  n - n 300 1 qmgr"),
            ("rewrite", "unix  - - n - - trivial-rewrite"),
            ("bounce", "unix  - - n - 0 bounce"),
            ("defer", "unix  - - n - 0 bounce"),
            ("trace", "unix  - - n - 0 bounce"),
            ("verify", "unix  - - n - 1 verify"),
            ("flush", "unix  n - n 1000? 0 flush"),
            ("proxymap", "unix  - - n - - proxymap"),
            ("smtp", "unix  - - n - - smtp"),
            ("relay", "unix  - - n - - smtp"),
            ("showq", "unix  n - n - - showq"),
            ("error", "unix  - - n - - error"),
            ("retry", "unix  - - n - - error"),
            ("discard", "unix  - - n - - discard"),
            ("lmtp", "unix  - - n - - lmtp"),
            ("anvil", "unix  - - n - 1 anvil"),
            ("scache", "unix  - - n - 1 scache"),
            ("postlog", "unix-dgram n - n - 1 postlogd"),
        ];
        let mut master = format!("127.0.0.1:{smtp} inet n - n - - smtpd\n");
        for (name, rest) in services {
            master.push_str(&format!("{name} {rest}\n"));
        }
        std::fs::write(dir.join("master.cf"), master).expect("master.cf");
        let postfix = |args: &[&str]| {
            let out = std::process::Command::new("postfix")
                .arg("-c")
                .arg(dir)
                .args(args)
                .output()
                .expect("postfix (Debian's postfix package; make deps-test installs it)");
            assert!(
                out.status.success(),
                "postfix {args:?}: {}{}",
                String::from_utf8_lossy(&out.stderr),
                std::fs::read_to_string(dir.join("maillog")).unwrap_or_default()
            );
        };
        std::process::Command::new("chown")
            .args(["postfix", &dir.join("data").to_string_lossy()])
            .status()
            .expect("chown");
        postfix(&["set-permissions", "create-missing"]);
        postfix(&["start"]);
        Postfix {
            dir: dir.to_path_buf(),
            smtp,
        }
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("maillog")).unwrap_or_default()
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        let _ = std::process::Command::new("postfix")
            .arg("-c")
            .arg(&self.dir)
            .arg("stop")
            .output();
    }
}

/// Hands `raw` to Postfix over SMTP, as any client of the hosting company's MTA.
async fn submit(pf: &Postfix, raw: &str) {
    let python = std::env::var("TEST_PYTHON").expect("TEST_PYTHON");
    let script = "import smtplib, sys\n\
        s = smtplib.SMTP('127.0.0.1', int(sys.argv[1]))\n\
        s.sendmail('olga@client.test', ['tech@support.test'], sys.stdin.buffer.read())\n\
        s.quit()\n";
    let mut child = tokio::process::Command::new(python)
        .args(["-c", script, &pf.smtp.to_string()])
        .stdin(Stdio::piped())
        .spawn()
        .expect("python");
    use tokio::io::AsyncWriteExt;
    let mut stdin = child.stdin.take().expect("stdin");
    stdin.write_all(raw.as_bytes()).await.expect("write");
    drop(stdin);
    assert!(
        child.wait().await.expect("python").success(),
        "Postfix took the mail"
    );
}

fn mail(id: &str, subject: &str) -> String {
    format!(
        "From: olga@client.test\r\nTo: tech@support.test\r\nSubject: {subject}\r\n\
         Message-ID: <{id}@client.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n\
         Письмо через Postfix.\r\n"
    )
}

async fn messages(db: &PgPool, subject: &str) -> i64 {
    sqlx::query_scalar(
        "select count(*) from messages m join tickets t on t.id = m.ticket_id where t.subject = $1",
    )
    .bind(subject)
    .fetch_one(db)
    .await
    .expect("count")
}

/// Waits for the ticket change Bilet announces when the mail is filed.
async fn filed(db: &PgPool, events: &mut PgListener, subject: &str, pf: &Postfix) {
    let arrived = tokio::time::timeout(Duration::from_secs(60), async {
        while messages(db, subject).await == 0 {
            events.recv().await.expect("notification");
        }
    })
    .await;
    assert!(arrived.is_ok(), "never filed: {}", pf.log());
}

#[sqlx::test]
async fn postfix_delivers_over_lmtp_and_retries_while_bilet_is_down(db: PgPool) {
    fixtures::department(&db, "tech").await;
    let url = fixtures::url_of(&db).await;
    let data = tempfile::tempdir().expect("data");
    let mta = tempfile::tempdir().expect("mta");
    let lmtp = free_port();
    let mut events = PgListener::connect_with(&db).await.expect("listener");
    events.listen(bilet::events::CHANNEL).await.expect("listen");
    let mut server = serve(&url, data.path(), lmtp).await;
    let pf = Postfix::start(mta.path(), lmtp);

    submit(&pf, &mail("pf-1", "Через Postfix")).await;
    filed(&db, &mut events, "Через Postfix", &pf).await;
    assert_eq!(messages(&db, "Через Postfix").await, 1);

    // Bilet dies. While it is down, the test holds its port and answers
    // Postfix's attempt with a 421, as a server going down does: the
    // attempt is the event to wait for, and Postfix keeps the mail queued.
    server.start_kill().expect("SIGKILL");
    server.wait().await.expect("dead");
    let down = tokio::net::TcpListener::bind(("127.0.0.1", lmtp))
        .await
        .expect("the dead server's port");
    submit(&pf, &mail("pf-2", "Пока Bilet лежал")).await;
    let (mut attempt, _) = tokio::time::timeout(Duration::from_secs(30), down.accept())
        .await
        .unwrap_or_else(|_| panic!("Postfix never tried: {}", pf.log()))
        .expect("accept");
    use tokio::io::AsyncWriteExt;
    attempt
        .write_all(b"421 4.3.2 shutting down\r\n")
        .await
        .expect("421");
    drop(attempt);
    drop(down);
    assert_eq!(messages(&db, "Пока Bilet лежал").await, 0);

    // Bilet is back: Postfix's retry lands, once.
    let _server = serve(&url, data.path(), lmtp).await;
    filed(&db, &mut events, "Пока Bilet лежал", &pf).await;
    assert_eq!(messages(&db, "Пока Bilet лежал").await, 1, "landed once");
    assert_eq!(messages(&db, "Через Postfix").await, 1);
    assert!(pf.log().contains("status=deferred"), "{}", pf.log());
}
