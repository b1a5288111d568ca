//! A walk through every main page as customer, agent and admin, in English
//! and Russian, at 1280 and 390 px, light and dark. On each page: nothing
//! pushes the page sideways, axe-core (tests/axe, installed by `make test`)
//! finds no serious or critical violation, and a screenshot lands in
//! `test-artifacts/walk-<role>-<page>-<lang>-<width>-<theme>.png`
//! (`make screenshots` runs only this walk).

use bilet::domain::access::AccessLevel::Manage;
use bilet::domain::messages::Kind;
use bilet::domain::users::Role;
use fantoccini::Client;
use serde_json::json;
use sqlx::PgPool;

use crate::browser::{browser, click, fill, shot, wait_for_path};
use crate::harness::{TestApp, fixtures};

const PASSWORD: &str = "correct horse battery";

/// A helpdesk with something on every page.
async fn helpdesk(db: &PgPool) -> (TestApp, i64) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(db, "tech").await;
    fixtures::department(db, "billing").await;
    for (email, role, grants) in [
        (
            "ana@support.test",
            Role::Agent,
            vec![("tech", Manage), ("billing", Manage)],
        ),
        ("root@support.test", Role::Admin, vec![]),
        ("olga@example.com", Role::Customer, vec![]),
    ] {
        let pw = app.create_account(email, role, &grants).await;
        app.another_browser()
            .login_and_set_password(email, &pw, PASSWORD)
            .await;
    }
    let id = |email: &'static str| {
        sqlx::query_scalar::<_, bilet::domain::ids::UserId>(
            "select user_id from user_emails where email = $1",
        )
        .bind(email)
        .fetch_one(db)
    };
    let olga = id("olga@example.com").await.expect("olga");
    let ana = id("ana@support.test").await.expect("ana");
    sqlx::query("update users set name = 'Ольга Петрова-Самойлова' where id = $1")
        .bind(olga)
        .execute(db)
        .await
        .expect("name");
    let (ticket, number) = fixtures::ticket(
        db,
        tech,
        olga,
        "Сервер не перезапускается после обновления ядра до версии 6.12 на тарифе VPS-4",
    )
    .await;
    sqlx::query("update tickets set prompt_answers = $2 where id = $1")
        .bind(ticket)
        .bind(json!([
            {"label": "Имя сервера или IP-адрес", "value": "vps-4521.hostco.example (203.0.113.45)"},
            {"label": "Что вы уже попробовали", "value": "перезапуск через панель управления, откат ядра"}
        ]))
        .execute(db)
        .await
        .expect("answers");
    fixtures::say(db, ticket, Kind::Customer, Some(olga),
        "После обновления ядра сервер не поднимается: в консоли висит на «Loading initial ramdisk».\n\n> цитата из прошлого письма\n> ещё строка").await;
    fixtures::say(
        db,
        ticket,
        Kind::Agent,
        Some(ana),
        "Здравствуйте! Мы загрузили сервер в режиме восстановления и вернули прежнее ядро.",
    )
    .await;
    fixtures::say(
        db,
        ticket,
        Kind::Note,
        Some(ana),
        "Check the initramfs hook on the new image.",
    )
    .await;
    for n in 0..6 {
        let (t, _) = fixtures::ticket(
            db,
            tech,
            olga,
            &format!("Invoice {n} shows the wrong VAT number for our company account"),
        )
        .await;
        fixtures::say(db, t, Kind::Customer, Some(olga),
            "Hello, the invoice we received this morning lists an old VAT number; could you please reissue it with the new one?").await;
    }
    (app, number.0)
}

async fn sign_in(c: &Client, base: &str, email: &str) {
    c.goto(&format!("{base}/login")).await.expect("goto");
    fill(c, "#email", email).await;
    fill(c, "#password", PASSWORD).await;
    click(c, "main button[type=submit]").await;
    wait_for_path(c, |p| !p.starts_with("/login")).await;
}

/// Overflow, axe and a screenshot for the page `c` shows now.
async fn check(c: &Client, name: &str, width: u32) -> Vec<String> {
    let mut problems = Vec::new();
    let wide: i64 = c
        .execute("return document.documentElement.scrollWidth;", vec![])
        .await
        .expect("scrollWidth")
        .as_i64()
        .unwrap_or(0);
    if wide > i64::from(width) {
        // Name the deepest element that reaches past the edge.
        let culprit = c
            .execute(
                &format!(
                    "const past = [...document.querySelectorAll('body *')].filter(e => \
                       e.getBoundingClientRect().right > {width} + 1 && !e.closest('table'));
                     const e = past.filter(e => !past.some(o => o !== e && e.contains(o)))[0];
                     return e ? e.tagName + '.' + e.className + ' ' + (e.textContent || '').slice(0, 40) : '';"
                ),
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        problems.push(format!(
            "{name}: the page is {wide} px wide at {width} px ({culprit})"
        ));
    }
    if width >= 1280 {
        // A contained scroll is fine on a phone, not on a desktop.
        let scrolled = c
            .execute(
                "return [...document.querySelectorAll('main *')].filter(e => {
                   const s = getComputedStyle(e).overflowX;
                   return (s === 'auto' || s === 'scroll') && e.scrollWidth > e.clientWidth + 1;
                 }).map(e => e.className || e.tagName);",
                vec![],
            )
            .await
            .expect("contained scrolls");
        for e in scrolled.as_array().into_iter().flatten() {
            problems.push(format!(
                "{name}: .{} scrolls sideways",
                e.as_str().unwrap_or_default()
            ));
        }
        problems.extend(axe(c, name).await);
    }
    shot(c, &format!("walk-{name}")).await;
    problems
}

