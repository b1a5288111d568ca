//! Raw mail retention: past `mail.unfiled_raw_retention_days` the bytes of
//! mail on no ticket go, past `mail.filed_raw_retention_days` those of
//! filed mail; bytes another mail still uses stay until it goes too; the
//! records stay, so the same mail is still recognised; the message loses
//! its "original" link instead of pointing at nothing.

use bilet::domain::users::Role;
use bilet::service::{blob_gc, mail::retention};
use reqwest::StatusCode;
use sqlx::PgPool;

use crate::harness::{TestApp, fixtures};

const MAIL: &str = "From: olga@client.test\r\nTo: tech@support.test\r\nSubject: Диск заполнен\r\n\
    Message-ID: <retention-1@client.test>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\
    /dev/sda1 100%\r\n";

async fn ingest(app: &TestApp) -> &'static str {
    bilet::service::mail::ingest(&app.state, MAIL.as_bytes(), &Default::default())
        .await
        .outcome
}

async fn age(db: &PgPool, state: &str, days: i32) {
    sqlx::query(
        "update raw_mails set received_at = now() - make_interval(days => $2) \
         where state::text = $1",
    )
    .bind(state)
    .bind(days)
    .execute(db)
    .await
    .expect("age");
}

async fn kept(db: &PgPool) -> Vec<(String, bool)> {
    sqlx::query_as(
        "select state::text, blob_sha256 is not null from raw_mails order by state::text",
    )
    .fetch_all(db)
    .await
    .expect("raw mails")
}

#[sqlx::test]
async fn raw_mail_bytes_go_after_their_days_and_the_records_stay(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    fixtures::department(&db, "tech").await;
    assert_eq!(ingest(&app).await, "created");
    assert_eq!(ingest(&app).await, "ignored", "the same mail again");
    let sha: String = sqlx::query_scalar("select distinct blob_sha256 from raw_mails")
        .fetch_one(&db)
        .await
        .expect("one blob for both");
    let number: i64 = sqlx::query_scalar("select number from tickets")
        .fetch_one(&db)
        .await
        .expect("ticket");
    let pw = app
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    let root = app.another_browser();
    root.login_and_set_password("root@support.test", &pw, "correct horse battery")
        .await;
    let page = root
        .get(&format!("/agent/tickets/{number}"))
        .await
        .text()
        .await
        .expect("page");
    let original = crate::harness::attr(&page, "a[href^='/agent/raw/']", "href").expect("original");
    assert_eq!(root.get(&original).await.status(), StatusCode::OK);

    // Young mail is kept whatever its kind.
    assert_eq!(retention::prune(&app.state).await.expect("prune"), 0);
    // The ignored copy is past 90 days: its record loses the bytes, but the
    // filed mail still uses them.
    age(&db, "ignored", 91).await;
    age(&db, "processed", 300).await;
    assert_eq!(retention::prune(&app.state).await.expect("prune"), 1);
    assert_eq!(
        kept(&db).await,
        [
            ("ignored".to_string(), false),
            ("processed".to_string(), true)
        ]
    );
    assert_eq!(blob_gc::collect(&app.state).await.expect("collect"), 0);
    assert!(app.state.blobs.exists(&sha).await.expect("exists"));

    // The filed mail past a year: the bytes go with the collector.
    age(&db, "processed", 366).await;
    assert_eq!(retention::prune(&app.state).await.expect("prune"), 1);
    assert_eq!(blob_gc::collect(&app.state).await.expect("collect"), 1);
    assert!(!app.state.blobs.exists(&sha).await.expect("exists"));
    let page = root
        .get(&format!("/agent/tickets/{number}"))
        .await
        .text()
        .await
        .expect("page");
    assert!(page.contains("/dev/sda1 100%"), "the message stays");
    assert!(
        !page.contains("/agent/raw/"),
        "no link to bytes that are gone"
    );
    assert_eq!(root.get(&original).await.status(), StatusCode::NOT_FOUND);

    // The record still recognises the mail.
    assert_eq!(ingest(&app).await, "ignored");
    let tickets: i64 = sqlx::query_scalar("select count(*) from tickets")
        .fetch_one(&db)
        .await
        .expect("count");
    assert_eq!(tickets, 1);
}
