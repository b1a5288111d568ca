//! The audit log as admins read it: each entry a sentence in their
//! language with who, what and "old → new", filtered by person, kind and
//! date, paged by entry id with the filters kept.

use bilet::domain::ids::UserId;
use bilet::domain::users::Role;
use bilet::store::audit::AuditEntry;
use reqwest::StatusCode;
use serde_json::json;
use sqlx::PgPool;

use crate::harness::{TestApp, assert_redirect, attr, fixtures, texts};

const PASSWORD: &str = "correct horse battery";

/// A signed-in admin called `name` (the part of the address before @).
async fn admin(app: &TestApp, email: &str) -> TestApp {
    let browser = app.another_browser();
    let pw = app.create_account(email, Role::Admin, &[]).await;
    browser.login_and_set_password(email, &pw, PASSWORD).await;
    browser
}

async fn user_id(db: &PgPool, email: &str) -> UserId {
    bilet::store::users::find_by_email(db, email)
        .await
        .expect("user")
        .expect("exists")
        .id
}

/// The sentences of the page at `path`, as `lang` reads them.
async fn sentences(browser: &TestApp, path: &str, lang: &str) -> (Vec<String>, String) {
    let res = browser
        .client
        .get(browser.url(path))
        .header("accept-language", lang)
        .send()
        .await
        .expect("GET");
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    let html = res.text().await.expect("page");
    (texts(&html, "tbody .audit-text"), html)
}

async fn record(db: &PgPool, actor: Option<UserId>, kind: &str, data: serde_json::Value) {
    bilet::store::audit::record(
        db,
        AuditEntry {
            actor,
            kind,
            ticket: None,
            subject: None,
            data,
            ip: None,
        },
    )
    .await
    .expect("record");
}

async fn change_settings(root: &TestApp, name: &str) {
    let res = root
        .post_form(
            "/admin/settings",
            &[
                ("helpdesk_name", name),
                ("default_locale", "en"),
                ("max_file_mb", "5"),
                ("max_message_mb", "20"),
            ],
        )
        .await;
    assert_redirect(&res, "/admin/settings");
}

#[sqlx::test]
async fn a_settings_change_reads_as_a_sentence_with_old_and_new_in_both_languages(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let root = admin(&app, "root@support.test").await;
    change_settings(&root, "HostCo Support").await;
    change_settings(&root, "HostCo <Help>").await;

    let (en, html) = sentences(&root, "/admin/audit", "en").await;
    assert!(
        en[0].starts_with("root changed Settings: helpdesk name HostCo Support → HostCo <Help>"),
        "the second change starts from the first: {en:?}"
    );
    assert!(
        !en[0].contains("largest attachment"),
        "only what changed: {en:?}"
    );
    assert!(
        en[1].starts_with("root changed Settings: helpdesk name Bilet → HostCo Support"),
        "the first change starts from the defaults: {en:?}"
    );
    assert!(
        html.contains("HostCo &lt;Help&gt;") && !html.contains("HostCo <Help>"),
        "what admins typed is escaped"
    );
    assert!(
        en.iter().any(|s| s == "root changed their password"),
        "{en:?}"
    );
    assert!(
        en.iter().any(|s| s
            .starts_with("Bilet created the account of root (root@support.test, Administrator)")),
        "no actor is Bilet itself, the object is named: {en:?}"
    );
    assert!(!html.contains("account.password_changed</td>"));
    assert_eq!(
        texts(&html, "tbody tr td time").len(),
        en.len(),
        "every entry has its time"
    );
    assert!(
        attr(&html, "tbody time", "title").is_some_and(|t| t.contains(':')),
        "the exact time on hover"
    );

    let (ru, _) = sentences(&root, "/admin/audit", "ru").await;
    assert!(
        ru[1].starts_with(
            "root изменил(а) настройки: название службы поддержки Bilet → HostCo Support"
        ),
        "{ru:?}"
    );
    assert!(
        ru.iter().any(|s| s == "root сменил(а) свой пароль"),
        "{ru:?}"
    );
}

#[sqlx::test]
async fn unknown_kinds_get_a_generic_sentence_and_raw_detail_stays_folded(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let root = admin(&app, "root@support.test").await;
    let id = user_id(&db, "root@support.test").await;
    record(&db, Some(id), "report.exported_csv", json!({ "rows": 5 })).await;
    let (en, html) = sentences(&root, "/admin/audit", "en").await;
    assert_eq!(en[0], "root: report exported csv");
    assert!(
        texts(&html, "tbody tr:first-child details code")
            .iter()
            .any(|c| c.contains("\"rows\": 5")),
        "the raw detail, folded"
    );
    assert!(!en[0].contains('{'), "never JSON as the main text");
}

