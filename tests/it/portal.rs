//! The customer portal over HTTP: filing, following, answering, closing,
//! rating, signed links, claiming, and every way to reach a foreign ticket.

use bilet::domain::ids::{TicketId, TicketNumber, UserId};
use bilet::domain::messages::Kind;
use bilet::domain::status::Status;
use bilet::store;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{Form, PNG, TestApp, assert_redirect, attr, fixtures, texts};

const PASSWORD: &str = "correct horse battery";

async fn customer(app: &TestApp, email: &str) -> TestApp {
    let browser = app.another_browser();
    assert_redirect(
        &browser.register(email, "Анна Петрова", PASSWORD).await,
        "/portal",
    );
    browser
}

fn number_in(location: &str) -> TicketNumber {
    location
        .trim_start_matches("/portal/tickets/")
        .split('?')
        .next()
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no ticket number in {location}"))
}

async fn topic(app: &TestApp) -> String {
    let html = app
        .get("/portal/tickets/new")
        .await
        .text()
        .await
        .expect("body");
    attr(&html, "input[name=topic]", "value").expect("topic field")
}

async fn open(
    browser: &TestApp,
    subject: &str,
    body: &str,
    files: &[(&str, &[u8])],
) -> TicketNumber {
    let mut form = Form::new()
        .text("topic", &topic(browser).await)
        .text("subject", subject)
        .text("body", body)
        .text("confirm_new", "1");
    for (name, bytes) in files {
        form = form.file("files", name, bytes);
    }
    let res = browser.post_multipart("/portal/tickets", form).await;
    assert_eq!(
        res.status(),
        StatusCode::SEE_OTHER,
        "{}",
        res.text().await.unwrap_or_default()
    );
    number_in(&TestApp::location(&res))
}

async fn ticket_id(db: &PgPool, number: TicketNumber) -> TicketId {
    sqlx::query_scalar("select id from tickets where number = $1")
        .bind(number)
        .fetch_one(db)
        .await
        .expect("ticket")
}

async fn status(db: &PgPool, number: TicketNumber) -> Status {
    sqlx::query_scalar("select status from tickets where number = $1")
        .bind(number)
        .fetch_one(db)
        .await
        .expect("status")
}

async fn agent_says(db: &PgPool, number: TicketNumber, agent: UserId, body: &str) {
    let id = ticket_id(db, number).await;
    fixtures::say(db, id, Kind::Agent, Some(agent), body).await;
}

