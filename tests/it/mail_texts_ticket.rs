//! The texts around an agent's reply and of the resolved mail, per
//! department and language: what admins write in the console is what the
//! customer gets over SMTP, around the agent's own words and with working
//! rating links; customers in another language keep the shipped text.

use bilet::domain::access::AccessLevel;
use bilet::domain::ids::{DepartmentId, TicketNumber, UserId};
use bilet::domain::users::Role;
use bilet::service::mail::outbox;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{Form, TestApp, assert_redirect, fixtures, texts};
use crate::mailkit::{address, fetch, parsed, smtp_port};

const PASSWORD: &str = "correct horse battery";

async fn spawn(db: &PgPool) -> TestApp {
    TestApp::spawn_with(db.clone(), |c| {
        c.mail.smtp.host = Some("127.0.0.1".into());
        c.mail.smtp.port = smtp_port();
        c.mail.smtp.tls = bilet::config::TlsMode::None;
    })
    .await
}

async fn staff(app: &TestApp, email: &str, role: Role, grants: &[(&str, AccessLevel)]) -> TestApp {
    let browser = app.another_browser();
    let pw = app.create_account(email, role, grants).await;
    browser.login_and_set_password(email, &pw, PASSWORD).await;
    browser
}

async fn customer(db: &PgPool, name: &str, locale: &str) -> (UserId, String) {
    let email = address("customer", "example.ru");
    let id = fixtures::user(db, &email, Role::Customer, &[]).await;
    sqlx::query("update users set name = $2, locale = $3 where id = $1")
        .bind(id)
        .bind(name)
        .bind(locale)
        .execute(db)
        .await
        .expect("customer");
    (id, email)
}

/// The agent answers and resolves the ticket in one go, as the reply form
/// offers ("then: resolved").
async fn answer_and_resolve(agent: &TestApp, db: &PgPool, number: TicketNumber, body: &str) {
    let v: i32 = sqlx::query_scalar("select version from tickets where number = $1")
        .bind(number)
        .fetch_one(db)
        .await
        .expect("version");
    let res = agent
        .post_multipart(
            &format!("/agent/tickets/{number}/reply"),
            Form::new()
                .text("version", &v.to_string())
                .text("body", body)
                .text("then", "resolved")
                .text("action", "send"),
        )
        .await;
    assert_redirect(&res, &format!("/agent/tickets/{number}"));
}

async fn save(admin: &TestApp, path: &str, subject: &str, body: &str) {
    let res = admin
        .post_form(
            path,
            &[("subject", subject), ("body", body), ("action", "save")],
        )
        .await;
    assert_redirect(&res, "/admin/departments/tech/mail-texts");
}

/// The plain and HTML parts of the mail in `inbox` whose plain part has `mark`.
fn mail_with(inbox: &[(Vec<u8>, String)], mark: &str) -> (String, String, String) {
    inbox
        .iter()
        .map(|(raw, _)| parsed(raw))
        .find_map(|m| {
            let text = m.body_text(0)?.replace("\r\n", "\n");
            text.contains(mark).then(|| {
                (
                    m.subject().unwrap_or_default().to_string(),
                    text,
                    m.body_html(0).map(|h| h.into_owned()).unwrap_or_default(),
                )
            })
        })
        .unwrap_or_else(|| panic!("no mail with {mark:?}"))
}

