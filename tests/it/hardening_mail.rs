//! Mail-side attacks, reproduced: floods of Cc and of new tickets, blocked
//! senders, forged staff mail, retries of filed mail, mail without a
//! readable sender, and mail from our own addresses.

use bilet::domain::access::AccessLevel::{Manage, Reply};
use bilet::domain::users::Role;
use bilet::service::mail::{Envelope, Report};
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{TestApp, fixtures};
use crate::mailkit::{address, mail};

async fn ingest(app: &TestApp, raw: &[u8]) -> Report {
    bilet::service::mail::ingest(&app.state, raw, &Envelope::default()).await
}

async fn count(db: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.expect("count")
}

#[sqlx::test]
async fn one_mail_adds_a_bounded_number_of_people(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let many: Vec<String> = (0..300).map(|i| format!("person{i}@example.org")).collect();
    let raw = mail(
        "boss@example.org",
        "tech@support.test",
        "Everyone",
        "hello",
        &format!("Cc: {}\r\n", many.join(", ")),
    );
    let r = ingest(&app, &raw).await;
    assert_eq!(r.outcome, "created", "{r:?}");
    assert_eq!(
        count(
            &db,
            "select count(*) from ticket_participants where role = 'cc'"
        )
        .await,
        20
    );
    assert_eq!(
        count(&db, "select count(*) from users where role = 'customer'").await,
        21
    );
    let cc: i64 = count(&db, "select cardinality(cc_addrs)::bigint from messages").await;
    assert_eq!(cc, 300, "everyone stays visible on the message");
}

#[sqlx::test]
async fn a_sender_opens_a_bounded_number_of_tickets_an_hour(db: PgPool) {
    let app = TestApp::spawn_with(db.clone(), |c| {
        c.mail.max_new_tickets_per_sender_per_hour = 3
    })
    .await;
    fixtures::department(&db, "tech").await;
    let sender = address("flood", "example.org");
    let mut outcomes = Vec::new();
    for i in 0..5 {
        let raw = mail(
            &sender,
            "tech@support.test",
            &format!("Ticket {i}"),
            "x",
            "",
        );
        outcomes.push(ingest(&app, &raw).await.outcome);
    }
    assert_eq!(outcomes, ["created", "created", "created", "held", "held"]);
    assert_eq!(
        count(&db, "select count(*) from raw_mails where state = 'held'").await,
        2
    );
}

#[sqlx::test]
async fn spam_closes_the_ticket_and_blocks_its_sender_until_an_admin_unblocks(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let agent = app.another_browser();
    let pw = agent
        .create_account("ana@support.test", Role::Agent, &[("tech", Manage)])
        .await;
    agent
        .login_and_set_password("ana@support.test", &pw, "correct horse battery")
        .await;
    let admin = app.another_browser();
    let pw = admin
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    admin
        .login_and_set_password("root@support.test", &pw, "correct horse battery")
        .await;
    let spammer = address("spam", "example.org");
    let r = ingest(
        &app,
        &mail(&spammer, "tech@support.test", "Buy now", "cheap", ""),
    )
    .await;
    let number = r.ticket.expect("ticket");
    let version: i32 = count(&db, "select version::bigint from tickets").await as i32;
    let res = agent
        .post_form(
            &format!("/agent/tickets/{number}/spam"),
            &[("version", &version.to_string())],
        )
        .await;
    assert_eq!(
        TestApp::notice(&res).as_deref(),
        Some("spam-blocked"),
        "{}",
        TestApp::location(&res)
    );
    let status: String = sqlx::query_scalar("select status::text from tickets")
        .fetch_one(&db)
        .await
        .expect("s");
    assert_eq!(status, "closed");
    let r = ingest(
        &app,
        &mail(&spammer, "tech@support.test", "Buy more", "cheaper", ""),
    )
    .await;
    assert_eq!(r.outcome, "held");
    assert_eq!(
        count(&db, "select count(*) from tickets").await,
        1,
        "never filed"
    );
    let page = admin.get("/admin/mail").await.text().await.expect("page");
    assert!(page.contains(&spammer), "the admin sees the blocked sender");
    let res = admin
        .post_form("/admin/blocked/unblock", &[("address", &spammer)])
        .await;
    assert!(res.status().is_redirection());
    let r = ingest(
        &app,
        &mail(&spammer, "tech@support.test", "Real question", "sorry", ""),
    )
    .await;
    assert_eq!(r.outcome, "created");
}

