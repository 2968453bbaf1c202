//! The network as it really is (issue 13): a shop that accepts and never
//! answers, a host that drops every connection, Open Food Facts' rate limit
//! and User-Agent, and a product page behind a bot wall. No timed assertions:
//! outcomes only, and the harness's own timeout catches a hang.

use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::thread::{self, JoinHandle};
use std::time::Duration;

use serde_json::Value;

use crate::support::{Reply, TestEnv, TestServer};

/// How a [`RawServer`] treats a connection.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Answers `200` with the body it was given.
    Answer,
    /// Accepts and never answers, holding the connection.
    Hang,
    /// Accepts and closes at once.
    Drop,
}

/// A loopback socket the test controls below HTTP, counting connections; it
/// stops (and lets go of what it holds) when dropped.
struct RawServer {
    port: u16,
    mode: Arc<std::sync::Mutex<Mode>>,
    accepted: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl RawServer {
    fn start(mode: Mode, body: &'static str) -> RawServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        listener.set_nonblocking(true).expect("nonblocking");
        let port = listener.local_addr().expect("addr").port();
        let mode = Arc::new(std::sync::Mutex::new(mode));
        let accepted = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (m, a, s) = (mode.clone(), accepted.clone(), stop.clone());
        let thread = thread::spawn(move || {
            let mut held: Vec<TcpStream> = Vec::new();
            while !s.load(Ordering::SeqCst) {
                match listener.accept() {
                    Ok((stream, _)) => {
                        a.fetch_add(1, Ordering::SeqCst);
                        let mode = *m.lock().expect("mode");
                        match mode {
                            Mode::Answer => answer(stream, body),
                            Mode::Hang => held.push(stream),
                            Mode::Drop => drop(stream),
                        }
                    }
                    Err(_) => thread::sleep(Duration::from_millis(10)),
                }
            }
        });
        RawServer {
            port,
            mode,
            accepted,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn set(&self, mode: Mode) {
        *self.mode.lock().expect("mode") = mode;
    }

    fn accepted(&self) -> usize {
        self.accepted.load(Ordering::SeqCst)
    }
}

impl Drop for RawServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn answer(mut stream: TcpStream, body: &str) {
    let _ = stream.set_nonblocking(false);
    let mut buf = [0u8; 4096];
    let _ = stream.read(&mut buf);
    let _ = write!(
        stream,
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
}

const SHOP: &str = r#"{"products": [{"id": "T1", "name": "Breakfast Tea", "price": "2.50",
  "currency": "GBP", "availability": "in_stock"}]}"#;

fn warnings(out: &crate::support::Output) -> Vec<String> {
    out.json()["warnings"]
        .as_array()
        .expect("warnings")
        .iter()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect()
}

#[test]
fn a_hung_shop_ends_within_the_run_budget_with_its_cached_copy() {
    let mut env = TestEnv::new();
    let shop = RawServer::start(Mode::Answer, SHOP);
    env.write_rules(&format!(
        "[feeds.shop]\nkind = \"json\"\nurl = \"{}\"\n\n[[rule]]\nname = \"Tea\"\nmatch = {{ name = \"tea\" }}\nadd = {{}}\n",
        shop.url("/shop.json")
    ));
    env.run(&["check", "--no-input", "--format", "json"])
        .assert_ok();

    shop.set(Mode::Hang);
    env.set_now("2026-10-03T09:05:00Z");
    let out = env.run(&["check", "--no-input", "--format", "json", "--timeout", "3s"]);
    out.assert_ok();
    assert_eq!(
        warnings(&out),
        vec![
            "feed 'shop': gave up after 3 s (the run's fetch_timeout; --timeout changes it), \
             used the cached copy from 5 minutes ago"
                .to_string()
        ]
    );
    // The run evaluated with the copy: the tea is still there to propose.
    let report: Value = out.json();
    assert_eq!(report["proposals"][0]["product"]["id"], "T1");
}

#[test]
fn a_bad_timeout_is_refused_where_it_is_written() {
    let env = TestEnv::new();
    env.write_rules("[settings]\nfetch_timeout = \"soon\"\n");
    let out = env.run(&["rules", "check"]);
    assert_ne!(out.status, 0);
    assert!(
        out.stderr
            .contains("rules.toml:2:17: fetch_timeout \"soon\" is not a duration"),
        "{}",
        out.stderr
    );
    let out = env.run(&["check", "--timeout", "0"]);
    assert_eq!(out.status, 2, "{}", out.stderr);
    assert!(out.stderr.contains("is not a duration of a second or more"));
}

/// 20 products with GTINs, for the basket, so Open Food Facts is asked 20 times.
fn catalog() -> String {
    let products: Vec<String> = (0..20)
        .map(|i| {
            format!(
                r#"{{"id": "P{i}", "gtin": "50000000000{i:02}", "name": "Biscuits {i}", "price": "1.00", "currency": "GBP", "availability": "in_stock"}}"#
            )
        })
        .collect();
    format!("{{\"products\": [{}]}}", products.join(","))
}

/// Fills the basket with the 20 products, then writes rules that ask Open Food
/// Facts (at `facts_url`) about each basket item.
fn basket_of_twenty(env: &TestEnv, server: &TestServer, facts: &str) {
    server.set("/shop.json", Reply::json(catalog()));
    let shop = format!(
        "[feeds.shop]\nkind = \"json\"\nurl = \"{}\"\n",
        server.url("/shop.json")
    );
    env.write_rules(&format!(
        "{shop}\n[[rule]]\nname = \"All\"\nmatch = {{ name = \"biscuits\" }}\nadd = {{ limit = 20 }}\n"
    ));
    env.run(&["check", "--yes", "--format", "json"]).assert_ok();
    env.write_rules(&format!(
        "[settings]\ncontact = \"me@example.com\"\n\n{shop}\n{facts}\n[[rule]]\nname = \"No palm oil\"\nmatch = {{ in = \"basket\", contains = [\"palm-oil\"] }}\nremove = {{}}\n"
    ));
}

fn off_hits(server: &TestServer) -> Vec<usize> {
    (0..20)
        .map(|i| server.hits(&format!("/api/v2/product/50000000000{i:02}.json")))
        .collect()
}

#[test]
fn open_food_facts_is_asked_within_its_rate_limit_and_the_rest_next_run() {
    let env = TestEnv::new();
    let server = TestServer::start();
    basket_of_twenty(
        &env,
        &server,
        &format!(
            "[feeds.facts]\nkind = \"openfoodfacts\"\nurl = \"{}\"\nrate_limit = 5\n",
            server.base_url()
        ),
    );
    let out = env.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    assert_eq!(off_hits(&server).iter().sum::<usize>(), 5);
    assert_eq!(
        warnings(&out),
        vec!["feed 'facts': facts: 15 barcodes not looked up yet; asked next run".to_string()]
    );
    let ua = server
        .last_header("/api/v2/product/5000000000000.json", "User-Agent")
        .or_else(|| {
            (0..20).find_map(|i| {
                server.last_header(
                    &format!("/api/v2/product/50000000000{i:02}.json"),
                    "User-Agent",
                )
            })
        })
        .expect("a request was made");
    assert_eq!(
        ua,
        format!("basket/{} (me@example.com)", env!("CARGO_PKG_VERSION"))
    );

    // The next run asks five others, never the same one twice.
    let out = env.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    let hits = off_hits(&server);
    assert_eq!(hits.iter().sum::<usize>(), 10);
    assert!(hits.iter().all(|&h| h <= 1), "{hits:?}");
    assert_eq!(
        warnings(&out),
        vec!["feed 'facts': facts: 10 barcodes not looked up yet; asked next run".to_string()]
    );
}

#[test]
fn a_host_that_dropped_two_requests_is_not_asked_again_this_run() {
    let env = TestEnv::new();
    let server = TestServer::start();
    let facts = RawServer::start(Mode::Drop, "");
    basket_of_twenty(
        &env,
        &server,
        &format!(
            "[feeds.facts]\nkind = \"openfoodfacts\"\nurl = \"{}\"\nrate_limit = 100\n",
            facts.url("")
        ),
    );
    let out = env.run(&["check", "--no-input", "--format", "json"]);
    out.assert_ok();
    // The four workers' first tries fail on their own (each in its own
    // warning); the other lookups are not made: one line says so.
    assert!(facts.accepted() <= 4, "{} connections", facts.accepted());
    let w = warnings(&out);
    let host = format!("127.0.0.1:{}", facts.port);
    assert!(
        w.iter()
            .any(|l| l.contains("barcodes not looked up: request failed")
                && l.contains(&format!("not asked again: {host} failed "))),
        "{w:?}"
    );
}

const PAGE_RULES: &str = r#"
[feeds.shop]
kind = "page"
url = "$SERVER/p/boot"

[[rule]]
name = "Boots"
match = { feed = "shop", name = "boot" }
add = {}
"#;

#[test]
fn a_blocked_page_is_a_failed_fetch_and_its_cached_copy_serves() {
    let mut env = TestEnv::new();
    let server = TestServer::start();
    server.set(
        "/p/boot",
        Reply::fixture("product-pages/own-chelsea-boot-page.html"),
    );
    env.write_rules(&server.expand(PAGE_RULES));
    let first = env.run(&["check", "--no-input", "--format", "json"]);
    first.assert_ok();
    let first: Value = first.json();
    let product = first["proposals"][0]["product"].clone();
    assert_eq!(product["feed"], "shop", "{first}");

    let walls = [
        (
            Reply::status(403, "Forbidden"),
            "looks blocked (HTTP 403 Forbidden)",
        ),
        (
            Reply::html("<html><head><title>Just a moment...</title></head></html>"),
            "looks blocked (a challenge page: \"Just a moment...\")",
        ),
        (
            Reply::html("<html><body><h1>Welcome</h1></body></html>"),
            "looks blocked (no product on the page, where the cached copy had one)",
        ),
    ];
    for (i, (reply, why)) in walls.into_iter().enumerate() {
        server.set("/p/boot", reply);
        env.set_now(&format!("2026-10-03T1{i}:00:00Z"));
        let out = env.run(&["check", "--no-input", "--format", "json"]);
        out.assert_ok();
        let hours = i + 1;
        let plural = if hours == 1 { "hour" } else { "hours" };
        assert_eq!(
            warnings(&out),
            vec![format!(
                "feed 'shop': {why}, used the cached copy from {hours} {plural} ago"
            )]
        );
        let report: Value = out.json();
        // The copy's product, as it was: no "out of stock", no price change.
        assert_eq!(report["proposals"][0]["product"], product, "{why}");
    }
    // One point of history: the copy repeats it, the walls add none.
    let prices = env.run(&["prices", "shop/ACME-CB-BLK-42", "--format", "json"]);
    prices.assert_ok();
    let prices: Value = prices.json();
    assert_eq!(
        prices["observations"].as_array().map(Vec::len),
        Some(1),
        "{prices}"
    );
}

fn forecast(unit: &str, max: f64) -> String {
    format!(
        r#"{{"latitude": 52.5, "longitude": 13.4, "utc_offset_seconds": 0, "timezone": "GMT",
  "daily_units": {{"time": "iso8601", "temperature_2m_max": "{unit}"}},
  "daily": {{"time": ["2026-10-03", "2026-10-04"], "temperature_2m_max": [50.0, {max}]}}}}"#
    )
}

