//! Webhooks against a real local HTTP receiver: signed deliveries in
//! journal order, retried after the receiver was down, set aside as dead
//! after a day while the next proceeds, the subscription disabled after
//! three days of failures or at once on 410 (the admins told), redirects
//! not followed, private addresses refused unless allowed, department and
//! event filters, "send again", and the background job delivering live.
//! Later retries are reached by handing the sender a later clock.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::http::HeaderMap;
use bilet::domain::ids::TicketId;
use bilet::domain::messages::Kind;
use bilet::domain::status::Status;
use bilet::domain::users::Role;
use bilet::service::tickets::Change;
use bilet::service::webhooks::{self, Spec, send};
use bilet::state::AppState;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sqlx::PgPool;
use time::OffsetDateTime;
use tokio::sync::{Notify, oneshot};

use crate::harness::{TestApp, fixtures};

#[derive(Debug, Clone)]
pub struct Hit {
    pub path: String,
    pub headers: HeaderMap,
    pub body: String,
}

/// A real HTTP server that records what it is sent and answers `status`.
#[derive(Clone)]
pub struct Receiver {
    pub addr: SocketAddr,
    pub hits: Arc<Mutex<Vec<Hit>>>,
    pub status: Arc<AtomicU16>,
    arrived: Arc<Notify>,
}

impl Receiver {
    pub async fn start() -> (Receiver, oneshot::Sender<()>) {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let r = Receiver {
            addr: listener.local_addr().expect("addr"),
            hits: Arc::default(),
            status: Arc::new(AtomicU16::new(200)),
            arrived: Arc::default(),
        };
        let stop = r.serve(listener);
        (r, stop)
    }

    /// Listens again on the same port (after `stop`).
    pub async fn restart(&self) -> oneshot::Sender<()> {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("rebind");
        self.serve(listener)
    }

    fn serve(&self, listener: tokio::net::TcpListener) -> oneshot::Sender<()> {
        let (stop, stopped) = oneshot::channel::<()>();
        let me = self.clone();
        let app = axum::Router::new().fallback(
            move |uri: axum::http::Uri, headers: HeaderMap, body: String| {
                let me = me.clone();
                async move {
                    me.hits.lock().expect("hits").push(Hit {
                        path: uri.path().to_string(),
                        headers,
                        body,
                    });
                    me.arrived.notify_waiters();
                    let code = me.status.load(Ordering::SeqCst);
                    let mut res = axum::response::Response::new(axum::body::Body::empty());
                    *res.status_mut() =
                        axum::http::StatusCode::from_u16(code).expect("webhook test");
                    res.headers_mut()
                        .insert("location", "/elsewhere".parse().expect("webhook test"));
                    res
                }
            },
        );
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = stopped.await;
                })
                .await
                .expect("receiver");
        });
        stop
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().expect("hits").clone()
    }

    /// Waits until `n` requests arrived (the test's ceiling is generous).
    pub async fn wait_for(&self, n: usize) -> Vec<Hit> {
        tokio::time::timeout(Duration::from_secs(30), async {
            loop {
                let arrived = self.arrived.notified();
                if self.hits.lock().expect("hits").len() >= n {
                    return self.hits();
                }
                arrived.await;
            }
        })
        .await
        .expect("the receiver was not reached in time")
    }
}

fn json(hit: &Hit) -> Value {
    serde_json::from_str(&hit.body).expect("a JSON body")
}

/// Checks the signature the way the README tells receivers to.
fn verify(secret: &str, hit: &Hit) -> bool {
    let header = hit.headers["bilet-signature"]
        .to_str()
        .expect("webhook test");
    let mut t = "";
    let mut v1 = "";
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", x)) => t = x,
            Some(("v1", x)) => v1 = x,
            _ => {}
        }
    }
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).expect("webhook test");
    mac.update(format!("{t}.{}", hit.body).as_bytes());
    let want: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    !t.is_empty() && want == v1
}

async fn subscribe(app: &AppState, url: &str, events: &str, private: bool) -> (i64, String) {
    let (row, secret) = webhooks::add(
        app,
        Spec {
            url: url.into(),
            events: events.into(),
            allow_private: private,
            ..Spec::default()
        },
    )
    .await
    .expect("webhook");
    (row.id, secret)
}

