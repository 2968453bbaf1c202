//! The fetcher against a scripted loopback server: bodies and caps, timeouts,
//! redirects, retries, revalidation and the cache, for both ways a body goes.

use std::io::{self, Write};
use std::thread;
use std::time::Instant;

use reqwest::header::{self, HeaderMap};

use super::retry::{backoff_delay, retry_after};
use super::*;
use server::{Reply, Server};

mod bounded;
mod server;

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .expect("valid time")
        .with_timezone(&Utc)
}

const T0: &str = "2026-10-03T09:00:00Z";

/// Fast options for tests: short waits, a cache in `cache` if given, the
/// clock at `now`.
fn opts(cache: Option<&Path>, now: &str) -> FetchOptions {
    FetchOptions {
        timeout: Duration::from_secs(5),
        backoff: Duration::from_millis(1),
        cache_dir: cache.map(Path::to_path_buf),
        now: at(now),
        ..FetchOptions::default()
    }
}

fn fetcher_with(opts: FetchOptions) -> Fetcher {
    Fetcher::new(opts).expect("client builds")
}

fn fetcher(max_bytes: u64) -> Fetcher {
    fetcher_with(FetchOptions {
        max_bytes,
        retries: 0,
        ..opts(None, T0)
    })
}

#[test]
fn default_options_name_basket_and_retry() {
    let opts = FetchOptions::default();
    assert_eq!(opts.timeout, Duration::from_secs(30));
    assert_eq!(opts.connect_timeout, Duration::from_secs(10));
    assert_eq!(opts.max_bytes, 64 * 1024 * 1024);
    assert_eq!(opts.retries, 3);
    assert_eq!(opts.backoff, Duration::from_millis(500));
    assert_eq!(opts.max_retry_after, Duration::from_secs(30));
    assert!(opts.cache_dir.is_none() && !opts.offline && !opts.progress);
    assert!(opts
        .user_agent
        .starts_with(&format!("basket/{} (+https://", env!("CARGO_PKG_VERSION"))));
}

#[test]
fn http_bodies_errors_and_the_size_cap() {
    let server = Server::start();
    server.script("/cat.json", vec![Reply::ok(b"[1,2]")]);
    server.script("/broken", vec![Reply::status(500, b"oops")]);
    server.script(
        "/refused",
        vec![Reply::status(
            400,
            br#"{"error":true,"reason":"Latitude must be in range of -90 to 90\u00b0."}"#,
        )],
    );
    let big = vec![b'x'; 4096];
    server.script("/big", vec![Reply::ok(&big)]);
    server.script("/big-chunked", vec![Reply::ok(&big).chunked()]);
    let base = &server.base;
    let f = fetcher(1024);

    let got = f.get(&server.url("/cat.json")).expect("200");
    assert_eq!(got, Fetched::fresh(b"[1,2]".to_vec()));

    let err = f.get(&server.url("/broken")).expect_err("500");
    assert_eq!(
        err.to_string(),
        format!("HTTP 500 Internal Server Error from {base}/broken")
    );

    let err = f.get(&server.url("/refused")).expect_err("400");
    assert_eq!(
        err.to_string(),
        format!(
            "HTTP 400 Bad Request from {base}/refused: Latitude must be in range of -90 to 90°."
        )
    );
}

#[test]
fn a_body_over_the_cap_is_refused_and_not_retried() {
    let server = Server::start();
    let big = vec![b'x'; 4096];
    server.script("/big", vec![Reply::ok(&big)]);
    server.script("/big-chunked", vec![Reply::ok(&big).chunked()]);
    let f = fetcher_with(FetchOptions {
        max_bytes: 1024,
        ..opts(None, T0)
    });
    for path in ["/big", "/big-chunked"] {
        let err = f.get(&server.url(path)).expect_err("over the cap");
        assert_eq!(
            err.to_string(),
            "response larger than the 1 KiB limit",
            "{path}"
        );
        // Asking again would only get the same too-big answer.
        assert_eq!(server.hits(path), 1, "{path}");
    }
}

