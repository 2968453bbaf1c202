//! Getting a feed's bytes: the single entry point for every request basket makes.
//!
//! `http://` and `https://` go through one `reqwest` blocking client (rustls, gzip,
//! timeouts, a user agent that names basket); `file://` URLs and plain paths are
//! read from disk. The size cap is enforced while reading, because a server's
//! `Content-Length` may be missing or wrong. Retries and the cache (feeds.md,
//! "Fetching") belong here too, so every feed gets them without knowing.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;
use std::time::Duration;

use super::FeedError;

/// How the fetcher behaves; `Default` is what `basket check` uses.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Time allowed to open the connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time allowed for the whole request, body included.
    pub timeout: Duration,
    /// Largest body accepted; larger answers are refused, not truncated.
    pub max_bytes: u64,
    pub user_agent: String,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_bytes: 64 * 1024 * 1024,
            user_agent: concat!(
                "basket/",
                env!("CARGO_PKG_VERSION"),
                " (+https://github.com/basket-cli/basket)"
            )
            .to_string(),
        }
    }
}

/// Fetches feed bodies. Share one per run: the client pools connections, and it is
/// `Sync`, so the feed threads use it together.
#[derive(Debug)]
pub struct Fetcher {
    client: reqwest::blocking::Client,
    opts: FetchOptions,
}

/// How much of an error body is read to find the server's reason: enough for any
/// JSON error object, small enough not to matter.
const ERROR_BODY_LIMIT: u64 = 16 * 1024;

impl Fetcher {
    pub fn new(opts: FetchOptions) -> Result<Fetcher, FeedError> {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.timeout)
            .user_agent(opts.user_agent.as_str())
            .gzip(true)
            .build()
            .map_err(|e| FeedError::Client(root_cause(&e)))?;
        Ok(Fetcher { client, opts })
    }

    /// The body at `url`: `http(s)://` over the network, `file://` or a plain path
    /// from disk. Non-2xx answers, timeouts and bodies over the cap are errors.
    pub fn get(&self, url: &str) -> Result<Vec<u8>, FeedError> {
        match url.split_once("://") {
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("http") => self.get_http(url),
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("https") => self.get_http(url),
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("file") => {
                let path = reqwest::Url::parse(url)
                    .ok()
                    .and_then(|u| u.to_file_path().ok())
                    .ok_or_else(|| FeedError::Read {
                        path: url.to_string(),
                        reason: "not a local file URL".to_string(),
                    })?;
                self.get_file(&path)
            }
            Some((scheme, _)) if is_scheme(scheme) => Err(FeedError::UnsupportedScheme {
                scheme: scheme.to_string(),
                url: url.to_string(),
            }),
            _ => self.get_file(Path::new(url)),
        }
    }

    fn get_http(&self, url: &str) -> Result<Vec<u8>, FeedError> {
        let response = self
            .client
            .get(url)
            .send()
            .map_err(|e| self.request_error(url, &e))?;
        let status = response.status();
        if !status.is_success() {
            let detail = error_detail(response);
            return Err(FeedError::Http {
                status: status.as_u16(),
                reason: status.canonical_reason().map(str::to_string),
                url: url.to_string(),
                detail,
            });
        }
        // Refuse early when the server says it is too big; otherwise count.
        if response
            .content_length()
            .is_some_and(|len| len > self.opts.max_bytes)
        {
            return Err(FeedError::TooLarge {
                limit: self.opts.max_bytes,
            });
        }
        self.read_capped(response).map_err(|e| match e {
            ReadError::TooLarge => FeedError::TooLarge {
                limit: self.opts.max_bytes,
            },
            ReadError::Io(e) if is_timeout(&e) => FeedError::Timeout {
                after: self.opts.timeout,
            },
            ReadError::Io(e) => FeedError::Request {
                url: url.to_string(),
                reason: io_reason(&e),
            },
        })
    }

    fn get_file(&self, path: &Path) -> Result<Vec<u8>, FeedError> {
        let read_error = |e: &io::Error| FeedError::Read {
            path: path.display().to_string(),
            reason: io_reason(e),
        };
        let file = File::open(path).map_err(|e| read_error(&e))?;
        self.read_capped(file).map_err(|e| match e {
            ReadError::TooLarge => FeedError::TooLarge {
                limit: self.opts.max_bytes,
            },
            ReadError::Io(e) => read_error(&e),
        })
    }

    /// Reads at most `max_bytes`; one byte more means the body is over the cap.
    fn read_capped(&self, reader: impl Read) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        reader
            .take(self.opts.max_bytes.saturating_add(1))
            .read_to_end(&mut body)
            .map_err(ReadError::Io)?;
        if body.len() as u64 > self.opts.max_bytes {
            return Err(ReadError::TooLarge);
        }
        Ok(body)
    }

    fn request_error(&self, url: &str, e: &reqwest::Error) -> FeedError {
        if e.is_timeout() {
            FeedError::Timeout {
                after: if e.is_connect() {
                    self.opts.connect_timeout
                } else {
                    self.opts.timeout
                },
            }
        } else if e.is_connect() {
            FeedError::Connect {
                url: url.to_string(),
                reason: root_cause(e),
            }
        } else {
            FeedError::Request {
                url: url.to_string(),
                reason: root_cause(e),
            }
        }
    }
}

