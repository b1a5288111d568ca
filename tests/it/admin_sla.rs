//! The service-level pages of the admin console over HTTP: calendars are
//! added and changed through their form, a department's calendar and
//! targets table become its policy, every refusal shows the form again
//! with what was typed and saves nothing, and only admins get in.

use bilet::domain::access::AccessLevel::{Manage, Reply};
use bilet::domain::business_time::Target;
use bilet::domain::priority::Priority;
use bilet::domain::users::Role;
use bilet::service::sla::{NewCalendar, ROW_FIELDS, policy_for};
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{TestApp, assert_redirect, assert_summary_links_land, attr, fixtures, texts};

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

async fn html(browser: &TestApp, path: &str) -> String {
    let res = browser.get(path).await;
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    res.text().await.expect("page")
}

/// Every form control with an id has a label tied to it.
fn assert_labelled(html: &str) {
    let doc = scraper::Html::parse_document(html);
    let controls = scraper::Selector::parse("form input[id], form select[id], form textarea[id]")
        .expect("selector");
    let mut seen = 0;
    for c in doc.select(&controls) {
        let id = c.value().attr("id").unwrap_or_default();
        let label = scraper::Selector::parse(&format!("label[for='{id}']")).expect("label");
        assert!(doc.select(&label).next().is_some(), "#{id} has no label");
        seen += 1;
    }
    assert!(seen > 0, "no form controls");
}

/// The whole targets table as the page posts it: every field empty but
/// those of `set`, and the calendar.
fn table<'a>(calendar: &'a str, set: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![("calendar", calendar)];
    for name in ROW_FIELDS.iter().flatten() {
        let value = set.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v);
        fields.push((name, value));
    }
    fields
}

async fn calendar_count(db: &PgPool) -> usize {
    bilet::service::sla::calendars(db)
        .await
        .expect("calendars")
        .len()
}

async fn target_rows(db: &PgPool) -> i64 {
    sqlx::query_scalar("select count(*) from sla_targets")
        .fetch_one(db)
        .await
        .expect("count")
}

async fn office(db: &PgPool) {
    let new = NewCalendar {
        name: "office".into(),
        zone: "Europe/Moscow".into(),
        hours: "mon-fri 09:00-18:00".into(),
        holidays: vec![],
    };
    bilet::service::sla::add_calendar(db, None, new)
        .await
        .expect("office");
}

#[sqlx::test]
async fn a_calendar_added_through_the_page_is_listed_and_saved(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let root = admin(&app).await;
    let form = html(&root, "/admin/sla/calendars/new").await;
    assert_labelled(&form);
    assert!(
        html(&root, "/admin").await.contains("href=\"/admin/sla\""),
        "in the menu"
    );

    let res = root
        .post_form(
            "/admin/sla/calendars/new",
            &[
                ("name", "Moscow office"),
                ("zone", "Europe/Moscow"),
                ("hours", "mon-fri 09:00-18:00; sat 10:00-14:00"),
                ("holidays", "2027-01-07\r\n\r\n2027-01-01\r\n"),
            ],
        )
        .await;
    assert_redirect(&res, "/admin/sla");
    let saved = bilet::service::sla::calendars(&db)
        .await
        .expect("calendars");
    assert_eq!(saved.len(), 1);
    let c = &saved[0];
    assert_eq!(
        (c.name.as_str(), c.zone.as_str(), c.hours.as_str()),
        (
            "Moscow office",
            "Europe/Moscow",
            "mon-fri 09:00-18:00; sat 10:00-14:00"
        )
    );
    let days: Vec<String> = c.holidays.iter().map(|d| d.to_string()).collect();
    assert_eq!(
        days,
        ["2027-01-01", "2027-01-07"],
        "sorted, blank lines skipped"
    );

    let overview = html(&root, "/admin/sla").await;
    let link = format!("/admin/sla/calendars/{}", c.id);
    assert_eq!(
        texts(&overview, &format!("a[href='{link}']")),
        ["Moscow office"]
    );
    assert!(texts(&overview, "table").join(" ").contains("2 holidays"));

    // Changed through its own page.
    let edit = html(&root, &link).await;
    assert_labelled(&edit);
    assert_eq!(
        texts(&edit, "textarea#holidays"),
        ["2027-01-01\n2027-01-07"]
    );
    let res = root
        .post_form(
            &link,
            &[
                ("name", "Moscow office"),
                ("zone", "Europe/Moscow"),
                ("hours", "mon-thu 09:00-18:00"),
                ("holidays", ""),
            ],
        )
        .await;
    assert_redirect(&res, &link);
    let (row, _) = bilet::service::sla::calendar(&db, c.id).await.expect("one");
    assert_eq!(
        (row.hours.as_str(), row.holidays.len()),
        ("mon-thu 09:00-18:00", 0)
    );
}