#[sqlx::test]
async fn a_new_ticket_is_stored_acknowledged_and_shown(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = customer(&app, "anna@example.com").await;

    // One department: the form skips the topic step.
    let html = anna
        .get("/portal/tickets/new")
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("name=\"subject\""));
    let number = open(
        &anna,
        "Сайт не открывается",
        "С утра ошибка 502.\nhttps://example.com/status",
        &[("screen.png", PNG)],
    )
    .await;

    let res = anna.get(&format!("/portal/tickets/{number}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    assert_eq!(texts(&html, "h1"), ["Сайт не открывается"]);
    assert!(texts(&html, ".callout h2")[0].contains(&format!("#{number}")));
    assert!(texts(&html, ".message-body")[0].contains("С утра ошибка 502."));
    assert_eq!(
        attr(&html, ".message-body a", "href").as_deref(),
        Some("https://example.com/status")
    );
    assert!(texts(&html, ".chip")[0].contains("screen.png"));

    // One transaction wrote the acknowledgement, history, search feed and audit.
    let id = ticket_id(&db, number).await;
    let mails = store::outbox::list_for_ticket(&db, id)
        .await
        .expect("outbox");
    assert_eq!(mails.len(), 1);
    let ack = &mails[0];
    assert_eq!(ack.kind, "ack");
    assert_eq!(ack.recipients, ["anna@example.com"]);
    assert_eq!(ack.subject, format!("[#{number}] Сайт не открывается"));
    assert_eq!(ack.from_addr, "tech@support.test");
    assert_eq!(ack.headers["Auto-Submitted"], "auto-replied");
    assert!(
        ack.body_text.contains("/l/"),
        "a signed link: {}",
        ack.body_text
    );
    assert!(
        bilet::mail::message_id::verify(&app.state.secrets.message_id_key, &ack.mail_message_id)
            .is_some()
    );
    let counts: (i64, i64, i64) = sqlx::query_as(
        "select (select count(*) from ticket_history where ticket_id = $1), \
                (select count(*) from ticket_journal where ticket_id = $1), \
                (select count(*) from events where ticket_id = $1 and kind = 'ticket.opened')",
    )
    .bind(id)
    .fetch_one(&db)
    .await
    .expect("counts");
    // History: opened. Journal: opened, message. Audit: opened.
    assert_eq!(counts, (1, 2, 1));

    // The list shows it, with its department and status.
    let html = anna.get("/portal").await.text().await.expect("body");
    assert_eq!(texts(&html, ".ticket-subject"), ["Сайт не открывается"]);
    assert!(texts(&html, ".ticket-row")[0].contains("TECH"));
}

#[sqlx::test]
async fn form_errors_keep_the_text_and_the_accepted_files(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = customer(&app, "anna@example.com").await;
    let topic = topic(&anna).await;
    let form = Form::new()
        .text("topic", &topic)
        .text("subject", "")
        .text("body", "Диск шумит, вот SMART")
        .file(
            "files",
            "smart.txt",
            b"SMART overall-health self-assessment test result: PASSED\n",
        )
        .file(
            "files",
            "setup.exe",
            b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff",
        );
    let res = anna.post_multipart("/portal/tickets", form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    let summary = texts(&html, ".error-summary li").join(" | ");
    assert!(summary.contains("Enter a subject"), "{summary}");
    assert!(
        summary.contains("setup.exe cannot be attached"),
        "{summary}"
    );
    assert_eq!(texts(&html, "textarea#body"), ["Диск шумит, вот SMART"]);
    let staged = attr(&html, "input[name=staged]", "value").expect("the text file stays attached");
    assert!(texts(&html, ".staged").join(" ").contains("smart.txt"));
    let tickets: i64 = sqlx::query_scalar("select count(*) from tickets")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(tickets, 0);

    // Sent again with a subject: the staged file comes along.
    let form = Form::new()
        .text("topic", &topic)
        .text("subject", "Диск шумит")
        .text("body", "Диск шумит, вот SMART")
        .text("staged", &staged);
    let res = anna.post_multipart("/portal/tickets", form).await;
    let number = number_in(&TestApp::location(&res));
    let html = anna
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(texts(&html, ".chip").join(" ").contains("smart.txt"));

    // A forged staged reference is ignored.
    let form = Form::new()
        .text("topic", &topic)
        .text("subject", "Другое")
        .text("body", "x")
        .text("confirm_new", "1")
        .text("staged", "Zm9yZ2Vk.AAAA");
    let res = anna.post_multipart("/portal/tickets", form).await;
    let number = number_in(&TestApp::location(&res));
    let html = anna
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(texts(&html, ".chip").is_empty());
}

#[sqlx::test]
async fn files_are_judged_by_content_and_limited_in_size(db: PgPool) {
    let app = TestApp::spawn_with(db.clone(), |c| {
        c.attachments.max_file_bytes = 2000;
        c.attachments.max_message_bytes = 3000;
    })
    .await;
    fixtures::department(&db, "tech").await;
    let anna = customer(&app, "anna@example.com").await;
    let topic = topic(&anna).await;

    let big = vec![b'a'; 2500];
    let form = Form::new()
        .text("topic", &topic)
        .text("subject", "s")
        .text("body", "b")
        .file("files", "big.log", &big);
    let html = anna
        .post_multipart("/portal/tickets", form)
        .await
        .text()
        .await
        .expect("body");
    assert!(
        texts(&html, ".error-summary li")
            .join(" ")
            .contains("big.log is larger than 0 MB")
            || html.contains("big.log is larger than")
    );

    let part = vec![b'b'; 1800];
    let form = Form::new()
        .text("topic", &topic)
        .text("subject", "s")
        .text("body", "b")
        .file("files", "one.log", &part)
        .file("files", "two.log", &part);
    let html = anna
        .post_multipart("/portal/tickets", form)
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("two.log does not fit"), "per-message budget");

    // A text file named .png is text; a real PNG is shown inline.
    let number = open(
        &anna,
        "Types",
        "b",
        &[
            ("fake.png", b"ping 10.0.0.1\n64 bytes from 10.0.0.1\n"),
            ("real.png", PNG),
        ],
    )
    .await;
    let html = anna
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("body");
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse(".chip a").expect("selector");
    let links: Vec<(String, String)> = doc
        .select(&sel)
        .map(|a| {
            (
                a.text().collect::<String>(),
                a.value().attr("href").unwrap_or("").to_string(),
            )
        })
        .collect();
    let href = |name: &str| {
        links
            .iter()
            .find(|(t, _)| t.contains(name))
            .map(|(_, h)| h.clone())
            .expect("link")
    };
    let res = anna.get(&href("fake.png")).await;
    assert_eq!(res.headers()["content-type"], "text/plain; charset=utf-8");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .expect("cd")
            .starts_with("attachment;")
    );
    assert_eq!(res.headers()["x-content-type-options"], "nosniff");
    let res = anna.get(&href("real.png")).await;
    assert_eq!(res.headers()["content-type"], "image/png");
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .expect("cd")
            .starts_with("inline;")
    );
    assert_eq!(res.bytes().await.expect("bytes").as_ref(), PNG);
}

