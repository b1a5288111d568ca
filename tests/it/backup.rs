//! A backup taken while mail keeps arriving, restored into a new data
//! folder and an empty database: every ticket, message and attachment of
//! the backup is there and intact, the restored keys still recognise a
//! reply to a mail Bilet sent before the backup, and the restored mailbox
//! still reaches the test Dovecot.

use std::process::Stdio;

use base64::Engine;
use bilet::blobs::{BlobStore, FsBlobStore};
use sha2::{Digest, Sha256};
use sqlx::{Connection, PgPool};
use tokio::io::AsyncReadExt;

use crate::harness::TestApp;
use crate::mailkit::helpdesk;

const BIN: &str = env!("CARGO_BIN_EXE_bilet");

fn with_attachment(from: &str, to: &str, subject: &str, file: &[u8], extra: &str) -> Vec<u8> {
    let b64 = base64::engine::general_purpose::STANDARD.encode(file);
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@client.test>\r\n{extra}\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n\
         --b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nСм. вывод команды.\r\n\
         --b\r\nContent-Type: text/plain; name=\"dmesg.txt\"\r\nContent-Disposition: attachment; filename=\"dmesg.txt\"\r\n\
         Content-Transfer-Encoding: base64\r\n\r\n{b64}\r\n--b--\r\n",
        uuid::Uuid::new_v4().simple()
    )
    .into_bytes()
}

