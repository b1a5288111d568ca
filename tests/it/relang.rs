//! Switching the language on a page with a form keeps the form: the
//! language buttons submit it to its own address with `?relang=CODE`, and
//! it comes back in the other language with everything typed and every
//! kept file, acted on by nobody. Over HTTP, and in Chromium.

use bilet::domain::users::Role;
use fantoccini::Locator;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::browser::{browser, click, fill, prop, wait_for_path, wait_until};
use crate::harness::{Form, PNG, TestApp, attr, fixtures, texts};

const PASSWORD: &str = "correct horse battery";

async fn tickets(db: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from tickets")
        .fetch_one(db)
        .await
        .expect("count")
}

async fn html(res: reqwest::Response) -> String {
    res.text().await.expect("body")
}

#[sqlx::test]
async fn a_portal_form_comes_back_in_russian_with_its_text_and_files(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = app.another_browser();
    anna.register("anna@example.com", "Anna", PASSWORD).await;
    let form_page = html(anna.get("/portal/tickets/new").await).await;
    let topic = attr(&form_page, "input[name=topic]", "value").expect("topic");
    assert_eq!(
        attr(&form_page, ".lang-switch button[lang=ru]", "formaction").as_deref(),
        Some("/portal/tickets?relang=ru"),
        "the Russian button submits the ticket form"
    );
    assert_eq!(
        attr(&form_page, ".lang-switch button[lang=ru]", "form").as_deref(),
        Some("ticket-form")
    );

    let form = Form::new()
        .text("topic", &topic)
        .text("subject", "Сайт отдаёт 502")
        .text("body", "Since 10:00 every page answers 502.")
        .file("files", "screen.png", PNG);
    let res = anna.post_multipart("/portal/tickets?relang=ru", form).await;
    assert_eq!(res.status(), StatusCode::OK);
    let cookie = res
        .headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .any(|v| v.starts_with("bilet_lang=ru"));
    assert!(cookie, "the choice is remembered");
    let again = html(res).await;
    assert_eq!(attr(&again, "html", "lang").as_deref(), Some("ru"));
    assert_eq!(
        attr(&again, "#subject", "value").as_deref(),
        Some("Сайт отдаёт 502")
    );
    assert_eq!(
        texts(&again, "#body"),
        vec!["Since 10:00 every page answers 502.".to_string()]
    );
    assert!(
        texts(&again, ".staged label")
            .iter()
            .any(|l| l.contains("screen.png")),
        "the chosen file is kept"
    );
    assert!(
        texts(&again, ".field-error").is_empty(),
        "a switch is not a submission: no errors"
    );
    assert_eq!(tickets(&db).await, 0, "nothing was filed");
    assert_eq!(
        attr(&again, ".lang-switch button[lang=en]", "formaction").as_deref(),
        Some("/portal/tickets?relang=en"),
        "the form can be switched back"
    );

    // Sent for real, it files the ticket with the kept file.
    let staged = attr(&again, "input[name=staged]", "value").expect("kept file");
    let form = Form::new()
        .text("topic", &topic)
        .text("subject", "Сайт отдаёт 502")
        .text("body", "Since 10:00 every page answers 502.")
        .text("staged", &staged)
        .text("confirm_new", "1");
    let res = anna.post_multipart("/portal/tickets", form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = TestApp::location(&res);
    let files: i64 = sqlx::query_scalar(
        "select count(*) from attachments a join messages m on m.id = a.message_id \
         join tickets t on t.id = m.ticket_id where t.subject = 'Сайт отдаёт 502'",
    )
    .fetch_one(&db)
    .await
    .expect("files");
    assert_eq!(files, 1);
    // The signed-in customer's own language changed too.
    let portal = html(anna.get("/portal").await).await;
    assert_eq!(attr(&portal, "html", "lang").as_deref(), Some("ru"));

    // A reply being typed on the ticket page survives a switch back.
    let number = location
        .trim_start_matches("/portal/tickets/")
        .split('?')
        .next()
        .unwrap_or_default()
        .to_string();
    let action = format!("/portal/tickets/{number}/reply?relang=en");
    let shown = html(anna.get(&format!("/portal/tickets/{number}")).await).await;
    assert_eq!(
        attr(&shown, ".lang-switch button[lang=en]", "formaction").as_deref(),
        Some(action.as_str())
    );
    let res = anna
        .post_multipart(&action, Form::new().text("body", "Спасибо, жду."))
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = html(res).await;
    assert_eq!(attr(&page, "html", "lang").as_deref(), Some("en"));
    assert_eq!(
        texts(&page, "#reply-form textarea[name=body]"),
        vec!["Спасибо, жду.".to_string()]
    );
    let messages: i64 = sqlx::query_scalar("select count(*) from messages")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(messages, 1, "the reply was not sent");
}

#[sqlx::test]
async fn sign_in_registration_and_mailbox_forms_switch_without_acting(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let visitor = app.another_browser();
    let res = visitor
        .post_form(
            "/register?relang=ru",
            &[
                ("email", "new@example.com"),
                ("name", "Новый"),
                ("password", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = html(res).await;
    assert_eq!(attr(&page, "html", "lang").as_deref(), Some("ru"));
    assert_eq!(
        attr(&page, "#email", "value").as_deref(),
        Some("new@example.com")
    );
    assert_eq!(attr(&page, "#name", "value").as_deref(), Some("Новый"));
    assert!(texts(&page, ".field-error").is_empty());
    let users: i64 =
        sqlx::query_scalar("select count(*) from user_emails where email = 'new@example.com'")
            .fetch_one(&db)
            .await
            .expect("count");
    assert_eq!(users, 0, "no account was made");
    let res = visitor
        .post_form(
            "/login?relang=ru",
            &[
                ("email", "nobody@example.com"),
                ("password", "wrong"),
                ("next", ""),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK, "no failed sign-in");
    let page = html(res).await;
    assert_eq!(attr(&page, "html", "lang").as_deref(), Some("ru"));
    assert_eq!(
        attr(&page, "#email", "value").as_deref(),
        Some("nobody@example.com")
    );
    assert!(texts(&page, ".field-error").is_empty());
    let attempts: i64 = sqlx::query_scalar("select count(*) from login_attempts")
        .fetch_one(&db)
        .await
        .expect("attempts");
    assert_eq!(attempts, 0, "no sign-in was attempted");

    let admin = app.another_browser();
    let pw = app
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    admin
        .login_and_set_password("root@support.test", &pw, PASSWORD)
        .await;
    let res = admin
        .post_form(
            "/admin/mailboxes?relang=ru",
            &[
                ("name", "Поддержка"),
                ("imap_host", "imap.unreachable.invalid"),
                ("imap_port", "993"),
                ("imap_user", "support"),
                ("addresses", "support@example.com"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let page = html(res).await;
    assert_eq!(attr(&page, "html", "lang").as_deref(), Some("ru"));
    assert_eq!(attr(&page, "#name", "value").as_deref(), Some("Поддержка"));
    assert_eq!(
        attr(&page, "#imap_host", "value").as_deref(),
        Some("imap.unreachable.invalid")
    );
    assert!(
        texts(&page, ".callout").is_empty(),
        "no connection was tried"
    );
    let mailboxes: i64 = sqlx::query_scalar("select count(*) from mailboxes")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(mailboxes, 0);

    // Without a form to keep, the buttons post to the switch as before.
    let plain = html(admin.get("/admin/audit").await).await;
    assert_eq!(
        attr(&plain, ".lang-switch button[lang=en]", "formaction"),
        None
    );
    assert_eq!(
        attr(&plain, ".lang-switch button[lang=en]", "name").as_deref(),
        Some("lang")
    );
}

#[sqlx::test]
async fn in_chromium_the_language_button_keeps_what_was_typed(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let anna = app.another_browser();
    anna.register("anna@example.com", "Anna", PASSWORD).await;
    let png = tempfile::Builder::new()
        .suffix(".png")
        .tempfile()
        .expect("png file");
    std::fs::write(png.path(), PNG).expect("write png");
    let base = app.url("");
    let c = browser(390, 844, false).await;
    c.goto(&format!("{base}/login")).await.expect("goto");
    fill(&c, "#email", "anna@example.com").await;
    fill(&c, "#password", PASSWORD).await;
    click(&c, "main button[type=submit]").await;
    wait_for_path(&c, |p| p.starts_with("/portal")).await;
    c.goto(&format!("{base}/portal/tickets/new"))
        .await
        .expect("goto");
    fill(&c, "#subject", "Почта не доходит").await;
    fill(
        &c,
        "#body",
        "Since Monday no mail arrives at info@example.com.",
    )
    .await;
    c.find(Locator::Id("attachments"))
        .await
        .expect("file input")
        .send_keys(&png.path().to_string_lossy())
        .await
        .expect("choose file");
    click(&c, ".lang-switch button[lang=ru]").await;
    wait_until(&c, "the page is in Russian", async |c| {
        prop(c, "html", "lang").await == "ru"
    })
    .await;
    assert_eq!(prop(&c, "#subject", "value").await, "Почта не доходит");
    assert_eq!(
        prop(&c, "#body", "value").await,
        "Since Monday no mail arrives at info@example.com."
    );
    let kept = prop(&c, ".staged label", "textContent").await;
    assert!(kept.contains(".png"), "the file is kept: {kept}");
    assert_eq!(tickets(&db).await, 0);
    click(&c, "form#ticket-form button.primary[type=submit]").await;
    wait_until(&c, "the ticket is filed", async |_| tickets(&db).await == 1).await;
    c.close().await.expect("close");
}

#[sqlx::test]
async fn an_agent_reply_being_typed_survives_a_switch(db: PgPool) {
    use bilet::domain::access::AccessLevel::Reply;
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    let olga = fixtures::user(&db, "olga@example.com", Role::Customer, &[]).await;
    let (_, number) = fixtures::ticket(&db, tech, olga, "Сертификат истёк").await;
    let agent = app.another_browser();
    let pw = app
        .create_account("ana@support.test", Role::Agent, &[("tech", Reply)])
        .await;
    agent
        .login_and_set_password("ana@support.test", &pw, PASSWORD)
        .await;
    let page = html(agent.get(&format!("/agent/tickets/{number}")).await).await;
    let action = format!("/agent/tickets/{number}/reply?relang=ru");
    assert_eq!(
        attr(&page, ".lang-switch button[lang=ru]", "formaction").as_deref(),
        Some(action.as_str())
    );
    assert_eq!(
        attr(&page, ".lang-switch button[lang=ru]", "form").as_deref(),
        Some("reply-form")
    );
    let res = agent
        .post_multipart(
            &action,
            Form::new()
                .text("version", "1")
                .text("body", "Ольга, продлил сертификат, проверьте.")
                .text("action", "send"),
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let again = html(res).await;
    assert_eq!(attr(&again, "html", "lang").as_deref(), Some("ru"));
    assert_eq!(
        texts(&again, "#reply-form textarea[name=body]"),
        vec!["Ольга, продлил сертификат, проверьте.".to_string()]
    );
    let messages: i64 = sqlx::query_scalar("select count(*) from messages")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(messages, 0, "nothing was sent");
}

#[sqlx::test]
async fn enter_in_a_kept_form_still_sends_it(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let pw = app
        .create_account("olga@example.com", Role::Customer, &[])
        .await;
    app.another_browser()
        .login_and_set_password("olga@example.com", &pw, PASSWORD)
        .await;
    let c = browser(1280, 900, false).await;
    let base = app.url("");
    c.goto(&format!("{base}/login")).await.expect("goto");
    fill(&c, "#email", "olga@example.com").await;
    c.find(Locator::Id("password"))
        .await
        .expect("password")
        .send_keys(&format!("{PASSWORD}\u{e007}"))
        .await
        .expect("type and Enter");
    let path = wait_for_path(&c, |p| p.starts_with("/portal")).await;
    assert!(
        !path.contains("relang"),
        "Enter signed in, not a language switch: {path}"
    );
    c.close().await.expect("close");
}
