//! The one state machine of an HTTP fetch, whichever way the body goes.
//!
//! Look in the cache (a copy young enough is the answer; a remembered "not
//! found" too), then offline or not: the request, conditional on the copy's
//! validators, with retries ([`super::retry`]); a 200 stored, a 304 renewing the
//! copy, a failure falling back to the copy with its age. [`Sink`] is the only
//! difference between [`Fetcher::get`] (the body in memory, [`Memory`]) and
//! [`Fetcher::get_file`] (the body streamed to a file, [`ToFile`]), so both get
//! the same revalidation, retries, fallback and credential stripping.

use std::io::{self, Read};
use std::path::{Path, PathBuf};
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};

use super::cache::{Cache, Meta};
use super::client::{read_capped, Answer, ReadError, Streamed};
use super::{ago, io_reason, Fetched, FetchedFile, Fetcher, Guard};
use crate::feeds::error::scrub;
use crate::feeds::{shown_url, FeedError};

/// Where a body goes, and where its cached copy comes from. Implemented twice,
/// each a zero-sized type: the state machine is generic over it, so neither
/// path pays for a dynamic call.
pub(super) trait Sink {
    /// A body read from a response.
    type Body;
    /// A cached copy: its bytes, or its path.
    type Copy;
    /// What the caller gets.
    type Out;
    /// The largest body accepted.
    fn limit(&self, fetcher: &Fetcher) -> u64;
    /// The time a whole request may take, body included.
    fn total(&self, fetcher: &Fetcher) -> Duration;
    /// Where a fresh body is on disk, for a [`Guard`] to judge.
    fn body_path(body: &Self::Body) -> Option<&Path>;
    /// Where a cached copy is on disk, for a [`Guard`] to compare with.
    fn copy_path(copy: &Self::Copy) -> Option<&Path>;
    /// The cached copy of `url`, when there is a sound one.
    fn load(&self, cache: &Cache, url: &str) -> Option<(Meta, Self::Copy)>;
    /// Reads a response's body within [`Sink::limit`].
    fn read(&self, fetcher: &Fetcher, body: impl Read) -> Result<Self::Body, ReadError>;
    /// A fresh body, stored in the cache when there is one (`meta` says what it is).
    fn fresh(&self, fetcher: &Fetcher, meta: Meta, body: Self::Body) -> Self::Out;
    /// A cached copy served, with why it is not a fresh answer.
    fn cached(&self, copy: Self::Copy, warning: Option<String>) -> Self::Out;
}

/// The body in memory, for [`Fetcher::get`]: within `max_bytes`, in the
/// client's timeout.
pub(super) struct Memory;

impl Sink for Memory {
    type Body = Vec<u8>;
    type Copy = Vec<u8>;
    type Out = Fetched;

    fn limit(&self, fetcher: &Fetcher) -> u64 {
        fetcher.opts.max_bytes
    }

    fn total(&self, fetcher: &Fetcher) -> Duration {
        fetcher.opts.timeout
    }

    fn body_path(_: &Vec<u8>) -> Option<&Path> {
        None
    }

    fn copy_path(_: &Vec<u8>) -> Option<&Path> {
        None
    }

    fn load(&self, cache: &Cache, url: &str) -> Option<(Meta, Vec<u8>)> {
        cache.load(url).map(|entry| (entry.meta, entry.body))
    }

    fn read(&self, fetcher: &Fetcher, body: impl Read) -> Result<Vec<u8>, ReadError> {
        read_capped(body, fetcher.opts.max_bytes)
    }

    fn fresh(&self, fetcher: &Fetcher, meta: Meta, bytes: Vec<u8>) -> Fetched {
        let warning = fetcher.cache.as_ref().and_then(|cache| {
            cache
                .store(&meta, &bytes)
                .err()
                .map(|e| cache_write_warning(cache, &e))
        });
        Fetched {
            bytes,
            warning,
            from_cache: false,
        }
    }

    fn cached(&self, bytes: Vec<u8>, warning: Option<String>) -> Fetched {
        Fetched {
            bytes,
            warning,
            from_cache: true,
        }
    }
}

/// The body streamed to a file, for [`Fetcher::get_file`]: within
/// `max_file_bytes`, in `file_timeout`; into the cache, or a temporary file
/// without one.
pub(super) struct ToFile;

impl Sink for ToFile {
    type Body = Streamed;
    type Copy = PathBuf;
    type Out = FetchedFile;

