//! Which products a rule is about: the `match` table, an action's `product`, and
//! the selectors under `when.basket` (docs/rules.md).
//!
//! Both operations on a selector, `intersect` and `describe_keys`, destructure it
//! whole: a new key is a compile error here until both handle it.

use std::fmt;

use rust_decimal::Decimal;

use super::Comparison;
use crate::model::UnitPer;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Scope {
    #[default]
    Catalog,
    Basket,
}

/// Which products a rule is about. Text fields are stored folded (lowercase, no
/// accents) so matching never allocates per product.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Selector {
    pub scope: Scope,
    /// `in` was written (a swap's or removal's match otherwise means the basket).
    pub scope_written: bool,
    pub feed: Option<String>,
    pub id: Option<String>,
    /// Normalised to 14 digits.
    pub gtin: Option<String>,
    /// Folded words that must all occur in the name.
    pub name_words: Vec<String>,
    /// As written, for messages.
    pub name: Option<String>,
    pub brand: Option<String>,
    pub category: Option<String>,
    pub price: Option<Comparison<Decimal>>,
    pub discount_pct: Option<Comparison<Decimal>>,
    pub on_sale: Option<bool>,
    pub available: Option<bool>,
    /// Any one of these traits (folded tags) is enough.
    pub contains: Vec<String>,
    /// Any one of these allergens, contained or as traces, is enough.
    pub allergens: Vec<String>,
    /// Every one of these labels must be carried.
    pub labels: Vec<String>,
    /// The current price is the lowest seen in the last N days.
    pub lowest_in_days: Option<u32>,
    /// The drop from the highest price of the last `days` days, in percent.
    pub price_drop_pct: Option<PriceDrop>,
    /// First seen in the last run (`new = true`), or not (`false`).
    pub new: Option<bool>,
    /// Out of stock at the previous observation, available now.
    pub back_in_stock: Option<bool>,
    /// The price per kilo, litre or item; a product of unknown size never matches.
    pub unit_price: Option<UnitPriceBound>,
    /// `at_store`: in stock (or limited) at one of these stores; `true` was
    /// read as every code of `[settings] stores`. Empty: not asked.
    pub at_store: Vec<String>,
    /// `pickup = true`: click-and-collect offered at that store.
    pub pickup: Option<bool>,
}

impl Selector {
    /// Whether matching needs the product's price history.
    pub fn uses_history(&self) -> bool {
        self.lowest_in_days.is_some()
            || self.price_drop_pct.is_some()
            || self.new.is_some()
            || self.back_in_stock.is_some()
    }
}

/// `unit_price = { below = "18.00", per = "kg" }`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UnitPriceBound {
    pub cmp: Comparison<Decimal>,
    pub per: UnitPer,
}

#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PriceDrop {
    pub cmp: Comparison<Decimal>,
    pub days: u32,
}

impl Selector {
    /// The selector that matches what both match: a rule's `match` and its
    /// action's `product`. A key set on one side is kept; name words and labels
    /// add up; where both set a bound the stricter wins (the higher lower
    /// bound, the lower upper bound, the longer `lowest_in_days`).
    ///
    /// Some pairs no selector can hold, and [`Selector::conflicts`] names them:
    /// two different feeds, ids, gtins, brands or categories (no product is
    /// both; self's is kept), flags that disagree (`true` is kept), `contains`
    /// or `allergens` lists that differ (each asks for any one of its entries;
    /// the entries both share are kept, else self's), and `price_drop_pct` over
    /// two windows (the shorter is kept).
    pub fn intersect(&self, other: &Selector) -> Selector {
        self.combine(other).0
    }

