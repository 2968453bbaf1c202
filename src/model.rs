//! The product model every feed maps into, the forecast, and the values that flow
//! from the engine to the store and the UI (basket items, proposals, notifications).
//!
//! These types are plain data: no I/O, no knowledge of rules. Money is always a
//! `rust_decimal::Decimal` with an ISO 4217 code, never a float.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use crate::text;

mod size;
mod stores;
pub use stores::{Pickup, PickupMethod, StoreOffer, PICKUP_SLAS};

#[cfg(test)]
pub use size::UnitBase;
pub use size::{parse_measure, parse_measure_with_base, MeasureError, Size, UnitPer, UnitPrice};

/// Whether a product can be bought now.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Availability {
    InStock,
    OutOfStock,
    Preorder,
    Backorder,
}

impl Availability {
    /// Reads the spellings feeds use: `in_stock`, `in stock`, `InStock`,
    /// `https://schema.org/InStock`, `out of stock`, `preorder`, `pre-order`...
    pub fn parse(raw: &str) -> Option<Availability> {
        let tail = raw.rsplit('/').next().unwrap_or(raw);
        // The letters and digits, lowercased, on the stack: this runs for every
        // product of a feed, and every spelling known is short and ASCII.
        let mut squashed = [0u8; 24];
        let mut len = 0;
        for c in tail.chars().filter(|c| c.is_alphanumeric()) {
            for lower in c.to_lowercase() {
                if !lower.is_ascii() || len == squashed.len() {
                    return None;
                }
                squashed[len] = lower as u8;
                len += 1;
            }
        }
        match &squashed[..len] {
            b"instock" | b"available" | b"limitedavailability" | b"onlineonly" | b"instoreonly" => {
                Some(Availability::InStock)
            }
            b"outofstock" | b"soldout" | b"discontinued" | b"unavailable" => {
                Some(Availability::OutOfStock)
            }
            b"preorder" | b"presale" => Some(Availability::Preorder),
            b"backorder" => Some(Availability::Backorder),
            _ => None,
        }
    }

    /// In stock or on preorder: what the catalog's default `available = true` accepts.
    pub fn is_available(self) -> bool {
        matches!(self, Availability::InStock | Availability::Preorder)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Availability::InStock => "in_stock",
            Availability::OutOfStock => "out_of_stock",
            Availability::Preorder => "preorder",
            Availability::Backorder => "backorder",
        }
    }
}

/// One product as a feed describes it.
///
/// Facts are three-valued: a trait in `contains` is known present, in `free_from`
/// known absent, in neither unknown. `allergens`/`traces` are `None` when the feed
/// did not say (unknown), `Some(empty)` when it said "none".
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Product {
    pub feed: String,
    pub id: String,
    pub gtin: Option<String>,
    pub name: String,
    pub brand: Option<String>,
    pub url: Option<String>,
    /// Category path levels and tags, as given (`Food`, `Snacks`, `en:chocolates`).
    pub categories: Vec<String>,
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    pub regular_price: Option<Decimal>,
    pub availability: Option<Availability>,
    pub contains: BTreeSet<String>,
    pub free_from: BTreeSet<String>,
    pub allergens: Option<BTreeSet<String>>,
    pub traces: Option<BTreeSet<String>>,
    pub labels: BTreeSet<String>,
    /// How much of it there is, when the feed or the name says
    /// (docs/feeds.md, "Sizes"); unknown otherwise.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
    /// The price per kilo, litre or item: derived from `price` and `size` by
    /// [`Product::settle_size`], never read from a feed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<UnitPrice>,
    /// What each store of a local inventory feed has of it (docs/feeds.md,
    /// "Local inventory"); empty without one.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub stores: Vec<StoreOffer>,
    /// The store a rule's `at_store` found it at, on the engine's copy of a
    /// matched product (for the reason); never read from a feed nor stored.
    #[serde(skip)]
    pub matched_store: Option<StoreOffer>,
}