#[sqlx::test]
async fn bad_calendars_show_the_form_again_and_save_nothing(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let root = admin(&app).await;
    office(&db).await;
    let cases = [
        (
            "Weekend",
            "UTC",
            "",
            "",
            "hours",
            "at least one working period",
        ),
        (
            "Mars",
            "Mars/Olympus",
            "mon-fri 09:00-18:00",
            "",
            "zone",
            "is not a time zone",
        ),
        (
            "Holidays",
            "UTC",
            "mon-fri 09:00-18:00",
            "2027-01-01\n2027-13-45",
            "holidays",
            "“2027-13-45” is not a date",
        ),
        (
            "office",
            "UTC",
            "mon-fri 09:00-18:00",
            "",
            "name",
            "already a calendar with this name",
        ),
    ];
    for (name, zone, hours, holidays, field, message) in cases {
        let typed = [
            ("name", name),
            ("zone", zone),
            ("hours", hours),
            ("holidays", holidays),
        ];
        let res = root.post_form("/admin/sla/calendars/new", &typed).await;
        assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY, "{field}");
        let page = res.text().await.expect("page");
        let beside = texts(&page, &format!(".has-error:has(#{field}) .field-error")).join(" ");
        assert!(beside.contains(message), "{field}: {beside}");
        assert_summary_links_land(&page);
        assert_eq!(attr(&page, "input#name", "value").as_deref(), Some(name));
        assert_eq!(attr(&page, "input#zone", "value").as_deref(), Some(zone));
        assert_eq!(attr(&page, "input#hours", "value").as_deref(), Some(hours));
        assert_eq!(texts(&page, "textarea#holidays"), [holidays]);
        assert_eq!(calendar_count(&db).await, 1, "{field}: nothing saved");
    }
    // A refused change leaves the calendar as it was.
    let id = bilet::service::sla::calendars(&db).await.expect("list")[0].id;
    let path = format!("/admin/sla/calendars/{id}");
    let typed = [
        ("name", "office"),
        ("zone", "Nowhere/City"),
        ("hours", "mon 09:00-10:00"),
        ("holidays", ""),
    ];
    let res = root.post_form(&path, &typed).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let (row, _) = bilet::service::sla::calendar(&db, id).await.expect("one");
    assert_eq!(
        (row.zone.as_str(), row.hours.as_str()),
        ("Europe/Moscow", "mon-fri 09:00-18:00")
    );
}

