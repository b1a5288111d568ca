//! The access rule, tried from the store function every query uses and
//! from the pages.

use bilet::domain::access::{AccessLevel, Viewer, scope};
use bilet::domain::ids::{TicketNumber, UserId};
use bilet::domain::users::Role;
use bilet::store;
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::fixtures;
use crate::harness::{TestApp, texts};

async fn viewer(db: &PgPool, id: UserId) -> Viewer {
    let user = store::users::find(db, id)
        .await
        .expect("query")
        .expect("user");
    user.viewer()
}

async fn sees(db: &PgPool, who: UserId, number: TicketNumber, need: AccessLevel) -> bool {
    let v = viewer(db, who).await;
    store::tickets::find_visible(db, scope(&v, need), number)
        .await
        .expect("query")
        .is_some()
}

#[sqlx::test]
async fn agents_reach_only_granted_departments_at_their_level(db: PgPool) {
    let tech = fixtures::department(&db, "tech").await;
    let billing = fixtures::department(&db, "billing").await;
    let reader = fixtures::user(
        &db,
        "reader@support.test",
        Role::Agent,
        &[("tech", AccessLevel::Read)],
    )
    .await;
    let manager = fixtures::user(
        &db,
        "manager@support.test",
        Role::Agent,
        &[("tech", AccessLevel::Manage)],
    )
    .await;
    let outsider = fixtures::user(
        &db,
        "billing@support.test",
        Role::Agent,
        &[("billing", AccessLevel::Manage)],
    )
    .await;
    let admin = fixtures::user(&db, "root@support.test", Role::Admin, &[]).await;
    let customer = fixtures::user(&db, "c@example.com", Role::Customer, &[]).await;
    let (_, t) = fixtures::ticket(&db, tech, customer, "Server down").await;
    let (_, b) = fixtures::ticket(&db, billing, customer, "Invoice").await;

    assert!(sees(&db, reader, t, AccessLevel::Read).await);
    assert!(
        !sees(&db, reader, t, AccessLevel::Reply).await,
        "read level cannot reply"
    );
    assert!(
        !sees(&db, reader, b, AccessLevel::Read).await,
        "another department"
    );
    assert!(sees(&db, manager, t, AccessLevel::Manage).await);
    assert!(!sees(&db, outsider, t, AccessLevel::Read).await);
    assert!(sees(&db, outsider, b, AccessLevel::Manage).await);
    assert!(
        sees(&db, admin, t, AccessLevel::Manage).await
            && sees(&db, admin, b, AccessLevel::Manage).await
    );

    // Lists apply the same rule.
    let v = viewer(&db, reader).await;
    let all = bilet::domain::queue::Filter::default();
    let listed = store::queue::page(&db, scope(&v, AccessLevel::Read), reader, &all, None, 50)
        .await
        .expect("list");
    assert_eq!(listed.iter().map(|r| r.number).collect::<Vec<_>>(), vec![t]);
}