const WEATHER_RULES: &str = r#"
[settings]
location = { latitude = 52.5, longitude = 13.4 }

[weather]
url = "$SERVER/v1/forecast"

[feeds.shop]
kind = "json"
url = "$SERVER/shop.json"

[[rule]]
name = "Iced tea on warm days"
when.weather = { day = "tomorrow", temp_max_c = { above = 22 } }
add = { product = { name = "tea" } }
"#;

#[test]
fn bug_6_a_fahrenheit_forecast_is_read_in_celsius() {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set("/shop.json", Reply::json(SHOP));
    env.write_rules(&server.expand(WEATHER_RULES));
    // 75 °F is 23.9 °C: warm. Read as °C it would not be, and 50 °F today
    // would have been a scorcher.
    server.set("/v1/forecast", Reply::json(forecast("°F", 75.0)));
    let out = env.run(&["check", "--dry-run", "--format", "json"]);
    out.assert_ok();
    let report: Value = out.json();
    assert_eq!(report["proposals"][0]["product"]["id"], "T1", "{report}");
    assert!(
        report["proposals"][0]["reason"]
            .as_str()
            .is_some_and(|r| r.contains("23.9 °C")),
        "{report}"
    );
    // 70 °F is 21.1 °C: not warm enough.
    server.set("/v1/forecast", Reply::json(forecast("°F", 70.0)));
    let out = env.run(&["check", "--dry-run", "--format", "json"]);
    out.assert_ok();
    assert_eq!(out.json()["proposals"], serde_json::json!([]));
}

