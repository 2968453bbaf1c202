//! The harness every integration test uses to run the real `basket` binary
//! hermetically (docs/architecture.md, point 6): a throwaway home with its own config, data
//! and cache directories, a cleared environment with a fixed clock, and feeds served
//! by a local HTTP server on 127.0.0.1, so no test can read the developer's files,
//! depend on the time of day, or reach the network.
//!
//! - [`TestEnv`]: the temp directories, the environment, running the binary.
//! - [`TestServer`] and [`Reply`]: the feed and weather server.
//! - [`fixture`], [`fixture_str`], [`fixture_path`]: files under `tests/fixtures/`.

// The harness is written ahead of the tests that use it (the binary is still being
// built), and each test module uses only part of it; without this every helper not
// yet called would be a dead-code warning, and CI denies warnings.
#![allow(dead_code)]

use std::collections::HashMap;
use std::ffi::{OsStr, OsString};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// The instant the binary sees as "now" unless a test says otherwise. It falls on
/// the first day (2026-10-03) of the Open-Meteo fixture, so "today" and "tomorrow"
/// in rules find forecast days.
pub const DEFAULT_NOW: &str = "2026-10-03T09:00:00Z";

/// How long one run may take before the harness kills it and fails the test: a
/// binary that waits for a prompt or a hung fetch must fail loudly, not hang CI.
pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

/// One test's world: a temp directory that holds a fake home and basket's config,
/// data and cache directories, plus the environment the binary runs with.
///
/// Layout (all under [`TestEnv::root`]):
///
/// ```text
/// home/                       HOME
/// home/.config, .local/share, XDG_CONFIG_HOME, XDG_DATA_HOME, XDG_CACHE_HOME
///   .cache                    (so the `directories` defaults stay inside the temp dir)
/// config/rules.toml           BASKET_RULES   (written by write_rules)
/// data/                       BASKET_DATA_DIR (basket.db lives here)
/// cache/                      BASKET_CACHE_DIR
/// ```
///
/// The XDG directories are kept apart from `config/`, `data/` and `cache/` so a test
/// can tell whether the binary honoured the `BASKET_*` overrides or fell back to its
/// defaults. The directory is deleted when the `TestEnv` is dropped.
pub struct TestEnv {
    dir: tempfile::TempDir,
    /// Extra or replaced variables; `None` removes a variable the harness sets.
    overrides: Vec<(OsString, Option<OsString>)>,
    now: String,
    timeout: Duration,
}

impl Default for TestEnv {
    fn default() -> Self {
        Self::new()
    }
}

impl TestEnv {
    pub fn new() -> TestEnv {
        let dir = tempfile::Builder::new()
            .prefix("basket-test-")
            .tempdir()
            .expect("create the test's temp directory");
        let env = TestEnv {
            dir,
            overrides: Vec::new(),
            now: DEFAULT_NOW.to_string(),
            timeout: DEFAULT_TIMEOUT,
        };
        for d in [
            env.home_dir(),
            env.xdg_config_home(),
            env.xdg_data_home(),
            env.xdg_cache_home(),
            env.config_dir(),
            env.data_dir(),
            env.cache_dir(),
        ] {
            std::fs::create_dir_all(&d).unwrap_or_else(|e| panic!("create {}: {e}", d.display()));
        }
        env
    }

    pub fn root(&self) -> &Path {
        self.dir.path()
    }
    pub fn home_dir(&self) -> PathBuf {
        self.root().join("home")
    }
    pub fn xdg_config_home(&self) -> PathBuf {
        self.home_dir().join(".config")
    }
    pub fn xdg_data_home(&self) -> PathBuf {
        self.home_dir().join(".local").join("share")
    }
    pub fn xdg_cache_home(&self) -> PathBuf {
        self.home_dir().join(".cache")
    }
    /// Where the rules would be without `BASKET_RULES` (the `directories` default on
    /// Linux, under the fake home): for tests of `init` and of the defaults.
    pub fn default_rules_path(&self) -> PathBuf {
        self.xdg_config_home().join("basket").join("rules.toml")
    }
    pub fn config_dir(&self) -> PathBuf {
        self.root().join("config")
    }
    /// `BASKET_RULES`. The file does not exist until [`TestEnv::write_rules`].
    pub fn rules_path(&self) -> PathBuf {
        self.config_dir().join("rules.toml")
    }
    /// `BASKET_DATA_DIR`.
    pub fn data_dir(&self) -> PathBuf {
        self.root().join("data")
    }
    /// The SQLite file the binary keeps the basket in.
    pub fn db_path(&self) -> PathBuf {
        self.data_dir().join("basket.db")
    }
    /// `BASKET_CACHE_DIR`.
    pub fn cache_dir(&self) -> PathBuf {
        self.root().join("cache")
    }

