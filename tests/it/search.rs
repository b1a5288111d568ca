//! Search through the real pages: word forms in four languages, phrases,
//! every operator of the box, hostile input, access by department, to
//! notes and across organisations, the highlighted fragment, paging and
//! sorting, freshness with the background follower, an index reopened or
//! killed mid-way, a rebuild under load, and the `bilet search` commands.
//!
//! Most tests wait for [`indexed`] before they search: a journal entry is
//! readable only once every older transaction in the cluster has ended, and
//! other tests' transactions run beside these.

use std::collections::BTreeSet;
use std::net::SocketAddr;
use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine;
use bilet::config::Config;
use bilet::domain::access::AccessLevel::{self, Manage, Reply};
use bilet::domain::ids::{DepartmentId, TicketId, TicketNumber, UserId};
use bilet::domain::messages::Kind;
use bilet::domain::priority::Priority;
use bilet::domain::status::Status;
use bilet::domain::users::Role;
use bilet::secrets::Secrets;
use bilet::service::tickets::Change;
use bilet::state::AppState;
use bilet::store::journal::Position;
use nix::sys::signal::{Signal, kill};
use nix::unistd::Pid;
use reqwest::StatusCode;
use sqlx::PgPool;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio_util::sync::CancellationToken;

use crate::harness::{Form, PNG, TestApp, assert_redirect, fixtures, texts};

const PASSWORD: &str = "correct horse battery";
const BIN: &str = env!("CARGO_BIN_EXE_bilet");

// ---------------------------------------------------------------- helpers

/// The app with its index built once, as the follower does when a node
/// starts: from then on every search catches the index up by itself.
pub(crate) async fn ready(db: &PgPool) -> TestApp {
    let app = TestApp::spawn(db.clone()).await;
    build_index(&app.state).await;
    app
}

async fn build_index(state: &AppState) {
    bilet::search::indexer::rebuild(&state.search, &state.db, &state.node)
        .await
        .expect("rebuild");
}

/// Waits until the index has applied every journal entry committed so far.
/// Entries become readable only once older transactions anywhere in the
/// cluster have ended (other tests run beside this one), so this polls the
/// index's own position rather than trusting a single catch-up.
pub(crate) async fn indexed(state: &AppState) {
    let newest: Option<(i64, i64)> = sqlx::query_as(
        "select txid::text::bigint, seq from ticket_journal order by txid desc, seq desc limit 1",
    )
    .fetch_optional(&state.db)
    .await
    .expect("journal");
    let Some((txid, seq)) = newest else { return };
    let target = Position { txid, seq };
    state
        .search
        .catch_up(&state.db, &state.node)
        .await
        .expect("catch up");
    if state.search.position() >= target {
        return;
    }
    // The entry waits on another test's transaction: the node's own
    // follower applies it once readable, and announces the position.
    let stop = CancellationToken::new();
    tokio::spawn(bilet::search::follow(state.clone(), stop.clone()));
    let reached = state
        .search
        .wait_past(target, Duration::from_secs(20))
        .await;
    stop.cancel();
    assert!(reached, "the index never reached {target:?}");
}

/// The journal position of `ticket`'s newest change, once it is readable:
/// an entry is read only after every older transaction in the cluster has
/// ended, and other tests' transactions run beside this one. (Taking
/// `journal::end` right after a write may give an older position then.)
async fn written(db: &PgPool, ticket: TicketId) -> Position {
    let (txid, seq): (i64, i64) = sqlx::query_as(
        "select txid::text::bigint, seq from ticket_journal where ticket_id = $1 \
         order by txid desc, seq desc limit 1",
    )
    .bind(ticket)
    .fetch_one(db)
    .await
    .expect("journal");
    let at = Position { txid, seq };
    let deadline = Instant::now() + Duration::from_secs(20);
    // PostgreSQL signals nothing when another session's transaction ends,
    // which is what makes the entry readable: this one wait polls.
    while bilet::store::journal::end(db).await.expect("end") < at {
        assert!(Instant::now() < deadline, "{at:?} never became readable");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    at
}

/// An account with a name of its own; returns its id and one-time password.
async fn person(
    db: &PgPool,
    email: &str,
    name: &str,
    role: Role,
    grants: &[(&str, AccessLevel)],
) -> (UserId, String) {
    bilet::service::accounts::create_account(
        db,
        &fixtures::state(db).hasher,
        None,
        bilet::service::accounts::NewAccount {
            email: email.into(),
            name: name.into(),
            role,
            departments: grants.iter().map(|(s, l)| (s.to_string(), *l)).collect(),
        },
    )
    .await
    .expect("account")
}

/// A staff member signed in on a browser of their own.
async fn staff(
    app: &TestApp,
    email: &str,
    name: &str,
    role: Role,
    grants: &[(&str, AccessLevel)],
) -> (TestApp, UserId) {
    let (id, one_time) = person(&app.state.db, email, name, role, grants).await;
    let browser = app.another_browser();
    browser
        .login_and_set_password(email, &one_time, PASSWORD)
        .await;
    (browser, id)
}

/// An admin (sees every department) signed in.
pub(crate) async fn admin(app: &TestApp) -> TestApp {
    staff(app, "root@support.test", "Root Admin", Role::Admin, &[])
        .await
        .0
}

/// A customer who registered on the portal (signed in), and their id.
async fn customer(app: &TestApp, email: &str, name: &str) -> (TestApp, UserId) {
    let browser = app.another_browser();
    assert_redirect(&browser.register(email, name, PASSWORD).await, "/portal");
    (browser, user_id(&app.state.db, email).await)
}

async fn user_id(db: &PgPool, email: &str) -> UserId {
    sqlx::query_scalar("select user_id from user_emails where email = $1")
        .bind(email)
        .fetch_one(db)
        .await
        .expect("user")
}

/// A ticket whose first message, from its requester, is `body`.
async fn opened(
    db: &PgPool,
    department: DepartmentId,
    requester: UserId,
    subject: &str,
    body: &str,
) -> (TicketId, TicketNumber) {
    let (id, number) = fixtures::ticket(db, department, requester, subject).await;
    fixtures::say(db, id, Kind::Customer, Some(requester), body).await;
    (id, number)
}

fn enc(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// The numbers of the result rows of a queue page.
fn rows(html: &str) -> BTreeSet<i64> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("tr.queue-row[data-number]").expect("selector");
    doc.select(&sel)
        .map(|e| {
            e.value()
                .attr("data-number")
                .and_then(|n| n.parse().ok())
                .expect("a numeric data-number")
        })
        .collect()
}

/// The `q` of a redirect's location, decoded.
fn query_of(location: &str) -> String {
    let (_, query) = location.split_once('?').expect("a query string");
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(k, _)| k == "q")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_else(|| panic!("no q in {location}"))
}

fn set(numbers: &[TicketNumber]) -> BTreeSet<i64> {
    numbers.iter().map(|n| n.0).collect()
}

/// `/agent?q=…` as `browser`: must answer 200; the page.
async fn search_page(browser: &TestApp, query: &str) -> String {
    let res = browser.get(&format!("/agent?q={}", enc(query))).await;
    assert_eq!(res.status(), StatusCode::OK, "q={query:?}");
    res.text().await.expect("page")
}

/// The ticket numbers `browser` finds for `query`.
pub(crate) async fn found(browser: &TestApp, query: &str) -> BTreeSet<i64> {
    rows(&search_page(browser, query).await)
}

/// The number in "N tickets found".
fn total(html: &str) -> u64 {
    let summary = texts(html, ".search-summary strong");
    let text = summary.first().expect("a search summary");
    let digits: String = text
        .split_whitespace()
        .next()
        .unwrap_or("")
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("no count in {text:?}"))
}

/// The portal's result numbers for a customer's `query`.
async fn portal_found(browser: &TestApp, query: &str) -> (BTreeSet<i64>, String) {
    let res = browser.get(&format!("/portal?q={}", enc(query))).await;
    assert_eq!(res.status(), StatusCode::OK, "portal q={query:?}");
    let html = res.text().await.expect("page");
    let numbers = texts(&html, ".ticket-row .ticket-number")
        .iter()
        .map(|n| n.trim_start_matches('#').parse().expect("number"))
        .collect();
    (numbers, html)
}

