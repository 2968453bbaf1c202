//! `basket stats`: what was spent (by month, shop, category or rule), what the
//! rules saved, each rule's record and each product's rhythm (how often, when
//! last, at what average price: the shopper's own recency, frequency and
//! money). Pure: an aggregation of what the store hands over, the one value
//! the table, the CSV and the JSON are printed from.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDate, SecondsFormat, Utc};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::checkout::money_map;
use crate::cli::StatsBy;
use crate::model::{median_gap, money, Observation, Origin, ProductKey, Purchase};
use crate::store::RuleRecord;

/// How far back "the highest price before" looks from a purchase.
pub const HIGH_WINDOW_DAYS: i64 = 30;

/// The key of a purchase without a category, under `--by category`.
pub const NO_CATEGORY: &str = "(no category)";

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spend {
    pub key: String,
    pub currency: String,
    #[serde(serialize_with = "money_one")]
    pub amount: Decimal,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Rhythm {
    pub feed: String,
    pub id: String,
    pub name: String,
    /// Purchases (checkouts) that included it.
    pub purchases: usize,
    /// The median gap between them in whole days, once there are enough.
    pub every_days: Option<i64>,
    pub last: String,
    #[serde(serialize_with = "money_opt")]
    pub average_price: Option<Decimal>,
    pub currency: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Stats {
    pub since: Option<NaiveDate>,
    #[serde(skip)]
    pub by: StatsBy,
    pub spend: Vec<Spend>,
    /// What the rules' purchases saved against the regular price.
    #[serde(serialize_with = "money_map")]
    pub saved: BTreeMap<String, Decimal>,
    /// ... and against the highest price of the 30 days before each purchase.
    #[serde(serialize_with = "money_map")]
    pub saved_vs_30_day_high: BTreeMap<String, Decimal>,
    pub rules: Vec<RuleRecord>,
    pub products: Vec<Rhythm>,
}

/// What the stats are computed from.
pub struct Inputs<'a> {
    pub since: Option<NaiveDate>,
    pub by: StatsBy,
    /// The purchases since `since`, oldest first.
    pub purchases: &'a [Purchase],
    pub rules: Vec<RuleRecord>,
    /// The stored price history of the products the rules bought.
    pub history: &'a HashMap<ProductKey, Vec<Observation>>,
}

impl Stats {
    pub fn compute(inputs: Inputs) -> Stats {
        let (saved, saved_high) = savings(inputs.purchases, inputs.history);
        Stats {
            since: inputs.since,
            by: inputs.by,
            spend: spend(inputs.purchases, inputs.by),
            saved,
            saved_vs_30_day_high: saved_high,
            rules: inputs.rules,
            products: rhythms(inputs.purchases),
        }
    }
}

/// The start of `day` in UTC: what `--since DATE` means.
pub fn start_of(day: NaiveDate) -> DateTime<Utc> {
    day.and_time(chrono::NaiveTime::MIN).and_utc()
}

fn spend(purchases: &[Purchase], by: StatsBy) -> Vec<Spend> {
    let mut sums: BTreeMap<(String, String), Decimal> = BTreeMap::new();
    for p in purchases {
        let (Some(price), Some(currency)) = (p.price, &p.currency) else {
            continue;
        };
        let key = match by {
            StatsBy::Month => p.bought_at.format("%Y-%m").to_string(),
            StatsBy::Shop => p.product.feed.clone(),
            StatsBy::Category => p
                .product
                .most_specific_category()
                .unwrap_or(NO_CATEGORY)
                .to_string(),
            StatsBy::Rule => p.added_by.to_string(),
        };
        *sums.entry((key, currency.clone())).or_default() += price * Decimal::from(p.quantity);
    }
    let mut out: Vec<Spend> = sums
        .into_iter()
        .map(|((key, currency), amount)| Spend {
            key,
            currency,
            amount,
        })
        .collect();
    // Months in time order; the rest biggest first.
    if by != StatsBy::Month {
        out.sort_by(|a, b| (&a.currency, b.amount, &a.key).cmp(&(&b.currency, a.amount, &b.key)));
    }
    out
}

/// Per currency, what each rule's purchase saved against its regular price,
/// and against the highest price of the 30 days before it; never below zero
/// (a price above the regular one is no saving, and no loss the rule caused).
fn savings(
    purchases: &[Purchase],
    history: &HashMap<ProductKey, Vec<Observation>>,
) -> (BTreeMap<String, Decimal>, BTreeMap<String, Decimal>) {
    let mut regular = BTreeMap::new();
    let mut high = BTreeMap::new();
    for p in purchases.iter().filter(|p| p.added_by != Origin::Manual) {
        let (Some(price), Some(currency)) = (p.price, &p.currency) else {
            continue;
        };
        let qty = Decimal::from(p.quantity);
        if let Some(r) = p.regular_price {
            *regular.entry(currency.clone()).or_insert(Decimal::ZERO) +=
                (r - price).max(Decimal::ZERO) * qty;
        }
        let points = history.get(&p.product.key()).map_or(&[][..], Vec::as_slice);
        if let Some(h) = highest_before(points, p.bought_at, currency) {
            *high.entry(currency.clone()).or_insert(Decimal::ZERO) +=
                (h - price).max(Decimal::ZERO) * qty;
        }
    }
    (regular, high)
}

/// The highest price in `currency` in force during the 30 days up to `at`:
/// the points inside the window and the one already in force at its start.
fn highest_before(points: &[Observation], at: DateTime<Utc>, currency: &str) -> Option<Decimal> {
    let start = at - Duration::days(HIGH_WINDOW_DAYS);
    let in_force = points
        .iter()
        .filter(|o| o.at <= start)
        .max_by_key(|o| o.at)
        .into_iter();
    in_force
        .chain(points.iter().filter(|o| o.at > start && o.at <= at))
        .filter(|o| o.currency.as_deref() == Some(currency))
        .filter_map(|o| o.price)
        .max()
}

/// Each product bought: how often, when last, at what average unit price
/// (weighted by quantity, in the currency of its latest purchase). Most
/// bought first.
fn rhythms(purchases: &[Purchase]) -> Vec<Rhythm> {
    let mut by_product: BTreeMap<ProductKey, Vec<&Purchase>> = BTreeMap::new();
    for p in purchases {
        by_product.entry(p.product.key()).or_default().push(p);
    }
    let mut out: Vec<Rhythm> = by_product
        .into_values()
        .filter_map(|list| {
            let latest = *list.iter().max_by_key(|p| p.bought_at)?;
            let times: Vec<DateTime<Utc>> = list.iter().map(|p| p.bought_at).collect();
            let currency = latest.currency.clone();
            let (mut sum, mut units) = (Decimal::ZERO, Decimal::ZERO);
            for p in list.iter().filter(|p| p.currency == currency) {
                if let Some(price) = p.price {
                    sum += price * Decimal::from(p.quantity);
                    units += Decimal::from(p.quantity);
                }
            }
            let average = (units > Decimal::ZERO).then(|| (sum / units).round_dp(2));
            Some(Rhythm {
                feed: latest.product.feed.clone(),
                id: latest.product.id.clone(),
                name: latest.product.name.clone(),
                purchases: list.len(),
                every_days: median_gap(&times).map(|d| (d.num_hours() + 12) / 24),
                last: latest.bought_at.to_rfc3339_opts(SecondsFormat::Secs, true),
                average_price: average,
                currency,
            })
        })
        .collect();
    out.sort_by(|a, b| (b.purchases, &b.last, &a.name).cmp(&(a.purchases, &a.last, &b.name)));
    out
}

fn money_opt<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    v.map(money).serialize(s)
}