    /// Writes the rules file the binary reads (`BASKET_RULES`). Feed URLs usually
    /// come from [`TestServer::expand`], which fills in `$SERVER`.
    pub fn write_rules(&self, toml: &str) {
        let path = self.rules_path();
        std::fs::write(&path, toml).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    }

    pub fn read_rules(&self) -> String {
        let path = self.rules_path();
        std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// Sets the binary's clock (`BASKET_NOW`, RFC 3339) for the following runs.
    pub fn set_now(&mut self, rfc3339: &str) {
        self.now = rfc3339.to_string();
    }

    /// Adds or replaces one variable of the binary's environment (a secret such as
    /// `BASKET_SMTP_PASSWORD`, or `BASKET_RULES` pointing elsewhere).
    pub fn set_env(&mut self, key: impl AsRef<OsStr>, value: impl AsRef<OsStr>) {
        let key = key.as_ref().to_os_string();
        self.overrides.retain(|(k, _)| *k != key);
        self.overrides
            .push((key, Some(value.as_ref().to_os_string())));
    }

    /// Removes a variable the harness would set, e.g. `BASKET_RULES` to test the
    /// default location, or `BASKET_NOW` to see the real clock.
    pub fn remove_env(&mut self, key: impl AsRef<OsStr>) {
        let key = key.as_ref().to_os_string();
        self.overrides.retain(|(k, _)| *k != key);
        self.overrides.push((key, None));
    }

    /// How long each run may take before it is killed and the test fails.
    pub fn set_timeout(&mut self, timeout: Duration) {
        self.timeout = timeout;
    }

    /// The binary with the hermetic environment and no stdin: the shape cron gives
    /// it (no terminal, so `check` must not prompt). Output is left to the caller.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.base_cmd(args);
        cmd.stdin(Stdio::null());
        cmd
    }