impl Product {
    /// What `basket add QUERY` finds: `feed/id`, an id, a barcode, or every
    /// word of the query in the name.
    pub fn matches_query(&self, query: &str) -> bool {
        let q = query.trim();
        if self.key().to_string() == q || self.id == q {
            return true;
        }
        if let (Some(g), Some(pg)) = (normalize_gtin(q), self.gtin14()) {
            return g == pg;
        }
        let want = text::words(q);
        let have = text::words(&self.name);
        !want.is_empty() && want.iter().all(|w| have.contains(w))
    }
}

impl Product {
    /// Every text field without control characters ([`text::make_printable`]):
    /// what a feed lists is shown in terminals, prompts and mails, so each
    /// parser hands its products over through this.
    pub fn make_printable(&mut self) {
        let Product {
            feed: _,
            id,
            gtin,
            name,
            brand,
            url,
            categories,
            price: _,
            currency,
            regular_price: _,
            availability: _,
            contains,
            free_from,
            allergens,
            traces,
            labels,
            size: _,
            unit_price: _,
            stores,
            matched_store: _,
        } = self;
        for s in stores.iter_mut() {
            text::make_printable(&mut s.store);
        }
        for s in [id, name].into_iter().chain(categories.iter_mut()) {
            text::make_printable(s);
        }
        for s in [gtin, brand, url, currency].into_iter().flatten() {
            text::make_printable(s);
        }
        let sets = [contains, free_from, labels]
            .into_iter()
            .chain([allergens, traces].into_iter().flatten());
        for set in sets {
            if set.iter().any(|t| text::has_control(t)) {
                *set = std::mem::take(set)
                    .into_iter()
                    .map(|mut t| {
                        text::make_printable(&mut t);
                        t
                    })
                    .collect();
            }
        }
    }

    /// The size from the name when the feed gave none, and the unit price
    /// that follows from it: each parser calls this once its product is
    /// built, and whatever changes the price calls it again.
    pub fn settle_size(&mut self) {
        if self.size.is_none() {
            self.size = Size::from_name(&self.name);
        }
        self.unit_price = self
            .size
            .zip(self.price)
            .and_then(|(size, price)| size.unit_price(price));
    }

    /// `8.80 GBP/kg`, when the unit price is known.
    pub fn unit_price_text(&self) -> Option<String> {
        let up = self.unit_price?;
        let amount = money(up.amount.round_dp(2));
        Some(match &self.currency {
            Some(c) => format!("{amount} {c}/{}", up.per.as_str()),
            None => format!("{amount}/{}", up.per.as_str()),
        })
    }

    /// `3.52 GBP (8.80 GBP/kg)`: the price, with the unit price when known,
    /// for tables.
    pub fn price_with_unit_text(&self) -> String {
        match self.unit_price_text() {
            Some(u) => format!("{} ({u})", self.price_text()),
            None => self.price_text(),
        }
    }

    /// `feed/id`: unique across a run, and the key the store remembers a product by.
    pub fn key(&self) -> ProductKey {
        ProductKey {
            feed: self.feed.clone(),
            id: self.id.clone(),
        }
    }

    /// The GTIN normalised to 14 digits, for comparing barcodes of different lengths.
    pub fn gtin14(&self) -> Option<String> {
        self.gtin.as_deref().and_then(normalize_gtin)
    }

    /// The most specific category: the last level of the path, else the first tag.
    pub fn most_specific_category(&self) -> Option<&str> {
        self.categories.last().map(String::as_str)
    }

    /// `100 * (regular - price) / regular`, when both are known and regular > 0.
    pub fn discount_pct(&self) -> Option<Decimal> {
        let (price, regular) = (self.price?, self.regular_price?);
        if regular <= Decimal::ZERO {
            return None;
        }
        Some((regular - price) * Decimal::ONE_HUNDRED / regular)
    }

    /// The feed gives a sale price below the regular price.
    pub fn on_sale(&self) -> bool {
        matches!((self.price, self.regular_price), (Some(p), Some(r)) if p < r)
    }

