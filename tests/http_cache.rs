//! The HTTP cache seen from the binary (docs/feeds.md, "Fetching"): a second run where
//! nothing changed makes only conditional requests, a run with the server gone
//! still works from the cache with a warning saying how old the copy is, and
//! `--offline` uses the cache alone.

use serde_json::Value;

use crate::support::{Reply, TestEnv, TestServer};

const RULES: &str = r#"
[settings]
currency = "GBP"

[feeds.grocer]
kind = "json"
url = "$SERVER/feeds/grocer.json"

[feeds.boots]
kind = "csv"
url = "$SERVER/feeds/boots.csv"

[[rule]]
name = "Favourite chocolate"
match = { brand = "Divine", category = "chocolate" }
add = { quantity = 1, limit = 1, prefer = "cheapest" }

[[rule]]
name = "Boots under £15"
match = { feed = "boots", name = "chelsea boot", price = { below = "15.00" } }
add = {}
"#;

const BOOTS_DATE: &str = "Fri, 02 Oct 2026 07:00:00 GMT";

const CHECK: &[&str] = &["check", "--format", "json", "--no-input"];

/// The proposals as (rule, feed, product id), sorted: what must not change when
/// the feeds come from the cache (the status moves from new to pending).
fn proposals(report: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = report["proposals"]
        .as_array()
        .expect("proposals is an array")
        .iter()
        .map(|p| {
            let text = |v: &Value| v.as_str().unwrap_or_default().to_string();
            (
                text(&p["rule"]),
                text(&p["product"]["feed"]),
                text(&p["product"]["id"]),
            )
        })
        .collect();
    out.sort();
    out
}

fn warnings(report: &Value) -> Vec<String> {
    report["warnings"]
        .as_array()
        .expect("warnings is an array")
        .iter()
        .filter_map(|w| w.as_str().map(str::to_string))
        .collect()
}

fn serve_feeds(server: &TestServer) {
    server.set(
        "/feeds/grocer.json",
        Reply::fixture("catalog/grocer.json").with_header("ETag", "\"grocer-1\""),
    );
    server.set(
        "/feeds/boots.csv",
        Reply::fixture("catalog/boots.csv").with_header("Last-Modified", BOOTS_DATE),
    );
}

#[test]
fn a_second_run_revalidates_and_a_stopped_server_is_served_from_the_cache() {
    let mut env = TestEnv::new();
    let server = TestServer::start();
    serve_feeds(&server);
    env.write_rules(&server.expand(RULES));

    let first = env.run(CHECK);
    first.assert_ok();
    let first = first.json();
    let expected = proposals(&first);
    assert!(
        expected.iter().any(|p| p.2 == "BOOT-42"),
        "the boots rule fires: {expected:?}"
    );
    assert!(env.cache_dir().join("http").is_dir());
    assert_eq!(
        server.last_header("/feeds/grocer.json", "If-None-Match"),
        None
    );

    // Nothing changed: the server answers 304 to the conditional requests.
    server.set(
        "/feeds/grocer.json",
        Reply::status(304, "").with_header("ETag", "\"grocer-1\""),
    );
    server.set("/feeds/boots.csv", Reply::status(304, ""));
    let second = env.run(CHECK);
    second.assert_ok();
    let second = second.json();
    assert_eq!(server.hits("/feeds/grocer.json"), 2);
    assert_eq!(server.hits("/feeds/boots.csv"), 2);
    assert_eq!(
        server
            .last_header("/feeds/grocer.json", "If-None-Match")
            .as_deref(),
        Some("\"grocer-1\"")
    );
    assert_eq!(
        server
            .last_header("/feeds/boots.csv", "If-Modified-Since")
            .as_deref(),
        Some(BOOTS_DATE)
    );
    assert_eq!(proposals(&second), expected);
    assert!(
        !warnings(&second).iter().any(|w| w.contains("cached copy")),
        "{:?}",
        warnings(&second)
    );

    // Offline: the cache alone, no request at all.
    env.set_now("2026-10-03T09:05:00Z");
    let offline = env.run(&["check", "--format", "json", "--no-input", "--offline"]);
    offline.assert_ok();
    let offline = offline.json();
    assert_eq!(server.total_hits(), 4, "--offline makes no request");
    assert_eq!(proposals(&offline), expected);
    let w = warnings(&offline);
    for feed in ["grocer", "boots"] {
        let line = format!("feed '{feed}': offline: used the cached copy from 5 minutes ago");
        assert!(w.contains(&line), "{line} in {w:?}");
    }

    // The network goes away: the copy confirmed at 09:00 serves, said to be old.
    drop(server);
    env.set_now("2026-10-03T11:00:00Z");
    let third = env.run(CHECK);
    third.assert_ok();
    let third = third.json();
    assert_eq!(proposals(&third), expected);
    let w = warnings(&third);
    for feed in ["grocer", "boots"] {
        assert!(
            w.iter().any(
                |w| w.starts_with(&format!("feed '{feed}': cannot connect ("))
                    && w.ends_with("used the cached copy from 2 hours ago")
            ),
            "a warning for {feed} in {w:?}"
        );
    }
}

#[test]
fn offline_with_an_empty_cache_fails_every_feed() {
    let env = TestEnv::new();
    let server = TestServer::start();
    serve_feeds(&server);
    env.write_rules(&server.expand(RULES));

    let out = env.run(&["check", "--format", "json", "--no-input", "--offline"]);
    out.assert_code(1);
    for feed in ["grocer", "boots"] {
        let line = format!("feed '{feed}': not in the cache, and --offline forbids fetching it");
        assert!(out.stderr.contains(&line), "{line}\n{}", out.streams());
    }
    assert!(
        out.stderr.contains("every feed failed"),
        "{}",
        out.streams()
    );
    assert_eq!(server.total_hits(), 0);
}