    /// The binary for a pseudo-terminal session (`rexpect::session::spawn_command`).
    /// It sets no stdio, because a `Stdio` setting would be applied at exec and
    /// replace the terminal rexpect puts there. `TERM` is set because the prompt
    /// library draws with it, and a terminal user has one.
    pub fn pty_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.base_cmd(args);
        cmd.env("TERM", "xterm");
        cmd
    }

    fn base_cmd(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_basket"));
        cmd.args(args);
        // Nothing from the developer's environment leaks in (their rules, XDG dirs,
        // RUST_LOG, proxies, colours, time zone): only what is listed here.
        cmd.env_clear();
        if let Some(path) = std::env::var_os("PATH") {
            cmd.env("PATH", path);
        }
        cmd.env("HOME", self.home_dir())
            .env("XDG_CONFIG_HOME", self.xdg_config_home())
            .env("XDG_DATA_HOME", self.xdg_data_home())
            .env("XDG_CACHE_HOME", self.xdg_cache_home())
            .env("BASKET_RULES", self.rules_path())
            .env("BASKET_DATA_DIR", self.data_dir())
            .env("BASKET_CACHE_DIR", self.cache_dir())
            .env("NO_COLOR", "1")
            .env("COLUMNS", "120")
            .env("TZ", "UTC")
            .env("BASKET_NOW", &self.now);
        for (key, value) in &self.overrides {
            match value {
                Some(v) => cmd.env(key, v),
                None => cmd.env_remove(key),
            };
        }
        // A relative path the binary writes must land in the temp dir, not the repo.
        cmd.current_dir(self.root());
        cmd
    }

    /// Runs the binary to completion with no stdin.
    pub fn run(&self, args: &[&str]) -> Output {
        self.run_cmd(self.cmd(args), None)
    }

    /// Runs the binary with `input` on a pipe as stdin (not a terminal).
    pub fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        self.run_cmd(self.cmd(args), Some(input.as_bytes().to_vec()))
    }

    /// Runs a command built by [`TestEnv::cmd`] (and adjusted by the test), with the
    /// harness's timeout; `stdin`, when given, is written to a pipe and closed.
    pub fn run_cmd(&self, mut cmd: Command, stdin: Option<Vec<u8>>) -> Output {
        if stdin.is_some() {
            cmd.stdin(Stdio::piped());
        }
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        let described = format!("{cmd:?}");
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {described}: {e}"));
        // stdin, stdout and stderr each get a thread, so a child that writes a lot
        // before reading (or never reads) cannot deadlock against the harness.
        // The writer is never joined: a child that exits without reading its input
        // must not keep the harness waiting (a broken pipe is the child's business).
        if let (Some(bytes), Some(mut pipe)) = (stdin, child.stdin.take()) {
            thread::spawn(move || {
                let _ = pipe.write_all(&bytes);
            });
        }
        let stdout = Pipe::drain(child.stdout.take());
        let stderr = Pipe::drain(child.stderr.take());
        // Done means exited *and* both pipes closed: output is complete only then.
        // A grandchild can keep a pipe open after the child exits, so the deadline
        // covers the reading too, and a timed-out run shows what it printed so far.
        let deadline = Instant::now() + self.timeout;
        let status = wait_until(&mut child, deadline);
        let finished = status.is_some() && {
            while !(stdout.is_done() && stderr.is_done()) && Instant::now() < deadline {
                thread::sleep(Duration::from_millis(5));
            }
            stdout.is_done() && stderr.is_done()
        };
        let (stdout, stderr) = (stdout.text(), stderr.text());
        if !finished {
            panic!(
                "{described} did not finish within {:?}; killed\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
                self.timeout
            );
        }
        Output {
            // No code means killed by a signal: -1 never collides with a real exit code.
            status: status.and_then(|s| s.code()).unwrap_or(-1),
            stdout,
            stderr,
        }
    }

    /// Replaces the temp directory's path with `$ROOT`, so outputs that name files
    /// can be compared or snapshotted across runs.
    pub fn normalize(&self, text: &str) -> String {
        text.replace(&self.root().display().to_string(), "$ROOT")
    }
}

/// One output stream of a child, read to the end in its own thread into a buffer
/// the harness can look at even when the reading never ends (a hung run).
struct Pipe {
    buf: Arc<Mutex<Vec<u8>>>,
    reader: Option<JoinHandle<()>>,
}

impl Pipe {
    fn drain<R: Read + Send + 'static>(pipe: Option<R>) -> Pipe {
        let buf = Arc::new(Mutex::new(Vec::new()));
        let reader = pipe.map(|mut pipe| {
            let buf = Arc::clone(&buf);
            thread::spawn(move || {
                let mut chunk = [0u8; 8192];
                loop {
                    match pipe.read(&mut chunk) {
                        Ok(0) => break,
                        Ok(n) => buf
                            .lock()
                            .unwrap_or_else(PoisonError::into_inner)
                            .extend_from_slice(&chunk[..n]),
                        Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                        Err(_) => break,
                    }
                }
            })
        });
        Pipe { buf, reader }
    }

    fn is_done(&self) -> bool {
        self.reader.as_ref().is_none_or(JoinHandle::is_finished)
    }

    /// What was read so far. Lossy: a test should see what was printed even if it
    /// is not UTF-8, and the assertion on it will then fail with something readable.
    fn text(&self) -> String {
        let buf = self.buf.lock().unwrap_or_else(PoisonError::into_inner);
        String::from_utf8_lossy(&buf).into_owned()
    }
}

/// Waits for the child until `deadline`; past it, kills (and reaps) it and
/// returns `None`.
fn wait_until(child: &mut Child, deadline: Instant) -> Option<ExitStatus> {
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Some(status),
            Ok(None) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                return None;
            }
        }
    }
}

/// What one run of the binary did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Output {
    /// The exit code; -1 when the process was killed by a signal.
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    /// Panics unless the exit code is 0. Returns `self` so checks can chain.
    #[track_caller]
    pub fn assert_ok(&self) -> &Self {
        self.assert_code(0)
    }

    /// Panics unless the exit code is `code`, showing both streams: the reason for
    /// an unexpected status is nearly always in one of them.
    #[track_caller]
    pub fn assert_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.status,
            code,
            "expected exit code {code}, got {}\n{}",
            self.status,
            self.streams()
        );
        self
    }

    /// stdout parsed as JSON (`--format json`); panics with both streams if it is
    /// not JSON.
    #[track_caller]
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON: {e}\n{}", self.streams()))
    }

    /// Both streams, labelled, for failure messages and snapshots.
    pub fn streams(&self) -> String {
        format!(
            "--- status: {}\n--- stdout\n{}\n--- stderr\n{}",
            self.status, self.stdout, self.stderr
        )
    }
}

