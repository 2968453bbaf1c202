//! Getting a feed's bytes: the single entry point for every request basket makes.
//!
//! `http://` and `https://` go through one `reqwest` blocking client (rustls, gzip,
//! timeouts, a user agent that names basket); `file://` URLs and plain paths are
//! read from disk and never cached. The size cap is enforced while reading, because
//! a server's `Content-Length` may be missing or wrong.
//!
//! Every HTTP answer passes through here, so every feed gets, without knowing
//! (docs/feeds.md, "Fetching"):
//! - retries with exponential backoff and jitter on connection errors, timeouts,
//!   5xx and 429, honouring `Retry-After` up to a cap;
//! - a disk cache ([`cache`]) with `ETag`/`Last-Modified` revalidation, so a
//!   run where nothing changed makes only conditional requests;
//! - `--offline` (the cache alone) and, when a fetch fails, the cached copy with a
//!   warning saying how old it is.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;

use super::{shown_url, FeedError};
use cache::{Cache, Entry, HashingWriter, Meta};

mod cache;

/// How the fetcher behaves; `Default` is a sensible client without a cache.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Time allowed to open the connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time allowed for the whole request, body included.
    pub timeout: Duration,
    /// Largest body accepted into memory ([`Fetcher::get`]); larger answers are
    /// refused, not truncated.
    pub max_bytes: u64,
    /// Largest body streamed to a file ([`Fetcher::get_file`]): a whole shop's
    /// catalog, never held in memory, so the cap only guards the disk.
    pub max_file_bytes: u64,
    /// Time allowed for a request streamed to a file, body included: a catalog
    /// of hundreds of megabytes takes longer than an API answer.
    pub file_timeout: Duration,
    pub user_agent: String,
    /// Where HTTP answers are cached (under `http/`); `None` caches nothing.
    pub cache_dir: Option<PathBuf>,
    /// Serve from the cache only and never make a request (`--offline`).
    pub offline: bool,
    /// Further attempts after a retryable failure (so `3` means up to 4 requests).
    pub retries: u32,
    /// The first retry waits about this long, doubling each time, with jitter.
    pub backoff: Duration,
    /// The longest `Retry-After` honoured. A server asking for longer is not
    /// retried at all: waiting that long would stall the run, and the cached copy
    /// (if any) serves better.
    pub max_retry_after: Duration,
    /// "Now" for the cache: stored as the time of a fetch, and used for the ages
    /// in warnings and for [`Fetcher::get_fresh`]. The run's clock (`BASKET_NOW`).
    pub now: DateTime<Utc>,
    /// Draw progress on stderr (a terminal, not `--quiet`); silent otherwise.
    pub progress: bool,
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            connect_timeout: Duration::from_secs(10),
            timeout: Duration::from_secs(30),
            max_bytes: 64 * 1024 * 1024,
            max_file_bytes: 1024 * 1024 * 1024,
            file_timeout: Duration::from_secs(600),
            user_agent: concat!(
                "basket/",
                env!("CARGO_PKG_VERSION"),
                " (+https://github.com/basket-cli/basket)"
            )
            .to_string(),
            cache_dir: None,
            offline: false,
            retries: 3,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(30),
            now: Utc::now(),
            progress: false,
        }
    }
}

/// A body, and how it was obtained.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fetched {
    pub bytes: Vec<u8>,
    /// Why the body is not a fresh answer, without the feed's name, e.g.
    /// `HTTP 503 Service Unavailable, used the cached copy from 2 hours ago` or
    /// `offline: used the cached copy from 3 days ago`. The caller prefixes
    /// `feed 'grocer': ` and shows it as a warning.
    pub warning: Option<String>,
    /// The body came from the cache (a 304, a fresh-enough copy, offline, or a
    /// fallback after a failure).
    pub from_cache: bool,
}

impl Fetched {
    fn fresh(bytes: Vec<u8>) -> Fetched {
        Fetched {
            bytes,
            warning: None,
            from_cache: false,
        }
    }
}

/// A body on disk, and how it was obtained: what [`Fetcher::get_file`] gives, so
/// a feed of any size is parsed from a file instead of from memory.
#[derive(Debug)]
pub struct FetchedFile {
    /// The body: the cache's copy, the local file itself, or a temporary file.
    pub path: PathBuf,
    /// As in [`Fetched::warning`].
    pub warning: Option<String>,
    /// As in [`Fetched::from_cache`].
    pub from_cache: bool,
    /// A temporary body (no cache, or the cache could not take it) is deleted
    /// when this is dropped.
    _temp: Option<tempfile::TempPath>,
}