#[sqlx::test]
async fn help_topics_ask_their_questions_and_agents_get_the_answers(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    let prompts = vec![
        store::catalog::Prompt {
            key: "server".into(),
            label: "Server name".into(),
            hint: String::new(),
            required: true,
        },
        store::catalog::Prompt {
            key: "since".into(),
            label: "Since when".into(),
            hint: String::new(),
            required: false,
        },
    ];
    let topic_id = store::catalog::insert_help_topic(
        &db,
        "Server trouble",
        tech,
        "Tell us which server.",
        &prompts,
        "Attach traceroute output.",
    )
    .await
    .expect("topic");
    store::catalog::insert_help_topic(&db, "Billing", tech, "", &[], "")
        .await
        .expect("topic");
    store::catalog::insert_product(&db, "VPS Start")
        .await
        .expect("product");
    let anna = customer(&app, "anna@example.com").await;

    // Two topics: the first step asks which.
    let html = anna
        .get("/portal/tickets/new")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(
        texts(&html, ".choice strong"),
        ["Billing", "Server trouble"]
    );
    let html = anna
        .get(&format!("/portal/tickets/new?topic=t-{topic_id}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("Tell us which server.") && html.contains("Attach traceroute output."));
    assert_eq!(texts(&html, "label[for=prompt-server]"), ["Server name"]);

    let form = Form::new()
        .text("topic", &format!("t-{topic_id}"))
        .text("subject", "Down")
        .text("body", "b");
    let res = anna.post_multipart("/portal/tickets", form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("body");
    assert!(page.contains("Answer “Server name”"));
    // The summary lands on the questions; the message is beside the one left out.
    crate::harness::assert_summary_links_land(&page);
    assert_eq!(
        texts(&page, "#prompt-server-error"),
        ["Answer “Server name”."]
    );

    let product = attr(&html, "#product option:nth-child(2)", "value").expect("product option");
    let form = Form::new()
        .text("topic", &format!("t-{topic_id}"))
        .text("subject", "Down")
        .text("body", "b")
        .text("product", &product)
        .text("prompt.server", "vps-12.example.net");
    let res = anna.post_multipart("/portal/tickets", form).await;
    let number = number_in(&TestApp::location(&res));
    let html = anna
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(texts(&html, ".answers dt"), ["Server name"]);
    assert_eq!(texts(&html, ".answers dd"), ["vps-12.example.net"]);
    assert!(texts(&html, ".meta").join(" ").contains("VPS Start"));

    // An unknown topic is an error, not a guess.
    let res = anna
        .get("/portal/tickets/new?topic=t-00000000-0000-0000-0000-000000000000")
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[sqlx::test]
async fn a_similar_open_ticket_is_offered_instead_of_a_new_one(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = customer(&app, "anna@example.com").await;
    let first = open(&anna, "Почта не отправляется", "SMTP error", &[]).await;
    let topic = topic(&anna).await;
    let form = || {
        Form::new()
            .text("topic", &topic)
            .text("subject", "Re: почта не отправляется")
            .text("body", "Всё ещё не работает")
    };
    let res = anna.post_multipart("/portal/tickets", form()).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    assert!(
        texts(&html, ".callout")
            .join(" ")
            .contains(&format!("#{first}"))
    );
    assert_eq!(
        attr(&html, "button[name=add_to]", "value"),
        Some(first.to_string())
    );
    assert_eq!(
        texts(&html, "textarea#body"),
        ["Всё ещё не работает"],
        "nothing typed is lost"
    );

    let res = anna
        .post_multipart("/portal/tickets", form().text("add_to", &first.to_string()))
        .await;
    assert_redirect(&res, &format!("/portal/tickets/{first}"));
    let html = anna
        .get(&format!("/portal/tickets/{first}"))
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(texts(&html, ".message").len(), 2);

    let res = anna
        .post_multipart("/portal/tickets", form().text("confirm_new", "1"))
        .await;
    assert_ne!(number_in(&TestApp::location(&res)), first);
}

#[sqlx::test]
async fn the_similar_ticket_check_meets_word_forms_and_only_the_customers_own(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = customer(&app, "anna@example.com").await;
    let boris = customer(&app, "boris@example.com").await;
    let mine = open(
        &anna,
        "Серверы не отвечают",
        "С утра 502 на всех сайтах",
        &[],
    )
    .await;
    open(&boris, "Оплата счёта не проходит", "Карта отклонена", &[]).await;
    let topic = topic(&anna).await;
    let try_open = |subject: &'static str, body: &'static str| {
        let anna = &anna;
        let topic = topic.clone();
        async move {
            let form = Form::new()
                .text("topic", &topic)
                .text("subject", subject)
                .text("body", body);
            anna.post_multipart("/portal/tickets", form).await
        }
    };
    // Other forms of the same words: the open ticket is offered.
    let res = try_open("Сервер не отвечает", "Опять ошибка 502").await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("body");
    assert_eq!(
        attr(&html, "button[name=add_to]", "value"),
        Some(mine.to_string())
    );
    // Another customer's similar ticket is never offered: a new one opens.
    let res = try_open("Оплата счёта не проходит", "Не могу оплатить").await;
    let created = number_in(&TestApp::location(&res));
    assert_ne!(created, mine);
}

#[sqlx::test]
async fn my_tickets_lists_open_first_marks_answers_searches_and_pages(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    let agent = fixtures::user(
        &db,
        "ana@support.test",
        bilet::domain::users::Role::Agent,
        &[],
    )
    .await;
    let anna = customer(&app, "anna@example.com").await;
    let closed = open(&anna, "Old invoice question", "b", &[]).await;
    let closed_id = ticket_id(&db, closed).await;
    fixtures::set_status(&db, closed_id, Status::Closed, time::Duration::ZERO).await;
    let answered = open(&anna, "Backup restore", "b", &[]).await;
    agent_says(&db, answered, agent, "Restored.").await;
    let html = anna.get("/portal").await.text().await.expect("body");
    assert_eq!(texts(&html, "h2"), ["Open", "Resolved and closed"]);
    assert_eq!(
        texts(&html, ".ticket-subject"),
        ["Backup restore", "Old invoice question"]
    );
    assert!(texts(&html, ".ticket-row")[0].contains("Support replied"));

    let html = anna
        .get("/portal?q=restored")
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(
        texts(&html, ".ticket-subject"),
        ["Backup restore"],
        "searches message text too"
    );
    let html = anna.get("/portal?q=zzz").await.text().await.expect("body");
    assert!(texts(&html, ".empty")[0].contains("zzz"));

    // Keyset pages of 25.
    let anna_id: UserId =
        sqlx::query_scalar("select user_id from user_emails where email = 'anna@example.com'")
            .fetch_one(&db)
            .await
            .expect("anna");
    for i in 0..26 {
        fixtures::ticket(&db, tech, anna_id, &format!("Bulk {i}")).await;
    }
    let html = anna.get("/portal").await.text().await.expect("body");
    let first_page = texts(&html, ".ticket-subject");
    assert_eq!(first_page.len(), 25);
    let next = attr(&html, "a[rel=next]", "href").expect("next page");
    let html = anna.get(&next).await.text().await.expect("body");
    let second_page = texts(&html, ".ticket-subject");
    assert_eq!(second_page.len(), 3);
    assert!(second_page.iter().all(|s| !first_page.contains(s)));
    assert_eq!(
        second_page.last().map(String::as_str),
        Some("Old invoice question")
    );
}

#[sqlx::test]
async fn other_customers_tickets_and_internal_notes_do_not_exist(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = customer(&app, "anna@example.com").await;
    let boris = customer(&app, "boris@example.com").await;
    let number = open(&anna, "Private", "secret body", &[("secret.png", PNG)]).await;
    let html = anna
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("body");
    let attachment = attr(&html, ".chip a", "href").expect("attachment link");

    for path in [
        format!("/portal/tickets/{number}"),
        attachment.clone(),
        "/portal/tickets/999999".into(),
        "/portal/tickets/abc".into(),
    ] {
        assert_eq!(
            boris.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    for path in ["reply", "close", "rating"] {
        let res = match path {
            "reply" => {
                boris
                    .post_multipart(
                        &format!("/portal/tickets/{number}/{path}"),
                        Form::new().text("body", "hi"),
                    )
                    .await
            }
            _ => {
                boris
                    .post_form(
                        &format!("/portal/tickets/{number}/{path}"),
                        &[("stars", "1")],
                    )
                    .await
            }
        };
        assert_eq!(res.status(), StatusCode::NOT_FOUND, "{path}");
    }
    assert_eq!(status(&db, number).await, Status::Open, "nothing changed");
    let anonymous = app.another_browser();
    assert_redirect(
        &anonymous.get(&format!("/portal/tickets/{number}")).await,
        "/login",
    );
    assert_eq!(
        anonymous.get(&attachment).await.status(),
        StatusCode::NOT_FOUND
    );

    // An internal note and its file are invisible to the customer.
    let id = ticket_id(&db, number).await;
    let sha: String = sqlx::query_scalar("select blob_sha256 from attachments limit 1")
        .fetch_one(&db)
        .await
        .expect("sha");
    let file = bilet::service::tickets::NewFile {
        sha256: sha,
        size: PNG.len() as i64,
        filename: "note.png".into(),
        content_type: "image/png".into(),
        content_id: None,
        inline: false,
    };
    let post = bilet::service::tickets::Post {
        files: vec![file],
        author: None,
        notify: false,
        ..bilet::service::tickets::Post::web(Kind::Note, UserId::new(), "customer seems angry", &[])
    };
    fixtures::change_in(
        &app.state,
        id,
        bilet::service::tickets::Change::message(post),
    )
    .await;
    let note_file: bilet::domain::ids::AttachmentId =
        sqlx::query_scalar("select id from attachments where filename = 'note.png'")
            .fetch_one(&db)
            .await
            .expect("file");
    let html = anna
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(!html.contains("customer seems angry"));
    assert_eq!(
        anna.get(&format!("/attachments/{note_file}"))
            .await
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test]
async fn replies_reopen_and_late_replies_open_a_linked_ticket(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = customer(&app, "anna@example.com").await;
    let number = open(&anna, "VPN drops", "b", &[]).await;
    let id = ticket_id(&db, number).await;

    fixtures::set_status(&db, id, Status::Resolved, time::Duration::ZERO).await;
    let html = anna
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(html.contains("Replying reopens it"));
    let res = anna
        .post_multipart(
            &format!("/portal/tickets/{number}/reply"),
            Form::new().text("body", "Still drops"),
        )
        .await;
    assert_redirect(&res, &format!("/portal/tickets/{number}"));
    assert_eq!(status(&db, number).await, Status::Open);

    let empty = anna
        .post_multipart(
            &format!("/portal/tickets/{number}/reply"),
            Form::new().text("body", "  "),
        )
        .await;
    assert_eq!(empty.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        empty
            .text()
            .await
            .expect("body")
            .contains("Describe the problem")
    );

    fixtures::set_status(&db, id, Status::Closed, time::Duration::days(45)).await;
    sqlx::query("update tickets set resolved_at = closed_at where id = $1")
        .bind(id)
        .execute(&db)
        .await
        .expect("resolved when closed");
    let res = anna
        .post_multipart(
            &format!("/portal/tickets/{number}/reply"),
            Form::new().text("body", "Back again"),
        )
        .await;
    let new = number_in(&TestApp::location(&res));
    assert_ne!(new, number);
    assert_eq!(
        status(&db, number).await,
        Status::Closed,
        "the old ticket stays closed"
    );
    let html = anna
        .get(&format!("/portal/tickets/{new}"))
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(texts(&html, "h1"), ["VPN drops"]);
    assert!(
        texts(&html, ".callout")
            .join(" ")
            .contains(&format!("#{number}"))
    );
    let html = anna
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(
        texts(&html, ".callout")
            .join(" ")
            .contains(&format!("#{new}"))
    );
}

#[sqlx::test]
async fn customers_close_and_rate_once_changeable_for_a_day(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = customer(&app, "anna@example.com").await;
    let number = open(&anna, "Slow site", "b", &[]).await;

    // No rating while it is open.
    let res = anna
        .post_form(
            &format!("/portal/tickets/{number}/rating"),
            &[("stars", "5")],
        )
        .await;
    assert_redirect(&res, &format!("/portal/tickets/{number}"));
    let ratings: i64 = sqlx::query_scalar("select count(*) from ratings")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(ratings, 0);

    assert_redirect(
        &anna
            .post_form(&format!("/portal/tickets/{number}/close"), &[])
            .await,
        &format!("/portal/tickets/{number}"),
    );
    assert_eq!(status(&db, number).await, Status::Closed);
    let actor: Option<UserId> =
        sqlx::query_scalar("select actor_id from ticket_history where change = 'status'")
            .fetch_one(&db)
            .await
            .expect("history");
    assert!(actor.is_some());

    let bad = anna
        .post_form(
            &format!("/portal/tickets/{number}/rating"),
            &[("stars", "9")],
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    anna.post_form(
        &format!("/portal/tickets/{number}/rating"),
        &[("stars", "3"), ("comment", "ok")],
    )
    .await;
    anna.post_form(
        &format!("/portal/tickets/{number}/rating"),
        &[("stars", "5"), ("comment", "great after all")],
    )
    .await;
    let (stars, comment): (i16, String) = sqlx::query_as("select stars, comment from ratings")
        .fetch_one(&db)
        .await
        .expect("rating");
    assert_eq!((stars, comment.as_str()), (5, "great after all"));

    sqlx::query("update ratings set created_at = now() - interval '2 days'")
        .execute(&db)
        .await
        .expect("age");
    let res = anna
        .post_form(
            &format!("/portal/tickets/{number}/rating"),
            &[("stars", "1")],
        )
        .await;
    assert_eq!(TestApp::notice(&res).as_deref(), Some("rating-fixed"));
    let stars: i16 = sqlx::query_scalar("select stars from ratings")
        .fetch_one(&db)
        .await
        .expect("rating");
    assert_eq!(stars, 5);
    let html = anna
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(texts(&html, ".rating").join(" ").contains("5 out of 5"));
}

#[sqlx::test]
async fn single_replies_can_be_rated_when_enabled(db: PgPool) {
    let app = TestApp::spawn_with(db.clone(), |c| c.tickets.rate_replies = true).await;
    fixtures::department(&db, "tech").await;
    let agent = fixtures::user(
        &db,
        "ana@support.test",
        bilet::domain::users::Role::Agent,
        &[],
    )
    .await;
    let anna = customer(&app, "anna@example.com").await;
    let number = open(&anna, "Question", "b", &[]).await;
    agent_says(&db, number, agent, "Answer").await;
    let html = anna
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("body");
    let message =
        attr(&html, ".inline-rating input[name=message]", "value").expect("per-reply rating");
    anna.post_form(
        &format!("/portal/tickets/{number}/rating"),
        &[("stars", "4"), ("message", &message)],
    )
    .await;
    let (stars, agent_id): (i16, Option<UserId>) =
        sqlx::query_as("select stars, agent_id from ratings where message_id is not null")
            .fetch_one(&db)
            .await
            .expect("rating");
    assert_eq!((stars, agent_id), (4, Some(agent)));
}

#[sqlx::test]
async fn signed_links_open_one_ticket_until_revoked(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = customer(&app, "anna@example.com").await;
    let number = open(&anna, "Linked", "b", &[("a.png", PNG)]).await;
    let other = open(&anna, "Other", "b", &[]).await;
    let id = ticket_id(&db, number).await;
    let ack = store::outbox::list_for_ticket(&db, id)
        .await
        .expect("outbox")
        .remove(0);
    let link = ack
        .body_text
        .lines()
        .find(|l| l.contains("/l/"))
        .expect("link line")
        .trim()
        .to_string();
    let path = link.trim_start_matches("http://127.0.0.1:8080");

    let phone = app.another_browser();
    let res = phone.get(path).await;
    assert_redirect(&res, &format!("/portal/tickets/{number}"));
    let html = phone
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("body");
    assert_eq!(texts(&html, "h1"), ["Linked"]);
    let file = attr(&html, ".chip a", "href").expect("file");
    assert_eq!(phone.get(&file).await.status(), StatusCode::OK);
    // It opens that ticket only.
    assert_redirect(
        &phone.get(&format!("/portal/tickets/{other}")).await,
        "/login",
    );
    assert_redirect(&phone.get("/portal").await, "/login");
    // Replying through the link works (with the form's token).
    let res = phone
        .post_multipart(
            &format!("/portal/tickets/{number}/reply"),
            Form::new().text("body", "from my phone"),
        )
        .await;
    assert_redirect(&res, &format!("/portal/tickets/{number}"));

    // A password change revokes it.
    anna.post_form(
        "/account/password",
        &[("current", PASSWORD), ("new", "another long passphrase")],
    )
    .await;
    assert_redirect(
        &phone.get(&format!("/portal/tickets/{number}")).await,
        "/login",
    );
    assert_redirect(&app.another_browser().get(path).await, "/login");
}

#[sqlx::test]
async fn customers_who_only_wrote_mail_can_claim_their_address(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let id = UserId::new();
    let mut conn = db.acquire().await.expect("conn");
    store::users::insert(
        &mut conn,
        store::users::NewUser {
            id,
            role: bilet::domain::users::Role::Customer,
            name: "Пётр",
            email: "petr@example.ru",
            password_hash: None,
            must_change_password: false,
            locale: Some("ru"),
        },
    )
    .await
    .expect("mail-only customer");

    let res = app
        .post_form("/claim", &[("email", "nobody@example.ru")])
        .await;
    assert_redirect(&res, "/claim");
    let res = app
        .post_form("/claim", &[("email", "Petr@Example.ru")])
        .await;
    // The same answer for both: the mail is queued after the response.
    assert_redirect(&res, "/claim");
    let mut mails = Vec::new();
    for _ in 0..100 {
        mails = store::outbox::list_to(&db, "petr@example.ru")
            .await
            .expect("outbox");
        if !mails.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(mails.len(), 1);
    assert!(
        store::outbox::list_to(&db, "nobody@example.ru")
            .await
            .expect("outbox")
            .is_empty(),
        "nothing is mailed to an address that never wrote in"
    );
    assert_eq!(mails[0].subject, "Установка пароля для службы поддержки");
    let link = mails[0]
        .body_text
        .lines()
        .find(|l| l.contains("/claim/"))
        .expect("link")
        .trim()
        .to_string();
    let path = link.trim_start_matches("http://127.0.0.1:8080").to_string();

    // Opening the link changes nothing; the form's POST does.
    let html = app.get(&path).await.text().await.expect("body");
    assert_eq!(attr(&html, "input#name", "value").as_deref(), Some("Пётр"));
    let has_password: bool =
        sqlx::query_scalar("select password_hash is not null from users where id = $1")
            .bind(id)
            .fetch_one(&db)
            .await
            .expect("user");
    assert!(!has_password);
    let res = app
        .post_form(&path, &[("name", "Пётр Иванов"), ("password", "short")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let res = app
        .post_form(
            &path,
            &[("name", "Пётр Иванов"), ("password", "мой длинный пароль")],
        )
        .await;
    assert_redirect(&res, "/portal");
    assert_eq!(app.get("/portal").await.status(), StatusCode::OK);
    // The link works once.
    assert_eq!(
        app.another_browser().get(&path).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[sqlx::test]
async fn message_text_is_escaped(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = customer(&app, "anna@example.com").await;
    let number = open(
        &anna,
        "<img src=x onerror=alert(1)>",
        "<script>alert(1)</script>",
        &[],
    )
    .await;
    let html = anna
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("body");
    assert!(!html.contains("<script>alert(1)"));
    assert!(!html.contains("<img src=x"));
    assert!(html.contains("&lt;script&gt;"));
}

#[sqlx::test]
async fn customers_read_statuses_in_their_own_words(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = customer(&app, "anna@example.com").await;
    let n = open(&anna, "Mail bounces", "b", &[]).await;
    let id = ticket_id(&db, n).await;
    fixtures::set_status(&db, id, Status::Pending, time::Duration::ZERO).await;
    let page = anna
        .get(&format!("/portal/tickets/{n}"))
        .await
        .text()
        .await
        .expect("page");
    assert_eq!(
        texts(&page, ".pill.status-pending"),
        ["Waiting for your reply"]
    );
    let list = anna.get("/portal").await.text().await.expect("list");
    assert_eq!(
        texts(&list, ".pill.status-pending"),
        ["Waiting for your reply"]
    );
    anna.post_form("/locale", &[("lang", "ru"), ("back", "/portal")])
        .await;
    let page = anna
        .get(&format!("/portal/tickets/{n}"))
        .await
        .text()
        .await
        .expect("page");
    assert_eq!(texts(&page, ".pill.status-pending"), ["Ждёт вашего ответа"]);
    assert!(!page.contains("Ждёт ответа клиента"), "the agents' word");
}

#[sqlx::test]
async fn a_refused_file_says_what_it_is_and_kept_files_can_be_left_out(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = customer(&app, "anna@example.com").await;
    let topic = topic(&anna).await;
    let form = Form::new()
        .text("topic", &topic)
        .text("subject", "")
        .text("body", "Скриншот и лог")
        .file("files", "boot.log", b"kernel: panic\n")
        .file(
            "files",
            "screenshot.png",
            b"\x7fELF\x02\x01\x01\0\0\0\0\0\0\0\0\0\x02\0>\0",
        );
    let res = anna.post_multipart("/portal/tickets", form).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    let summary = texts(&html, ".error-summary li").join(" | ");
    assert!(
        summary.contains("screenshot.png is not a PNG image: it is a program."),
        "{summary}"
    );
    // The kept file is a ticked box: sent again without it, it is left out.
    assert_eq!(
        attr(&html, "input[type=checkbox][name=staged]", "checked").as_deref(),
        Some("")
    );
    let form = Form::new()
        .text("topic", &topic)
        .text("subject", "Скриншот")
        .text("body", "Скриншот и лог")
        .text("confirm_new", "1");
    let res = anna.post_multipart("/portal/tickets", form).await;
    let number = number_in(&TestApp::location(&res));
    let page = anna
        .get(&format!("/portal/tickets/{number}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        texts(&page, ".chip").is_empty(),
        "the unticked file is not attached"
    );
    // The same refusal in Russian.
    anna.post_form("/locale", &[("lang", "ru"), ("back", "/portal")])
        .await;
    let form = Form::new()
        .text("topic", &topic)
        .text("subject", "s")
        .text("body", "b")
        .file("files", "shot.png", b"PK\x03\x04\x14\0\0\0\x08\0");
    let html = anna
        .post_multipart("/portal/tickets", form)
        .await
        .text()
        .await
        .expect("body");
    assert!(
        texts(&html, ".error-summary li")
            .join(" ")
            .contains("shot.png — не изображение PNG: это архив."),
        "{html}"
    );
}

#[sqlx::test]
async fn a_pasted_long_subject_is_refused_and_kept_not_cut(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = customer(&app, "anna@example.com").await;
    let form = anna
        .get("/portal/tickets/new")
        .await
        .text()
        .await
        .expect("form");
    assert!(
        attr(&form, "input#subject", "maxlength").is_none(),
        "no silent cut"
    );
    assert!(
        texts(&form, "#subject-hint")
            .join(" ")
            .contains("At most 200 characters")
    );
    let long = "сервер не отвечает ".repeat(600);
    let res = anna
        .post_multipart(
            "/portal/tickets",
            Form::new()
                .text("topic", &topic(&anna).await)
                .text("subject", &long)
                .text("body", "b"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("page");
    assert!(texts(&html, ".error-summary li").join(" ").contains("200"));
    assert_eq!(
        attr(&html, "input#subject", "value").as_deref(),
        Some(long.as_str())
    );
}
