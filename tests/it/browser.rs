//! End to end in headless Chromium (driven through chromedriver, which
//! `make test` starts): a customer registers, files a ticket with a
//! screenshot, follows it, replies, closes it, reopens it by replying and
//! rates it. Screenshots of the main pages land in `test-artifacts/`.

use std::time::Duration;

use bilet::domain::status::Status;
use fantoccini::{Client, ClientBuilder, Locator};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::json;
use sqlx::PgPool;

use crate::harness::{PNG, TestApp, fixtures};

/// A fresh headless Chromium session.
pub async fn browser(width: u32, height: u32, dark: bool) -> Client {
    let url = std::env::var("CHROMEDRIVER_URL")
        .expect("`make test` starts chromedriver and sets CHROMEDRIVER_URL");
    let mut args = vec![
        "--headless=new".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-dev-shm-usage".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--hide-scrollbars".into(),
        "--lang=en-US".into(),
        format!("--window-size={width},{height}"),
    ];
    if dark {
        args.push("--force-dark-mode".into());
        args.push("--blink-settings=preferredColorScheme=0".into());
    }
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        json!({ "binary": "/usr/bin/chromium", "args": args }),
    );
    ClientBuilder::new(HttpConnector::new())
        .capabilities(caps)
        .connect(&url)
        .await
        .expect("chromedriver session")
}

/// Saves a screenshot of the current page as `test-artifacts/<name>.png`.
pub async fn shot(client: &Client, name: &str) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("test-artifacts");
    std::fs::create_dir_all(&dir).expect("artifacts dir");
    let png = client.screenshot().await.expect("screenshot");
    std::fs::write(dir.join(format!("{name}.png")), png).expect("write screenshot");
}

