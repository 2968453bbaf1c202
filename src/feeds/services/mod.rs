//! The per-product services (Open-Meteo's forecast, Open Food Facts' facts,
//! Open Prices' history): each asked by URL through the one [`Fetcher`], and
//! the queueing the GTIN services share.
//!
//! [`Fetcher`]: super::Fetcher

use super::FeedError;

pub mod open_meteo;
pub mod open_prices;
pub mod openfoodfacts;
mod units;

/// The GTINs to ask a per-product API (Open Food Facts, Open Prices): folded
/// to 14 digits to drop duplicates (the first spelling is the one asked), with
/// a warning for each value that is not a GTIN.
pub(crate) fn gtin_queue(feed: &str, gtins: &[String]) -> (Vec<String>, Vec<String>) {
    let mut warnings = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut queue = Vec::new();
    for raw in gtins {
        let digits: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if digits.is_empty() {
            continue;
        }
        match crate::model::normalize_gtin(&digits).filter(|_| digits.len() >= 8) {
            Some(gtin14) => {
                if seen.insert(gtin14) {
                    queue.push(digits);
                }
            }
            None => warnings.push(format!(
                "{feed}: \"{}\" is not a GTIN (8 to 14 digits), not asked",
                raw.trim()
            )),
        }
    }
    (queue, warnings)
}

/// The GTINs a run did not get to ask about, told in one line each instead of
/// one warning per GTIN: those left for the next run (the rate limit, or the
/// run's budget spent), and those not asked because their host is down.
#[derive(Default)]
pub(crate) struct Left {
    /// Left for the next run.
    later: usize,
    /// Not asked, host down: how many, and the first such error.
    down: usize,
    down_reason: Option<String>,
}

impl Left {
    /// Counts `e` if it is a GTIN not asked; hands back any other failure.
    pub(crate) fn count(&mut self, e: FeedError) -> Option<FeedError> {
        match e {
            FeedError::RateLimited { .. } | FeedError::GaveUp { .. } => self.later += 1,
            FeedError::HostDown { .. } => {
                self.down += 1;
                self.down_reason.get_or_insert_with(|| e.to_string());
            }
            other => return Some(other),
        }
        None
    }

    /// The lines to show, if any.
    pub(crate) fn notices(&self, feed: &str) -> Vec<String> {
        let barcodes = |n: usize| {
            if n == 1 {
                "1 barcode".to_string()
            } else {
                format!("{n} barcodes")
            }
        };
        let mut out = Vec::new();
        if self.later > 0 {
            out.push(format!(
                "{feed}: {} not looked up yet; asked next run",
                barcodes(self.later)
            ));
        }
        if let Some(reason) = &self.down_reason {
            out.push(format!(
                "{feed}: {} not looked up: {reason}",
                barcodes(self.down)
            ));
        }
        out
    }
}

/// Runs `ask` on each item with at most `concurrency` at once (0 counts as 1),
/// answers in the items' order; `None` where a worker panicked. A shared
/// cursor, not a split of the list: a slow answer holds up one worker while
/// the others carry on with the rest.
pub(crate) fn ask_each<T: Send>(
    items: &[String],
    concurrency: usize,
    ask: impl Fn(&str) -> T + Sync,
) -> Vec<Option<T>> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let next = AtomicUsize::new(0);
    let workers = concurrency.clamp(1, items.len().max(1));
    let mut answers: Vec<Option<T>> = (0..items.len()).map(|_| None).collect();
    let done: Vec<(usize, T)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(item) = items.get(i) else { break };
                        done.push((i, ask(item)));
                    }
                    done
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_default())
            .collect()
    });
    for (i, answer) in done {
        answers[i] = Some(answer);
    }
    answers
}