    /// Merges another source's facts about the same GTIN into this product. Known
    /// facts win over unknown ones; a trait known present in one source and absent in
    /// another is treated as present (the cautious reading for allergies).
    pub fn merge_facts_from(&mut self, other: &Product) {
        self.contains.extend(other.contains.iter().cloned());
        self.free_from.extend(other.free_from.iter().cloned());
        let present: Vec<String> = self.contains.iter().cloned().collect();
        for t in present {
            self.free_from.remove(&t);
        }
        merge_optional_set(&mut self.allergens, &other.allergens);
        merge_optional_set(&mut self.traces, &other.traces);
        self.labels.extend(other.labels.iter().cloned());
        // Categories are not facts: merging another source's tags would change
        // which level is "most specific", and so what a swap keeps.
        if self.brand.is_none() {
            self.brand.clone_from(&other.brand);
        }
    }

    /// Price with its currency, for reasons and tables: `14.50 GBP`.
    pub fn price_text(&self) -> String {
        match (&self.price, &self.currency) {
            (Some(p), Some(c)) => format!("{} {}", money(*p), c),
            (Some(p), None) => money(*p),
            _ => "no price".to_string(),
        }
    }
}

fn merge_optional_set(into: &mut Option<BTreeSet<String>>, from: &Option<BTreeSet<String>>) {
    if let Some(from) = from {
        into.get_or_insert_with(BTreeSet::new)
            .extend(from.iter().cloned());
    }
}

/// Formats an amount with at least two decimals: `14.5` -> `14.50`, `3` -> `3.00`.
pub fn money(amount: Decimal) -> String {
    let mut a = amount.normalize();
    if a.scale() < 2 {
        a.rescale(2);
    }
    a.to_string()
}

/// Normalises a GTIN-8/12/13/14 to 14 digits; `None` if it is not 8-14 digits.
pub fn normalize_gtin(raw: &str) -> Option<String> {
    let mut out = String::with_capacity(14);
    normalize_gtin_into(raw, &mut out).then_some(out)
}

/// Digits only, and no more than a GTIN-14 has: a GTIN as feeds usually write
/// it, without the separators people type, which needs no more than padding.
pub fn is_plain_gtin(raw: &str) -> bool {
    !raw.is_empty() && raw.len() <= 14 && raw.bytes().all(|b| b.is_ascii_digit())
}

/// [`normalize_gtin`] into a buffer the caller reuses (cleared first); `false`,
/// with the buffer empty, when `raw` is not a GTIN. The engine does this for
/// every product of a feed.
pub fn normalize_gtin_into(raw: &str, out: &mut String) -> bool {
    out.clear();
    if is_plain_gtin(raw) {
        out.extend(std::iter::repeat_n('0', 14 - raw.len()));
        out.push_str(raw);
        return true;
    }
    let digits = || raw.chars().filter(|c| !c.is_whitespace() && *c != '-');
    let count = digits().count();
    if count == 0 || count > 14 || !digits().all(|c| c.is_ascii_digit()) {
        return false;
    }
    out.extend(std::iter::repeat_n('0', 14 - count));
    out.extend(digits());
    true
}

/// Identifies a product across runs: the feed's name and the feed's id.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct ProductKey {
    pub feed: String,
    pub id: String,
}

impl fmt::Display for ProductKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.feed, self.id)
    }
}

/// Where in a run a feed failed: its kind of failure says which rules it
/// holds back (docs/rules.md, "When a rule is skipped").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FailedAt {
    /// A catalog feed that could not be fetched (nor served from the cache).
    Fetching,
    /// A catalog feed that broke off while its products were being read.
    Reading,
    /// A facts source (Open Food Facts) that failed to answer for some barcodes.
    FactsLookup,
    /// A price-history source (Open Prices) that failed to answer for some barcodes.
    PricesLookup,
}