    fn limit(&self, fetcher: &Fetcher) -> u64 {
        fetcher.opts.max_file_bytes
    }

    fn total(&self, fetcher: &Fetcher) -> Duration {
        fetcher.opts.file_timeout
    }

    fn body_path(body: &Streamed) -> Option<&Path> {
        Some(body.file.path())
    }

    fn copy_path(copy: &PathBuf) -> Option<&Path> {
        Some(copy)
    }

    fn load(&self, cache: &Cache, url: &str) -> Option<(Meta, PathBuf)> {
        cache.load_file(url)
    }

    fn read(&self, fetcher: &Fetcher, body: impl Read) -> Result<Streamed, ReadError> {
        fetcher.stream_to_file(body)
    }

    fn fresh(&self, fetcher: &Fetcher, meta: Meta, streamed: Streamed) -> FetchedFile {
        let Some(cache) = &fetcher.cache else {
            let temp = streamed.file.into_temp_path();
            return FetchedFile {
                path: temp.to_path_buf(),
                warning: None,
                from_cache: false,
                _temp: Some(temp),
            };
        };
        match cache.store_file(&meta, streamed.file, streamed.len, streamed.hash) {
            Ok(path) => FetchedFile::at(path, None, false),
            Err(failed) => FetchedFile {
                path: failed.path,
                warning: Some(cache_write_warning(cache, &failed.error)),
                from_cache: false,
                _temp: failed.temp,
            },
        }
    }

    fn cached(&self, path: PathBuf, warning: Option<String>) -> FetchedFile {
        FetchedFile::at(path, warning, true)
    }
}

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

/// What the cache says before any request.
enum Lookup<S: Sink> {
    /// The cache answered: a young copy, or a remembered "not found".
    Answered(Result<S::Out, FeedError>),
    /// Ask the server, with this copy (if any) to revalidate or fall back on.
    Ask(Option<(Meta, S::Copy)>),
}

impl Fetcher {
    /// Every HTTP fetch: the cache, then (unless offline) the request with its
    /// retries, then what its outcome means given the copy.
    pub(super) fn fetch_http<S: Sink>(
        &self,
        url: &str,
        fresh_for: Option<Duration>,
        sink: S,
        guard: Option<&Guard<'_>>,
    ) -> Result<S::Out, FeedError> {
        let cached = match self.lookup(url, fresh_for, &sink) {
            Lookup::Answered(answer) => return answer,
            Lookup::Ask(cached) => cached,
        };
        if self.opts.offline {
            return match cached {
                Some((meta, copy)) => Ok(sink.cached(
                    copy,
                    Some(format!(
                        "offline: used the cached copy from {}",
                        self.age(meta.fetched_at)
                    )),
                )),
                None => Err(FeedError::NotCached {
                    url: url.to_string(),
                }),
            };
        }
        let result = self.request_with_retries(url, cached.as_ref().map(|(meta, _)| meta), &sink);
        let result = match guard {
            Some(guard) => judge::<S>(guard, result, cached.as_ref().map(|(_, copy)| copy)),
            None => result,
        };
        self.settle(url, fresh_for, result, cached, &sink)
    }

    /// The cached copy, unless the cache is the answer itself: with a freshness
    /// period, a copy younger than it, or a "not found" remembered for as long
    /// (or offline, whatever its age).
    fn lookup<S: Sink>(&self, url: &str, fresh_for: Option<Duration>, sink: &S) -> Lookup<S> {
        let cached = self.cache.as_ref().and_then(|c| sink.load(c, url));
        let Some((meta, copy)) = cached else {
            return Lookup::Ask(None);
        };
        if let Some(fresh_for) = fresh_for {
            let age = self.opts.now.signed_duration_since(meta.fetched_at);
            // A copy from the "future" (the clock went back) is not trusted as fresh.
            let fresh =
                TimeDelta::from_std(fresh_for).is_ok_and(|f| age >= TimeDelta::zero() && age < f);
            // A remembered "not found" is an answer too, young or offline.
            if meta.status == NOT_FOUND && (fresh || self.opts.offline) {
                return Lookup::Answered(Err(not_found(url)));
            }
            if fresh {
                return Lookup::Answered(Ok(sink.cached(copy, None)));
            }
        }
        // An old "not found" is asked again, and is never a copy to serve.
        if meta.status == NOT_FOUND {
            return Lookup::Ask(None);
        }
        Lookup::Ask(Some((meta, copy)))
    }