#[sqlx::test]
async fn a_departments_reply_and_resolved_texts_reach_its_customers(db: PgPool) {
    let app = spawn(&db).await;
    let tech: DepartmentId = fixtures::department(&db, "tech").await;
    let root = staff(&app, "root@support.test", Role::Admin, &[]).await;
    let anna = staff(
        &app,
        "anna@support.test",
        Role::Agent,
        &[("tech", AccessLevel::Reply)],
    )
    .await;
    sqlx::query(
        "update users set name = 'Анна' \
         where id = (select user_id from user_emails where email = 'anna@support.test')",
    )
    .execute(&db)
    .await
    .expect("name");

    let list = root
        .get("/admin/departments/tech/mail-texts")
        .await
        .text()
        .await
        .expect("list");
    for kind in ["acknowledgement", "reply", "resolved", "claim"] {
        let cell = texts(
            &list,
            &format!("td[data-kind='{kind}'][data-lang='ru'] .pill"),
        );
        assert_eq!(cell, ["Default"], "{kind} is listed, shipped");
    }

    // Refused first: a reply text without the agent's words keeps what was typed.
    let res = root
        .post_form(
            "/admin/departments/tech/mail-texts/reply/ru",
            &[
                ("subject", "Ответ"),
                ("body", "Спасибо, что написали!"),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    assert!(page.contains("Спасибо, что написали!"), "typed text kept");
    assert_eq!(texts(&page, "#body-error").len(), 1, "{page}");

    save(
        &root,
        "/admin/departments/tech/mail-texts/reply/ru",
        "Ответ: {{ticket.subject}}",
        "{{customer.name}}, вам ответил(а) {{agent.name}}:\r\n\r\n{{reply.body}}\r\n\r\nВся переписка: {{ticket.link}}",
    )
    .await;
    save(
        &root,
        "/admin/departments/tech/mail-texts/resolved/ru",
        "Решено: {{ticket.subject}}",
        "Обращение №{{ticket.number}} решено.\r\n\r\nОцените ответ:\r\n{{rating.links}}\r\n\r\n{{department.name}}",
    )
    .await;

    let (olga, olga_mail) = customer(&db, "Ольга", "ru").await;
    let (_, n1) = fixtures::ticket(&db, tech, olga, "Не печатает принтер").await;
    let (tom, tom_mail) = customer(&db, "Tom", "en").await;
    let (_, n2) = fixtures::ticket(&db, tech, tom, "Printer jammed").await;
    answer_and_resolve(&anna, &db, n1, "Перезапустили сервер печати.").await;
    answer_and_resolve(&anna, &db, n2, "We restarted the print server.").await;
    assert_eq!(outbox::run_once(&app.state).await.expect("send"), 4);

    let inbox = fetch(&olga_mail, "INBOX", 2).await;
    let (subject, text, html) = mail_with(&inbox, "вам ответил");
    assert_eq!(subject, format!("[#{n1}] Ответ: Не печатает принтер"));
    assert!(
        text.starts_with("Ольга, вам ответил(а) Анна:\n\nПерезапустили сервер печати."),
        "{text}"
    );
    assert!(text.contains("\nВся переписка: http"), "{text}");
    assert!(
        html.contains("<p>Ольга, вам ответил(а) Анна:</p>")
            && html.contains("<div style=\"white-space: pre-wrap;\">Перезапустили сервер печати."),
        "{html}"
    );
    let (subject, text, html) = mail_with(&inbox, "решено.");
    assert_eq!(subject, format!("[#{n1}] Решено: Не печатает принтер"));
    assert!(
        text.starts_with(&format!("Обращение №{n1} решено.\n\nОцените ответ:\n")),
        "{text}"
    );
    assert_eq!(text.matches("/rate/").count(), 5, "{text}");
    assert_eq!(html.matches("/rate/").count(), 5, "{html}");
    let four = text
        .lines()
        .find(|l| l.contains("?stars=4"))
        .and_then(|l| l.find("/rate/").map(|at| l[at..].trim().to_string()))
        .expect("a four-star link");
    let rating = app.another_browser().get(&four).await;
    assert_eq!(
        rating.status(),
        StatusCode::OK,
        "the link opens the rating page"
    );

    // The English customer of the same department: the shipped texts.
    let inbox = fetch(&tom_mail, "INBOX", 2).await;
    let (subject, text, _) = mail_with(&inbox, "We restarted the print server.");
    assert_eq!(subject, format!("[#{n2}] Printer jammed"));
    assert!(text.starts_with("We restarted the print server."), "{text}");
    assert!(
        text.contains("Open the ticket in your browser:\nhttp"),
        "{text}"
    );
    let (_, text, _) = mail_with(&inbox, "has been resolved");
    assert!(text.starts_with("Hello Tom,\n\nyour ticket #"), "{text}");
    assert_eq!(text.matches("/rate/").count(), 5, "{text}");
}
