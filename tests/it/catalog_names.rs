//! Help topics and products named per language: admins give the names
//! beside the default one, and customers see theirs on the new-ticket form
//! and on their ticket, or the default where none is set.

use bilet::domain::ids::TicketNumber;
use bilet::domain::users::Role;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;
use uuid::Uuid;

use crate::harness::{Form, TestApp, assert_redirect, attr, fixtures, texts};

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

/// A signed-in customer reading `lang`.
async fn customer(app: &TestApp, email: &str, lang: &str) -> TestApp {
    let browser = app.another_browser();
    assert_redirect(&browser.register(email, "Анна", PASSWORD).await, "/portal");
    browser
        .post_form("/locale", &[("lang", lang), ("back", "/portal")])
        .await;
    browser
}

async fn body(browser: &TestApp, path: &str) -> String {
    let res = browser.get(path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.expect("body")
}

/// Files a ticket on `topic` about `product`; its page.
async fn file(browser: &TestApp, topic: Uuid, product: Uuid) -> String {
    let form = Form::new()
        .text("topic", &format!("t-{topic}"))
        .text("subject", "Счёт")
        .text("body", "Где мой счёт?")
        .text("product", &product.to_string())
        .text("confirm_new", "1");
    let res = browser.post_multipart("/portal/tickets", form).await;
    assert_eq!(res.status(), StatusCode::SEE_OTHER);
    let location = TestApp::location(&res);
    let number: TicketNumber = location
        .trim_start_matches("/portal/tickets/")
        .split('?')
        .next()
        .and_then(|n| n.parse().ok())
        .expect("ticket number");
    body(browser, &format!("/portal/tickets/{number}")).await
}

#[sqlx::test]
async fn customers_see_topics_and_products_in_their_language(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await.to_string();
    let root = admin(&app).await;

    let form = body(&root, "/admin/topics").await;
    assert!(texts(&form, "label[for=name-ru]")[0].starts_with("Name in Русский"));
    assert!(texts(&form, "label[for=name-en]")[0].starts_with("Name in English"));
    for (name, ru) in [("Billing", "Оплата"), ("Server trouble", "  ")] {
        let res = root
            .post_form(
                "/admin/topics",
                &[
                    ("name", name),
                    ("department", &tech),
                    ("visible", "1"),
                    ("name_en", ""),
                    ("name_ru", ru),
                ],
            )
            .await;
        assert_redirect(&res, "/admin/topics");
    }
    // A product gets its Russian name on its edit form.
    assert_redirect(
        &root
            .post_form("/admin/products", &[("name", "VPS Start")])
            .await,
        "/admin/products",
    );
    let product: Uuid = sqlx::query_scalar("select id from products")
        .fetch_one(&db)
        .await
        .expect("product");
    let form = body(&root, &format!("/admin/products/{product}")).await;
    assert_eq!(attr(&form, "#name", "value").as_deref(), Some("VPS Start"));
    assert_eq!(attr(&form, "#name-ru", "value").as_deref(), Some(""));
    assert_redirect(
        &root
            .post_form(
                &format!("/admin/products/{product}"),
                &[("name", "VPS Start"), ("name_ru", " ВПС Старт ")],
            )
            .await,
        "/admin/products",
    );
    let form = body(&root, &format!("/admin/products/{product}")).await;
    assert_eq!(
        attr(&form, "#name-ru", "value").as_deref(),
        Some("ВПС Старт")
    );

    // Saved trimmed, empty ones left out, and audited.
    let names: Vec<(String, serde_json::Value)> =
        sqlx::query_as("select name, names from help_topics order by name")
            .fetch_all(&db)
            .await
            .expect("topics");
    assert_eq!(
        names,
        [
            ("Billing".to_string(), json!({ "ru": "Оплата" })),
            ("Server trouble".to_string(), json!({})),
        ]
    );
    let audited: serde_json::Value =
        sqlx::query_scalar("select data from events where kind = 'product.updated'")
            .fetch_one(&db)
            .await
            .expect("audited");
    assert_eq!(audited["names"], json!({ "ru": "ВПС Старт" }));
    let billing: Uuid = sqlx::query_scalar("select id from help_topics where name = 'Billing'")
        .fetch_one(&db)
        .await
        .expect("topic");

    // A Russian customer: Russian names, the default where none is set.
    let anna = customer(&app, "anna@example.com", "ru").await;
    let html = body(&anna, "/portal/tickets/new").await;
    assert_eq!(attr(&html, "html", "lang").as_deref(), Some("ru"));
    assert_eq!(texts(&html, ".choice strong"), ["Оплата", "Server trouble"]);
    let html = body(&anna, &format!("/portal/tickets/new?topic=t-{billing}")).await;
    assert!(texts(&html, "h1")[0].ends_with("Оплата"));
    assert_eq!(texts(&html, "#product option")[1], "ВПС Старт");
    let ticket = file(&anna, billing, product).await;
    assert!(texts(&ticket, ".meta").join(" ").contains("ВПС Старт"));

    // An English customer: the default names.
    let bob = customer(&app, "bob@example.com", "en").await;
    let html = body(&bob, "/portal/tickets/new").await;
    assert_eq!(
        texts(&html, ".choice strong"),
        ["Billing", "Server trouble"]
    );
    let html = body(&bob, &format!("/portal/tickets/new?topic=t-{billing}")).await;
    assert!(texts(&html, "h1")[0].ends_with("Billing"));
    assert_eq!(texts(&html, "#product option")[1], "VPS Start");
    let ticket = file(&bob, billing, product).await;
    let meta = texts(&ticket, ".meta").join(" ");
    assert!(meta.contains("VPS Start") && !meta.contains("ВПС"));
}

#[sqlx::test]
async fn the_admin_forms_keep_typed_names_on_an_error(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await.to_string();
    let root = admin(&app).await;

    let res = root
        .post_form(
            "/admin/topics",
            &[
                ("name", " "),
                ("department", &tech),
                ("name_en", "Billing"),
                ("name_ru", "Оплата"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert_eq!(attr(&html, "#name-ru", "value").as_deref(), Some("Оплата"));
    assert_eq!(attr(&html, "#name-en", "value").as_deref(), Some("Billing"));

    let res = root
        .post_form("/admin/products", &[("name", ""), ("name_ru", "ВПС")])
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert_eq!(attr(&html, "#name-ru", "value").as_deref(), Some("ВПС"));
    assert!(!texts(&html, ".error-summary li").is_empty());

    // Editing: the same, and the form still posts to the product.
    let product = bilet::store::catalog::insert_product(&db, "VPS Start")
        .await
        .expect("product");
    let res = root
        .post_form(
            &format!("/admin/products/{product}"),
            &[("name", ""), ("name_ru", "ВПС Старт")],
        )
        .await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = res.text().await.expect("body");
    assert_eq!(
        attr(&html, "#name-ru", "value").as_deref(),
        Some("ВПС Старт")
    );
    assert_eq!(
        attr(&html, "form.narrow-form", "action"),
        Some(format!("/admin/products/{product}"))
    );
    let count: i64 = sqlx::query_scalar("select count(*) from products where names <> '{}'")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(count, 0, "nothing saved");
}
