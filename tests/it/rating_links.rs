//! The "your ticket is resolved" mail and its star links: the mail
//! arrives at the real SMTP/IMAP servers of the mail tests, following a
//! link records nothing, its page's POST records the rating once, and a
//! forged, expired or other kind of link is refused.

use bilet::domain::status::Status;
use bilet::domain::users::Role;
use bilet::service::mail::outbox;
use bilet::service::rating_links::{self, RatingLink};
use bilet::service::tickets::Change;
use sqlx::PgPool;

use crate::harness::{TestApp, fixtures};
use crate::mailkit::{address, fetch, helpdesk, parsed};

async fn count(db: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.expect("count")
}

#[sqlx::test]
async fn a_resolved_tickets_mail_rates_it_once_by_link(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    helpdesk(&app, &db, false).await;
    let tech = bilet::store::departments::find_by_slug(&db, "tech")
        .await
        .expect("tech")
        .expect("tech exists");
    let email = address("olga", "example.test");
    let olga = fixtures::user(&db, &email, Role::Customer, &[]).await;
    let (ticket, number) = fixtures::ticket(&db, tech.id, olga, "Printer on fire").await;
    fixtures::change(&db, ticket, Change::Status(Status::Resolved)).await;
    let queued = "select count(*) from outbox where kind = 'resolved'";
    assert_eq!(count(&db, queued).await, 1, "support resolved it: one mail");

    outbox::run_once(&app.state).await.expect("send");
    let mails = count(&db, "select count(*) from outbox").await as usize;
    let inbox = fetch(&email, "INBOX", mails).await;
    let text = inbox
        .iter()
        .filter_map(|(raw, _)| parsed(raw).body_text(0).map(|t| t.into_owned()))
        .find(|t| t.contains("/rate/"))
        .expect("the resolved mail");
    let subject_ok = inbox.iter().any(|(raw, _)| {
        parsed(raw)
            .subject()
            .is_some_and(|s| s.contains(&format!("#{number}]")))
    });
    assert!(subject_ok, "tagged with the ticket number");
    let four = text
        .lines()
        .find(|l| l.contains("?stars=4"))
        .and_then(|l| l.find("/rate/").map(|at| l[at..].trim().to_string()))
        .expect("a four-star link");
    assert_eq!(text.matches("/rate/").count(), 5, "five star links");

    // Following the link (as a scanner or the customer) records nothing.
    let browser = app.another_browser();
    let page = browser.get(&four).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("page");
    assert!(html.contains("Printer on fire"));
    assert!(html.contains(r#"value="4" checked"#), "four stars chosen");
    let ratings = "select count(*) from ratings";
    let rated = "select count(*) from ticket_journal where kind = 'rated'";
    assert_eq!((count(&db, ratings).await, count(&db, rated).await), (0, 0));

    // The one button records it through the write path.
    let action = four.split('?').next().expect("path").to_string();
    let res = browser
        .post_form(&action, &[("stars", "4"), ("comment", "Quick, thanks")])
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!((count(&db, ratings).await, count(&db, rated).await), (1, 1));
    let stars: i16 = sqlx::query_scalar("select stars from ratings")
        .fetch_one(&db)
        .await
        .expect("stars");
    assert_eq!(stars, 4);
    // Within the change window a second answer changes it: still one rating.
    browser.post_form(&action, &[("stars", "5")]).await;
    assert_eq!(count(&db, ratings).await, 1);

    // A forged token, an expired one, and a ticket link are refused.
    let token = action.trim_start_matches("/rate/").to_string();
    let mut forged = token.clone().into_bytes();
    let last = forged.len() - 2;
    forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
    let forged = String::from_utf8(forged).expect("ascii");
    let key = &app.state.secrets.session_key;
    let user = bilet::store::users::find(&db, olga)
        .await
        .expect("olga")
        .expect("olga");
    let past = time::OffsetDateTime::now_utc().unix_timestamp() - 1;
    let expired = rating_links::issue(
        key,
        RatingLink {
            user: olga,
            ticket: number,
            epoch: user.session_epoch,
            expires: past,
        },
    );
    let ticket_link = bilet::service::accounts::links::issue(
        key,
        bilet::service::accounts::links::TicketLink {
            user: olga,
            ticket: number,
            epoch: user.session_epoch,
            expires: past + 3600,
        },
    );
    for (t, status) in [(&forged, 404), (&expired, 410), (&ticket_link, 404)] {
        let res = browser.get(&format!("/rate/{t}?stars=1")).await;
        assert_eq!(res.status(), status, "GET {t}");
        let res = browser
            .post_form(&format!("/rate/{t}"), &[("stars", "1")])
            .await;
        assert_eq!(res.status(), status, "POST {t}");
    }
    let stars: i16 = sqlx::query_scalar("select stars from ratings")
        .fetch_one(&db)
        .await
        .expect("stars");
    assert_eq!(
        (stars, count(&db, rated).await),
        (5, 2),
        "nothing more recorded"
    );
}
