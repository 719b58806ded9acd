//! `TestApp`: a gatehouse on port 0 over its own database, and browsers to drive it.

use crate::support::smtp::SmtpSink;
use gatehouse::config::{OutboxSettings, PublicUrl, Settings};
use gatehouse::db::{Conn, DatabaseUrl};
use gatehouse::startup::Application;
use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::{HeaderMap, LOCATION, SET_COOKIE};
use reqwest::{Response, StatusCode};
use secrecy::SecretString;
use std::sync::Arc;
use std::time::Duration;

pub const PASSWORD: &str = "correct horse battery staple";
/// `PUBLIC_URL` in mail tests: long enough that lines carrying a link exceed 76
/// characters, so they travel quoted-printable with soft line breaks, as in production.
pub const MAIL_PUBLIC_URL: &str = "http://accounts.gatehouse-integration-tests.example";

pub struct TestApp {
    pub base: String,
    /// The pool the app's requests use: its statement counter holds pages to a budget.
    pub requests_db: gatehouse::db::Db,
    pub database_url: String,
    /// The default browser; [`TestApp::browser`] makes more, each with its own cookies.
    pub browser: Browser,
    /// Holds a SQLite app's directory, removed when the test ends.
    _dir: Option<tempfile::TempDir>,
}

impl TestApp {
    /// An app on a fresh PostgreSQL database.
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    pub async fn spawn_with(customise: impl FnOnce(&mut Settings)) -> Self {
        let url = crate::support::postgres::new_test_database();
        Self::at(url, customise).await
    }

    /// An app on a fresh SQLite file in a temporary directory.
    pub async fn spawn_sqlite() -> Self {
        Self::spawn_sqlite_with(|_| {}).await
    }

    pub async fn spawn_sqlite_with(customise: impl FnOnce(&mut Settings)) -> Self {
        let dir = tempfile::tempdir().expect("creating a temp dir for SQLite");
        let app = Self::at(format!("sqlite://{}/test.db", dir.path().display()), customise).await;
        Self { _dir: Some(dir), ..app }
    }

    /// An app whose mail worker delivers to a new SMTP server on loopback (see
    /// [`mail_to`]), and that server.
    pub async fn spawn_with_mail(customise: impl FnOnce(&mut Settings)) -> (Self, SmtpSink) {
        let sink = SmtpSink::start().await;
        let app = Self::spawn_with(|s| {
            mail_to(&sink)(s);
            customise(s);
        })
        .await;
        (app, sink)
    }

    /// Another app on an existing database: a second instance, or a restart.
    pub async fn spawn_on(database_url: &str, customise: impl FnOnce(&mut Settings)) -> Self {
        Self::at(database_url.to_owned(), customise).await
    }

    /// An app on the database at `database_url` (migrated at start-up).
    pub async fn at(database_url: String, customise: impl FnOnce(&mut Settings)) -> Self {
        let mut settings = Settings {
            database_url: DatabaseUrl::parse(&database_url).expect("test database URL"),
            secret_key: SecretString::from("test-secret-".repeat(8)),
            bind_addr: "127.0.0.1:0".parse().expect("bind address"),
            public_url: PublicUrl::parse("http://127.0.0.1").expect("public URL"),
            smtp_url: None,
            mail_from: "gatehouse <no-reply@localhost>".into(),
            bcrypt_cost: 4,
            trusted_proxies: Vec::new(),
            workers: Some(1),
            db_pool_size: 4,
            limits: Default::default(),
            outbox: OutboxSettings::default(),
            auth_providers: Vec::new(),
            api: Default::default(),
            metrics_addr: None,
            shutdown_drain: Duration::ZERO,
            email_verification: Default::default(),
        };
        customise(&mut settings);
        let app = Application::build(settings).await.expect("building the app");
        let base = format!("http://127.0.0.1:{}", app.port());
        let requests_db = app.db().clone();
        tokio::spawn(app.run_until_stopped());
        Self { browser: Browser::new(&base), base, requests_db, database_url, _dir: None }
    }

    pub fn browser(&self) -> Browser {
        Browser::new(&self.base)
    }

