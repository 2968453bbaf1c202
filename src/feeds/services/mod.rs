//! The per-product services (Open-Meteo's forecast, Open Food Facts' facts,
//! Open Prices' history): each asked by URL through the one [`Fetcher`], and
//! the queueing the GTIN services share.
//!
//! [`Fetcher`]: super::Fetcher

pub mod open_meteo;
pub mod open_prices;
pub mod openfoodfacts;

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
