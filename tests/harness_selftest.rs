//! Tests of the harness itself, so a failing basket test points at basket and not
//! at its test server, fixtures or process plumbing. None of them runs `basket`:
//! these pass before the binary does anything.

use std::collections::HashSet;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::{
    fixture, fixture_str, fixtures_dir, Output, Reply, TestEnv, TestServer, DEFAULT_NOW,
};

/// A minimal HTTP/1.1 client, so the server is tested without another dependency.
/// Returns the status code, the response headers and the body.
fn http_get(server: &TestServer, target: &str, headers: &[(&str, &str)]) -> RawResponse {
    let mut stream = TcpStream::connect(("127.0.0.1", server.port())).expect("connect");
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .expect("set a read timeout");
    let mut request = format!("GET {target} HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for (name, value) in headers {
        request.push_str(&format!("{name}: {value}\r\n"));
    }
    // `close` makes the server end the response with EOF, so reading to the end
    // is enough and no body framing needs parsing.
    request.push_str("Connection: close\r\n\r\n");
    stream.write_all(request.as_bytes()).expect("send request");
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).expect("read response");
    let text = String::from_utf8(raw).expect("a UTF-8 response");
    let (head, body) = text
        .split_once("\r\n\r\n")
        .expect("a header/body separator");
    let mut lines = head.split("\r\n");
    let status = lines
        .next()
        .and_then(|l| l.split(' ').nth(1))
        .and_then(|s| s.parse().ok())
        .expect("a status line");
    let headers = lines
        .filter_map(|l| l.split_once(": "))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    RawResponse {
        status,
        headers,
        body: body.to_string(),
    }
}

struct RawResponse {
    status: u16,
    headers: Vec<(String, String)>,
    body: String,
}