async fn bilet(data: &std::path::Path, url: &str, args: &[&str]) -> (bool, String) {
    let out = tokio::process::Command::new(BIN)
        .args(["--data-dir", &data.to_string_lossy()])
        .args(args)
        .env("DATABASE_URL", url)
        .env("BILET_LOG__FILTER", "off")
        .stderr(Stdio::piped())
        .output()
        .await
        .expect("bilet");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

type Tickets = Vec<(i64, String, String, Vec<String>)>;

/// Every ticket with its messages, by number.
async fn tickets(db: &PgPool) -> Tickets {
    sqlx::query_as(
        "select t.number, t.subject, t.status::text, \
                array(select m.body_text from messages m where m.ticket_id = t.id order by m.created_at, m.id) \
         from tickets t order by t.number",
    )
    .fetch_all(db)
    .await
    .expect("tickets")
}

#[sqlx::test]
async fn a_backup_under_load_restores_whole_into_a_new_folder_and_database(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let (_, support) = helpdesk(&app, &db, false).await;
    let data = app.state.config.data_dir.clone();
    // The tests' keys, kept in the data folder as a server keeps its own.
    let key = |seed: u8| base64::engine::general_purpose::STANDARD.encode([seed; 32]);
    std::fs::write(
        data.join("secrets.toml"),
        format!(
            "session_key = \"{}\"\nmessage_id_key = \"{}\"\nmailbox_key = \"{}\"\n",
            key(1),
            key(2),
            key(3)
        ),
    )
    .expect("secrets");
    for i in 0..5 {
        let file = format!("[{i}] eth0: link down\n").repeat(200);
        let raw = with_attachment(
            "olga@client.test",
            &support,
            &format!("Сервер {i} не отвечает"),
            file.as_bytes(),
            "",
        );
        let env = bilet::service::mail::Envelope {
            notify: true,
            ..Default::default()
        };
        assert_eq!(
            bilet::service::mail::ingest(&app.state, &raw, &env)
                .await
                .outcome,
            "created"
        );
    }
    let (first, ack): (i64, String) = sqlx::query_as(
        "select t.number, o.mail_message_id from outbox o join tickets t on t.id = o.ticket_id \
         where t.subject = 'Сервер 0 не отвечает' and o.kind = 'ack'",
    )
    .fetch_one(&db)
    .await
    .expect("Bilet's acknowledgement");
    let before = tickets(&db).await;

    // Mail keeps arriving while the backup runs.
    let state = app.state.clone();
    let to = support.clone();
    let load = tokio::spawn(async move {
        for i in 0..20 {
            let raw = with_attachment(
                "ivan@client.test",
                &to,
                &format!("Нагрузка {i}"),
                b"load",
                "",
            );
            bilet::service::mail::ingest(&state, &raw, &Default::default()).await;
        }
    });
    let url = crate::harness::fixtures::url_of(&db).await;
    let backup = tempfile::tempdir().expect("dir");
    let folder = backup.path().join("b");
    let (ok, out) = bilet(&data, &url, &["backup", "--to", &folder.to_string_lossy()]).await;
    assert!(ok, "{out}");
    load.await.expect("load");
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(folder.join("manifest.json")).expect("manifest"))
            .expect("json");
    assert_eq!(
        manifest["database"], "external",
        "where it lived, never the URL"
    );
    let (ok, out) = bilet(&data, &url, &["backup", "--to", &folder.to_string_lossy()]).await;
    assert!(
        !ok && out.contains("not empty"),
        "never over an old backup: {out}"
    );

    // Restore into a new, empty database and a new data folder.
    let name = format!("restored_{}", uuid::Uuid::new_v4().simple());
    let mut admin = sqlx::PgConnection::connect(&std::env::var("DATABASE_URL").expect("url"))
        .await
        .expect("admin");
    sqlx::query(&format!("create database {name}"))
        .execute(&mut admin)
        .await
        .expect("create");
    let url2 =
        std::env::var("DATABASE_URL")
            .expect("url")
            .replacen("/postgres?", &format!("/{name}?"), 1);
    let restored_dir = tempfile::tempdir().expect("dir");
    let restored = restored_dir.path().join("data");
    let (ok, out) = bilet(
        &restored,
        &url2,
        &["restore", "--from", &folder.to_string_lossy()],
    )
    .await;
    assert!(ok, "{out}");
    let (ok, out) = bilet(
        &restored,
        &url2,
        &["restore", "--from", &folder.to_string_lossy()],
    )
    .await;
    assert!(
        !ok && out.contains("not empty"),
        "never over a data folder: {out}"
    );
    let db2 = PgPool::connect(&url2).await.expect("restored db");

    // Every ticket of the backup is there as it was; those before it all.
    let after = tickets(&db).await;
    let got = tickets(&db2).await;
    assert!(
        got.len() >= before.len(),
        "{} of {}",
        got.len(),
        before.len()
    );
    for t in &got {
        assert!(
            after.contains(t),
            "restored {t:?} differs from the original"
        );
    }
    for t in &before {
        assert!(got.contains(t), "{t:?} lost");
    }
    // Every attachment's file is there, intact.
    let files: Vec<String> = sqlx::query_scalar("select blob_sha256 from attachments")
        .fetch_all(&db2)
        .await
        .expect("attachments");
    assert!(files.len() >= 5);
    let store = FsBlobStore::new(&restored).expect("store");
    for sha in &files {
        let mut bytes = Vec::new();
        store
            .open(sha)
            .await
            .expect("the blob is restored")
            .read_to_end(&mut bytes)
            .await
            .expect("read");
        let hash: String = Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        assert_eq!(&hash, sha);
    }

    // The customer answers the acknowledgement sent before the backup: the
    // restored keys thread it into the same ticket.
    let reply_file = restored_dir.path().join("reply.eml");
    std::fs::write(
        &reply_file,
        crate::mailkit::mail(
            "olga@client.test",
            &support,
            "Re: ответ",
            "Спасибо, заработало.",
            &format!("In-Reply-To: <{ack}>\r\nReferences: <{ack}>\r\n"),
        ),
    )
    .expect("reply");
    let (ok, out) = bilet(
        &restored,
        &url2,
        &[
            "mail",
            "ingest",
            "--no-notify",
            &reply_file.to_string_lossy(),
        ],
    )
    .await;
    assert!(ok, "{out}");
    assert!(
        out.contains(&format!("#{first}")),
        "threaded into #{first}: {out}"
    );

    // The restored mailbox still reaches the test Dovecot with its password.
    let (ok, out) = bilet(&restored, &url2, &["mailbox", "test", &support]).await;
    assert!(ok && out.contains("IMAP: OK"), "{out}");

    db2.close().await;
    sqlx::query(&format!("drop database {name} with (force)"))
        .execute(&mut admin)
        .await
        .expect("drop");
}
