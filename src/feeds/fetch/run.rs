//! What every request of one run shares, whichever fetcher makes it: the run's
//! time budget (`fetch_timeout`, `--timeout`), each host's failures (a host that
//! failed [`HOST_FAILURES`] requests is not asked again this run), and the reads
//! left to a rate-limited host (Open Food Facts). A check makes a fetcher for the
//! feeds and others for the per-product services; they all hold one
//! [`FetchRun`], so a host down for the feeds is down for the facts too, and the
//! budget counts from the first request of the run (docs/feeds.md, "Fetching").

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

/// How many failed requests (timeouts, refused or broken connections) to one
/// host make the rest of the run's requests to it fail at once: two is enough to
/// tell a host that is down from a dropped packet, and a hung host costs the
/// run at most two waits.
pub const HOST_FAILURES: u32 = 2;

/// One run's shared state; cloning shares it. `Default` has no budget, no rate
/// limits and no failures yet.
#[derive(Debug, Clone, Default)]
pub struct FetchRun {
    shared: Arc<Shared>,
}

#[derive(Debug, Default)]
struct Shared {
    /// When the budget runs out, and how long it was; set by the first
    /// [`FetchRun::start`].
    deadline: OnceLock<(Instant, Duration)>,
    hosts: Mutex<HashMap<String, Host>>,
}

#[derive(Debug, Default)]
struct Host {
    failures: u32,
    /// Why the last request failed, as the error said it.
    reason: String,
    /// Reads this run may still make; `None` is no limit.
    reads_left: Option<u32>,
    /// The limit that `reads_left` counts down from.
    rate_limit: u32,
}

/// Why a request was not made at all.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum NotAsked {
    /// The host failed [`HOST_FAILURES`] requests already: the last one's reason.
    HostDown { failures: u32, reason: String },
    /// The host's rate limit for this run is used up.
    RateLimited { limit: u32 },
}

impl FetchRun {
    pub fn new() -> FetchRun {
        FetchRun::default()
    }

    /// Starts the run's clock with `budget`, unless it was started already
    /// (then the first budget stands: the run's fetchers share one).
    pub fn start(&self, budget: Duration) {
        let _ = self
            .shared
            .deadline
            .get_or_init(|| (Instant::now() + budget, budget));
    }

    /// The whole budget, when one was started.
    pub fn budget(&self) -> Option<Duration> {
        self.shared.deadline.get().map(|(_, budget)| *budget)
    }

    /// What is left of the budget (zero once spent); `None` without a budget.
    pub fn left(&self) -> Option<Duration> {
        self.shared
            .deadline
            .get()
            .map(|(deadline, _)| deadline.saturating_duration_since(Instant::now()))
    }

    /// The budget is spent.
    #[cfg(test)]
    pub fn spent(&self) -> bool {
        self.left().is_some_and(|left| left.is_zero())
    }

    /// At most `per_run` requests to `host` this run (the first limit set stands).
    pub fn limit_reads(&self, host: &str, per_run: u32) {
        let mut hosts = self.hosts();
        let entry = hosts.entry(host.to_string()).or_default();
        if entry.reads_left.is_none() {
            entry.reads_left = Some(per_run);
            entry.rate_limit = per_run;
        }
    }

    /// Whether a request to `host` may be made now, counting it if so.
    pub(super) fn admit(&self, host: &str) -> Result<(), NotAsked> {
        let mut hosts = self.hosts();
        let Some(entry) = hosts.get_mut(host) else {
            return Ok(());
        };
        if entry.failures >= HOST_FAILURES {
            return Err(NotAsked::HostDown {
                failures: entry.failures,
                reason: entry.reason.clone(),
            });
        }
        match &mut entry.reads_left {
            Some(0) => Err(NotAsked::RateLimited {
                limit: entry.rate_limit,
            }),
            Some(n) => {
                *n -= 1;
                Ok(())
            }
            None => Ok(()),
        }
    }

    /// Counts a failed request to `host`; true when the host is now down.
    pub(super) fn failed(&self, host: &str, reason: String) -> bool {
        let mut hosts = self.hosts();
        let entry = hosts.entry(host.to_string()).or_default();
        entry.failures += 1;
        entry.reason = reason;
        entry.failures >= HOST_FAILURES
    }

    fn hosts(&self) -> std::sync::MutexGuard<'_, HashMap<String, Host>> {
        // A panicking fetch thread leaves counts that are still right.
        self.shared
            .hosts
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
    }
}

/// The host a URL's requests are counted against: `host:port`, lower-case; the
/// URL itself when it does not parse (it will fail on its own anyway).
pub fn host_of(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(u) => match (u.host_str(), u.port_or_known_default()) {
            (Some(host), Some(port)) => format!("{}:{port}", host.to_ascii_lowercase()),
            (Some(host), None) => host.to_ascii_lowercase(),
            _ => url.to_string(),
        },
        Err(_) => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_host_is_down_after_its_second_failure_and_only_that_host() {
        let run = FetchRun::new();
        assert_eq!(run.admit("a:80"), Ok(()));
        assert!(!run.failed("a:80", "refused".into()));
        assert!(run.failed("a:80", "refused".into()));
        assert_eq!(
            run.admit("a:80"),
            Err(NotAsked::HostDown {
                failures: 2,
                reason: "refused".into()
            })
        );
        assert_eq!(run.admit("b:80"), Ok(()));
    }

    #[test]
    fn a_rate_limit_admits_that_many_reads_per_run() {
        let run = FetchRun::new();
        run.limit_reads("off:443", 2);
        run.limit_reads("off:443", 50);
        assert_eq!(run.admit("off:443"), Ok(()));
        assert_eq!(run.admit("off:443"), Ok(()));
        assert_eq!(
            run.admit("off:443"),
            Err(NotAsked::RateLimited { limit: 2 })
        );
    }

    #[test]
    fn the_budget_starts_once_and_runs_out() {
        let run = FetchRun::new();
        assert_eq!(run.left(), None);
        run.start(Duration::ZERO);
        run.start(Duration::from_secs(60));
        assert_eq!(run.budget(), Some(Duration::ZERO));
        assert!(run.spent());
    }

    #[test]
    fn hosts_are_counted_with_their_port() {
        assert_eq!(host_of("http://127.0.0.1:8080/a.csv"), "127.0.0.1:8080");
        assert_eq!(host_of("https://World.Example/x"), "world.example:443");
    }
}
