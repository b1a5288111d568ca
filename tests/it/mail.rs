//! The mail gateway against real servers: Dovecot for IMAP, aiosmtpd
//! relaying into the same Dovecot for SMTP, so each test reads what Bilet
//! sent as the customer would.

use bilet::domain::access::AccessLevel::Reply;
use bilet::domain::ids::TicketNumber;
use bilet::domain::status::Status;
use bilet::domain::users::Role;
use bilet::service::mail::{self as inbound, Envelope, mailboxes, outbox};
use bilet::store;
use mail_parser::MimeHeaders;
use sqlx::PgPool;

use crate::harness::{TestApp, fixtures};
use crate::mailkit::{self, address, append, fetch, helpdesk, mail, parsed};

async fn ticket_json(db: &PgPool, number: &str) -> serde_json::Value {
    bilet::service::tickets::representation::ticket_json(db, number.parse().expect("number"))
        .await
        .expect("ticket")
}

async fn count(db: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.expect("count")
}

async fn ingest(app: &TestApp, raw: &[u8]) -> inbound::Report {
    inbound::ingest(
        &app.state,
        raw,
        &Envelope {
            notify: true,
            ..Envelope::default()
        },
    )
    .await
}

#[sqlx::test]
async fn a_new_mail_becomes_a_ticket_in_the_right_department_and_is_marked_seen_after(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let (mb, support) = helpdesk(&app, &db, false).await;
    // The first poll starts with new mail only.
    assert_eq!(
        mailboxes::poll_once(&app.state, mb)
            .await
            .expect("poll")
            .fetched,
        0
    );
    let customer = address("olga", "example.ru");
    append(
        &support,
        "INBOX",
        &mail(
            &customer,
            "billing@support.test",
            "Счёт не оплачивается",
            "Добрый день!",
            "",
        ),
        false,
    )
    .await;
    // Read by another client already: must still arrive.
    append(
        &support,
        "INBOX",
        &mail(&customer, &support, "Второй вопрос", "Тоже важно", ""),
        true,
    )
    .await;
    let stats = mailboxes::poll_once(&app.state, mb).await.expect("poll");
    assert_eq!((stats.fetched, stats.failed), (2, 0));

    let rows: Vec<(String, String)> = sqlx::query_as("select t.subject, d.slug from tickets t join departments d on d.id = t.department_id order by t.number")
        .fetch_all(&db)
        .await
        .expect("tickets");
    assert_eq!(
        rows,
        [
            ("Счёт не оплачивается".into(), "billing".into()),
            ("Второй вопрос".into(), "tech".into())
        ]
    );
    let flags: Vec<String> = fetch(&support, "INBOX", 2)
        .await
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    assert!(flags.iter().all(|f| f.contains("Seen")), "{flags:?}");
    assert_eq!(
        count(&db, "select count(*) from outbox where kind = 'ack'").await,
        2
    );
    // Polling again finds nothing new.
    assert_eq!(
        mailboxes::poll_once(&app.state, mb)
            .await
            .expect("poll")
            .fetched,
        0
    );
    assert_eq!(count(&db, "select count(*) from tickets").await, 2);
}

#[sqlx::test]
async fn the_agents_reply_goes_out_and_the_customers_answer_threads_back(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let (mb, support) = helpdesk(&app, &db, false).await;
    sqlx::query("update departments set signature = '--\n{{agent.name}}\n{{department.name}}' where slug = 'tech'").execute(&db).await.expect("signature");
    mailboxes::poll_once(&app.state, mb)
        .await
        .expect("first poll");
    let customer = address("ivan", "example.com");
    let first = mail(
        &format!("Иван Петров <{customer}>"),
        &support,
        "Не работает почта",
        "Письма не уходят.",
        "",
    );
    let first_id = parsed(&first).message_id().expect("id").to_string();
    append(&support, "INBOX", &first, false).await;
    mailboxes::poll_once(&app.state, mb).await.expect("poll");
    let number: TicketNumber = sqlx::query_scalar("select number from tickets")
        .fetch_one(&db)
        .await
        .expect("ticket");

    // The acknowledgement and the agent's reply go out over SMTP.
    let pw = app
        .create_account("anna@support.test", Role::Agent, &[("tech", Reply)])
        .await;
    let _ = pw;
    let agent = store::users::find_by_email(&db, "anna@support.test")
        .await
        .expect("q")
        .expect("agent");
    sqlx::query("update users set name = 'Анна Смирнова' where id = $1")
        .bind(agent.id)
        .execute(&db)
        .await
        .expect("name");
    let agent = store::users::find_by_email(&db, "anna@support.test")
        .await
        .expect("q")
        .expect("agent");
    let version: i32 = sqlx::query_scalar("select version from tickets")
        .fetch_one(&db)
        .await
        .expect("v");
    bilet::service::tickets::agent::reply(
        &app.state,
        &agent,
        number,
        version,
        "Проверьте настройки SMTP.",
        &[],
        None,
    )
    .await
    .expect("reply");
    assert_eq!(outbox::run_once(&app.state).await.expect("send"), 2);
    assert_eq!(
        count(&db, "select count(*) from outbox where state = 'sent'").await,
        2
    );

    let inbox = fetch(&customer, "INBOX", 2).await;
    let reply_raw = inbox
        .iter()
        .map(|(raw, _)| raw)
        .find(|raw| !String::from_utf8_lossy(raw).contains("Auto-Submitted"))
        .expect("the agent's reply")
        .clone();
    let reply = parsed(&reply_raw);
    assert_eq!(
        reply.subject(),
        Some(format!("[#{number}] Не работает почта").as_str())
    );
    let from = reply.from().and_then(|f| f.first()).expect("from");
    assert_eq!(from.name(), Some("Анна Смирнова"));
    assert_eq!(from.address(), Some("tech@support.test"));
    assert_eq!(reply.in_reply_to().as_text(), Some(first_id.as_str()));
    let text = reply.body_text(0).expect("text").replace("\r\n", "\n");
    assert!(
        text.contains("Проверьте настройки SMTP.") && text.contains("--\nАнна Смирнова\nTECH"),
        "{text}"
    );
    assert!(reply.body_html(0).is_some(), "text and HTML alternatives");
    assert!(reply.header("Auto-Submitted").is_none());
    let return_path = reply.header_raw("Return-Path").expect("envelope sender");
    assert!(return_path.contains("bounces+"), "VERP: {return_path}");
    let ack = inbox
        .iter()
        .map(|(raw, _)| parsed(raw))
        .find(|m| m.header("Auto-Submitted").is_some())
        .expect("ack");
    assert_eq!(
        ack.header_raw("Auto-Submitted").map(str::trim),
        Some("auto-replied")
    );

    // The customer answers; their client drops References but keeps In-Reply-To.
    let our_id = reply.message_id().expect("our id").to_string();
    let answer = mail(
        &customer,
        &support,
        &format!("Re: [#{number}] Не работает почта"),
        "Спасибо, заработало!",
        &format!("In-Reply-To: <{our_id}>\r\n"),
    );
    append(&support, "INBOX", &answer, false).await;
    mailboxes::poll_once(&app.state, mb).await.expect("poll");
    let t = ticket_json(&db, &number.to_string()).await;
    let messages = t["messages"].as_array().expect("messages");
    assert_eq!(messages.len(), 3);
    assert_eq!(
        messages[2]["body_text"].as_str().map(str::trim),
        Some("Спасибо, заработало!")
    );
    assert_eq!(
        messages[2]["threading"],
        "threaded by Bilet's signed Message-ID"
    );
    assert_eq!(t["status"], "open", "the customer's answer reopened it");
    assert_eq!(count(&db, "select count(*) from tickets").await, 1);
}