    /// The keys [`Selector::intersect`] could not combine exactly, in the rules
    /// file's order. Empty: the intersection is exact.
    pub fn conflicts(&self, other: &Selector) -> Vec<&'static str> {
        self.combine(other).1
    }

    fn combine(&self, other: &Selector) -> (Selector, Vec<&'static str>) {
        // Both sides whole, so a new key cannot be forgotten here.
        let Selector {
            scope,
            scope_written,
            feed,
            id,
            gtin,
            name_words,
            name,
            brand,
            category,
            price,
            discount_pct,
            on_sale,
            available,
            contains,
            allergens,
            labels,
            lowest_in_days,
            price_drop_pct,
            new,
            back_in_stock,
            unit_price,
            at_store,
            pickup,
        } = self;
        let Selector {
            scope: scope2,
            scope_written: scope_written2,
            feed: feed2,
            id: id2,
            gtin: gtin2,
            name_words: name_words2,
            name: name2,
            brand: brand2,
            category: category2,
            price: price2,
            discount_pct: discount_pct2,
            on_sale: on_sale2,
            available: available2,
            contains: contains2,
            allergens: allergens2,
            labels: labels2,
            lowest_in_days: lowest_in_days2,
            price_drop_pct: price_drop_pct2,
            new: new2,
            back_in_stock: back_in_stock2,
            unit_price: unit_price2,
            at_store: at_store2,
            pickup: pickup2,
        } = other;
        let mut c = Vec::new();
        let both = Selector {
            // The basket is the narrower place: what is in it came from a catalog.
            scope: if *scope == Scope::Basket || *scope2 == Scope::Basket {
                Scope::Basket
            } else {
                Scope::Catalog
            },
            scope_written: *scope_written || *scope_written2,
            feed: same(&mut c, "feed", feed, feed2),
            id: same(&mut c, "id", id, id2),
            gtin: same(&mut c, "gtin", gtin, gtin2),
            name_words: all_of(name_words, name_words2),
            name: match (name, name2) {
                (Some(a), Some(b)) if a != b => Some(format!("{a} {b}")),
                (a, b) => a.clone().or_else(|| b.clone()),
            },
            brand: same(&mut c, "brand", brand, brand2),
            category: same(&mut c, "category", category, category2),
            price: both_bounds(price, price2),
            discount_pct: both_bounds(discount_pct, discount_pct2),
            on_sale: flag(&mut c, "on_sale", *on_sale, *on_sale2),
            available: flag(&mut c, "available", *available, *available2),
            contains: any_of(&mut c, "contains", contains, contains2),
            allergens: any_of(&mut c, "allergens", allergens, allergens2),
            labels: all_of(labels, labels2),
            // The lowest of the last 30 days is also the lowest of the last 14.
            lowest_in_days: match (lowest_in_days, lowest_in_days2) {
                (Some(a), Some(b)) => Some(*a.max(b)),
                (a, b) => a.or(*b),
            },
            price_drop_pct: price_drop(&mut c, price_drop_pct, price_drop_pct2),
            new: flag(&mut c, "new", *new, *new2),
            back_in_stock: flag(&mut c, "back_in_stock", *back_in_stock, *back_in_stock2),
            unit_price: unit_bounds(&mut c, unit_price, unit_price2),
            at_store: any_of(&mut c, "at_store", at_store, at_store2),
            pickup: flag(&mut c, "pickup", *pickup, *pickup2),
        };
        (both, c)
    }
}

/// A key that names one value: set on one side, or the same on both.
fn same(
    conflicts: &mut Vec<&'static str>,
    key: &'static str,
    a: &Option<String>,
    b: &Option<String>,
) -> Option<String> {
    if let (Some(x), Some(y)) = (a, b) {
        if x != y {
            conflicts.push(key);
        }
    }
    a.clone().or_else(|| b.clone())
}

/// Lists of which every entry must hold (name words, labels): both lists.
fn all_of(a: &[String], b: &[String]) -> Vec<String> {
    let mut out = a.to_vec();
    out.extend(b.iter().filter(|x| !a.contains(x)).cloned());
    out
}

/// Lists of which one entry is enough (`contains`, `allergens`): exact when
/// one is empty or both hold the same entries.
fn any_of(
    conflicts: &mut Vec<&'static str>,
    key: &'static str,
    a: &[String],
    b: &[String],
) -> Vec<String> {
    if a.is_empty() {
        return b.to_vec();
    }
    if b.is_empty() {
        return a.to_vec();
    }
    let shared: Vec<String> = a.iter().filter(|x| b.contains(x)).cloned().collect();
    let same_entries = shared.len() == a.len() && b.iter().all(|x| a.contains(x));
    if !same_entries {
        conflicts.push(key);
    }
    // One of the shared entries satisfies both lists.
    if shared.is_empty() {
        a.to_vec()
    } else {
        shared
    }
}

/// A flag set on both sides must agree; when they do not, `true` (the
/// condition that was asked for) wins.
fn flag(
    conflicts: &mut Vec<&'static str>,
    key: &'static str,
    a: Option<bool>,
    b: Option<bool>,
) -> Option<bool> {
    match (a, b) {
        (Some(x), Some(y)) if x != y => {
            conflicts.push(key);
            Some(true)
        }
        (x, y) => x.or(y),
    }
}

fn both_bounds(
    a: &Option<Comparison<Decimal>>,
    b: &Option<Comparison<Decimal>>,
) -> Option<Comparison<Decimal>> {
    match (a, b) {
        (Some(x), Some(y)) => Some(x.intersect(y)),
        (x, y) => x.or(*y),
    }
}

/// Two unit prices per the same unit: both bounds. Per different units
/// (`kg` and `l`) no product is both; self's is kept.
fn unit_bounds(
    conflicts: &mut Vec<&'static str>,
    a: &Option<UnitPriceBound>,
    b: &Option<UnitPriceBound>,
) -> Option<UnitPriceBound> {
    match (a, b) {
        (Some(x), Some(y)) if x.per == y.per => Some(UnitPriceBound {
            cmp: x.cmp.intersect(&y.cmp),
            per: x.per,
        }),
        (Some(x), Some(_)) => {
            conflicts.push("unit_price");
            Some(*x)
        }
        (x, y) => x.or(*y),
    }
}