impl FailedAt {
    /// A catalog feed's own failure: its products are unknown this run.
    pub fn is_catalog(self) -> bool {
        matches!(self, FailedAt::Fetching | FailedAt::Reading)
    }
}

/// Why one feed failed this run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedFailure {
    pub reason: String,
    pub stage: FailedAt,
}

/// The feeds that failed this run, by name: what a rule reads that failed
/// decides whether it is skipped.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FailedInputs(BTreeMap<String, FeedFailure>);

impl FailedInputs {
    /// The first failure of a feed is kept: it is the cause of what follows.
    pub fn insert(&mut self, feed: &str, stage: FailedAt, reason: impl Into<String>) {
        self.0
            .entry(feed.to_string())
            .or_insert_with(|| FeedFailure {
                reason: reason.into(),
                stage,
            });
    }

    pub fn get(&self, feed: &str) -> Option<&FeedFailure> {
        self.0.get(feed)
    }

    /// A catalog feed of this name failed (its products are unknown).
    pub fn catalog_failed(&self, feed: &str) -> Option<&FeedFailure> {
        self.get(feed).filter(|f| f.stage.is_catalog())
    }

    /// How many catalog feeds failed, fetching or reading.
    pub fn catalog_count(&self) -> usize {
        self.0.values().filter(|f| f.stage.is_catalog()).count()
    }

    /// The first feed (by name) that failed at `stage`.
    pub fn first_at(&self, stage: FailedAt) -> Option<(&str, &FeedFailure)> {
        self.iter().find(|(_, f)| f.stage == stage)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &FeedFailure)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v))
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn extend(&mut self, other: &FailedInputs) {
        for (feed, f) in other.iter() {
            self.insert(feed, f.stage, f.reason.clone());
        }
    }
}

impl FeedFailure {
    /// In words, naming the feed: "feed 'pages' failed: HTTP 403 ...".
    pub fn describe(&self, feed: &str) -> String {
        let reason = &self.reason;
        match self.stage {
            FailedAt::Fetching => format!("feed '{feed}' failed: {reason}"),
            FailedAt::Reading => format!("feed '{feed}' failed while being read: {reason}"),
            FailedAt::FactsLookup => format!("facts feed '{feed}' failed: {reason}"),
            FailedAt::PricesLookup => format!("price history feed '{feed}' failed: {reason}"),
        }
    }
}

/// One day of the daily forecast; `None` is unknown (a `null` in the feed).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DailyForecast {
    pub date: Option<NaiveDate>,
    pub temp_max_c: Option<f64>,
    pub temp_min_c: Option<f64>,
    pub precipitation_mm: Option<f64>,
    pub precipitation_probability: Option<f64>,
    pub wind_max_kmh: Option<f64>,
    pub uv_index: Option<f64>,
    pub snowfall_cm: Option<f64>,
}

/// The daily forecast for the shopper's location.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Forecast {
    /// Offset of the location's local time from UTC, so "today" is the location's day.
    pub utc_offset_seconds: i32,
    pub days: Vec<DailyForecast>,
}

impl Forecast {
    pub fn day(&self, date: NaiveDate) -> Option<&DailyForecast> {
        self.days.iter().find(|d| d.date == Some(date))
    }
}

/// A line in the shopper's basket. It keeps the product as it was when added, so
/// rules that look at the basket (`in = "basket"`, `basket.has`) work offline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BasketItem {
    pub product: Product,
    pub quantity: u32,
    pub added_by: Origin,
    pub added_at: chrono::DateTime<chrono::Utc>,
}

/// Who put a line in the basket or made a change: a rule, or the shopper by
/// hand. Stored and shown as the rule's name or `manual`; the rules parser
/// refuses a rule named "manual", so the two can never be mistaken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "String", from = "String")]
pub enum Origin {
    Rule(String),
    Manual,
}

impl Origin {
    /// How a hand change is written in the store, the history and JSON.
    pub const MANUAL: &'static str = "manual";

