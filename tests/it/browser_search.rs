//! Search and the zone finder in a real browser: what an agent types, sees
//! highlighted and opens; a customer finding their time zone by typing.

use bilet::domain::access::AccessLevel::Manage;
use bilet::domain::messages::Kind;
use bilet::domain::users::Role;
use fantoccini::Locator;
use sqlx::PgPool;

use crate::browser::{browser, click, fill, shot, text, wait_for_notice, wait_for_path};
use crate::harness::{TestApp, fixtures};

const PASSWORD: &str = "correct horse battery";

async fn sign_in(c: &fantoccini::Client, app: &TestApp, email: &str) {
    c.goto(&app.url("/login")).await.expect("goto");
    fill(c, "#email", email).await;
    fill(c, "#password", PASSWORD).await;
    click(c, "main button[type=submit]").await;
    wait_for_path(c, |p| !p.starts_with("/login")).await;
}

#[sqlx::test]
async fn an_agent_finds_a_word_form_and_opens_the_ticket(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    let pw = app
        .create_account("ana@support.test", Role::Agent, &[("tech", Manage)])
        .await;
    app.another_browser()
        .login_and_set_password("ana@support.test", &pw, PASSWORD)
        .await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (id, number) = fixtures::ticket(&db, tech, anna, "Почта не уходит").await;
    fixtures::say(
        &db,
        id,
        Kind::Customer,
        Some(anna),
        "Письма с сервером mail.example.com не отправляются",
    )
    .await;
    fixtures::ticket(&db, tech, anna, "Оплата счёта").await;

    let c = browser(1280, 900, false).await;
    sign_in(&c, &app, "ana@support.test").await;
    fill(&c, "#search-q", "сервер").await;
    click(&c, ".search-box button[type=submit]").await;
    wait_for_path(&c, |p| p.contains("q=")).await;
    assert_eq!(text(&c, "tr.queue-row .hit mark").await, "сервером");
    let rows = c
        .find_all(Locator::Css("tr.queue-row"))
        .await
        .expect("rows");
    assert_eq!(rows.len(), 1, "only the ticket with the word");
    shot(&c, "search-agent-results").await;
    click(&c, "tr.queue-row .subject a").await;
    wait_for_path(&c, |p| p == format!("/agent/tickets/{number}")).await;

    // "#N" in the box opens the ticket itself.
    c.goto(&app.url("/agent")).await.expect("home");
    fill(&c, "#search-q", &format!("#{number}")).await;
    click(&c, ".search-box button[type=submit]").await;
    wait_for_path(&c, |p| p == format!("/agent/tickets/{number}")).await;
    c.close().await.expect("close");
}

#[sqlx::test]
async fn a_customer_finds_their_time_zone_by_typing(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let anna = app.another_browser();
    let res = anna
        .register("anna@example.com", "Anna Petrova", PASSWORD)
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let c = browser(390, 800, false).await;
    sign_in(&c, &app, "anna@example.com").await;
    c.goto(&app.url("/account")).await.expect("account");
    fill(&c, "#time_zone-filter", "vladivo").await;
    let chosen = c
        .find(Locator::Css("#time_zone"))
        .await
        .expect("select")
        .prop("value")
        .await
        .expect("value");
    assert_eq!(chosen.as_deref(), Some("Asia/Vladivostok"));
    click(&c, "main button.primary").await;
    wait_for_notice(&c, |n| !n.is_empty()).await;
    let zone: Option<String> = sqlx::query_scalar(
        "select u.time_zone from users u join user_emails e on e.user_id = u.id \
         where e.email = 'anna@example.com'",
    )
    .fetch_one(&db)
    .await
    .expect("zone");
    assert_eq!(zone.as_deref(), Some("Asia/Vladivostok"));
    c.close().await.expect("close");
}
