//! The engine's words: each rule's line for `--explain`, and the reasons a
//! proposal gives. Every string the engine shows is built here, so their
//! wording can be read (and kept stable) in one place.

use chrono::Duration;

use crate::model::{money, Product};
use crate::rules::{Rule, Scope, Selector};

use super::actions::PassedOver;
use super::matching::{known_allergen, known_contains};

#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Explanation {
    pub rule: String,
    pub fired: bool,
    /// The rule ran on complete data (false when a feed or the forecast it
    /// needs failed), so what it did not propose no longer applies.
    #[serde(skip)]
    pub evaluated: bool,
    pub proposals: usize,
    pub detail: String,
}

impl std::fmt::Display for Explanation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.fired {
            write!(f, "{}: yes, {}", self.rule, self.detail)
        } else {
            write!(f, "{}: no, {}", self.rule, self.detail)
        }
    }
}

pub(super) fn join_reasons(when: Option<&str>, what: Option<String>) -> String {
    match (when, what) {
        (Some(w), Some(x)) => format!("{w}; {x}"),
        (Some(w), None) => w.to_string(),
        (None, Some(x)) => x,
        (None, None) => "matches the rule".to_string(),
    }
}

/// Why this product: the most telling condition of the selector, in words.
/// `identify`: also say which brand or name matched, when nothing else explains
/// the proposal (a `when` reason already does).
pub(super) fn selector_reason(
    rule: &Rule,
    p: &Product,
    currency: &str,
    identify: bool,
) -> Option<String> {
    let selectors: Vec<&Selector> = rule
        .selector
        .iter()
        .chain(rule.action.product_selector())
        .filter(|s| s.scope == Scope::Catalog)
        .collect();
    let mut parts = Vec::new();
    for s in &selectors {
        if let (Some(cmp), Some(price)) = (&s.price, p.price) {
            for (word, t) in cmp.parts() {
                parts.push(format!(
                    "price {} {currency} is {word} {} {currency}",
                    money(price),
                    money(t)
                ));
            }
        }
        if let (Some(cmp), Some(d)) = (&s.discount_pct, p.discount_pct()) {
            for (word, t) in cmp.parts() {
                parts.push(format!(
                    "{}% off is {word} {}%",
                    d.round_dp(1).normalize(),
                    t.normalize()
                ));
            }
        }
        if let Some(bound) = &s.unit_price {
            if let Some(amount) = p.unit_price.and_then(|u| u.per(bound.per)) {
                let per = bound.per.as_str();
                for (word, t) in bound.cmp.parts() {
                    parts.push(format!(
                        "{} {currency}/{per} is {word} {} {currency}/{per}",
                        money(amount.round_dp(2)),
                        money(t)
                    ));
                }
            }
        }
        if s.on_sale == Some(true) {
            if let (Some(price), Some(regular)) = (p.price, p.regular_price) {
                parts.push(format!(
                    "on sale at {} {currency}, was {}",
                    money(price),
                    money(regular)
                ));
            }
        }
    }
    if parts.is_empty() && identify {
        for s in &selectors {
            if let Some(b) = &p.brand {
                if s.brand.is_some() {
                    parts.push(format!("{b} is listed: '{}' at {}", p.name, p.price_text()));
                    break;
                }
            }
            if let Some(name) = &s.name {
                parts.push(format!(
                    "'{}' matches \"{name}\", at {}",
                    p.name,
                    p.price_text()
                ));
                break;
            }
        }
    }
    (!parts.is_empty()).then(|| parts.join(" and "))
}

pub(super) fn removal_reason(rule: &Rule, p: &Product) -> Option<String> {
    let s = rule.selector.as_ref().or(rule.action.product_selector())?;
    if s.available == Some(false) {
        return Some(format!("'{}' is no longer available", p.name));
    }
    if !s.contains.is_empty() {
        return Some(format!("'{}' contains {}", p.name, human_list(&s.contains)));
    }
    if !s.allergens.is_empty() {
        return Some(format!("'{}' lists {}", p.name, human_list(&s.allergens)));
    }
    Some(format!("'{}' matches the rule", p.name))
}

pub(super) fn swap_reason(
    item: &Product,
    alt: &Product,
    without: &[String],
    without_allergens: &[String],
) -> String {
    let mut has = Vec::new();
    for t in without {
        if known_contains(item, t) {
            has.push(format!("contains {}", t.replace('-', " ")));
        }
    }
    for a in without_allergens {
        if known_allergen(item, a) {
            has.push(format!("contains {a}"));
        }
    }
    let mut free = Vec::new();
    if !without.is_empty() {
        free.push(format!(
            "is {} free",
            without
                .iter()
                .map(|t| t.replace(' ', "-"))
                .collect::<Vec<_>>()
                .join("- and ")
        ));
    }
    if !without_allergens.is_empty() {
        free.push(format!("has no {}", human_list(without_allergens)));
    }
    let lead = if has.is_empty() {
        format!("'{}' matches", item.name)
    } else {
        has.join(" and ")
    };
    format!(
        "{lead}; '{}' {} ({})",
        alt.name,
        free.join(" and "),
        alt.price_text()
    )
}