fn charset_mail(charset: &str, enc: &'static encoding_rs::Encoding, from: &str) -> Vec<u8> {
    use base64::Engine;
    let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(enc.encode(s).0);
    let mut raw = format!(
        "From: =?{charset}?B?{}?= <{from}>\r\nTo: tech@support.test\r\nSubject: =?{charset}?B?{}?=\r\nMessage-ID: <{}@x>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"b\"\r\n\r\n--b\r\nContent-Type: text/plain; charset={charset}\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
        b64("Пётр Сидоров"),
        b64("Сервер не отвечает"),
        uuid::Uuid::new_v4().simple()
    )
    .into_bytes();
    raw.extend_from_slice(&enc.encode("Здравствуйте! Сервер не отвечает с утра.").0);
    raw.extend_from_slice(
        format!(
            "\r\n--b\r\nContent-Type: text/plain; name=\"=?{charset}?B?{}?=\"\r\nContent-Disposition: attachment; filename=\"=?{charset}?B?{}?=\"\r\n\r\nping ok\r\n--b--\r\n",
            b64("журнал.txt"),
            b64("журнал.txt")
        )
        .as_bytes(),
    );
    raw
}

#[sqlx::test]
async fn cyrillic_in_every_charset_arrives_readable(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    helpdesk(&app, &db, false).await;
    let charsets: [(&str, &'static encoding_rs::Encoding); 7] = [
        ("koi8-r", encoding_rs::KOI8_R),
        ("koi8-u", encoding_rs::KOI8_U),
        ("windows-1251", encoding_rs::WINDOWS_1251),
        ("iso-8859-5", encoding_rs::ISO_8859_5),
        ("cp866", encoding_rs::IBM866),
        ("x-mac-cyrillic", encoding_rs::X_MAC_CYRILLIC),
        ("utf-8", encoding_rs::UTF_8),
    ];
    for (charset, enc) in charsets {
        let from = address("petr", "example.ru");
        let report = ingest(&app, &charset_mail(charset, enc, &from)).await;
        assert_eq!(report.outcome, "created", "{charset}: {report:?}");
        let t = ticket_json(&db, report.ticket.as_deref().expect("ticket")).await;
        assert_eq!(t["subject"], "Сервер не отвечает", "{charset}");
        assert_eq!(t["requester"]["name"], "Пётр Сидоров", "{charset}");
        let m = &t["messages"][0];
        assert!(
            m["body_text"]
                .as_str()
                .expect("text")
                .contains("Сервер не отвечает с утра."),
            "{charset}: {m}"
        );
        assert_eq!(m["attachments"][0]["filename"], "журнал.txt", "{charset}");
    }
}

#[sqlx::test]
async fn outgoing_cyrillic_and_attachments_arrive_right(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let (mb, support) = helpdesk(&app, &db, false).await;
    mailboxes::poll_once(&app.state, mb)
        .await
        .expect("first poll");
    let customer = address("maria", "example.ru");
    let mut incoming = mail(&customer, &support, "Нужен счёт", "", "").to_vec();
    incoming.truncate(incoming.len() - 2);
    let incoming = String::from_utf8(incoming).expect("utf8").replace(
        "Content-Type: text/plain; charset=utf-8\r\n\r\n",
        "Content-Type: multipart/mixed; boundary=\"z\"\r\n\r\n--z\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nВо вложении скриншот.\r\n--z\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename*=utf-8''%D1%81%D0%BA%D1%80%D0%B8%D0%BD.png\r\n\r\niVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGP4z8DwHwAFAAH/q842iQAAAABJRU5ErkJggg==\r\n--z--\r\n",
    );
    append(&support, "INBOX", incoming.as_bytes(), false).await;
    mailboxes::poll_once(&app.state, mb).await.expect("poll");
    let number: TicketNumber = sqlx::query_scalar("select number from tickets")
        .fetch_one(&db)
        .await
        .expect("ticket");
    let t = ticket_json(&db, &number.to_string()).await;
    assert_eq!(t["messages"][0]["attachments"][0]["filename"], "скрин.png");
    assert_eq!(
        t["messages"][0]["attachments"][0]["content_type"],
        "image/png"
    );

    // An agent answers with a Cyrillic file.
    app.create_account("anna@support.test", Role::Agent, &[("tech", Reply)])
        .await;
    let agent = store::users::find_by_email(&db, "anna@support.test")
        .await
        .expect("q")
        .expect("agent");
    let blob = app
        .state
        .blobs
        .put(Box::pin(&b"%PDF-1.4 invoice"[..]), 1 << 20)
        .await
        .expect("blob");
    let upload = bilet::service::tickets::uploads::Upload {
        sha256: blob.sha256,
        size: blob.size,
        filename: "Счёт №42.pdf".into(),
        content_type: "application/pdf".into(),
    };
    let version: i32 = sqlx::query_scalar("select version from tickets")
        .fetch_one(&db)
        .await
        .expect("v");
    bilet::service::tickets::agent::reply(
        &app.state,
        &agent,
        number,
        version,
        "Счёт во вложении.",
        &[upload],
        Some(Status::Resolved),
    )
    .await
    .expect("reply");
    outbox::run_once(&app.state).await.expect("send");
    let inbox = fetch(&customer, "INBOX", 2).await;
    let reply = inbox
        .iter()
        .map(|(r, _)| parsed(r))
        .find(|m| m.attachment_count() > 0)
        .expect("reply with file");
    assert_eq!(
        reply.attachment(0).and_then(|a| a.attachment_name()),
        Some("Счёт №42.pdf")
    );
    assert_eq!(
        reply.attachment(0).map(|a| a.contents().to_vec()),
        Some(b"%PDF-1.4 invoice".to_vec())
    );
    // Headers are 7-bit: encoded words, never raw UTF-8 bytes.
    let raw = &inbox
        .iter()
        .find(|(r, _)| parsed(r).attachment_count() > 0)
        .expect("raw")
        .0;
    let head_end = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .expect("headers");
    let headers: Vec<&[u8]> = raw[..head_end]
        .split(|&b| b == b'\n')
        .filter(|l| !l.starts_with(b"Received") && !l.starts_with(b"\t"))
        .collect();
    assert!(
        headers.iter().all(|l| l.is_ascii()),
        "{}",
        String::from_utf8_lossy(&raw[..head_end])
    );
}

#[sqlx::test]
async fn automatic_mail_never_loops_and_acknowledgements_are_rationed(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    helpdesk(&app, &db, false).await;
    let robot = address("vacation", "example.com");
    let r = ingest(
        &app,
        &mail(
            &robot,
            "tech@support.test",
            "Out of office",
            "I am away",
            "Auto-Submitted: auto-replied\r\n",
        ),
    )
    .await;
    assert_eq!(r.outcome, "ignored");
    assert_eq!(count(&db, "select count(*) from tickets").await, 0);
    assert_eq!(
        count(&db, "select count(*) from raw_mails").await,
        1,
        "kept as raw mail"
    );

    // A person writes; their out-of-office answers our acknowledgement.
    let person = address("boris", "example.com");
    let r = ingest(
        &app,
        &mail(&person, "tech@support.test", "Help", "Please", ""),
    )
    .await;
    let number = r.ticket.clone().expect("ticket");
    let ack_id: String =
        sqlx::query_scalar("select mail_message_id from outbox where kind = 'ack'")
            .fetch_one(&db)
            .await
            .expect("ack");
    let auto = mail(
        &person,
        "tech@support.test",
        "Auto: Help",
        "I am away",
        &format!("In-Reply-To: <{ack_id}>\r\nX-Autoreply: yes\r\n"),
    );
    let r = ingest(&app, &auto).await;
    assert_eq!(
        (r.outcome, r.ticket.as_deref()),
        ("appended", Some(number.as_str()))
    );
    assert!(r.reason.expect("reason").contains("automatic"));
    assert_eq!(
        count(&db, "select count(*) from outbox where kind = 'ack'").await,
        1,
        "no answer to an answer"
    );
    let status: Status = sqlx::query_scalar("select status from tickets")
        .fetch_one(&db)
        .await
        .expect("status");
    assert_eq!(status, Status::Open);

    // Mailing lists and noreply senders open tickets but get no answer.
    let r = ingest(
        &app,
        &mail(
            &address("news", "lists.example"),
            "tech@support.test",
            "Digest",
            "x",
            "List-Id: <digest.lists.example>\r\n",
        ),
    )
    .await;
    assert_eq!(r.outcome, "created");
    let r = ingest(
        &app,
        &mail(
            &address("no-reply", "shop.example"),
            "tech@support.test",
            "Order",
            "x",
            "",
        ),
    )
    .await;
    assert_eq!(r.outcome, "created");
    assert_eq!(
        count(&db, "select count(*) from outbox where kind = 'ack'").await,
        1
    );

    // A forged sender cannot make us send more than the hourly ration.
    let victim = address("victim", "example.org");
    for i in 0..8 {
        ingest(
            &app,
            &mail(
                &victim,
                "tech@support.test",
                &format!("Spam wave {i}"),
                "x",
                "",
            ),
        )
        .await;
    }
    let acks: i64 = sqlx::query_scalar("select count(*) from outbox_recipients where address = $1")
        .bind(&victim)
        .fetch_one(&db)
        .await
        .expect("acks");
    assert_eq!(acks, 5);
}

#[sqlx::test]
async fn a_bounce_marks_the_recipient_failed_and_opens_nothing(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let (mb, support) = helpdesk(&app, &db, false).await;
    mailboxes::poll_once(&app.state, mb)
        .await
        .expect("first poll");
    let customer = address("gone", "example.com");
    let r = ingest(&app, &mail(&customer, &support, "Old question", "x", "")).await;
    let number = r.ticket.expect("ticket");
    outbox::run_once(&app.state).await.expect("send ack");
    let (outbox_id, mail_id): (uuid::Uuid, String) =
        sqlx::query_as("select id, mail_message_id from outbox")
            .fetch_one(&db)
            .await
            .expect("ack");
    let verp = bilet::mail::verp::address(&app.state.secrets.session_key, outbox_id, "127.0.0.1");
    let dsn = format!(
        "From: MAILER-DAEMON@mx.example.com\r\nTo: {verp}\r\nReturn-Path: <>\r\nSubject: Undelivered Mail Returned to Sender\r\nMessage-ID: <dsn1@mx>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n--R\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; {customer}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n--R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{mail_id}>\r\n\r\n--R--\r\n"
    );
    append(&support, "INBOX", dsn.as_bytes(), false).await;
    mailboxes::poll_once(&app.state, mb).await.expect("poll");
    let state: String =
        sqlx::query_scalar("select state::text from outbox_recipients where address = $1")
            .bind(&customer)
            .fetch_one(&db)
            .await
            .expect("state");
    assert_eq!(state, "bounced");
    assert_eq!(
        count(&db, "select count(*) from tickets").await,
        1,
        "a bounce never opens a ticket"
    );
    let t = ticket_json(&db, &number).await;
    assert!(
        t["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .any(|m| m["kind"] == "system"),
        "the bounce is on the ticket"
    );

    // A delay notice is not a bounce.
    let delayed = dsn
        .replace("Action: failed", "Action: delayed")
        .replace("dsn1@mx", "dsn2@mx");
    let r = ingest(&app, delayed.as_bytes()).await;
    assert_ne!(r.outcome, "created");
    let state: String =
        sqlx::query_scalar("select state::text from outbox_recipients where address = $1")
            .bind(&customer)
            .fetch_one(&db)
            .await
            .expect("state");
    assert_eq!(state, "bounced");
}

#[sqlx::test]
async fn nothing_is_lost_or_duplicated_when_a_batch_is_cut_short(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let (mb, support) = helpdesk(&app, &db, false).await;
    mailboxes::poll_once(&app.state, mb)
        .await
        .expect("first poll");
    let customer = address("batch", "example.com");
    let mails: Vec<Vec<u8>> = (0..5)
        .map(|i| mail(&customer, &support, &format!("Question {i}"), "x", ""))
        .collect();
    for m in &mails {
        append(&support, "INBOX", m, false).await;
    }
    // A node processed the first two and died before telling the IMAP
    // server: their transactions committed, the mails are still unseen.
    let validity: i64 = sqlx::query_scalar("select uid_validity from mailboxes")
        .fetch_one(&db)
        .await
        .expect("validity");
    for (uid, raw) in mails.iter().enumerate().take(2) {
        let env = Envelope {
            mailbox: Some(mb),
            uid_validity: Some(validity),
            uid: Some(uid as i64 + 1),
            notify: true,
            ..Envelope::default()
        };
        assert_eq!(
            inbound::ingest(&app.state, raw, &env).await.outcome,
            "created"
        );
    }
    // After the restart every mail is there exactly once, and the two the
    // dead node took in are marked seen now.
    mailboxes::poll_once(&app.state, mb).await.expect("poll");
    assert_eq!(count(&db, "select count(*) from tickets").await, 5);
    assert_eq!(count(&db, "select count(*) from messages").await, 5);
    let flags: Vec<String> = fetch(&support, "INBOX", 5)
        .await
        .into_iter()
        .map(|(_, f)| f)
        .collect();
    assert!(flags.iter().all(|f| f.contains("Seen")), "{flags:?}");
    // The same mail by another route (a second copy via the CLI) is a duplicate...
    let r = ingest(&app, &mails[0]).await;
    assert_eq!(r.outcome, "ignored");
    assert!(r.ticket.is_some());
    // ...but a different mail that reuses the Message-ID is not dropped.
    let id = parsed(&mails[0]).message_id().expect("id").to_string();
    let reuse = mail(
        &customer,
        &support,
        "Completely different",
        "other text",
        "",
    )
    .to_vec();
    let reuse = String::from_utf8(reuse).expect("utf8").replacen(
        "Message-ID: <",
        &format!("Message-ID: <{id}> <"),
        1,
    );
    let reuse = reuse.replacen(&format!("<{id}> <"), &format!("<{id}>\r\nX-Old: <"), 1);
    assert_ne!(ingest(&app, reuse.as_bytes()).await.outcome, "ignored");
}

/// `bilet serve` on this test's database, with the test keys (so it can
/// read the mailbox password the test stored) and quick mail polling.
async fn serve(db: &PgPool, data_dir: &std::path::Path) -> tokio::process::Child {
    let db_name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(db)
        .await
        .expect("db");
    let base = std::env::var("DATABASE_URL").expect("url");
    let url = base.replacen("/postgres?", &format!("/{db_name}?"), 1);
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
        .args(["--data-dir", &data_dir.to_string_lossy()])
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("DATABASE_URL", &url)
        // Secrets::for_tests().mailbox_key: 32 bytes of 3.
        .env(
            "BILET_SECRETS__MAILBOX_KEY",
            "AwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwM=",
        )
        .env("BILET_MAIL__POLL_SECONDS", "1")
        .env("BILET_LOG__FILTER", "error")
        .stdout(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("spawn bilet");
    assert!(child.id().is_some(), "bilet is running");
    // Leave it a moment; a start-up failure shows as an early exit.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    assert!(child.try_wait().expect("wait").is_none(), "bilet exited");
    child
}

#[sqlx::test]
async fn a_server_killed_mid_batch_loses_and_duplicates_nothing(db: PgPool) {
    const MAILS: i64 = 120;
    let app = TestApp::spawn(db.clone()).await;
    let (mb, support) = helpdesk(&app, &db, false).await;
    mailboxes::poll_once(&app.state, mb)
        .await
        .expect("first poll");
    // One sender each: one sender's new tickets are capped per hour.
    let customer = address("killed", "example.com");
    {
        let mut s = mailkit::session(&support).await;
        for i in 0..MAILS {
            let from = format!("{i}-{customer}");
            let raw = mail(&from, &support, &format!("Batch {i}"), "x", "");
            s.append("INBOX", None, None, &raw).await.expect("append");
        }
        let _ = s.logout().await;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = serve(&db, dir.path()).await;
    // SIGKILL as soon as the first mails are in: mid-batch, mid-chunk.
    let mut at_kill = 0;
    for _ in 0..3000 {
        at_kill = count(&db, "select count(*) from tickets").await;
        if at_kill >= 3 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    server.start_kill().expect("kill");
    server.wait().await.expect("wait");
    let after_kill = count(&db, "select count(*) from tickets").await;
    assert!(
        (3..MAILS).contains(&after_kill),
        "killed mid-batch: {at_kill} then {after_kill} of {MAILS}"
    );
    // The dead node's lease would run out in two minutes; skip the wait.
    sqlx::query("update mailboxes set lease_until = now() - interval '1 second'")
        .execute(&db)
        .await
        .expect("expire lease");
    let mut server = serve(&db, dir.path()).await;
    let mut unseen = usize::MAX;
    for _ in 0..600 {
        let tickets = count(&db, "select count(*) from tickets").await;
        if tickets == MAILS {
            let mut s = mailkit::session(&support).await;
            s.select("INBOX").await.expect("select");
            unseen = s.uid_search("UNSEEN").await.expect("search").len();
            let _ = s.logout().await;
            if unseen == 0 {
                break;
            }
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    server.start_kill().expect("kill");
    assert_eq!(unseen, 0, "every mail taken in is marked seen");
    assert_eq!(count(&db, "select count(*) from tickets").await, MAILS);
    assert_eq!(count(&db, "select count(*) from messages").await, MAILS);
    assert_eq!(count(&db, "select count(*) from raw_mails").await, MAILS);
    assert_eq!(
        count(&db, "select count(distinct subject) from tickets").await,
        MAILS
    );
}

#[sqlx::test]
async fn an_unreachable_smtp_server_is_retried_until_it_takes_the_mail(db: PgPool) {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("port");
        l.local_addr().expect("addr").port()
    };
    let app = TestApp::spawn_with(db.clone(), |c| {
        c.mail.smtp.host = Some("127.0.0.1".into());
        c.mail.smtp.port = port;
        c.mail.smtp.tls = bilet::config::TlsMode::None;
    })
    .await;
    fixtures::department(&db, "tech").await;
    let customer = address("patient", "example.com");
    let r = ingest(
        &app,
        &mail(&customer, "tech@support.test", "Waiting", "x", ""),
    )
    .await;
    assert_eq!(r.outcome, "created");
    outbox::run_once(&app.state).await.expect("try");
    let (state, error): (String, Option<String>) =
        sqlx::query_as("select state::text, last_error from outbox")
            .fetch_one(&db)
            .await
            .expect("row");
    assert_eq!(state, "retrying");
    assert!(error.is_some());

    // The server comes back.
    let python = std::env::var("TEST_PYTHON").expect("TEST_PYTHON");
    let mut server = tokio::process::Command::new(python)
        .args([
            "-m",
            "aiosmtpd",
            "-n",
            "-l",
            &format!("127.0.0.1:{port}"),
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
        .expect("smtp server");
    for _ in 0..50 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    // Not before its time...
    assert_eq!(outbox::run_once(&app.state).await.expect("early"), 0);
    sqlx::query("update outbox set next_attempt_at = now()")
        .execute(&db)
        .await
        .expect("due now");
    assert_eq!(outbox::run_once(&app.state).await.expect("retry"), 1);
    let state: String = sqlx::query_scalar("select state::text from outbox")
        .fetch_one(&db)
        .await
        .expect("state");
    assert_eq!(state, "sent");
    assert_eq!(fetch(&customer, "INBOX", 1).await.len(), 1);
    // Never sent twice.
    sqlx::query("update outbox set next_attempt_at = now()")
        .execute(&db)
        .await
        .expect("due");
    assert_eq!(outbox::run_once(&app.state).await.expect("again"), 0);
    server.kill().await.expect("stop");
}

#[sqlx::test]
async fn threading_follows_references_tags_and_who_may_use_them(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    helpdesk(&app, &db, false).await;
    let anna = address("anna", "example.com");
    let first = mail(&anna, "tech@support.test", "VPN drops", "x", "");
    let first_id = parsed(&first).message_id().expect("id").to_string();
    let number = ingest(&app, &first).await.ticket.expect("ticket");

    // By References (a client that kept only the thread's first id).
    let r = ingest(
        &app,
        &mail(
            &anna,
            "tech@support.test",
            "again",
            "y",
            &format!("References: <{first_id}>\r\n"),
        ),
    )
    .await;
    assert_eq!(
        (r.outcome, r.ticket.as_deref(), r.reason.as_deref()),
        (
            "appended",
            Some(number.as_str()),
            Some("threaded by References")
        )
    );
    // By the subject tag, from the requester.
    let r = ingest(
        &app,
        &mail(
            &anna,
            "tech@support.test",
            &format!("Re: [#{number}] VPN drops"),
            "z",
            "",
        ),
    )
    .await;
    assert_eq!(
        (r.ticket.as_deref(), r.reason.as_deref()),
        (Some(number.as_str()), Some("threaded by subject tag"))
    );
    // A stranger quoting the number gets their own ticket, linked.
    let mallory = address("mallory", "evil.example");
    let r = ingest(
        &app,
        &mail(
            &mallory,
            "tech@support.test",
            &format!("[#{number}] let me in"),
            "!",
            "",
        ),
    )
    .await;
    assert_eq!(r.outcome, "created");
    assert_ne!(r.ticket.as_deref(), Some(number.as_str()));
    assert_eq!(
        r.reason.as_deref(),
        Some("new ticket: tag from unknown sender")
    );
    assert_eq!(
        count(
            &db,
            "select count(*) from ticket_links where kind = 'mentioned'"
        )
        .await,
        1
    );
    let t = ticket_json(&db, &number).await;
    assert_eq!(
        t["messages"].as_array().expect("messages").len(),
        3,
        "nothing injected"
    );

    // A colleague answering on the thread becomes a Cc, without portal access.
    let colleague = address("boss", "example.com");
    let r = ingest(
        &app,
        &mail(
            &colleague,
            "tech@support.test",
            "Re: VPN drops",
            "we need this",
            &format!("In-Reply-To: <{first_id}>\r\n"),
        ),
    )
    .await;
    assert_eq!(r.ticket.as_deref(), Some(number.as_str()));
    let (role, portal): (String, bool) = sqlx::query_as(
        "select p.role::text, p.portal_access from ticket_participants p join user_emails e on e.user_id = p.user_id where e.email = $1",
    )
    .bind(&colleague)
    .fetch_one(&db)
    .await
    .expect("participant");
    assert_eq!((role.as_str(), portal), ("cc", false));

    // A reply to a ticket closed long ago opens a linked one; to a resolved one, reopens it.
    let old: bilet::domain::ids::TicketId =
        sqlx::query_scalar("select id from tickets where number = $1")
            .bind(number.parse::<i64>().expect("n"))
            .fetch_one(&db)
            .await
            .expect("ticket");
    fixtures::set_status(&db, old, Status::Resolved, time::Duration::days(60)).await;
    fixtures::set_status(&db, old, Status::Closed, time::Duration::days(60)).await;
    let r = ingest(
        &app,
        &mail(
            &anna,
            "tech@support.test",
            &format!("Re: [#{number}] VPN drops"),
            "back",
            "",
        ),
    )
    .await;
    assert_eq!(r.outcome, "created");
    assert!(r.reason.expect("reason").contains("closed too long ago"));
    let new = r.ticket.expect("new");
    let new_id: bilet::domain::ids::TicketId =
        sqlx::query_scalar("select id from tickets where number = $1")
            .bind(new.parse::<i64>().expect("n"))
            .fetch_one(&db)
            .await
            .expect("ticket");
    fixtures::set_status(&db, new_id, Status::Resolved, time::Duration::ZERO).await;
    let r = ingest(
        &app,
        &mail(
            &anna,
            "tech@support.test",
            &format!("Re: [#{new}] VPN drops"),
            "still",
            "",
        ),
    )
    .await;
    assert_eq!(r.ticket.as_deref(), Some(new.as_str()));
    assert_eq!(ticket_json(&db, &new).await["status"], "open");
}

#[sqlx::test]
async fn routing_picks_one_department_and_one_ticket_per_mail(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let (mb, support) = helpdesk(&app, &db, false).await;
    let dept = |r: &inbound::Report| r.department.clone().unwrap_or_default();
    let r = ingest(
        &app,
        &mail(
            &address("a", "x.test"),
            "someone@else.test, billing@support.test",
            "s",
            "b",
            "Cc: tech@support.test\r\n",
        ),
    )
    .await;
    assert_eq!(dept(&r), "billing", "the first department address in To");
    let r = ingest(
        &app,
        &mail(
            &address("a", "x.test"),
            "someone@else.test",
            "s",
            "b",
            "Cc: billing@support.test\r\n",
        ),
    )
    .await;
    assert_eq!(dept(&r), "billing", "then Cc");
    let r = inbound::ingest(
        &app.state,
        &mail(
            &address("a", "x.test"),
            "undisclosed-recipients:;",
            "s",
            "b",
            "Delivered-To: billing@support.test\r\n",
        ),
        &Envelope::default(),
    )
    .await;
    assert_eq!(dept(&r), "billing", "then the envelope");
    let billing: bilet::domain::ids::DepartmentId =
        sqlx::query_scalar("select id from departments where slug = 'billing'")
            .fetch_one(&db)
            .await
            .expect("billing");
    store::mail::add_rule(&db, "sender_domain", "bank.example", billing)
        .await
        .expect("rule");
    let r = ingest(
        &app,
        &mail(
            &address("robot", "bank.example"),
            "tech@support.test",
            "Statement",
            "b",
            "",
        ),
    )
    .await;
    assert_eq!(dept(&r), "billing", "admin rules first");
    let tech: bilet::domain::ids::DepartmentId =
        sqlx::query_scalar("select id from departments where slug = 'tech'")
            .fetch_one(&db)
            .await
            .expect("tech");
    let env = Envelope {
        default_department: Some(tech),
        ..Envelope::default()
    };
    let r = inbound::ingest(
        &app.state,
        &mail(
            &address("a", "x.test"),
            "nobody@x.test",
            "Nothing to route by",
            "b",
            "",
        ),
        &env,
    )
    .await;
    assert_eq!(dept(&r), "tech", "the mailbox's default department");

    // One mail to two departments, fetched by two mailboxes: one ticket.
    mailboxes::poll_once(&app.state, mb)
        .await
        .expect("first poll");
    let both = mail(
        &address("c", "x.test"),
        &format!("{support}, billing@support.test"),
        "Both",
        "once",
        "",
    );
    append(&support, "INBOX", &both, false).await;
    mailboxes::poll_once(&app.state, mb).await.expect("poll");
    let before = count(&db, "select count(*) from tickets").await;
    let r = ingest(&app, &both).await;
    assert_eq!(r.outcome, "ignored");
    assert_eq!(count(&db, "select count(*) from tickets").await, before);

    // No subject: a readable placeholder.
    let raw = format!(
        "From: {}\r\nTo: tech@support.test\r\nMessage-ID: <nosub@x>\r\n\r\nМой сайт не открывается\r\n",
        address("n", "x.test")
    );
    let r = ingest(&app, raw.as_bytes()).await;
    assert_eq!(
        ticket_json(&db, r.ticket.as_deref().expect("t")).await["subject"],
        "(no subject) Мой сайт не открывается"
    );
}

#[sqlx::test]
async fn relays_staff_spam_and_broken_mail_are_handled(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    helpdesk(&app, &db, false).await;
    // A website form sends as noreply@ with the customer in Reply-To.
    sqlx::query("insert into settings (key, value) values ('relay_addresses', '[\"noreply@site.example\"]')").execute(&db).await.expect("relay");
    bilet::service::catalog::settings::reload(
        &app.state.settings,
        &app.state.db,
        &app.state.config,
    )
    .await
    .expect("reload");
    let customer = address("form-user", "example.com");
    let r = ingest(
        &app,
        &mail(
            "Site <noreply@site.example>",
            "tech@support.test",
            "Contact form",
            "hi",
            &format!("Reply-To: Клиент <{customer}>\r\n"),
        ),
    )
    .await;
    let t = ticket_json(&db, r.ticket.as_deref().expect("ticket")).await;
    assert_eq!(t["requester"]["email"], customer.as_str());
    assert_eq!(
        count(
            &db,
            &format!("select count(*) from outbox_recipients where address = '{customer}'")
        )
        .await,
        1,
        "acknowledged to the customer"
    );

    // An agent answering a notification from their own address: an internal note.
    app.create_account("anna@support.test", Role::Agent, &[("tech", Reply)])
        .await;
    let ack_id: String =
        sqlx::query_scalar("select mail_message_id from outbox where kind = 'ack' limit 1")
            .fetch_one(&db)
            .await
            .expect("ack");
    let mails_before = count(&db, "select count(*) from outbox").await;
    let r = ingest(
        &app,
        &mail(
            "anna@support.test",
            "tech@support.test",
            "Re: Contact form",
            "Checked, customer is fine",
            &format!("In-Reply-To: <{ack_id}>\r\n"),
        ),
    )
    .await;
    assert_eq!(r.reason.as_deref(), Some("from staff: internal note"));
    let kind: String =
        sqlx::query_scalar("select kind::text from messages order by created_at desc limit 1")
            .fetch_one(&db)
            .await
            .expect("kind");
    assert_eq!(kind, "note");
    assert_eq!(
        count(&db, "select count(*) from outbox").await,
        mails_before,
        "never mailed"
    );

    // Spam is held for an admin, and can be let through.
    let r = ingest(
        &app,
        &mail(
            &address("spammer", "x.test"),
            "tech@support.test",
            "WIN",
            "$$$",
            "X-Spam-Flag: YES\r\nX-Spam-Status: Yes, score=9.1\r\n",
        ),
    )
    .await;
    assert_eq!(r.outcome, "ignored");
    let held: uuid::Uuid = sqlx::query_scalar("select id from raw_mails where state = 'held'")
        .fetch_one(&db)
        .await
        .expect("held");
    let verdict: Option<String> =
        sqlx::query_scalar("select spam_verdict from raw_mails where id = $1")
            .bind(held)
            .fetch_one(&db)
            .await
            .expect("verdict");
    assert!(verdict.expect("stored").starts_with("Yes"));
    let released = inbound::retry(&app.state, held, true)
        .await
        .expect("release");
    assert_eq!(released.outcome, "created");

    // Garbage still becomes a ticket with what can be read, raw mail kept.
    let r = inbound::ingest(
        &app.state,
        b"\x00\x01 this is not a mail at all \xff\xfe",
        &Envelope::default(),
    )
    .await;
    assert_eq!(r.outcome, "created", "{r:?}");
    let t = ticket_json(&db, r.ticket.as_deref().expect("ticket")).await;
    assert!(
        t["messages"][0]["body_text"]
            .as_str()
            .expect("text")
            .contains("this is not a mail at all")
    );
    let raw_kept = count(&db, "select count(*) from raw_mails r join tickets t on t.id = r.ticket_id where r.state = 'processed'").await;
    assert!(raw_kept >= 3);
}

#[sqlx::test]
async fn mailboxes_handle_utf7_folders_uidvalidity_and_the_import_choice(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let user = address("archive", "help.test");
    // Mail already there before Bilet: imported silently when asked to.
    append(
        &user,
        "Спам",
        &mail(
            &address("old", "x.test"),
            &user,
            "Old mail",
            "from before",
            "",
        ),
        true,
    )
    .await;
    let id = mailboxes::add(
        &app.state,
        None,
        mailboxes::MailboxInput {
            name: user.clone(),
            imap_host: "127.0.0.1".into(),
            imap_port: mailkit::imap_port(),
            imap_tls: bilet::config::TlsMode::None,
            imap_user: user.clone(),
            imap_password: "pw".into(),
            folder: "Спам".into(),
            processed_folder: None,
            smtp_host: "127.0.0.1".into(),
            smtp_port: mailkit::smtp_port(),
            smtp_tls: bilet::config::TlsMode::None,
            smtp_user: None,
            smtp_password: None,
            addresses: vec![user.clone()],
            department: "tech".into(),
            import_existing: true,
            use_idle: false,
        },
    )
    .await
    .expect("mailbox");
    let password: Vec<u8> = sqlx::query_scalar("select imap_password from mailboxes")
        .fetch_one(&db)
        .await
        .expect("pw");
    assert!(
        !password.windows(2).any(|w| w == b"pw"),
        "encrypted at rest"
    );
    assert_eq!(
        mailboxes::poll_once(&app.state, id)
            .await
            .expect("poll")
            .fetched,
        1
    );
    assert_eq!(count(&db, "select count(*) from tickets").await, 1);
    assert_eq!(
        count(&db, "select count(*) from outbox").await,
        0,
        "imports are not acknowledged"
    );
    append(
        &user,
        "Спам",
        &mail(&address("new", "x.test"), &user, "New mail", "fresh", ""),
        false,
    )
    .await;
    mailboxes::poll_once(&app.state, id).await.expect("poll");
    assert_eq!(
        count(&db, "select count(*) from outbox where kind = 'ack'").await,
        1,
        "new mail is"
    );

    // The folder is rebuilt (new UIDVALIDITY): everything is looked at
    // again, nothing doubles, nobody is mailed.
    sqlx::query("update mailboxes set uid_validity = uid_validity + 1000")
        .execute(&db)
        .await
        .expect("pretend");
    mailboxes::poll_once(&app.state, id).await.expect("rescan");
    assert_eq!(count(&db, "select count(*) from tickets").await, 2);
    assert_eq!(
        count(&db, "select count(*) from outbox where kind = 'ack'").await,
        1
    );

    let test = mailboxes::test_by_name(&app.state, &user)
        .await
        .expect("test");
    assert!(test.ok, "{test:?}");
    let broken = mailboxes::test(
        &app.state,
        &store::mailboxes::MailboxRow {
            imap_port: 1,
            smtp_port: 1,
            ..store::mailboxes::find(&db, id)
                .await
                .expect("q")
                .expect("mb")
        },
    )
    .await;
    assert!(
        !broken.ok && broken.imap.starts_with("error: ") && broken.smtp.starts_with("error: "),
        "{broken:?}"
    );
}

#[sqlx::test]
async fn a_failing_mail_is_quarantined_and_retried_without_stopping_the_rest(db: PgPool) {
    let app = TestApp::spawn_with(db.clone(), |c| c.mail.max_mail_bytes = 2000).await;
    let (mb, support) = helpdesk(&app, &db, false).await;
    mailboxes::poll_once(&app.state, mb)
        .await
        .expect("first poll");
    let big = mail(
        &address("big", "x.test"),
        &support,
        "Huge",
        &"x".repeat(5000),
        "",
    );
    append(&support, "INBOX", &big, false).await;
    append(
        &support,
        "INBOX",
        &mail(&address("ok", "x.test"), &support, "Fine", "small", ""),
        false,
    )
    .await;
    let stats = mailboxes::poll_once(&app.state, mb).await.expect("poll");
    assert_eq!((stats.fetched, stats.failed), (2, 1));
    assert_eq!(
        count(&db, "select count(*) from tickets").await,
        1,
        "the good one went through"
    );
    let (id, error): (uuid::Uuid, String) =
        sqlx::query_as("select id, error from raw_mails where state = 'quarantined'")
            .fetch_one(&db)
            .await
            .expect("quarantined");
    assert!(error.contains("max_mail_bytes"));
    // Listed for admins, with the raw bytes downloadable.
    let root = app.another_browser();
    let pw = app
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    root.login_and_set_password("root@support.test", &pw, "correct horse battery")
        .await;
    let html = root.get("/admin/mail").await.text().await.expect("page");
    assert!(html.contains("max_mail_bytes"));
    let raw = root
        .get(&format!("/admin/mail/{id}/raw"))
        .await
        .bytes()
        .await
        .expect("raw");
    assert_eq!(raw.as_ref(), big.as_slice());
    // After the limit is raised (here: a retry with the limit lifted), it goes through.
    let mut raised = (*app.state.config).clone();
    raised.mail.max_mail_bytes = 1 << 20;
    let app2 = bilet::state::AppState::new(
        db.clone(),
        raised,
        bilet::secrets::Secrets::for_tests(),
        tokio_util::sync::CancellationToken::new(),
    )
    .expect("state");
    let r = inbound::retry(&app2, id, false).await.expect("retry");
    assert_eq!(r.outcome, "created");
    assert_eq!(
        count(
            &db,
            "select count(*) from raw_mails where state = 'quarantined'"
        )
        .await,
        0
    );
}

#[sqlx::test]
async fn the_cli_ingests_eml_and_mbox_and_shows_tickets_as_json(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let dir = tempfile::tempdir().expect("tmp");
    let eml = dir.path().join("one.eml");
    std::fs::write(
        &eml,
        mail(
            "Ольга <olga@example.ru>",
            "tech@support.test",
            "Из файла",
            "Текст письма",
            "",
        ),
    )
    .expect("eml");
    let mbox = dir.path().join("archive.mbox");
    let mut archive = b"From a@b Mon Jan  1 00:00:00 2024\n".to_vec();
    archive.extend_from_slice(&mail(
        "a@example.com",
        "tech@support.test",
        "First",
        "one\n>From here",
        "",
    ));
    archive.extend_from_slice(b"\nFrom b@c Mon Jan  1 00:00:00 2024\n");
    archive.extend_from_slice(&mail(
        "b@example.com",
        "tech@support.test",
        "Auto",
        "away",
        "Auto-Submitted: auto-replied\r\n",
    ));
    std::fs::write(&mbox, archive).expect("mbox");

    // The binary against this test's database.
    let db_name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&db)
        .await
        .expect("db");
    let base = std::env::var("DATABASE_URL").expect("url");
    let url = base.replacen("/postgres?", &format!("/{db_name}?"), 1);
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
        .args([
            "--data-dir",
            &dir.path().to_string_lossy(),
            "mail",
            "ingest",
            "--json",
            "--no-notify",
        ])
        .arg(&eml)
        .arg(&mbox)
        .env("DATABASE_URL", &url)
        .env("BILET_LOG__FILTER", "error")
        .output()
        .await
        .expect("run");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines: Vec<serde_json::Value> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 3);
    assert_eq!(lines[0]["source"], eml.to_string_lossy().as_ref());
    assert_eq!(lines[0]["outcome"], "created");
    assert_eq!(lines[0]["department"], "tech");
    assert!(
        lines[0]["message_id"]
            .as_str()
            .expect("id")
            .ends_with("@client.test")
    );
    assert_eq!(lines[1]["source"], format!("{}#1", mbox.display()));
    assert_eq!(lines[2]["outcome"], "ignored");
    assert!(lines[2]["ticket"].is_null());
    assert_eq!(
        count(&db, "select count(*) from outbox").await,
        0,
        "--no-notify"
    );

    let number = lines[0]["ticket"].as_str().expect("number").to_string();
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
        .args([
            "--data-dir",
            &dir.path().to_string_lossy(),
            "ticket",
            "show",
            "--json",
            &number,
        ])
        .env("DATABASE_URL", &url)
        .output()
        .await
        .expect("run");
    let t: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(t["number"], number.as_str());
    assert_eq!(t["subject"], "Из файла");
    assert_eq!(t["department"], "tech");
    assert_eq!(t["status"], "open");
    assert_eq!(t["requester"]["email"], "olga@example.ru");
    assert_eq!(t["requester"]["name"], "Ольга");
    assert!(t["assignee"].is_null());
    assert!(t["created_at"].as_str().expect("time").ends_with('Z'));
    let m = &t["messages"][0];
    assert_eq!(
        (m["kind"].as_str(), m["source"].as_str()),
        (Some("customer"), Some("email"))
    );
    assert_eq!(m["to"][0], "tech@support.test");
    assert_eq!(m["body_text"].as_str().map(str::trim), Some("Текст письма"));
    // The mbox's ">From" line was unquoted.
    let first: String =
        sqlx::query_scalar("select body_text from messages where subject = 'First'")
            .fetch_one(&db)
            .await
            .expect("first");
    assert!(first.contains("\nFrom here"));
    let _ = app;
}

/// Subjects of corpus mails whose right decoding is known.
const KNOWN_SUBJECTS: &[(&str, &str)] = &[
    ("mozilla-comm-central/sample04.eml", "Алфавит"),
    ("mozilla-comm-central/sample05.eml", "Алфавит"),
    (
        "mailgun-flanker/bilingual-simple.eml",
        "Simple text. How are you? Как ты поживаешь?",
    ),
    (
        "sisimai-set-of-emails/bsd/lhost-mailru-01.eml",
        "Ваше сообщение не доставлено. Mail failure.",
    ),
    (
        "sisimai-set-of-emails/bsd/lhost-yandex-01.eml",
        "Недоставленное сообщение",
    ),
    (
        "zbateson-mail-mime-parser/headers/encoded-headers",
        "¡Hola, señor!",
    ),
];

#[sqlx::test]
async fn the_public_corpus_goes_through_ingest_without_a_panic(db: PgPool) {
    let root =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/testdata/email/public");
    if !root.exists() {
        // A user's checkout has no corpus; CI always has it.
        eprintln!("corpus not present at {}; nothing to run", root.display());
        return;
    }
    for (file, subject) in KNOWN_SUBJECTS {
        let raw = std::fs::read(root.join(file)).expect("corpus file");
        let m = bilet::mail::parse::parse(&raw);
        assert_eq!(
            m.subject.as_deref().map(str::trim),
            Some(*subject),
            "{file}"
        );
    }
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let mut files = Vec::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("dir").flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if path.file_name().is_some_and(|n| n != "SOURCES.md") {
                files.push(path);
            }
        }
    }
    files.sort();
    assert!(files.len() >= 100, "the corpus has its 120 mails");
    let mut outcomes = std::collections::BTreeMap::new();
    for path in &files {
        let raw = std::fs::read(path).expect("read");
        let report = inbound::ingest(&app.state, &raw, &Envelope::default()).await;
        assert_ne!(report.outcome, "failed", "{}: {report:?}", path.display());
        *outcomes.entry(report.outcome).or_insert(0) += 1;
    }
    // Every mail left a raw copy.
    assert_eq!(
        count(&db, "select count(*) from raw_mails").await as usize,
        files.len()
    );
    assert!(
        outcomes.get("created").copied().unwrap_or(0) > 50,
        "{outcomes:?}"
    );
}

#[sqlx::test]
async fn agents_see_how_mail_was_threaded_its_delivery_and_the_original(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    helpdesk(&app, &db, false).await;
    let customer = address("vera", "example.com");
    let first = mail(
        &customer,
        "tech@support.test",
        "Printer",
        "It jams.\n\nOn Mon, Vera <v@x> wrote:\n> old text\n",
        "",
    );
    let number = ingest(&app, &first).await.ticket.expect("ticket");
    let ack_id: String = sqlx::query_scalar("select mail_message_id from outbox")
        .fetch_one(&db)
        .await
        .expect("ack");
    ingest(
        &app,
        &mail(
            &customer,
            "tech@support.test",
            "Re: Printer",
            "More",
            &format!("In-Reply-To: <{ack_id}>\r\n"),
        ),
    )
    .await;
    sqlx::query("update outbox_recipients set state = 'bounced', last_error = '550 no such user'")
        .execute(&db)
        .await
        .expect("bounce");
    sqlx::query(
        "update outbox set message_id = (select id from messages order by created_at limit 1)",
    )
    .execute(&db)
    .await
    .expect("link");

    let agent = app.another_browser();
    let pw = app
        .create_account("ana@support.test", Role::Agent, &[("tech", Reply)])
        .await;
    agent
        .login_and_set_password("ana@support.test", &pw, "correct horse battery")
        .await;
    let html = agent
        .get(&format!("/agent/tickets/{number}"))
        .await
        .text()
        .await
        .expect("page");
    let notes = crate::harness::texts(&html, ".mail-note");
    assert!(
        notes
            .iter()
            .any(|n| n == "threaded by Bilet's signed Message-ID"),
        "{notes:?}"
    );
    assert!(
        crate::harness::texts(&html, ".deliveries")
            .join(" ")
            .contains("bounced"),
        "the failed recipient is visible"
    );
    assert!(
        html.contains("<details class=\"quoted\">"),
        "quoted history folded"
    );
    let raw_link = crate::harness::attr(&html, "a[href^='/agent/raw/']", "href").expect("raw link");
    let raw = agent.get(&raw_link).await;
    assert_eq!(raw.headers()["content-type"], "message/rfc822");
    assert_eq!(raw.bytes().await.expect("bytes").as_ref(), first.as_slice());
    // Nobody else gets it.
    let outsider = app.another_browser();
    let pw = app
        .create_account("bo@support.test", Role::Agent, &[("billing", Reply)])
        .await;
    outsider
        .login_and_set_password("bo@support.test", &pw, "correct horse battery")
        .await;
    assert_eq!(
        outsider.get(&raw_link).await.status(),
        reqwest::StatusCode::NOT_FOUND
    );
    let customer_browser = app.another_browser();
    customer_browser
        .register("c@example.com", "C", "correct horse battery")
        .await;
    assert_eq!(
        customer_browser.get(&raw_link).await.status(),
        reqwest::StatusCode::NOT_FOUND
    );
}

#[sqlx::test]
async fn idle_wakes_up_for_new_mail_and_leases_keep_one_node_per_mailbox(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let (mb, support) = helpdesk(&app, &db, false).await;
    assert!(
        mailboxes::supports_idle(&app.state, mb)
            .await
            .expect("caps")
    );
    let stop = tokio_util::sync::CancellationToken::new();
    let state = app.state.clone();
    let waiting = tokio::spawn(async move {
        let started = std::time::Instant::now();
        mailboxes::idle(&state, mb, std::time::Duration::from_secs(30), &stop)
            .await
            .expect("idle");
        started.elapsed()
    });
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    append(
        &support,
        "INBOX",
        &mail(&address("x", "y.test"), &support, "Wake up", "now", ""),
        false,
    )
    .await;
    let waited = tokio::time::timeout(std::time::Duration::from_secs(20), waiting)
        .await
        .expect("woke up")
        .expect("join");
    assert!(
        waited < std::time::Duration::from_secs(20),
        "IDLE returned on new mail, not at its timeout"
    );

    assert!(
        store::mailboxes::lease(&db, mb, "node-a", 60)
            .await
            .expect("lease")
    );
    assert!(
        !store::mailboxes::lease(&db, mb, "node-b", 60)
            .await
            .expect("lease"),
        "one node at a time"
    );
    assert!(
        store::mailboxes::lease(&db, mb, "node-a", 60)
            .await
            .expect("renew")
    );
    sqlx::query("update mailboxes set lease_until = now() - interval '1 second'")
        .execute(&db)
        .await
        .expect("expire");
    assert!(
        store::mailboxes::lease(&db, mb, "node-b", 60)
            .await
            .expect("take over"),
        "a dead node's lease runs out"
    );
}
