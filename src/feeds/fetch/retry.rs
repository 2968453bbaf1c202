//! Trying again: which failures are transient (set by [`super::client`] where
//! the failure is known), how long to wait (exponential backoff with jitter, or
//! the server's `Retry-After` up to a cap), and when to give up.

use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::header::{self, HeaderMap};

use super::cache::Meta;
use super::client::{header_text, Answer};
use super::http::{brief, Sink};
use super::run::{host_of, NotAsked};
use super::Fetcher;
use crate::feeds::FeedError;

/// A failed request, and whether trying again may help.
pub(super) struct Failed {
    pub(super) error: FeedError,
    pub(super) retryable: bool,
    /// What the server's `Retry-After` asked for.
    pub(super) retry_after: Option<Duration>,
}

impl Failed {
    pub(super) fn fatal(error: FeedError) -> Failed {
        Failed {
            error,
            retryable: false,
            retry_after: None,
        }
    }
    pub(super) fn transient(error: FeedError) -> Failed {
        Failed {
            error,
            retryable: true,
            retry_after: None,
        }
    }
}

impl Failed {
    /// A failure that says the host is in trouble (it does not answer, or
    /// refuses or drops the connection), as opposed to refusing this request.
    fn counts_against_host(&self) -> bool {
        // A redirect loop is this URL's fault, not the host's.
        self.retryable
            && matches!(
                self.error,
                FeedError::Timeout { .. } | FeedError::Connect { .. } | FeedError::Request { .. }
            )
    }
}

impl Fetcher {
    /// One request, then as many retries as allowed while the failure is
    /// transient: a timeout is tried again once, a host that failed
    /// [`super::run::HOST_FAILURES`] requests this run not at all, and no wait
    /// outlasts the run's budget.
    pub(super) fn request_with_retries<S: Sink>(
        &self,
        url: &str,
        cached: Option<&Meta>,
        sink: &S,
    ) -> Result<Answer<S::Body>, FeedError> {
        let host = host_of(url);
        let mut attempt: u32 = 0;
        let mut timeouts: u32 = 0;
        loop {
            self.opts
                .run
                .admit(&host)
                .map_err(|why| not_asked(&host, why))?;
            let failed = match self.request(url, cached, sink) {
                Ok(answer) => return Ok(answer),
                Err(failed) => failed,
            };
            let host_down =
                failed.counts_against_host() && self.opts.run.failed(&host, brief(&failed.error));
            if matches!(failed.error, FeedError::Timeout { .. }) {
                timeouts += 1;
            }
            if !failed.retryable || attempt >= self.opts.retries || host_down || timeouts > 1 {
                return Err(failed.error);
            }
            let wait = match failed.retry_after {
                Some(asked) if asked > self.opts.max_retry_after => return Err(failed.error),
                Some(asked) => asked,
                None => backoff_delay(self.opts.backoff, attempt),
            };
            // A wait past the budget's end would only end in giving up: the
            // failure as it is says more.
            if self.opts.run.left().is_some_and(|left| wait >= left) {
                return Err(failed.error);
            }
            std::thread::sleep(wait);
            attempt += 1;
        }
    }
}

/// A request not made, as the error its caller sees.
fn not_asked(host: &str, why: NotAsked) -> FeedError {
    match why {
        NotAsked::HostDown { failures, reason } => FeedError::HostDown {
            host: host.to_string(),
            failures,
            reason,
        },
        NotAsked::RateLimited { limit } => FeedError::RateLimited {
            host: host.to_string(),
            limit,
        },
    }
}

/// The wait before retry number `attempt + 1`: `base * 2^attempt`, times a random
/// factor in [0.5, 1.5) so that many clients failing together do not come back
/// together.
pub(super) fn backoff_delay(base: Duration, attempt: u32) -> Duration {
    let exp = base.saturating_mul(1u32 << attempt.min(16));
    exp.mul_f64(0.5 + fastrand::f64())
}

/// `Retry-After` as seconds (`120`) or an HTTP date; a date in the past is no wait.
pub(super) fn retry_after(headers: &HeaderMap) -> Option<Duration> {
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