impl FetchedFile {
    fn at(path: PathBuf, warning: Option<String>, from_cache: bool) -> FetchedFile {
        FetchedFile {
            path,
            warning,
            from_cache,
            _temp: None,
        }
    }

    /// Opens the body for reading, with a buffer sized for parsing.
    pub fn open(&self) -> io::Result<io::BufReader<File>> {
        Ok(io::BufReader::with_capacity(
            256 * 1024,
            File::open(&self.path)?,
        ))
    }
}

/// A body being streamed to disk: the file, its length and its hash.
struct Streamed {
    file: tempfile::NamedTempFile,
    len: u64,
    hash: u64,
}

/// Fetches feed bodies. Share one per run: the client pools connections, and it is
/// `Sync`, so the feed threads use it together.
#[derive(Debug)]
pub struct Fetcher {
    client: reqwest::blocking::Client,
    cache: Option<Cache>,
    opts: FetchOptions,
}

/// How much of an error body is read to find the server's reason: enough for any
/// JSON error object, small enough not to matter.
const ERROR_BODY_LIMIT: u64 = 16 * 1024;

/// The status a remembered "not found" is cached with ([`Fetcher::get_fresh`]).
const NOT_FOUND: u16 = 404;

/// The error a remembered "not found" answers with.
fn not_found(url: &str) -> FeedError {
    FeedError::Http {
        status: NOT_FOUND,
        reason: Some("Not Found".to_string()),
        url: url.to_string(),
        detail: None,
    }
}

/// What one HTTP request ended in, when it did not fail: a body read into `B`
/// (a `Vec` for [`Fetcher::get`], a file for [`Fetcher::get_file`]).
enum Answer<B> {
    Body {
        bytes: B,
        status: u16,
        etag: Option<String>,
        last_modified: Option<String>,
    },
    NotModified {
        etag: Option<String>,
        last_modified: Option<String>,
    },
}

/// A failed request, and whether trying again may help.
struct Failed {
    error: FeedError,
    retryable: bool,
    /// What the server's `Retry-After` asked for.
    retry_after: Option<Duration>,
}

impl Failed {
    fn fatal(error: FeedError) -> Failed {
        Failed {
            error,
            retryable: false,
            retry_after: None,
        }
    }
    fn transient(error: FeedError) -> Failed {
        Failed {
            error,
            retryable: true,
            retry_after: None,
        }
    }
}

impl Fetcher {
    pub fn new(opts: FetchOptions) -> Result<Fetcher, FeedError> {
        let client = reqwest::blocking::Client::builder()
            .connect_timeout(opts.connect_timeout)
            .timeout(opts.timeout)
            .user_agent(opts.user_agent.as_str())
            .gzip(true)
            .redirect(redirect_policy())
            .build()
            .map_err(|e| FeedError::Client(root_cause(&e)))?;
        let cache = opts.cache_dir.as_deref().map(Cache::new);
        Ok(Fetcher {
            client,
            cache,
            opts,
        })
    }

    /// The options this fetcher was made with (`progress` tells callers whether
    /// to draw).
    pub fn options(&self) -> &FetchOptions {
        &self.opts
    }

    /// The body at `url`: `http(s)://` over the network (through the cache),
    /// `file://` or a plain path from disk. Non-2xx answers, timeouts and bodies
    /// over the cap are errors, unless a cached copy can stand in (then it comes
    /// with a warning).
    pub fn get(&self, url: &str) -> Result<Fetched, FeedError> {
        self.get_inner(url, None)
    }

    /// Like [`Fetcher::get`], but a cached copy younger than `fresh_for` is served
    /// without any request: for answers that change slowly and are asked for
    /// often (Open Food Facts products, cached for 7 days). A 404 is remembered
    /// for as long, and answered again as a 404 without a request (also offline).
    pub fn get_fresh(&self, url: &str, fresh_for: Duration) -> Result<Fetched, FeedError> {
        self.get_inner(url, Some(fresh_for))
    }