#[sqlx::test]
async fn customers_reach_their_own_shared_and_organisation_tickets(db: PgPool) {
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let boris = fixtures::user(&db, "boris@example.com", Role::Customer, &[]).await;
    let cc = fixtures::user(&db, "cc@example.com", Role::Customer, &[]).await;
    let (anna_ticket_id, anna_ticket) = fixtures::ticket(&db, tech, anna, "Anna's site").await;

    assert!(sees(&db, anna, anna_ticket, AccessLevel::Reply).await);
    assert!(
        !sees(&db, anna, anna_ticket, AccessLevel::Manage).await,
        "customers never manage"
    );
    assert!(
        !sees(&db, boris, anna_ticket, AccessLevel::Read).await,
        "another customer"
    );

    // A Cc picked up from mail gains nothing in the portal by itself...
    sqlx::query("insert into ticket_participants (ticket_id, user_id, role, joined_via) values ($1, $2, 'cc', 'email')")
        .bind(anna_ticket_id)
        .bind(cc)
        .execute(&db)
        .await
        .expect("cc");
    assert!(!sees(&db, cc, anna_ticket, AccessLevel::Read).await);
    // ...until they are given portal access.
    sqlx::query("update ticket_participants set portal_access = true where user_id = $1")
        .bind(cc)
        .execute(&db)
        .await
        .expect("grant");
    assert!(sees(&db, cc, anna_ticket, AccessLevel::Read).await);

    // Organisation members see each other's tickets only where the organisation allows it.
    let closed_org = fixtures::organisation(&db, false).await;
    let open_org = fixtures::organisation(&db, true).await;
    let carl = fixtures::user(&db, "carl@example.com", Role::Customer, &[]).await;
    let dora = fixtures::user(&db, "dora@example.com", Role::Customer, &[]).await;
    for (u, o) in [(carl, closed_org), (boris, closed_org)] {
        store::users::set_organisation(&db, u, Some(o))
            .await
            .expect("org");
    }
    let (_, carl_ticket) = fixtures::ticket(&db, tech, carl, "Carl's").await;
    assert!(!sees(&db, boris, carl_ticket, AccessLevel::Read).await);
    for u in [dora, anna] {
        store::users::set_organisation(&db, u, Some(open_org))
            .await
            .expect("org");
    }
    let (_, dora_ticket) = fixtures::ticket(&db, tech, dora, "Dora's").await;
    assert!(sees(&db, anna, dora_ticket, AccessLevel::Reply).await);
    assert!(!sees(&db, boris, dora_ticket, AccessLevel::Read).await);
}

#[sqlx::test]
async fn disabled_users_reach_nothing(db: PgPool) {
    let tech = fixtures::department(&db, "tech").await;
    let admin = fixtures::user(&db, "root@support.test", Role::Admin, &[]).await;
    let customer = fixtures::user(&db, "c@example.com", Role::Customer, &[]).await;
    let (_, t) = fixtures::ticket(&db, tech, customer, "x").await;
    store::users::set_disabled(&db, admin, true)
        .await
        .expect("disable");
    assert!(!sees(&db, admin, t, AccessLevel::Read).await);
}

#[sqlx::test]
async fn queues_on_pages_show_only_what_the_reader_may_see(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    let billing = fixtures::department(&db, "billing").await;
    let customer = app.another_browser();
    customer
        .register("anna@example.com", "Anna", "correct horse battery")
        .await;
    let anna: uuid::Uuid =
        sqlx::query_scalar("select user_id from user_emails where email = 'anna@example.com'")
            .fetch_one(&db)
            .await
            .expect("anna");
    let other = fixtures::user(&db, "boris@example.com", Role::Customer, &[]).await;
    fixtures::ticket(&db, tech, UserId(anna), "Сайт не открывается").await;
    fixtures::ticket(&db, billing, UserId(anna), "Invoice 42").await;
    fixtures::ticket(&db, tech, other, "Boris's secret").await;

    let html = customer.get("/portal").await.text().await.expect("body");
    let mut subjects = texts(&html, ".ticket-subject");
    subjects.sort();
    assert_eq!(subjects, ["Invoice 42", "Сайт не открывается"]);

    let agent = app.another_browser();
    let pw = app
        .create_account(
            "tech@support.test",
            Role::Agent,
            &[("tech", AccessLevel::Read)],
        )
        .await;
    agent
        .login_and_set_password("tech@support.test", &pw, "correct horse battery")
        .await;
    let html = agent
        .get("/agent?sort=activity_newest")
        .await
        .text()
        .await
        .expect("body");
    let mut subjects = texts(&html, ".queue-table .subject a");
    subjects.sort();
    assert_eq!(subjects, ["Boris's secret", "Сайт не открывается"]);
    assert_eq!(agent.get("/portal").await.status(), StatusCode::NOT_FOUND);
}
