//! Adding a mailbox checks its IMAP side first (against the real Dovecot
//! that `tests/env/with-services` starts): a server name that does not
//! exist or a refused login is explained beside its field in the admin's
//! language, and the mailbox is saved only when the admin says "Save
//! anyway". Failing outgoing mail is listed under Admin → Mail, and a new
//! mailbox's department follows from its address.

use bilet::domain::access::AccessLevel::Reply;
use bilet::domain::users::Role;
use bilet::service::mail::{mailboxes, outbox};
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{TestApp, assert_redirect, assert_summary_links_land, attr, fixtures, texts};
use crate::mailkit::{address, imap_port, smtp_port};

const PASSWORD: &str = "correct horse battery";

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

/// The new-mailbox form as an admin fills it in.
struct MailboxForm {
    fields: Vec<(&'static str, String)>,
}

impl MailboxForm {
    /// A mailbox on the tests' Dovecot and SMTP relay, department "from the address".
    fn dovecot(user: &str, addresses: &str) -> MailboxForm {
        MailboxForm {
            fields: vec![
                ("name", user.to_string()),
                ("imap_host", "127.0.0.1".into()),
                ("imap_port", imap_port().to_string()),
                ("imap_tls", "none".into()),
                ("imap_user", user.to_string()),
                ("imap_password", "secret".into()),
                ("folder", "INBOX".into()),
                ("processed_folder", String::new()),
                ("smtp_host", "127.0.0.1".into()),
                ("smtp_port", smtp_port().to_string()),
                ("smtp_tls", "none".into()),
                ("smtp_user", String::new()),
                ("smtp_password", String::new()),
                ("addresses", addresses.to_string()),
                ("department", String::new()),
                ("existing", "new".into()),
            ],
        }
    }

    fn set(mut self, name: &'static str, value: &str) -> MailboxForm {
        self.fields.retain(|(n, _)| *n != name);
        self.fields.push((name, value.to_string()));
        self
    }

    async fn post(&self, browser: &TestApp) -> reqwest::Response {
        let fields: Vec<(&str, &str)> = self.fields.iter().map(|(n, v)| (*n, v.as_str())).collect();
        browser.post_form("/admin/mailboxes", &fields).await
    }
}

async fn mailbox_count(db: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from mailboxes")
        .fetch_one(db)
        .await
        .expect("count")
}

#[sqlx::test]
async fn a_mailbox_whose_server_name_does_not_exist_is_not_saved_and_says_so_in_english_and_russian(
    db: PgPool,
) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let root = admin(&app).await;
    let form = MailboxForm::dovecot(&address("help", "help.test"), "tech@support.test")
        .set("imap_host", "mail.nowhere.invalid")
        .set("imap_port", "993")
        .set("imap_tls", "tls")
        .set("imap_password", "typed secret");
    let started = std::time::Instant::now();
    let res = form.post(&root).await;
    assert!(started.elapsed().as_secs() < 15, "the check is bounded");
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("page");
    assert_eq!(mailbox_count(&db).await, 0, "nothing is saved");
    let said = "The server name mail.nowhere.invalid was not found. Check the spelling.";
    assert_eq!(
        texts(&html, "#imap_host-error"),
        vec![said],
        "beside the host field"
    );
    assert!(
        texts(&html, ".error-summary li").contains(&said.to_string()),
        "in the summary"
    );
    assert_summary_links_land(&html);
    // The operating system's words only as a detail.
    let main_text = texts(&html, ".field-error, .error-summary").join(" ");
    assert!(!main_text.contains("lookup"), "{main_text}");
    assert!(texts(&html, "details code").join(" ").contains("lookup"));
    // Everything typed is kept; the password sealed, never in the clear.
    assert_eq!(
        attr(&html, "#imap_host", "value").as_deref(),
        Some("mail.nowhere.invalid")
    );
    assert_eq!(
        attr(&html, "#imap_tls option[selected]", "value").as_deref(),
        Some("tls")
    );
    assert!(!html.contains("typed secret"));
    let kept = attr(&html, "input[name=imap_password_kept]", "value").unwrap_or_default();
    assert!(!kept.is_empty(), "the typed password is kept");
    assert!(
        attr(&html, "button[name=confirm][value='1']", "type").is_some(),
        "a Save anyway button"
    );

    root.post_form("/locale", &[("lang", "ru"), ("back", "/admin/mailboxes")])
        .await;
    let html = form.post(&root).await.text().await.expect("page");
    assert_eq!(
        texts(&html, "#imap_host-error"),
        vec!["Сервер с именем mail.nowhere.invalid не найден. Проверьте, нет ли опечатки."]
    );
    assert_eq!(
        texts(&html, "button[name=confirm]"),
        vec!["Всё равно сохранить"]
    );
    assert_eq!(mailbox_count(&db).await, 0);
}