/// Queues every journal entry committed so far. Entries become readable
/// only once older transactions anywhere in the cluster have ended (other
/// tests run beside this one), so this polls the reader's position.
pub async fn queued(app: &AppState) {
    let newest: Option<(i64, i64)> = sqlx::query_as(
        "select txid::text::bigint, seq from ticket_journal order by txid desc, seq desc limit 1",
    )
    .fetch_optional(&app.db)
    .await
    .expect("webhook test");
    let Some(newest) = newest else { return };
    for _ in 0..600 {
        send::queue(app).await.expect("queue");
        let at: Option<(i64, i64)> = sqlx::query_as(
            "select txid::text::bigint, seq from journal_positions \
             where reader = 'webhooks' and node = 'cluster'",
        )
        .fetch_optional(&app.db)
        .await
        .expect("webhook test");
        if at.is_some_and(|at| at >= newest) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the journal never became readable");
}

/// Queues what the journal holds and sends what is due at `now`.
pub async fn round(app: &AppState, now: OffsetDateTime) -> send::Round {
    queued(app).await;
    send::run_once(app, now).await.expect("send")
}

async fn setup(db: &PgPool) -> (TestApp, TicketId) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(db, "tech").await;
    let customer = fixtures::user(db, "olga@client.test", Role::Customer, &[]).await;
    fixtures::user(db, "root@support.test", Role::Admin, &[]).await;
    let (id, _) = fixtures::ticket(db, tech, customer, "Сайт не открывается").await;
    (app, id)
}

async fn statuses(db: &PgPool, webhook: i64) -> Vec<(String, i32, String)> {
    sqlx::query_as(
        "select event, attempts, status::text from webhook_deliveries \
         where webhook_id = $1 order by id",
    )
    .bind(webhook)
    .fetch_all(db)
    .await
    .expect("webhook test")
}

#[sqlx::test]
async fn deliveries_are_signed_in_order_and_retried_after_the_receiver_was_down(db: PgPool) {
    let (receiver, stop) = Receiver::start().await;
    let (app, _) = setup(&db).await;
    // Subscribed after the first ticket: only what happens from now on.
    let (hook, secret) = subscribe(&app.state, &receiver.url("/hook"), "*", true).await;
    let tech = fixtures::department(&db, "sales").await;
    let customer = fixtures::user(&db, "ivan@client.test", Role::Customer, &[]).await;
    let (ticket, number) = fixtures::ticket(&db, tech, customer, "Счёт за март").await;
    fixtures::say(&db, ticket, Kind::Customer, Some(customer), "Где мой счёт?").await;
    fixtures::change(&db, ticket, Change::Status(Status::Pending)).await;
    let now = OffsetDateTime::now_utc();
    let r = round(&app.state, now).await;
    assert_eq!((r.sent, r.failed), (3, 0), "{r:?}");
    let hits = receiver.hits();
    let events: Vec<String> = hits
        .iter()
        .map(|h| json(h)["event"].as_str().expect("webhook test").to_string())
        .collect();
    assert_eq!(
        events,
        ["ticket.created", "message.added", "status.changed"]
    );
    for h in &hits {
        assert!(verify(&secret, h), "signature of {}", h.body);
        assert!(!verify("whsec_wrong", h));
        let body = json(h);
        assert_eq!(
            h.headers["bilet-event-id"],
            body["id"].as_str().expect("webhook test")
        );
        assert_eq!(body["ticket"]["number"], number.to_string());
        assert_eq!(body["ticket"]["subject"], "Счёт за март");
        assert_eq!(body["ticket"]["department"], "sales");
        assert_eq!(h.headers["content-type"], "application/json");
        assert_eq!(h.path, "/hook");
    }
    assert_eq!(json(&hits[2])["ticket"]["status"], "pending");
    assert_eq!(json(&hits[2])["status_was"], "open");

    // The receiver goes down: the delivery waits, and what follows queues
    // behind it rather than overtaking it.
    stop.send(()).expect("webhook test");
    fixtures::change(&db, ticket, Change::Status(Status::Open)).await;
    let r = round(&app.state, now).await;
    assert_eq!((r.sent, r.failed), (0, 1));
    let (error, next): (Option<String>, OffsetDateTime) = sqlx::query_as(
        "select last_error, next_at from webhook_deliveries where webhook_id = $1 and status = 'pending'",
    )
    .bind(hook)
    .fetch_one(&db)
    .await
    .expect("webhook test");
    assert!(
        error.as_deref().unwrap_or("").contains("cannot connect"),
        "{error:?}"
    );
    assert!(next > now + Duration::from_secs(25), "backs off: {next}");
    fixtures::say(&db, ticket, Kind::Customer, Some(customer), "Ау?").await;
    let r = round(&app.state, now).await;
    assert_eq!(
        (r.sent, r.failed),
        (0, 0),
        "nothing is due before the retry"
    );

    let _stop = receiver.restart().await;
    let r = round(&app.state, now + Duration::from_secs(31)).await;
    assert_eq!((r.sent, r.failed), (2, 0));
    let hits = receiver.hits();
    let events: Vec<String> = hits[3..]
        .iter()
        .map(|h| json(h)["event"].as_str().expect("webhook test").to_string())
        .collect();
    assert_eq!(
        events,
        ["status.changed", "message.added"],
        "in journal order"
    );
    let failing: Option<OffsetDateTime> =
        sqlx::query_scalar("select failing_since from webhooks where id = $1")
            .bind(hook)
            .fetch_one(&db)
            .await
            .expect("webhook test");
    assert_eq!(failing, None, "a success ends the run of failures");
}