    pub fn as_str(&self) -> &str {
        match self {
            Origin::Rule(name) => name,
            Origin::Manual => Origin::MANUAL,
        }
    }
}

impl From<String> for Origin {
    fn from(stored: String) -> Origin {
        if stored == Origin::MANUAL {
            Origin::Manual
        } else {
            Origin::Rule(stored)
        }
    }
}

impl From<Origin> for String {
    fn from(origin: Origin) -> String {
        match origin {
            Origin::Rule(name) => name,
            Origin::Manual => Origin::MANUAL.to_string(),
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ActionKind {
    Add,
    Remove,
    Swap,
}

impl ActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ActionKind::Add => "add",
            ActionKind::Remove => "remove",
            ActionKind::Swap => "swap",
        }
    }
    pub fn parse(s: &str) -> Option<ActionKind> {
        match s {
            "add" => Some(ActionKind::Add),
            "remove" => Some(ActionKind::Remove),
            "swap" => Some(ActionKind::Swap),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProposalStatus {
    /// First seen in this run.
    New,
    /// Shown before, not decided yet.
    Pending,
    Approved,
    Declined,
}

impl ProposalStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ProposalStatus::New => "new",
            ProposalStatus::Pending => "pending",
            ProposalStatus::Approved => "approved",
            ProposalStatus::Declined => "declined",
        }
    }
}

/// A change to the basket that a rule proposes and the shopper decides on.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Proposal {
    /// Stable across runs: the same rule proposing the same change gets the same id.
    pub id: String,
    pub rule: String,
    pub action: ActionKind,
    /// For `add`, the product to add; for `swap`, the alternative; for `remove`, the
    /// basket item's product.
    pub product: Product,
    pub quantity: u32,
    /// For `swap`, the basket item being replaced.
    pub replaces: Option<Product>,
    pub reason: String,
    pub status: ProposalStatus,
    /// Taking it would put the basket total over `settings.budget`.
    pub over_budget: bool,
}

impl Proposal {
    /// A change the shopper makes by hand (`basket add`, `basket remove`),
    /// recorded like a rule's approved proposal, as `manual`.
    pub fn by_hand(action: ActionKind, product: Product, quantity: u32) -> Proposal {
        Proposal {
            id: Proposal::stable_id(Origin::MANUAL, action, &product.key(), None),
            rule: Origin::MANUAL.to_string(),
            action,
            product,
            quantity,
            replaces: None,
            reason: "by hand".into(),
            status: ProposalStatus::New,
            over_budget: false,
        }
    }

    /// The rule that made it, or the shopper by hand.
    pub fn origin(&self) -> Origin {
        Origin::from(self.rule.clone())
    }

    /// The stable id: a hash of what the proposal changes, not of when or why.
    pub fn stable_id(
        rule: &str,
        action: ActionKind,
        product: &ProductKey,
        replaces: Option<&ProductKey>,
    ) -> String {
        Proposal::stable_id_of(
            rule,
            action,
            (&product.feed, &product.id),
            replaces.map(|r| (r.feed.as_str(), r.id.as_str())),
        )
    }

    /// [`Proposal::stable_id`] from a product's `(feed, id)`, without building
    /// its key: the engine asks this for every product an `add` rule matches.
    /// The pieces are hashed one after another, which gives the hash of
    /// `rule␟action␟feed/id[␟feed/id]`, the ids stored by earlier versions.
    pub fn stable_id_of(
        rule: &str,
        action: ActionKind,
        (feed, id): (&str, &str),
        replaces: Option<(&str, &str)>,
    ) -> String {
        const SEPARATOR: &[u8] = "\u{1f}".as_bytes();
        let key = |hash: u64, feed: &str, id: &str| {
            let hash = text::fnv1a64_continue(hash, feed.as_bytes());
            let hash = text::fnv1a64_continue(hash, b"/");
            text::fnv1a64_continue(hash, id.as_bytes())
        };
        let mut hash = text::fnv1a64(rule.as_bytes());
        for piece in [SEPARATOR, action.as_str().as_bytes(), SEPARATOR] {
            hash = text::fnv1a64_continue(hash, piece);
        }
        hash = key(hash, feed, id);
        if let Some((feed, id)) = replaces {
            hash = text::fnv1a64_continue(hash, SEPARATOR);
            hash = key(hash, feed, id);
        }
        format!("{hash:016x}")
    }