#[sqlx::test]
async fn department_targets_saved_through_the_page_become_the_policy(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    let root = admin(&app).await;
    office(&db).await;
    let at = |ts: &str| ts.parse().expect("timestamp");
    // Saturday 06:00 in Moscow, then Monday noon.
    let (saturday, monday) = (at("2027-01-02T03:00:00Z"), at("2027-01-04T09:00:00Z"));
    let path = "/admin/sla/departments/tech";
    let page = html(&root, path).await;
    assert_labelled(&page);
    assert_eq!(
        texts(&page, "select#calendar option[selected]"),
        ["none — 24/7"]
    );

    let typed = table(
        "office",
        &[
            ("any-resolution", "2d"),
            ("high-first-response", " 1h "),
            ("high-warn-before", "15m"),
        ],
    );
    let res = root.post_form(path, &typed).await;
    assert_redirect(&res, path);
    let (high, calendar) = policy_for(&db, tech, Priority::High).await.expect("high");
    assert_eq!(
        (high.first_response, high.warn_before, high.resolution),
        (Some(Target::Hours(1)), Some(Target::Minutes(15)), None),
        "the high row replaces the default"
    );
    assert!(!calendar.is_working(saturday) && calendar.is_working(monday));
    let (low, _) = policy_for(&db, tech, Priority::Low).await.expect("low");
    assert_eq!(
        (low.first_response, low.resolution),
        (None, Some(Target::Days(2)))
    );
    assert_eq!(
        target_rows(&db).await,
        2,
        "the default and high; empty rows are none"
    );

    let page = html(&root, path).await;
    assert_eq!(
        attr(&page, "input#high-first-response", "value").as_deref(),
        Some("1h")
    );
    assert_eq!(
        attr(&page, "input#any-resolution", "value").as_deref(),
        Some("2d")
    );
    assert_eq!(texts(&page, "select#calendar option[selected]"), ["office"]);
    let overview = html(&root, "/admin/sla").await;
    let card = texts(&overview, "#department-tech").join(" ");
    assert!(
        card.contains("office") && card.contains("1h") && card.contains("2d"),
        "{card}"
    );

    // A zero target and an unreadable one: the whole table is refused,
    // the calendar change and the valid rows included.
    let typed = table(
        "",
        &[
            ("any-resolution", "0m"),
            ("low-first-response", "3h"),
            ("high-first-response", "soon"),
        ],
    );
    let res = root.post_form(path, &typed).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    assert_summary_links_land(&page);
    let beside =
        |field: &str| texts(&page, &format!(".has-error:has(#{field}) .field-error")).join(" ");
    assert!(
        beside("any-resolution").contains("zero"),
        "{}",
        beside("any-resolution")
    );
    assert!(beside("high-first-response").contains("“soon” is not a duration"));
    assert_eq!(
        attr(&page, "input#high-first-response", "value").as_deref(),
        Some("soon")
    );
    assert_eq!(
        attr(&page, "input#low-first-response", "value").as_deref(),
        Some("3h")
    );
    assert_eq!(
        texts(&page, "select#calendar option[selected]"),
        ["none — 24/7"],
        "as chosen"
    );
    let (low, calendar) = policy_for(&db, tech, Priority::Low).await.expect("low");
    assert_eq!(
        (low.first_response, low.resolution),
        (None, Some(Target::Days(2)))
    );
    assert!(!calendar.is_working(saturday), "still the office calendar");
    assert_eq!(target_rows(&db).await, 2);

    // Emptying the high row: high follows the default again; the calendar goes.
    let res = root
        .post_form(path, &table("", &[("any-resolution", "2d")]))
        .await;
    assert_redirect(&res, path);
    let (high, calendar) = policy_for(&db, tech, Priority::High).await.expect("high");
    assert_eq!(
        (high.first_response, high.resolution),
        (None, Some(Target::Days(2)))
    );
    assert!(calendar.is_working(saturday), "24/7");
    assert_eq!(target_rows(&db).await, 1);
}

