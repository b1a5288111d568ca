//! The agent workspace over HTTP: access by department and level from every
//! entry point, replies with signatures and canned responses, notes, stale
//! pages, transfer, split, merge, tickets for customers, queues, live events.

use std::time::Duration;

use bilet::domain::access::AccessLevel::{self, Manage, Read, Reply};
use bilet::domain::ids::{TicketNumber, UserId};
use bilet::domain::status::Status;
use bilet::domain::users::Role;
use bilet::store;
use futures_util::StreamExt;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{Form, PNG, TestApp, assert_redirect, attr, fixtures, texts};

const PASSWORD: &str = "correct horse battery";

struct Desk {
    app: TestApp,
    customer: TestApp,
    tech_ticket: TicketNumber,
    billing_ticket: TicketNumber,
}

/// Departments tech and billing, a customer with a ticket in each (the
/// tech one with a screenshot), a signature on tech.
async fn desk(db: &PgPool) -> Desk {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(db, "tech").await;
    fixtures::department(db, "billing").await;
    sqlx::query("update departments set signature = 'Best regards,\n{{agent.name}}, {{department.name}}\nTicket #{{ticket.number}} for {{customer.name}}' where slug = 'tech'")
        .execute(db)
        .await
        .expect("signature");
    let customer = app.another_browser();
    assert_redirect(
        &customer
            .register("anna@example.com", "Anna Petrova", PASSWORD)
            .await,
        "/portal",
    );
    let html = customer
        .get("/portal/tickets/new")
        .await
        .text()
        .await
        .expect("form");
    let choices: Vec<String> = {
        let doc = scraper::Html::parse_document(&html);
        let sel = scraper::Selector::parse("input[name=topic]").expect("sel");
        doc.select(&sel)
            .filter_map(|e| e.value().attr("value").map(str::to_string))
            .collect()
    };
    let names = texts(&html, ".choice strong");
    let topic = |name: &str| choices[names.iter().position(|n| n == name).expect("choice")].clone();
    let open = |topic: String, subject: &'static str, file: bool| {
        let customer = &customer;
        async move {
            let mut form = Form::new()
                .text("topic", &topic)
                .text("subject", subject)
                .text("body", "Please help")
                .text("confirm_new", "1");
            if file {
                form = form.file("files", "screen.png", PNG);
            }
            let res = customer.post_multipart("/portal/tickets", form).await;
            TestApp::location(&res)
                .trim_start_matches("/portal/tickets/")
                .split('?')
                .next()
                .and_then(|n| n.parse().ok())
                .expect("number")
        }
    };
    let tech_ticket = open(topic("TECH"), "Server down", true).await;
    let billing_ticket = open(topic("BILLING"), "Invoice wrong", false).await;
    Desk {
        app,
        customer,
        tech_ticket,
        billing_ticket,
    }
}

async fn agent(app: &TestApp, email: &str, role: Role, grants: &[(&str, AccessLevel)]) -> TestApp {
    let browser = app.another_browser();
    let pw = app.create_account(email, role, grants).await;
    browser.login_and_set_password(email, &pw, PASSWORD).await;
    browser
}

async fn version(db: &PgPool, number: TicketNumber) -> String {
    let v: i32 = sqlx::query_scalar("select version from tickets where number = $1")
        .bind(number)
        .fetch_one(db)
        .await
        .expect("version");
    v.to_string()
}

async fn ticket_status(db: &PgPool, number: TicketNumber) -> Status {
    sqlx::query_scalar("select status from tickets where number = $1")
        .bind(number)
        .fetch_one(db)
        .await
        .expect("status")
}

async fn reply(
    agent: &TestApp,
    db: &PgPool,
    number: TicketNumber,
    body: &str,
) -> reqwest::Response {
    let v = version(db, number).await;
    agent
        .post_multipart(
            &format!("/agent/tickets/{number}/reply"),
            Form::new()
                .text("version", &v)
                .text("body", body)
                .text("then", "pending")
                .text("action", "send"),
        )
        .await
}

