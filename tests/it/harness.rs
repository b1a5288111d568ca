//! The real app on 127.0.0.1:0 over a test's own database, driven by a
//! cookie-keeping HTTP client, plus helpers to read pages.

use std::net::SocketAddr;

use bilet::config::Config;
use bilet::secrets::Secrets;
use bilet::state::AppState;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::{Response, StatusCode};
use scraper::{Html, Selector};
use sqlx::PgPool;
use std::sync::Arc;
use tempfile::TempDir;
use tokio_util::sync::CancellationToken;

pub struct TestApp {
    pub addr: SocketAddr,
    pub state: AppState,
    pub client: reqwest::Client,
    jar: Arc<Jar>,
    _dir: Arc<TempDir>,
}

/// A browser: keeps cookies, does not follow redirects (tests assert them).
pub fn client() -> (reqwest::Client, Arc<Jar>) {
    bilet::use_ring_for_tls();
    let jar = Arc::new(Jar::default());
    let client = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    (client, jar)
}

impl TestApp {
    pub async fn spawn(db: PgPool) -> TestApp {
        Self::spawn_with(db, |_| {}).await
    }

    pub async fn spawn_with(db: PgPool, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::for_tests(dir.path());
        tweak(&mut config);
        Self::serve(db, config, dir).await
    }

    /// As a server runs: requests on a pool with the configured bounds
    /// (connection wait, statement timeout), jobs on `db`.
    pub async fn spawn_bounded(db: PgPool, tweak: impl FnOnce(&mut Config)) -> TestApp {
        let dir = tempfile::tempdir().expect("tempdir");
        let mut config = Config::for_tests(dir.path());
        tweak(&mut config);
        let requests = bilet::database::connect_requests(&config, &db.connect_options());
        let mut app = Self::serve(requests, config, dir).await;
        app.state = app.state.clone().with_job_pool(db);
        app
    }

    async fn serve(db: PgPool, config: Config, dir: TempDir) -> TestApp {
        // Server errors show up in the failing test's output.
        let _ = tracing_subscriber::fmt()
            .with_env_filter("bilet=warn,tower_http=off")
            .with_test_writer()
            .try_init();
        let state = AppState::new(db, config, Secrets::for_tests(), CancellationToken::new())
            .expect("state");
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
        let (client, jar) = client();
        TestApp {
            addr,
            state,
            client,
            jar,
            _dir: Arc::new(dir),
        }
    }

    /// A browser for a server running elsewhere (another process) on `db`
    /// with the test keys of `Secrets::for_tests`.
    pub fn attach(addr: SocketAddr, db: &PgPool) -> TestApp {
        let (client, jar) = client();
        TestApp {
            addr,
            state: fixtures::state(db),
            client,
            jar,
            _dir: Arc::new(tempfile::tempdir().expect("tempdir")),
        }
    }

    /// The same server, seen from another browser (its own cookies).
    pub fn another_browser(&self) -> TestApp {
        let (client, jar) = client();
        TestApp {
            addr: self.addr,
            state: self.state.clone(),
            client,
            jar,
            _dir: self._dir.clone(),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET")
    }

    /// The CSRF token of this browser, as its pages embed it: bound to its
    /// session when signed in, else to the pre-session the server issued.
    pub async fn csrf(&self) -> String {
        let key = &self.state.secrets.session_key;
        if let Some(token) = self.cookie("bilet_session") {
            let id: Option<bilet::domain::ids::SessionId> = sqlx::query_scalar(
                "select id from sessions where token_hash = sha256($1::bytea) and expires_at > now() /* test */",
            )
            .bind(token.as_bytes())
            .fetch_optional(&self.state.db)
            .await
            .expect("session");
            if let Some(id) = id {
                return bilet::web::csrf::token(key, bilet::web::csrf::Binding::Session(id));
            }
        }
        if self.cookie("bilet_csrf").is_none() {
            self.get("/login").await;
        }
        let cookie = self
            .cookie("bilet_csrf")
            .expect("the first page sets the CSRF cookie");
        bilet::web::csrf::token(key, bilet::web::csrf::Binding::PreSession(&cookie))
    }

    /// A cookie of this browser.
    pub fn cookie(&self, name: &str) -> Option<String> {
        let url: reqwest::Url = self.url("/").parse().expect("url");
        let header = self.jar.cookies(&url)?;
        header
            .to_str()
            .ok()?
            .split("; ")
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")).map(str::to_string))
    }

    /// Gives this browser a cookie, as if the server had set it.
    pub fn set_cookie(&self, name: &str, value: &str) {
        let url: reqwest::Url = self.url("/").parse().expect("url");
        self.jar
            .add_cookie_str(&format!("{name}={value}; Path=/"), &url);
    }

    /// POSTs a form with this browser's CSRF token.
    pub async fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf().await;
        let mut all: Vec<(&str, &str)> = fields.to_vec();
        all.push(("csrf", &token));
        self.client
            .post(self.url(path))
            .form(&all)
            .send()
            .await
            .expect("POST")
    }