#[test]
fn a_slow_server_times_out_after_the_retries() {
    let server = Server::start();
    server.script(
        "/slow",
        vec![Reply::ok(b"late").delay(Duration::from_millis(1500))],
    );
    let f = fetcher_with(FetchOptions {
        read_timeout: Duration::from_millis(300),
        retries: 1,
        ..opts(None, T0)
    });
    let started = Instant::now();
    let err = f.get(&server.url("/slow")).expect_err("too slow");
    assert_eq!(err.to_string(), "timed out after 0.3 s");
    assert_eq!(server.hits("/slow"), 2, "a timeout is retried");
    assert!(started.elapsed() < Duration::from_millis(1400), "no hang");
}

/// Slowloris: the head arrives at once, then the body one byte at a time,
/// each in time to beat any per-read timeout. The total timeout still ends
/// the request.
#[test]
fn a_trickling_body_ends_in_the_total_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { return };
            thread::spawn(move || {
                let mut buf = [0u8; 4096];
                let _ = io::Read::read(&mut stream, &mut buf);
                let _ = stream.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n",
                );
                for _ in 0..1000 {
                    if stream.write_all(b" ").is_err() {
                        return;
                    }
                    thread::sleep(Duration::from_millis(50));
                }
            });
        }
    });
    let f = fetcher_with(FetchOptions {
        timeout: Duration::from_millis(600),
        retries: 1,
        ..opts(None, T0)
    });
    let started = Instant::now();
    let err = f
        .get(&format!("http://127.0.0.1:{port}/slow.json"))
        .expect_err("never finishes");
    assert_eq!(err.to_string(), "timed out after 0.6 s");
    // Two attempts of 0.6 s and a short backoff, not 100,000 x 50 ms.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
}

#[test]
fn redirects_stop_at_a_loop_a_long_chain_or_another_scheme() {
    let server = Server::start();
    server.script(
        "/loop",
        vec![Reply::status(302, b"").header("Location", "/loop")],
    );
    for i in 0..12 {
        server.script(
            &format!("/chain{i}"),
            vec![Reply::status(301, b"").header("Location", &format!("/chain{}", i + 1))],
        );
    }
    server.script("/chain12", vec![Reply::ok(b"[]")]);
    server.script(
        "/chain-ok",
        vec![Reply::status(302, b"").header("Location", "/chain3")],
    );
    server.script(
        "/to-file",
        vec![Reply::status(302, b"").header("Location", "file:///etc/passwd")],
    );
    server.script(
        "/to-ftp",
        vec![Reply::status(307, b"").header("Location", "ftp://files.example/feed.csv")],
    );
    let f = fetcher(1024);
    let base = &server.base;
    let err = f.get(&server.url("/loop")).expect_err("a loop");
    assert_eq!(
        err.to_string(),
        format!(
            "request to {base}/loop failed: redirect loop: it leads back to a URL already visited"
        )
    );
    let err = f.get(&server.url("/chain0")).expect_err("12 redirects");
    assert_eq!(
        err.to_string(),
        format!("request to {base}/chain0 failed: more than 10 redirects")
    );
    // Nine hops are fine.
    assert_eq!(
        f.get(&server.url("/chain-ok")).expect("9 redirects").bytes,
        b"[]"
    );
    let err = f.get(&server.url("/to-file")).expect_err("file://");
    assert_eq!(
        err.to_string(),
        format!("HTTP 302 Found from {base}/to-file: redirected to a file: URL; a feed may only redirect to http or https")
    );
    let err = f.get(&server.url("/to-ftp")).expect_err("ftp://");
    assert_eq!(
        err.to_string(),
        format!("request to {base}/to-ftp failed: redirected to a ftp: URL; a feed may only redirect to http or https")
    );
    assert_eq!(server.hits("/loop"), 1, "a loop is not retried");
}

#[test]
fn a_closed_port_is_a_connection_error() {
    // Bind and drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("free port")
        .port();
    let err = fetcher_with(opts(None, T0))
        .get(&format!("http://127.0.0.1:{port}/x"))
        .expect_err("nothing listens");
    assert!(
        err.to_string()
            .starts_with(&format!("cannot connect to http://127.0.0.1:{port}/x: ")),
        "{err}"
    );
}

