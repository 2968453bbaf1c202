//! The engine: compiled rules x (products, forecast, basket, memory) -> proposals.
//!
//! Pure: no I/O, no clock, no printing. It is a fold over the product stream
//! ([`Evaluation::observe`]), where each rule keeps only what it needs (its best
//! `limit` candidates, the best alternative per watched basket item), so the size
//! of a feed does not set the memory a check needs.
//!
//! This file holds what the engine reads and returns, and the entry points.
//! The work is in files of one job each; each uses only this file's types and
//! the files listed after it: `evaluation` runs the fold; `prepare` turns each
//! rule into its state for the run; `actions/` holds what is particular to
//! each kind of action (one file each); `latch` the re-arming bookkeeping;
//! `facts` what the command asks before evaluating (which GTINs need facts or
//! history, which products are watched); `conditions` the `when` conditions
//! and the weather; `explain` the reasons and explanations in words;
//! `matching` whether a product satisfies a selector; `folded` and `index`
//! make that cheap for every product of a large feed.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;

use crate::model::{
    BasketItem, FailedInputs, Forecast, Notification, NotifiedBefore, Observation, Product,
    ProductKey, Proposal, Purchase,
};
use crate::rules::RuleSet;

mod actions;
mod conditions;
mod evaluation;
mod explain;
mod facts;
mod folded;
mod index;
mod inputs;
mod latch;
mod matching;
mod prepare;

pub use evaluation::Evaluation;
pub use explain::{human_duration, Explanation};
pub use facts::{gtins_needing_facts, may_replace, merge_facts_into, watched_gtins, Watcher};
pub use latch::rearmed_by_purchase;

/// What earlier runs decided, so a proposal is not nagged about twice.
#[derive(Debug, Clone, Default)]
pub struct Memory {
    /// Ids of proposals shown before and not decided.
    pub pending: HashSet<String>,
    /// Last decline per proposal id: when, and the price then.
    pub declined: HashMap<String, (DateTime<Utc>, Option<Decimal>)>,
    /// Products the shopper approved removing or swapping out, and when last:
    /// no rule proposes one back before its cooldown is over.
    pub taken_out: HashMap<ProductKey, DateTime<Utc>>,
    /// Last notification per (rule, product).
    pub notified: HashMap<(String, ProductKey), NotifiedBefore>,
    /// Price history of the products rules watch.
    pub history: History,
    /// Feeds that answered in an earlier run, and when they first did: a feed
    /// never seen before makes "newly listed" unknown.
    pub feeds_seen: HashMap<String, DateTime<Utc>>,
    /// (rule, product) pairs that fired and have not been re-armed since.
    pub latched: HashSet<(String, ProductKey)>,
    /// Rules that have run before (for `first_run = "skip"`).
    pub rules_run: HashSet<String>,
    /// What was bought, oldest first, for `when.every`; loaded only when an
    /// enabled rule has one.
    pub purchases: Vec<Purchase>,
}

/// Stored observations, by product and, for history-only sources (Open
/// Prices), by barcode; each list oldest first.
#[derive(Debug, Clone, Default)]
pub struct History {
    by_key: HashMap<ProductKey, Vec<Observation>>,
    by_gtin: HashMap<String, Vec<Observation>>,
}

impl History {
    /// `gtin_feeds` are the history-only feeds, whose points are found by GTIN.
    pub fn new(observations: Vec<Observation>, gtin_feeds: &HashSet<String>) -> History {
        let mut h = History::default();
        for o in observations {
            if gtin_feeds.contains(&o.feed) {
                if let Some(g) = o.gtin.clone() {
                    h.by_gtin.entry(g).or_default().push(o);
                }
            } else {
                h.by_key.entry(o.key()).or_default().push(o);
            }
        }
        for list in h.by_key.values_mut().chain(h.by_gtin.values_mut()) {
            list.sort_by_key(|o| o.at);
        }
        h
    }

    /// This feed's own observations of the product.
    fn own(&self, p: &Product) -> &[Observation] {
        self.by_key.get(&p.key()).map_or(&[], Vec::as_slice)
    }

    /// Everything known of the product's price, its own feed's points and those
    /// found by barcode, oldest first.
    fn prices(&self, p: &Product) -> Vec<&Observation> {
        let mut all: Vec<&Observation> = self.own(p).iter().collect();
        if let Some(list) = p.gtin14().and_then(|g| self.by_gtin.get(&g)) {
            all.extend(list.iter());
            all.sort_by_key(|o| o.at);
        }
        all
    }
}

/// The weather as far as this run knows it.
#[derive(Debug, Clone)]
pub enum Weather<'a> {
    /// No enabled rule needs it; not fetched.
    NotNeeded,
    Known(&'a Forecast),
    Failed(String),
}

/// Everything the engine reads, gathered by the command before evaluation.
pub struct Context<'a> {
    pub now: DateTime<Utc>,
    pub rules: &'a RuleSet,
    pub basket: &'a [BasketItem],
    pub weather: Weather<'a>,
    /// Feeds that did not answer this run, with why and where: catalog feeds
    /// (their products are unknown), facts and price-history sources.
    pub failed: &'a FailedInputs,
    pub memory: &'a Memory,
}

/// What a check found.
#[derive(Debug, Clone, Default)]
pub struct Outcome {
    pub proposals: Vec<Proposal>,
    pub notifications: Vec<Notification>,
    /// Things worth knowing that are not proposals ("no alternative for ...").
    pub notices: Vec<String>,
    pub warnings: Vec<String>,
    /// One line per rule, for `--explain`.
    pub explanations: Vec<Explanation>,
    /// With [`evaluate`]: the products some rule watches (its selector matches,
    /// price and history conditions aside) and the basket's products as the
    /// feeds list them now. A streaming caller gets each from
    /// [`Evaluation::observe`] instead, and records it as it goes.
    pub watched: Vec<Product>,
    /// Re-arming: (rule, product) pairs that fired (or were first seen under
    /// `first_run = "skip"`) and pairs whose condition was false this run.
    pub latch_set: Vec<(String, ProductKey)>,
    pub latch_clear: Vec<(String, ProductKey)>,
    /// Rules that ran on complete data this time.
    pub rules_ran: Vec<String>,
    /// Feeds that failed while being read.
    pub failed_while_reading: FailedInputs,
}

/// Evaluates every rule over all `products` (in feed order).
pub fn evaluate<'p>(ctx: &Context, products: impl IntoIterator<Item = &'p Product>) -> Outcome {
    let mut eval = Evaluation::new(ctx);
    let mut watched = Vec::new();
    for p in products {
        if eval.observe(p) {
            watched.push(p.clone());
        }
    }
    let mut out = eval.finish();
    out.watched = watched;
    out
}

#[cfg(test)]
mod tests;