#[sqlx::test]
async fn a_failing_delivery_dies_after_a_day_and_the_subscription_after_three(db: PgPool) {
    let (receiver, _stop) = Receiver::start().await;
    let (app, ticket) = setup(&db).await;
    let (hook, _) = subscribe(&app.state, &receiver.url("/"), "status.changed", true).await;
    receiver.status.store(500, Ordering::SeqCst);
    fixtures::change(&db, ticket, Change::Status(Status::Pending)).await;
    fixtures::change(&db, ticket, Change::Status(Status::Open)).await;
    let now = OffsetDateTime::now_utc();
    assert_eq!(round(&app.state, now).await.failed, 1);
    assert_eq!(
        statuses(&db, hook).await,
        [
            ("status.changed".into(), 1, "pending".into()),
            ("status.changed".into(), 0, "pending".into())
        ]
    );
    // A day later the first is set aside and the second gets its turn.
    let r = round(&app.state, now + Duration::from_secs(25 * 3600)).await;
    assert_eq!(r.failed, 2);
    assert_eq!(
        statuses(&db, hook).await,
        [
            ("status.changed".into(), 2, "dead".into()),
            ("status.changed".into(), 1, "pending".into())
        ]
    );
    assert_eq!(receiver.hits().len(), 3);
    // Three days of failures disable it, and the admins hear of it.
    round(&app.state, now + Duration::from_secs(73 * 3600)).await;
    let (enabled, reason): (bool, Option<String>) =
        sqlx::query_as("select enabled, disabled_reason from webhooks where id = $1")
            .bind(hook)
            .fetch_one(&db)
            .await
            .expect("webhook test");
    assert_eq!((enabled, reason.as_deref()), (false, Some("failing")));
    let told: i64 = sqlx::query_scalar(
        "select count(*) from notifications n join users u on u.id = n.user_id \
         where n.kind = 'webhook_disabled' and u.role = 'admin' and (n.data->>'webhook')::bigint = $1",
    )
    .bind(hook)
    .fetch_one(&db)
    .await
    .expect("webhook test");
    assert_eq!(told, 1);
    // And by mail, in the outbox of the same transaction, with the link.
    let mails: Vec<(String, String)> = sqlx::query_as(
        "select o.subject, o.body_text from outbox o join outbox_recipients r on r.outbox_id = o.id \
         join user_emails e on e.email = r.address join users u on u.id = e.user_id \
         where o.kind = 'notification' and u.role = 'admin'",
    )
    .fetch_all(&db)
    .await
    .expect("webhook test");
    assert_eq!(mails.len(), 1, "{mails:?}");
    let (subject, text) = &mails[0];
    assert!(
        subject.starts_with("Webhook switched off: http"),
        "{subject}"
    );
    assert!(
        text.contains("deliveries failed for three days")
            && text.contains(&format!("/admin/webhooks/{hook}")),
        "{text}"
    );
    let before = receiver.hits().len();
    assert_eq!(
        round(&app.state, now + Duration::from_secs(80 * 3600)).await,
        send::Round::default()
    );
    assert_eq!(
        receiver.hits().len(),
        before,
        "a disabled subscription gets nothing"
    );

    // The second one ran out of its day too before the subscription was
    // disabled. Enabled again, with the receiver well: new changes go, and
    // a dead one can be sent again with its event id.
    assert_eq!(
        statuses(&db, hook).await,
        [
            ("status.changed".into(), 2, "dead".into()),
            ("status.changed".into(), 2, "dead".into())
        ]
    );
    receiver.status.store(204, Ordering::SeqCst);
    webhooks::enable(&app.state, hook, None)
        .await
        .expect("webhook test");
    fixtures::change(&db, ticket, Change::Status(Status::Pending)).await;
    let later = now + Duration::from_secs(81 * 3600);
    assert_eq!(round(&app.state, later).await.sent, 1);
    let (_, history) = webhooks::history(&app.state, hook, None, 10)
        .await
        .expect("webhook test");
    let dead = history
        .iter()
        .find(|d| d.status.as_str() == "dead")
        .expect("webhook test");
    webhooks::resend(&app.state, hook, dead.id)
        .await
        .expect("webhook test");
    assert_eq!(round(&app.state, later).await.sent, 1);
    let last = receiver.hits().pop().expect("webhook test");
    assert_eq!(last.headers["bilet-event-id"], dead.event_id.as_str());
}