async fn version(db: &PgPool, number: TicketNumber) -> String {
    let v: i32 = sqlx::query_scalar("select version from tickets where number = $1")
        .bind(number)
        .fetch_one(db)
        .await
        .expect("version");
    v.to_string()
}

/// An agent's reply through the ticket page's form, optionally with a file.
async fn reply_form(agent: &TestApp, number: TicketNumber, body: &str, file: bool) {
    let mut form = Form::new()
        .text("version", &version(&agent.state.db, number).await)
        .text("body", body)
        .text("then", "pending")
        .text("action", "send");
    if file {
        form = form.file("files", "screen.png", PNG);
    }
    let res = agent
        .post_multipart(&format!("/agent/tickets/{number}/reply"), form)
        .await;
    assert_redirect(&res, &format!("/agent/tickets/{number}"));
}

/// The URL of this test's database, for child processes.
async fn url_of(db: &PgPool) -> String {
    let name: String = sqlx::query_scalar("select current_database()")
        .fetch_one(db)
        .await
        .expect("db");
    std::env::var("DATABASE_URL")
        .expect("url")
        .replacen("/postgres?", &format!("/{name}?"), 1)
}

/// The binary over `data_dir` and the test's database, with the tests' keys.
fn bilet(url: &str, data_dir: &Path) -> tokio::process::Command {
    let key = |seed: u8| base64::engine::general_purpose::STANDARD.encode([seed; 32]);
    let mut cmd = tokio::process::Command::new(BIN);
    cmd.arg("--data-dir")
        .arg(data_dir)
        .env("DATABASE_URL", url)
        .env("BILET_LOG__FILTER", "error")
        .env("BILET_SECRETS__SESSION_KEY", key(1))
        .env("BILET_SECRETS__MESSAGE_ID_KEY", key(2))
        .env("BILET_SECRETS__MAILBOX_KEY", key(3))
        .kill_on_drop(true);
    cmd
}

async fn cli(url: &str, data_dir: &Path, args: &[&str]) -> String {
    let out = bilet(url, data_dir).args(args).output().await.expect("cli");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "bilet {args:?}: {text}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    text
}

/// The count on the "documents" line of `bilet search status`.
fn documents_line(status: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix("documents"))
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no documents line in {status}"))
}