    /// What a request's outcome gives, given the cached copy: a new body
    /// (stored), the copy renewed by a 304, or the copy standing in for a
    /// failure, with its age.
    fn settle<S: Sink>(
        &self,
        url: &str,
        fresh_for: Option<Duration>,
        result: Result<Answer<S::Body>, FeedError>,
        cached: Option<(Meta, S::Copy)>,
        sink: &S,
    ) -> Result<S::Out, FeedError> {
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
                let meta = self.meta(url, status, etag, last_modified);
                Ok(sink.fresh(self, meta, bytes))
            }
            (
                Ok(Answer::NotModified {
                    etag,
                    last_modified,
                }),
                Some((old, copy)),
            ) => {
                // The server confirmed our copy: it is as good as new from now on.
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
                        .map(|e| cache_write_warning(cache, &e))
                });
                Ok(sink.cached(copy, warning))
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
                    let meta = self.meta(url, NOT_FOUND, None, None);
                    // Failing to remember only costs a request next run.
                    let _ = cache.store(&meta, b"");
                }
                Err(error)
            }
            // A lookup left for the next run (a rate limit): the copy, however
            // old, serves quietly; the caller counts what was not asked at all.
            (Err(FeedError::RateLimited { .. }), Some((_, copy))) => Ok(sink.cached(copy, None)),
            (Err(error), Some((meta, copy))) => Ok(sink.cached(
                copy,
                Some(format!(
                    "{}, used the cached copy from {}",
                    brief(&error),
                    self.age(meta.fetched_at)
                )),
            )),
            (Err(error), None) => Err(error),
        }
    }

    /// The metadata of an answer got now. Its URL is the one shown, without
    /// the password of a `user:password@` URL: the cache is private, but a
    /// password has no use there.
    fn meta(
        &self,
        url: &str,
        status: u16,
        etag: Option<String>,
        last_modified: Option<String>,
    ) -> Meta {
        Meta {
            url: shown_url(url).into_owned(),
            etag,
            last_modified,
            fetched_at: self.opts.now,
            status,
            body_len: 0,
            body_fnv: String::new(),
        }
    }

    fn age(&self, fetched_at: DateTime<Utc>) -> String {
        ago(self.opts.now.signed_duration_since(fetched_at))
    }
}

/// A guarded answer as the guard sees it: a refusal or a body that looks like
/// a bot wall is a failure ([`FeedError::Blocked`]), so the cached copy stands
/// in for it and nothing of it is stored.
fn judge<S: Sink>(
    guard: &Guard<'_>,
    result: Result<Answer<S::Body>, FeedError>,
    copy: Option<&S::Copy>,
) -> Result<Answer<S::Body>, FeedError> {
    match result {
        Err(
            error @ FeedError::Http {
                status: 403 | 429, ..
            },
        ) if guard.refusals_blocked => Err(FeedError::Blocked(brief(&error))),
        Ok(answer @ Answer::Body { .. }) => {
            let Answer::Body { bytes, .. } = &answer else {
                return Ok(answer);
            };
            let old = copy.and_then(|c| S::copy_path(c));
            match S::body_path(bytes).map(|new| (guard.body)(new, old)) {
                Some(Err(why)) => Err(FeedError::Blocked(why)),
                _ => Ok(answer),
            }
        }
        other => other,
    }
}

fn cache_write_warning(cache: &Cache, e: &io::Error) -> String {
    format!(
        "fetched, but cannot write the cache in {}: {}",
        cache.dir().display(),
        io_reason(e)
    )
}

/// The failure in a few words for a stale-cache warning, where the feed is
/// already named: `HTTP 503 Service Unavailable`, `cannot connect (Connection
/// refused)`, `timed out after 30 s`. A reason quoting the URL shows it without
/// its credentials, as the error's own message does.
pub(super) fn brief(error: &FeedError) -> String {
    match error {
        FeedError::Http { status, reason, .. } => match reason {
            Some(r) => format!("HTTP {status} {r}"),
            None => format!("HTTP {status}"),
        },
        FeedError::Connect { reason, url } => format!("cannot connect ({})", scrub(reason, url)),
        FeedError::Request { reason, url } => format!("request failed ({})", scrub(reason, url)),
        other => other.to_string(),
    }
}
