//! Mail test helpers against the real Dovecot and SMTP relay started by
//! `tests/env/with-services`: every test invents its own addresses, so
//! tests run in parallel without seeing each other's mail.

use std::time::Duration;

use bilet::config::TlsMode;
use bilet::mail::imap;
use futures_util::TryStreamExt;
use sqlx::PgPool;
use uuid::Uuid;

use crate::harness::{TestApp, fixtures};

pub fn imap_port() -> u16 {
    std::env::var("TEST_IMAP_PORT")
        .expect("`make test` starts Dovecot (TEST_IMAP_PORT)")
        .parse()
        .expect("port")
}

pub fn smtp_port() -> u16 {
    std::env::var("TEST_SMTP_PORT")
        .expect("`make test` starts aiosmtpd (TEST_SMTP_PORT)")
        .parse()
        .expect("port")
}

/// A fresh address no other test uses.
pub fn address(local: &str, domain: &str) -> String {
    format!(
        "{local}-{}@{domain}",
        &Uuid::new_v4().simple().to_string()[..10]
    )
}

pub async fn session(user: &str) -> imap::ImapSession {
    imap::connect("127.0.0.1", imap_port(), TlsMode::None, user, "any")
        .await
        .expect("imap login")
}

/// Puts a raw mail into a user's folder, as an MTA would.
pub async fn append(user: &str, folder: &str, raw: &[u8], seen: bool) {
    let mut s = session(user).await;
    let name = imap::folder(folder);
    if folder != "INBOX" {
        let _ = s.create(&name).await;
    }
    s.append(&name, if seen { Some("(\\Seen)") } else { None }, None, raw)
        .await
        .expect("append");
    let _ = s.logout().await;
}

/// Every mail in a user's folder with its flags, waiting until there are `n`.
pub async fn fetch(user: &str, folder: &str, n: usize) -> Vec<(Vec<u8>, String)> {
    for _ in 0..100 {
        let mut s = session(user).await;
        let selected = s.select(imap::folder(folder)).await;
        if let Ok(m) = selected
            && m.exists as usize >= n
            && n > 0
        {
            let all: Vec<(Vec<u8>, String)> = s
                .fetch("1:*", "(FLAGS BODY.PEEK[])")
                .await
                .expect("fetch")
                .try_filter_map(|f| async move {
                    let flags = f
                        .flags()
                        .map(|fl| format!("{fl:?}"))
                        .collect::<Vec<_>>()
                        .join(" ");
                    Ok(f.body().map(|b| (b.to_vec(), flags)))
                })
                .try_collect()
                .await
                .expect("collect");
            let _ = s.logout().await;
            return all;
        }
        let _ = s.logout().await;
        if n == 0 {
            return Vec::new();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{user} never had {n} mail(s) in {folder}");
}

/// A helpdesk with departments tech and billing, and a mailbox on Dovecot
/// whose SMTP side is the relay. Returns (mailbox id, mailbox address).
pub async fn helpdesk(app: &TestApp, db: &PgPool, import_existing: bool) -> (Uuid, String) {
    fixtures::department(db, "tech").await;
    fixtures::department(db, "billing").await;
    let support = address("support", "help.test");
    let id = bilet::service::mail::mailboxes::add(
        &app.state,
        None,
        bilet::service::mail::mailboxes::MailboxInput {
            name: support.clone(),
            imap_host: "127.0.0.1".into(),
            imap_port: imap_port(),
            imap_tls: TlsMode::None,
            imap_user: support.clone(),
            imap_password: "secret".into(),
            folder: "INBOX".into(),
            processed_folder: None,
            smtp_host: "127.0.0.1".into(),
            smtp_port: smtp_port(),
            smtp_tls: TlsMode::None,
            smtp_user: None,
            smtp_password: None,
            addresses: vec![support.clone()],
            department: "tech".into(),
            import_existing,
            use_idle: false,
        },
    )
    .await
    .expect("mailbox");
    (id, support)
}

/// A plain mail.
pub fn mail(from: &str, to: &str, subject: &str, body: &str, extra: &str) -> Vec<u8> {
    format!(
        "From: {from}\r\nTo: {to}\r\nSubject: {subject}\r\nMessage-ID: <{}@client.test>\r\nDate: Wed, 25 Nov 2026 10:00:00 +0000\r\n{extra}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}\r\n",
        Uuid::new_v4().simple()
    )
    .into_bytes()
}

/// Parses a fetched mail.
pub fn parsed(raw: &[u8]) -> mail_parser::Message<'_> {
    mail_parser::MessageParser::default()
        .parse(raw)
        .expect("parses")
}