/// axe-core's serious and critical findings on the page (it checks the
/// theme's real colours, so it runs in both themes; widths change no rule).
async fn axe(c: &Client, name: &str) -> Vec<String> {
    let source = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/axe/node_modules/axe-core/axe.min.js"
    ))
    .expect("axe-core: `make test` installs it with npm ci --prefix tests/axe");
    c.execute(&source, vec![]).await.expect("inject axe");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] }).then(r => done({
               passes: r.passes.length,
               bad: r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))
             }));",
            vec![],
        )
        .await
        .expect("axe.run");
    assert!(
        found["passes"].as_u64().unwrap_or(0) > 0,
        "axe ran no rule on {name}: {found}"
    );
    found["bad"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|v| format!("{name}: {}", v.as_str().unwrap_or_default()))
        .collect()
}

/// Signs in as `email` and checks `pages` in both languages, widths, themes.
async fn walk(app: &TestApp, who: &str, email: &str, pages: &[(&str, &str)]) {
    let base = app.url("");
    let mut problems = Vec::new();
    for dark in [false, true] {
        let c = browser(1280, 900, dark).await;
        if who == "customer" {
            for (name, path) in [("login", "/login"), ("register", "/register")] {
                c.goto(&format!("{base}{path}")).await.expect("goto");
                problems.extend(
                    check(&c, &format!("guest-{name}-en-1280-{}", theme(dark)), 1280).await,
                );
            }
        }
        sign_in(&c, &base, email).await;
        for lang in ["en", "ru"] {
            click(&c, &format!(".lang-switch button[value={lang}]")).await;
            wait_for_lang(&c, lang).await;
            for (width, height) in [(1280, 900), (390, 844)] {
                c.set_window_size(width, height).await.expect("resize");
                for (name, path) in pages {
                    c.goto(&format!("{base}{path}")).await.expect("goto");
                    let label = format!("{who}-{name}-{lang}-{width}-{}", theme(dark));
                    problems.extend(check(&c, &label, width).await);
                }
            }
        }
        c.close().await.expect("close");
    }
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

fn theme(dark: bool) -> &'static str {
    if dark { "dark" } else { "light" }
}

async fn wait_for_lang(c: &Client, lang: &str) {
    c.wait()
        .for_element(fantoccini::Locator::Css(&format!("html[lang='{lang}']")))
        .await
        .unwrap_or_else(|e| panic!("the page never switched to {lang}: {e}"));
}

#[sqlx::test]
async fn the_customer_pages_fit_and_pass_axe_everywhere(db: PgPool) {
    let (app, number) = helpdesk(&db).await;
    let ticket = format!("/portal/tickets/{number}");
    let list = [
        ("portal", "/portal"),
        ("portal-search", "/portal?q=invoices"),
        ("new", "/portal/tickets/new"),
        ("ticket", ticket.as_str()),
        ("account", "/account"),
    ];
    walk(&app, "customer", "olga@example.com", &list).await;
}

#[sqlx::test]
async fn the_agent_pages_fit_and_pass_axe_everywhere(db: PgPool) {
    let (app, number) = helpdesk(&db).await;
    let ticket = format!("/agent/tickets/{number}");
    let list = [
        ("queue", "/agent"),
        ("unassigned", "/agent?ws=unassigned"),
        ("overdue", "/agent?ws=overdue"),
        ("alerts", "/agent/notifications"),
        // Another form of the subject's word: found by its stem, marked.
        (
            "search",
            "/agent?q=%D1%81%D0%B5%D1%80%D0%B2%D0%B5%D1%80%D0%B0",
        ),
        ("ticket", ticket.as_str()),
        ("new", "/agent/tickets/new"),
    ];
    walk(&app, "agent", "ana@support.test", &list).await;
}

#[sqlx::test]
async fn the_admin_pages_fit_and_pass_axe_everywhere(db: PgPool) {
    let (app, _) = helpdesk(&db).await;
    let (hook, _) = bilet::service::webhooks::add(
        &app.state,
        bilet::service::webhooks::Spec {
            url: "https://panel.example.com/bilet/webhooks/incoming".into(),
            events: "*".into(),
            department: Some("tech".into()),
            ..Default::default()
        },
    )
    .await
    .expect("webhook");
    bilet::service::tokens::create(
        &app.state,
        bilet::service::tokens::Spec {
            name: "billing panel".into(),
            departments: vec![("tech".into(), bilet::domain::access::AccessLevel::Reply)],
            ..Default::default()
        },
    )
    .await
    .expect("token");
    let webhook = format!("/admin/webhooks/{}", hook.id);
    let list = [
        ("home", "/admin"),
        ("webhooks", "/admin/webhooks"),
        ("webhook", webhook.as_str()),
        ("tokens", "/admin/tokens"),
        ("customer", "/admin/customers?email=olga%40example.com"),
        (
            "mail-text-resolved",
            "/admin/departments/tech/mail-texts/resolved/ru",
        ),
        ("departments", "/admin/departments"),
        ("department", "/admin/departments/tech"),
        ("staff", "/admin/staff"),
        ("mailboxes", "/admin/mailboxes"),
        ("mail", "/admin/mail"),
        ("topics", "/admin/topics"),
        ("products", "/admin/products"),
        ("canned", "/admin/canned"),
        ("settings", "/admin/settings"),
        ("audit", "/admin/audit"),
        ("sla", "/admin/sla"),
        ("sla-department", "/admin/sla/departments/tech"),
        ("sla-calendar", "/admin/sla/calendars/new"),
    ];
    walk(&app, "admin", "root@support.test", &list).await;
}