    /// The body at `url` as a file, streamed to disk and never held in memory:
    /// `http(s)://` into the cache (or a temporary file without one), with the
    /// same revalidation, retries and stale-copy fallback as [`Fetcher::get`];
    /// `file://` and plain paths are the file itself, not copied. Bodies over
    /// `max_file_bytes` are refused.
    pub fn get_file(&self, url: &str) -> Result<FetchedFile, FeedError> {
        match url.split_once("://") {
            Some((scheme, _))
                if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
            {
                self.get_http_file(url)
            }
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("file") => {
                let path = reqwest::Url::parse(url)
                    .ok()
                    .and_then(|u| u.to_file_path().ok())
                    .ok_or_else(|| FeedError::Read {
                        path: url.to_string(),
                        reason: "not a local file URL".to_string(),
                    })?;
                self.local_file(path)
            }
            Some((scheme, _)) if is_scheme(scheme) => Err(FeedError::UnsupportedScheme {
                scheme: scheme.to_string(),
                url: url.to_string(),
            }),
            _ => self.local_file(PathBuf::from(url)),
        }
    }

    /// A local feed: checked to be a readable file within the cap, then used as is.
    fn local_file(&self, path: PathBuf) -> Result<FetchedFile, FeedError> {
        let read_error = |e: &io::Error| FeedError::Read {
            path: path.display().to_string(),
            reason: io_reason(e),
        };
        let file = File::open(&path).map_err(|e| read_error(&e))?;
        let meta = file.metadata().map_err(|e| read_error(&e))?;
        if meta.is_dir() {
            return Err(read_error(&io::Error::other("it is a directory")));
        }
        if meta.len() > self.opts.max_file_bytes {
            return Err(FeedError::TooLarge {
                limit: self.opts.max_file_bytes,
            });
        }
        Ok(FetchedFile::at(path, None, false))
    }

    fn get_http_file(&self, url: &str) -> Result<FetchedFile, FeedError> {
        let cached = self.cache.as_ref().and_then(|c| c.load_file(url));
        if self.opts.offline {
            return match cached {
                Some((meta, path)) => Ok(FetchedFile::at(
                    path,
                    Some(format!(
                        "offline: used the cached copy from {}",
                        self.age(meta.fetched_at)
                    )),
                    true,
                )),
                None => Err(FeedError::NotCached {
                    url: url.to_string(),
                }),
            };
        }
        let to_disk = Body {
            limit: self.opts.max_file_bytes,
            timeout: Some(self.opts.file_timeout),
            read: &|response| self.stream_to_file(response),
        };
        let result = self.request_with_retries(url, cached.as_ref().map(|(m, _)| m), &to_disk);
        match (result, cached) {
            (
                Ok(Answer::Body {
                    bytes: streamed,
                    status,
                    etag,
                    last_modified,
                }),
                _,
            ) => {
                let Some(cache) = &self.cache else {
                    let temp = streamed.file.into_temp_path();
                    return Ok(FetchedFile {
                        path: temp.to_path_buf(),
                        warning: None,
                        from_cache: false,
                        _temp: Some(temp),
                    });
                };
                let meta = Meta {
                    url: url.to_string(),
                    etag,
                    last_modified,
                    fetched_at: self.opts.now,
                    status,
                    body_len: 0,
                    body_fnv: String::new(),
                };
                match cache.store_file(&meta, streamed.file, streamed.len, streamed.hash) {
                    Ok(path) => Ok(FetchedFile::at(path, None, false)),
                    Err(failed) => Ok(FetchedFile {
                        path: failed.path,
                        warning: Some(self.cache_write_warning(cache, &failed.error)),
                        from_cache: false,
                        _temp: failed.temp,
                    }),
                }
            }
            (
                Ok(Answer::NotModified {
                    etag,
                    last_modified,
                }),
                Some((old, path)),
            ) => {
                let meta = Meta {
                    etag: etag.or(old.etag),
                    last_modified: last_modified.or(old.last_modified),
                    fetched_at: self.opts.now,
                    ..old
                };
                let warning = self.cache.as_ref().and_then(|cache| {
                    cache
                        .update_meta(&meta)
                        .err()
                        .map(|e| self.cache_write_warning(cache, &e))
                });
                Ok(FetchedFile::at(path, warning, true))
            }
            (Ok(Answer::NotModified { .. }), None) => Err(FeedError::Http {
                status: 304,
                reason: Some("Not Modified".to_string()),
                url: url.to_string(),
                detail: Some("but nothing was cached".to_string()),
            }),
            (Err(error), Some((meta, path))) => Ok(FetchedFile::at(
                path,
                Some(format!(
                    "{}, used the cached copy from {}",
                    brief(&error),
                    self.age(meta.fetched_at)
                )),
                true,
            )),
            (Err(error), None) => Err(error),
        }
    }