    /// POSTs a form exactly as given (no token added).
    pub async fn post_raw(&self, path: &str, fields: &[(&str, &str)]) -> Response {
        self.client
            .post(self.url(path))
            .form(fields)
            .send()
            .await
            .expect("POST")
    }

    pub async fn register(&self, email: &str, name: &str, password: &str) -> Response {
        self.post_form(
            "/register",
            &[("email", email), ("name", name), ("password", password)],
        )
        .await
    }

    pub async fn login(&self, email: &str, password: &str) -> Response {
        self.post_form("/login", &[("email", email), ("password", password)])
            .await
    }

    /// Creates a staff or customer account and returns its one-time password.
    pub async fn create_account(
        &self,
        email: &str,
        role: bilet::domain::users::Role,
        departments: &[(&str, bilet::domain::access::AccessLevel)],
    ) -> String {
        let (_, password) = bilet::service::accounts::create_account(
            &self.state.db,
            &self.state.hasher,
            None,
            bilet::service::accounts::NewAccount {
                email: email.into(),
                name: email.split('@').next().unwrap_or("x").into(),
                role,
                departments: departments
                    .iter()
                    .map(|(s, l)| (s.to_string(), *l))
                    .collect(),
            },
        )
        .await
        .expect("account");
        password
    }

    /// Signs in with a one-time password and replaces it with `password`.
    pub async fn login_and_set_password(&self, email: &str, one_time: &str, password: &str) {
        let res = self.login(email, one_time).await;
        assert_redirect(&res, "/account/password");
        let res = self
            .post_form(
                "/account/password",
                &[("current", one_time), ("new", password)],
            )
            .await;
        assert_eq!(
            res.status(),
            StatusCode::SEE_OTHER,
            "password change failed"
        );
    }
}

/// Asserts a redirect to `to` (path, query allowed after it).
pub fn assert_redirect(res: &Response, to: &str) {
    assert!(
        res.status().is_redirection(),
        "expected a redirect to {to}, got {}",
        res.status()
    );
    let location = res
        .headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    assert!(
        location == to || location.starts_with(&format!("{to}?")),
        "redirected to {location}, not {to}"
    );
}

/// The text of every element matching `selector`.
/// Every link of a form's error summary lands on an element of the page.
pub fn assert_summary_links_land(html: &str) {
    let doc = scraper::Html::parse_document(html);
    let links = scraper::Selector::parse(".error-summary a[href^='#']").expect("selector");
    let mut seen = 0;
    for a in doc.select(&links) {
        let id = &a.value().attr("href").unwrap_or("#")[1..];
        let target = scraper::Selector::parse(&format!("[id='{id}']")).expect("id selector");
        assert!(
            doc.select(&target).next().is_some(),
            "the summary links to #{id}, which is not on the page"
        );
        seen += 1;
    }
    assert!(seen > 0, "no error summary link");
}