fn human_list(items: &[String]) -> String {
    items.join(", ")
}

pub(super) fn latched_detail(n: usize) -> String {
    format!(
        "already fired for {n} product{} whose condition has held since; it fires again after the condition is false once",
        plural(n)
    )
}

/// What `prefer = "cheapest_per_unit"` chose by, for the proposal's reason.
pub(super) fn per_unit_reason(p: &Product) -> String {
    match p.unit_price_text() {
        Some(u) => format!("cheapest per unit at {u}"),
        None => "no size known, so the cheapest".to_string(),
    }
}

pub(super) fn unknown_size_detail(n: usize) -> String {
    format!(
        "{n} product{} matched but {} no known size, so no unit price to compare (docs/feeds.md, \"Sizes\")",
        plural(n),
        if n == 1 { "has" } else { "have" }
    )
}

pub(super) fn first_run_detail(n: usize) -> String {
    format!(
        "first run with first_run = \"skip\": {n} product{} already matching noted, not proposed",
        plural(n)
    )
}

pub(super) fn no_candidates_detail(passed: &PassedOver, rule: &Rule) -> String {
    if let Some(p) = &passed.near_miss {
        let cmp = rule
            .selector
            .iter()
            .chain(rule.action.product_selector())
            .find_map(|s| s.price);
        if let (Some(cmp), Some(price)) = (cmp, p.price) {
            if let Some((word, t)) = cmp.first_failing(price) {
                return format!(
                    "cheapest match '{}' is {}, not {word} {}",
                    p.name,
                    p.price_text(),
                    money(t)
                );
            }
        }
    }
    if let Some(p) = &passed.near_miss {
        let bound = rule
            .selector
            .iter()
            .chain(rule.action.product_selector())
            .find_map(|s| s.unit_price);
        if let (Some(bound), Some(unit)) = (bound, p.unit_price) {
            if let Some(amount) = unit.per(bound.per) {
                if let Some((word, t)) = bound.cmp.first_failing(amount) {
                    return format!(
                        "cheapest match '{}' is {} {}/{per}, not {word} {} {}/{per}",
                        p.name,
                        money(amount.round_dp(2)),
                        p.currency.as_deref().unwrap_or(""),
                        money(t),
                        p.currency.as_deref().unwrap_or(""),
                        per = bound.per.as_str()
                    );
                }
            }
        }
    }
    let matches = |n: usize| format!("{n} match{}", if n == 1 { "" } else { "es" });
    let cooldown = human_duration(rule.cooldown);
    if passed.cooling_down > 0 {
        return format!(
            "{} declined recently (cooldown {cooldown})",
            matches(passed.cooling_down)
        );
    }
    if passed.taken_out > 0 {
        return format!(
            "{} removed or swapped out recently (cooldown {cooldown})",
            matches(passed.taken_out)
        );
    }
    "no product matched".to_string()
}

pub fn human_duration(d: Duration) -> String {
    let mins = d.num_minutes();
    if mins % (60 * 24) == 0 && mins > 0 {
        format!("{}d", mins / (60 * 24))
    } else if mins % 60 == 0 && mins > 0 {
        format!("{}h", mins / 60)
    } else {
        format!("{mins}m")
    }
}

pub(super) fn plural(n: usize) -> &'static str {
    if n == 1 {
        ""
    } else {
        "s"
    }
}

pub(super) fn describe(s: &Selector) -> String {
    let mut parts = Vec::new();
    if let Some(n) = &s.name {
        parts.push(format!("'{n}'"));
    }
    if let Some(b) = &s.brand {
        parts.push(format!("brand '{b}'"));
    }
    if let Some(c) = &s.category {
        parts.push(format!("category '{c}'"));
    }
    if let Some(id) = &s.id {
        parts.push(format!("id '{id}'"));
    }
    if let Some(g) = &s.gtin {
        parts.push(format!("gtin {g}"));
    }
    if parts.is_empty() {
        "matching item".to_string()
    } else {
        parts.join(", ")
    }
}

/// `22` not `22.0`; `24.1` as is.
pub(super) fn fmt_num(v: f64) -> String {
    let s = format!("{v}");
    s.strip_suffix(".0").map(str::to_string).unwrap_or(s)
}