enum ReadError {
    TooLarge,
    Io(io::Error),
}

/// `ftp`, `s3`, ... but not a Windows drive letter (`C:\feeds\x.csv` has no `://`
/// anyway, this only guards odd relative paths containing `://`).
fn is_scheme(s: &str) -> bool {
    s.len() > 1
        && s.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'))
}

/// A timeout while reading the body surfaces as an I/O error wrapping reqwest's.
fn is_timeout(e: &io::Error) -> bool {
    if e.kind() == io::ErrorKind::TimedOut {
        return true;
    }
    let mut source = e.get_ref().map(|s| s as &(dyn std::error::Error + 'static));
    while let Some(s) = source {
        if s.downcast_ref::<reqwest::Error>()
            .is_some_and(reqwest::Error::is_timeout)
        {
            return true;
        }
        source = s.source();
    }
    false
}

/// An I/O error in a few words: `No such file or directory`, without the
/// `(os error 2)` that means nothing to a shopper.
fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    }
}

/// reqwest's top-level message is "error sending request for url (...)"; the
/// useful part ("Connection refused", "dns error: ...") is at the bottom.
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut last = e;
    while let Some(next) = last.source() {
        last = next;
    }
    let text = last.to_string();
    match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    }
}

/// APIs explain refusals in their error body (Open-Meteo: `{"error": true,
/// "reason": "..."}`); keep that one line when it is there.
fn error_detail(response: reqwest::blocking::Response) -> Option<String> {
    let mut body = Vec::new();
    response
        .take(ERROR_BODY_LIMIT)
        .read_to_end(&mut body)
        .ok()?;
    let value: serde_json::Value = serde_json::from_slice(&body).ok()?;
    ["reason", "message", "error"].iter().find_map(|key| {
        value
            .get(key)
            .and_then(serde_json::Value::as_str)
            .map(|s| s.lines().next().unwrap_or_default().trim().to_string())
            .filter(|s| !s.is_empty())
    })
}

#[cfg(test)]
mod tests {
    use std::io::Write;
    use std::thread;

    use super::*;