#[sqlx::test]
async fn a_target_answering_410_is_disabled_at_once(db: PgPool) {
    let (receiver, _stop) = Receiver::start().await;
    let (app, ticket) = setup(&db).await;
    let (hook, _) = subscribe(&app.state, &receiver.url("/"), "status.changed", true).await;
    receiver.status.store(410, Ordering::SeqCst);
    fixtures::change(&db, ticket, Change::Status(Status::Pending)).await;
    round(&app.state, OffsetDateTime::now_utc()).await;
    let w = webhooks::get(&app.state, hook).await.expect("webhook test");
    assert!(!w.enabled);
    assert_eq!(w.disabled_reason.as_deref(), Some("gone"));
}

#[sqlx::test]
async fn redirects_are_not_followed(db: PgPool) {
    let (receiver, _stop) = Receiver::start().await;
    let (app, ticket) = setup(&db).await;
    let (hook, _) = subscribe(&app.state, &receiver.url("/hook"), "status.changed", true).await;
    receiver.status.store(302, Ordering::SeqCst);
    fixtures::change(&db, ticket, Change::Status(Status::Pending)).await;
    let r = round(&app.state, OffsetDateTime::now_utc()).await;
    assert_eq!(r.failed, 1, "a redirect is a failure");
    let hits = receiver.hits();
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].path, "/hook", "/elsewhere was never asked");
    let (_, history) = webhooks::history(&app.state, hook, None, 10)
        .await
        .expect("webhook test");
    assert_eq!(history[0].last_code, Some(302));
}

#[sqlx::test]
async fn private_addresses_are_refused_unless_allowed(db: PgPool) {
    let (receiver, _stop) = Receiver::start().await;
    let (app, ticket) = setup(&db).await;
    let port = receiver.addr.port();
    let (by_ip, _) = subscribe(&app.state, &receiver.url("/"), "status.changed", false).await;
    // A name resolving to loopback is refused on the address it resolves to.
    let by_name_url = format!("http://localhost:{port}/");
    let (by_name, _) = subscribe(&app.state, &by_name_url, "status.changed", false).await;
    let (allowed, _) = subscribe(&app.state, &receiver.url("/"), "status.changed", true).await;
    fixtures::change(&db, ticket, Change::Status(Status::Pending)).await;
    let r = round(&app.state, OffsetDateTime::now_utc()).await;
    assert_eq!((r.sent, r.failed), (1, 2));
    assert_eq!(receiver.hits().len(), 1, "only the allowed one reached it");
    for hook in [by_ip, by_name] {
        let (_, history) = webhooks::history(&app.state, hook, None, 10)
            .await
            .expect("webhook test");
        let error = history[0].last_error.clone().unwrap_or_default();
        assert!(error.contains("loopback"), "{error}");
        assert_eq!(history[0].last_code, None);
    }
    let (_, history) = webhooks::history(&app.state, allowed, None, 10)
        .await
        .expect("webhook test");
    assert_eq!(history[0].last_code, Some(200));
}