#[sqlx::test]
async fn save_anyway_saves_it_with_the_kept_password_and_the_list_explains_the_poll_error(
    db: PgPool,
) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let root = admin(&app).await;
    let form = MailboxForm::dovecot(&address("help", "help.test"), "tech@support.test")
        .set("imap_host", "mail.nowhere.invalid")
        .set("imap_password", "typed secret");
    let html = form.post(&root).await.text().await.expect("page");
    let kept = attr(&html, "input[name=imap_password_kept]", "value").expect("kept");
    // The admin confirms without typing the password again.
    let res = form
        .set("imap_password", "")
        .set("imap_password_kept", &kept)
        .set("confirm", "1")
        .post(&root)
        .await;
    assert_redirect(&res, "/admin/mailboxes");
    let id: uuid::Uuid = sqlx::query_scalar("select id from mailboxes")
        .fetch_one(&db)
        .await
        .expect("saved");
    let sealed: Vec<u8> = sqlx::query_scalar("select imap_password from mailboxes")
        .fetch_one(&db)
        .await
        .expect("password");
    let password = app
        .state
        .secrets
        .mailbox_key
        .decrypt(&sealed)
        .expect("decrypt");
    assert_eq!(password, b"typed secret");
    let checked: Option<bool> = sqlx::query_scalar(
        "select (data->>'connection_checked')::boolean from events where kind = 'mailbox.created'",
    )
    .fetch_one(&db)
    .await
    .expect("audit");
    assert_eq!(
        checked,
        Some(false),
        "the audit says it was saved unchecked"
    );

    // The poll fails; the list says why in words, the raw error as a detail.
    assert!(mailboxes::poll_once(&app.state, id).await.is_err());
    let html = root
        .get("/admin/mailboxes")
        .await
        .text()
        .await
        .expect("page");
    let shown = texts(&html, "table .danger-text").join(" ");
    assert_eq!(
        shown,
        "The server name mail.nowhere.invalid was not found. Check the spelling."
    );
    assert!(
        texts(&html, "table details code")
            .join(" ")
            .contains("lookup")
    );
    // So does the Test button.
    let html = root
        .post_form(&format!("/admin/mailboxes/{id}/test"), &[])
        .await
        .text()
        .await
        .expect("page");
    assert!(
        texts(&html, ".callout .danger-text")
            .iter()
            .any(|t| t == "The server name mail.nowhere.invalid was not found. Check the spelling."),
        "{html}"
    );
}

#[sqlx::test]
async fn a_mailbox_on_a_working_server_saves_at_once_and_tests_ok(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let root = admin(&app).await;
    let user = address("help", "help.test");
    let res = MailboxForm::dovecot(&user, "tech@support.test")
        .post(&root)
        .await;
    assert_redirect(&res, "/admin/mailboxes");
    assert_eq!(mailbox_count(&db).await, 1);
    let id: uuid::Uuid = sqlx::query_scalar("select id from mailboxes")
        .fetch_one(&db)
        .await
        .expect("saved");
    let html = root
        .post_form(&format!("/admin/mailboxes/{id}/test"), &[])
        .await
        .text()
        .await
        .expect("page");
    let lines = texts(&html, ".callout p").join(" ");
    assert!(
        lines.contains("Signed in; the folder INBOX holds"),
        "{lines}"
    );
    assert!(lines.contains("The server answered."), "{lines}");
}

#[sqlx::test]
async fn a_login_the_server_refuses_is_explained_beside_the_password(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let root = admin(&app).await;
    // The test Dovecot takes any password, but refuses user names with
    // characters outside its auth_username_chars: a refused login all the same.
    let form = MailboxForm::dovecot("bad!user@help.test", "tech@support.test");
    let res = form.post(&root).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("page");
    assert_eq!(
        texts(&html, "#imap_password-error"),
        vec![format!(
            "127.0.0.1:{} refused the user name or password.",
            imap_port()
        )]
    );
    assert_eq!(mailbox_count(&db).await, 0);
    root.post_form("/locale", &[("lang", "ru"), ("back", "/admin/mailboxes")])
        .await;
    let html = form.post(&root).await.text().await.expect("page");
    assert_eq!(
        texts(&html, "#imap_password-error"),
        vec![format!(
            "127.0.0.1:{} не принял имя пользователя или пароль.",
            imap_port()
        )]
    );
}