#[test]
fn bug_6_a_forecast_in_an_unknown_unit_is_refused_with_a_warning() {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set("/shop.json", Reply::json(SHOP));
    server.set("/v1/forecast", Reply::json(forecast("K", 300.0)));
    env.write_rules(&server.expand(WEATHER_RULES));
    let out = env.run(&["check", "--dry-run", "--format", "json"]);
    out.assert_ok();
    assert_eq!(out.json()["proposals"], serde_json::json!([]));
    assert_eq!(
        warnings(&out),
        vec![
            "weather: daily_units gives temperature_2m_max in \"K\", a unit basket cannot read; \
             ask Open-Meteo for °C, °F, mm, inch, km/h, mph, kn or m/s; \
             rules that need the forecast were skipped"
                .to_string()
        ]
    );
}

#[test]
fn a_page_with_three_named_offers_gives_three_products() {
    let env = TestEnv::new();
    let server = TestServer::start();
    server.set(
        "/p/oat",
        Reply::fixture("product-pages/own-three-offers.html"),
    );
    env.write_rules(&server.expand(
        r#"
[feeds.shop]
kind = "page"
url = "$SERVER/p/oat"

[[rule]]
name = "Oat drink"
match = { feed = "shop", name = "oat drink" }
notify = { limit = 5 }
"#,
    ));
    let out = env.run(&["check", "--dry-run", "--format", "json"]);
    out.assert_ok();
    let report: Value = out.json();
    let mut seen: Vec<(String, String, String)> = report["notifications"][0]["products"]
        .as_array()
        .unwrap_or_else(|| panic!("notified products: {report}"))
        .iter()
        .map(|p| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (text(&p["id"]), text(&p["name"]), text(&p["price"]))
        })
        .collect();
    seen.sort();
    assert_eq!(
        seen,
        [
            ("OAT-1L", "Barista Oat Drink — 1 litre", "2.10"),
            ("OAT-250", "Barista Oat Drink — 250 ml", "0.95"),
            ("OAT-6L", "Barista Oat Drink — 6 x 1 litre", "11.50"),
        ]
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
    );
}

#[test]
fn bad_fetch_settings_are_refused_where_they_are_written() {
    let env = TestEnv::new();
    env.write_rules(
        r#"[settings]
contact = "me\u0007@example.com"
fetch_timeout = "0"

[feeds.shop]
kind = "json"
url = "shop.json"
rate_limit = 5

[feeds.facts]
kind = "openfoodfacts"
rate_limit = 0
"#,
    );
    let out = env.run(&["rules", "check"]);
    insta::assert_snapshot!(env.normalize(&out.streams()));
}
