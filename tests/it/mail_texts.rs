//! Mail texts per department and language: what admins write in the
//! console is what that department's customers get over SMTP, in their
//! language; other departments and languages keep the shipped text; a
//! reset brings it back; wrong placeholders are refused with the text kept;
//! the preview fills sample values.

use bilet::domain::access::AccessLevel;
use bilet::domain::ids::{DepartmentId, TicketNumber, UserId};
use bilet::domain::users::Role;
use bilet::service::mail::outbox;
use bilet::service::tickets::{Actor, TicketWrite};
use bilet::store::tickets::NewTicket;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{TestApp, assert_redirect, assert_summary_links_land, attr, fixtures, texts};
use crate::mailkit::{address, fetch, parsed, smtp_port};

const PASSWORD: &str = "correct horse battery";
const TECH_RU: &str = "/admin/departments/tech/mail-texts/acknowledgement/ru";

/// The app with the test SMTP relay as its outgoing server.
async fn spawn(db: &PgPool) -> TestApp {
    TestApp::spawn_with(db.clone(), |c| {
        c.mail.smtp.host = Some("127.0.0.1".into());
        c.mail.smtp.port = smtp_port();
        c.mail.smtp.tls = bilet::config::TlsMode::None;
    })
    .await
}

async fn admin(app: &TestApp) -> TestApp {
    let browser = app.another_browser();
    let pw = app
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    browser
        .login_and_set_password("root@support.test", &pw, PASSWORD)
        .await;
    browser
}

/// A customer with a fresh mailbox, a name and a language.
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

/// A new ticket whose write asks for the acknowledgement, as the portal
/// and the mail gateway do.
async fn open_ticket(
    app: &TestApp,
    department: DepartmentId,
    requester: UserId,
    subject: &str,
) -> TicketNumber {
    let mut tx = app.state.db.begin().await.expect("tx");
    let mut w = TicketWrite::create(
        &app.state,
        &mut tx,
        Actor::System,
        NewTicket::basic(subject, department, requester),
    )
    .await
    .expect("ticket");
    w.acknowledge();
    let done = w.commit(&mut tx).await.expect("commit");
    tx.commit().await.expect("commit");
    done.number
}

async fn stored(db: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from mail_texts")
        .fetch_one(db)
        .await
        .expect("count")
}

async fn audit_kinds(db: &PgPool, department: DepartmentId) -> Vec<String> {
    bilet::store::audit::kinds_for_subject(db, department.0)
        .await
        .expect("audit")
}

fn row_status(html: &str, kind: &str, lang: &str) -> String {
    texts(
        html,
        &format!("td[data-kind='{kind}'][data-lang='{lang}'] .pill"),
    )
    .join(" ")
}

const RU_SUBJECT: &str = "Заявка принята: {{ticket.subject}}";
const RU_BODY: &str = "Добрый день, {{ customer.name }}!\r\n\r\nОбращение №{{ticket.number}} передано в отдел {{department.name}}.\r\nСледить за ним:\r\n{{ticket.link}}\r\n\r\n-- \r\n{{department.name}}";