#[sqlx::test]
async fn the_department_defaults_from_the_mailbox_address(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let billing = fixtures::department(&db, "billing").await;
    let root = admin(&app).await;
    let html = root
        .get("/admin/mailboxes")
        .await
        .text()
        .await
        .expect("page");
    assert_eq!(
        attr(&html, "#department option[selected]", "value").as_deref(),
        Some(""),
        "the form starts on 'from the address', not on the first department"
    );
    // An address no department has: the admin is asked to choose.
    let user = address("help", "help.test");
    let res = MailboxForm::dovecot(&user, &address("nobody", "elsewhere.test"))
        .post(&root)
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("page");
    assert_eq!(
        texts(&html, "#department-error"),
        vec!["No department has any of these addresses. Choose the department."]
    );
    assert_summary_links_land(&html);
    // The billing address: billing.
    let res = MailboxForm::dovecot(&user, "billing@support.test")
        .post(&root)
        .await;
    assert_redirect(&res, "/admin/mailboxes");
    let department: bilet::domain::ids::DepartmentId =
        sqlx::query_scalar("select default_department_id from mailboxes")
            .fetch_one(&db)
            .await
            .expect("saved");
    assert_eq!(department, billing);
}

#[sqlx::test]
async fn failing_outgoing_replies_are_listed_under_admin_mail_and_can_be_retried(db: PgPool) {
    // Nothing listens on the SMTP port.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("port")
        .local_addr()
        .expect("addr")
        .port();
    let app = TestApp::spawn_with(db.clone(), |c| {
        c.mail.smtp.host = Some("127.0.0.1".into());
        c.mail.smtp.port = port;
        c.mail.smtp.tls = bilet::config::TlsMode::None;
        c.mail.retry_backoff = vec![600];
    })
    .await;
    let tech = fixtures::department(&db, "tech").await;
    let agent = fixtures::user(&db, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let agent = bilet::store::users::find(&db, agent)
        .await
        .expect("q")
        .expect("agent");
    let customer_address = address("waiting", "example.com");
    let customer = fixtures::user(&db, &customer_address, Role::Customer, &[]).await;
    let (_, number) = fixtures::ticket(&db, tech, customer, "Printer on fire").await;
    bilet::service::tickets::agent::reply(&app.state, &agent, number, 1, "On it", &[], None)
        .await
        .expect("reply");
    while outbox::run_once(&app.state).await.expect("try") > 0 {}

    let root = admin(&app).await;
    let html = root.get("/admin/mail").await.text().await.expect("page");
    let link = format!("/agent/tickets/{number}");
    let row = texts(&html, "tr.outgoing-row")
        .into_iter()
        .find(|r| r.contains(&customer_address) && r.contains(&format!("#{number}")))
        .unwrap_or_else(|| panic!("the reply is listed: {html}"));
    assert!(
        row.contains(&format!("127.0.0.1:{port} refused the connection.")),
        "{row}"
    );
    let sentences = texts(&html, "tr.outgoing-row td:nth-child(5) > span").join(" ");
    assert!(
        !sentences.contains("os error"),
        "the raw error only as a detail: {sentences}"
    );
    assert!(
        attr(&html, &format!("tr.outgoing-row a[href='{link}']"), "href").is_some(),
        "with a link to the ticket"
    );
    let (id, attempts): (uuid::Uuid, i32) =
        sqlx::query_as("select o.id, o.attempts from outbox o where o.kind = 'reply'")
            .fetch_one(&db)
            .await
            .expect("reply row");
    assert_eq!(attempts, 1);

    // Given up: shown as such, and "Retry now" makes it due again.
    sqlx::query("update outbox set state = 'failed' where id = $1")
        .bind(id)
        .execute(&db)
        .await
        .expect("give up");
    sqlx::query("update outbox_recipients set state = 'failed' where outbox_id = $1")
        .bind(id)
        .execute(&db)
        .await
        .expect("give up");
    let html = root.get("/admin/mail").await.text().await.expect("page");
    assert!(
        texts(&html, "tr.outgoing-row")
            .iter()
            .any(|r| r.contains("Given up"))
    );
    let res = root
        .post_form(&format!("/admin/outbox/{id}/retry"), &[])
        .await;
    assert_redirect(&res, "/admin/mail");
    let (state, due): (String, bool) =
        sqlx::query_as("select state::text, next_attempt_at <= now() from outbox where id = $1")
            .bind(id)
            .fetch_one(&db)
            .await
            .expect("state");
    assert_eq!((state.as_str(), due), ("retrying", true));
    let recipient: String =
        sqlx::query_scalar("select state::text from outbox_recipients where outbox_id = $1")
            .bind(id)
            .fetch_one(&db)
            .await
            .expect("recipient");
    assert_eq!(recipient, "retrying");
    // Tried again at once (and failing again, the relay is still away).
    assert!(outbox::run_once(&app.state).await.expect("retry") >= 1);
    let attempts: i32 = sqlx::query_scalar("select attempts from outbox where id = $1")
        .bind(id)
        .fetch_one(&db)
        .await
        .expect("attempts");
    assert_eq!(attempts, 2);
    // A mail that is not failing cannot be retried.
    let res = root
        .post_form(
            "/admin/outbox/00000000-0000-0000-0000-000000000000/retry",
            &[],
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
}