#[test]
fn an_etag_is_revalidated_and_a_304_served_from_the_cache() {
    let cache = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    server.script(
        "/cat.json",
        vec![
            Reply::ok(b"[1]").header("ETag", "\"v1\""),
            Reply::status(304, b"").header("ETag", "\"v1\""),
        ],
    );
    let url = server.url("/cat.json");

    let first = fetcher_with(opts(Some(cache.path()), T0))
        .get(&url)
        .expect("200");
    assert_eq!(first, Fetched::fresh(b"[1]".to_vec()));
    assert_eq!(server.header("/cat.json", 0, "If-None-Match"), None);

    let later = "2026-10-03T11:00:00Z";
    let second = fetcher_with(opts(Some(cache.path()), later))
        .get(&url)
        .expect("304");
    assert_eq!(
        second,
        Fetched {
            bytes: b"[1]".to_vec(),
            warning: None,
            from_cache: true
        }
    );
    assert_eq!(server.hits("/cat.json"), 2);
    assert_eq!(
        server.header("/cat.json", 1, "If-None-Match").as_deref(),
        Some("\"v1\"")
    );

    // The 304 renewed the copy: offline five minutes later, it is 5 minutes old.
    let offline = fetcher_with(FetchOptions {
        offline: true,
        ..opts(Some(cache.path()), "2026-10-03T11:05:00Z")
    })
    .get(&url)
    .expect("cached");
    assert_eq!(
        offline.warning.as_deref(),
        Some("offline: used the cached copy from 5 minutes ago")
    );
}

#[test]
fn last_modified_is_sent_back_and_a_new_body_replaces_the_copy() {
    let cache = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    let date = "Fri, 02 Oct 2026 07:28:00 GMT";
    server.script(
        "/feed.csv",
        vec![
            Reply::ok(b"id\n1\n").header("Last-Modified", date),
            Reply::status(304, b""),
            Reply::ok(b"id\n2\n"),
        ],
    );
    let url = server.url("/feed.csv");
    let f = fetcher_with(opts(Some(cache.path()), T0));
    assert_eq!(f.get(&url).expect("200").bytes, b"id\n1\n");
    let second = f.get(&url).expect("304");
    assert!(second.from_cache && second.warning.is_none());
    assert_eq!(second.bytes, b"id\n1\n");
    assert_eq!(
        server
            .header("/feed.csv", 1, "If-Modified-Since")
            .as_deref(),
        Some(date)
    );
    assert_eq!(server.header("/feed.csv", 1, "If-None-Match"), None);

    let third = f.get(&url).expect("200 again");
    assert_eq!(third, Fetched::fresh(b"id\n2\n".to_vec()));
    assert_eq!(
        server
            .header("/feed.csv", 2, "If-Modified-Since")
            .as_deref(),
        Some(date)
    );
    // The new answer has no validators, so the next request is plain.
    assert_eq!(f.get(&url).expect("200").bytes, b"id\n2\n");
    assert_eq!(server.header("/feed.csv", 3, "If-Modified-Since"), None);
    assert_eq!(server.hits("/feed.csv"), 4);
}

#[test]
fn retries_then_success() {
    let server = Server::start();
    server.script(
        "/flaky",
        vec![
            Reply::status(503, b"busy"),
            Reply::status(503, b"busy"),
            Reply::ok(b"[]"),
        ],
    );
    let got = fetcher_with(opts(None, T0))
        .get(&server.url("/flaky"))
        .expect("third time lucky");
    assert_eq!(got, Fetched::fresh(b"[]".to_vec()));
    assert_eq!(server.hits("/flaky"), 3);
}

#[test]
fn a_client_error_is_not_retried() {
    let server = Server::start();
    server.script("/gone", vec![Reply::status(404, b"no")]);
    fetcher_with(opts(None, T0))
        .get(&server.url("/gone"))
        .expect_err("404");
    assert_eq!(server.hits("/gone"), 1);
}

