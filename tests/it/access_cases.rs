//! One list of access cases, tried from every entry point: the ticket
//! page, search, an attachment, the raw mail, the live stream, a bulk
//! action, mail threading and the CLI. What one may not see answers 404 everywhere.

use bilet::domain::access::AccessLevel::{Manage, Read};
use bilet::domain::users::Role;
use bilet::service::mail::Envelope;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{PNG, TestApp, fixtures, texts};
use crate::mailkit::mail;

const PASSWORD: &str = "correct horse battery";

/// Who asks, and what the rule says they may do with the tech ticket.
struct Case {
    email: &'static str,
    staff: bool,
    /// Reads the ticket at all.
    reads: bool,
    /// Manages it (bulk actions apply).
    manages: bool,
    /// What their mail carrying the ticket's tag becomes.
    mail: &'static str,
}

const CASES: &[Case] = &[
    Case {
        email: "anna@example.com",
        staff: false,
        reads: true,
        manages: false,
        mail: "appended",
    },
    Case {
        email: "boris@example.com",
        staff: false,
        reads: false,
        manages: false,
        mail: "created",
    },
    Case {
        email: "reader@support.test",
        staff: true,
        reads: true,
        manages: false,
        mail: "held",
    },
    Case {
        email: "manager@support.test",
        staff: true,
        reads: true,
        manages: true,
        mail: "appended",
    },
    Case {
        email: "billing@support.test",
        staff: true,
        reads: false,
        manages: false,
        mail: "held",
    },
    Case {
        email: "root@support.test",
        staff: true,
        reads: true,
        manages: true,
        mail: "appended",
    },
];

async fn signed_in(
    app: &TestApp,
    email: &str,
    role: Role,
    grants: &[(&str, bilet::domain::access::AccessLevel)],
) -> TestApp {
    let b = app.another_browser();
    let one_time = b.create_account(email, role, grants).await;
    b.login_and_set_password(email, &one_time, PASSWORD).await;
    b
}

fn status_of(expected_visible: bool) -> StatusCode {
    if expected_visible {
        StatusCode::OK
    } else {
        StatusCode::NOT_FOUND
    }
}