    /// What the change costs: the added product times the quantity, a swap's
    /// difference, a removal's (negative) saving. `None` when a price is unknown.
    pub fn cost_delta(&self) -> Option<Decimal> {
        let qty = Decimal::from(self.quantity);
        match self.action {
            ActionKind::Add => self.product.price.map(|p| p * qty),
            ActionKind::Remove => self.product.price.map(|p| -p * qty),
            ActionKind::Swap => {
                let new = self.product.price?;
                let old = self.replaces.as_ref()?.price?;
                Some((new - old) * qty)
            }
        }
    }
}

/// One point of a product's price history: what a feed said at a time. Stored
/// only when it differs from the previous point, so a year of hourly runs of a
/// stable price is one row.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Observation {
    pub feed: String,
    pub id: String,
    /// Normalised to 14 digits, so history can follow a barcode across feeds.
    pub gtin: Option<String>,
    pub name: String,
    pub price: Option<Decimal>,
    pub regular_price: Option<Decimal>,
    pub currency: Option<String>,
    pub availability: Option<Availability>,
    pub at: chrono::DateTime<chrono::Utc>,
}

impl Observation {
    pub fn of(p: &Product, at: chrono::DateTime<chrono::Utc>) -> Observation {
        Observation {
            feed: p.feed.clone(),
            id: p.id.clone(),
            gtin: p.gtin14(),
            name: p.name.clone(),
            price: p.price,
            regular_price: p.regular_price,
            currency: p.currency.clone(),
            availability: p.availability,
            at,
        }
    }

    pub fn key(&self) -> ProductKey {
        ProductKey {
            feed: self.feed.clone(),
            id: self.id.clone(),
        }
    }

    /// Same price, regular price, currency and availability: nothing to record.
    pub fn same_state(&self, other: &Observation) -> bool {
        self.price == other.price
            && self.regular_price == other.regular_price
            && self.currency == other.currency
            && self.availability == other.availability
    }
}