fn money_one<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    money(*v).serialize(s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Product;
    use std::str::FromStr;

    fn bought(day: u32, id: &str, price: &str, rule: &str) -> Purchase {
        Purchase {
            bought_at: start_of(NaiveDate::from_ymd_opt(2026, 10, day).expect("day")),
            product: Product {
                feed: "shop".into(),
                id: id.into(),
                name: id.into(),
                ..Product::default()
            },
            quantity: 2,
            price: Some(Decimal::from_str(price).expect("price")),
            currency: Some("GBP".into()),
            regular_price: Some(Decimal::from_str("2.00").expect("price")),
            added_by: Origin::from(rule.to_string()),
        }
    }

    #[test]
    fn a_manual_purchase_saves_nothing_and_a_rules_saves_per_unit() {
        let purchases = [
            bought(1, "a", "1.50", "r"),
            bought(2, "a", "1.00", "manual"),
        ];
        let (saved, _) = savings(&purchases, &HashMap::new());
        assert_eq!(
            saved.get("GBP"),
            Some(&Decimal::from_str("1.00").expect("d"))
        );
    }

    #[test]
    fn the_rhythm_is_the_median_gap_in_days() {
        let purchases = [
            bought(1, "a", "1.00", "r"),
            bought(11, "a", "1.00", "r"),
            bought(23, "a", "2.00", "r"),
        ];
        let r = rhythms(&purchases);
        assert_eq!(r[0].every_days, Some(11));
        assert_eq!(
            r[0].average_price,
            Some(Decimal::from_str("1.33").expect("d"))
        );
    }
}