    /// GETs `/dashboard` as `browser` until a read is answered on the worker's pipelined
    /// connection, which opens in the background after the first request (within 10 s).
    pub async fn until_pipelined(&self, browser: &Browser) {
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        loop {
            let before = self.requests_db.pipelined_reads();
            assert_eq!(browser.get("/dashboard").await.status(), reqwest::StatusCode::OK);
            if self.requests_db.pipelined_reads() > before {
                return;
            }
            assert!(std::time::Instant::now() < deadline, "no read was pipelined within 10 s");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// How many of the app database's backends wait for a lock (PostgreSQL).
    pub fn waiting_for_locks(&self) -> i64 {
        use diesel::RunQueryDsl;
        #[derive(diesel::QueryableByName)]
        struct Count {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let sql = "SELECT count(*) AS n FROM pg_stat_activity \
            WHERE datname = current_database() AND wait_event_type = 'Lock'";
        diesel::sql_query(sql).get_result::<Count>(&mut self.db()).expect("counting lock waits").n
    }

    /// Runs `sql` in a transaction on another connection and holds the locks it takes
    /// until [`HeldLocks::release`]: how a test makes the app wait at a chosen point.
    pub fn hold_locks(&self, sql: &'static str) -> HeldLocks {
        use diesel::{Connection, RunQueryDsl};
        let (locked_tx, locked) = std::sync::mpsc::channel();
        let (go, go_rx) = std::sync::mpsc::channel::<()>();
        let mut conn = self.db();
        let holder = std::thread::spawn(move || {
            conn.transaction::<_, diesel::result::Error, _>(|c| {
                diesel::sql_query(sql).execute(c)?;
                locked_tx.send(()).expect("the test waits for the locks");
                let _ = go_rx.recv();
                Ok(())
            })
            .expect("holding the locks");
        });
        locked.recv().expect("the locks were taken");
        HeldLocks { go, holder }
    }

    /// A direct connection to the app's database, for arranging and checking state.
    pub fn db(&self) -> Conn {
        DatabaseUrl::parse(&self.database_url)
            .expect("database URL")
            .connect()
            .expect("connecting to the test database")
    }

    /// Registers `username` with [`PASSWORD`] and an address derived from the name.
    pub async fn register(&self, username: &str) {
        let response = self.browser().register(username, &format!("{username}@example.com"), PASSWORD).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "registering {username}");
    }

    /// A new browser, logged in as a freshly registered `username`.
    pub async fn logged_in(&self, username: &str) -> Browser {
        self.register(username).await;
        let browser = self.browser();
        let response = browser.login(username, PASSWORD, false).await;
        assert_eq!(location(&response), "/dashboard", "logging in as {username}");
        browser
    }

    /// Gives `username` exactly `role`, straight in the database.
    pub fn set_role(&self, username: &str, role: gatehouse::domain::Role) {
        let mut conn = self.db();
        let id = gatehouse::db::users::find_id_by_username(&mut conn, &username.to_lowercase())
            .expect("looking up the user")
            .expect("the user exists");
        gatehouse::db::users::set_role(&mut conn, id, role).expect("setting the role");
    }
}

/// One browser: its own cookie jar, redirects not followed so tests see every 303.
pub struct Browser {
    base: String,
    pub client: reqwest::Client,
    jar: Arc<Jar>,
}

impl Browser {
    /// A browser for a server started some other way (the binary, say).
    pub fn at(base: &str) -> Self {
        Self::new(base)
    }

    /// This browser, with its cookies, talking to another server on the same host: one
    /// instance behind a load balancer, say (cookies are per host, not per port).
    pub fn on(&self, base: &str) -> Self {
        Self { base: base.to_owned(), client: self.client.clone(), jar: self.jar.clone() }
    }

    fn new(base: &str) -> Self {
        let jar = Arc::new(Jar::default());
        let client = reqwest::Client::builder()
            .cookie_provider(jar.clone())
            .redirect(reqwest::redirect::Policy::none())
            // Below the server's 5 s keep-alive: never reuse a connection it may be closing.
            .pool_idle_timeout(Duration::from_secs(3))
            .build()
            .expect("building the HTTP client");
        Self { base: base.to_owned(), client, jar }
    }

    /// The `Cookie` header this browser sends, as a thief who copied it would replay it.
    pub fn cookie_header(&self) -> String {
        let url = reqwest::Url::parse(&self.base).expect("base URL");
        let cookies = self.jar.cookies(&url).expect("the browser holds cookies");
        cookies.to_str().expect("ASCII cookies").to_owned()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str) -> Response {
        self.client.get(self.url(path)).send().await.expect("GET failed")
    }

    pub async fn get_html(&self, path: &str) -> String {
        self.get(path).await.text().await.expect("reading the body")
    }

    /// The CSRF token in the form on `page`.
    pub async fn csrf_token(&self, page: &str) -> String {
        let html = self.get_html(page).await;
        hidden_value(&html, "csrf_token").unwrap_or_else(|| panic!("no csrf_token on {page}:\n{html}"))
    }

    /// Fills in the form on `page` (taking its CSRF token) and posts it to `action`.
    pub async fn submit(&self, page: &str, action: &str, fields: &[(&str, &str)]) -> Response {
        let token = self.csrf_token(page).await;
        let mut form: Vec<(&str, &str)> = vec![("csrf_token", &token)];
        form.extend_from_slice(fields);
        self.post_form(action, &form).await
    }

    /// Posts exactly `fields`, with no token added.
    pub async fn post_form(&self, action: &str, fields: &[(&str, &str)]) -> Response {
        self.client.post(self.url(action)).form(fields).send().await.expect("POST failed")
    }

    pub async fn register(&self, username: &str, email: &str, password: &str) -> Response {
        let fields = [
            ("username", username),
            ("email", email),
            ("password", password),
            ("confirm_password", password),
        ];
        self.submit("/register", "/register", &fields).await
    }

    pub async fn login(&self, username: &str, password: &str, remember: bool) -> Response {
        let mut fields = vec![("username", username), ("password", password)];
        if remember {
            fields.push(("remember", "on"));
        }
        self.submit("/login", "/login", &fields).await
    }

    pub async fn logout(&self) -> Response {
        self.submit("/dashboard", "/logout", &[]).await
    }
}

pub fn location(response: &Response) -> String {
    response
        .headers()
        .get(LOCATION)
        .map(|v| v.to_str().expect("ASCII Location").to_owned())
        .unwrap_or_default()
}

/// The `Set-Cookie` for the session cookie, if the response sets one.
pub fn session_cookie(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find(|v| v.starts_with("gatehouse_session="))
        .map(str::to_owned)
}

/// The `value` of the hidden input named `name`.
pub fn hidden_value(html: &str, name: &str) -> Option<String> {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html.find(&marker)? + marker.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// The texts of the flash messages of `level` on a page.
pub fn flashes(html: &str, level: &str) -> Vec<String> {
    let marker = format!("<p class=\"flash {level}\">");
    html.match_indices(&marker)
        .filter_map(|(i, _)| {
            let rest = &html[i + marker.len()..];
            rest.find("</p>").map(|end| rest[..end].to_owned())
        })
        .collect()
}

/// Settings that send mail to `sink`, with links under [`MAIL_PUBLIC_URL`], and a worker
/// that polls and retries within a fraction of a second.
pub fn mail_to(sink: &SmtpSink) -> impl FnOnce(&mut Settings) + use<> {
    let url = sink.url();
    move |settings| {
        settings.smtp_url = Some(SecretString::from(url));
        settings.public_url = PublicUrl::parse(MAIL_PUBLIC_URL).expect("public URL");
        settings.outbox = OutboxSettings {
            poll_interval: Duration::from_millis(50),
            retry_base: Duration::from_millis(100),
            retry_cap: Duration::from_secs(1),
            ..OutboxSettings::default()
        };
    }
}

/// Polls `condition` until it holds, failing the test after 30 seconds.
/// Locks held by [`TestApp::hold_locks`] until released.
pub struct HeldLocks {
    go: std::sync::mpsc::Sender<()>,
    holder: std::thread::JoinHandle<()>,
}

impl HeldLocks {
    /// Ends the transaction, and waits until it has.
    pub async fn release(self) {
        self.go.send(()).expect("the holder waits");
        let holder = self.holder;
        tokio::task::spawn_blocking(move || holder.join().expect("the holder ended well")).await.unwrap();
    }
}

pub async fn eventually(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while !condition() {
        assert!(std::time::Instant::now() < deadline, "timed out waiting until {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}