/// What a `notify` rule found this run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Notification {
    pub rule: String,
    pub channels: Vec<String>,
    pub products: Vec<Product>,
    /// Whether any product in it was not notified before for this rule (or changed).
    pub new: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Ids are stored (pending, decisions), so the way they are computed must
    /// not change: FNV-1a of `rule␟action␟feed/id[␟feed/id]`.
    #[test]
    fn proposal_ids_hash_the_joined_text() {
        let joined = |text: &str| format!("{:016x}", text::fnv1a64(text.as_bytes()));
        let key = |feed: &str, id: &str| ProductKey {
            feed: feed.into(),
            id: id.into(),
        };
        assert_eq!(
            Proposal::stable_id("choc", ActionKind::Add, &key("grocer", "sku-1"), None),
            joined("choc\u{1f}add\u{1f}grocer/sku-1")
        );
        assert_eq!(
            Proposal::stable_id(
                "palm oil",
                ActionKind::Swap,
                &key("grocer", "7"),
                Some(&key("boots", "x/y"))
            ),
            joined("palm oil\u{1f}swap\u{1f}grocer/7\u{1f}boots/x/y")
        );
        assert_eq!(
            Proposal::stable_id_of("r", ActionKind::Remove, ("f", "1"), None),
            joined("r\u{1f}remove\u{1f}f/1")
        );
    }

    #[test]
    fn gtin_lengths_normalise_to_14_digits() {
        assert_eq!(
            normalize_gtin("12345670").as_deref(),
            Some("00000012345670")
        );
        assert_eq!(
            normalize_gtin("5449000011527").as_deref(),
            Some("05449000011527")
        );
        assert_eq!(
            normalize_gtin("05449000011527").as_deref(),
            Some("05449000011527")
        );
        assert_eq!(normalize_gtin("abc"), None);
        assert_eq!(normalize_gtin("123456789012345"), None);
    }

    #[test]
    fn availability_reads_feed_spellings() {
        for s in [
            "in_stock",
            "in stock",
            "InStock",
            "https://schema.org/InStock",
        ] {
            assert_eq!(Availability::parse(s), Some(Availability::InStock), "{s}");
        }
        assert_eq!(
            Availability::parse("out of stock"),
            Some(Availability::OutOfStock)
        );
        assert_eq!(
            Availability::parse("pre-order"),
            Some(Availability::Preorder)
        );
        assert_eq!(
            Availability::parse("backorder"),
            Some(Availability::Backorder)
        );
        assert_eq!(Availability::parse("maybe"), None);
    }

    #[test]
    fn money_shows_two_decimals() {
        assert_eq!(money(Decimal::new(145, 1)), "14.50");
        assert_eq!(money(Decimal::new(3, 0)), "3.00");
        assert_eq!(money(Decimal::new(34992001, 6)), "34.992001");
    }

    #[test]
    fn discount_is_relative_to_regular_price() {
        let p = Product {
            price: Some(Decimal::new(750, 2)),
            regular_price: Some(Decimal::new(1000, 2)),
            ..Product::default()
        };
        assert_eq!(p.discount_pct(), Some(Decimal::new(25, 0)));
        assert!(p.on_sale());
    }
}

/// What a product looked like when a rule last notified about it: the store
/// remembers it, and the engine compares against it (notify again only when
/// cheaper or back in stock, docs/cli.md).
#[derive(Debug, Clone)]
pub struct NotifiedBefore {
    pub price: Option<Decimal>,
    pub availability: Option<Availability>,
    pub at: DateTime<Utc>,
}

/// One line of a checkout: what was bought, when, at what price, and who put it
/// in the basket. The product is kept whole as it was at the checkout, so a
/// rule's selector can judge it later (`when.every`) as it judges the basket.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Purchase {
    pub bought_at: DateTime<Utc>,
    pub product: Product,
    pub quantity: u32,
    /// The unit price paid: the price of the last check, else the price when
    /// the line was added; `None` when neither was known.
    pub price: Option<Decimal>,
    pub currency: Option<String>,
    /// The regular (non-sale) price at the time, when the feed gave one.
    pub regular_price: Option<Decimal>,
    /// The rule that added the line, or `manual`.
    pub added_by: Origin,
}

/// How many of the latest purchases a learnt rhythm looks at: recent habits
/// count, a year-old one does not.
pub const RHYTHM_PURCHASES: usize = 10;

/// Purchases needed before a rhythm is learnt: three, so two gaps agree on it.
pub const RHYTHM_MIN_PURCHASES: usize = 3;

/// The shopper's rhythm: the median gap between the latest
/// [`RHYTHM_PURCHASES`] distinct purchase times, once there are at least
/// [`RHYTHM_MIN_PURCHASES`]. The median, not the mean, so one late restock
/// does not stretch the interval. `times` need not be sorted.
pub fn median_gap(times: &[DateTime<Utc>]) -> Option<chrono::Duration> {
    let mut times = times.to_vec();
    times.sort();
    times.dedup();
    if times.len() < RHYTHM_MIN_PURCHASES {
        return None;
    }
    let recent = &times[times.len().saturating_sub(RHYTHM_PURCHASES)..];
    let mut gaps: Vec<chrono::Duration> = recent.windows(2).map(|w| w[1] - w[0]).collect();
    gaps.sort();
    let mid = gaps.len() / 2;
    Some(if gaps.len() % 2 == 1 {
        gaps[mid]
    } else {
        (gaps[mid - 1] + gaps[mid]) / 2
    })
}