#[sqlx::test]
async fn every_entry_point_applies_the_same_rule(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    fixtures::department(&db, "billing").await;
    let mut browsers = Vec::new();
    for c in CASES {
        let (role, grants): (Role, &[(&str, _)]) = match c.email {
            "reader@support.test" => (Role::Agent, &[("tech", Read)]),
            "manager@support.test" => (Role::Agent, &[("tech", Manage)]),
            "billing@support.test" => (Role::Agent, &[("billing", Manage)]),
            "root@support.test" => (Role::Admin, &[]),
            _ => (Role::Customer, &[]),
        };
        browsers.push(signed_in(&app, c.email, role, grants).await);
    }
    // A disabled agent of tech: no session, so only mail and the CLI ask for them.
    fixtures::user(&db, "gone@support.test", Role::Agent, &[("tech", Manage)]).await;
    sqlx::query("update users set disabled_at = now() where id = (select user_id from user_emails where email = 'gone@support.test')")
        .execute(&db)
        .await
        .expect("disable");

    // Anna's ticket in tech, by mail, with a screenshot: a raw mail and a file.
    let raw = format!(
        "From: anna@example.com\r\nTo: tech@support.test\r\nSubject: Server down\r\nMessage-ID: <first@client.test>\r\n\
         MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nhelp\r\n\
         --b\r\nContent-Type: image/png\r\nContent-Disposition: attachment; filename=s.png\r\nContent-Transfer-Encoding: base64\r\n\r\n{}\r\n--b--\r\n",
        base64::Engine::encode(&base64::engine::general_purpose::STANDARD, PNG)
    );
    let report =
        bilet::service::mail::ingest(&app.state, raw.as_bytes(), &Envelope::default()).await;
    assert_eq!(report.outcome, "created", "{report:?}");
    let number = report.ticket.expect("number");
    let (attachment, raw_id): (uuid::Uuid, uuid::Uuid) = sqlx::query_as(
        "select a.id, m.raw_mail_id from attachments a join messages m on m.id = a.message_id",
    )
    .fetch_one(&db)
    .await
    .expect("file");

    let db_name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(&db)
        .await
        .expect("db");
    let url = std::env::var("DATABASE_URL").expect("url").replacen(
        "/postgres?",
        &format!("/{db_name}?"),
        1,
    );
    let cli_dir = tempfile::tempdir().expect("dir");
    // A search runs on what the index has (it never waits for the
    // follower's batch): wait until the ticket is in it.
    crate::search::indexed(&app.state).await;

    for (c, b) in CASES.iter().zip(&browsers) {
        let who = c.email;
        // The ticket page.
        let page = if c.staff {
            format!("/agent/tickets/{number}")
        } else {
            format!("/portal/tickets/{number}")
        };
        assert_eq!(
            b.get(&page).await.status(),
            status_of(c.reads),
            "{who}: page"
        );
        if !c.staff {
            let other_side = b.get(&format!("/agent/tickets/{number}")).await.status();
            assert_eq!(
                other_side,
                StatusCode::NOT_FOUND,
                "{who}: customers have no workspace"
            );
        }
        // Search: the index's access filter says the same.
        let (search, row) = if c.staff {
            ("/agent?q=server", format!("data-number=\"{number}\""))
        } else {
            (
                "/portal?q=server",
                format!("href=\"/portal/tickets/{number}\""),
            )
        };
        let res = b.get(search).await;
        assert_eq!(res.status(), StatusCode::OK, "{who}: search");
        let html = res.text().await.expect("results");
        assert_eq!(html.contains(&row), c.reads, "{who}: search");
        // The attachment.
        let file = b.get(&format!("/attachments/{attachment}")).await.status();
        assert_eq!(file, status_of(c.reads), "{who}: attachment");
        // The raw mail: staff who read the ticket only.
        let raw_status = b.get(&format!("/agent/raw/{raw_id}")).await.status();
        assert_eq!(raw_status, status_of(c.staff && c.reads), "{who}: raw mail");
        // The live stream of this one ticket.
        let stream = b
            .get(&format!("/agent/stream?ticket={number}"))
            .await
            .status();
        assert_eq!(stream, status_of(c.staff && c.reads), "{who}: live stream");
        // A bulk action that would change nothing: refused as out of
        // reach, as not allowed, or as already so.
        if c.staff {
            let token = b.csrf().await;
            let version: i32 = sqlx::query_scalar("select version from tickets where number = $1")
                .bind(number.parse::<i64>().expect("n"))
                .fetch_one(&db)
                .await
                .expect("v");
            let status: String =
                sqlx::query_scalar("select status::text from tickets where number = $1")
                    .bind(number.parse::<i64>().expect("n"))
                    .fetch_one(&db)
                    .await
                    .expect("status");
            let body = format!(
                "csrf={token}&op=status%3A{status}&ticket={number}%3A{version}&back=%2Fagent"
            );
            let res = b
                .client
                .post(b.url("/agent/bulk"))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(body)
                .send()
                .await
                .expect("bulk");
            let lines = texts(&res.text().await.expect("html"), ".bulk-result li");
            let why = match (c.reads, c.manages) {
                (false, _) => "no such ticket within your reach",
                (true, false) => "you may read it but not change it",
                (true, true) => "already so",
            };
            assert_eq!(
                lines,
                ["0 of 1 changed".to_string(), format!("#{number}: {why}"),],
                "{who}: bulk"
            );
        }
        // The CLI, as this person.
        let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_bilet"))
            .args(["--data-dir", &cli_dir.path().to_string_lossy()])
            .args(["ticket", "show", "--json", "--as", who, &number])
            .env("DATABASE_URL", &url)
            .env("BILET_LOG__FILTER", "error")
            .output()
            .await
            .expect("cli");
        assert_eq!(
            out.status.success(),
            c.reads,
            "{who}: cli {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if c.reads && !c.staff {
            let t: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
            assert!(
                t["messages"]
                    .as_array()
                    .expect("messages")
                    .iter()
                    .all(|m| m["kind"] != "note")
            );
        }
    }

    // Mail carrying the ticket's tag, from each of them (and the disabled agent).
    let mut senders: Vec<(&str, &str)> = CASES.iter().map(|c| (c.email, c.mail)).collect();
    senders.push(("gone@support.test", "held"));
    for (email, outcome) in senders {
        let raw = mail(
            email,
            "tech@support.test",
            &format!("Re: [#{number}] Server down"),
            "a word",
            "",
        );
        let r = bilet::service::mail::ingest(&app.state, &raw, &Envelope::default()).await;
        assert_eq!(r.outcome, outcome, "{email}: mail {r:?}");
        if outcome == "created" {
            assert_ne!(
                r.ticket.as_deref(),
                Some(number.as_str()),
                "{email}: a new ticket"
            );
        }
    }
    // Nothing from staff was ever filed as a customer message.
    let from_staff: i64 = sqlx::query_scalar(
        "select count(*) from messages m join users u on u.id = m.author_id where u.role <> 'customer' and m.kind = 'customer'",
    )
    .fetch_one(&db)
    .await
    .expect("count");
    assert_eq!(from_staff, 0);
    let held: i64 = sqlx::query_scalar("select count(*) from raw_mails where state = 'held'")
        .fetch_one(&db)
        .await
        .expect("held");
    assert_eq!(held, 3, "reader, billing and the disabled agent are held");
}

#[sqlx::test]
async fn a_staff_member_without_a_grant_cannot_write_into_a_ticket_by_mail(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    fixtures::department(&db, "billing").await;
    fixtures::user(
        &db,
        "zoe.billing@support.test",
        Role::Agent,
        &[("billing", Manage)],
    )
    .await;
    let customer = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (id, number) = fixtures::ticket(&db, tech, customer, "Server down").await;
    let messages = |db: PgPool| async move {
        sqlx::query_scalar::<_, i64>("select count(*) from messages where ticket_id = $1")
            .bind(id)
            .fetch_one(&db)
            .await
            .expect("count")
    };
    let before = messages(db.clone()).await;
    // By subject tag and by a signed Message-ID of ours (forwarded, say).
    let signed = bilet::mail::message_id::generate(
        &app.state.secrets.message_id_key,
        number,
        bilet::domain::ids::MessageId::new(),
        "support.test",
    );
    for extra in [String::new(), format!("In-Reply-To: <{signed}>\r\n")] {
        let raw = mail(
            "zoe.billing@support.test",
            "tech@support.test",
            &format!("Re: [#{number}] Server down"),
            "I'll take it",
            &extra,
        );
        let r = bilet::service::mail::ingest(&app.state, &raw, &Envelope::default()).await;
        assert_eq!(r.outcome, "held", "{r:?}");
    }
    assert_eq!(
        messages(db.clone()).await,
        before,
        "neither a customer message nor a note"
    );
    // An admin finds both under Mail needing attention.
    let admin = app.another_browser();
    let one_time = admin
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    admin
        .login_and_set_password("root@support.test", &one_time, PASSWORD)
        .await;
    let html = admin.get("/admin/mail").await.text().await.expect("page");
    assert_eq!(
        html.matches("without access to the ticket").count(),
        2,
        "{html}"
    );
}