#[sqlx::test]
async fn staff_mail_failing_a_trusted_check_is_held(db: PgPool) {
    let app = TestApp::spawn_with(db.clone(), |c| {
        c.mail.trusted_authserv_ids = vec!["mx.support.test".into()];
    })
    .await;
    let tech = fixtures::department(&db, "tech").await;
    fixtures::user(&db, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let customer = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (id, number) = fixtures::ticket(&db, tech, customer, "Server down").await;
    let subject = format!("Re: [#{number}] Server down");
    let forged = "Authentication-Results: mx.support.test; dkim=none; dmarc=fail header.from=support.test\r\n";
    let r = ingest(
        &app,
        &mail(
            "ana@support.test",
            "tech@support.test",
            &subject,
            "pay here",
            forged,
        ),
    )
    .await;
    assert_eq!(r.outcome, "held", "{r:?}");
    assert!(r.reason.as_deref().unwrap_or("").contains("dmarc=fail"));
    // A field from a server that is not ours proves nothing either way.
    let elsewhere = "Authentication-Results: mx.attacker.example; dmarc=fail\r\n";
    let r = ingest(
        &app,
        &mail(
            "ana@support.test",
            "tech@support.test",
            &subject,
            "a note",
            elsewhere,
        ),
    )
    .await;
    assert_eq!(r.outcome, "appended", "{r:?}");
    let kinds: Vec<String> =
        sqlx::query_scalar("select kind::text from messages where ticket_id = $1")
            .bind(id)
            .fetch_all(&db)
            .await
            .expect("kinds");
    assert_eq!(kinds, ["note"], "staff mail is never customer-visible");
}

#[sqlx::test]
async fn retrying_a_filed_mail_files_nothing_twice(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let admin = app.another_browser();
    let pw = admin
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    admin
        .login_and_set_password("root@support.test", &pw, "correct horse battery")
        .await;
    let r = ingest(
        &app,
        &mail("anna@example.com", "tech@support.test", "Once", "x", ""),
    )
    .await;
    assert_eq!(r.outcome, "created");
    let raw: String = sqlx::query_scalar("select id::text from raw_mails")
        .fetch_one(&db)
        .await
        .expect("raw");
    let res = admin
        .post_form(&format!("/admin/mail/{raw}/retry"), &[])
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    assert_eq!(count(&db, "select count(*) from tickets").await, 1);
    let res = admin
        .post_form(
            "/admin/mail/00000000-0000-0000-0000-000000000000/retry",
            &[],
        )
        .await;
    assert_eq!(
        res.status(),
        StatusCode::NOT_FOUND,
        "an unknown mail is 404, not 500"
    );
}

#[sqlx::test]
async fn mail_without_a_readable_sender_never_shares_an_account(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    for i in 0..2 {
        let raw = format!(
            "To: tech@support.test\r\nSubject: Anonymous {i}\r\nMessage-ID: <anon{i}@x>\r\n\r\nwho am I\r\n"
        );
        assert_eq!(ingest(&app, raw.as_bytes()).await.outcome, "created");
    }
    let requesters = count(&db, "select count(distinct requester_id) from tickets").await;
    assert_eq!(requesters, 2);
    let signable = count(
        &db,
        "select count(*) from users u join user_emails e on e.user_id = u.id \
         where e.email like '%@invalid' and u.password_hash is not null",
    )
    .await;
    assert_eq!(signable, 0);
}

#[sqlx::test]
async fn mail_from_our_own_address_is_held_and_appended_mail_reports_its_department(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let r = ingest(
        &app,
        &mail("tech@support.test", "tech@support.test", "Loop", "x", ""),
    )
    .await;
    assert_eq!(r.outcome, "held", "{r:?}");
    assert_eq!(
        count(&db, "select count(*) from users where role = 'customer'").await,
        0
    );
    let first = ingest(
        &app,
        &mail("anna@example.com", "tech@support.test", "Hello", "x", ""),
    )
    .await;
    let number = first.ticket.expect("ticket");
    let again = mail(
        "anna@example.com",
        "tech@support.test",
        &format!("Re: [#{number}] Hello"),
        "more",
        "",
    );
    let r = ingest(&app, &again).await;
    assert_eq!(
        (r.outcome, r.department.as_deref()),
        ("appended", Some("tech"))
    );
}

#[sqlx::test]
async fn remote_images_are_blocked_and_shown_only_in_a_sandboxed_frame(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    fixtures::department(&db, "billing").await;
    let html =
        "<html><body><p>Look</p><img src=\"https://track.example/open.gif?u=1\"></body></html>";
    let raw = format!(
        "From: anna@example.com\r\nTo: tech@support.test\r\nSubject: Pixel\r\nMessage-ID: <px@x>\r\n\
         MIME-Version: 1.0\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
    );
    let r = ingest(&app, raw.as_bytes()).await;
    let number = r.ticket.expect("ticket");
    let agent = app.another_browser();
    let pw = agent
        .create_account("ana@support.test", Role::Agent, &[("tech", Reply)])
        .await;
    agent
        .login_and_set_password("ana@support.test", &pw, "correct horse battery")
        .await;
    let page = agent
        .get(&format!("/agent/tickets/{number}"))
        .await
        .text()
        .await
        .expect("page");
    let inline = crate::harness::texts(&page, ".mail-html-body").join(" ");
    assert!(inline.contains("remote image blocked"), "{inline}");
    let doc = scraper::Html::parse_document(&page);
    let imgs = scraper::Selector::parse(".mail-html-body img").expect("sel");
    assert_eq!(
        doc.select(&imgs).count(),
        0,
        "no remote image on the page itself"
    );
    let frame = crate::harness::attr(&page, "iframe.mail-frame", "src").expect("frame");
    assert!(crate::harness::attr(&page, "iframe.mail-frame", "sandbox").is_some());
    let res = agent.get(&frame).await;
    assert_eq!(res.status(), StatusCode::OK);
    let csp = res.headers()["content-security-policy"]
        .to_str()
        .expect("csp")
        .to_string();
    assert!(
        csp.starts_with("sandbox") && csp.contains("default-src 'none'") && !csp.contains("script")
    );
    assert!(res.text().await.expect("doc").contains("track.example"));
    // The frame follows the access rule like everything else.
    let other = app.another_browser();
    let pw = other
        .create_account("bo@support.test", Role::Agent, &[("billing", Reply)])
        .await;
    other
        .login_and_set_password("bo@support.test", &pw, "correct horse battery")
        .await;
    assert_eq!(other.get(&frame).await.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test]
async fn repeated_bounces_for_one_recipient_become_one_note_with_a_count(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let customer = address("gone", "example.com");
    let r = ingest(
        &app,
        &mail(&customer, "tech@support.test", "Old question", "x", ""),
    )
    .await;
    let number = r.ticket.expect("ticket");
    // An agent's reply goes to the outbox with a Message-ID of ours.
    let agent = fixtures::user(&db, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let agent = bilet::store::users::find(&db, agent)
        .await
        .expect("q")
        .expect("agent");
    let version = count(&db, "select version::bigint from tickets").await as i32;
    bilet::service::tickets::agent::reply(
        &app.state,
        &agent,
        number.parse().expect("n"),
        version,
        "Answer",
        &[],
        None,
    )
    .await
    .expect("reply");
    let mail_id: String =
        sqlx::query_scalar("select mail_message_id from outbox where kind = 'reply'")
            .fetch_one(&db)
            .await
            .expect("reply mail");
    for i in 0..5 {
        let dsn = format!(
            "From: MAILER-DAEMON@mx.example.com\r\nTo: bounces@support.test\r\nReturn-Path: <>\r\nSubject: Undelivered Mail\r\n\
             Message-ID: <dsn{i}@mx>\r\nContent-Type: multipart/report; report-type=delivery-status; boundary=\"R\"\r\n\r\n\
             --R\r\nContent-Type: text/plain\r\n\r\nThe mail could not be delivered.\r\n--R\r\nContent-Type: message/delivery-status\r\n\r\n\
             Reporting-MTA: dns; mx.example.com\r\n\r\nFinal-Recipient: rfc822; {customer}\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n\
             --R\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: <{mail_id}>\r\n\r\n--R--\r\n"
        );
        let r = ingest(&app, dsn.as_bytes()).await;
        assert_eq!(r.outcome, "appended", "{r:?}");
    }
    let notes: Vec<String> =
        sqlx::query_scalar("select threading_note from messages where kind = 'system'")
            .fetch_all(&db)
            .await
            .expect("notes");
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(notes[0].ends_with("(reported 5 times)"), "{notes:?}");
}

#[sqlx::test]
async fn what_parsing_repaired_or_left_out_is_on_the_message(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    // A body with a garbage line inside its base64.
    let raw = std::fs::read("tests/fixtures/mail/base64-garbage-line.eml").expect("fixture");
    let r = ingest(&app, &raw).await;
    assert_eq!(r.outcome, "created", "{r:?}");
    let (body, note): (String, String) = sqlx::query_as(
        "select body_text, threading_note from messages where mail_message_id = 'b64-garbage@example.com'",
    )
    .fetch_one(&db)
    .await
    .expect("message");
    assert!(body.contains("Добрый день!"), "{body}");
    assert!(note.contains("base64 repaired"), "{note}");

    // 150 attachment parts: 100 kept, the note says how many were not.
    let parts: String = (0..150)
        .map(|i| {
            format!(
                "--B\r\nContent-Type: text/plain\r\nContent-Disposition: attachment; filename=\"f{i}.txt\"\r\n\r\npart {i}\r\n"
            )
        })
        .collect();
    let raw = format!(
        "From: many@example.com\r\nTo: tech@support.test\r\nSubject: Files\r\nMessage-ID: <many-parts@example.com>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=\"B\"\r\n\r\n\
         --B\r\nContent-Type: text/plain\r\n\r\nSee the files\r\n{parts}--B--\r\n"
    );
    let r = ingest(&app, raw.as_bytes()).await;
    assert_eq!(r.outcome, "created", "{r:?}");
    let note: String = sqlx::query_scalar(
        "select threading_note from messages where mail_message_id = 'many-parts@example.com'",
    )
    .fetch_one(&db)
    .await
    .expect("note");
    assert!(note.contains("50 left out"), "{note}");
    let files = count(
        &db,
        "select count(*) from attachments a join messages m on m.id = a.message_id \
         where m.mail_message_id = 'many-parts@example.com'",
    )
    .await;
    assert_eq!(files, 100);
}
