//! Whether a product satisfies a selector: its identity and facts, its price,
//! and its price history; and, for the actions, how candidates are ranked and
//! the best ones kept.

use chrono::{DateTime, Duration, Utc};
use rust_decimal::Decimal;

use crate::model::{Availability, Observation, Product, StoreOffer};
use crate::rules::{Prefer, Scope, Selector};
use crate::text;

use super::folded::{significant_digits, Folded};
use super::Context;

pub(super) static EMPTY_SELECTOR: Selector = Selector {
    scope: Scope::Catalog,
    scope_written: false,
    feed: None,
    id: None,
    gtin: None,
    name_words: Vec::new(),
    name: None,
    brand: None,
    category: None,
    price: None,
    discount_pct: None,
    on_sale: None,
    available: None,
    contains: Vec::new(),
    allergens: Vec::new(),
    labels: Vec::new(),
    lowest_in_days: None,
    price_drop_pct: None,
    new: None,
    back_in_stock: None,
    unit_price: None,
    at_store: Vec::new(),
    pickup: None,
};

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Match {
    Yes,
    No,
    /// Everything but the price condition holds.
    PriceOnly,
    /// A price condition could not be judged: the product is in another currency.
    OtherCurrency,
    /// A unit price condition could not be judged: the product's size is unknown.
    UnknownSize,
}

/// Does `p` satisfy `s`? `catalog_defaults` applies the catalog's implicit
/// `available = true`.
#[inline]
pub(super) fn check(s: &Selector, f: &Folded, ctx: &Context, catalog_defaults: bool) -> Match {
    let p = f.product;
    let currency = ctx.rules.settings.currency.as_str();
    if !check_ignoring_price(s, f) {
        return Match::No;
    }
    // At a store, the store's stock and price stand for the online ones.
    let at_store = if s.at_store.is_empty() {
        None
    } else {
        match store_offer(s, p) {
            Some(o) => Some(o),
            None => return Match::No,
        }
    };
    let wants_available = match at_store {
        Some(_) => s.available,
        None => s.available.or(catalog_defaults.then_some(true)),
    };
    if let Some(want) = wants_available {
        let is = p.availability.is_none_or(Availability::is_available);
        if is != want {
            return Match::No;
        }
    }
    if let Some(sale) = s.on_sale {
        if p.on_sale() != sale {
            return Match::No;
        }
    }
    if let Some(cmp) = &s.discount_pct {
        if !p.discount_pct().is_some_and(|d| cmp.holds(d)) {
            return Match::No;
        }
    }
    if let Some(cmp) = &s.price {
        let Some(price) = at_store.and_then(|o| o.price).or(p.price) else {
            return Match::No;
        };
        if p.currency.as_deref().is_some_and(|c| c != currency) {
            return Match::OtherCurrency;
        }
        if !cmp.holds(price) {
            return Match::PriceOnly;
        }
    }
    if let Some(bound) = &s.unit_price {
        let Some(unit) = p.unit_price else {
            return Match::UnknownSize;
        };
        if p.currency.as_deref().is_some_and(|c| c != currency) {
            return Match::OtherCurrency;
        }
        // A price per litre asked per kilo: no size this rule can judge.
        let Some(amount) = unit.per(bound.per) else {
            return Match::UnknownSize;
        };
        if !bound.cmp.holds(amount) {
            return Match::PriceOnly;
        }
    }
    if s.uses_history() && !history_holds(s, p, ctx) {
        return Match::No;
    }
    Match::Yes
}

/// The history conditions of a selector. Unknown history never satisfies one:
/// no points, less than a day of them, or a feed never seen before.
/// The store the selector's `at_store` (and `pickup`) finds the product at:
/// in stock there (and collectable, for `pickup = true`), the cheapest first,
/// so a price condition holds if it holds at any of them. Its `price` is the
/// store's, or the online one when the store gives none.
pub(super) fn store_offer(s: &Selector, p: &Product) -> Option<StoreOffer> {
    let mut best: Option<StoreOffer> = None;
    for o in &p.stores {
        if !s.at_store.contains(&o.store)
            || !o.in_stock()
            || (s.pickup == Some(true) && !o.has_pickup())
        {
            continue;
        }
        let price = o.price.or(p.price);
        let better = match &best {
            None => true,
            Some(b) => price.unwrap_or(Decimal::MAX) < b.price.unwrap_or(Decimal::MAX),
        };
        if better {
            let mut o = o.clone();
            o.price = price;
            o.currency.clone_from(&p.currency);
            best = Some(o);
        }
    }
    best
}

fn history_holds(s: &Selector, p: &Product, ctx: &Context) -> bool {
    let history = &ctx.memory.history;
    let now = ctx.now;
    if let Some(days) = s.lowest_in_days {
        let points = history.prices(p);
        let enough = points
            .first()
            .is_some_and(|o| o.at <= now - Duration::days(1));
        let low = prices_since(&points, now - Duration::days(i64::from(days)), p)
            .into_iter()
            .min();
        match (enough, low, p.price) {
            (true, Some(low), Some(price)) if price <= low => {}
            _ => return false,
        }
    }
    if let Some(drop) = &s.price_drop_pct {
        let points = history.prices(p);
        let high = prices_since(&points, now - Duration::days(i64::from(drop.days)), p)
            .into_iter()
            .max();
        match (high, p.price) {
            (Some(high), Some(price)) if high > Decimal::ZERO => {
                let pct = (high - price) * Decimal::ONE_HUNDRED / high;
                if !drop.cmp.holds(pct) {
                    return false;
                }
            }
            _ => return false,
        }
    }
    if let Some(want) = s.new {
        let Some(first_seen) = ctx.memory.feeds_seen.get(&p.feed) else {
            return false;
        };
        if *first_seen >= now {
            return false;
        }
        if history.own(p).is_empty() != want {
            return false;
        }
    }
    if let Some(want) = s.back_in_stock {
        let Some(last) = history.own(p).last() else {
            return false;
        };
        let was_out = last.availability.is_some_and(|a| !a.is_available());
        let is_in = p.availability.is_some_and(Availability::is_available);
        if (was_out && is_in) != want {
            return false;
        }
    }
    true
}

