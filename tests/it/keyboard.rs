//! Keyboard only, in headless Chromium: a customer signs in, files a ticket
//! and an agent answers it without a mouse, Tab by Tab, with the focus
//! always visible.

use bilet::domain::access::AccessLevel::Manage;
use bilet::domain::users::Role;
use fantoccini::Client;
use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::key::Key;
use sqlx::PgPool;

use crate::browser::{browser, shot, wait_for_path};
use crate::harness::{TestApp, fixtures};

const PASSWORD: &str = "correct horse battery";

/// Types `keys` as a keyboard does: to whatever has the focus.
async fn press(c: &Client, keys: &str) {
    let mut seq = KeyActions::new("keyboard".into());
    for k in keys.chars() {
        seq = seq
            .then(KeyAction::Down { value: k })
            .then(KeyAction::Up { value: k });
    }
    c.perform_actions(seq).await.expect("keys");
}

/// Holds `modifier` while pressing `key` (Ctrl+Enter).
async fn chord(c: &Client, modifier: Key, key: Key) {
    let seq = KeyActions::new("keyboard".into())
        .then(KeyAction::Down {
            value: char::from(modifier),
        })
        .then(KeyAction::Down {
            value: char::from(key),
        })
        .then(KeyAction::Up {
            value: char::from(key),
        })
        .then(KeyAction::Up {
            value: char::from(modifier),
        });
    c.perform_actions(seq).await.expect("chord");
}

/// What has the focus: "tag#id.class" and whether its focus is visible
/// (an outline or a ring that is not "none").
async fn focused(c: &Client) -> (String, bool) {
    let v = c
        .execute(
            "const e = document.activeElement; const s = getComputedStyle(e);
             return [e.tagName.toLowerCase() + (e.id ? '#' + e.id : '') + (e.className ? '.' + String(e.className).split(' ').join('.') : ''),
                     (s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) > 0) || s.boxShadow !== 'none'];",
            vec![],
        )
        .await
        .expect("active element");
    (
        v[0].as_str().unwrap_or_default().to_string(),
        v[1].as_bool().unwrap_or(false),
    )
}

/// Tabs forward until the focus is on `want` (a prefix of "tag#id.class"),
/// checking on the way that every stop shows where the focus is.
async fn tab_to(c: &Client, want: &str) {
    let mut seen = Vec::new();
    for _ in 0..40 {
        press(c, &Key::Tab.to_string()).await;
        let (now, visible) = focused(c).await;
        // The first Tab may only bring the focus into the page.
        assert!(
            visible || now == "body",
            "the focus on {now} is not visible"
        );
        if now.starts_with(want) {
            return;
        }
        seen.push(now);
    }
    panic!("Tab never reached {want}; it went through {seen:?}");
}

#[sqlx::test]
async fn filing_a_ticket_and_answering_it_work_with_the_keyboard_alone(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let stop = tokio_util::sync::CancellationToken::new();
    tokio::spawn(app.state.events.clone().listen(db.clone(), stop.clone()));
    fixtures::department(&db, "tech").await;
    for (email, role, grants) in [
        ("olga@example.com", Role::Customer, vec![]),
        ("ana@support.test", Role::Agent, vec![("tech", Manage)]),
    ] {
        let pw = app.create_account(email, role, &grants).await;
        app.another_browser()
            .login_and_set_password(email, &pw, PASSWORD)
            .await;
    }
    let base = app.url("");

    // The customer: sign in, "New ticket", subject, description, send.
    let c = browser(1280, 900, false).await;
    c.goto(&format!("{base}/login")).await.expect("goto");
    tab_to(&c, "a.skip-link").await;
    tab_to(&c, "input#email").await;
    press(&c, "olga@example.com").await;
    tab_to(&c, "input#password").await;
    press(&c, &format!("{PASSWORD}{}", Key::Enter)).await;
    wait_for_path(&c, |p| p.starts_with("/portal")).await;
    tab_to(&c, "a.button.primary").await;
    press(&c, &Key::Enter.to_string()).await;
    wait_for_path(&c, |p| p.starts_with("/portal/tickets/new")).await;
    tab_to(&c, "input#subject").await;
    press(&c, "Mail stops after the migration").await;
    tab_to(&c, "textarea#body").await;
    press(&c, "Since the move to the new plan no mail arrives.").await;
    tab_to(&c, "button.primary").await;
    shot(&c, "keyboard-new-ticket-en-1280").await;
    press(&c, &Key::Enter.to_string()).await;
    let path = wait_for_path(&c, |p| {
        p.starts_with("/portal/tickets/") && !p.starts_with("/portal/tickets/new")
    })
    .await;
    let number: i64 = path
        .trim_start_matches("/portal/tickets/")
        .split(['?', '#'])
        .next()
        .and_then(|n| n.parse().ok())
        .expect("ticket number");
    c.close().await.expect("close");

    // The agent: the ticket from the queue with j and Enter, r to reply,
    // Ctrl+Enter to send.
    let a = browser(1280, 900, false).await;
    a.goto(&format!("{base}/login")).await.expect("goto");
    tab_to(&a, "input#email").await;
    press(&a, "ana@support.test").await;
    tab_to(&a, "input#password").await;
    press(&a, &format!("{PASSWORD}{}", Key::Enter)).await;
    wait_for_path(&a, |p| p.starts_with("/agent")).await;
    a.goto(&format!("{base}/agent?ws=unassigned"))
        .await
        .expect("goto");
    press(&a, "j").await;
    press(&a, &Key::Enter.to_string()).await;
    wait_for_path(&a, |p| p.starts_with(&format!("/agent/tickets/{number}"))).await;
    press(&a, "r").await;
    let (now, _) = focused(&a).await;
    assert!(
        now.starts_with("textarea#body"),
        "r focuses the reply, not {now}"
    );
    press(&a, "We moved your mail records; it arrives again.").await;
    chord(&a, Key::Control, Key::Enter).await;
    // The page after the send shows the reply.
    a.wait()
        .for_element(fantoccini::Locator::Css("#timeline .from-support"))
        .await
        .expect("the reply never showed");
    let sent: String = sqlx::query_scalar(
        "select m.body_text from messages m join tickets t on t.id = m.ticket_id \
         where t.number = $1 and m.kind = 'agent'",
    )
    .bind(number)
    .fetch_one(&db)
    .await
    .expect("the reply");
    assert!(sent.starts_with("We moved your mail records"), "{sent}");
    a.close().await.expect("close");
    stop.cancel();
}
