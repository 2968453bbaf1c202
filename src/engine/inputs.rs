//! What each rule reads that can fail in a run, compiled from the rule alone:
//! the catalog feeds its candidates can come from, the facts and price-history
//! sources, the forecast. A rule is skipped only when one of *its* inputs
//! failed (docs/rules.md, "When a rule is skipped"); one flaky page feed must
//! not switch off a removal that reads nothing but the basket.

use std::collections::BTreeSet;

use crate::model::{BasketItem, FailedAt, FailedInputs};
use crate::rules::{Action, Rule, Scope, Selector};

use super::actions::add_candidates;
use super::folded::Folded;
use super::matching::check_ignoring_price;
use super::Weather;

/// The catalog feeds a rule's candidates can come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Catalog {
    /// Every catalog feed. One that failed only takes its products out of the
    /// running (the rule ranks what the others list), so it skips nothing.
    AllFeeds,
    /// Only these (`feed = ...`); none when the rule reads no catalog product
    /// (a basket-only removal): if one failed, the rule cannot look at all.
    Only(BTreeSet<String>),
}

/// The inputs one rule depends on.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct Inputs<'r> {
    pub(super) catalog: Catalog,
    /// A catalog-scope `remove` judges basket items as their own feeds list
    /// them now (`{ in = "catalog", available = false }`): it needs the feed of
    /// every basket item its selector could concern.
    pub(super) listed_items: Option<&'r Selector>,
    /// Reads facts that a facts source (Open Food Facts) supplies: those of
    /// basket items, or of a swap's alternatives. Catalog products' facts come
    /// from the catalog feeds, which that source is not asked about.
    pub(super) facts: bool,
    /// Reads price history that a history source (Open Prices) fills:
    /// `lowest_in_days`, `price_drop_pct`.
    pub(super) history: bool,
    /// Has a `when.weather`.
    pub(super) forecast: bool,
}

impl<'r> Inputs<'r> {
    pub(super) fn of(rule: &'r Rule) -> Inputs<'r> {
        let mut facts = false;
        let mut history = false;
        let mut basket_side = |s: &Selector| {
            facts |= reads_facts(s);
            history |= reads_price_history(s);
        };
        if let Some(when) = &rule.when {
            when.visit_selectors(&mut basket_side);
        }
        let own = rule.selector.iter().chain(rule.action.product_selector());
        for s in own.clone().filter(|s| s.scope == Scope::Basket) {
            basket_side(s);
        }
        history |= own.clone().any(reads_price_history);
        let mut listed_items = None;
        let catalog = match &rule.action {
            Action::Add { product, .. } => from_feed(&add_candidates(rule, product.as_ref()).feed),
            Action::Notify { .. } => match &rule.selector {
                Some(s) => from_feed(&s.feed),
                None => Catalog::AllFeeds,
            },
            Action::Swap {
                without,
                without_allergens,
                ..
            } => {
                // Its `match` picks basket items whatever `in` says.
                facts |= !without.is_empty()
                    || !without_allergens.is_empty()
                    || rule.selector.as_ref().is_some_and(reads_facts);
                Catalog::AllFeeds
            }
            Action::Remove { .. } => match own.clone().find(|s| s.scope == Scope::Catalog) {
                Some(s) => {
                    // The basket items' listings get their facts merged in.
                    facts |= reads_facts(s);
                    listed_items = Some(s);
                    from_feed(&s.feed)
                }
                None => Catalog::Only(BTreeSet::new()),
            },
        };
        Inputs {
            catalog,
            listed_items,
            facts,
            history,
            forecast: rule.when.as_ref().is_some_and(|w| w.uses_weather()),
        }
    }

    /// The failed input that holds the rule back, in words; `None`: every
    /// input it reads answered (or it reads none that failed).
    pub(super) fn failure(
        &self,
        failed: &FailedInputs,
        basket: &[BasketItem],
        weather: &Weather,
    ) -> Option<String> {
        if let Catalog::Only(feeds) = &self.catalog {
            for feed in feeds {
                if let Some(f) = failed.catalog_failed(feed) {
                    return Some(f.describe(feed));
                }
            }
        }
        if let Some(s) = self.listed_items {
            for item in basket {
                let p = &item.product;
                let Some(f) = failed.catalog_failed(&p.feed) else {
                    continue;
                };
                if check_ignoring_price(s, &Folded::new(p)) {
                    return Some(format!(
                        "{}, and it lists the basket item '{}'",
                        f.describe(&p.feed),
                        p.name
                    ));
                }
            }
        }
        let lookups = [
            (self.facts, FailedAt::FactsLookup),
            (self.history, FailedAt::PricesLookup),
        ];
        for (reads, stage) in lookups {
            if let Some((feed, f)) = failed.first_at(stage).filter(|_| reads) {
                return Some(f.describe(feed));
            }
        }
        match weather {
            Weather::Failed(why) if self.forecast => {
                Some(format!("the weather forecast failed: {why}"))
            }
            _ => None,
        }
    }
}

fn from_feed(feed: &Option<String>) -> Catalog {
    match feed {
        Some(f) => Catalog::Only(BTreeSet::from([f.clone()])),
        None => Catalog::AllFeeds,
    }
}

fn reads_facts(s: &Selector) -> bool {
    !s.contains.is_empty() || !s.allergens.is_empty() || !s.labels.is_empty()
}

/// `new` and `back_in_stock` read the product's own feed's points only, which
/// no history source fills.
fn reads_price_history(s: &Selector) -> bool {
    s.lowest_in_days.is_some() || s.price_drop_pct.is_some()
}

#[cfg(test)]
mod tests;