#[sqlx::test]
async fn subscriptions_follow_only_their_events_and_department(db: PgPool) {
    let (receiver, _stop) = Receiver::start().await;
    let (app, ticket) = setup(&db).await;
    let sales = fixtures::department(&db, "sales").await;
    let (app_state, url) = (&app.state, receiver.url("/"));
    let (row, _) = webhooks::add(
        app_state,
        Spec {
            url,
            events: "ticket.created,ticket.transferred".into(),
            department: Some("sales".into()),
            allow_private: true,
            created_by: None,
        },
    )
    .await
    .expect("webhook test");
    let customer = fixtures::user(&db, "ivan@client.test", Role::Customer, &[]).await;
    let tech = fixtures::department(&db, "billing").await;
    fixtures::ticket(&db, tech, customer, "Не тот отдел").await;
    fixtures::change(&db, ticket, Change::Status(Status::Pending)).await;
    fixtures::ticket(&db, sales, customer, "Тот отдел").await;
    // A transfer into the department counts for it.
    fixtures::change(&db, ticket, Change::Transfer(sales)).await;
    round(app_state, OffsetDateTime::now_utc()).await;
    let events: Vec<(String, String)> = receiver
        .hits()
        .iter()
        .map(|h| {
            let b = json(h);
            (
                b["event"].as_str().expect("webhook test").to_string(),
                b["ticket"]["subject"]
                    .as_str()
                    .expect("webhook test")
                    .to_string(),
            )
        })
        .collect();
    assert_eq!(
        events,
        [
            ("ticket.created".into(), "Тот отдел".into()),
            ("ticket.transferred".into(), "Сайт не открывается".into())
        ]
    );
    assert_eq!(json(&receiver.hits()[1])["department_was"], "tech");
    assert_eq!(statuses(&db, row.id).await.len(), 2);
}

#[sqlx::test]
async fn the_background_job_delivers_a_change_as_it_happens(db: PgPool) {
    let (receiver, _stop) = Receiver::start().await;
    let (app, ticket) = setup(&db).await;
    subscribe(&app.state, &receiver.url("/"), "status.changed", true).await;
    let stop = tokio_util::sync::CancellationToken::new();
    let bus = app.state.events.clone();
    tokio::spawn(bus.listen(db.clone(), stop.clone()));
    let job = tokio::spawn(send::follow(app.state.clone(), stop.clone()));
    fixtures::change(&db, ticket, Change::Status(Status::Pending)).await;
    let hits = receiver.wait_for(1).await;
    assert_eq!(json(&hits[0])["ticket"]["status"], "pending");
    stop.cancel();
    job.await.expect("webhook test").expect("webhook test");
}

#[sqlx::test]
async fn bad_subscriptions_are_refused_with_reasons(db: PgPool) {
    let (app, _) = setup(&db).await;
    for (url, events, field) in [
        ("ftp://example.com/", "*", "url"),
        ("not a url", "*", "url"),
        ("https://user:pw@example.com/", "*", "url"),
        ("https://example.com/", "ticket.exploded", "events"),
        ("https://example.com/", "", "events"),
    ] {
        let err = webhooks::add(
            &app.state,
            Spec {
                url: url.into(),
                events: events.into(),
                ..Spec::default()
            },
        )
        .await
        .expect_err("refused");
        match err {
            bilet::service::Error::Invalid(e) => {
                assert!(e.get(field).is_some(), "{url} {events}: {e:?}")
            }
            other => panic!("{url}: {other:?}"),
        }
    }
    assert!(
        webhooks::list(&app.state)
            .await
            .expect("webhook test")
            .is_empty()
    );
}