pub fn texts(html: &str, selector: &str) -> Vec<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).expect("selector");
    doc.select(&sel)
        .map(|e| e.text().collect::<String>().trim().to_string())
        .collect()
}

/// An attribute of the first element matching `selector`.
pub fn attr(html: &str, selector: &str, name: &str) -> Option<String> {
    let doc = Html::parse_document(html);
    let sel = Selector::parse(selector).expect("selector");
    doc.select(&sel)
        .next()
        .and_then(|e| e.value().attr(name).map(str::to_string))
}

/// Small fixtures written through the service and store layers.
pub mod fixtures {
    /// The URL of the test's own database, for `bilet` child processes.
    pub async fn url_of(db: &sqlx::PgPool) -> String {
        let name: String = sqlx::query_scalar("select current_database()")
            .fetch_one(db)
            .await
            .expect("db");
        std::env::var("DATABASE_URL")
            .expect("url")
            .replacen("/postgres?", &format!("/{name}?"), 1)
    }

    use bilet::domain::access::AccessLevel;
    use bilet::domain::ids::{DepartmentId, OrganisationId, TicketId, TicketNumber, UserId};
    use bilet::domain::messages::Kind;
    use bilet::domain::status::Status;
    use bilet::domain::users::Role;
    use bilet::service;
    use bilet::service::tickets::{Actor, Change, Expect, Post, TicketWrite};
    use bilet::store::tickets::{NewTicket, Target};
    use sqlx::PgPool;

    pub async fn department(db: &PgPool, slug: &str) -> DepartmentId {
        service::catalog::departments::create(
            db,
            None,
            service::catalog::departments::NewDepartment {
                slug: slug.into(),
                name: slug.to_uppercase(),
                addresses: vec![format!("{slug}@support.test")],
                signature: String::new(),
            },
        )
        .await
        .expect("department")
    }

    pub async fn user(
        db: &PgPool,
        email: &str,
        role: Role,
        grants: &[(&str, AccessLevel)],
    ) -> UserId {
        let (id, _) = service::accounts::create_account(
            db,
            &state(db).hasher,
            None,
            service::accounts::NewAccount {
                email: email.into(),
                name: email.into(),
                role,
                departments: grants.iter().map(|(s, l)| (s.to_string(), *l)).collect(),
            },
        )
        .await
        .expect("user");
        id
    }

    pub async fn organisation(db: &PgPool, shared: bool) -> OrganisationId {
        let id = OrganisationId::new();
        sqlx::query("insert into organisations (id, name, shared_tickets) values ($1, 'Org', $2)")
            .bind(id)
            .bind(shared)
            .execute(db)
            .await
            .expect("organisation");
        id
    }

    /// An application state over `db` for writes made by fixtures.
    pub fn state(db: &PgPool) -> bilet::state::AppState {
        let dir = std::env::temp_dir().join("bilet-test-fixtures");
        bilet::state::AppState::new(
            db.clone(),
            bilet::config::Config::for_tests(&dir),
            bilet::secrets::Secrets::for_tests(),
            tokio_util::sync::CancellationToken::new(),
        )
        .expect("state")
    }

    /// A ticket without messages, opened through the write path.
    pub async fn ticket(
        db: &PgPool,
        department: DepartmentId,
        requester: UserId,
        subject: &str,
    ) -> (TicketId, TicketNumber) {
        let org: Option<OrganisationId> =
            sqlx::query_scalar("select organisation_id from users where id = $1")
                .bind(requester)
                .fetch_one(db)
                .await
                .expect("requester");
        let app = state(db);
        let mut tx = db.begin().await.expect("tx");
        let w = TicketWrite::create(
            &app,
            &mut tx,
            Actor::System,
            NewTicket {
                organisation: org,
                ..NewTicket::basic(subject, department, requester)
            },
        )
        .await
        .expect("ticket");
        let done = w.commit(&mut tx).await.expect("commit");
        tx.commit().await.expect("commit");
        (done.id, done.number)
    }

    /// One change to a ticket through the write path, as Bilet itself.
    pub async fn change(db: &PgPool, ticket: TicketId, change: Change) {
        change_in(&state(db), ticket, change).await;
    }