#[sqlx::test]
async fn filters_by_person_kind_and_date_narrow_the_list(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let root = admin(&app, "root@support.test").await;
    let boss = admin(&app, "boss@support.test").await;
    change_settings(&root, "HostCo Support").await;
    let res = boss
        .post_form(
            "/admin/departments",
            &[
                ("slug", "billing"),
                ("name", "Billing"),
                ("addresses", "billing@example.com"),
                ("signature", ""),
            ],
        )
        .await;
    assert_redirect(&res, "/admin/departments");
    fixtures::department(&db, "tech").await;
    let customer = app.another_browser();
    customer
        .register("olga@example.com", "Olga", PASSWORD)
        .await;
    let boss_id = user_id(&db, "boss@support.test").await;

    let (all, html) = sentences(&root, "/admin/audit", "en").await;
    assert!(
        all.iter()
            .any(|s| s == "boss created the department Billing"),
        "{all:?}"
    );
    assert!(
        all.iter().any(|s| s == "Bilet created the department TECH"),
        "{all:?}"
    );
    assert!(
        all.iter().any(|s| s.starts_with("root changed Settings")),
        "{all:?}"
    );
    // Labels on every input; the person select lists staff who appear.
    for id in ["audit-person", "audit-kind", "audit-from", "audit-to"] {
        assert_eq!(texts(&html, &format!("label[for={id}]")).len(), 1, "{id}");
    }
    let people = texts(&html, "#audit-person option");
    assert!(
        people.contains(&"root".to_string()) && people.contains(&"boss".to_string()),
        "{people:?}"
    );
    assert!(
        !people.contains(&"Olga".to_string()),
        "customers are not listed: {people:?}"
    );
    let kinds = texts(&html, "#audit-kind option");
    assert!(
        kinds.contains(&"Settings changed".to_string())
            && kinds.contains(&"Department created".to_string()),
        "{kinds:?}"
    );

    // Person.
    let (by_boss, html) =
        sentences(&root, &format!("/admin/audit?person={}", boss_id.0), "en").await;
    assert!(
        by_boss
            .iter()
            .any(|s| s == "boss created the department Billing")
    );
    assert!(
        by_boss.iter().all(|s| s.starts_with("boss ")),
        "{by_boss:?}"
    );
    assert_eq!(
        attr(&html, "#audit-person option[selected]", "value"),
        Some(boss_id.0.to_string()),
        "the form shows the filter"
    );
    let (by_bilet, _) = sentences(&root, "/admin/audit?person=system", "en").await;
    assert!(
        by_bilet
            .iter()
            .any(|s| s == "Bilet created the department TECH")
    );
    assert!(
        by_bilet.iter().all(|s| s.starts_with("Bilet ")),
        "{by_bilet:?}"
    );

    // Kind.
    let (created, _) = sentences(&root, "/admin/audit?kind=department.created", "en").await;
    assert_eq!(
        created,
        [
            "Bilet created the department TECH",
            "boss created the department Billing"
        ]
    );
    let (registered, _) = sentences(&root, "/admin/audit?kind=account.registered", "en").await;
    assert_eq!(registered, ["Olga registered with olga@example.com"]);

    // Date: the department Billing was made on 15 January 2000.
    sqlx::query(
        "update events set at = '2000-01-15 12:00:00+00' where kind = 'department.created' and actor_id is not null",
    )
    .execute(&db)
    .await
    .expect("backdate");
    let (that_day, html) =
        sentences(&root, "/admin/audit?from=2000-01-15&to=2000-01-15", "en").await;
    assert_eq!(that_day, ["boss created the department Billing"]);
    assert_eq!(
        attr(&html, "#audit-from", "value").as_deref(),
        Some("2000-01-15")
    );
    let (later, _) = sentences(&root, "/admin/audit?from=2000-01-16", "en").await;
    assert!(!later.iter().any(|s| s.contains("Billing")), "{later:?}");
    assert!(later.iter().any(|s| s.contains("TECH")), "{later:?}");
    let (earlier, _) = sentences(&root, "/admin/audit?to=2000-01-14", "en").await;
    assert!(earlier.is_empty(), "{earlier:?}");

    // Together, and nonsense filters nothing.
    let (both, _) = sentences(
        &root,
        &format!("/admin/audit?person={}&kind=settings.changed", boss_id.0),
        "en",
    )
    .await;
    assert!(both.is_empty(), "{both:?}");
    let (junk, _) = sentences(&root, "/admin/audit?person=x&from=soon&before=", "en").await;
    assert_eq!(junk.len(), all.len());
}

