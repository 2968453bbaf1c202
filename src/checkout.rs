//! The checkout review: the basket grouped by shop, each line at its price of
//! the last check, marked where that differs from when it was added, where it
//! is out of stock now, or where its feed no longer lists it; totals per shop
//! and currency, and what the budget leaves. Pure: built from what the store
//! holds, printed by [`crate::output::checkout`], and the same value the JSON
//! shows (docs/architecture.md, point 5).

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Serialize, Serializer};

use crate::model::{money, Availability, BasketItem, Observation, Origin, ProductKey};
use crate::store::{CheckoutLine, Store, StoreError};

/// What a line is marked with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mark {
    /// Its price now is not the price it was added at.
    PriceChanged,
    OutOfStock,
    /// Its feed answered the last check without it: bought, if confirmed, at
    /// its last known price.
    NotListed,
}

impl Mark {
    pub fn text(self) -> &'static str {
        match self {
            Mark::PriceChanged => "price changed",
            Mark::OutOfStock => "out of stock now",
            Mark::NotListed => "not listed any more",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReviewLine {
    pub feed: String,
    pub id: String,
    pub name: String,
    pub url: Option<String>,
    pub quantity: u32,
    #[serde(serialize_with = "money_opt")]
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    #[serde(skip)]
    pub regular_price: Option<Decimal>,
    #[serde(serialize_with = "money_opt")]
    pub price_when_added: Option<Decimal>,
    /// Price × quantity, when the price is known.
    #[serde(serialize_with = "money_opt")]
    pub total: Option<Decimal>,
    pub marks: Vec<Mark>,
    pub added_by: Origin,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ShopReview {
    pub shop: String,
    pub lines: Vec<ReviewLine>,
    #[serde(serialize_with = "money_map")]
    pub totals: BTreeMap<String, Decimal>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Budget {
    #[serde(serialize_with = "money_one")]
    pub budget: Decimal,
    /// What is left of it after this checkout.
    #[serde(serialize_with = "money_one")]
    pub left: Decimal,
    pub currency: String,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Review {
    pub shops: Vec<ShopReview>,
    #[serde(serialize_with = "money_map")]
    pub totals: BTreeMap<String, Decimal>,
    pub budget: Option<Budget>,
}

/// What the review is built from.
pub struct Inputs<'a> {
    pub basket: &'a [BasketItem],
    /// Each product's latest stored observation (the last check's state).
    pub latest: &'a HashMap<ProductKey, Observation>,
    /// Lines whose feed no longer lists them.
    pub unlisted: &'a HashMap<ProductKey, DateTime<Utc>>,
    /// Only this shop's lines (`--shop`).
    pub shop: Option<&'a str>,
    /// `settings.budget` and `settings.currency`.
    pub budget: Option<(Decimal, &'a str)>,
}

impl Review {
    /// The review of `store`'s basket (of one shop's lines, with `shop`).
    pub fn of_store(
        store: &Store,
        shop: Option<&str>,
        budget: Option<(Decimal, &str)>,
    ) -> Result<Review, StoreError> {
        let basket = store.basket()?;
        let keys: Vec<ProductKey> = basket.iter().map(|i| i.product.key()).collect();
        Ok(Review::build(&Inputs {
            basket: &basket,
            latest: &store.latest_observations(&keys)?,
            unlisted: &store.unlisted()?,
            shop,
            budget,
        }))
    }

    pub fn build(inputs: &Inputs) -> Review {
        let mut shops: Vec<ShopReview> = Vec::new();
        let mut totals = BTreeMap::new();
        for item in inputs.basket {
            let shop = &item.product.feed;
            if inputs.shop.is_some_and(|s| s != shop) {
                continue;
            }
            let line = review_line(item, inputs);
            if let (Some(t), Some(c)) = (line.total, &line.currency) {
                *totals.entry(c.clone()).or_insert(Decimal::ZERO) += t;
            }
            let at = match shops.iter().position(|s| &s.shop == shop) {
                Some(at) => at,
                None => {
                    shops.push(ShopReview {
                        shop: shop.clone(),
                        lines: Vec::new(),
                        totals: BTreeMap::new(),
                    });
                    shops.len() - 1
                }
            };
            let group = &mut shops[at];
            if let (Some(t), Some(c)) = (line.total, &line.currency) {
                *group.totals.entry(c.clone()).or_insert(Decimal::ZERO) += t;
            }
            group.lines.push(line);
        }
        let budget = inputs.budget.map(|(budget, currency)| Budget {
            budget,
            left: budget - totals.get(currency).copied().unwrap_or_default(),
            currency: currency.to_string(),
        });
        Review {
            shops,
            totals,
            budget,
        }
    }

    pub fn is_empty(&self) -> bool {
        self.shops.is_empty()
    }

    /// The products of its lines.
    pub fn keys(&self) -> Vec<ProductKey> {
        self.checkout_lines().into_iter().map(|l| l.key).collect()
    }

    pub fn line_count(&self) -> usize {
        self.shops.iter().map(|s| s.lines.len()).sum()
    }

    /// The lines to move into the purchases, at the review's prices.
    pub fn checkout_lines(&self) -> Vec<CheckoutLine> {
        self.shops
            .iter()
            .flat_map(|s| &s.lines)
            .map(|l| CheckoutLine {
                key: ProductKey {
                    feed: l.feed.clone(),
                    id: l.id.clone(),
                },
                price: l.price,
                currency: l.currency.clone(),
                regular_price: l.regular_price,
            })
            .collect()
    }
}

/// One line at its current price: the last check's, unless the line was
/// added (by hand, from a fresher feed) after it.
fn review_line(item: &BasketItem, inputs: &Inputs) -> ReviewLine {
    let p = &item.product;
    let key = p.key();
    let seen = inputs.latest.get(&key).filter(|o| o.at >= item.added_at);
    let (price, currency, regular, availability) = match seen {
        Some(o) => (
            o.price.or(p.price),
            o.currency.clone(),
            o.regular_price,
            o.availability,
        ),
        None => (p.price, p.currency.clone(), p.regular_price, p.availability),
    };
    let mut marks = Vec::new();
    if matches!((price, p.price), (Some(now), Some(then)) if now != then) {
        marks.push(Mark::PriceChanged);
    }
    let unlisted = inputs.unlisted.contains_key(&key);
    if availability == Some(Availability::OutOfStock) && !unlisted {
        marks.push(Mark::OutOfStock);
    }
    if unlisted {
        marks.push(Mark::NotListed);
    }
    ReviewLine {
        feed: p.feed.clone(),
        id: p.id.clone(),
        name: p.name.clone(),
        url: p.url.clone(),
        quantity: item.quantity,
        price,
        currency,
        regular_price: regular,
        price_when_added: p.price,
        total: price.map(|x| x * Decimal::from(item.quantity)),
        marks,
        added_by: item.added_by.clone(),
    }
}

fn money_opt<S: Serializer>(v: &Option<Decimal>, s: S) -> Result<S::Ok, S::Error> {
    v.map(money).serialize(s)
}

fn money_one<S: Serializer>(v: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    money(*v).serialize(s)
}

pub(crate) fn money_map<S: Serializer>(
    v: &BTreeMap<String, Decimal>,
    s: S,
) -> Result<S::Ok, S::Error> {
    let shown: BTreeMap<&str, String> = v.iter().map(|(c, a)| (c.as_str(), money(*a))).collect();
    shown.serialize(s)
}
