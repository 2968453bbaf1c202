//! What the command asks before (and while) products stream into an
//! evaluation: which GTINs a facts or price-history source should be asked
//! about, which products are worth recording, and the facts merged in.

use std::collections::{HashMap, HashSet};

use crate::model::{Availability, BasketItem, Product, ProductKey};
use crate::rules::{Action, Rule, RuleSet, Scope, Selector};
use crate::text;

use super::folded::Folded;
use super::matching::{
    check_ignoring_price, known_allergen, known_contains, known_free_of_allergen,
    known_free_of_trait, shares_category,
};

/// Most GTINs asked of a facts source in one run: Open Food Facts is a shared
/// public service, and a swap needs only a handful of candidates.
pub const MAX_FACTS_LOOKUPS: usize = 200;

/// GTINs whose facts could change what a rule proposes: the basket items (their
/// facts decide whether a `contains`/`allergens` rule watches them), and the
/// catalog products that could replace one in a swap but whose facts for that
/// swap are not all known yet. Each GTIN is given as the feed wrote it (one
/// spelling per product, however many feeds list it): Open Food Facts knows an
/// EAN-13 by its 13 digits, not by the 14-digit form used to compare GTINs.
pub fn gtins_needing_facts(
    rules: &RuleSet,
    basket: &[BasketItem],
    products: &[Product],
) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = HashSet::new();
    let mut push = |p: &Product, out: &mut Vec<String>| {
        if let (Some(g14), Some(given)) = (p.gtin14(), p.gtin.as_deref()) {
            if seen.insert(g14) {
                out.push(given.trim().to_string());
            }
        }
    };
    let swaps: Vec<&Rule> = rules
        .rules
        .iter()
        .filter(|r| r.enabled && matches!(r.action, Action::Swap { .. }))
        .collect();
    let uses_facts =
        |s: &Selector| !s.contains.is_empty() || !s.allergens.is_empty() || !s.labels.is_empty();
    let basket_facts = !swaps.is_empty()
        || rules
            .rules
            .iter()
            .any(|r| r.selector.as_ref().is_some_and(uses_facts));
    if basket_facts {
        for item in basket {
            push(&item.product, &mut out);
        }
    }
    let basket_keys: HashSet<ProductKey> = basket.iter().map(|i| i.product.key()).collect();
    for rule in swaps {
        let Action::Swap {
            without,
            without_allergens,
            keep_category,
            ..
        } = &rule.action
        else {
            continue;
        };
        let categories: HashSet<String> = basket
            .iter()
            .filter_map(|i| i.product.most_specific_category())
            .map(text::fold_tag)
            .collect();
        for p in products {
            if basket_keys.contains(&p.key())
                || !p.availability.is_none_or(Availability::is_available)
            {
                continue;
            }
            if *keep_category
                && !p
                    .categories
                    .iter()
                    .any(|c| categories.contains(&text::fold_tag(c)))
            {
                continue;
            }
            let known = without
                .iter()
                .all(|t| known_free_of_trait(p, t) || known_contains(p, t))
                && without_allergens
                    .iter()
                    .all(|a| known_free_of_allergen(p, a) || known_allergen(p, a));
            if !known {
                push(p, &mut out);
            }
        }
    }
    out.truncate(MAX_FACTS_LOOKUPS);
    out
}

/// Most GTINs asked of a price-history source in one run (Open Prices is a
/// shared public service).
pub const MAX_HISTORY_LOOKUPS: usize = 100;

/// GTINs (as the feeds wrote them) of the basket items and of the products some
/// enabled rule watches: those whose history a price-history source can fill.
pub fn watched_gtins(rules: &RuleSet, basket: &[BasketItem], products: &[Product]) -> Vec<String> {
    let selectors = catalog_selectors(rules);
    let mut seen = HashSet::new();
    let mut out = Vec::new();
    let basket_products = basket.iter().map(|i| &i.product);
    let watched = products.iter().filter(|p| {
        let f = Folded::new(p);
        selectors.iter().any(|s| check_ignoring_price(s, &f))
    });
    for p in basket_products.chain(watched) {
        if let (Some(raw), Some(g14)) = (p.gtin.as_ref(), p.gtin14()) {
            if seen.insert(g14) {
                out.push(raw.clone());
            }
        }
        if out.len() >= MAX_HISTORY_LOOKUPS {
            break;
        }
    }
    out
}

/// Whether any enabled rule's catalog selector matches `p`, price and history
/// conditions aside: a product whose state is worth recording (and whose GTIN a
/// price-history source may know).
pub struct Watcher<'r> {
    selectors: Vec<&'r Selector>,
}

impl<'r> Watcher<'r> {
    pub fn new(rules: &'r RuleSet) -> Watcher<'r> {
        Watcher {
            selectors: catalog_selectors(rules),
        }
    }

    pub fn watches(&self, p: &Product) -> bool {
        let f = Folded::new(p);
        self.selectors.iter().any(|s| check_ignoring_price(s, &f))
    }
}

/// Whether a product could be a swap's alternative for some basket item (an
/// enabled swap exists and it shares a basket item's category when the swap
/// keeps categories): the only catalog products whose facts are worth asking.
pub fn may_replace(rules: &RuleSet, basket: &[BasketItem], p: &Product) -> bool {
    rules
        .rules
        .iter()
        .filter(|r| r.enabled)
        .any(|r| match &r.action {
            Action::Swap { keep_category, .. } => {
                !*keep_category || basket.iter().any(|i| shares_category(&i.product, p))
            }
            _ => false,
        })
}

/// Merges facts-only records (Open Food Facts) into the products and basket
/// items with the same GTIN.
pub fn merge_facts_into(facts: &[Product], products: &mut [Product], basket: &mut [BasketItem]) {
    if facts.is_empty() {
        return;
    }
    let by_gtin: HashMap<String, &Product> = facts
        .iter()
        .filter_map(|f| f.gtin14().map(|g| (g, f)))
        .collect();
    for p in products
        .iter_mut()
        .chain(basket.iter_mut().map(|i| &mut i.product))
    {
        if let Some(f) = p.gtin14().and_then(|g| by_gtin.get(&g)) {
            p.merge_facts_from(f);
        }
    }
}

/// The catalog selectors of the enabled rules (their `match` and their
/// action's `product`): a product one of them matches, price and history
/// conditions aside, is watched.
pub(super) fn catalog_selectors(rules: &RuleSet) -> Vec<&Selector> {
    rules
        .rules
        .iter()
        .filter(|r| r.enabled)
        .flat_map(|r| r.selector.iter().chain(r.action.product_selector()))
        .filter(|s| s.scope == Scope::Catalog)
        .collect()
}