#[sqlx::test]
async fn the_api_manages_subscriptions_for_admin_tokens_only(db: PgPool) {
    use bilet::service::tokens;
    let (receiver, _stop) = Receiver::start().await;
    let (app, ticket) = setup(&db).await;
    let token =
        |name: &str, departments: Vec<(String, bilet::domain::access::AccessLevel)>, read_only| {
            tokens::create(
                &app.state,
                tokens::Spec {
                    name: name.into(),
                    departments,
                    read_only,
                    ..tokens::Spec::default()
                },
            )
        };
    let admin = token("billing", vec![], false).await.expect("token").0;
    let reader = token("reader", vec![], true).await.expect("token").0;
    let narrow = token(
        "tech",
        vec![("tech".into(), bilet::domain::access::AccessLevel::Manage)],
        false,
    )
    .await
    .expect("token")
    .0;
    let call = |method: reqwest::Method, path: &str, token: &str| {
        app.client
            .request(method, app.url(path))
            .bearer_auth(token.to_string())
    };
    let new = serde_json::json!({
        "url": receiver.url("/api-hook"),
        "events": ["status.changed"],
        "department": "tech",
        "allow_private": true,
    });
    let r = call(reqwest::Method::POST, "/api/v1/webhooks", &reader)
        .json(&new)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 403, "a read-only token");
    let r = call(reqwest::Method::POST, "/api/v1/webhooks", &narrow)
        .json(&new)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 404, "a department-limited token");
    let r = call(reqwest::Method::POST, "/api/v1/webhooks", &admin)
        .json(&serde_json::json!({"url": "gopher://x", "events": []}))
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 422);
    let problem: Value = r.json().await.expect("problem");
    let pointers: Vec<&str> = problem["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["pointer"].as_str().expect("pointer"))
        .collect();
    assert_eq!(pointers, ["/url", "/events"]);

    let r = call(reqwest::Method::POST, "/api/v1/webhooks", &admin)
        .json(&new)
        .send()
        .await
        .expect("POST");
    assert_eq!(r.status(), 201);
    let created: Value = r.json().await.expect("json");
    let secret = created["secret"].as_str().expect("secret").to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    let id = created["id"].as_i64().expect("id");
    let path = format!("/api/v1/webhooks/{id}");
    let listed: Value = call(reqwest::Method::GET, "/api/v1/webhooks", &reader)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    assert_eq!(listed[0]["url"], receiver.url("/api-hook"));
    assert_eq!(listed[0]["department"], "tech");
    assert!(
        !listed.to_string().contains(&secret),
        "the secret is shown once"
    );
    let r = call(reqwest::Method::GET, "/api/v1/webhooks", &narrow)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 404);

    fixtures::change(&db, ticket, Change::Status(Status::Pending)).await;
    assert_eq!(round(&app.state, OffsetDateTime::now_utc()).await.sent, 1);
    assert!(verify(&secret, &receiver.hits()[0]));
    let history: Value = call(reqwest::Method::GET, &format!("{path}/deliveries"), &admin)
        .send()
        .await
        .expect("GET")
        .json()
        .await
        .expect("json");
    let d = &history["deliveries"][0];
    assert_eq!(
        (d["status"].as_str(), d["response_code"].as_i64()),
        (Some("sent"), Some(200))
    );
    let r = call(
        reqwest::Method::POST,
        &format!("{path}/deliveries/{}/resend", d["id"]),
        &admin,
    )
    .send()
    .await
    .expect("resend");
    assert_eq!(r.status(), 202);
    assert_eq!(round(&app.state, OffsetDateTime::now_utc()).await.sent, 1);
    assert_eq!(
        receiver.hits()[1].headers["bilet-event-id"],
        d["event_id"].as_str().expect("id")
    );

    let r = call(reqwest::Method::DELETE, &path, &admin)
        .send()
        .await
        .expect("DELETE");
    assert_eq!(r.status(), 204);
    let r = call(reqwest::Method::GET, &path, &admin)
        .send()
        .await
        .expect("GET");
    assert_eq!(r.status(), 404);
    fixtures::change(&db, ticket, Change::Status(Status::Open)).await;
    round(&app.state, OffsetDateTime::now_utc()).await;
    assert_eq!(
        receiver.hits().len(),
        2,
        "a removed subscription gets nothing"
    );
}