/// The entries on the "lag" line of `bilet search status`.
fn lag_line(status: &str) -> u64 {
    status
        .lines()
        .find_map(|l| l.strip_prefix("lag"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no lag line in {status}"))
}

/// Waits until the node over `data_dir` reports (in `journal_positions`)
/// that its index has applied the whole journal.
async fn server_caught_up(db: &PgPool, data_dir: &Path) {
    let node = Config::for_tests(data_dir).node_name();
    let end = bilet::store::journal::end(db).await.expect("end");
    assert!(end > Position::default(), "nothing to wait for");
    server_reached(db, &node, end).await;
}

/// Waits for the node's announcement (`SearchIndexed`) that its index has
/// applied `target` or more; listening starts before the stored position
/// is read, so no announcement is missed in between.
async fn server_reached(db: &PgPool, node: &str, target: Position) {
    let mut listener = sqlx::postgres::PgListener::connect_with(db)
        .await
        .expect("listen");
    listener
        .listen(bilet::events::CHANNEL)
        .await
        .expect("channel");
    let at = bilet::store::journal::position(db, bilet::search::indexer::READER, node)
        .await
        .expect("position");
    if at >= target {
        return;
    }
    let wait = async {
        loop {
            let note = listener.recv().await.expect("notification");
            if let Ok(bilet::events::Event::SearchIndexed { node: n, txid, seq }) =
                serde_json::from_str(note.payload())
                && n == node
                && (Position { txid, seq }) >= target
            {
                return;
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(60), wait)
        .await
        .unwrap_or_else(|_| panic!("the server's index never reached {target:?}"));
}

/// `bilet serve` over `data_dir`, and its address once it listens.
async fn serve(url: &str, data_dir: &Path) -> (tokio::process::Child, SocketAddr) {
    let mut child = bilet(url, data_dir)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("bilet serve");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout")).lines();
    let addr = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(line) = lines.next_line().await.expect("line") {
            if let Some(rest) = line.strip_prefix("Bilet is running at http://") {
                return rest.split('/').next().expect("addr").parse().expect("addr");
            }
        }
        panic!("bilet serve ended without listening");
    })
    .await
    .expect("the server starts");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr)
}

/// Sends `signal` to a server started by [`serve`] and waits for its end.
async fn stop(child: &mut tokio::process::Child, signal: Signal) {
    let pid = Pid::from_raw(child.id().expect("pid") as i32);
    kill(pid, signal).expect("signal");
    tokio::time::timeout(Duration::from_secs(30), child.wait())
        .await
        .expect("the server ends")
        .expect("wait");
}

/// A state of our own over `dir` (the app's, as a node opens it).
fn state_over(db: &PgPool, dir: &Path) -> AppState {
    AppState::new(
        db.clone(),
        Config::for_tests(dir),
        Secrets::for_tests(),
        CancellationToken::new(),
    )
    .expect("state")
}

/// The router of `state` on a port, and a browser for it.
async fn serve_in_process(state: &AppState) -> TestApp {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = bilet::web::router(state.clone());
    tokio::spawn(async move {
        axum::serve(
            listener,
            router.into_make_service_with_connect_info::<SocketAddr>(),
        )
        .await
        .expect("serve");
    });
    TestApp::attach(addr, &state.db)
}

/// The router of `state` on a port with an admin signed in on it.
async fn admin_over(state: &AppState) -> TestApp {
    let browser = serve_in_process(state).await;
    let one_time = browser
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    browser
        .login_and_set_password("root@support.test", &one_time, PASSWORD)
        .await;
    browser
}

/// Sixty tickets holding one word, each opened after the previous one.
async fn sixty(app: &TestApp) -> Vec<TicketNumber> {
    let db = &app.state.db;
    let tech = fixtures::department(db, "tech").await;
    let anna = fixtures::user(db, "anna@example.com", Role::Customer, &[]).await;
    let mut all = Vec::new();
    for i in 0..60 {
        let (_, n) = opened(db, tech, anna, &format!("Batch {i}"), "batchword here").await;
        all.push(n);
    }
    all
}

/// The numbers of a page's rows, in their order.
fn row_order(html: &str) -> Vec<i64> {
    let doc = scraper::Html::parse_document(html);
    let sel = scraper::Selector::parse("tr.queue-row[data-number]").expect("selector");
    doc.select(&sel)
        .filter_map(|e| e.value().attr("data-number")?.parse().ok())
        .collect()
}

async fn live_tickets(db: &PgPool) -> u64 {
    let n: i64 = sqlx::query_scalar("select count(*) from tickets where merged_into_id is null")
        .fetch_one(db)
        .await
        .expect("count");
    n as u64
}

// ------------------------------------------------------------------ tests

/// The spec: a search catches the index up with the journal itself, so a
/// node needs no background job for a ticket just written to be found.
/// Without `ready`'s initial build: a brand-new data folder.
#[sqlx::test]
async fn a_new_node_finds_tickets_without_a_background_job(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (id, n) = opened(&db, tech, anna, "Mail", "почтовый ящик переполнен").await;
    let root = admin(&app).await;
    written(&db, id).await;
    let html = search_page(&root, "переполнен").await;
    assert_eq!(
        rows(&html),
        set(&[n]),
        "a ticket written through the write path is found by the next search"
    );
}

/// After the first build, the next search finds a write without help.
#[sqlx::test]
async fn the_next_search_finds_a_fresh_write(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let root = admin(&app).await;
    let (id, n) = opened(&db, tech, anna, "Mail", "почтовый ящик переполнен").await;
    written(&db, id).await;
    assert_eq!(found(&root, "переполнен").await, set(&[n]));
    fixtures::say(&db, id, Kind::Customer, Some(anna), "и календарь тоже").await;
    written(&db, id).await;
    assert_eq!(found(&root, "календарь").await, set(&[n]));
}

#[sqlx::test]
async fn word_forms_meet_across_languages(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let mut t = Vec::new();
    for body in [
        "Сервера не отвечают с утра",
        "У нас десять серверов в стойке",
        "Проблема с сервером базы",
        "Немає сертифіката на домені",
        "Two disks failed overnight",
        "Zwei Rechnungen sind offen",
        "Ёлка в офисе упала",
        "Елка у входа горит",
        "Принтер печатает пустые листы",
    ] {
        t.push(opened(&db, tech, anna, "Request", body).await.1);
    }
    let root = admin(&app).await;
    indexed(&app.state).await;
    let cases: &[(&str, &[usize])] = &[
        ("сервер", &[0, 1, 2]),
        ("сервера", &[0, 1, 2]),
        ("сертифікат", &[3]),
        ("disk", &[4]),
        ("Rechnung", &[5]),
        ("ёлка", &[6, 7]),
        ("елка", &[6, 7]),
        ("ЁЛКА", &[6, 7]),
    ];
    for (query, want) in cases {
        let want: Vec<TicketNumber> = want.iter().map(|&i| t[i]).collect();
        let got = found(&root, query).await;
        assert_eq!(got, set(&want), "{query}");
        assert!(!got.contains(&t[8].0), "{query} never finds the printer");
    }
    assert_eq!(found(&root, "принтер").await, set(&[t[8]]));
}

#[sqlx::test]
async fn a_quoted_phrase_matches_only_in_that_order(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (_, ordered) = opened(&db, tech, anna, "A", "Please restart the server now").await;
    let (_, shuffled) = opened(&db, tech, anna, "B", "The server did restart").await;
    let root = admin(&app).await;
    indexed(&app.state).await;
    // The same words unquoted meet both; the quotes keep the order.
    assert_eq!(
        found(&root, "restart the server").await,
        set(&[ordered, shuffled])
    );
    assert_eq!(
        found(&root, "\"restart the server\"").await,
        set(&[ordered])
    );
    assert_eq!(found(&root, "«restart the server»").await, set(&[ordered]));
    assert_eq!(
        found(&root, "\"server did restart\"").await,
        set(&[shuffled])
    );
}

/// from: (requester name or address), agent: (an agent who replied, by
/// name, or the one searching with agent:me).
#[sqlx::test]
async fn people_operators_pick_requesters_and_agents(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let (anna, _) = person(&db, "anna@example.com", "Anna Petrova", Role::Customer, &[]).await;
    let (boris, _) = person(&db, "boris@example.com", "Boris Orlov", Role::Customer, &[]).await;
    let (ana, ana_id) = staff(
        &app,
        "ana@support.test",
        "Ana Lysenko",
        Role::Agent,
        &[("tech", Reply)],
    )
    .await;
    let (bo, bo_id) = staff(
        &app,
        "bo@support.test",
        "Bo Stone",
        Role::Agent,
        &[("tech", Reply)],
    )
    .await;
    let (t1, n1) = opened(&db, tech, anna, "VPN", "vpn drops").await;
    let (t2, n2) = opened(&db, tech, boris, "VPN", "vpn slow").await;
    let (_, n3) = opened(&db, tech, anna, "VPN", "vpn again").await;
    fixtures::say(&db, t1, Kind::Agent, Some(ana_id), "Looking into it").await;
    fixtures::say(&db, t2, Kind::Agent, Some(bo_id), "Please reboot").await;
    indexed(&app.state).await;

    assert_eq!(found(&ana, "vpn from:petrova").await, set(&[n1, n3]));
    assert_eq!(found(&ana, "from:anna@example.com").await, set(&[n1, n3]));
    assert_eq!(found(&ana, "from:\"Boris Orlov\"").await, set(&[n2]));
    assert_eq!(found(&ana, "from:nobody@example.com").await, set(&[]));
    assert_eq!(found(&ana, "agent:lysenko").await, set(&[n1]));
    assert_eq!(found(&ana, "vpn agent:\"Bo Stone\"").await, set(&[n2]));
    assert_eq!(found(&ana, "agent:bo@support.test").await, set(&[n2]));
    assert_eq!(found(&ana, "agent:me").await, set(&[n1]));
    assert_eq!(found(&bo, "agent:me").await, set(&[n2]));
    assert_eq!(found(&bo, "агент:я").await, set(&[n2]));
}

/// dept: (slug), status:, priority:; a department or status that does not
/// exist is explained beside the box, never a server error.
#[sqlx::test]
async fn state_operators_filter_by_department_status_and_priority(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let billing = fixtures::department(&db, "billing").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (t1, n1) = opened(&db, tech, anna, "Help", "help needed").await;
    let (t2, n2) = opened(&db, billing, anna, "Help", "help needed").await;
    fixtures::change(&db, t1, Change::Priority(Priority::High)).await;
    fixtures::change(&db, t2, Change::Status(Status::Pending)).await;
    let root = admin(&app).await;
    indexed(&app.state).await;

    assert_eq!(found(&root, "help").await, set(&[n1, n2]));
    assert_eq!(found(&root, "help dept:tech").await, set(&[n1]));
    assert_eq!(found(&root, "dept:billing").await, set(&[n2]));
    assert_eq!(found(&root, "status:pending").await, set(&[n2]));
    assert_eq!(found(&root, "help status:open").await, set(&[n1]));
    assert_eq!(found(&root, "статус:ожидает").await, set(&[n2]));
    assert_eq!(found(&root, "status:open,pending").await, set(&[n1, n2]));
    assert_eq!(found(&root, "priority:high").await, set(&[n1]));
    assert_eq!(found(&root, "help priority:normal").await, set(&[n2]));

    for query in [
        "help status:frozen",
        "help dept:nowhere",
        "priority:whenever",
    ] {
        let html = search_page(&root, query).await;
        assert!(
            !texts(&html, ".search-problems li").is_empty(),
            "{query}: the ignored part is explained"
        );
    }
    let html = search_page(&root, "help dept:nowhere").await;
    assert!(
        rows(&html).is_empty(),
        "an unknown department matches nothing"
    );
    assert_eq!(total(&html), 0);
}

/// has:attachment; after:/before: on the creation date, in the viewer's
/// own time zone (Tokyo here: 20:00 UTC on the 10th is the 11th there).
#[sqlx::test]
async fn attachment_and_date_operators(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (t1, n1) = opened(&db, tech, anna, "Screen", "screen flickers").await;
    let (t2, n2) = opened(&db, tech, anna, "Screen", "screen is black").await;
    for (t, at) in [
        (t1, "2026-03-10 20:00:00+00"),
        (t2, "2026-03-12 12:00:00+00"),
    ] {
        sqlx::query("update tickets set created_at = $2::timestamptz where id = $1")
            .bind(t)
            .bind(at)
            .execute(&db)
            .await
            .expect("backdate");
    }
    let (root, _) = staff(&app, "root@support.test", "Root", Role::Admin, &[]).await;
    sqlx::query("update users set time_zone = 'Asia/Tokyo' where id = (select user_id from user_emails where email = 'root@support.test')")
        .execute(&db)
        .await
        .expect("zone");
    // The reply (with a file) journals t1 again; t2 gets a plain message,
    // so both documents are read after the backdating.
    reply_form(&root, n1, "see the screenshot", true).await;
    fixtures::say(&db, t2, Kind::Customer, Some(anna), "still black").await;
    indexed(&app.state).await;

    assert_eq!(found(&root, "screen").await, set(&[n1, n2]));
    assert_eq!(found(&root, "has:attachment").await, set(&[n1]));
    assert_eq!(found(&root, "screen есть:файл").await, set(&[n1]));
    assert_eq!(found(&root, "screenshot").await, set(&[n1]));
    assert_eq!(found(&root, "after:2026-03-11").await, set(&[n1, n2]));
    assert_eq!(found(&root, "screen before:2026-03-11").await, set(&[]));
    assert_eq!(
        found(&root, "after:2026-03-11 before:2026-03-12").await,
        set(&[n1])
    );
    assert_eq!(found(&root, "after:12.03.2026").await, set(&[n2]));
    assert_eq!(
        found(&root, "screen before:2026-03-13").await,
        set(&[n1, n2])
    );
    let html = search_page(&root, "after:2026-02-30").await;
    assert!(
        !texts(&html, ".search-problems li").is_empty(),
        "no Feb 30th"
    );
}

/// -word excludes; subject: looks at the subject alone.
#[sqlx::test]
async fn exclusions_and_the_subject_operator(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (_, jam) = opened(&db, tech, anna, "Printer jam", "the paper is stuck").await;
    let (_, order) = opened(&db, tech, anna, "Paper order", "we need more paper").await;
    let (_, toner) = opened(&db, tech, anna, "Toner", "paper, toner and a printer").await;
    let root = admin(&app).await;
    indexed(&app.state).await;

    assert_eq!(found(&root, "paper").await, set(&[jam, order, toner]));
    assert_eq!(found(&root, "paper -printer").await, set(&[order]));
    assert_eq!(found(&root, "paper -printers").await, set(&[order]));
    assert_eq!(found(&root, "-printer").await, set(&[order]));
    assert_eq!(found(&root, "subject:paper").await, set(&[order]));
    assert_eq!(found(&root, "subject:printer").await, set(&[jam]));
    assert_eq!(found(&root, "тема:\"printer jam\"").await, set(&[jam]));
}

/// -"a phrase" excludes tickets holding that phrase, and never fails.
#[sqlx::test]
async fn excluding_a_phrase_leaves_the_others(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (_, jam) = opened(&db, tech, anna, "Printer jam", "the paper is stuck").await;
    let (_, order) = opened(&db, tech, anna, "Paper order", "we need more paper").await;
    let root = admin(&app).await;
    indexed(&app.state).await;
    assert_eq!(found(&root, "paper -\"paper order\"").await, set(&[jam]));
    assert_eq!(
        found(&root, "paper -\"paper is stuck\"").await,
        set(&[order])
    );
}

/// "#123" alone opens the ticket; with other words it is a filter.
#[sqlx::test]
async fn a_lone_number_opens_the_ticket(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (_, n1) = opened(&db, tech, anna, "One", "disk full").await;
    let (_, n2) = opened(&db, tech, anna, "Two", "disk full").await;
    let root = admin(&app).await;
    indexed(&app.state).await;

    let res = root.get(&format!("/agent?q=%23{n2}")).await;
    assert!(
        matches!(res.status().as_u16(), 302 | 303),
        "{}",
        res.status()
    );
    assert_eq!(TestApp::location(&res), format!("/agent/tickets/{n2}"));
    let res = root.get(&format!("/agent?q=+%23{n1}+")).await;
    assert_eq!(TestApp::location(&res), format!("/agent/tickets/{n1}"));
    assert_eq!(found(&root, &format!("disk #{n1}")).await, set(&[n1]));
    assert_eq!(found(&root, &format!("#{n1} #{n2}")).await, set(&[n1, n2]));
    // A number nobody has: 200 with nothing rather than a redirect.
    assert_eq!(found(&root, "disk #999999").await, set(&[]));
}

/// The advanced form redirects to the box's query, which finds the same.
#[sqlx::test]
async fn the_advanced_form_composes_a_query(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let billing = fixtures::department(&db, "billing").await;
    let (anna, _) = person(&db, "anna@example.com", "Anna Petrova", Role::Customer, &[]).await;
    let (boris, _) = person(&db, "boris@example.com", "Boris Orlov", Role::Customer, &[]).await;
    let (_, wanted) = opened(&db, billing, anna, "Invoice wrong", "the invoice total").await;
    opened(&db, tech, anna, "Invoice printer", "invoice cannot print").await;
    opened(&db, billing, boris, "Invoice copy", "another invoice").await;
    let root = admin(&app).await;
    indexed(&app.state).await;

    let res = root
        .get("/agent/search?content=invoice&subject=wrong&requester=anna%40example.com&department=billing&agent=&after=2020-01-01&before=")
        .await;
    assert!(res.status().is_redirection(), "{}", res.status());
    let location = TestApp::location(&res);
    let query = query_of(&location);
    for part in [
        "invoice",
        "from:anna@example.com",
        "subject:wrong",
        "dept:billing",
        "after:2020-01-01",
    ] {
        assert!(query.split(' ').any(|p| p == part), "{part} in {query:?}");
    }
    let html = root.get(&location).await.text().await.expect("page");
    assert_eq!(rows(&html), set(&[wanted]), "{location}");
    assert_eq!(total(&html), 1);
    // The same query typed in the box finds the same.
    assert_eq!(found(&root, &query).await, set(&[wanted]));
    // Form fields holding syntax stay words: no redirect to a ticket, no 500.
    let res = root
        .get("/agent/search?content=%23123+-x+status%3Aopen")
        .await;
    assert!(res.status().is_redirection());
    let res = root.get(&TestApp::location(&res)).await;
    assert_eq!(res.status(), StatusCode::OK);
}

/// The redirect is to `/agent?q=…` exactly, as links and bookmarks expect.
#[sqlx::test]
async fn the_advanced_form_redirects_to_a_plain_query(db: PgPool) {
    let app = ready(&db).await;
    let root = admin(&app).await;
    let res = root.get("/agent/search?content=invoice").await;
    assert!(res.status().is_redirection(), "{}", res.status());
    assert_eq!(TestApp::location(&res), "/agent?q=invoice");
}

/// Whatever is typed, the page answers: unbalanced quotes, bare operators,
/// a huge paste, control characters, emoji.
#[sqlx::test]
async fn hostile_input_always_answers(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (_, n) = opened(&db, tech, anna, "Boom", "restart the server 🔥 please").await;
    let root = admin(&app).await;
    indexed(&app.state).await;

    let huge = "server ".repeat(1_430);
    let many = (0..200)
        .map(|i| format!("w{i}"))
        .collect::<Vec<_>>()
        .join(" ");
    let explained = [
        "\"restart the",
        "status:",
        "from:\"unclosed",
        huge.as_str(),
        many.as_str(),
        "-status:open server",
        "after:2026-05-01 before:2026-04-01",
        "has:coffee",
    ];
    for query in explained {
        let html = search_page(&root, query).await;
        let problems = texts(&html, ".search-problems li");
        if query != "status:" {
            assert!(!problems.is_empty(), "{:.40}: explained", query);
        }
    }
    assert_eq!(found(&root, "\"restart the").await, set(&[n]));
    for path in [
        "/agent?q=%00",
        "/agent?q=server%00restart",
        "/agent?q=%F0%9F%94%A5",
        "/agent?q=%E2%80%8B%E2%80%AE",
        "/agent?q=%22%22%22",
        "/agent?q=-",
        "/agent?q=%23",
        "/agent?q=%2399999999999999999999999",
        "/agent?q=%3A%3A%3A",
        "/agent?q=dept%3A%22%22",
        "/agent?q=%FF",
    ] {
        let res = root.get(path).await;
        assert_eq!(res.status(), StatusCode::OK, "{path}");
    }
    // One 10,000-character word: cut, and answered.
    search_page(&root, &"x".repeat(10_000)).await;
}

/// A "word" the analyzer makes no token of (an emoji, a typographic dash)
/// asks for nothing: the other words still find their ticket.
#[sqlx::test]
async fn a_word_without_letters_asks_for_nothing(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (_, n) = opened(&db, tech, anna, "Boom", "restart the server 🔥 please").await;
    let root = admin(&app).await;
    indexed(&app.state).await;
    assert_eq!(
        found(&root, "restart - server").await,
        set(&[n]),
        "an ASCII dash"
    );
    assert_eq!(
        found(&root, "restart — server").await,
        set(&[n]),
        "an em dash"
    );
    assert_eq!(found(&root, "🔥 restart").await, set(&[n]), "an emoji");
}

/// The parser's rule: control characters of a paste (NUL, tab, newline)
/// separate words. A tab does; a NUL must too, not glue the words together.
#[sqlx::test]
async fn a_nul_byte_separates_words_like_a_tab(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (_, n) = opened(&db, tech, anna, "Boom", "restart the server please").await;
    let root = admin(&app).await;
    indexed(&app.state).await;
    assert_eq!(found(&root, "server\trestart").await, set(&[n]));
    assert_eq!(found(&root, "server\0restart").await, set(&[n]));
}

/// An agent of tech searching a word only billing's tickets hold sees no
/// row, no snippet, and a total of 0: the count leaks nothing either.
#[sqlx::test]
async fn agents_find_only_their_departments_tickets(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let billing = fixtures::department(&db, "billing").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (_, secret) = opened(&db, billing, anna, "Оплата", "квитанция не пришла").await;
    let (_, mine) = opened(&db, tech, anna, "Сеть", "квитанция? нет, роутер").await;
    let (_, other) = opened(&db, billing, anna, "Счёт", "квитанцию потеряли").await;
    let (tech_agent, _) = staff(
        &app,
        "t@support.test",
        "T",
        Role::Agent,
        &[("tech", Manage)],
    )
    .await;
    let (billing_agent, _) = staff(
        &app,
        "b@support.test",
        "B",
        Role::Agent,
        &[("billing", Reply)],
    )
    .await;
    indexed(&app.state).await;

    let html = search_page(&tech_agent, "квитанция").await;
    assert_eq!(rows(&html), set(&[mine]));
    assert_eq!(total(&html), 1, "billing's tickets are not counted");
    let html = search_page(&tech_agent, "пришла").await;
    assert!(rows(&html).is_empty());
    assert_eq!(total(&html), 0);
    assert!(texts(&html, "span.hit").is_empty(), "no snippet");
    assert!(!html.contains("пришла</mark>") && !html.contains("<mark>пришла"));
    let html = search_page(&tech_agent, "пришла dept:billing").await;
    assert!(rows(&html).is_empty());
    assert_eq!(total(&html), 0);
    let html = search_page(&tech_agent, &format!("#{secret} квитанция")).await;
    assert!(rows(&html).is_empty());
    let res = tech_agent.get(&format!("/agent?q=%23{secret}")).await;
    assert_eq!(
        tech_agent.get(&TestApp::location(&res)).await.status(),
        StatusCode::NOT_FOUND,
        "the jump leads to a 404, not the ticket"
    );

    let html = search_page(&billing_agent, "пришла").await;
    assert_eq!(rows(&html), set(&[secret]));
    assert_eq!(texts(&html, "span.hit mark"), ["пришла"]);
    assert_eq!(
        found(&billing_agent, "квитанция").await,
        set(&[secret, other])
    );
}

/// A ticket moved to another department moves out of one agent's results
/// and into the other's: the access keys of the index follow the ticket.
#[sqlx::test]
async fn a_transferred_ticket_changes_who_finds_it(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let billing = fixtures::department(&db, "billing").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (id, n) = opened(&db, billing, anna, "Roaming", "роуминг не работает").await;
    let (tech_agent, _) = staff(&app, "t@support.test", "T", Role::Agent, &[("tech", Reply)]).await;
    let (billing_agent, _) = staff(
        &app,
        "b@support.test",
        "B",
        Role::Agent,
        &[("billing", Reply)],
    )
    .await;
    indexed(&app.state).await;
    assert_eq!(found(&tech_agent, "роуминг").await, set(&[]));
    assert_eq!(found(&billing_agent, "роуминг").await, set(&[n]));

    fixtures::change(&db, id, Change::Transfer(tech)).await;
    indexed(&app.state).await;
    assert_eq!(found(&tech_agent, "роуминг").await, set(&[n]));
    assert_eq!(found(&tech_agent, "роуминг dept:tech").await, set(&[n]));
    let html = search_page(&billing_agent, "роуминг").await;
    assert!(rows(&html).is_empty(), "billing no longer sees it");
    assert_eq!(total(&html), 0);
}

/// A word only in an internal note: staff find the ticket, its customer
/// never does (portal, service), and their snippet never shows the note.
#[sqlx::test]
async fn notes_are_found_by_staff_never_by_customers(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let (portal, anna) = customer(&app, "anna@example.com", "Anna Petrova").await;
    let (agent, _) = staff(
        &app,
        "ana@support.test",
        "Ana",
        Role::Agent,
        &[("tech", Reply)],
    )
    .await;
    let (id, n) = opened(&db, tech, anna, "Принтер", "Принтер сломался опять").await;
    let v = version(&db, n).await;
    let res = agent
        .post_multipart(
            &format!("/agent/tickets/{n}/note"),
            Form::new()
                .text("version", &v)
                .text("body", "Принтер заменить, клиент должник zebra42"),
        )
        .await;
    assert_redirect(&res, &format!("/agent/tickets/{n}"));
    fixtures::say(
        &db,
        id,
        Kind::Agent,
        Some(user_id(&db, "ana@support.test").await),
        "Мы посмотрим принтер",
    )
    .await;
    indexed(&app.state).await;

    let html = search_page(&agent, "zebra42").await;
    assert_eq!(rows(&html), set(&[n]));
    assert_eq!(texts(&html, "span.hit mark"), ["zebra42"]);
    assert_eq!(found(&agent, "должник").await, set(&[n]));

    let (numbers, html) = portal_found(&portal, "zebra42").await;
    assert!(
        numbers.is_empty(),
        "the customer never finds the note's word"
    );
    assert!(!html.contains("должник"));
    let (numbers, _) = portal_found(&portal, "должник").await;
    assert!(numbers.is_empty());
    let (numbers, html) = portal_found(&portal, "принтер").await;
    assert_eq!(numbers, set(&[n]));
    let snippet = texts(&html, ".hit").join(" ");
    assert!(!snippet.is_empty(), "a snippet of the customer's own text");
    assert!(
        !snippet.contains("zebra42")
            && !snippet.contains("должник")
            && !snippet.contains("заменить"),
        "{snippet}"
    );
    assert!(!html.contains("должник"));
    // Another customer finds nothing of Anna's, not even her own words.
    let (other, _) = customer(&app, "boris@example.com", "Boris").await;
    let (numbers, _) = portal_found(&other, "сломался").await;
    assert!(numbers.is_empty());
}

/// Customers of an organisation that shares tickets find each other's;
/// of one that does not, only their own.
#[sqlx::test]
async fn organisation_colleagues_find_only_shared_tickets(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let shared = fixtures::organisation(&db, true).await;
    let private = fixtures::organisation(&db, false).await;
    let (anna_browser, anna) = customer(&app, "anna@example.com", "Anna").await;
    let (olga_browser, olga) = customer(&app, "olga@example.com", "Olga").await;
    let (pavel_browser, pavel) = customer(&app, "pavel@example.com", "Pavel").await;
    let (rita_browser, rita) = customer(&app, "rita@example.com", "Rita").await;
    for (user, org) in [
        (anna, shared),
        (olga, shared),
        (pavel, private),
        (rita, private),
    ] {
        sqlx::query("update users set organisation_id = $2 where id = $1")
            .bind(user)
            .bind(org)
            .execute(&db)
            .await
            .expect("organisation");
    }
    let (_, a) = opened(&db, tech, anna, "Office", "офисный wifi упал").await;
    let (_, p) = opened(&db, tech, pavel, "Office", "офисный принтер").await;
    indexed(&app.state).await;

    assert_eq!(portal_found(&anna_browser, "офисный").await.0, set(&[a]));
    assert_eq!(portal_found(&olga_browser, "офисный").await.0, set(&[a]));
    assert_eq!(
        portal_found(&rita_browser, "офисный").await.0,
        set(&[]),
        "Pavel's organisation does not share: Rita never finds his ticket"
    );
    assert_eq!(portal_found(&pavel_browser, "офисный").await.0, set(&[p]));
}

/// A merged ticket leaves the index; its conversation is found in the
/// ticket it was merged into.
#[sqlx::test]
async fn a_merged_ticket_is_found_through_its_target(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (_, from) = opened(&db, tech, anna, "Old", "sourceword in the old one").await;
    let (_, into) = opened(&db, tech, anna, "New", "targetword in the new one").await;
    let root = admin(&app).await;
    indexed(&app.state).await;
    assert_eq!(found(&root, "sourceword").await, set(&[from]));

    let res = root
        .post_form(
            &format!("/agent/tickets/{from}/merge"),
            &[
                ("version", &version(&db, from).await),
                ("value", &into.to_string()),
                ("confirm", "1"),
            ],
        )
        .await;
    assert_redirect(&res, &format!("/agent/tickets/{into}"));
    indexed(&app.state).await;
    assert_eq!(found(&root, "sourceword").await, set(&[into]));
    assert_eq!(found(&root, "targetword").await, set(&[into]));
    assert_eq!(
        app.state.search.handle().expect("index").live().documents(),
        live_tickets(&db).await,
        "the merged ticket has no document of its own"
    );
}

/// A requester who changes their name is found by the new one: the
/// documents of their tickets hold their name, and must follow it.
#[sqlx::test]
async fn a_renamed_requester_is_found_by_the_new_name(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let (portal, anna) = customer(&app, "anna@example.com", "Anna Petrova").await;
    let (_, n) = opened(&db, tech, anna, "Mail", "mail bounces").await;
    let root = admin(&app).await;
    indexed(&app.state).await;
    assert_eq!(found(&root, "from:petrova").await, set(&[n]));

    let res = portal
        .post_form(
            "/account",
            &[("name", "Anna Sidorova"), ("locale", ""), ("time_zone", "")],
        )
        .await;
    assert_redirect(&res, "/account");
    indexed(&app.state).await;
    assert_eq!(
        found(&root, "from:sidorova").await,
        set(&[n]),
        "the new name"
    );
    assert_eq!(
        found(&root, "from:petrova").await,
        set(&[]),
        "not the old one"
    );
}

/// The queue form's filters beside the box narrow a search the same way
/// its operators do: status, priority, department, assignee, requester.
#[sqlx::test]
async fn the_filter_form_narrows_a_search(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let billing = fixtures::department(&db, "billing").await;
    let (anna, _) = person(&db, "anna@example.com", "Anna Petrova", Role::Customer, &[]).await;
    let (boris, _) = person(&db, "boris@example.com", "Boris Orlov", Role::Customer, &[]).await;
    let (ana, ana_id) = staff(
        &app,
        "ana@support.test",
        "Ana",
        Role::Agent,
        &[("tech", Manage), ("billing", Manage)],
    )
    .await;
    let (t1, n1) = opened(&db, tech, anna, "Help", "help needed").await;
    let (t2, n2) = opened(&db, billing, boris, "Help", "help needed").await;
    let (_, n3) = opened(&db, tech, boris, "Other", "nothing to see").await;
    fixtures::change(&db, t1, Change::Priority(Priority::Urgent)).await;
    fixtures::change(&db, t1, Change::Assign(Some(ana_id))).await;
    fixtures::change(&db, t2, Change::Status(Status::Pending)).await;
    indexed(&app.state).await;

    let narrowed = |extra: &str| format!("/agent?q=help&{extra}");
    for (extra, want) in [
        ("status=pending".to_string(), set(&[n2])),
        ("status=open,pending".to_string(), set(&[n1, n2])),
        ("priority=urgent".to_string(), set(&[n1])),
        (format!("department={tech}"), set(&[n1])),
        ("assignee=me".to_string(), set(&[n1])),
        ("assignee=unassigned".to_string(), set(&[n2])),
        ("requester=orlov".to_string(), set(&[n2])),
    ] {
        let res = ana.get(&narrowed(&extra)).await;
        assert_eq!(res.status(), StatusCode::OK, "{extra}");
        let html = res.text().await.expect("page");
        assert_eq!(rows(&html), want, "{extra}");
        assert!(!rows(&html).contains(&n3.0));
    }
}

/// A saved search with words is a tab: its count and its rows come from
/// the index with the agent's own access.
#[sqlx::test]
async fn a_saved_search_counts_and_lists_what_the_agent_may_see(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let billing = fixtures::department(&db, "billing").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (_, mine) = opened(&db, tech, anna, "Сеть", "квитанция и роутер").await;
    let (_, also) = opened(&db, tech, anna, "Сеть", "квитанции нет").await;
    opened(&db, billing, anna, "Оплата", "квитанция не пришла").await;
    let (agent, _) = staff(&app, "t@support.test", "T", Role::Agent, &[("tech", Reply)]).await;
    indexed(&app.state).await;

    let res = agent
        .post_form(
            "/agent/workspaces",
            &[("name", "Квитанции"), ("query", "q=квитанция")],
        )
        .await;
    let location = TestApp::location(&res);
    assert!(location.starts_with("/agent?ws="), "{location}");
    let html = agent.get(&location).await.text().await.expect("tab");
    assert_eq!(rows(&html), set(&[mine, also]));
    assert_eq!(
        texts(&html, ".tab.active .count"),
        ["2"],
        "billing's is not counted"
    );
}

/// The fragment comes from the message that matched, with the word as it
/// stands there highlighted.
#[sqlx::test]
async fn the_snippet_highlights_the_matching_word(db: PgPool) {
    let app = ready(&db).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let ana = fixtures::user(&db, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let (id, n) = opened(&db, tech, anna, "Почта", "Добрый день, не работает почта").await;
    fixtures::say(
        &db,
        id,
        Kind::Agent,
        Some(ana),
        "Проблема была с сервером, уже исправили",
    )
    .await;
    let root = admin(&app).await;
    indexed(&app.state).await;

    let html = search_page(&root, "сервер").await;
    assert_eq!(rows(&html), set(&[n]));
    assert_eq!(texts(&html, "span.hit mark"), ["сервером"]);
    let hit = texts(&html, "span.hit").join(" ");
    assert!(hit.contains("Проблема была с"), "{hit}");
    let html = search_page(&root, "\"почта\"").await;
    assert_eq!(texts(&html, "span.hit mark"), ["почта"]);
}

/// Results page through `a[rel=next]` without losing or repeating a row,
/// by relevance (a text search's default) and by date.
#[sqlx::test]
async fn results_page_without_gaps_or_repeats(db: PgPool) {
    let app = ready(&db).await;
    let all = sixty(&app).await;
    let root = admin(&app).await;
    indexed(&app.state).await;
    for sort in ["", "&sort=activity_newest"] {
        let mut seen = BTreeSet::new();
        let mut path = format!("/agent?q=batchword{sort}");
        let mut pages = 0;
        loop {
            let res = root.get(&path).await;
            assert_eq!(res.status(), StatusCode::OK, "{path}");
            let html = res.text().await.expect("page");
            for n in rows(&html) {
                assert!(seen.insert(n), "#{n} twice ({path})");
            }
            pages += 1;
            match crate::harness::attr(&html, "a[rel=next]", "href") {
                Some(next) => path = next,
                None => break,
            }
            assert!(pages < 10, "pages without end");
        }
        assert_eq!(seen, set(&all), "sort {sort:?}");
        assert_eq!(pages, 2);
    }
}

/// Ranked pages come from the first page's snapshot: tickets that land in
/// between (better matches, even) neither push rows off nor repeat them.
#[sqlx::test]
async fn later_ranked_pages_neither_repeat_nor_skip(db: PgPool) {
    let app = ready(&db).await;
    let all = sixty(&app).await;
    let root = admin(&app).await;
    indexed(&app.state).await;
    let html = search_page(&root, "batchword").await;
    let first = rows(&html);
    assert_eq!(first.len(), 50);
    let next = crate::harness::attr(&html, "a[rel=next]", "href").expect("next");

    let tech: DepartmentId = sqlx::query_scalar("select id from departments where slug = 'tech'")
        .fetch_one(&db)
        .await
        .expect("tech");
    let anna = user_id(&db, "anna@example.com").await;
    for i in 0..5 {
        opened(
            &db,
            tech,
            anna,
            "batchword",
            &format!("batchword batchword {i}"),
        )
        .await;
    }
    indexed(&app.state).await;
    let second = rows(&root.get(&next).await.text().await.expect("page"));
    assert!(first.is_disjoint(&second), "no row twice: {second:?}");
    let both: BTreeSet<i64> = first.union(&second).copied().collect();
    assert_eq!(
        both,
        set(&all),
        "page two holds the rest of page one's search"
    );
    // A new search sees the newcomers.
    assert_eq!(total(&search_page(&root, "batchword").await), 65);
}

/// Page two of a date-ordered search (its sort kept in the URL) still says
/// how many tickets the search found, not how many are left.
#[sqlx::test]
async fn every_page_states_the_searchs_total(db: PgPool) {
    let app = ready(&db).await;
    sixty(&app).await;
    let root = admin(&app).await;
    indexed(&app.state).await;
    for sort in ["relevance", "activity_newest"] {
        let html = root
            .get(&format!("/agent?q=batchword&sort={sort}"))
            .await
            .text()
            .await
            .expect("page");
        assert_eq!(total(&html), 60, "{sort}: page one");
        let next = crate::harness::attr(&html, "a[rel=next]", "href").expect("next");
        let next = if next.contains("sort=") {
            next
        } else {
            format!("{next}&sort={sort}")
        };
        let html = root.get(&next).await.text().await.expect("page");
        assert_eq!(row_order(&html).len(), 10, "{next}");
        assert_eq!(total(&html), 60, "{next}: page two");
    }
}

/// The sort chosen beside the box orders the results: oldest first when
/// asked for, not always newest activity first.
#[sqlx::test]
async fn results_follow_the_chosen_order(db: PgPool) {
    let app = ready(&db).await;
    let all = sixty(&app).await;
    let root = admin(&app).await;
    indexed(&app.state).await;
    let (first, last) = (all[0].0, all[59].0);
    for (sort, top) in [
        ("activity_newest", last),
        ("created_newest", last),
        ("activity_oldest", first),
        ("created_oldest", first),
    ] {
        let html = root
            .get(&format!("/agent?q=batchword&sort={sort}"))
            .await
            .text()
            .await
            .expect("page");
        let order = row_order(&html);
        assert_eq!(order.first(), Some(&top), "{sort}: {order:?}");
    }
}

/// The real follower: a reply is applied within seconds, with nobody
/// searching meanwhile, and the page then finds it.
#[sqlx::test]
async fn the_follower_applies_a_reply_within_seconds(db: PgPool) {
    let app = TestApp::spawn(db.clone()).await;
    let stop = CancellationToken::new();
    tokio::spawn(app.state.events.clone().listen(db.clone(), stop.clone()));
    tokio::spawn(bilet::search::follow(app.state.clone(), stop.clone()));
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (id, n) = opened(&db, tech, anna, "Backup", "backup failed").await;
    let pos = written(&db, id).await;
    assert!(
        app.state
            .search
            .wait_past(pos, Duration::from_secs(10))
            .await,
        "the follower built the index and applied the ticket"
    );
    fixtures::say(&db, id, Kind::Customer, Some(anna), "qwertyfresh appeared").await;
    let pos = written(&db, id).await;
    assert!(
        app.state
            .search
            .wait_past(pos, Duration::from_secs(10))
            .await,
        "the follower applied the reply"
    );
    assert!(app.state.search.position() >= pos);
    let root = admin(&app).await;
    let html = search_page(&root, "qwertyfresh").await;
    assert_eq!(rows(&html), set(&[n]));
    assert!(
        texts(&html, ".search-summary .notice").is_empty(),
        "not rebuilding"
    );
    stop.cancel();
}

/// An index reopened over the same folder after the node went away picks
/// up exactly where it stopped: every ticket once, none missing.
#[sqlx::test]
async fn a_reopened_index_catches_up_without_gaps_or_duplicates(db: PgPool) {
    let dir = tempfile::tempdir().expect("dir");
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let mut words = Vec::new();
    let mut ids = Vec::new();
    for i in 0..10 {
        let word = format!("before{i}x");
        ids.push(opened(&db, tech, anna, "Before", &word).await);
        words.push((word, ids[i].1));
    }
    {
        let state = state_over(&db, dir.path());
        build_index(&state).await;
        indexed(&state).await;
        assert_eq!(state.search.handle().expect("index").live().documents(), 10);
    }
    // While no node runs: new tickets, and new messages on old ones.
    for i in 0..7 {
        let word = format!("after{i}x");
        let t = opened(&db, tech, anna, "After", &word).await;
        words.push((word, t.1));
    }
    for (i, (id, n)) in ids.iter().take(3).enumerate() {
        let word = format!("later{i}x");
        fixtures::say(&db, *id, Kind::Customer, Some(anna), &word).await;
        words.push((word, *n));
    }
    let state = state_over(&db, dir.path());
    assert!(
        !state.search.handle().expect("index").is_incomplete(),
        "the old index is reused, not rebuilt"
    );
    indexed(&state).await;
    let documents = state.search.handle().expect("index").live().documents();
    assert_eq!(documents, live_tickets(&db).await);
    assert_eq!(documents, 17);
    let root = admin_over(&state).await;
    for (word, n) in &words {
        let html = search_page(&root, word).await;
        assert_eq!(rows(&html), set(&[*n]), "{word}");
        assert_eq!(total(&html), 1, "{word}");
    }
}

/// `bilet serve` killed with SIGKILL while its follower indexes a burst:
/// restarted over the same folder, it holds every ticket exactly once.
#[sqlx::test]
async fn a_killed_server_loses_and_repeats_nothing(db: PgPool) {
    let url = url_of(&db).await;
    let dir = tempfile::tempdir().expect("dir");
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let node = Config::for_tests(dir.path()).node_name();
    let (mut child, _) = serve(&url, dir.path()).await;
    let start = bilet::store::journal::end(&db).await.expect("end");
    let mut numbers = Vec::new();
    for i in 0..120 {
        let t = opened(&db, tech, anna, &format!("Burst {i}"), "burstword").await;
        numbers.push(t.1);
        if i == 80 {
            // Killed once its follower has applied part of the burst, while
            // the rest is still being written.
            let past_start = Position {
                txid: start.txid,
                seq: start.seq + 1,
            };
            server_reached(&db, &node, past_start).await;
            stop(&mut child, Signal::SIGKILL).await;
        }
    }
    let (mut child, _) = serve(&url, dir.path()).await;
    // The restarted node catches up by itself; wait for its announcement.
    server_caught_up(&db, dir.path()).await;
    let status = cli(&url, dir.path(), &["search", "status"]).await;
    assert_eq!(lag_line(&status), 0, "{status}");
    assert_eq!(documents_line(&status), 120, "{status}");
    assert!(!status.contains("being built"), "{status}");
    stop(&mut child, Signal::SIGTERM).await;
    let state = state_over(&db, dir.path());
    assert_eq!(
        state.search.handle().expect("index").live().documents(),
        120
    );
    let root = admin_over(&state).await;
    let mut seen = BTreeSet::new();
    let mut path = "/agent?q=burstword&sort=relevance".to_string();
    loop {
        let html = root.get(&path).await.text().await.expect("page");
        if seen.is_empty() {
            assert_eq!(total(&html), 120);
        }
        seen.extend(rows(&html));
        match crate::harness::attr(&html, "a[rel=next]", "href") {
            Some(next) => path = next,
            None => break,
        }
    }
    assert_eq!(seen, set(&numbers));
}

/// A rebuild while agents search: every query answers with the full set
/// during and after it; the CLI then reports the right count.
#[sqlx::test]
async fn queries_answer_in_full_during_a_rebuild(db: PgPool) {
    let url = url_of(&db).await;
    let dir = tempfile::tempdir().expect("dir");
    let state = state_over(&db, dir.path());
    let browser = serve_in_process(&state).await;
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let mut numbers = Vec::new();
    for i in 0..40 {
        numbers.push(
            opened(&db, tech, anna, &format!("Load {i}"), "loadword")
                .await
                .1,
        );
    }
    // Plenty of other tickets, so that the rebuild takes a while.
    for i in 0..400 {
        fixtures::ticket(&db, tech, anna, &format!("Filler {i}")).await;
    }
    let pw = browser
        .create_account("root@support.test", Role::Admin, &[])
        .await;
    browser
        .login_and_set_password("root@support.test", &pw, PASSWORD)
        .await;
    build_index(&state).await;
    indexed(&state).await;
    let want = set(&numbers);
    assert_eq!(found(&browser, "loadword").await, want);

    let done = CancellationToken::new();
    let queries = {
        let (browser, done, want) = (browser.another_browser(), done.clone(), want.clone());
        // another_browser has no cookies: sign in again on it.
        tokio::spawn(async move {
            browser.login("root@support.test", PASSWORD).await;
            let mut during = 0;
            while !done.is_cancelled() {
                let html = search_page(&browser, "loadword").await;
                let numbers: BTreeSet<i64> = rows(&html);
                assert_eq!(numbers, want, "a query during the rebuild");
                assert_eq!(total(&html), 40);
                during += 1;
                tokio::task::yield_now().await;
            }
            during
        })
    };
    for _ in 0..2 {
        let n = bilet::search::indexer::rebuild(&state.search, &db, &state.node)
            .await
            .expect("rebuild");
        assert_eq!(n, 440);
    }
    done.cancel();
    let during = queries.await.expect("queries never failed");
    assert!(during > 0, "queries ran while the index was rebuilt");
    assert_eq!(found(&browser, "loadword").await, want);
    assert_eq!(
        state.search.handle().expect("index").live().documents(),
        440
    );
    let status = cli(&url, dir.path(), &["search", "status"]).await;
    assert_eq!(documents_line(&status), 440, "{status}");
    assert_eq!(lag_line(&status), 0, "{status}");
}

/// `bilet search --as`: the person's own access, notes for staff only.
#[sqlx::test]
async fn the_cli_searches_with_a_persons_access(db: PgPool) {
    let url = url_of(&db).await;
    let dir = tempfile::tempdir().expect("dir");
    let tech = fixtures::department(&db, "tech").await;
    let billing = fixtures::department(&db, "billing").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let ana = fixtures::user(&db, "ana@support.test", Role::Agent, &[("tech", Reply)]).await;
    let (id, n) = opened(&db, tech, anna, "Диск", "диск заполнен").await;
    fixtures::say(&db, id, Kind::Note, Some(ana), "внутренняя заметка okapi").await;
    opened(&db, billing, anna, "Счёт", "диск оплатили").await;
    {
        // The node's index, built and caught up, then let go of.
        let state = state_over(&db, dir.path());
        build_index(&state).await;
        indexed(&state).await;
    }
    let out = cli(
        &url,
        dir.path(),
        &["search", "--as", "ana@support.test", "--json", "okapi"],
    )
    .await;
    let hits: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(hits.len(), 1, "{out}");
    assert_eq!(hits[0]["number"], n.0);
    assert!(
        hits[0]["snippet"]
            .as_str()
            .unwrap_or("")
            .contains("[okapi]")
    );
    let out = cli(
        &url,
        dir.path(),
        &["search", "--as", "anna@example.com", "okapi"],
    )
    .await;
    assert!(out.trim_end().ends_with("0 found"), "{out}");
    assert!(!out.contains("okapi"), "{out}");
    let out = cli(
        &url,
        dir.path(),
        &["search", "--as", "ana@support.test", "диски"],
    )
    .await;
    assert!(out.trim_end().ends_with("1 found"), "only tech's: {out}");
    let out = cli(
        &url,
        dir.path(),
        &["search", "--as", "anna@example.com", "диски"],
    )
    .await;
    assert!(out.trim_end().ends_with("2 found"), "both of hers: {out}");
}

/// `bilet search reindex` beside a running server asks that server (which
/// holds the index) to rebuild, and reports the count it rebuilt.
#[sqlx::test]
async fn the_cli_reindex_asks_the_running_server(db: PgPool) {
    let url = url_of(&db).await;
    let dir = tempfile::tempdir().expect("dir");
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    for i in 0..25 {
        opened(&db, tech, anna, &format!("Re {i}"), "reindexword").await;
    }
    let (mut child, _) = serve(&url, dir.path()).await;
    // The server has indexed everything (and listens for requests) first.
    server_caught_up(&db, dir.path()).await;
    let out = cli(&url, dir.path(), &["search", "reindex"]).await;
    assert!(
        out.contains("is rebuilding its index"),
        "the server answered: {out}"
    );
    assert!(out.contains("rebuilt: 25 tickets indexed"), "{out}");
    let status = cli(&url, dir.path(), &["search", "status"]).await;
    assert_eq!(documents_line(&status), 25, "{status}");
    stop(&mut child, Signal::SIGTERM).await;
}

/// `bilet search status` only looks: run while a server has just started
/// (its new index not committed yet), it must not replace that index with
/// one of its own, or the server's work is lost to every later look.
#[sqlx::test]
async fn status_beside_a_starting_server_leaves_its_index_alone(db: PgPool) {
    let url = url_of(&db).await;
    let dir = tempfile::tempdir().expect("dir");
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    for i in 0..25 {
        opened(&db, tech, anna, &format!("Look {i}"), "lookword").await;
    }
    let (mut child, _) = serve(&url, dir.path()).await;
    cli(&url, dir.path(), &["search", "status"]).await;
    server_caught_up(&db, dir.path()).await;
    let status = cli(&url, dir.path(), &["search", "status"]).await;
    assert_eq!(documents_line(&status), 25, "{status}");
    assert_eq!(lag_line(&status), 0, "{status}");
    stop(&mut child, Signal::SIGTERM).await;
}

/// Two nodes over one database each keep their own index from the same
/// journal: a ticket written through either is found on both.
#[sqlx::test]
async fn each_node_keeps_its_own_index_from_the_journal(db: PgPool) {
    let (one_dir, two_dir) = (
        tempfile::tempdir().expect("dir"),
        tempfile::tempdir().expect("dir"),
    );
    let one = state_over(&db, one_dir.path());
    let two = state_over(&db, two_dir.path());
    assert_ne!(one.node, two.node, "two data folders are two nodes");
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (_, n) = opened(&db, tech, anna, "Квота диска", "диски переполнены").await;
    let (one_browser, two_browser) = (admin_over(&one).await, serve_in_process(&two).await);
    let two_browser = {
        // The admin's session works on both nodes: one database.
        two_browser.set_cookie(
            "bilet_session",
            &one_browser.cookie("bilet_session").expect("session"),
        );
        two_browser
    };
    indexed(&one).await;
    indexed(&two).await;
    assert_eq!(found(&one_browser, "диск").await, set(&[n]));
    assert_eq!(found(&two_browser, "диск").await, set(&[n]));
    assert_ne!(
        one.search.handle().expect("one").live().folder,
        two.search.handle().expect("two").live().folder
    );
    assert_eq!(one.search.handle().expect("one").live().documents(), 1);
    assert_eq!(two.search.handle().expect("two").live().documents(), 1);
}

/// An index whose files were damaged is replaced by a new one on start
/// and filled again; nothing else stops working.
#[sqlx::test]
async fn a_corrupt_index_is_rebuilt_on_start(db: PgPool) {
    let dir = tempfile::tempdir().expect("dir");
    let tech = fixtures::department(&db, "tech").await;
    let anna = fixtures::user(&db, "anna@example.com", Role::Customer, &[]).await;
    let (_, n) = opened(
        &db,
        tech,
        anna,
        "Certificate expired",
        "the certificate of mail.example.com",
    )
    .await;
    let first = state_over(&db, dir.path());
    build_index(&first).await;
    let folder = first.search.handle().expect("index").live().folder.clone();
    drop(first);
    std::fs::write(folder.join("meta.json"), b"{ not json").expect("damage");

    let second = state_over(&db, dir.path());
    let browser = admin_over(&second).await;
    indexed(&second).await;
    assert_eq!(found(&browser, "certificates").await, set(&[n]));
    let live = second.search.handle().expect("index").live();
    assert_ne!(live.folder, folder, "a new folder replaced the damaged one");
    assert_eq!(live.documents(), 1);
    // The rest of the agent's pages never depended on it.
    let res = browser.get(&format!("/agent/tickets/{n}")).await;
    assert_eq!(res.status(), StatusCode::OK);
}
