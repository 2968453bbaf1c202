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
//! - a disk cache ([`super::cache`]) with `ETag`/`Last-Modified` revalidation, so a
//!   run where nothing changed makes only conditional requests;
//! - `--offline` (the cache alone) and, when a fetch fails, the cached copy with a
//!   warning saying how old it is.
//!
//! One state machine ([`http`]) runs every HTTP fetch, whether the body goes to
//! memory ([`Fetcher::get`]) or to a file ([`Fetcher::get_file`]): the request
//! and its caps are in [`client`], which failures are tried again in [`retry`],
//! the copies on disk in [`cache`].

use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::FeedError;
use cache::Cache;
use client::ReadError;
pub use run::{host_of, FetchRun};

mod cache;
mod client;
mod http;
mod retry;
mod run;

#[cfg(test)]
mod tests;

/// How the fetcher behaves; `Default` is a sensible client without a cache.
#[derive(Debug, Clone)]
pub struct FetchOptions {
    /// Time allowed to open the connection (TCP and TLS).
    pub connect_timeout: Duration,
    /// Time allowed for the first byte of an answer, and between two reads of
    /// its body: a server that accepts and never answers (or stops halfway)
    /// fails after this, however long the body may take in all.
    pub read_timeout: Duration,
    /// Time allowed for a whole request into memory, body included.
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
    /// What this run's fetchers share: the run's budget, the hosts that
    /// failed, the rate limits ([`FetchRun`]).
    pub run: FetchRun,
}

/// The default [`FetchOptions::read_timeout`]: long enough for a slow shop
/// to start answering, short enough that a hung one costs the run little.
pub const READ_TIMEOUT: Duration = Duration::from_secs(25);

/// The default run budget (`[settings] fetch_timeout`).
pub const FETCH_TIMEOUT: Duration = Duration::from_secs(120);

/// The User-Agent basket sends: `basket/VERSION (contact)` with the rules
/// file's `[settings] contact`, as Open Food Facts asks of API users; the home
/// page without one.
pub fn user_agent(contact: Option<&str>) -> String {
    let version = env!("CARGO_PKG_VERSION");
    match contact.map(str::trim).filter(|c| !c.is_empty()) {
        Some(contact) => format!("basket/{version} ({contact})"),
        None => format!("basket/{version} (+https://github.com/basket-cli/basket)"),
    }
}

impl Default for FetchOptions {
    fn default() -> Self {
        FetchOptions {
            connect_timeout: Duration::from_secs(10),
            read_timeout: READ_TIMEOUT,
            timeout: Duration::from_secs(30),
            max_bytes: 64 * 1024 * 1024,
            max_file_bytes: 1024 * 1024 * 1024,
            file_timeout: Duration::from_secs(600),
            user_agent: user_agent(None),
            cache_dir: None,
            offline: false,
            retries: 3,
            backoff: Duration::from_millis(500),
            max_retry_after: Duration::from_secs(30),
            now: Utc::now(),
            progress: false,
            run: FetchRun::default(),
        }
    }
}

/// What a fresh answer must look like to be taken instead of the cached copy
/// ([`Fetcher::get_file_guarded`]).
pub struct Guard<'a> {
    /// A 403 or 429 is a bot wall, not a broken feed.
    pub refusals_blocked: bool,
    /// Judges a fresh body (`new`) against the cached copy (`old`, if any):
    /// `Err(why)` when it looks blocked.
    #[allow(clippy::type_complexity)]
    pub body: &'a (dyn Fn(&Path, Option<&Path>) -> Result<(), String> + Sync),
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

/// Fetches feed bodies. Share one per run: the client pools connections, and it is
/// `Sync`, so the feed threads use it together.
#[derive(Debug)]
pub struct Fetcher {
    client: reqwest::blocking::Client,
    cache: Option<Cache>,
    opts: FetchOptions,
}

impl Fetcher {
    pub fn new(opts: FetchOptions) -> Result<Fetcher, FeedError> {
        let client = client::build(&opts)?;
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
        match locate(url)? {
            Location::Http => self.fetch_http(url, None, http::ToFile, None),
            Location::Local(path) => self.local_file(path),
        }
    }

    /// [`Fetcher::get_file`] for an answer that may be a bot wall (a product
    /// page): `guard` judges a fresh answer before it replaces the cached copy,
    /// and one it refuses is a failed fetch ([`FeedError::Blocked`]), served
    /// from the copy when there is one. Local files are not judged.
    pub fn get_file_guarded(&self, url: &str, guard: &Guard<'_>) -> Result<FetchedFile, FeedError> {
        match locate(url)? {
            Location::Http => self.fetch_http(url, None, http::ToFile, Some(guard)),
            Location::Local(path) => self.local_file(path),
        }
    }

    /// At most `per_run` requests to the host of `url` in this run (shared by
    /// every fetcher of the run); lookups beyond it fail with
    /// [`FeedError::RateLimited`] and are left for the next run.
    pub fn limit_reads(&self, url: &str, per_run: u32) {
        self.opts.run.limit_reads(&host_of(url), per_run);
    }

    fn get_inner(&self, url: &str, fresh_for: Option<Duration>) -> Result<Fetched, FeedError> {
        match locate(url)? {
            Location::Http => self.fetch_http(url, fresh_for, http::Memory, None),
            Location::Local(path) => self.read_file(&path).map(Fetched::fresh),
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

    /// A local feed read into memory, within `max_bytes`.
    fn read_file(&self, path: &Path) -> Result<Vec<u8>, FeedError> {
        let read_error = |e: &io::Error| FeedError::Read {
            path: path.display().to_string(),
            reason: io_reason(e),
        };
        let file = File::open(path).map_err(|e| read_error(&e))?;
        client::read_capped(file, self.opts.max_bytes).map_err(|e| match e {
            ReadError::TooLarge => FeedError::TooLarge {
                limit: self.opts.max_bytes,
            },
            ReadError::Io(e) | ReadError::Write(e) => read_error(&e),
        })
    }
}

/// Where a URL's body is: behind `http(s)://`, or on this disk.
enum Location {
    Http,
    /// A `file://` URL or a plain path.
    Local(PathBuf),
}

/// Tells a request from a local read by the URL's scheme; any other scheme is
/// refused.
fn locate(url: &str) -> Result<Location, FeedError> {
    match url.split_once("://") {
        Some((scheme, _))
            if scheme.eq_ignore_ascii_case("http") || scheme.eq_ignore_ascii_case("https") =>
        {
            Ok(Location::Http)
        }
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("file") => reqwest::Url::parse(url)
            .ok()
            .and_then(|u| u.to_file_path().ok())
            .map(Location::Local)
            .ok_or_else(|| FeedError::Read {
                path: url.to_string(),
                reason: "not a local file URL".to_string(),
            }),
        Some((scheme, _)) if is_scheme(scheme) => Err(FeedError::UnsupportedScheme {
            scheme: scheme.to_string(),
            url: url.to_string(),
        }),
        _ => Ok(Location::Local(PathBuf::from(url))),
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

/// An I/O error in a few words: `No such file or directory`, without the
/// `(os error 2)` that means nothing to a shopper.
pub(super) fn io_reason(e: &io::Error) -> String {
    let text = e.to_string();
    match text.rfind(" (os error ") {
        Some(i) if text.ends_with(')') => text[..i].to_string(),
        _ => text,
    }
}
