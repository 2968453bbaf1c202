//! The HTTP client and one request through it: the redirect policy, a
//! conditional request from a cached copy's validators, the total deadline on
//! a body, and reading a body within its cap (into memory, or to a file while
//! hashing it). What a failure means for a retry is decided here, where the
//! failure is known; whether to retry, in [`super::retry`].

use std::io::{self, Read, Write};
use std::time::{Duration, Instant};

use reqwest::blocking::{RequestBuilder, Response};
use reqwest::header::{self, HeaderMap};
use reqwest::StatusCode;

use super::cache::{HashingWriter, Meta};
use super::http::Sink;
use super::retry::{retry_after, Failed};
use super::{io_reason, is_scheme, FetchOptions, Fetcher};
use crate::feeds::FeedError;

/// The one client of a [`Fetcher`]: its timeouts, user agent, gzip, and the
/// redirect policy below.
pub(super) fn build(opts: &FetchOptions) -> Result<reqwest::blocking::Client, FeedError> {
    reqwest::blocking::Client::builder()
        .connect_timeout(opts.connect_timeout)
        .timeout(opts.read_timeout)
        .user_agent(opts.user_agent.as_str())
        .gzip(true)
        .redirect(redirect_policy())
        .build()
        .map_err(|e| FeedError::Client(root_cause(&e)))
}

/// A timeout this close to the end of the run's budget is the budget's: the
/// request's own timeout was cut to it.
const BUDGET_SLACK: Duration = Duration::from_millis(100);

/// How much of an error body is read to find the server's reason: enough for any
/// JSON error object, small enough not to matter.
const ERROR_BODY_LIMIT: u64 = 16 * 1024;

/// What one HTTP request ended in, when it did not fail: a body read into `B`
/// (a `Vec` for [`Fetcher::get`], a file for [`Fetcher::get_file`]).
pub(super) enum Answer<B> {
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

/// A body being streamed to disk: the file, its length and its hash.
pub(super) struct Streamed {
    pub(super) file: tempfile::NamedTempFile,
    pub(super) len: u64,
    pub(super) hash: u64,
}

impl Fetcher {
    /// One request: conditional when a copy is cached, its body read by `sink`
    /// within the sink's cap and a total deadline, all within what is left of
    /// the run's budget.
    pub(super) fn request<S: Sink>(
        &self,
        url: &str,
        cached: Option<&Meta>,
        sink: &S,
    ) -> Result<Answer<S::Body>, Failed> {
        let left = self.opts.run.left();
        if left.is_some_and(|l| l.is_zero()) {
            return Err(self.gave_up());
        }
        let within_budget = |d: Duration| left.map_or(d, |l| d.min(l));
        let (limit, total) = (sink.limit(self), sink.total(self));
        // reqwest's blocking timeout bounds the wait for the answer's head and
        // each read of its body, not the whole body: that is the read timeout.
        let read_timeout = within_budget(self.opts.read_timeout);
        let request = self.client.get(url).timeout(read_timeout);
        // A server trickling a byte at a time (slowloris) would still hold
        // the run forever: the deadline bounds the whole body.
        let deadline = Instant::now() + within_budget(total);
        let response = conditional(request, cached)
            .send()
            .map_err(|e| self.request_error(url, &e))?;
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
            return Err(refusal(url, response, deadline));
        }
        // Refuse early when the server says it is too big; otherwise count.
        if response.content_length().is_some_and(|len| len > limit) {
            return Err(Failed::fatal(FeedError::TooLarge { limit }));
        }
        let timed = Deadline {
            inner: response,
            until: deadline,
        };
        let bytes = sink.read(self, timed).map_err(|e| match e {
            ReadError::TooLarge => Failed::fatal(FeedError::TooLarge { limit }),
            ReadError::Io(e) if is_timeout(&e) => {
                let after = if Instant::now() >= deadline {
                    total
                } else {
                    self.opts.read_timeout
                };
                self.timed_out(after)
            }
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

    /// A timeout: the run's budget running out (no retry, nothing more to
    /// wait for), or this request's own, which may be tried again.
    fn timed_out(&self, after: Duration) -> Failed {
        // The request's timeout was cut to the budget's end, so it fires then.
        if self.opts.run.left().is_some_and(|left| left < BUDGET_SLACK) {
            self.gave_up()
        } else {
            Failed::transient(FeedError::Timeout { after })
        }
    }

    /// The run's budget is spent.
    pub(super) fn gave_up(&self) -> Failed {
        Failed::fatal(FeedError::GaveUp {
            after: self.opts.run.budget().unwrap_or_default(),
        })
    }

    fn request_error(&self, url: &str, e: &reqwest::Error) -> Failed {
        if e.is_timeout() {
            self.timed_out(if e.is_connect() {
                self.opts.connect_timeout
            } else {
                self.opts.read_timeout
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

    /// Copies a body to a new temporary file (in the cache directory when there
    /// is one, so it can be renamed into place), hashing it on the way, within
    /// `max_file_bytes`.
    pub(super) fn stream_to_file(&self, response: impl Read) -> Result<Streamed, ReadError> {
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
}

/// The request made conditional on the cached copy's validators, if any.
fn conditional(mut request: RequestBuilder, cached: Option<&Meta>) -> RequestBuilder {
    if let Some(meta) = cached {
        if let Some(etag) = &meta.etag {
            request = request.header(header::IF_NONE_MATCH, etag);
        }
        if let Some(date) = &meta.last_modified {
            request = request.header(header::IF_MODIFIED_SINCE, date);
        }
    }
    request
}

/// A non-2xx answer as a failure: its status, what the server said about it,
/// and whether (and when) to try again.
fn refusal(url: &str, response: Response, deadline: Instant) -> Failed {
    let status = response.status();
    let retry_after = retry_after(response.headers());
    let detail = if status.is_redirection() {
        unfollowed_redirect(response.headers())
    } else {
        error_detail(Deadline {
            inner: response,
            until: deadline,
        })
    };
    Failed {
        error: FeedError::Http {
            status: status.as_u16(),
            reason: status.canonical_reason().map(str::to_string),
            url: url.to_string(),
            detail,
        },
        retryable: status.is_server_error() || status == StatusCode::TOO_MANY_REQUESTS,
        retry_after,
    }
}

/// Reads at most `limit` bytes; one byte more means the body is over the cap.
pub(super) fn read_capped(reader: impl Read, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut body = Vec::new();
    reader
        .take(limit.saturating_add(1))
        .read_to_end(&mut body)
        .map_err(ReadError::Io)?;
    if body.len() as u64 > limit {
        return Err(ReadError::TooLarge);
    }
    Ok(body)
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

pub(super) enum ReadError {
    TooLarge,
    /// Reading the body failed.
    Io(io::Error),
    /// Writing it down failed.
    Write(io::Error),
}

pub(super) fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
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