#[sqlx::test]
async fn agents_never_reach_other_departments_by_any_url(db: PgPool) {
    let d = desk(&db).await;
    let ana = agent(&d.app, "ana@support.test", Role::Agent, &[("tech", Manage)]).await;
    let b = d.billing_ticket;
    let html = ana
        .get(&format!("/agent/tickets/{}", d.tech_ticket))
        .await
        .text()
        .await
        .expect("page");
    let file = attr(&html, ".chip a", "href").expect("attachment");
    assert_eq!(ana.get(&file).await.status(), StatusCode::OK);

    for path in [
        format!("/agent/tickets/{b}"),
        format!("/agent/tickets/{b}/timeline"),
        format!("/agent/stream?ticket={b}"),
    ] {
        assert_eq!(
            ana.get(&path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let res = reply(&ana, &db, b, "hi").await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    for action in [
        "status", "priority", "assign", "transfer", "merge", "split", "presence",
    ] {
        let res = ana
            .post_form(
                &format!("/agent/tickets/{b}/{action}"),
                &[("version", "1"), ("value", "closed")],
            )
            .await;
        assert!(
            matches!(res.status().as_u16(), 404 | 422),
            "{action}: {}",
            res.status()
        );
    }
    assert_eq!(ticket_status(&db, b).await, Status::Open);

    // Billing's files are out of reach too.
    let billing = agent(
        &d.app,
        "bo@support.test",
        Role::Agent,
        &[("billing", Manage), ("tech", Read)],
    )
    .await;
    let html = billing
        .get(&format!("/agent/tickets/{}", d.tech_ticket))
        .await
        .text()
        .await
        .expect("page");
    assert!(html.contains("Server down"));
    let only_tech = agent(&d.app, "cy@support.test", Role::Agent, &[("billing", Read)]).await;
    assert_eq!(only_tech.get(&file).await.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test]
async fn read_level_agents_see_but_cannot_act(db: PgPool) {
    let d = desk(&db).await;
    let reader = agent(&d.app, "read@support.test", Role::Agent, &[("tech", Read)]).await;
    let n = d.tech_ticket;
    let html = reader
        .get(&format!("/agent/tickets/{n}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(texts(&html, ".callout").join(" ").contains("not answer"));
    assert!(attr(&html, ".reply-form", "action").is_none());
    assert_eq!(
        reply(&reader, &db, n, "hello").await.status(),
        StatusCode::FORBIDDEN
    );
    let v = version(&db, n).await;
    let res = reader
        .post_multipart(
            &format!("/agent/tickets/{n}/note"),
            Form::new().text("version", &v).text("body", "x"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let res = reader
        .post_form(
            &format!("/agent/tickets/{n}/status"),
            &[("version", &v), ("value", "resolved")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::FORBIDDEN);
    let messages: i64 = sqlx::query_scalar("select count(*) from messages")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(messages, 2);
}

#[sqlx::test]
async fn replies_carry_the_signature_are_mailed_and_assign_the_ticket(db: PgPool) {
    let d = desk(&db).await;
    let ana = agent(&d.app, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let n = d.tech_ticket;
    let html = ana
        .get(&format!("/agent/tickets/{n}"))
        .await
        .text()
        .await
        .expect("page");
    let preview = texts(&html, ".signature-preview pre").join("");
    assert_eq!(
        preview,
        format!("Best regards,\nana, TECH\nTicket #{n} for Anna Petrova")
    );

    let res = reply(&ana, &db, n, "We restarted the server.").await;
    assert_redirect(&res, &format!("/agent/tickets/{n}"));
    assert_eq!(ticket_status(&db, n).await, Status::Pending);
    let (body, mail_id): (String, Option<String>) =
        sqlx::query_as("select body_text, mail_message_id from messages where kind = 'agent'")
            .fetch_one(&db)
            .await
            .expect("message");
    assert!(
        body.starts_with("We restarted the server.\n\nBest regards,\nana, TECH"),
        "{body}"
    );
    let id: bilet::domain::ids::TicketId =
        sqlx::query_scalar("select id from tickets where number = $1")
            .bind(n)
            .fetch_one(&db)
            .await
            .expect("id");
    let mails = store::outbox::list_for_ticket(&db, id)
        .await
        .expect("outbox");
    let mail = mails
        .iter()
        .find(|m| m.kind == "reply")
        .expect("reply mail");
    assert_eq!(mail.recipients, ["anna@example.com"]);
    assert_eq!(mail.from_name.as_deref(), Some("ana"));
    assert_eq!(mail.subject, format!("[#{n}] Server down"));
    assert_eq!(
        Some(mail.mail_message_id.clone()),
        mail_id,
        "the message remembers its Message-ID"
    );
    assert!(mail.body_text.contains("We restarted the server."));
    assert!(
        mail.headers.get("Auto-Submitted").is_none(),
        "a person's reply is not automatic"
    );
    let assignee: Option<UserId> =
        sqlx::query_scalar("select assignee_id from tickets where number = $1")
            .bind(n)
            .fetch_one(&db)
            .await
            .expect("assignee");
    assert!(assignee.is_some(), "answering takes the ticket");

    // The customer sees it signed by support.
    let html = d
        .customer
        .get(&format!("/portal/tickets/{n}"))
        .await
        .text()
        .await
        .expect("portal");
    assert!(
        texts(&html, ".from-support .message-head strong")
            .iter()
            .any(|a| a == "Support — ana")
    );
}

#[sqlx::test]
async fn canned_responses_are_filled_in_and_inserted_without_sending(db: PgPool) {
    let d = desk(&db).await;
    let tech: bilet::domain::ids::DepartmentId =
        sqlx::query_scalar("select id from departments where slug = 'tech'")
            .fetch_one(&db)
            .await
            .expect("tech");
    let billing: bilet::domain::ids::DepartmentId =
        sqlx::query_scalar("select id from departments where slug = 'billing'")
            .fetch_one(&db)
            .await
            .expect("billing");
    let admin: UserId = fixtures::user(&db, "root@support.test", Role::Admin, &[]).await;
    store::canned::insert(&db, None, "Greeting", "Hello {{customer.name}},", admin)
        .await
        .expect("canned");
    store::canned::insert(
        &db,
        Some(tech),
        "Restarted",
        "We restarted it (ticket {{ticket.number}}).",
        admin,
    )
    .await
    .expect("canned");
    store::canned::insert(&db, Some(billing), "Refund", "Refund issued.", admin)
        .await
        .expect("canned");
    let ana = agent(&d.app, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let n = d.tech_ticket;
    let html = ana
        .get(&format!("/agent/tickets/{n}"))
        .await
        .text()
        .await
        .expect("page");
    let titles: Vec<String> = {
        let doc = scraper::Html::parse_document(&html);
        let sel = scraper::Selector::parse("#canned-titles option").expect("sel");
        doc.select(&sel)
            .filter_map(|o| o.value().attr("value").map(str::to_string))
            .collect()
    };
    assert_eq!(
        titles,
        ["Greeting", "Restarted"],
        "global and this department's only, in the one box's list"
    );
    let data = texts(&html, "#canned-data").join("");
    assert!(data.contains("Hello Anna Petrova,"), "{data}");

    // Typed, not picked: part of a title is enough without JavaScript.
    let restarted = "restart";
    let v = version(&db, n).await;
    let res = ana
        .post_multipart(
            &format!("/agent/tickets/{n}/reply"),
            Form::new()
                .text("version", &v)
                .text("body", "Hi!")
                .text("canned", restarted)
                .text("action", "insert"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("page");
    assert_eq!(
        texts(&html, "#body"),
        [format!("Hi!\n\nWe restarted it (ticket {n}).")]
    );
    // An empty reply: the summary's link lands on the reply box.
    let res = ana
        .post_multipart(
            &format!("/agent/tickets/{n}/reply"),
            Form::new().text("version", &v).text("body", "  "),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    crate::harness::assert_summary_links_land(&res.text().await.expect("page"));
    let agent_messages: i64 =
        sqlx::query_scalar("select count(*) from messages where kind = 'agent'")
            .fetch_one(&db)
            .await
            .expect("count");
    assert_eq!(agent_messages, 0, "inserting sends nothing");
}

#[sqlx::test]
async fn a_stale_page_cannot_overwrite_newer_work(db: PgPool) {
    let d = desk(&db).await;
    let ana = agent(&d.app, "ana@support.test", Role::Agent, &[("tech", Manage)]).await;
    let n = d.tech_ticket;
    let old = version(&db, n).await;
    d.customer
        .post_multipart(
            &format!("/portal/tickets/{n}/reply"),
            Form::new().text("body", "Any news?"),
        )
        .await;

    let res = ana
        .post_multipart(
            &format!("/agent/tickets/{n}/reply"),
            Form::new()
                .text("version", &old)
                .text("body", "Fixed, I think")
                .text("action", "send"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::CONFLICT);
    let html = res.text().await.expect("page");
    assert!(
        texts(&html, ".error-summary")
            .join(" ")
            .contains("changed while you were writing")
    );
    assert_eq!(
        texts(&html, "#body"),
        ["Fixed, I think"],
        "the text is kept"
    );
    assert!(html.contains("Any news?"), "and the new message is shown");
    let res = ana
        .post_form(
            &format!("/agent/tickets/{n}/status"),
            &[("version", &old), ("value", "resolved")],
        )
        .await;
    assert_eq!(TestApp::notice(&res).as_deref(), Some("stale"));
    assert_eq!(ticket_status(&db, n).await, Status::Open);
    // With the page's new version it goes through.
    let fresh = attr(&html, ".reply-form input[name=version]", "value").expect("version");
    let res = ana
        .post_multipart(
            &format!("/agent/tickets/{n}/reply"),
            Form::new()
                .text("version", &fresh)
                .text("body", "Fixed, I think")
                .text("action", "send"),
        )
        .await;
    assert_redirect(&res, &format!("/agent/tickets/{n}"));
}

#[sqlx::test]
async fn notes_stay_internal(db: PgPool) {
    let d = desk(&db).await;
    let ana = agent(&d.app, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let n = d.tech_ticket;
    let v = version(&db, n).await;
    let res = ana
        .post_multipart(
            &format!("/agent/tickets/{n}/note"),
            Form::new()
                .text("version", &v)
                .text("body", "Customer on old plan")
                .file("files", "n.png", PNG),
        )
        .await;
    assert_redirect(&res, &format!("/agent/tickets/{n}"));
    let html = ana
        .get(&format!("/agent/tickets/{n}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        texts(&html, ".message.note")
            .join(" ")
            .contains("Internal note")
    );
    let html = d
        .customer
        .get(&format!("/portal/tickets/{n}"))
        .await
        .text()
        .await
        .expect("portal");
    assert!(!html.contains("Customer on old plan"));
    let mails: i64 =
        sqlx::query_scalar("select count(*) from outbox where kind not in ('ack', 'verify')")
            .fetch_one(&db)
            .await
            .expect("count");
    assert_eq!(mails, 0, "a note is never mailed");
    assert_eq!(ticket_status(&db, n).await, Status::Open);
}

#[sqlx::test]
async fn a_transfer_takes_the_ticket_away_from_agents_without_access(db: PgPool) {
    let d = desk(&db).await;
    let ana = agent(&d.app, "ana@support.test", Role::Agent, &[("tech", Manage)]).await;
    let bo = agent(
        &d.app,
        "bo@support.test",
        Role::Agent,
        &[("billing", Reply)],
    )
    .await;
    let n = d.tech_ticket;
    let billing = attr(
        &ana.get(&format!("/agent/tickets/{n}"))
            .await
            .text()
            .await
            .expect("page"),
        "#set-department option:not([selected])",
        "value",
    )
    .expect("billing option");
    let v = version(&db, n).await;
    let res = ana
        .post_form(
            &format!("/agent/tickets/{n}/transfer"),
            &[
                ("version", &v),
                ("value", &billing),
                ("note", "This is about money"),
            ],
        )
        .await;
    assert_redirect(&res, "/agent");
    assert_eq!(TestApp::notice(&res).as_deref(), Some("transferred-away"));
    assert_eq!(
        ana.get(&format!("/agent/tickets/{n}")).await.status(),
        StatusCode::NOT_FOUND
    );
    let html = bo
        .get(&format!("/agent/tickets/{n}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        texts(&html, ".event")
            .join(" ")
            .contains("transferred it from TECH to BILLING")
    );
    assert!(
        texts(&html, ".message.note")
            .join(" ")
            .contains("This is about money")
    );
    let changes: i64 =
        sqlx::query_scalar("select count(*) from ticket_history where change = 'department'")
            .fetch_one(&db)
            .await
            .expect("history");
    assert_eq!(changes, 1);
}

#[sqlx::test]
async fn split_moves_one_message_into_a_linked_ticket(db: PgPool) {
    let d = desk(&db).await;
    let ana = agent(&d.app, "ana@support.test", Role::Agent, &[("tech", Manage)]).await;
    let n = d.tech_ticket;
    d.customer
        .post_multipart(
            &format!("/portal/tickets/{n}/reply"),
            Form::new().text("body", "Also, my invoice is wrong"),
        )
        .await;
    let html = ana
        .get(&format!("/agent/tickets/{n}"))
        .await
        .text()
        .await
        .expect("page");
    let doc = scraper::Html::parse_document(&html);
    let sel = scraper::Selector::parse("#split-message option").expect("sel");
    let second = doc
        .select(&sel)
        .nth(1)
        .and_then(|o| o.value().attr("value"))
        .expect("second message")
        .to_string();
    // First the new ticket's subject is asked for, prefilled; nothing moves.
    let res = ana
        .post_form(
            &format!("/agent/tickets/{n}/split"),
            &[("version", "0"), ("value", &second)],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let ask = res.text().await.expect("subject page");
    let proposed = attr(&ask, "input[name=subject]", "value").expect("subject field");
    assert!(!proposed.is_empty(), "the subject is prefilled");
    // An emptied subject is refused beside the field, nothing split.
    let res = ana
        .post_form(
            &format!("/agent/tickets/{n}/split"),
            &[("value", &second), ("subject", "  "), ("confirm", "1")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let again = res.text().await.expect("page");
    assert_eq!(texts(&again, ".field-error"), ["Enter a subject."]);
    let res = ana
        .post_form(
            &format!("/agent/tickets/{n}/split"),
            &[
                ("value", &second),
                ("subject", "Invoice is wrong"),
                ("confirm", "1"),
            ],
        )
        .await;
    let location = TestApp::location(&res);
    let new: TicketNumber = location
        .trim_start_matches("/agent/tickets/")
        .split('?')
        .next()
        .and_then(|x| x.parse().ok())
        .expect("new ticket");
    let html = ana
        .get(&format!("/agent/tickets/{new}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(
        texts(&html, ".message-body")
            .join(" ")
            .contains("Also, my invoice is wrong")
    );
    // Only the true direction on each side.
    assert_eq!(texts(&html, ".links li"), [format!("Split from #{n}")]);
    assert_eq!(texts(&html, "h1"), ["Invoice is wrong"]);
    assert!(
        texts(&html, "#timeline .event")[0].contains(&format!("split this off ticket #{n}")),
        "the new timeline starts with where it came from"
    );
    let html = ana
        .get(&format!("/agent/tickets/{n}"))
        .await
        .text()
        .await
        .expect("page");
    assert_eq!(texts(&html, ".message").len(), 1);
    assert_eq!(texts(&html, ".links li"), [format!("Split into #{new}")]);
    let same: bool = sqlx::query_scalar("select a.requester_id = b.requester_id from tickets a, tickets b where a.number = $1 and b.number = $2")
        .bind(n)
        .bind(new)
        .fetch_one(&db)
        .await
        .expect("requesters");
    assert!(same);
    // The customer follows both, and is told why there are two.
    let res = d.customer.get(&format!("/portal/tickets/{new}")).await;
    assert_eq!(res.status(), StatusCode::OK);
    let portal = res.text().await.expect("portal");
    assert!(
        texts(&portal, ".callout")
            .join(" ")
            .contains(&format!("moved your message from ticket #{n}")),
        "{portal}"
    );
}

#[sqlx::test]
async fn the_properties_panel_saves_what_changed_in_one_write(db: PgPool) {
    let d = desk(&db).await;
    let ana = agent(&d.app, "ana@support.test", Role::Agent, &[("tech", Manage)]).await;
    let n = d.tech_ticket;
    let html = ana
        .get(&format!("/agent/tickets/{n}"))
        .await
        .text()
        .await
        .expect("page");
    let form = |name: &str| {
        attr(
            &html,
            &format!(".props-form select[name={name}] option[selected]"),
            "value",
        )
        .unwrap_or_default()
    };
    let (department, assignee) = (form("department"), form("assignee"));
    assert!(!department.is_empty(), "the current department is chosen");
    let before: i32 = sqlx::query_scalar("select version from tickets where number = $1")
        .bind(n)
        .fetch_one(&db)
        .await
        .expect("version");
    // Two selects changed, one save (as without JavaScript): one write.
    let res = ana
        .post_form(
            &format!("/agent/tickets/{n}/properties"),
            &[
                ("version", &before.to_string()),
                ("status", "pending"),
                ("priority", "urgent"),
                ("assignee", &assignee),
                ("department", &department),
            ],
        )
        .await;
    assert_eq!(TestApp::notice(&res).as_deref(), Some("properties-saved"));
    let (status, priority, after): (String, String, i32) = sqlx::query_as(
        "select status::text, priority::text, version from tickets where number = $1",
    )
    .bind(n)
    .fetch_one(&db)
    .await
    .expect("ticket");
    assert_eq!((status.as_str(), priority.as_str()), ("pending", "urgent"));
    assert_eq!(after, before + 1, "one write, one version");
    // One changed select names its change; nothing changed says so.
    let res = ana
        .post_form(
            &format!("/agent/tickets/{n}/properties"),
            &[
                ("version", &after.to_string()),
                ("status", "pending"),
                ("priority", "low"),
                ("assignee", &assignee),
                ("department", &department),
            ],
        )
        .await;
    assert_eq!(TestApp::notice(&res).as_deref(), Some("priority-changed"));
    let res = ana
        .post_form(
            &format!("/agent/tickets/{n}/properties"),
            &[
                ("version", &(after + 1).to_string()),
                ("status", "pending"),
                ("priority", "low"),
                ("assignee", &assignee),
                ("department", &department),
            ],
        )
        .await;
    assert_eq!(TestApp::notice(&res).as_deref(), Some("nothing-changed"));
    // A stale version is refused.
    let res = ana
        .post_form(
            &format!("/agent/tickets/{n}/properties"),
            &[
                ("version", &before.to_string()),
                ("status", "open"),
                ("priority", "low"),
                ("assignee", &assignee),
                ("department", &department),
            ],
        )
        .await;
    assert_eq!(TestApp::notice(&res).as_deref(), Some("stale"));
}

#[sqlx::test]
async fn merge_moves_the_conversation_and_keeps_both_numbers_working(db: PgPool) {
    let d = desk(&db).await;
    let admin = agent(&d.app, "root@support.test", Role::Admin, &[]).await;
    let (from, into) = (d.billing_ticket, d.tech_ticket);
    let v = version(&db, from).await;
    // First a confirmation, a page of its own: nothing is merged yet.
    let res = admin
        .post_form(
            &format!("/agent/tickets/{from}/merge"),
            &[("version", &v), ("value", &format!("#{into}"))],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = res.text().await.expect("confirm");
    assert!(page.contains("cannot be undone"), "{page}");
    assert_eq!(
        attr(&page, "input[name=confirm]", "value").as_deref(),
        Some("1")
    );
    assert_eq!(ticket_status(&db, from).await, Status::Open);
    let res = admin
        .post_form(
            &format!("/agent/tickets/{from}/merge"),
            &[
                ("version", &v),
                ("value", &into.to_string()),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_redirect(&res, &format!("/agent/tickets/{into}"));
    let html = admin
        .get(&format!("/agent/tickets/{into}"))
        .await
        .text()
        .await
        .expect("page");
    assert_eq!(texts(&html, ".message").len(), 2);
    assert!(
        texts(&html, ".links")
            .join(" ")
            .contains(&format!("#{from}"))
    );
    assert_redirect(
        &admin.get(&format!("/agent/tickets/{from}")).await,
        &format!("/agent/tickets/{into}"),
    );
    assert_redirect(
        &d.customer.get(&format!("/portal/tickets/{from}")).await,
        &format!("/portal/tickets/{into}"),
    );
    assert_eq!(ticket_status(&db, from).await, Status::Closed);
    // Merging into itself or into the merged one is refused.
    let v = version(&db, into).await;
    let res = admin
        .post_form(
            &format!("/agent/tickets/{into}/merge"),
            &[
                ("version", &v),
                ("value", &from.to_string()),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_eq!(TestApp::notice(&res).as_deref(), Some("merge-target"));
}

#[sqlx::test]
async fn status_priority_and_assignee_changes_are_recorded(db: PgPool) {
    let d = desk(&db).await;
    let ana = agent(&d.app, "ana@support.test", Role::Agent, &[("tech", Manage)]).await;
    agent(
        &d.app,
        "bo@support.test",
        Role::Agent,
        &[("billing", Manage)],
    )
    .await;
    let n = d.tech_ticket;
    let post = |path: &'static str, value: String| {
        let ana = &ana;
        let db = &db;
        async move {
            let v = version(db, n).await;
            TestApp::notice(
                &ana.post_form(
                    &format!("/agent/tickets/{n}/{path}"),
                    &[("version", &v), ("value", &value)],
                )
                .await,
            )
            .unwrap_or_default()
        }
    };
    assert!(
        post("status", "resolved".into())
            .await
            .contains("status-changed")
    );
    assert!(
        post("priority", "urgent".into())
            .await
            .contains("priority-changed")
    );
    let assigned = post("assign", "me".into()).await;
    assert!(assigned.contains("assigned"), "{assigned}");
    let bo: UserId =
        sqlx::query_scalar("select user_id from user_emails where email = 'bo@support.test'")
            .fetch_one(&db)
            .await
            .expect("bo");
    assert!(
        post("assign", bo.to_string())
            .await
            .contains("assignee-no-access"),
        "bo does not work in tech"
    );
    let kinds: Vec<String> = sqlx::query_scalar(
        "select change::text from ticket_history where change <> 'created' order by id",
    )
    .fetch_all(&db)
    .await
    .expect("history");
    assert_eq!(kinds, ["status", "priority", "assignee"]);
    let html = ana
        .get(&format!("/agent/tickets/{n}"))
        .await
        .text()
        .await
        .expect("page");
    let events = texts(&html, ".event").join(" | ");
    assert!(
        events.contains("changed the status from Open to Resolved")
            && events.contains("set the priority to Urgent"),
        "{events}"
    );
}

#[sqlx::test]
async fn agents_open_tickets_for_customers(db: PgPool) {
    let d = desk(&db).await;
    let ana = agent(
        &d.app,
        "ana@support.test",
        Role::Agent,
        &[("tech", Reply), ("billing", Read)],
    )
    .await;
    let html = ana
        .get("/agent/tickets/new")
        .await
        .text()
        .await
        .expect("form");
    assert_eq!(
        texts(&html, "#department option"),
        ["TECH"],
        "only departments the agent may answer in"
    );
    let tech = attr(&html, "#department option", "value").expect("tech");
    let res = ana
        .post_multipart(
            "/agent/tickets",
            Form::new()
                .text("email", "Phone.Caller@Example.org")
                .text("name", "Пётр")
                .text("department", &tech)
                .text("subject", "Called about DNS")
                .text("body", "DNS does not resolve")
                .text("notify", "1"),
        )
        .await;
    let n: TicketNumber = TestApp::location(&res)
        .trim_start_matches("/agent/tickets/")
        .split('?')
        .next()
        .and_then(|x| x.parse().ok())
        .expect("number");
    let (name, has_password): (String, bool) = sqlx::query_as(
        "select u.name, u.password_hash is not null from users u join user_emails e on e.user_id = u.id where e.email = 'phone.caller@example.org'",
    )
    .fetch_one(&db)
    .await
    .expect("customer created");
    assert_eq!((name.as_str(), has_password), ("Пётр", false));
    let acks: i64 = sqlx::query_scalar("select count(*) from outbox o join tickets t on t.id = o.ticket_id where t.number = $1 and o.kind = 'ack'")
        .bind(n)
        .fetch_one(&db)
        .await
        .expect("acks");
    assert_eq!(acks, 1);
    let res = ana
        .post_multipart(
            "/agent/tickets",
            Form::new()
                .text("email", "ana@support.test")
                .text("department", &tech)
                .text("subject", "x")
                .text("body", "y"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(res.text().await.expect("page").contains("belongs to staff"));
    let res = ana
        .post_multipart(
            "/agent/tickets",
            Form::new()
                .text("email", "quiet@example.org")
                .text("department", &tech)
                .text("subject", "Quiet")
                .text("body", "y"),
        )
        .await;
    let quiet: TicketNumber = TestApp::location(&res)
        .trim_start_matches("/agent/tickets/")
        .split('?')
        .next()
        .and_then(|x| x.parse().ok())
        .expect("number");
    let acks: i64 = sqlx::query_scalar(
        "select count(*) from outbox o join tickets t on t.id = o.ticket_id where t.number = $1",
    )
    .bind(quiet)
    .fetch_one(&db)
    .await
    .expect("acks");
    assert_eq!(acks, 0, "no mail when switched off");
}

#[sqlx::test]
async fn queues_count_filter_page_and_act_in_bulk(db: PgPool) {
    let d = desk(&db).await;
    let ana = agent(
        &d.app,
        "ana@support.test",
        Role::Agent,
        &[("tech", Manage), ("billing", Manage)],
    )
    .await;
    let html = ana
        .get("/agent?ws=unassigned")
        .await
        .text()
        .await
        .expect("queue");
    let unassigned_count = texts(&html, ".tab.active .count");
    assert_eq!(unassigned_count, ["2"]);
    assert_eq!(texts(&html, ".queue-table .subject a").len(), 2);
    assert_eq!(
        texts(&html, ".queue-row.awaiting").len(),
        2,
        "customers wrote last"
    );

    let counts: serde_json::Value = ana.get("/agent/counts").await.json().await.expect("counts");
    assert_eq!(counts["unassigned"], "2");
    assert_eq!(counts["mine"], "0");
    let html = ana
        .get("/agent?q=invoice")
        .await
        .text()
        .await
        .expect("search");
    assert_eq!(texts(&html, ".queue-table .subject a"), ["Invoice wrong"]);
    let html = ana
        .get("/agent?requester=anna%40example&status=open")
        .await
        .text()
        .await
        .expect("search");
    assert_eq!(texts(&html, ".queue-table .subject a").len(), 2);
    // By name, in any case; an address in capitals finds it too.
    for who in ["petrova", "ANNA%40Example.com"] {
        let html = ana
            .get(&format!("/agent?requester={who}&status=open"))
            .await
            .text()
            .await
            .expect("search");
        assert_eq!(texts(&html, ".queue-table .subject a").len(), 2, "{who}");
    }

    // Bulk: take both.
    let token = ana.csrf().await;
    let body = format!(
        "csrf={token}&op=assign%3Ame&ticket={}&ticket={}&back=%2Fagent",
        d.tech_ticket, d.billing_ticket
    );
    let res = ana
        .client
        .post(ana.url("/agent/bulk"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .expect("bulk");
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("result");
    assert_eq!(texts(&html, ".bulk-result li"), ["2 of 2 changed"]);
    let html = ana.get("/agent?ws=mine").await.text().await.expect("mine");
    assert_eq!(texts(&html, ".tab.active .count"), ["2"]);

    // Save a search, share it, find it on the sidebar; delete it.
    let res = ana
        .post_form(
            "/agent/workspaces",
            &[("name", "Money"), ("query", "q=invoice")],
        )
        .await;
    let location = TestApp::location(&res);
    assert!(location.starts_with("/agent?ws="));
    let html = ana.get(&location).await.text().await.expect("ws");
    assert_eq!(texts(&html, "#queue-title"), ["Money"]);
    assert_eq!(texts(&html, ".queue-table .subject a"), ["Invoice wrong"]);
    let id = location
        .trim_start_matches("/agent?ws=")
        .split('&')
        .next()
        .expect("id")
        .to_string();
    assert_redirect(
        &ana.post_form(&format!("/agent/workspaces/{id}/delete"), &[])
            .await,
        "/agent",
    );
    assert_eq!(
        ana.get(&format!("/agent?ws={id}")).await.status(),
        StatusCode::NOT_FOUND
    );

    // Keyset pages of 50.
    let customer: UserId =
        sqlx::query_scalar("select user_id from user_emails where email = 'anna@example.com'")
            .fetch_one(&db)
            .await
            .expect("anna");
    let tech: bilet::domain::ids::DepartmentId =
        sqlx::query_scalar("select id from departments where slug = 'tech'")
            .fetch_one(&db)
            .await
            .expect("tech");
    for i in 0..55 {
        fixtures::ticket(&db, tech, customer, &format!("Bulk {i}")).await;
    }
    let html = ana
        .get("/agent?status=open")
        .await
        .text()
        .await
        .expect("page 1");
    let first = texts(&html, ".queue-table .subject a");
    assert_eq!(first.len(), 50);
    let next = attr(&html, "a[rel=next]", "href").expect("next");
    let html = ana.get(&next).await.text().await.expect("page 2");
    let second = texts(&html, ".queue-table .subject a");
    assert_eq!(second.len(), 7);
    assert!(second.iter().all(|s| !first.contains(s)));
}

/// Reads server-sent events until one whose data contains `want`, or the timeout.
async fn wait_for_event(res: reqwest::Response, want: &str) -> Option<String> {
    let mut stream = res.bytes_stream();
    let mut seen = String::new();
    let found = tokio::time::timeout(Duration::from_secs(10), async {
        while let Some(Ok(chunk)) = stream.next().await {
            seen.push_str(&String::from_utf8_lossy(&chunk));
            if seen.contains(want) {
                return true;
            }
        }
        false
    })
    .await
    .unwrap_or(false);
    found.then_some(seen)
}

#[sqlx::test]
async fn live_events_reach_only_agents_of_the_department(db: PgPool) {
    let d = desk(&db).await;
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(d.app.state.events.clone().listen(db.clone(), stop.clone()));
    let ana = agent(&d.app, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let bo = agent(
        &d.app,
        "bo@support.test",
        Role::Agent,
        &[("billing", Reply)],
    )
    .await;
    let ana_stream = ana.get("/agent/stream").await;
    let bo_stream = bo.get("/agent/stream").await;
    assert_eq!(ana_stream.headers()["content-type"], "text/event-stream");
    let ticket_stream = ana
        .get(&format!("/agent/stream?ticket={}", d.tech_ticket))
        .await;
    tokio::time::sleep(Duration::from_millis(500)).await;

    d.customer
        .post_multipart(
            &format!("/portal/tickets/{}/reply", d.billing_ticket),
            Form::new().text("body", "billing news"),
        )
        .await;
    d.customer
        .post_multipart(
            &format!("/portal/tickets/{}/reply", d.tech_ticket),
            Form::new().text("body", "tech news"),
        )
        .await;
    let tech = format!("\"ticket\":\"{}\"", d.tech_ticket);
    let billing = format!("\"ticket\":\"{}\"", d.billing_ticket);
    let seen = wait_for_event(ana_stream, &tech)
        .await
        .expect("ana hears about tech");
    assert!(
        !seen.contains(&billing),
        "ana never hears about billing: {seen}"
    );
    assert!(seen.contains("\"kind\":\"customer\""));
    let seen = wait_for_event(bo_stream, &billing)
        .await
        .expect("bo hears about billing");
    assert!(!seen.contains(&tech));

    // Presence: Bo's admin colleague looks at the tech ticket; Ana's ticket stream says so.
    let root = agent(&d.app, "root@support.test", Role::Admin, &[]).await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert_eq!(
        root.post_form(
            &format!("/agent/tickets/{}/presence", d.tech_ticket),
            &[("typing", "1")]
        )
        .await
        .status(),
        StatusCode::NO_CONTENT
    );
    let seen = wait_for_event(ticket_stream, "\"name\":\"root\"")
        .await
        .expect("presence arrives");
    assert!(
        seen.contains("event: presence") && seen.contains("\"typing\":true"),
        "{seen}"
    );
    stop.cancel();
}

#[sqlx::test]
async fn streams_end_when_the_server_shuts_down(db: PgPool) {
    let d = desk(&db).await;
    let ana = agent(&d.app, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let res = ana.get("/agent/stream").await;
    let mut stream = res.bytes_stream();
    d.app.state.shutdown.cancel();
    let ended = tokio::time::timeout(Duration::from_secs(5), async {
        while let Some(chunk) = stream.next().await {
            if chunk.is_err() {
                break;
            }
        }
    })
    .await;
    assert!(ended.is_ok(), "the stream closed");
}

#[sqlx::test]
async fn the_sound_preference_is_remembered(db: PgPool) {
    let d = desk(&db).await;
    let ana = agent(&d.app, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let html = ana.get("/agent").await.text().await.expect("home");
    assert_eq!(
        attr(&html, ".workspace", "data-sound").as_deref(),
        Some("false")
    );
    assert_redirect(
        &ana.post_form("/agent/preferences", &[("sound", "1"), ("back", "/agent")])
            .await,
        "/agent",
    );
    let html = ana.get("/agent").await.text().await.expect("home");
    assert_eq!(
        attr(&html, ".workspace", "data-sound").as_deref(),
        Some("true")
    );
    assert_eq!(ana.get("/static/notify.wav").await.status(), StatusCode::OK);
}