/// A canned HTTP answer for one path of the [`TestServer`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
    /// Set by [`Reply::etag`]: a request whose `If-None-Match` names this tag is
    /// answered `304 Not Modified` instead, as a real server would.
    pub etag: Option<String>,
}

impl Reply {
    pub fn new(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: vec![("Content-Type".to_string(), content_type.to_string())],
            body: body.into(),
            etag: None,
        }
    }
    pub fn json(body: impl Into<Vec<u8>>) -> Reply {
        Reply::new(200, "application/json", body)
    }
    pub fn csv(body: impl Into<Vec<u8>>) -> Reply {
        Reply::new(200, "text/csv; charset=utf-8", body)
    }
    pub fn html(body: impl Into<Vec<u8>>) -> Reply {
        Reply::new(200, "text/html; charset=utf-8", body)
    }
    pub fn xml(body: impl Into<Vec<u8>>) -> Reply {
        Reply::new(200, "application/xml", body)
    }
    /// Any status, plain-text body: failures (503, 429) and `304 Not Modified`.
    pub fn status(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply::new(status, "text/plain; charset=utf-8", body)
    }
    /// A fixture file, with the content type its extension suggests.
    pub fn fixture(name: &str) -> Reply {
        let content_type = match Path::new(name).extension().and_then(OsStr::to_str) {
            Some("json") => "application/json",
            Some("jsonl") => "application/jsonl",
            Some("csv") => "text/csv; charset=utf-8",
            Some("tsv") => "text/tab-separated-values; charset=utf-8",
            Some("xml") => "application/xml",
            Some("html") => "text/html; charset=utf-8",
            _ => "application/octet-stream",
        };
        Reply::new(200, content_type, fixture(name))
    }
    /// Gives the reply an entity tag (`"grocer-1"`, quotes included) and makes the
    /// server revalidate like a real one: the reply carries `ETag: <tag>`, and a
    /// request whose `If-None-Match` lists the tag (or `*`) gets `304 Not Modified`
    /// with the tag and no body. Counted by [`TestServer::not_modified`].
    pub fn etag(mut self, tag: &str) -> Reply {
        self.etag = Some(tag.to_string());
        self.with_header("ETag", tag)
    }
    /// Adds a response header, e.g. `ETag` or `Last-Modified` for cache tests.
    pub fn with_header(mut self, name: &str, value: &str) -> Reply {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }
}

/// What the server remembers about one path.
#[derive(Debug, Default)]
struct Route {
    reply: Option<Reply>,
    /// One-off replies, answered in order before `reply` (a 429, then a 200).
    queue: std::collections::VecDeque<Reply>,
    hits: usize,
    /// Requests answered `304 Not Modified` because of a [`Reply::etag`].
    not_modified: usize,
    last_url: Option<String>,
    last_headers: Vec<(String, String)>,
    last_method: Option<String>,
    last_body: Vec<u8>,
}

/// Shared between the test (which sets replies and reads hits) and the server
/// thread, so a route can be replaced between two runs of the binary.
type Routes = Arc<Mutex<HashMap<String, Route>>>;

/// One request as the server received it.
#[derive(Debug, Clone)]
pub struct Recorded {
    pub method: String,
    /// Path and query, as sent (percent-encoding kept).
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Recorded {
    /// A header by case-insensitive name.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("{} {}: body is not JSON: {e}", self.method, self.url))
    }
}

type Log = Arc<Mutex<Vec<Recorded>>>;

fn lock_log(log: &Log) -> MutexGuard<'_, Vec<Recorded>> {
    log.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A local HTTP server standing in for every feed and for Open-Meteo, on an