/// Waits until the current path (and query) satisfies `want`.
pub async fn wait_for_path(client: &Client, want: impl Fn(&str) -> bool) -> String {
    for _ in 0..100 {
        let url = client.current_url().await.expect("url");
        let path = format!(
            "{}{}",
            url.path(),
            url.query().map(|q| format!("?{q}")).unwrap_or_default()
        );
        if want(&path) {
            return path;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let url = client
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    panic!("the browser never reached the expected page; it is at {url}");
}

/// Waits for a page's one-shot notice (the banner under the header) with a
/// text `want` accepts. Each banner counts once: a later wait is not
/// satisfied by the same banner, only by the next page's.
pub async fn wait_for_notice(client: &Client, want: impl Fn(&str) -> bool) -> String {
    let script = "const n = document.querySelector('body > .notice');
        if (!n || n.dataset.seen) { return null; }
        n.dataset.seen = '1';
        return n.textContent.trim();";
    let mut seen = Vec::new();
    for _ in 0..20 {
        // Each wait ends when a page shows a banner not yet counted.
        if client
            .wait()
            .for_element(Locator::Css("body > .notice:not([data-seen])"))
            .await
            .is_err()
        {
            break;
        }
        if let Ok(serde_json::Value::String(text)) = client.execute(script, vec![]).await {
            if want(&text) {
                return text;
            }
            seen.push(text);
        }
    }
    let url = client
        .current_url()
        .await
        .map(|u| u.to_string())
        .unwrap_or_default();
    panic!("the expected notice never showed; saw {seen:?}, at {url}");
}

// A page that is still loading can swap its document between finding an
// element and using it (a stale element): look it up again, briefly.
async fn with_element<T>(
    client: &Client,
    css: &str,
    what: impl AsyncFn(fantoccini::elements::Element) -> Result<T, fantoccini::error::CmdError>,
) -> T {
    let mut last = String::new();
    for _ in 0..50 {
        match client.find(Locator::Css(css)).await {
            Ok(el) => match what(el).await {
                Ok(v) => return v,
                Err(e) => last = e.to_string(),
            },
            Err(e) => last = e.to_string(),
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css}: {last}");
}

pub async fn fill(client: &Client, css: &str, text: &str) {
    with_element(client, css, async |field| {
        field.clear().await?;
        field.send_keys(text).await
    })
    .await
}

pub async fn click(client: &Client, css: &str) {
    with_element(client, css, async |el| el.click().await.map(|_| ())).await
}

pub async fn text(client: &Client, css: &str) -> String {
    with_element(client, css, async |el| el.text().await).await
}

#[sqlx::test]
async fn a_customer_files_follows_closes_reopens_and_rates_a_ticket(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    let png = tempfile::Builder::new()
        .suffix(".png")
        .tempfile()
        .expect("png file");
    std::fs::write(png.path(), PNG).expect("write png");
    let base = app.url("");
    let c = browser(1280, 900, false).await;

    c.goto(&format!("{base}/register")).await.expect("goto");
    shot(&c, "register-en-1280").await;
    fill(&c, "#name", "Anna Petrova").await;
    fill(&c, "#email", "anna@example.com").await;
    fill(&c, "#password", "correct horse battery").await;
    let zone = c
        .execute(
            "return Intl.DateTimeFormat().resolvedOptions().timeZone;",
            vec![],
        )
        .await
        .expect("browser zone");
    click(&c, "main button[type=submit]").await;
    wait_for_path(&c, |p| p.starts_with("/portal")).await;
    let saved: Option<String> = sqlx::query_scalar(
        "select u.time_zone from users u join user_emails e on e.user_id = u.id where e.email = 'anna@example.com'",
    )
    .fetch_one(&db)
    .await
    .expect("account");
    assert_eq!(
        saved.as_deref(),
        zone.as_str(),
        "a new account takes the browser's zone"
    );
    assert!(text(&c, ".notice").await.contains("Welcome"));
    shot(&c, "portal-empty-en-1280").await;

    click(&c, "a.button.primary").await;
    wait_for_path(&c, |p| p.starts_with("/portal/tickets/new")).await;
    fill(&c, "#subject", "Site example.com shows error 502").await;
    assert_eq!(
        text(&c, "#subject-count").await,
        "Characters so far: 32",
        "a live count beside the subject's limit"
    );
    fill(
        &c,
        "#body",
        "Since 10:00 every page answers 502. Nothing changed on our side.",
    )
    .await;
    c.find(Locator::Id("attachments"))
        .await
        .expect("file input")
        .send_keys(&png.path().to_string_lossy())
        .await
        .expect("choose file");
    shot(&c, "new-ticket-en-1280").await;
    click(&c, "form button.primary[type=submit]").await;
    // The new ticket's page, its address without a notice.
    let path = wait_for_path(&c, |p| {
        p.strip_prefix("/portal/tickets/")
            .is_some_and(|n| n.parse::<i64>().is_ok())
    })
    .await;
    let number: i64 = path
        .trim_start_matches("/portal/tickets/")
        .parse()
        .expect("number");
    assert_eq!(text(&c, "h1").await, "Site example.com shows error 502");
    assert!(
        text(&c, ".chips").await.contains(".png"),
        "the screenshot is attached"
    );
    shot(&c, "ticket-created-en-1280").await;

    click(&c, ".breadcrumb a").await;
    wait_for_path(&c, |p| p == "/portal").await;
    assert!(
        text(&c, ".ticket-list")
            .await
            .contains("Site example.com shows error 502")
    );
    shot(&c, "my-tickets-en-1280").await;

    click(&c, ".ticket-link").await;
    wait_for_path(&c, |p| p.starts_with(&format!("/portal/tickets/{number}"))).await;
    fill(
        &c,
        "textarea#body",
        "Here is more: it happens on every page.",
    )
    .await;
    click(&c, ".reply button.primary").await;
    wait_for_notice(&c, |t| t == "Your reply was sent.").await;
    assert_eq!(
        c.find_all(Locator::Css(".message"))
            .await
            .expect("messages")
            .len(),
        2
    );

    click(&c, ".solved button").await;
    wait_for_notice(&c, |t| t == "The ticket is closed. Thank you!").await;
    assert_eq!(text(&c, ".meta .pill").await, "Closed");

    fill(&c, "textarea#body", "Sorry, it is back again.").await;
    click(&c, ".reply button.primary").await;
    wait_for_notice(&c, |t| t.starts_with("Your reply was sent and")).await;
    assert_eq!(text(&c, ".meta .pill").await, "Open");

    // Support resolves it; the customer rates.
    let id: bilet::domain::ids::TicketId =
        sqlx::query_scalar("select id from tickets where number = $1")
            .bind(number)
            .fetch_one(&db)
            .await
            .expect("ticket");
    crate::harness::fixtures::set_status(&db, id, Status::Resolved, time::Duration::ZERO).await;
    c.goto(&format!("{base}/portal/tickets/{number}"))
        .await
        .expect("goto");
    // One click on a star rates; the comment typed first goes with it.
    fill(&c, "#comment", "Quick and clear, thank you!").await;
    click(&c, ".star-buttons button[value='5']").await;
    wait_for_notice(&c, |t| t == "Thank you for your rating.").await;
    let (stars, comment): (i16, String) = sqlx::query_as("select stars, comment from ratings")
        .fetch_one(&db)
        .await
        .expect("rating");
    assert_eq!(
        (stars, comment.as_str()),
        (5, "Quick and clear, thank you!")
    );
    shot(&c, "ticket-rated-en-1280").await;

    // The same pages in Russian, on a phone, in the dark.
    click(&c, ".lang-switch button[value=ru]").await;
    wait_until(&c, "the page is in Russian", async |c| {
        text(c, ".meta .pill").await == "Решено"
    })
    .await;
    shot(&c, "ticket-ru-1280").await;
    c.close().await.expect("close");

    let phone = browser(390, 844, true).await;
    phone.goto(&format!("{base}/login")).await.expect("goto");
    fill(&phone, "#email", "anna@example.com").await;
    fill(&phone, "#password", "correct horse battery").await;
    click(&phone, "main button[type=submit]").await;
    wait_for_path(&phone, |p| p.starts_with("/portal")).await;
    assert_eq!(
        text(&phone, "h1").await,
        "Мои обращения",
        "the account remembers Russian"
    );
    shot(&phone, "my-tickets-ru-390-dark").await;
    phone
        .goto(&format!("{base}/portal/tickets/{number}"))
        .await
        .expect("goto");
    shot(&phone, "ticket-ru-390-dark").await;
    phone
        .goto(&format!("{base}/portal/tickets/new"))
        .await
        .expect("goto");
    shot(&phone, "new-ticket-ru-390-dark").await;
    phone.close().await.expect("close");
}

pub async fn sign_in(c: &Client, base: &str, email: &str) {
    c.goto(&format!("{base}/login")).await.expect("goto");
    fill(c, "#email", email).await;
    fill(c, "#password", "correct horse battery").await;
    click(c, "main button[type=submit]").await;
    wait_for_path(c, |p| p.starts_with("/agent") || p.starts_with("/admin")).await;
}

#[sqlx::test]
async fn an_agent_works_a_ticket_and_a_colleague_sees_it_live(db: PgPool) {
    use bilet::domain::access::AccessLevel::{Manage, Reply};
    use bilet::domain::users::Role;

    let app = TestApp::spawn(db.clone()).await;
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(app.state.events.clone().listen(db.clone(), stop.clone()));
    let tech = fixtures::department(&db, "tech").await;
    fixtures::department(&db, "billing").await;
    sqlx::query("update departments set signature = '--\n{{agent.name}}, {{department.name}}' where slug = 'tech'")
        .execute(&db)
        .await
        .expect("signature");
    for (email, role, grants) in [
        ("ana@support.test", Role::Agent, vec![("tech", Manage)]),
        ("bo@support.test", Role::Agent, vec![("tech", Reply)]),
        ("root@support.test", Role::Admin, vec![]),
    ] {
        let pw = app.create_account(email, role, &grants).await;
        app.another_browser()
            .login_and_set_password(email, &pw, "correct horse battery")
            .await;
    }
    let admin: bilet::domain::ids::UserId =
        sqlx::query_scalar("select user_id from user_emails where email = 'root@support.test'")
            .fetch_one(&db)
            .await
            .expect("root");
    bilet::store::canned::insert(
        &db,
        None,
        "Restart done",
        "Hello {{customer.name}}, we restarted your server.",
        admin,
    )
    .await
    .expect("canned");
    let customer = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (ticket, number) = fixtures::ticket(&db, tech, customer, "VPS does not boot").await;
    fixtures::say(
        &db,
        ticket,
        bilet::domain::messages::Kind::Customer,
        Some(customer),
        "My VPS hangs at boot since the update. See https://status.example.com",
    )
    .await;
    let base = app.url("");

    let ana = browser(1280, 900, false).await;
    sign_in(&ana, &base, "ana@support.test").await;
    click(&ana, ".tab a[href='/agent?ws=unassigned']").await;
    wait_for_path(&ana, |p| p.contains("ws=unassigned")).await;
    assert!(
        text(&ana, ".queue-table")
            .await
            .contains("VPS does not boot")
    );
    shot(&ana, "agent-workspace-en-1280").await;
    click(&ana, ".queue-table .subject a").await;
    wait_for_path(&ana, |p| p.starts_with(&format!("/agent/tickets/{number}"))).await;

    let bo = browser(1280, 900, false).await;
    sign_in(&bo, &base, "bo@support.test").await;
    bo.goto(&format!("{base}/agent/tickets/{number}"))
        .await
        .expect("goto");
    assert_eq!(
        bo.find_all(Locator::Css("#timeline .message"))
            .await
            .expect("messages")
            .len(),
        1
    );

    // Reply with the canned response: typing its title in the one box
    // inserts it, then the agent edits it.
    fill(&ana, "#canned", "Restart done").await;
    let body = ana.find(Locator::Id("body")).await.expect("textarea");
    assert_eq!(
        body.prop("value").await.expect("value").unwrap_or_default(),
        "Hello anna@example.com, we restarted your server."
    );
    body.send_keys(" It boots again.").await.expect("type");
    shot(&ana, "agent-ticket-en-1280").await;
    click(&ana, ".reply-form button[value=send]").await;
    wait_for_notice(&ana, |t| t.starts_with("Your reply is on its way")).await;

    // The colleague's open page shows the reply without a reload.
    let mut arrived = false;
    for _ in 0..100 {
        if bo
            .find_all(Locator::Css("#timeline .message"))
            .await
            .expect("messages")
            .len()
            == 2
        {
            arrived = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(arrived, "the reply appeared live on the other agent's page");
    assert!(text(&bo, "#timeline").await.contains("It boots again."));
    shot(&bo, "agent-ticket-live-en-1280").await;

    // An internal note.
    click(&ana, "label[for=tab-note]").await;
    fill(
        &ana,
        "#note-body",
        "Customer is on the old kernel; watch for a repeat.",
    )
    .await;
    click(&ana, ".note-button").await;
    wait_for_notice(&ana, |t| t == "Internal note added.").await;
    assert!(
        text(&ana, "#timeline .message.note")
            .await
            .contains("Internal note")
    );

    // In Russian, then transfer the ticket away.
    click(&ana, ".lang-switch button[value=ru]").await;
    wait_until(&ana, "the ticket page is in Russian", async |c| {
        prop(c, "html", "lang").await == "ru"
    })
    .await;
    shot(&ana, "agent-ticket-ru-1280").await;
    // A transfer in the properties panel waits for its note and the button.
    ana.find(Locator::Css("#set-department option:not([selected])"))
        .await
        .expect("billing")
        .click()
        .await
        .expect("choose");
    click(&ana, ".transfer-note summary").await;
    fill(&ana, "#transfer-note", "Это вопрос оплаты").await;
    click(&ana, ".props-save").await;
    wait_for_path(&ana, |p| p == "/agent").await;
    wait_for_notice(&ana, |t| t.starts_with("Обращение передано в отдел")).await;
    let department: String = sqlx::query_scalar("select d.slug from tickets t join departments d on d.id = t.department_id where t.number = $1")
        .bind(number)
        .fetch_one(&db)
        .await
        .expect("department");
    assert_eq!(department, "billing");
    shot(&ana, "agent-workspace-ru-1280").await;

    let phone = browser(390, 844, true).await;
    sign_in(&phone, &base, "root@support.test").await;
    phone
        .goto(&format!("{base}/agent/tickets/{number}"))
        .await
        .expect("goto");
    shot(&phone, "agent-ticket-en-390-dark").await;
    phone
        .goto(&format!("{base}/agent?status="))
        .await
        .expect("goto");
    shot(&phone, "agent-queue-en-390-dark").await;
    for c in [ana, bo, phone] {
        c.close().await.expect("close");
    }
    stop.cancel();
}

#[sqlx::test]
async fn an_admin_sets_up_a_department_and_staff_in_the_browser(db: PgPool) {
    use bilet::domain::users::Role;
    let app = TestApp::spawn(db.clone()).await;
    let pw = app
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    app.another_browser()
        .login_and_set_password("root@support.test", &pw, "correct horse battery")
        .await;
    let base = app.url("");
    let c = browser(1280, 900, false).await;
    sign_in(&c, &base, "root@support.test").await;
    c.goto(&format!("{base}/admin/departments"))
        .await
        .expect("goto");
    fill(&c, "#name", "Техподдержка").await;
    fill(&c, "#slug", "tech").await;
    fill(&c, "#addresses", "help@example.com").await;
    fill(&c, "#signature", "--\n{{agent.name}}, {{department.name}}").await;
    click(&c, "form[action='/admin/departments'] button.primary").await;
    wait_for_notice(&c, |t| t == "Saved.").await;
    assert!(text(&c, "table").await.contains("Техподдержка"));
    shot(&c, "admin-departments-en-1280").await;

    c.goto(&format!("{base}/admin/staff")).await.expect("goto");
    fill(&c, "#email", "anna@support.test").await;
    fill(&c, "#name", "Анна").await;
    c.find(Locator::Css("select[name^='grant.'] option[value=manage]"))
        .await
        .expect("level")
        .click()
        .await
        .expect("choose");
    click(&c, "form[action='/admin/staff'] button.primary").await;
    let password = text(&c, "code.secret").await;
    assert_eq!(password.len(), 19, "a one-time password is shown once");
    shot(&c, "admin-staff-en-1280").await;
    let level: String = sqlx::query_scalar("select level::text from agent_departments")
        .fetch_one(&db)
        .await
        .expect("grant");
    assert_eq!(level, "manage");

    click(&c, ".lang-switch button[value=ru]").await;
    wait_until(&c, "the page is in Russian", async |c| {
        prop(c, "html", "lang").await == "ru"
    })
    .await;
    c.goto(&format!("{base}/admin/mailboxes"))
        .await
        .expect("goto");
    assert_eq!(text(&c, "h1").await, "Почтовые ящики");
    shot(&c, "admin-mailboxes-ru-1280").await;
    c.goto(&format!("{base}/admin/settings"))
        .await
        .expect("goto");
    shot(&c, "admin-settings-ru-1280").await;
    c.goto(&format!("{base}/admin/audit")).await.expect("goto");
    assert!(
        text(&c, "table")
            .await
            .contains("создал(а) отдел «Техподдержка»")
    );
    shot(&c, "admin-audit-ru-1280").await;
    c.close().await.expect("close");
}

/// Chooses `value` in a select of the properties panel, which saves the
/// change as it is made (with JavaScript; without it, its button does).
async fn choose_and_submit(c: &Client, css: &str, value: &str) {
    click(c, &format!("{css} option[value={value}]")).await;
}

/// Waits until `check` holds for the page, with a generous ceiling.
pub async fn wait_until(c: &Client, what: &str, check: impl AsyncFn(&Client) -> bool) {
    for _ in 0..150 {
        if check(c).await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("never: {what}");
}

pub async fn prop(c: &Client, css: &str, name: &str) -> String {
    with_element(c, css, async |el| el.prop(name).await)
        .await
        .unwrap_or_default()
}

#[sqlx::test]
async fn with_javascript_a_live_page_updates_as_a_whole_or_refuses_a_stale_edit(db: PgPool) {
    use bilet::domain::access::AccessLevel::Manage;
    use bilet::domain::priority::Priority;
    use bilet::domain::users::Role;

    let app = TestApp::spawn(db.clone()).await;
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(app.state.events.clone().listen(db.clone(), stop.clone()));
    let tech = fixtures::department(&db, "tech").await;
    for email in ["ana@support.test", "cy@support.test"] {
        let pw = app
            .create_account(email, Role::Agent, &[("tech", Manage)])
            .await;
        app.another_browser()
            .login_and_set_password(email, &pw, "correct horse battery")
            .await;
    }
    let customer = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (_, number) = fixtures::ticket(&db, tech, customer, "Disk full").await;
    let base = app.url("");
    let page = format!("{base}/agent/tickets/{number}");
    let ana = browser(1280, 900, false).await;
    sign_in(&ana, &base, "ana@support.test").await;
    ana.goto(&page).await.expect("goto");
    let cy = browser(1280, 900, false).await;
    sign_in(&cy, &base, "cy@support.test").await;
    cy.goto(&page).await.expect("goto");
    let priority = |db: PgPool| async move {
        sqlx::query_scalar::<_, Priority>("select priority from tickets where number = $1")
            .bind(number)
            .fetch_one(&db)
            .await
            .expect("priority")
    };

    // Ana sets High: Cy's header, side panel and forms all move to it.
    choose_and_submit(&ana, "#set-priority", "high").await;
    wait_for_notice(&ana, |t| t == "Priority changed.").await;
    let version: String = sqlx::query_scalar("select version::text from tickets where number = $1")
        .bind(number)
        .fetch_one(&db)
        .await
        .expect("version");
    wait_until(&cy, "the header shows High", async |c| {
        text(c, ".ticket-head .prio").await == "High"
    })
    .await;
    assert_eq!(prop(&cy, "#set-priority", "value").await, "high");
    let versions: Vec<String> = {
        let mut out = Vec::new();
        for el in cy
            .find_all(Locator::Css("input[name=version]"))
            .await
            .expect("forms")
        {
            out.push(el.prop("value").await.expect("value").unwrap_or_default());
        }
        out
    };
    assert!(
        !versions.is_empty() && versions.iter().all(|v| *v == version),
        "{versions:?} vs {version}"
    );

    // Cy is choosing in the side panel when Ana sets Urgent: nothing is
    // swapped under Cy, the page says it is stale, and Cy's Low is refused.
    cy.execute("document.getElementById('set-priority').focus()", vec![])
        .await
        .expect("focus");
    choose_and_submit(&ana, "#set-priority", "urgent").await;
    wait_for_notice(&ana, |t| t == "Priority changed.").await;
    wait_until(&cy, "the page is marked stale", async |c| {
        prop(c, "#stale-banner", "hidden").await == "false"
    })
    .await;
    shot(&cy, "agent-ticket-stale-en-1280").await;
    choose_and_submit(&cy, "#set-priority", "low").await;
    wait_for_notice(&cy, |t| t.starts_with("Someone changed the ticket")).await;
    assert_eq!(
        priority(db.clone()).await,
        Priority::Urgent,
        "Ana's change stands"
    );
    for c in [ana, cy] {
        c.close().await.expect("close");
    }
    stop.cancel();
}

/// A key pressed with the Russian layout: the letter it types, the
/// physical key it is.
async fn press_russian(c: &Client, key: &str, code: &str) {
    c.execute(
        "document.activeElement.blur(); document.dispatchEvent(new KeyboardEvent('keydown', \
         {key: arguments[0], code: arguments[1], bubbles: true, cancelable: true}))",
        vec![key.into(), code.into()],
    )
    .await
    .expect("key");
}

#[sqlx::test]
async fn shortcuts_work_with_the_russian_keyboard_layout(db: PgPool) {
    use bilet::domain::access::AccessLevel::Reply;
    use bilet::domain::users::Role;

    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    let pw = app
        .create_account("ana@support.test", Role::Agent, &[("tech", Reply)])
        .await;
    app.another_browser()
        .login_and_set_password("ana@support.test", &pw, "correct horse battery")
        .await;
    let customer = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    for subject in ["Диск заполнен", "Сайт не открывается"] {
        fixtures::ticket(&db, tech, customer, subject).await;
    }
    let base = app.url("");
    let c = browser(1280, 900, false).await;
    sign_in(&c, &base, "ana@support.test").await;
    c.goto(&format!("{base}/agent?ws=unassigned"))
        .await
        .expect("goto");
    // о is J, л is K: the first row, then the second.
    press_russian(&c, "о", "KeyJ").await;
    press_russian(&c, "о", "KeyJ").await;
    wait_until(&c, "j moved down twice", async |c| {
        c.find_all(Locator::Css(".queue-row.selected"))
            .await
            .map(|v| v.len())
            .unwrap_or(0)
            == 1
            && text(c, ".queue-row.selected .subject a").await
                == text(c, "tbody .queue-row:nth-child(2) .subject a").await
    })
    .await;
    // ф is A: assign to me, on the ticket page.
    let (_, number) = fixtures::ticket(&db, tech, customer, "Почта не уходит").await;
    c.goto(&format!("{base}/agent/tickets/{number}"))
        .await
        .expect("goto");
    press_russian(&c, "ф", "KeyA").await;
    wait_for_notice(&c, |_| true).await;
    let assignee: Option<String> = sqlx::query_scalar(
        "select e.email from tickets t join user_emails e on e.user_id = t.assignee_id where t.number = $1",
    )
    .bind(number)
    .fetch_one(&db)
    .await
    .expect("assignee");
    assert_eq!(assignee.as_deref(), Some("ana@support.test"));
    // ? opens the list, which names the new key.
    press_russian(&c, "?", "Digit7").await;
    wait_until(&c, "the shortcut list is open", async |c| {
        prop(c, "#shortcuts", "open").await == "true"
    })
    .await;
    assert!(
        text(&c, "#shortcuts")
            .await
            .contains("Assign the ticket to me")
    );
    c.close().await.expect("close");
}