#[sqlx::test]
async fn older_pages_keep_the_filters(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let root = admin(&app, "root@support.test").await;
    let id = user_id(&db, "root@support.test").await;
    for i in 0..105 {
        record(
            &db,
            Some(id),
            "product.hidden",
            json!({ "name": format!("P{i}") }),
        )
        .await;
        if i % 10 == 0 {
            record(
                &db,
                Some(id),
                "product.shown",
                json!({ "name": format!("S{i}") }),
            )
            .await;
        }
    }
    let path = format!("/admin/audit?person={}&kind=product.hidden", id.0);
    let (first, html) = sentences(&root, &path, "en").await;
    assert_eq!(first.len(), 100);
    assert_eq!(first[0], "root hid P104 from the portal");
    assert_eq!(first[99], "root hid P5 from the portal");
    let next = attr(&html, "a[rel=next]", "href").expect("an older page");
    assert!(
        next.contains("kind=product.hidden")
            && next.contains(&format!("person={}", id.0))
            && next.contains("before="),
        "{next}"
    );
    let (second, html) = sentences(&root, &next, "en").await;
    assert_eq!(
        second,
        [4, 3, 2, 1, 0].map(|i| format!("root hid P{i} from the portal"))
    );
    assert!(
        attr(&html, "a[rel=next]", "href").is_none(),
        "the last page"
    );
    let newest = texts(&html, ".pager a");
    assert_eq!(newest, ["Newest"]);
    assert_eq!(
        attr(&html, ".pager a", "href").as_deref(),
        Some(path.as_str()),
        "back to the newest, filters kept"
    );
}

#[sqlx::test]
async fn people_departments_and_tickets_are_named_in_each_sentence(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let root = admin(&app, "root@support.test").await;
    let tech = fixtures::department(&db, "tech").await;
    let billing = fixtures::department(&db, "billing").await;
    let res = root
        .post_form(
            "/admin/staff",
            &[
                ("email", "ana@support.test"),
                ("name", "Анна"),
                ("role", "agent"),
                (&format!("grant.{}", tech.0), "reply"),
            ],
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let ana = user_id(&db, "ana@support.test").await;
    let res = root
        .post_form(
            &format!("/admin/staff/{}", ana.0),
            &[
                ("name", "Анна К."),
                ("role", "agent"),
                (&format!("grant.{}", tech.0), "manage"),
                (&format!("grant.{}", billing.0), "read"),
            ],
        )
        .await;
    assert_redirect(&res, &format!("/admin/staff/{}", ana.0));
    root.post_form(&format!("/admin/staff/{}/disable", ana.0), &[])
        .await;
    let res = root
        .post_form(
            "/admin/departments/tech",
            &[
                ("name", "Техподдержка"),
                ("addresses", "tech@support.test"),
                ("signature", ""),
                ("manager", ""),
                ("visible", "1"),
            ],
        )
        .await;
    assert_redirect(&res, "/admin/departments/tech");
    let customer = fixtures::user(&db, "olga@example.com", Role::Customer, &[]).await;
    let (ticket, number) = fixtures::ticket(&db, tech, customer, "Printer").await;
    fixtures::change(
        &db,
        ticket,
        bilet::service::tickets::Change::Transfer(billing),
    )
    .await;

    let (en, html) = sentences(&root, "/admin/audit", "en").await;
    let n = number.0;
    let tech_name = "Техподдержка";
    let expected = [
        format!("Bilet moved #{n} from {tech_name} to BILLING"),
        format!("Bilet opened #{n} in the portal"),
        // Created with its addresses only: the rest shows its new value.
        format!(
            "root changed the department {tech_name}: name: {tech_name}; shown to customers: Yes"
        ),
        "root disabled the account of Анна К.".into(),
        "root changed the account of Анна К.: name: Анна К.; role: Agent; \
         departments: Техподдержка: Manage, BILLING: Read"
            .into(),
        "root created the account of Анна К. (ana@support.test, Agent)".into(),
        format!("Bilet created the department {tech_name}"),
    ];
    for want in &expected {
        assert!(en.contains(want), "{want} in {en:?}");
    }
    assert_eq!(
        attr(&html, &format!("a[href='/agent/tickets/{n}']"), "href"),
        Some(format!("/agent/tickets/{n}")),
        "the ticket is a link"
    );
    assert!(
        en.iter().all(|s| !s.contains('{') && !s.contains("audit-")),
        "no raw JSON or message ids: {en:?}"
    );
    let (ru, _) = sentences(&root, "/admin/audit", "ru").await;
    assert!(
        ru.iter()
            .any(|s| s
                == &format!("Bilet передал(а) #{n} из отдела «Техподдержка» в отдел «BILLING»")),
        "{ru:?}"
    );
    assert!(
        ru.contains(
            &"root изменил(а) учётную запись Анна К.: имя: Анна К.; роль: Сотрудник поддержки; \
              отделы: Техподдержка: Управление, BILLING: Чтение"
                .to_string()
        ),
        "{ru:?}"
    );
    assert!(
        ru.iter().all(|s| !s.contains("audit-")),
        "every sentence is translated: {ru:?}"
    );
}