    /// A loopback server answering each path from a fixed table, for as many
    /// requests as the test makes.
    fn serve(routes: Vec<(&'static str, u16, Vec<u8>, bool)>) -> (String, thread::JoinHandle<()>) {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind loopback");
        let addr = server
            .server_addr()
            .to_ip()
            .expect("tcp listener has an ip address");
        let handle = thread::spawn(move || {
            for _ in 0..routes.len() {
                let Ok(request) = server.recv() else { return };
                let route = routes.iter().find(|r| r.0 == request.url());
                let (status, body, chunked) = match route {
                    Some((_, status, body, chunked)) => (*status, body.clone(), *chunked),
                    None => (404, b"not found".to_vec(), false),
                };
                let len = body.len();
                let response = tiny_http::Response::new(
                    tiny_http::StatusCode(status),
                    Vec::new(),
                    io::Cursor::new(body),
                    // No length makes tiny_http send the body chunked, so the cap
                    // must hold without a Content-Length to trust.
                    (!chunked).then_some(len),
                    None,
                );
                let _ = request.respond(response);
            }
        });
        (format!("http://{addr}"), handle)
    }

    fn fetcher(max_bytes: u64) -> Fetcher {
        Fetcher::new(FetchOptions {
            max_bytes,
            timeout: Duration::from_secs(5),
            ..FetchOptions::default()
        })
        .expect("client builds")
    }

    #[test]
    fn default_options_name_basket() {
        let opts = FetchOptions::default();
        assert_eq!(opts.timeout, Duration::from_secs(30));
        assert_eq!(opts.connect_timeout, Duration::from_secs(10));
        assert_eq!(opts.max_bytes, 64 * 1024 * 1024);
        assert!(opts
            .user_agent
            .starts_with(&format!("basket/{} (+https://", env!("CARGO_PKG_VERSION"))));
    }

    #[test]
    fn http_bodies_errors_and_the_size_cap() {
        let big = vec![b'x'; 4096];
        let (base, server) = serve(vec![
            ("/cat.json", 200, b"[1,2]".to_vec(), false),
            ("/broken", 500, b"oops".to_vec(), false),
            (
                "/refused",
                400,
                br#"{"error":true,"reason":"Latitude must be in range of -90 to 90\u00b0."}"#
                    .to_vec(),
                false,
            ),
            ("/big", 200, big.clone(), false),
            ("/big-chunked", 200, big, true),
        ]);
        let f = fetcher(1024);

        assert_eq!(f.get(&format!("{base}/cat.json")).expect("200"), b"[1,2]");

        let err = f.get(&format!("{base}/broken")).expect_err("500");
        assert_eq!(
            err.to_string(),
            format!("HTTP 500 Internal Server Error from {base}/broken")
        );

        let err = f.get(&format!("{base}/refused")).expect_err("400");
        assert_eq!(
            err.to_string(),
            format!("HTTP 400 Bad Request from {base}/refused: Latitude must be in range of -90 to 90°.")
        );

        for path in ["/big", "/big-chunked"] {
            let err = f.get(&format!("{base}{path}")).expect_err("over the cap");
            assert_eq!(
                err.to_string(),
                "response larger than the 1 KiB limit",
                "{path}"
            );
        }
        server.join().expect("server thread ends");
    }

    #[test]
    fn a_silent_server_times_out() {
        let server = tiny_http::Server::http("127.0.0.1:0").expect("bind loopback");
        let addr = server.server_addr().to_ip().expect("ip address");
        let handle = thread::spawn(move || {
            // Hold the request unanswered past the client's timeout.
            if let Ok(request) = server.recv() {
                thread::sleep(Duration::from_millis(800));
                let _ = request.respond(tiny_http::Response::from_string("late"));
            }
        });
        let f = Fetcher::new(FetchOptions {
            timeout: Duration::from_millis(250),
            ..FetchOptions::default()
        })
        .expect("client builds");
        let err = f.get(&format!("http://{addr}/slow")).expect_err("too slow");
        assert_eq!(err.to_string(), "timed out after 0.25 s");
        handle.join().expect("server thread ends");
    }

    #[test]
    fn a_closed_port_is_a_connection_error() {
        // Bind and drop to get a port nobody listens on.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let err = fetcher(1024)
            .get(&format!("http://127.0.0.1:{port}/x"))
            .expect_err("nothing listens");
        assert!(
            err.to_string()
                .starts_with(&format!("cannot connect to http://127.0.0.1:{port}/x: ")),
            "{err}"
        );
    }

    #[test]
    fn reads_plain_paths_and_file_urls() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("cat alog.csv");
        File::create(&path)
            .and_then(|mut f| f.write_all(b"id,name\n1,Tea\n"))
            .expect("write fixture");
        let f = fetcher(1024);

        let plain = path.to_str().expect("temp paths are UTF-8 here");
        assert_eq!(f.get(plain).expect("plain path"), b"id,name\n1,Tea\n");

        let url = reqwest::Url::from_file_path(&path).expect("absolute path");
        assert!(url.as_str().contains("%20"), "spaces are escaped: {url}");
        assert_eq!(f.get(url.as_str()).expect("file URL"), b"id,name\n1,Tea\n");

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
    fn io_reasons_drop_the_os_error_number() {
        let e = io::Error::from_raw_os_error(2);
        assert_eq!(io_reason(&e), "No such file or directory");
    }
}