#[sqlx::test]
async fn breach_actions_are_saved_through_the_page(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    fixtures::department(&db, "sales").await;
    let boss = fixtures::user(&db, "boss@support.test", Role::Agent, &[("tech", Reply)]).await;
    fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let root = admin(&app).await;
    let path = "/admin/sla/departments/tech";

    // A customer cannot be assigned: nothing is saved, the rest included.
    let typed = table(
        "",
        &[
            ("any-first-response", "30m"),
            ("normal-first-response", "1h"),
            ("normal-on-breach-assign", "anna@example.com"),
        ],
    );
    let res = root.post_form(path, &typed).await;
    assert_eq!(res.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = res.text().await.expect("page");
    let beside = texts(
        &page,
        ".has-error:has(#normal-on-breach-assign) .field-error",
    )
    .join(" ");
    assert!(beside.contains("is not a staff member"), "{beside}");
    assert_eq!(target_rows(&db).await, 0);

    let typed = table(
        "",
        &[
            ("any-first-response", "30m"),
            ("normal-first-response", "1h"),
            ("normal-on-breach-priority", "high"),
            ("normal-on-breach-assign", "boss@support.test"),
        ],
    );
    let res = root.post_form(path, &typed).await;
    assert_redirect(&res, path);
    let actions = bilet::store::sla::breach_actions(&db, tech, Priority::Normal)
        .await
        .expect("actions")
        .expect("some");
    assert_eq!(
        (actions.assignee, actions.priority, actions.department),
        (Some(boss), Some(Priority::High), None)
    );
    let page = html(&root, path).await;
    assert_eq!(
        attr(
            &page,
            "select#normal-on-breach-assign option[selected]",
            "value"
        )
        .as_deref(),
        Some("boss@support.test")
    );
    assert_eq!(
        attr(
            &page,
            "select#normal-on-breach-priority option[selected]",
            "value"
        )
        .as_deref(),
        Some("high")
    );
    let overview = html(&root, "/admin/sla").await;
    assert!(
        texts(&overview, "#department-tech")
            .join(" ")
            .contains("Assign to boss@support.test")
    );
}

#[sqlx::test]
async fn only_admins_get_the_service_level_pages(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    office(&db).await;
    let id = bilet::service::sla::calendars(&db).await.expect("list")[0].id;
    let root = admin(&app).await;
    let agent = app.another_browser();
    let pw = app
        .create_account("ana@support.test", Role::Agent, &[("tech", Manage)])
        .await;
    agent
        .login_and_set_password("ana@support.test", &pw, PASSWORD)
        .await;
    let calendar = format!("/admin/sla/calendars/{id}");
    let pages = [
        "/admin/sla",
        "/admin/sla/calendars/new",
        calendar.as_str(),
        "/admin/sla/departments/tech",
    ];
    for page in pages {
        assert_eq!(root.get(page).await.status(), StatusCode::OK, "{page}");
        assert_eq!(
            agent.get(page).await.status(),
            StatusCode::NOT_FOUND,
            "{page}"
        );
    }
    let typed = [
        ("name", "x"),
        ("zone", "UTC"),
        ("hours", "mon 09:00-10:00"),
        ("holidays", ""),
    ];
    for page in ["/admin/sla/calendars/new", calendar.as_str()] {
        assert_eq!(
            agent.post_form(page, &typed).await.status(),
            StatusCode::NOT_FOUND
        );
    }
    let res = agent
        .post_form(
            "/admin/sla/departments/tech",
            &table("", &[("any-resolution", "1h")]),
        )
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    assert_eq!(calendar_count(&db).await, 1);
    assert_eq!(
        bilet::service::sla::calendars(&db).await.expect("list")[0].name,
        "office"
    );
    assert_eq!(target_rows(&db).await, 0);

    // An admin's form without its CSRF token is refused, too.
    for page in ["/admin/sla/calendars/new", "/admin/sla/departments/tech"] {
        let res = root.post_raw(page, &typed).await;
        assert_eq!(res.status(), StatusCode::FORBIDDEN, "{page}");
    }
    assert_eq!(calendar_count(&db).await, 1);

    // What does not exist is a 404 for admins too.
    for page in [
        "/admin/sla/departments/nope",
        "/admin/sla/calendars/not-an-id",
        "/admin/sla/calendars/00000000-0000-0000-0000-000000000000",
    ] {
        assert_eq!(
            root.get(page).await.status(),
            StatusCode::NOT_FOUND,
            "{page}"
        );
    }
}