/// Prices in effect at some time since `since`: the points after it, and the
/// last one before it (a price holds until the next change). Same currency as
/// the product only.
fn prices_since(points: &[&Observation], since: DateTime<Utc>, p: &Product) -> Vec<Decimal> {
    let same = |o: &&Observation| o.currency.is_none() || o.currency == p.currency;
    let before = points.iter().rfind(|o| same(o) && o.at < since);
    before
        .into_iter()
        .chain(points.iter().filter(|o| same(o) && o.at >= since))
        .filter_map(|o| o.price)
        .collect()
}

/// The identity and fact parts of a selector: what "the basket already holds"
/// and removals judge on an item's recorded product.
#[inline]
pub(super) fn check_ignoring_price(s: &Selector, f: &Folded) -> bool {
    let p = f.product;
    if s.feed.as_deref().is_some_and(|feed| feed != p.feed) {
        return false;
    }
    if s.id.as_deref().is_some_and(|id| id != p.id) {
        return false;
    }
    if let Some(g) = &s.gtin {
        if f.gtin_digits() != Some(significant_digits(g)) {
            return false;
        }
    }
    if !s.name_words.iter().all(|w| f.has_word(w)) {
        return false;
    }
    if s.brand.as_ref().is_some_and(|b| !f.brand_is(b)) {
        return false;
    }
    if s.category.as_ref().is_some_and(|c| !f.in_category(c)) {
        return false;
    }
    if !s.contains.is_empty() && !s.contains.iter().any(|t| known_contains(p, t)) {
        return false;
    }
    if !s.allergens.is_empty() && !s.allergens.iter().any(|a| known_allergen(p, a)) {
        return false;
    }
    if !s
        .labels
        .iter()
        .all(|l| p.labels.iter().any(|pl| text::fold_tag(pl) == *l))
    {
        return false;
    }
    true
}

#[inline]
pub(super) fn known_contains(p: &Product, folded_trait: &str) -> bool {
    p.contains.iter().any(|t| text::fold_tag(t) == folded_trait)
}

#[inline]
pub(super) fn known_free_of_trait(p: &Product, folded_trait: &str) -> bool {
    !known_contains(p, folded_trait)
        && p.free_from
            .iter()
            .any(|t| text::fold_tag(t) == folded_trait)
}

/// Known to contain, or to have traces of, the allergen.
#[inline]
pub(super) fn known_allergen(p: &Product, a: &str) -> bool {
    let has = |set: &Option<std::collections::BTreeSet<String>>| {
        set.as_ref()
            .is_some_and(|s| s.iter().any(|x| text::fold_tag(x) == a))
    };
    has(&p.allergens) || has(&p.traces)
}

/// Both the allergens and the traces are known, and neither lists it: an allergy
/// rule never proposes a product whose allergens are unknown.
#[inline]
pub(super) fn known_free_of_allergen(p: &Product, a: &str) -> bool {
    p.allergens.is_some() && p.traces.is_some() && !known_allergen(p, a)
}

pub(super) fn shares_category(item: &Product, candidate: &Product) -> bool {
    match item.most_specific_category() {
        Some(c) => {
            let c = text::fold_tag(c);
            candidate.categories.iter().any(|x| text::fold_tag(x) == c)
        }
        None => false,
    }
}

pub(super) fn same_product(a: &Product, b: &Product) -> bool {
    a.key() == b.key() || (a.gtin14().is_some() && a.gtin14() == b.gtin14())
}

/// Sort key: smaller is better; feed order breaks ties (the caller's `seq`).
/// Two parts, so `cheapest_per_unit` can put unknown sizes after every known
/// one and order those by price.
#[inline]
pub(super) fn rank(prefer: Prefer, p: &Product, reference: Option<Decimal>) -> (Decimal, Decimal) {
    let price = p.price.unwrap_or(Decimal::MAX);
    match prefer {
        Prefer::Cheapest => (price, Decimal::ZERO),
        Prefer::ClosestPrice => match reference {
            Some(r) => ((price - r).abs(), Decimal::ZERO),
            None => (price, Decimal::ZERO),
        },
        Prefer::First => (Decimal::ZERO, Decimal::ZERO),
        Prefer::CheapestPerUnit => match p.unit_price {
            Some(u) => (u.amount, price),
            None => (Decimal::MAX, price),
        },
    }
}

/// Keeps the best `room` candidates, stable in feed order for equal ranks.
#[inline]
pub(super) fn keep_best<K: PartialOrd + Copy>(
    best: &mut Vec<(usize, Product)>,
    room: usize,
    seq: usize,
    p: &Product,
    key: impl Fn(&Product) -> K,
) {
    let k = key(p);
    if best.len() >= room {
        match best.last() {
            Some((_, worst)) if key(worst) > k => {}
            _ => return,
        }
    }
    let at = best.partition_point(|(s, q)| (key(q), *s) <= (k, seq));
    best.insert(at, (seq, p.clone()));
    best.truncate(room);
}