    /// Copies a body to a new temporary file (in the cache directory when there
    /// is one, so it can be renamed into place), hashing it on the way, within
    /// `max_file_bytes`.
    fn stream_to_file(&self, response: Box<dyn Read + '_>) -> Result<Streamed, ReadError> {
        let file = match &self.cache {
            Some(cache) => cache.temp_file(),
            None => tempfile::Builder::new().prefix("basket-").tempfile(),
        }
        .map_err(ReadError::Write)?;
        let mut out = HashingWriter::new(io::BufWriter::with_capacity(256 * 1024, file));
        let limit = self.opts.max_file_bytes;
        let mut body = response.take(limit.saturating_add(1));
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            let n = match body.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(ReadError::Io(e)),
            };
            out.write_all(&buf[..n]).map_err(ReadError::Write)?;
            if out.len > limit {
                return Err(ReadError::TooLarge);
            }
        }
        let (hash, len) = (out.hash, out.len);
        let file = out
            .into_inner()
            .into_inner()
            .map_err(|e| ReadError::Write(e.into_error()))?;
        Ok(Streamed { file, len, hash })
    }

    fn age(&self, fetched_at: DateTime<Utc>) -> String {
        ago(self.opts.now.signed_duration_since(fetched_at))
    }

    fn get_inner(&self, url: &str, fresh_for: Option<Duration>) -> Result<Fetched, FeedError> {
        match url.split_once("://") {
            Some((scheme, _))
                if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
            {
                self.get_http(url, fresh_for)
            }
            Some((scheme, _)) if scheme.eq_ignore_ascii_case("file") => {
                let path = reqwest::Url::parse(url)
                    .ok()
                    .and_then(|u| u.to_file_path().ok())
                    .ok_or_else(|| FeedError::Read {
                        path: url.to_string(),
                        reason: "not a local file URL".to_string(),
                    })?;
                self.read_file(&path).map(Fetched::fresh)
            }
            Some((scheme, _)) if is_scheme(scheme) => Err(FeedError::UnsupportedScheme {
                scheme: scheme.to_string(),
                url: url.to_string(),
            }),
            _ => self.read_file(Path::new(url)).map(Fetched::fresh),
        }
    }

    fn get_http(&self, url: &str, fresh_for: Option<Duration>) -> Result<Fetched, FeedError> {
        let mut cached = self.cache.as_ref().and_then(|c| c.load(url));
        if let (Some(entry), Some(fresh_for)) = (&cached, fresh_for) {
            let age = self.opts.now.signed_duration_since(entry.meta.fetched_at);
            // A copy from the "future" (the clock went back) is not trusted as fresh.
            let fresh =
                TimeDelta::from_std(fresh_for).is_ok_and(|f| age >= TimeDelta::zero() && age < f);
            // A remembered "not found" is an answer too, young or offline.
            if entry.meta.status == NOT_FOUND && (fresh || self.opts.offline) {
                return Err(not_found(url));
            }
            if fresh {
                return Ok(Fetched {
                    bytes: entry.body.clone(),
                    warning: None,
                    from_cache: true,
                });
            }
        }
        // An old "not found" is asked again, and is never a copy to serve.
        if cached.as_ref().is_some_and(|e| e.meta.status == NOT_FOUND) {
            cached = None;
        }
        if self.opts.offline {
            return match cached {
                Some(entry) => Ok(Fetched {
                    warning: Some(format!(
                        "offline: used the cached copy from {}",
                        self.age_of(&entry)
                    )),
                    bytes: entry.body,
                    from_cache: true,
                }),
                None => Err(FeedError::NotCached {
                    url: url.to_string(),
                }),
            };
        }
        let memory = Body {
            limit: self.opts.max_bytes,
            timeout: None,
            read: &|response| self.read_capped(response),
        };
        let result = self.request_with_retries(url, cached.as_ref().map(|e| &e.meta), &memory);
        match (result, cached) {
            (
                Ok(Answer::Body {
                    bytes,
                    status,
                    etag,
                    last_modified,
                }),
                _,
            ) => {
                let warning = self.cache.as_ref().and_then(|cache| {
                    let meta = Meta {
                        // Not the password of a `user:password@` URL: the
                        // cache is private, but a password has no use there.
                        url: shown_url(url).into_owned(),
                        etag,
                        last_modified,
                        fetched_at: self.opts.now,
                        status,
                        body_len: 0,
                        body_fnv: String::new(),
                    };
                    cache
                        .store(&meta, &bytes)
                        .err()
                        .map(|e| self.cache_write_warning(cache, &e))
                });
                Ok(Fetched {
                    bytes,
                    warning,
                    from_cache: false,
                })
            }
            (
                Ok(Answer::NotModified {
                    etag,
                    last_modified,
                }),
                Some(entry),
            ) => {
                // The server confirmed our copy: it is as good as new from now on.
                let meta = Meta {
                    etag: etag.or(entry.meta.etag),
                    last_modified: last_modified.or(entry.meta.last_modified),
                    fetched_at: self.opts.now,
                    ..entry.meta
                };
                let warning = self.cache.as_ref().and_then(|cache| {
                    cache
                        .update_meta(&meta)
                        .err()
                        .map(|e| self.cache_write_warning(cache, &e))
                });
                Ok(Fetched {
                    bytes: entry.body,
                    warning,
                    from_cache: true,
                })
            }
            // A 304 to a request that was not conditional: a confused server.
            (Ok(Answer::NotModified { .. }), None) => Err(FeedError::Http {
                status: 304,
                reason: Some("Not Modified".to_string()),
                url: url.to_string(),
                detail: Some("but nothing was cached".to_string()),
            }),
            // With a freshness period (Open Food Facts), "not found" is remembered
            // like an answer, so an unknown GTIN is not asked again every run.
            (Err(error @ FeedError::Http { status: 404, .. }), None) if fresh_for.is_some() => {
                if let Some(cache) = &self.cache {
                    let meta = Meta {
                        url: url.to_string(),
                        etag: None,
                        last_modified: None,
                        fetched_at: self.opts.now,
                        status: NOT_FOUND,
                        body_len: 0,
                        body_fnv: String::new(),
                    };
                    // Failing to remember only costs a request next run.
                    let _ = cache.store(&meta, b"");
                }
                Err(error)
            }
            (Err(error), Some(entry)) => Ok(Fetched {
                warning: Some(format!(
                    "{}, used the cached copy from {}",
                    brief(&error),
                    self.age_of(&entry)
                )),
                bytes: entry.body,
                from_cache: true,
            }),
            (Err(error), None) => Err(error),
        }
    }

    fn age_of(&self, entry: &Entry) -> String {
        ago(self.opts.now.signed_duration_since(entry.meta.fetched_at))
    }

    fn cache_write_warning(&self, cache: &Cache, e: &io::Error) -> String {
        format!(
            "fetched, but cannot write the cache in {}: {}",
            cache.dir().display(),
            io_reason(e)
        )
    }

    /// One request, then as many retries as allowed while the failure is
    /// transient.
    fn request_with_retries<B>(
        &self,
        url: &str,
        cached: Option<&Meta>,
        body: &Body<'_, B>,
    ) -> Result<Answer<B>, FeedError> {
        let mut attempt: u32 = 0;
        loop {
            let failed = match self.request(url, cached, body) {
                Ok(answer) => return Ok(answer),
                Err(failed) => failed,
            };
            if !failed.retryable || attempt >= self.opts.retries {
                return Err(failed.error);
            }
            let wait = match failed.retry_after {
                Some(asked) if asked > self.opts.max_retry_after => return Err(failed.error),
                Some(asked) => asked,
                None => backoff_delay(self.opts.backoff, attempt),
            };
            std::thread::sleep(wait);
            attempt += 1;
        }
    }

    /// One request: conditional when a copy is cached.
    fn request<B>(
        &self,
        url: &str,
        cached: Option<&Meta>,
        body: &Body<'_, B>,
    ) -> Result<Answer<B>, Failed> {
        let mut request = self.client.get(url);
        if let Some(timeout) = body.timeout {
            request = request.timeout(timeout);
        }
        if let Some(meta) = cached {
            if let Some(etag) = &meta.etag {
                request = request.header(header::IF_NONE_MATCH, etag);
            }
            if let Some(date) = &meta.last_modified {
                request = request.header(header::IF_MODIFIED_SINCE, date);
            }
        }
        // reqwest's blocking client applies `timeout` to each read of the body,
        // not to the whole of it: a server trickling a byte at a time
        // (slowloris) would hold the run forever. The deadline makes it total.
        let deadline = Instant::now() + self.opts.timeout;
        let response = request.send().map_err(|e| self.request_error(url, &e))?;
        let status = response.status();
        let etag = header_text(response.headers(), header::ETAG);
        let last_modified = header_text(response.headers(), header::LAST_MODIFIED);
        if status == StatusCode::NOT_MODIFIED {
            return Ok(Answer::NotModified {
                etag,
                last_modified,
            });
        }
        if !status.is_success() {
            let retry_after = retry_after(response.headers());
            let detail = if status.is_redirection() {
                unfollowed_redirect(response.headers())
            } else {
                error_detail(Deadline {
                    inner: response,
                    until: deadline,
                })
            };
            return Err(Failed {
                error: FeedError::Http {
                    status: status.as_u16(),
                    reason: status.canonical_reason().map(str::to_string),
                    url: url.to_string(),
                    detail,
                },
                retryable: status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS,
                retry_after,
            });
        }
        // Refuse early when the server says it is too big; otherwise count.
        if response
            .content_length()
            .is_some_and(|len| len > body.limit)
        {
            return Err(Failed::fatal(FeedError::TooLarge { limit: body.limit }));
        }
        // A total deadline on the body, not only on each read (see above).
        let timed = Deadline {
            inner: response,
            until: body.timeout.map_or(deadline, |t| Instant::now() + t),
        };
        let bytes = (body.read)(Box::new(timed)).map_err(|e| match e {
            ReadError::TooLarge => Failed::fatal(FeedError::TooLarge { limit: body.limit }),
            ReadError::Io(e) if is_timeout(&e) => Failed::transient(FeedError::Timeout {
                after: body.timeout.unwrap_or(self.opts.timeout),
            }),
            // Not the connection: the disk (full, or the cache not writable).
            ReadError::Write(e) => Failed::fatal(FeedError::Read {
                path: "the downloaded body".to_string(),
                reason: io_reason(&e),
            }),
            // The connection broke mid-body: another try may well get it all.
            ReadError::Io(e) => Failed::transient(FeedError::Request {
                url: url.to_string(),
                reason: io_reason(&e),
            }),
        })?;
        Ok(Answer::Body {
            bytes,
            status: status.as_u16(),
            etag,
            last_modified,
        })
    }

    fn read_file(&self, path: &Path) -> Result<Vec<u8>, FeedError> {
        let read_error = |e: &io::Error| FeedError::Read {
            path: path.display().to_string(),
            reason: io_reason(e),
        };
        let file = File::open(path).map_err(|e| read_error(&e))?;
        self.read_capped(file).map_err(|e| match e {
            ReadError::TooLarge => FeedError::TooLarge {
                limit: self.opts.max_bytes,
            },
            ReadError::Io(e) | ReadError::Write(e) => read_error(&e),
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

    fn request_error(&self, url: &str, e: &reqwest::Error) -> Failed {
        if e.is_timeout() {
            Failed::transient(FeedError::Timeout {
                after: if e.is_connect() {
                    self.opts.connect_timeout
                } else {
                    self.opts.timeout
                },
            })
        } else if e.is_connect() {
            Failed::transient(FeedError::Connect {
                url: url.to_string(),
                reason: root_cause(e),
            })
        } else {
            let error = FeedError::Request {
                url: url.to_string(),
                reason: root_cause(e),
            };
            // A bad URL or a redirect loop will not mend by itself; a dropped
            // connection may.
            if e.is_builder() || e.is_redirect() {
                Failed::fatal(error)
            } else {
                Failed::transient(error)
            }
        }
    }
}

/// The most redirects followed for one request, as browsers roughly do.
const MAX_REDIRECTS: usize = 10;

/// Why a redirect was not followed, as the last cause of reqwest's error (which
/// [`root_cause`] shows).
#[derive(Debug, thiserror::Error)]
enum RedirectRefused {
    #[error("redirect loop: it leads back to a URL already visited")]
    Loop,
    #[error("more than {MAX_REDIRECTS} redirects")]
    TooMany,
    /// A feed server must not make basket read a local file (`file://`) or
    /// speak anything but HTTP.
    #[error("redirected to a {0}: URL; a feed may only redirect to http or https")]
    Scheme(String),
}

/// Follows http(s) redirects only, names a loop as one, and stops at
/// [`MAX_REDIRECTS`]. The target URL is left out of the reasons: it is the
/// server's text, and may hold credentials.
fn redirect_policy() -> reqwest::redirect::Policy {
    reqwest::redirect::Policy::custom(|attempt| {
        let scheme = attempt.url().scheme().to_ascii_lowercase();
        if scheme != "http" && scheme != "https" {
            let error = RedirectRefused::Scheme(scheme);
            attempt.error(error)
        } else if attempt.previous().contains(attempt.url()) {
            attempt.error(RedirectRefused::Loop)
        } else if attempt.previous().len() > MAX_REDIRECTS {
            attempt.error(RedirectRefused::TooMany)
        } else {
            attempt.follow()
        }
    })
}

/// Why a redirect came back unfollowed: reqwest hands back a 3xx whose
/// `Location` is not http(s) (`file:///etc/passwd`) instead of following it.
fn unfollowed_redirect(headers: &HeaderMap) -> Option<String> {
    let Some(location) = header_text(headers, header::LOCATION) else {
        return Some("a redirect without a Location".to_string());
    };
    let scheme = location
        .split_once(':')
        .map(|(s, _)| s.trim().to_ascii_lowercase())
        .filter(|s| is_scheme(s))?;
    (scheme != "http" && scheme != "https").then(|| RedirectRefused::Scheme(scheme).to_string())
}

/// A reader that fails with `TimedOut` once `until` has passed. Each read is
/// bounded by the client's per-read timeout, so a body takes at most about
/// twice the timeout however slowly it arrives.
struct Deadline<R> {
    inner: R,
    until: Instant,
}

impl<R: Read> Read for Deadline<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if Instant::now() >= self.until {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the body did not arrive in time",
            ));
        }
        self.inner.read(buf)
    }
}