impl RawResponse {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

#[test]
fn server_serves_a_route_and_counts_hits() {
    let server = TestServer::start();
    server.set("/feeds/grocer.json", Reply::json(r#"{"products": []}"#));
    assert_eq!(server.hits("/feeds/grocer.json"), 0);

    let response = http_get(&server, "/feeds/grocer.json", &[]);
    assert_eq!(response.status, 200);
    assert_eq!(response.body, r#"{"products": []}"#);
    assert_eq!(response.header("Content-Type"), Some("application/json"));

    http_get(&server, "/feeds/grocer.json", &[]);
    assert_eq!(server.hits("/feeds/grocer.json"), 2);
    // The leading slash is optional, as in `url`.
    assert_eq!(server.hits("feeds/grocer.json"), 2);
    assert_eq!(server.total_hits(), 2);
}

#[test]
fn server_url_points_at_the_server() {
    let server = TestServer::start();
    let port = server.port();
    assert_eq!(
        server.url("/a/b.csv"),
        format!("http://127.0.0.1:{port}/a/b.csv")
    );
    assert_eq!(
        server.url("a/b.csv"),
        format!("http://127.0.0.1:{port}/a/b.csv")
    );
    assert_eq!(
        server.expand(r#"url = "$SERVER/feeds/boots.csv""#),
        format!(r#"url = "http://127.0.0.1:{port}/feeds/boots.csv""#)
    );
}

#[test]
fn server_route_can_be_replaced_between_requests() {
    let server = TestServer::start();
    server.set("/boots.csv", Reply::csv("id,price\nBOOT-42,16.00\n"));
    assert_eq!(
        http_get(&server, "/boots.csv", &[]).body,
        "id,price\nBOOT-42,16.00\n"
    );

    server.set("/boots.csv", Reply::csv("id,price\nBOOT-42,14.50\n"));
    assert_eq!(
        http_get(&server, "/boots.csv", &[]).body,
        "id,price\nBOOT-42,14.50\n"
    );

    server.set("/boots.csv", Reply::status(503, "down for maintenance"));
    let failed = http_get(&server, "/boots.csv", &[]);
    assert_eq!(failed.status, 503);
    assert_eq!(failed.body, "down for maintenance");

    // Hits survive replacing the reply: a test counts fetches across runs.
    assert_eq!(server.hits("/boots.csv"), 3);

    server.unset("/boots.csv");
    assert_eq!(http_get(&server, "/boots.csv", &[]).status, 404);
}

#[test]
fn server_answers_404_for_unknown_paths_and_counts_them() {
    let server = TestServer::start();
    server.set("/known", Reply::html("<p>hi</p>"));
    let response = http_get(&server, "/unknown", &[]);
    assert_eq!(response.status, 404);
    // A misspelt feed URL in a test shows up as a hit on the wrong path.
    assert_eq!(server.hits("/unknown"), 1);
    assert_eq!(server.hits("/known"), 0);
}

#[test]
fn server_routes_by_path_ignoring_the_query_and_keeps_the_last_url() {
    let server = TestServer::start();
    server.set(
        "/v1/forecast",
        Reply::fixture("open-meteo/frenck-forecast-daily-all-variables-TRIMMED.json"),
    );
    let target = "/v1/forecast?latitude=51.5072&longitude=-0.1276&daily=temperature_2m_max";
    let response = http_get(&server, target, &[]);
    assert_eq!(response.status, 200);
    assert_eq!(response.header("Content-Type"), Some("application/json"));
    assert!(response.body.contains("\"temperature_2m_max\""));
    assert_eq!(server.hits("/v1/forecast"), 1);
    assert_eq!(server.last_url("/v1/forecast").as_deref(), Some(target));
    assert_eq!(server.last_method("/v1/forecast").as_deref(), Some("GET"));
    assert_eq!(server.last_url("/never-asked"), None);
}

#[test]
fn server_records_the_headers_of_the_last_request() {
    let server = TestServer::start();
    server.set(
        "/grocer.json",
        Reply::json("{}")
            .with_header("ETag", "\"v1\"")
            .with_header("Last-Modified", "x"),
    );
    let first = http_get(&server, "/grocer.json", &[("User-Agent", "basket-test")]);
    // Reply headers reach the client: the cache tests depend on ETag.
    assert_eq!(first.header("ETag"), Some("\"v1\""));
    assert_eq!(
        server.last_header("/grocer.json", "user-agent").as_deref(),
        Some("basket-test")
    );
    assert_eq!(server.last_header("/grocer.json", "If-None-Match"), None);

    http_get(&server, "/grocer.json", &[("If-None-Match", "\"v1\"")]);
    let headers = server.last_headers("/grocer.json");
    assert!(
        headers.contains(&("If-None-Match".to_string(), "\"v1\"".to_string())),
        "{headers:?}"
    );
    // Only the last request's headers are kept.
    assert_eq!(server.last_header("/grocer.json", "User-Agent"), None);
    assert!(server.last_headers("/never-asked").is_empty());
}

#[test]
fn server_answers_304_to_a_matching_if_none_match() {
    let server = TestServer::start();
    server.set("/feed.xml", Reply::xml("<rss/>").etag("\"v1\""));
    let first = http_get(&server, "/feed.xml", &[]);
    assert_eq!((first.status, first.body.as_str()), (200, "<rss/>"));
    assert_eq!(first.header("ETag"), Some("\"v1\""));

    let again = http_get(
        &server,
        "/feed.xml",
        &[("If-None-Match", "\"v0\", W/\"v1\"")],
    );
    assert_eq!((again.status, again.body.as_str()), (304, ""));
    assert_eq!(again.header("ETag"), Some("\"v1\""));

    // Another tag, or none: the full reply.
    let other = http_get(&server, "/feed.xml", &[("If-None-Match", "\"v0\"")]);
    assert_eq!(other.status, 200);
    http_get(&server, "/feed.xml", &[]);
    assert_eq!(server.hits("/feed.xml"), 4);
    assert_eq!(server.not_modified("/feed.xml"), 1);

    // A reply without an etag is sent whatever the request says.
    server.set(
        "/plain.json",
        Reply::json("[]").with_header("ETag", "\"v1\""),
    );
    let plain = http_get(&server, "/plain.json", &[("If-None-Match", "\"v1\"")]);
    assert_eq!(plain.status, 200);
    assert_eq!(server.not_modified("/plain.json"), 0);
}

#[test]
fn server_stops_listening_when_dropped() {
    let server = TestServer::start();
    let port = server.port();
    drop(server); // must return: the accept loop is unblocked and joined
                  // The listener closes shortly after the accept thread notices; allow a moment.
    let deadline = Instant::now() + Duration::from_secs(5);
    while TcpStream::connect(("127.0.0.1", port)).is_ok() {
        assert!(
            Instant::now() < deadline,
            "port {port} still accepts after drop"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn test_env_creates_its_directories() {
    let env = TestEnv::new();
    for dir in [
        env.home_dir(),
        env.xdg_config_home(),
        env.xdg_data_home(),
        env.xdg_cache_home(),
        env.config_dir(),
        env.data_dir(),
        env.cache_dir(),
    ] {
        assert!(dir.is_dir(), "{} is missing", dir.display());
        assert!(
            dir.starts_with(env.root()),
            "{} escapes the temp dir",
            dir.display()
        );
    }
    assert_eq!(env.db_path(), env.data_dir().join("basket.db"));
    assert!(
        !env.rules_path().exists(),
        "no rules until a test writes them"
    );
    assert!(env.default_rules_path().starts_with(env.xdg_config_home()));
}

#[test]
fn test_env_writes_rules_where_the_binary_reads_them() {
    let env = TestEnv::new();
    env.write_rules("[settings]\ncurrency = \"GBP\"\n");
    assert_eq!(env.read_rules(), "[settings]\ncurrency = \"GBP\"\n");
    assert_eq!(
        env_of(&env.cmd(&[]), "BASKET_RULES"),
        Some(env.rules_path().display().to_string())
    );
}

#[test]
fn test_env_removes_its_temp_dir_when_dropped() {
    let env = TestEnv::new();
    let root = env.root().to_path_buf();
    drop(env);
    assert!(!root.exists());
}

/// The value `cmd` sets for `key`, as a string (`None` when unset or removed).
fn env_of(cmd: &Command, key: &str) -> Option<String> {
    cmd.get_envs()
        .find(|(k, _)| *k == key)
        .and_then(|(_, v)| v)
        .map(|v| v.to_string_lossy().into_owned())
}

#[test]
fn test_env_command_has_the_hermetic_environment() {
    let mut env = TestEnv::new();
    let cmd = env.cmd(&["check", "--format", "json"]);
    assert!(cmd.get_program().to_string_lossy().ends_with("basket"));
    assert_eq!(
        cmd.get_args().collect::<Vec<_>>(),
        ["check", "--format", "json"]
    );
    assert_eq!(cmd.get_current_dir(), Some(env.root()));
    let path = |p: std::path::PathBuf| Some(p.display().to_string());
    assert_eq!(env_of(&cmd, "HOME"), path(env.home_dir()));
    assert_eq!(env_of(&cmd, "XDG_CONFIG_HOME"), path(env.xdg_config_home()));
    assert_eq!(env_of(&cmd, "XDG_DATA_HOME"), path(env.xdg_data_home()));
    assert_eq!(env_of(&cmd, "XDG_CACHE_HOME"), path(env.xdg_cache_home()));
    assert_eq!(env_of(&cmd, "BASKET_DATA_DIR"), path(env.data_dir()));
    assert_eq!(env_of(&cmd, "BASKET_CACHE_DIR"), path(env.cache_dir()));
    assert_eq!(env_of(&cmd, "NO_COLOR").as_deref(), Some("1"));
    assert_eq!(env_of(&cmd, "COLUMNS").as_deref(), Some("120"));
    assert_eq!(env_of(&cmd, "TZ").as_deref(), Some("UTC"));
    assert_eq!(env_of(&cmd, "BASKET_NOW").as_deref(), Some(DEFAULT_NOW));
    assert_eq!(env_of(&cmd, "TERM"), None, "no terminal unless pty_cmd");
    assert_eq!(env_of(&env.pty_cmd(&[]), "TERM").as_deref(), Some("xterm"));

    env.set_now("2026-10-04T20:00:00Z");
    env.set_env("BASKET_SMTP_PASSWORD", "secret");
    env.remove_env("BASKET_RULES");
    let cmd = env.cmd(&[]);
    assert_eq!(
        env_of(&cmd, "BASKET_NOW").as_deref(),
        Some("2026-10-04T20:00:00Z")
    );
    assert_eq!(
        env_of(&cmd, "BASKET_SMTP_PASSWORD").as_deref(),
        Some("secret")
    );
    assert_eq!(env_of(&cmd, "BASKET_RULES"), None);
}

/// The process plumbing (`run_cmd`, used by `run` and `run_with_stdin`) checked on
/// `sh`, since `basket` cannot run yet: same environment and stdin as `env.cmd`.
fn sh(env: &TestEnv, script: &str) -> Command {
    let mut sh = Command::new("sh");
    sh.args(["-c", script])
        .env_clear()
        .current_dir(env.root())
        .stdin(Stdio::null());
    for (key, value) in env.cmd(&[]).get_envs() {
        if let Some(value) = value {
            sh.env(key, value);
        }
    }
    sh
}

#[test]
fn run_cmd_captures_status_and_streams() {
    let env = TestEnv::new();
    let out = env.run_cmd(sh(&env, "echo out; echo err >&2; exit 3"), None);
    assert_eq!(
        out,
        Output {
            status: 3,
            stdout: "out\n".into(),
            stderr: "err\n".into()
        }
    );
    out.assert_code(3);
    let out = env.run_cmd(sh(&env, "printf '%s' \"$BASKET_NOW $TZ\""), None);
    out.assert_ok();
    assert_eq!(out.stdout, format!("{DEFAULT_NOW} UTC"));
}

#[test]
fn run_cmd_feeds_stdin() {
    let env = TestEnv::new();
    let out = env.run_cmd(sh(&env, "cat"), Some(b"y\nn\n".to_vec()));
    assert_eq!(out.stdout, "y\nn\n");
    // With no input given, stdin is /dev/null: reading it ends at once.
    let out = env.run_cmd(sh(&env, "cat; echo done"), None);
    assert_eq!(out.stdout, "done\n");
}

#[test]
fn run_cmd_kills_a_hung_process_and_shows_what_it_printed() {
    let mut env = TestEnv::new();
    env.set_timeout(Duration::from_millis(300));
    let started = Instant::now();
    // `sleep` runs as a grandchild that keeps stdout open after `sh` is killed:
    // the harness must not wait for it (it did, once, for the whole sleep).
    let result = std::panic::catch_unwind(|| env.run_cmd(sh(&env, "echo waiting; sleep 5"), None));
    let message = *result
        .expect_err("a hung process fails the test")
        .downcast::<String>()
        .expect("a formatted panic message");
    assert!(message.contains("did not finish"), "{message}");
    assert!(message.contains("--- stdout\nwaiting\n"), "{message}");
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn output_json_parses_stdout() {
    let out = Output {
        status: 0,
        stdout: r#"{"proposals": [], "warnings": ["w"]}"#.into(),
        stderr: String::new(),
    };
    assert_eq!(out.assert_ok().json()["warnings"][0], "w");
}

#[test]
#[should_panic(expected = "--- stderr\nerror: rules.toml:3:1")]
fn output_assert_code_shows_both_streams() {
    let out = Output {
        status: 2,
        stdout: "partial".into(),
        stderr: "error: rules.toml:3:1: unknown key".into(),
    };
    out.assert_ok();
}

#[test]
fn test_env_normalize_hides_the_temp_dir() {
    let env = TestEnv::new();
    let text = format!("wrote {}", env.rules_path().display());
    assert_eq!(env.normalize(&text), "wrote $ROOT/config/rules.toml");
}

/// EAN-13 / GTIN check digit: the fixtures must hold barcodes a real parser accepts.
fn gtin_is_valid(gtin: &str) -> bool {
    let digits: Vec<u32> = gtin.chars().filter_map(|c| c.to_digit(10)).collect();
    if digits.len() != gtin.len() || ![8, 12, 13, 14].contains(&digits.len()) {
        return false;
    }
    let (body, check) = digits.split_at(digits.len() - 1);
    // Weights 3,1,3,... from the rightmost digit of the body.
    let sum: u32 = body
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| if i % 2 == 0 { d * 3 } else { *d })
        .sum();
    (10 - sum % 10) % 10 == check[0]
}

#[test]
fn grocer_fixture_is_a_json_feed_with_valid_gtins() {
    let feed: serde_json::Value =
        serde_json::from_slice(&fixture("catalog/grocer.json")).expect("grocer.json is JSON");
    let products = feed["products"].as_array().expect("a products array");
    assert_eq!(products.len(), 20);
    let mut ids = HashSet::new();
    for p in products {
        let id = p["id"].as_str().expect("an id");
        assert!(ids.insert(id), "duplicate id {id}");
        let gtin = p["gtin"].as_str().expect("a gtin");
        assert!(gtin_is_valid(gtin), "{id}: bad gtin {gtin}");
        assert!(p["price"].is_string(), "{id}: price as a decimal string");
        assert!(p["currency"] == "GBP" || p["currency"] == "EUR", "{id}");
    }
    let by_name = |name: &str| {
        products
            .iter()
            .find(|p| p["name"] == name)
            .unwrap_or_else(|| panic!("no {name}"))
    };
    assert_eq!(by_name("Choco spread 400g")["contains"][0], "palm-oil");
    assert_eq!(by_name("Nocciolata 270g")["free_from"][0], "palm-oil");
}

#[test]
fn other_catalog_fixtures_load() {
    let boots = fixture_str("catalog/boots.csv");
    let mut lines = boots.lines();
    assert_eq!(
        lines.next(),
        Some(
            "id,gtin,name,brand,categories,price,regular_price,currency,availability,\
             contains,free_from,allergens,traces,labels,url"
        )
    );
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 3);
    assert!(rows.iter().all(|r| r.len() == 15 && gtin_is_valid(r[1])));
    assert!(rows
        .iter()
        .any(|r| r[2] == "Chelsea boot" && r[5] == "14.50" && r[7] == "GBP"));

    let jsonl = fixture_str("catalog/grocer-lines.jsonl");
    let products: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).expect("one JSON object per line"))
        .collect();
    assert_eq!(products.len(), 3);
    assert!(products
        .iter()
        .all(|p| gtin_is_valid(p["gtin"].as_str().expect("a gtin"))));
}

#[test]
fn open_meteo_fixture_covers_the_default_now() {
    let forecast: serde_json::Value = serde_json::from_str(&fixture_str(
        "open-meteo/frenck-forecast-daily-all-variables-TRIMMED.json",
    ))
    .expect("forecast JSON");
    let days = forecast["daily"]["time"].as_array().expect("daily.time");
    assert_eq!(
        days.first().and_then(|d| d.as_str()),
        Some(&DEFAULT_NOW[..10])
    );
    assert_eq!(forecast["daily"]["temperature_2m_max"][1], 20.2);

    let nulls: serde_json::Value = serde_json::from_slice(&fixture(
        "open-meteo/frenck-forecast-daily-trailing-nulls.json",
    ))
    .expect("forecast JSON");
    assert!(nulls["daily"]["temperature_2m_max"][1].is_null());
}

#[test]
fn every_fixture_is_listed_in_sources() {
    let sources = fixture_str("SOURCES.md");
    let mut stack = vec![fixtures_dir()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read fixtures dir") {
            let path = entry.expect("a directory entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let name = path
                .strip_prefix(fixtures_dir())
                .expect("under fixtures")
                .to_string_lossy()
                .replace('\\', "/");
            if name != "SOURCES.md" {
                assert!(
                    sources.contains(&format!("`{name}`")),
                    "{name} is not in SOURCES.md"
                );
            }
        }
    }
}
