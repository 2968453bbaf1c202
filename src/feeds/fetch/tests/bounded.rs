//! The run's bounds: a timeout tried again once only, the run's budget, a host
//! that failed twice, a rate limit, and a guard's verdict on a fresh body.

use super::server::{Reply, Server};
use super::*;

/// A server that accepts connections and never answers, counting them.
fn hung_server() -> (String, std::sync::Arc<std::sync::atomic::AtomicUsize>) {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let accepted = std::sync::Arc::new(AtomicUsize::new(0));
    let count = accepted.clone();
    thread::spawn(move || {
        let mut held = Vec::new();
        for stream in listener.incoming() {
            count.fetch_add(1, Ordering::SeqCst);
            // Held open, never answered, until the test process ends.
            held.push(stream);
        }
    });
    (base, accepted)
}

#[test]
fn a_timeout_is_tried_again_once_however_many_retries() {
    let server = Server::start();
    server.script(
        "/slow",
        vec![Reply::ok(b"late").delay(Duration::from_millis(1500))],
    );
    let f = fetcher_with(FetchOptions {
        read_timeout: Duration::from_millis(200),
        retries: 3,
        ..opts(None, T0)
    });
    let err = f.get(&server.url("/slow")).expect_err("too slow");
    assert_eq!(err.to_string(), "timed out after 0.2 s");
    assert_eq!(server.hits("/slow"), 2);
}

#[test]
fn a_hung_server_ends_when_the_run_budget_does() {
    let (base, accepted) = hung_server();
    let run = FetchRun::new();
    run.start(Duration::from_secs(1));
    let f = fetcher_with(FetchOptions {
        run,
        ..opts(None, T0)
    });
    let err = f
        .get(&format!("{base}/feed.json"))
        .expect_err("never answers");
    assert_eq!(
        err.to_string(),
        "gave up after 1 s (the run's fetch_timeout; --timeout changes it)"
    );
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
    // Spent: the next request is not even made.
    let err = f.get(&format!("{base}/other.json")).expect_err("spent");
    assert!(err.to_string().starts_with("gave up after 1 s"), "{err}");
    assert_eq!(accepted.load(std::sync::atomic::Ordering::SeqCst), 1);
}

#[test]
fn a_host_that_failed_twice_is_not_asked_again_this_run() {
    let server = Server::start();
    server.script("/a", vec![Reply::ok(b"late").delay(Duration::from_secs(2))]);
    server.script("/b", vec![Reply::ok(b"fine")]);
    let f = fetcher_with(FetchOptions {
        read_timeout: Duration::from_millis(200),
        ..opts(None, T0)
    });
    let err = f.get(&server.url("/a")).expect_err("too slow");
    assert_eq!(err.to_string(), "timed out after 0.2 s");
    let err = f.get(&server.url("/b")).expect_err("host down");
    let host = host_of(&server.url("/b"));
    assert_eq!(
        err.to_string(),
        format!("timed out after 0.2 s; not asked again: {host} failed 2 requests this run")
    );
    assert_eq!((server.hits("/a"), server.hits("/b")), (2, 0));
}

#[test]
fn a_rate_limited_host_gets_that_many_requests_and_the_cache_serves_the_rest() {
    let server = Server::start();
    let cache = tempfile::tempdir().expect("temp dir");
    for path in ["/1", "/2", "/3"] {
        server.script(path, vec![Reply::ok(b"{}")]);
    }
    let f = fetcher_with(opts(Some(cache.path()), T0));
    f.limit_reads(&server.url("/"), 2);
    assert!(f.get(&server.url("/1")).is_ok());
    assert!(f.get(&server.url("/2")).is_ok());
    let err = f.get(&server.url("/3")).expect_err("over the limit");
    assert!(
        matches!(err, FeedError::RateLimited { limit: 2, .. }),
        "{err}"
    );
    // A copy, however old, serves quietly instead.
    let copy = f.get(&server.url("/1")).expect("cached");
    assert!(copy.from_cache && copy.warning.is_none());
    assert_eq!(server.hits("/3"), 0);
}

#[test]
fn a_guard_refusing_a_fresh_body_keeps_the_cached_copy() {
    let server = Server::start();
    let cache = tempfile::tempdir().expect("temp dir");
    server.script(
        "/page",
        vec![
            Reply::ok(b"good"),
            Reply::ok(b"wall"),
            Reply::status(403, b"no"),
        ],
    );
    let judge = |new: &Path, _: Option<&Path>| match std::fs::read(new) {
        Ok(body) if body == b"wall" => Err("a wall".to_string()),
        _ => Ok(()),
    };
    let guard = Guard {
        refusals_blocked: true,
        body: &judge,
    };
    let f = fetcher_with(opts(Some(cache.path()), T0));
    let url = server.url("/page");
    assert!(!f.get_file_guarded(&url, &guard).expect("200").from_cache);
    for expected in [
        "looks blocked (a wall), used the cached copy from less than a minute ago",
        "looks blocked (HTTP 403 Forbidden), used the cached copy from less than a minute ago",
    ] {
        let got = f.get_file_guarded(&url, &guard).expect("the copy");
        assert!(got.from_cache);
        assert_eq!(got.warning.as_deref(), Some(expected));
        assert_eq!(std::fs::read(&got.path).expect("read"), b"good");
    }
}