/// Two drops over the same window: both bounds. Over different windows the
/// shorter one is kept with both bounds: a drop from the highest of the last
/// 14 days is at most the drop from the highest of the last 30, so the lower
/// bounds rules use (`at_least`, `above`) then imply both, but not upper ones.
fn price_drop(
    conflicts: &mut Vec<&'static str>,
    a: &Option<PriceDrop>,
    b: &Option<PriceDrop>,
) -> Option<PriceDrop> {
    match (a, b) {
        (Some(x), Some(y)) => {
            let PriceDrop { cmp, days } = *x;
            if days != y.days {
                conflicts.push("price_drop_pct");
            }
            Some(PriceDrop {
                cmp: cmp.intersect(&y.cmp),
                days: days.min(y.days),
            })
        }
        (x, y) => x.or(*y),
    }
}

impl Selector {
    /// Every key the selector sets, as the rules file spells it, with its value
    /// written as TOML (`("price", "{ below = 2.50 }")`), in the rules file's
    /// order. `in` is always there: where a selector looks matters even when it
    /// was not written. Text is shown folded, as it is matched.
    pub fn describe_keys(&self) -> Vec<(&'static str, String)> {
        let Selector {
            scope,
            // `in` is shown whether written or not.
            scope_written: _,
            feed,
            id,
            gtin,
            // Derived from `name`, which is shown as written.
            name_words: _,
            name,
            brand,
            category,
            price,
            discount_pct,
            on_sale,
            available,
            contains,
            allergens,
            labels,
            lowest_in_days,
            price_drop_pct,
            new,
            back_in_stock,
            unit_price,
            at_store,
            pickup,
        } = self;
        let scope = match scope {
            Scope::Catalog => "catalog",
            Scope::Basket => "basket",
        };
        let mut out = vec![("in", quoted(scope))];
        let mut text = |key, v: &Option<String>| {
            if let Some(v) = v {
                out.push((key, quoted(v)));
            }
        };
        text("feed", feed);
        text("id", id);
        text("gtin", gtin);
        text("name", name);
        text("brand", brand);
        text("category", category);
        let mut push = |key, v: Option<String>| out.extend(v.map(|v| (key, v)));
        push("price", price.as_ref().map(|c| bounds(c, None)));
        push(
            "discount_pct",
            discount_pct.as_ref().map(|c| bounds(c, None)),
        );
        push("on_sale", on_sale.map(|b| b.to_string()));
        push("available", available.map(|b| b.to_string()));
        push("contains", list(contains));
        push("allergens", list(allergens));
        push("labels", list(labels));
        push("lowest_in_days", lowest_in_days.map(|n| n.to_string()));
        push(
            "price_drop_pct",
            price_drop_pct.map(|d| bounds(&d.cmp, Some(d.days))),
        );
        push("new", new.map(|b| b.to_string()));
        push("back_in_stock", back_in_stock.map(|b| b.to_string()));
        push("unit_price", unit_price.map(|u| bounds_per(&u.cmp, u.per)));
        push("at_store", list(at_store));
        push("pickup", pickup.map(|b| b.to_string()));
        out
    }
}

/// The selector as an inline TOML table: `{ in = "basket", name = "pasta" }`.
impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let keys: Vec<String> = self
            .describe_keys()
            .into_iter()
            .map(|(k, v)| format!("{k} = {v}"))
            .collect();
        write!(f, "{{ {} }}", keys.join(", "))
    }
}

/// A TOML string, escaped as TOML escapes it.
fn quoted(s: &str) -> String {
    toml::Value::String(s.to_string()).to_string()
}

/// A TOML list of strings, or nothing for an empty list (the key is unset).
fn list(items: &[String]) -> Option<String> {
    if items.is_empty() {
        return None;
    }
    let items: Vec<String> = items.iter().map(|i| quoted(i)).collect();
    Some(format!("[{}]", items.join(", ")))
}

/// `{ below = 18.00, per = "kg" }`.
fn bounds_per(c: &Comparison<Decimal>, per: UnitPer) -> String {
    let inner = bounds(c, None);
    let inner = inner.trim_end_matches(" }");
    format!("{inner}, per = {} }}", quoted(per.as_str()))
}

/// A comparison table, with `days` last for `price_drop_pct`.
fn bounds(c: &Comparison<Decimal>, days: Option<u32>) -> String {
    let Comparison {
        above,
        below,
        at_least,
        at_most,
    } = c;
    let mut parts: Vec<String> = [
        ("above", above),
        ("below", below),
        ("at_least", at_least),
        ("at_most", at_most),
    ]
    .into_iter()
    .filter_map(|(k, v)| v.map(|v| format!("{k} = {v}")))
    .collect();
    parts.extend(days.map(|d| format!("days = {d}")));
    format!("{{ {} }}", parts.join(", "))
}

#[cfg(test)]
mod tests;