enum ReadError {
    TooLarge,
    /// Reading the body failed.
    Io(io::Error),
    /// Writing it down failed.
    Write(io::Error),
}

/// How a request's body is taken: its cap, its own timeout (else the client's),
/// and what reads it.
struct Body<'r, B> {
    limit: u64,
    timeout: Option<Duration>,
    read: &'r ReadBody<'r, B>,
}

/// What takes a response's body (deadline-wrapped) and reads it somewhere.
type ReadBody<'r, B> = dyn Fn(Box<dyn Read + 'r>) -> Result<B, ReadError> + 'r;

/// The wait before retry number `attempt + 1`: `base * 2^attempt`, times a random
/// factor in [0.5, 1.5) so that many clients failing together do not come back
/// together.
fn backoff_delay(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(16));
    exp.mul_f64(0.5 + fastrand::f64())
}

/// `Retry-After` as seconds (`120`) or an HTTP date; a date in the past is no wait.
fn retry_after(headers: &HeaderMap) -> Option<Duration> {
    let text = header_text(headers, header::RETRY_AFTER)?;
    let text = text.trim();
    if let Ok(seconds) = text.parse::<u64>() {
        return Some(Duration::from_secs(seconds));
    }
    // The server's date is compared with the real clock, not the run's (which a
    // test or a replay may have fixed).
    let when = DateTime::parse_from_rfc2822(text).ok()?.with_timezone(&Utc);
    Some(
        when.signed_duration_since(Utc::now())
            .to_std()
            .unwrap_or(Duration::ZERO),
    )
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

/// The failure in a few words for a stale-cache warning, where the feed is
/// already named: `HTTP 503 Service Unavailable`, `cannot connect (Connection
/// refused)`, `timed out after 30 s`.
fn brief(error: &FeedError) -> String {
    match error {
        FeedError::Http { status, reason, .. } => match reason {
            Some(r) => format!("HTTP {status} {r}"),
            None => format!("HTTP {status}"),
        },
        FeedError::Connect { reason, .. } => format!("cannot connect ({reason})"),
        FeedError::Request { reason, .. } => format!("request failed ({reason})"),
        other => other.to_string(),
    }
}

/// How long ago, for people: `less than a minute ago`, `5 minutes ago`,
/// `2 hours ago`, `3 days ago`.
pub fn ago(age: TimeDelta) -> String {
    let plural = |n: i64, unit: &str| {
        if n == 1 {
            format!("1 {unit} ago")
        } else {
            format!("{n} {unit}s ago")
        }
    };
    let minutes = age.num_minutes();
    if minutes < 1 {
        "less than a minute ago".to_string()
    } else if minutes < 60 {
        plural(minutes, "minute")
    } else if age.num_hours() < 48 {
        plural(age.num_hours(), "hour")
    } else {
        plural(age.num_days(), "day")
    }
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
fn error_detail(response: impl Read) -> Option<String> {
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
    use std::collections::{HashMap, VecDeque};
    use std::io::Write;
    use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
    use std::thread::{self, JoinHandle};
    use std::time::Instant;

    use super::*;

    /// One scripted answer of the test server.
    #[derive(Debug, Clone)]
    struct Reply {
        status: u16,
        headers: Vec<(String, String)>,
        body: Vec<u8>,
        /// No `Content-Length`: tiny_http sends the body chunked, so the cap must
        /// hold without a length to trust.
        chunked: bool,
        /// Waits this long before answering (a slow server).
        delay: Duration,
    }

    impl Reply {
        fn ok(body: &[u8]) -> Reply {
            Reply::status(200, body)
        }
        fn status(status: u16, body: &[u8]) -> Reply {
            Reply {
                status,
                headers: Vec::new(),
                body: body.to_vec(),
                chunked: false,
                delay: Duration::ZERO,
            }
        }
        fn header(mut self, name: &str, value: &str) -> Reply {
            self.headers.push((name.to_string(), value.to_string()));
            self
        }
        fn chunked(mut self) -> Reply {
            self.chunked = true;
            self
        }
        fn delay(mut self, delay: Duration) -> Reply {
            self.delay = delay;
            self
        }
    }

    /// What the server holds for one path: the answers still to give (the last
    /// one repeats), and what it saw.
    #[derive(Debug, Default)]
    struct Route {
        script: VecDeque<Reply>,
        hits: usize,
        /// Every request's headers, in order.
        requests: Vec<Vec<(String, String)>>,
    }

    type Routes = Arc<Mutex<HashMap<String, Route>>>;

    fn lock(routes: &Routes) -> MutexGuard<'_, HashMap<String, Route>> {
        routes.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A loopback server answering each path from a script, counting requests and
    /// recording their headers. Each request is answered on its own thread, so a
    /// slow answer does not hold up the next request. Dropping it closes the port.
    struct Server {
        server: Arc<tiny_http::Server>,
        base: String,
        routes: Routes,
        thread: Option<JoinHandle<()>>,
    }

    impl Server {
        fn start() -> Server {
            let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind loopback"));
            let addr = server
                .server_addr()
                .to_ip()
                .expect("tcp listener has an ip");
            let routes = Routes::default();
            let thread = {
                let server = Arc::clone(&server);
                let routes = Arc::clone(&routes);
                thread::spawn(move || {
                    for request in server.incoming_requests() {
                        let reply = {
                            let mut routes = lock(&routes);
                            let route = routes.entry(request.url().to_string()).or_default();
                            route.hits += 1;
                            route.requests.push(
                                request
                                    .headers()
                                    .iter()
                                    .map(|h| (h.field.to_string(), h.value.to_string()))
                                    .collect(),
                            );
                            if route.script.len() > 1 {
                                route.script.pop_front()
                            } else {
                                route.script.front().cloned()
                            }
                            .unwrap_or_else(|| Reply::status(404, b"not found"))
                        };
                        thread::spawn(move || {
                            thread::sleep(reply.delay);
                            let len = reply.body.len();
                            let mut response = tiny_http::Response::new(
                                tiny_http::StatusCode(reply.status),
                                Vec::new(),
                                io::Cursor::new(reply.body),
                                (!reply.chunked).then_some(len),
                                None,
                            );
                            for (name, value) in &reply.headers {
                                let header = tiny_http::Header::from_bytes(
                                    name.as_bytes(),
                                    value.as_bytes(),
                                )
                                .expect("valid test header");
                                response.add_header(header);
                            }
                            // A client that gave up (a timeout test) is not an error.
                            let _ = request.respond(response);
                        });
                    }
                })
            };
            Server {
                server,
                base: format!("http://{addr}"),
                routes,
                thread: Some(thread),
            }
        }

        fn url(&self, path: &str) -> String {
            format!("{}{path}", self.base)
        }

        /// Answers `path` with `replies` in order; the last one repeats.
        fn script(&self, path: &str, replies: Vec<Reply>) {
            lock(&self.routes)
                .entry(path.to_string())
                .or_default()
                .script = replies.into();
        }

        fn hits(&self, path: &str) -> usize {
            lock(&self.routes).get(path).map_or(0, |r| r.hits)
        }

        /// Header `name` of request number `n` (from 0) to `path`.
        fn header(&self, path: &str, n: usize, name: &str) -> Option<String> {
            lock(&self.routes)
                .get(path)
                .and_then(|r| r.requests.get(n))
                .and_then(|h| h.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)))
                .map(|(_, v)| v.clone())
        }
    }

    impl Drop for Server {
        fn drop(&mut self) {
            self.server.unblock();
            if let Some(thread) = self.thread.take() {
                let _ = thread.join();
            }
        }
    }

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
            format!("HTTP 400 Bad Request from {base}/refused: Latitude must be in range of -90 to 90°.")
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
            timeout: Duration::from_millis(300),
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
            format!("request to {base}/loop failed: redirect loop: it leads back to a URL already visited")
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
}