#[test]
fn retries_exhausted_then_the_stale_copy_with_its_age() {
    let cache = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    server.script(
        "/cat.json",
        vec![Reply::ok(b"[1]"), Reply::status(503, b"down")],
    );
    let url = server.url("/cat.json");
    fetcher_with(opts(Some(cache.path()), T0))
        .get(&url)
        .expect("200");

    let f = fetcher_with(FetchOptions {
        retries: 2,
        ..opts(Some(cache.path()), "2026-10-03T11:00:00Z")
    });
    let got = f.get(&url).expect("stale copy");
    assert_eq!(got.bytes, b"[1]");
    assert!(got.from_cache);
    assert_eq!(
        got.warning.as_deref(),
        Some("HTTP 503 Service Unavailable, used the cached copy from 2 hours ago")
    );
    assert_eq!(
        server.hits("/cat.json"),
        1 + 3,
        "one fetch, then 1 + 2 retries"
    );

    // Without a cache the failure stands.
    let err = fetcher_with(FetchOptions {
        retries: 1,
        ..opts(None, T0)
    })
    .get(&url)
    .expect_err("no copy");
    assert!(matches!(err, FeedError::Http { status: 503, .. }), "{err}");
}

#[test]
fn retry_after_is_honoured() {
    let server = Server::start();
    server.script(
        "/limited",
        vec![
            Reply::status(429, b"slow down").header("Retry-After", "1"),
            Reply::ok(b"[]"),
        ],
    );
    let started = Instant::now();
    let got = fetcher_with(FetchOptions {
        max_retry_after: Duration::from_secs(2),
        ..opts(None, T0)
    })
    .get(&server.url("/limited"))
    .expect("after the wait");
    assert_eq!(got.bytes, b"[]");
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(server.hits("/limited"), 2);
}

#[test]
fn a_retry_after_over_the_cap_is_not_waited_for() {
    let cache = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    server.script(
        "/limited",
        vec![
            Reply::ok(b"[1]"),
            Reply::status(429, b"come back tomorrow").header("Retry-After", "86400"),
        ],
    );
    let url = server.url("/limited");
    fetcher_with(opts(Some(cache.path()), T0))
        .get(&url)
        .expect("200");
    let started = Instant::now();
    let got = fetcher_with(opts(Some(cache.path()), "2026-10-06T09:00:00Z"))
        .get(&url)
        .expect("stale copy");
    assert!(started.elapsed() < Duration::from_secs(5));
    assert_eq!(server.hits("/limited"), 2, "no retry");
    assert_eq!(
        got.warning.as_deref(),
        Some("HTTP 429 Too Many Requests, used the cached copy from 3 days ago")
    );
}

#[test]
fn retry_after_reads_seconds_and_http_dates() {
    let mut headers = HeaderMap::new();
    assert_eq!(retry_after(&headers), None);
    headers.insert(header::RETRY_AFTER, header::HeaderValue::from_static("7"));
    assert_eq!(retry_after(&headers), Some(Duration::from_secs(7)));
    let soon = (Utc::now() + TimeDelta::seconds(60))
        .format("%a, %d %b %Y %H:%M:%S GMT")
        .to_string();
    headers.insert(
        header::RETRY_AFTER,
        header::HeaderValue::from_str(&soon).expect("ascii"),
    );
    let wait = retry_after(&headers).expect("a date");
    assert!(
        wait > Duration::from_secs(50) && wait <= Duration::from_secs(60),
        "{wait:?}"
    );
    headers.insert(
        header::RETRY_AFTER,
        header::HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
    );
    assert_eq!(retry_after(&headers), Some(Duration::ZERO));
    headers.insert(
        header::RETRY_AFTER,
        header::HeaderValue::from_static("soon"),
    );
    assert_eq!(retry_after(&headers), None);
}

#[test]
fn offline_uses_the_cache_alone() {
    let cache = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    server.script("/cat.json", vec![Reply::ok(b"[1]")]);
    let url = server.url("/cat.json");
    fetcher_with(opts(Some(cache.path()), T0))
        .get(&url)
        .expect("200");
    assert_eq!(server.hits("/cat.json"), 1);

    let offline = |now| {
        fetcher_with(FetchOptions {
            offline: true,
            ..opts(Some(cache.path()), now)
        })
    };
    let got = offline("2026-10-06T10:00:00Z").get(&url).expect("cached");
    assert_eq!(
        got,
        Fetched {
            bytes: b"[1]".to_vec(),
            warning: Some("offline: used the cached copy from 3 days ago".into()),
            from_cache: true
        }
    );
    let err = offline(T0)
        .get(&server.url("/never.json"))
        .expect_err("never cached");
    assert_eq!(
        err.to_string(),
        "not in the cache, and --offline forbids fetching it"
    );
    assert_eq!(server.hits("/cat.json"), 1, "offline makes no request");
    assert_eq!(server.hits("/never.json"), 0);
}