#[sqlx::test]
async fn a_departments_russian_acknowledgement_is_what_its_russian_customers_get(db: PgPool) {
    let app = spawn(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let billing = fixtures::department(&db, "billing").await;
    let root = admin(&app).await;

    let page = root
        .get("/admin/departments/tech")
        .await
        .text()
        .await
        .expect("page");
    assert_eq!(
        attr(
            &page,
            "a[href='/admin/departments/tech/mail-texts']",
            "href"
        )
        .as_deref(),
        Some("/admin/departments/tech/mail-texts"),
        "the department page links to its mail texts"
    );
    let list = root
        .get("/admin/departments/tech/mail-texts")
        .await
        .text()
        .await
        .expect("list");
    for kind in ["acknowledgement", "claim"] {
        for lang in ["en", "ru"] {
            assert_eq!(row_status(&list, kind, lang), "Default", "{kind} {lang}");
        }
    }

    let res = root
        .post_form(
            TECH_RU,
            &[
                ("subject", RU_SUBJECT),
                ("body", RU_BODY),
                ("action", "save"),
            ],
        )
        .await;
    assert_redirect(&res, "/admin/departments/tech/mail-texts");
    let list = root
        .get("/admin/departments/tech/mail-texts")
        .await
        .text()
        .await
        .expect("list");
    assert_eq!(row_status(&list, "acknowledgement", "ru"), "Customised");
    assert_eq!(row_status(&list, "acknowledgement", "en"), "Default");
    let other = root
        .get("/admin/departments/billing/mail-texts")
        .await
        .text()
        .await
        .expect("list");
    assert_eq!(row_status(&other, "acknowledgement", "ru"), "Default");
    assert_eq!(audit_kinds(&db, tech).await[..1], ["mail_text.saved"]);

    let (olga, olga_mail) = customer(&db, "Ольга", "ru").await;
    let (petr, petr_mail) = customer(&db, "Пётр", "ru").await;
    let (anna, anna_mail) = customer(&db, "Anna", "en").await;
    let n1 = open_ticket(&app, tech, olga, "Принтер не печатает").await;
    let n2 = open_ticket(&app, billing, petr, "Счёт не оплачивается").await;
    let n3 = open_ticket(&app, tech, anna, "Printer on fire").await;
    assert_eq!(outbox::run_once(&app.state).await.expect("send"), 3);

    // Tech's Russian customer: the admins' text, both parts from it.
    let raw = fetch(&olga_mail, "INBOX", 1).await.remove(0).0;
    let mail = parsed(&raw);
    assert_eq!(
        mail.subject(),
        Some(format!("[#{n1}] Заявка принята: Принтер не печатает").as_str())
    );
    let text = mail.body_text(0).expect("text").replace("\r\n", "\n");
    assert!(
        text.starts_with(&format!(
            "Добрый день, Ольга!\n\nОбращение №{n1} передано в отдел TECH.\nСледить за ним:\nhttp"
        )),
        "{text}"
    );
    assert!(
        text.contains("/l/") && text.trim_end().ends_with("-- \nTECH"),
        "{text}"
    );
    let html = mail.body_html(0).expect("html");
    assert!(html.contains("<p>Добрый день, Ольга!</p>"), "{html}");
    assert!(
        html.contains(&format!("<p>Обращение №{n1} передано в отдел TECH.<br>")),
        "{html}"
    );
    assert!(
        html.contains("<a href=\"http"),
        "the link is clickable: {html}"
    );
    assert!(
        !text.contains("Мы получили"),
        "not the shipped text: {text}"
    );

    // Billing's Russian customer: the shipped Russian text.
    let raw = fetch(&petr_mail, "INBOX", 1).await.remove(0).0;
    let mail = parsed(&raw);
    assert_eq!(
        mail.subject(),
        Some(format!("[#{n2}] Счёт не оплачивается").as_str())
    );
    let text = mail.body_text(0).expect("text").replace("\r\n", "\n");
    assert!(
        text.starts_with(&format!(
            "Здравствуйте, Пётр!\n\nМы получили ваше обращение и зарегистрировали его под номером {n2}:\n\n  Счёт не оплачивается\n"
        )),
        "{text}"
    );
    assert!(text.trim_end().ends_with("--\nBILLING"), "{text}");

    // Tech's English customer: the shipped English text.
    let raw = fetch(&anna_mail, "INBOX", 1).await.remove(0).0;
    let mail = parsed(&raw);
    assert_eq!(
        mail.subject(),
        Some(format!("[#{n3}] Printer on fire").as_str())
    );
    let text = mail.body_text(0).expect("text");
    assert!(text.starts_with("Hello Anna,"), "{text}");
}

#[sqlx::test]
async fn reset_asks_first_then_returns_to_the_shipped_text(db: PgPool) {
    let app = spawn(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let root = admin(&app).await;
    let res = root
        .post_form(
            TECH_RU,
            &[
                ("subject", RU_SUBJECT),
                ("body", RU_BODY),
                ("action", "save"),
            ],
        )
        .await;
    assert_redirect(&res, "/admin/departments/tech/mail-texts");
    let page = root.get(TECH_RU).await.text().await.expect("page");
    assert_eq!(
        texts(&page, "textarea#body")[0],
        RU_BODY.replace("\r\n", "\n"),
        "the form starts with the saved text"
    );

    // The first step only asks.
    let reset = format!("{TECH_RU}/reset");
    let res = root.post_form(&reset, &[]).await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("confirm");
    assert_eq!(
        attr(
            &html,
            "form[action$='/reset'] input[name='confirm']",
            "value"
        )
        .as_deref(),
        Some("1")
    );
    assert!(html.contains("TECH"), "names the department: {html}");
    assert_eq!(
        stored(&db).await,
        1,
        "nothing is reset before the confirmation"
    );

    let res = root.post_form(&reset, &[("confirm", "1")]).await;
    assert_redirect(&res, "/admin/departments/tech/mail-texts");
    assert_eq!(stored(&db).await, 0);
    assert_eq!(
        audit_kinds(&db, tech).await[..2],
        ["mail_text.reset", "mail_text.saved"]
    );
    let list = root
        .get("/admin/departments/tech/mail-texts")
        .await
        .text()
        .await
        .expect("list");
    assert_eq!(row_status(&list, "acknowledgement", "ru"), "Default");
    assert!(list.contains("The shipped text is sent again."), "{list}");
    let page = root.get(TECH_RU).await.text().await.expect("page");
    let body = &texts(&page, "textarea#body")[0];
    assert!(
        body.starts_with("Здравствуйте, {{customer.name}}!\n\nМы получили"),
        "{body}"
    );
    assert_eq!(
        attr(&page, "input#subject", "value").as_deref(),
        Some("{{ticket.subject}}")
    );
    assert!(
        attr(&page, "form[action$='/reset']", "action").is_none(),
        "nothing to reset"
    );

    // The next acknowledgement is the shipped one again.
    let (olga, _) = customer(&db, "Ольга", "ru").await;
    let n = open_ticket(&app, tech, olga, "Принтер не печатает").await;
    let (subject, text): (String, String) =
        sqlx::query_as("select subject, body_text from outbox where kind = 'ack'")
            .fetch_one(&db)
            .await
            .expect("ack");
    assert_eq!(subject, format!("[#{n}] Принтер не печатает"));
    assert!(
        text.starts_with("Здравствуйте, Ольга!\n\nМы получили"),
        "{text}"
    );

    // Saving the shipped text unchanged keeps the department on it.
    let res = root
        .post_form(
            TECH_RU,
            &[
                ("subject", "{{ticket.subject}}"),
                ("body", body),
                ("action", "save"),
            ],
        )
        .await;
    assert_redirect(&res, "/admin/departments/tech/mail-texts");
    assert_eq!(stored(&db).await, 0);
}

#[sqlx::test]
async fn an_unknown_placeholder_is_refused_with_the_typed_text_kept(db: PgPool) {
    let app = spawn(&db).await;
    fixtures::department(&db, "tech").await;
    let root = admin(&app).await;
    let body = "Здравствуйте, {{customer.name}}!\n\n{{unknown.placeholder}} и {{ticket.link}}";
    let res = root
        .post_form(
            TECH_RU,
            &[
                ("subject", "Заявка {{ticket.subject}}"),
                ("body", body),
                ("action", "save"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("page");
    assert_summary_links_land(&html);
    let error = texts(&html, "#body-error").join(" ");
    assert!(
        error.contains("{{unknown.placeholder}}")
            && error.contains(
                "customer.name, department.name, ticket.number, ticket.subject, ticket.link"
            ),
        "{error}"
    );
    assert_eq!(texts(&html, ".error-summary a[href='#body']"), [error]);
    assert_eq!(texts(&html, "textarea#body"), [body]);
    assert_eq!(
        attr(&html, "input#subject", "value").as_deref(),
        Some("Заявка {{ticket.subject}}")
    );
    assert_eq!(stored(&db).await, 0);

    // The claim mail cannot lose its link, and has no ticket to name.
    let res = root
        .post_form(
            "/admin/departments/tech/mail-texts/claim/en",
            &[
                ("subject", "Password"),
                ("body", "Ticket {{ticket.number}}"),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("page");
    assert!(
        texts(&html, "#body-error")[0].contains("customer.name, department.name, claim.link"),
        "{html}"
    );
    assert!(
        texts(&html, "#preview").is_empty(),
        "no preview of a refused text"
    );

    // In Russian, the same refusal in Russian.
    sqlx::query("update users set locale = 'ru' where role = 'admin'")
        .execute(&db)
        .await
        .expect("locale");
    let res = root
        .post_form(
            TECH_RU,
            &[("subject", "x"), ("body", "{{x}}"), ("action", "save")],
        )
        .await;
    let html = res.text().await.expect("page");
    assert!(
        texts(&html, "#body-error")[0].starts_with("{{x}} — не подстановка этого письма"),
        "{html}"
    );
}

#[sqlx::test]
async fn the_preview_shows_sample_values_and_saves_nothing(db: PgPool) {
    let app = spawn(&db).await;
    fixtures::department(&db, "tech").await;
    let root = admin(&app).await;
    let res = root
        .post_form(
            TECH_RU,
            &[
                ("subject", RU_SUBJECT),
                ("body", RU_BODY),
                ("action", "preview"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let html = res.text().await.expect("page");
    assert_eq!(
        texts(&html, "#preview-subject"),
        ["[#1042] Заявка принята: Принтер не печатает"]
    );
    let text = &texts(&html, "#preview-text")[0];
    assert!(
        text.starts_with("Добрый день, Ольга Иванова!\n\nОбращение №1042 передано в отдел TECH."),
        "{text}"
    );
    assert!(
        attr(&html, "#preview-html a", "href").is_some_and(|h| h.ends_with("/l/example")),
        "{html}"
    );
    assert_eq!(texts(&html, "#preview-html p").len(), 3);
    assert_eq!(
        texts(&html, "textarea#body"),
        [RU_BODY.replace("\r\n", "\n")]
    );
    assert_eq!(
        attr(&html, "input#subject", "value").as_deref(),
        Some(RU_SUBJECT)
    );
    assert_eq!(stored(&db).await, 0, "a preview saves nothing");

    // An unknown kind or language is not a page.
    for path in [
        "/admin/departments/tech/mail-texts/resolution/ru",
        "/admin/departments/tech/mail-texts/acknowledgement/de",
        "/admin/departments/nope/mail-texts",
    ] {
        assert_eq!(
            root.get(path).await.status(),
            StatusCode::NOT_FOUND,
            "{path}"
        );
    }
    let agent = app.another_browser();
    let pw = app
        .create_account(
            "ana@support.test",
            Role::Agent,
            &[("tech", AccessLevel::Manage)],
        )
        .await;
    agent
        .login_and_set_password("ana@support.test", &pw, PASSWORD)
        .await;
    assert_eq!(agent.get(TECH_RU).await.status(), StatusCode::NOT_FOUND);
}

#[sqlx::test]
async fn the_claim_mail_speaks_for_the_department_of_the_latest_ticket(db: PgPool) {
    let app = spawn(&db).await;
    fixtures::department(&db, "tech").await;
    let billing = fixtures::department(&db, "billing").await;
    let root = admin(&app).await;
    let res = root
        .post_form(
            "/admin/departments/billing/mail-texts/claim/en",
            &[
                ("subject", "Your {{department.name}} account"),
                (
                    "body",
                    "Dear {{customer.name}},\n\nchoose a password here:\n{{claim.link}}",
                ),
                ("action", "save"),
            ],
        )
        .await;
    assert_redirect(&res, "/admin/departments/billing/mail-texts");

    // Someone who has only written mail: no password yet.
    let (anna, email) = customer(&db, "Anna", "en").await;
    sqlx::query("update users set password_hash = null where id = $1")
        .bind(anna)
        .execute(&db)
        .await
        .expect("mail-only");
    open_ticket(&app, billing, anna, "Invoice").await;
    let visitor = app.another_browser();
    let res = visitor.post_form("/claim", &[("email", &email)]).await;
    assert_redirect(&res, "/claim");
    let mut mails = Vec::new();
    for _ in 0..100 {
        mails = bilet::store::outbox::list_to(&db, &email)
            .await
            .expect("outbox");
        if mails.iter().any(|m| m.kind == "claim") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let claim = mails
        .iter()
        .find(|m| m.kind == "claim")
        .expect("claim mail");
    assert_eq!(claim.subject, "Your BILLING account");
    assert!(
        claim
            .body_text
            .starts_with("Dear Anna,\n\nchoose a password here:\nhttp")
            && claim.body_text.contains("/claim/"),
        "{}",
        claim.body_text
    );
}