/// ephemeral port of 127.0.0.1, answering from routes the test sets.
///
/// Routing is by path alone (the query string is ignored, so `/v1/forecast` answers
/// `/v1/forecast?latitude=..`); the full last URL is kept for assertions. Unknown
/// paths answer 404, and are counted too. Requests are answered one at a time, in a
/// background thread that stops when the server is dropped.
pub struct TestServer {
    server: Arc<tiny_http::Server>,
    routes: Routes,
    log: Log,
    port: u16,
    thread: Option<JoinHandle<()>>,
}

impl TestServer {
    pub fn start() -> TestServer {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind the test server");
        let port = server
            .server_addr()
            .to_ip()
            .expect("the test server listens on TCP")
            .port();
        let server = Arc::new(server);
        let routes = Routes::default();
        let log = Log::default();
        let thread = {
            let server = Arc::clone(&server);
            let routes = Arc::clone(&routes);
            let log = Arc::clone(&log);
            thread::Builder::new()
                .name(format!("test-server-{port}"))
                .spawn(move || serve(&server, &routes, &log))
                .expect("start the test server thread")
        };
        TestServer {
            server,
            routes,
            log,
            port,
            thread: Some(thread),
        }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The full URL of `path` (with or without a leading `/`).
    pub fn url(&self, path: &str) -> String {
        format!("{}/{}", self.base_url(), path.trim_start_matches('/'))
    }

    /// Replaces `$SERVER` with [`TestServer::base_url`]: rules are TOML full of
    /// `{ }`, which `format!` would make the test escape.
    pub fn expand(&self, text: &str) -> String {
        text.replace("$SERVER", &self.base_url())
    }

    /// Sets (or replaces) the reply of `path`. Hits and recorded requests are kept.
    pub fn set(&self, path: &str, reply: Reply) {
        self.routes().entry(route_key_set(path)).or_default().reply = Some(reply);
    }

    /// Queues replies for the next requests to `path`, in order; once they are
    /// used up, the reply [`TestServer::set`] gave answers again.
    pub fn push(&self, path: &str, reply: Reply) {
        self.routes()
            .entry(route_key(path))
            .or_default()
            .queue
            .push_back(reply);
    }

    /// Every request received so far, in order: method, URL (path and query),
    /// headers and body, for tests that check each request a service got.
    pub fn requests(&self) -> Vec<Recorded> {
        lock_log(&self.log).clone()
    }

    /// Makes `path` unknown again (404).
    pub fn unset(&self, path: &str) {
        if let Some(route) = self.routes().get_mut(&route_key_set(path)) {
            route.reply = None;
        }
    }

    /// Requests received for `path` so far (any method, any query string).
    pub fn hits(&self, path: &str) -> usize {
        self.routes()
            .get(&route_key_set(path))
            .map_or(0, |r| r.hits)
    }

    /// Requests for `path` answered `304 Not Modified` (see [`Reply::etag`]).
    pub fn not_modified(&self, path: &str) -> usize {
        self.routes()
            .get(&route_key_set(path))
            .map_or(0, |r| r.not_modified)
    }

    /// Requests received for every path together.
    pub fn total_hits(&self) -> usize {
        self.routes().values().map(|r| r.hits).sum()
    }

    /// The URL (path and query) of the last request for `path`.
    pub fn last_url(&self, path: &str) -> Option<String> {
        self.routes()
            .get(&route_key_set(path))
            .and_then(|r| r.last_url.clone())
    }

    /// The method (`GET`, `POST`) of the last request for `path`.
    pub fn last_method(&self, path: &str) -> Option<String> {
        self.routes()
            .get(&route_key_set(path))
            .and_then(|r| r.last_method.clone())
    }

    /// The headers of the last request for `path`, as sent (names keep their case).
    /// The body of the last request to `path` (a webhook's POST).
    pub fn last_body(&self, path: &str) -> Vec<u8> {
        lock(&self.routes)
            .get(&route_key_set(path))
            .map(|r| r.last_body.clone())
            .unwrap_or_default()
    }

    pub fn last_headers(&self, path: &str) -> Vec<(String, String)> {
        self.routes()
            .get(&route_key_set(path))
            .map(|r| r.last_headers.clone())
            .unwrap_or_default()
    }

    /// One header of the last request for `path`, by case-insensitive name
    /// (`If-None-Match`, `User-Agent`).
    pub fn last_header(&self, path: &str, name: &str) -> Option<String> {
        self.last_headers(path)
            .into_iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    }

    fn routes(&self) -> MutexGuard<'_, HashMap<String, Route>> {
        lock(&self.routes)
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        // Wakes the thread blocked in `incoming_requests`, which then ends; joining
        // it means no server outlives its test.
        self.server.unblock();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A test that panicked while holding the lock must not turn every later assertion
/// into a confusing poison error.
fn lock(routes: &Routes) -> MutexGuard<'_, HashMap<String, Route>> {
    routes.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The key a test names a route by: the path, with its query only when it
/// gives one (`/products.json?limit=250&page=2` is a route of its own).
fn route_key_set(path: &str) -> String {
    if path.contains('?') {
        format!("/{}", path.trim_start_matches('/'))
    } else {
        route_key(path)
    }
}

/// The routing key: the path without query string, always with a leading `/`.
fn route_key(url: &str) -> String {
    let path = url.split(['?', '#']).next().unwrap_or_default();
    format!("/{}", path.trim_start_matches('/'))
}

fn serve(server: &tiny_http::Server, routes: &Routes, log: &Log) {
    for mut request in server.incoming_requests() {
        let mut body = Vec::new();
        let _ = std::io::Read::read_to_end(request.as_reader(), &mut body);
        let reply = {
            let mut routes = lock(routes);
            // A route set for the path with its query (`/products.json?page=2`)
            // answers that URL alone; other queries go to the path's route.
            let full = format!("/{}", request.url().trim_start_matches('/'));
            let key = if routes.get(&full).is_some_and(|r| r.reply.is_some()) {
                full
            } else {
                route_key(request.url())
            };
            let route = routes.entry(key).or_default();
            // Recorded before answering, so once the client has its answer the
            // test sees the hit.
            route.hits += 1;
            route.last_url = Some(request.url().to_string());
            route.last_method = Some(request.method().as_str().to_string());
            route.last_body = body;
            route.last_headers = request
                .headers()
                .iter()
                .map(|h| {
                    (
                        h.field.as_str().as_str().to_string(),
                        h.value.as_str().to_string(),
                    )
                })
                .collect();
            lock_log(log).push(Recorded {
                method: route.last_method.clone().unwrap_or_default(),
                url: request.url().to_string(),
                headers: route.last_headers.clone(),
                body: route.last_body.clone(),
            });
            let reply = route
                .queue
                .pop_front()
                .or_else(|| route.reply.clone())
                .unwrap_or_else(|| Reply::status(404, "no route in the test server"));
            match &reply.etag {
                Some(tag) if if_none_match_lists(&route.last_headers, tag) => {
                    route.not_modified += 1;
                    Reply::status(304, "").with_header("ETag", tag)
                }
                _ => reply,
            }
        };
        let mut response =
            tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
        for (name, value) in &reply.headers {
            match tiny_http::Header::from_bytes(name.as_bytes(), value.as_bytes()) {
                Ok(header) => response.add_header(header),
                Err(()) => panic!("invalid reply header {name}: {value}"),
            }
        }
        // A client that hung up early (a timeout test) is not the server's failure.
        let _ = request.respond(response);
    }
}

/// Whether the request's `If-None-Match` names `tag` (or is `*`). Weak tags
/// (`W/"..."`) compare equal to their strong form, as `If-None-Match` wants.
fn if_none_match_lists(headers: &[(String, String)], tag: &str) -> bool {
    let strip = |t: &str| t.trim().trim_start_matches("W/").to_string();
    headers
        .iter()
        .filter(|(k, _)| k.eq_ignore_ascii_case("If-None-Match"))
        .flat_map(|(_, v)| v.split(','))
        .any(|t| t.trim() == "*" || strip(t) == strip(tag))
}

pub mod smtp;

/// The directory of our fixtures, `tests/fixtures/`.
pub fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// The path of a fixture, for feeds given as `file://` URLs or plain paths.
pub fn fixture_path(name: &str) -> PathBuf {
    fixtures_dir().join(name)
}

/// The bytes of `tests/fixtures/<name>`; panics naming the file if it is missing.
pub fn fixture(name: &str) -> Vec<u8> {
    let path = fixture_path(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("read fixture {}: {e}", path.display()))
}

/// The text of `tests/fixtures/<name>`.
pub fn fixture_str(name: &str) -> String {
    let path = fixture_path(name);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("read fixture {}: {e}", path.display()))
}