#[test]
fn a_stopped_server_falls_back_to_the_cache() {
    let cache = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    server.script("/cat.json", vec![Reply::ok(b"[1]")]);
    let url = server.url("/cat.json");
    fetcher_with(opts(Some(cache.path()), T0))
        .get(&url)
        .expect("200");
    drop(server);

    let got = fetcher_with(opts(Some(cache.path()), "2026-10-03T09:05:00Z"))
        .get(&url)
        .expect("from cache");
    assert!(got.from_cache);
    assert_eq!(got.bytes, b"[1]");
    let warning = got.warning.expect("a warning");
    assert!(warning.starts_with("cannot connect ("), "{warning}");
    assert!(
        warning.ends_with("), used the cached copy from 5 minutes ago"),
        "{warning}"
    );
}

#[test]
fn get_fresh_remembers_a_not_found_for_its_freshness_period() {
    let cache = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    server.script(
        "/product/0.json",
        vec![Reply::status(404, br#"{"status":0}"#), Reply::ok(b"{}")],
    );
    let url = server.url("/product/0.json");
    let week = Duration::from_secs(7 * 24 * 3600);
    let f = |now| fetcher_with(opts(Some(cache.path()), now));
    let is_404 =
        |r: Result<Fetched, FeedError>| matches!(r, Err(FeedError::Http { status: 404, .. }));
    assert!(is_404(f(T0).get_fresh(&url, week)));
    assert!(is_404(f("2026-10-09T09:00:00Z").get_fresh(&url, week)));
    let offline = fetcher_with(FetchOptions {
        offline: true,
        ..opts(Some(cache.path()), "2026-12-01T00:00:00Z")
    });
    assert!(is_404(offline.get_fresh(&url, week)), "offline, even old");
    assert_eq!(server.hits("/product/0.json"), 1, "asked once in a week");
    // Without a freshness period it is not a cached copy at all.
    assert!(matches!(
        offline.get(&url),
        Err(FeedError::NotCached { .. })
    ));
    // A week later it is asked again, and now it exists.
    let later = f("2026-10-10T10:00:00Z")
        .get_fresh(&url, week)
        .expect("200");
    assert_eq!(
        (later.bytes.as_slice(), later.from_cache),
        (&b"{}"[..], false)
    );
    assert_eq!(server.hits("/product/0.json"), 2);
}

#[test]
fn get_fresh_skips_the_request_for_a_young_copy() {
    let cache = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    server.script(
        "/product/1.json",
        vec![
            Reply::ok(b"{}").header("ETag", "\"p1\""),
            Reply::status(304, b""),
        ],
    );
    let url = server.url("/product/1.json");
    let week = Duration::from_secs(7 * 24 * 3600);
    let f = |now| fetcher_with(opts(Some(cache.path()), now));
    assert!(!f(T0).get_fresh(&url, week).expect("200").from_cache);
    let young = f("2026-10-09T09:00:00Z")
        .get_fresh(&url, week)
        .expect("cached");
    assert!(young.from_cache && young.warning.is_none());
    assert_eq!(
        server.hits("/product/1.json"),
        1,
        "no request for a young copy"
    );
    let old = f("2026-10-10T10:00:00Z")
        .get_fresh(&url, week)
        .expect("revalidated");
    assert!(old.from_cache);
    assert_eq!(server.hits("/product/1.json"), 2);
    assert_eq!(
        server
            .header("/product/1.json", 1, "If-None-Match")
            .as_deref(),
        Some("\"p1\"")
    );
}

#[test]
fn reads_plain_paths_and_file_urls_without_caching() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cat alog.csv");
    File::create(&path)
        .and_then(|mut f| f.write_all(b"id,name\n1,Tea\n"))
        .expect("write fixture");
    let cache = dir.path().join("cache");
    let f = fetcher_with(FetchOptions {
        max_bytes: 1024,
        ..opts(Some(&cache), T0)
    });

    let plain = path.to_str().expect("temp paths are UTF-8 here");
    assert_eq!(f.get(plain).expect("plain path").bytes, b"id,name\n1,Tea\n");

    let url = reqwest::Url::from_file_path(&path).expect("absolute path");
    assert!(url.as_str().contains("%20"), "spaces are escaped: {url}");
    let got = f.get(url.as_str()).expect("file URL");
    assert_eq!(got, Fetched::fresh(b"id,name\n1,Tea\n".to_vec()));
    assert!(!cache.exists(), "local files are never cached");

    let missing = dir.path().join("missing.csv");
    let err = f
        .get(missing.to_str().expect("UTF-8"))
        .expect_err("missing");
    assert_eq!(
        err.to_string(),
        format!(
            "cannot read {}: No such file or directory",
            missing.display()
        )
    );

    // Offline does not forbid reading local files.
    let offline = fetcher_with(FetchOptions {
        offline: true,
        ..opts(Some(&cache), T0)
    });
    assert!(offline.get(plain).is_ok());

    let err = fetcher(4).get(plain).expect_err("over the cap");
    assert_eq!(err.to_string(), "response larger than the 4 bytes limit");
}

#[test]
fn other_schemes_are_refused() {
    let err = fetcher(1024)
        .get("ftp://example.com/x.csv")
        .expect_err("ftp");
    assert_eq!(
        err.to_string(),
        "unsupported URL scheme 'ftp' in ftp://example.com/x.csv"
    );
}

#[test]
fn ages_read_like_speech() {
    assert_eq!(ago(TimeDelta::seconds(20)), "less than a minute ago");
    assert_eq!(ago(TimeDelta::seconds(-20)), "less than a minute ago");
    assert_eq!(ago(TimeDelta::minutes(1)), "1 minute ago");
    assert_eq!(ago(TimeDelta::minutes(5)), "5 minutes ago");
    assert_eq!(ago(TimeDelta::minutes(125)), "2 hours ago");
    assert_eq!(ago(TimeDelta::hours(47)), "47 hours ago");
    assert_eq!(ago(TimeDelta::days(3)), "3 days ago");
}

#[test]
fn backoff_doubles_with_jitter() {
    let base = Duration::from_millis(100);
    for attempt in 0..4 {
        let d = backoff_delay(base, attempt);
        let nominal = base * 2u32.pow(attempt);
        assert!(d >= nominal / 2 && d < nominal * 3 / 2, "{attempt}: {d:?}");
    }
}

#[test]
fn io_reasons_drop_the_os_error_number() {
    let e = io::Error::from_raw_os_error(2);
    assert_eq!(io_reason(&e), "No such file or directory");
}

fn file_fetcher(cache: Option<&Path>, now: &str, max_file_bytes: u64) -> Fetcher {
    fetcher_with(FetchOptions {
        max_file_bytes,
        // get_file has its own cap: the in-memory one must not apply.
        max_bytes: 1,
        ..opts(cache, now)
    })
}

fn names_in(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn get_file_streams_into_the_cache_and_revalidates() {
    let cache = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    let body = b"id,name\n1,Tea\n".repeat(1000);
    server.script(
        "/big.csv",
        vec![
            Reply::ok(&body).header("ETag", "\"v1\"").chunked(),
            Reply::status(304, b"").header("ETag", "\"v1\""),
        ],
    );
    let url = server.url("/big.csv");
    let first = file_fetcher(Some(cache.path()), T0, 1 << 20)
        .get_file(&url)
        .expect("200");
    assert!(!first.from_cache && first.warning.is_none());
    assert!(first.path.starts_with(cache.path()), "{:?}", first.path);
    assert_eq!(std::fs::read(&first.path).expect("body"), body);
    let http = cache.path().join("http");
    assert_eq!(names_in(&http).len(), 2, "body and metadata, no temp file");

    // The copy is the one `get` would serve: same cache, same format.
    let from_get = fetcher_with(FetchOptions {
        offline: true,
        ..opts(Some(cache.path()), T0)
    })
    .get(&url)
    .expect("cached");
    assert_eq!(from_get.bytes, body);

    let second = file_fetcher(Some(cache.path()), "2026-10-03T11:00:00Z", 1 << 20)
        .get_file(&url)
        .expect("304");
    assert!(second.from_cache && second.warning.is_none());
    assert_eq!(second.path, first.path);
    assert_eq!(
        server.header("/big.csv", 1, "If-None-Match").as_deref(),
        Some("\"v1\"")
    );
    let offline = fetcher_with(FetchOptions {
        offline: true,
        ..opts(Some(cache.path()), "2026-10-03T11:05:00Z")
    })
    .get_file(&url)
    .expect("offline copy");
    assert_eq!(
        offline.warning.as_deref(),
        Some("offline: used the cached copy from 5 minutes ago")
    );
}

#[test]
fn get_file_without_a_cache_uses_a_temporary_file_deleted_after_use() {
    let server = Server::start();
    server.script("/cat.json", vec![Reply::ok(b"[1]")]);
    let got = file_fetcher(None, T0, 1024)
        .get_file(&server.url("/cat.json"))
        .expect("200");
    let path = got.path.clone();
    assert_eq!(std::fs::read(&path).expect("body"), b"[1]");
    drop(got);
    assert!(
        !path.exists(),
        "the temporary body is deleted with its handle"
    );
}

#[test]
fn get_file_enforces_its_cap_without_a_length_and_leaves_nothing_behind() {
    let cache = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    server.script("/huge", vec![Reply::ok(&[b'x'; 5000]).chunked()]);
    server.script("/said", vec![Reply::ok(&[b'x'; 5000])]);
    let f = file_fetcher(Some(cache.path()), T0, 4096);
    for path in ["/huge", "/said"] {
        let err = f.get_file(&server.url(path)).expect_err("over the cap");
        assert_eq!(err.to_string(), "response larger than the 4 KiB limit");
    }
    assert!(names_in(&cache.path().join("http")).is_empty());
}

#[test]
fn get_file_falls_back_to_the_stale_copy_after_retries() {
    let cache = tempfile::tempdir().expect("temp dir");
    let server = Server::start();
    server.script(
        "/cat.json",
        vec![Reply::ok(b"[1]"), Reply::status(503, b"down")],
    );
    let url = server.url("/cat.json");
    file_fetcher(Some(cache.path()), T0, 1024)
        .get_file(&url)
        .expect("200");
    let got = fetcher_with(FetchOptions {
        retries: 1,
        ..opts(Some(cache.path()), "2026-10-03T11:00:00Z")
    })
    .get_file(&url)
    .expect("stale copy");
    assert!(got.from_cache);
    assert_eq!(std::fs::read(&got.path).expect("body"), b"[1]");
    assert_eq!(
        got.warning.as_deref(),
        Some("HTTP 503 Service Unavailable, used the cached copy from 2 hours ago")
    );
    assert_eq!(server.hits("/cat.json"), 1 + 2);
    let err = fetcher_with(FetchOptions {
        retries: 0,
        ..opts(None, T0)
    })
    .get_file(&url)
    .expect_err("no copy");
    assert!(matches!(err, FeedError::Http { status: 503, .. }), "{err}");
}

#[test]
fn get_file_gives_local_files_as_they_are() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("cat alog.csv");
    std::fs::write(&path, b"id,name\n1,Tea\n").expect("write fixture");
    let cache = dir.path().join("cache");
    let f = file_fetcher(Some(&cache), T0, 1024);
    let plain = f
        .get_file(path.to_str().expect("UTF-8"))
        .expect("plain path");
    assert_eq!(
        (plain.path.as_path(), plain.from_cache),
        (path.as_path(), false)
    );
    let url = reqwest::Url::from_file_path(&path).expect("absolute path");
    assert_eq!(f.get_file(url.as_str()).expect("file URL").path, path);
    assert!(!cache.exists(), "local files are never copied");
    let missing = dir.path().join("missing.csv");
    let err = f
        .get_file(missing.to_str().expect("UTF-8"))
        .expect_err("missing");
    assert_eq!(
        err.to_string(),
        format!(
            "cannot read {}: No such file or directory",
            missing.display()
        )
    );
    let err = file_fetcher(None, T0, 4)
        .get_file(path.to_str().expect("UTF-8"))
        .expect_err("over the cap");
    assert_eq!(err.to_string(), "response larger than the 4 bytes limit");
    assert!(f.get_file("ftp://example.com/x").is_err());
}