    /// [`change`] with the app's own state (its blob store: a change that
    /// attaches stored files checks their bytes are there).
    pub async fn change_in(app: &bilet::state::AppState, ticket: TicketId, change: Change) {
        let db = &app.db;
        let mut tx = db.begin().await.expect("tx");
        let mut w = TicketWrite::open(
            app,
            &mut tx,
            Actor::System,
            Target::Id(ticket),
            AccessLevel::Manage,
            Expect::Current,
        )
        .await
        .expect("open");
        w.apply(&mut tx, change).await.expect("apply");
        w.commit(&mut tx).await.expect("commit");
        tx.commit().await.expect("commit");
    }

    /// A message on a ticket through the write path.
    pub async fn say(
        db: &PgPool,
        ticket: TicketId,
        kind: Kind,
        author: Option<UserId>,
        body: &str,
    ) {
        let post = Post {
            author,
            notify: false,
            ..Post::web(kind, author.unwrap_or_default(), body, &[])
        };
        change(db, ticket, Change::message(post)).await;
    }

    /// Sets the status through the write path, then moves its time stamp
    /// `ago` into the past (only the time: no count or journal depends on it).
    pub async fn set_status(db: &PgPool, ticket: TicketId, status: Status, ago: time::Duration) {
        change(db, ticket, Change::Status(status)).await;
        sqlx::query(
            "update tickets set resolved_at = resolved_at - $2, closed_at = closed_at - $2 where id = $1",
        )
        .bind(ticket)
        .bind(ago)
        .execute(db)
        .await
        .expect("backdate");
    }
}

/// A tiny valid PNG (1×1, transparent).
pub const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0\x1f\x15\xc4\x89\0\0\0\rIDATx\x9cc\xf8\x0f\0\0\x01\x01\0\x05\x18\xd8N\0\0\0\0IEND\xaeB`\x82";

/// A multipart form under construction: (name, file name, bytes).
pub struct Form(Vec<(String, Option<String>, Vec<u8>)>);

impl Form {
    pub fn new() -> Self {
        Form(Vec::new())
    }
    pub fn text(mut self, name: &str, value: &str) -> Self {
        self.0.push((name.into(), None, value.as_bytes().to_vec()));
        self
    }
    pub fn file(mut self, name: &str, filename: &str, bytes: &[u8]) -> Self {
        self.0
            .push((name.into(), Some(filename.into()), bytes.to_vec()));
        self
    }

    /// The form as a browser sends ours: the CSRF token (if any) first.
    pub fn build(self, csrf: Option<&str>) -> reqwest::multipart::Form {
        let mut out = reqwest::multipart::Form::new();
        if let Some(token) = csrf {
            out = out.text("csrf", token.to_string());
        }
        for (name, file, bytes) in self.0 {
            out = match file {
                Some(f) => out.part(name, reqwest::multipart::Part::bytes(bytes).file_name(f)),
                None => out.text(name, String::from_utf8_lossy(&bytes).into_owned()),
            };
        }
        out
    }
}

impl TestApp {
    /// POSTs a multipart form with the CSRF token as its first field, as
    /// our upload forms do.
    pub async fn post_multipart(&self, path: &str, form: Form) -> Response {
        let token = self.csrf().await;
        self.client
            .post(self.url(path))
            .multipart(form.build(Some(&token)))
            .send()
            .await
            .expect("POST")
    }

    /// The key of the one-shot notice a response leaves for the next page
    /// (its `bilet_notice` cookie), if it leaves one.
    pub fn notice(res: &Response) -> Option<String> {
        res.headers()
            .get_all("set-cookie")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|c| c.strip_prefix("bilet_notice="))
            .map(|c| c.split(';').next().unwrap_or("").to_string())
            .find(|key| !key.is_empty())
    }

    /// The path a redirect points to.
    pub fn location(res: &Response) -> String {
        res.headers()
            .get("location")
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string()
    }
}
