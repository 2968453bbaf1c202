//! What `basket feeds add`, `feeds list`, `feeds show` and `watch` print: one
//! value per view, shown as a table, JSON or CSV, so the forms cannot drift
//! (docs/architecture.md, point 5).

use std::fmt::Write as _;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::feeds::probe::{describe, Sample, Tried};
use crate::feeds::{ago, shown_url, FeedSource, WOO_LOWEST_VARIATION_LABEL};
use crate::model::{money, Product, Size, StoreOffer, UnitPrice};
use crate::store::FeedReadRecord;

use super::table::Table;

/// `found: Shopify shop, 1,204 products, e.g.` and three examples, each with
/// its price; then the warnings.
pub fn found(sample: &Sample) -> String {
    let mut out = format!(
        "found: {}, {} product{}",
        describe(sample.source.kind),
        thousands(sample.count),
        if sample.count == 1 { "" } else { "s" }
    );
    if sample.report.skipped > 0 {
        let _ = write!(out, " ({} skipped)", thousands(sample.report.skipped));
    }
    out.push_str(", e.g.:");
    for p in &sample.products {
        let _ = write!(out, "\n  {} ({})", p.name, price_cell(p));
    }
    for w in &sample.warnings {
        let _ = write!(out, "\nwarning: {w}");
    }
    out
}

/// Each kind tried and why it did not fit.
pub fn nothing_found(url: &str, tried: &[Tried]) -> String {
    let mut out = format!("{} is none of the kinds basket reads:", shown_url(url));
    for t in tried {
        let _ = write!(out, "\n  {} ({}): {}", describe(t.kind), t.kind, t.why);
    }
    out
}

/// A price as a cell: `91.00 GBP`, `from 1.95 USD` for a variable product, `-`.
fn price_cell(p: &Product) -> String {
    let Some(price) = p.price else {
        return "-".into();
    };
    let from = if p.labels.contains(WOO_LOWEST_VARIATION_LABEL) {
        "from "
    } else {
        ""
    };
    match &p.currency {
        Some(c) => format!("{from}{} {c}", money(price)),
        None => format!("{from}{}", money(price)),
    }
}

/// One feed of `feeds list`.
#[derive(Debug, Serialize)]
pub struct FeedRow {
    pub feed: String,
    pub kind: String,
    pub url: String,
    /// The last good read, RFC 3339.
    pub last_read: Option<DateTime<Utc>>,
    pub products: Option<usize>,
    pub skipped: Option<usize>,
    pub last_error: Option<String>,
}

impl FeedRow {
    pub fn new(source: &FeedSource, read: Option<&FeedReadRecord>) -> FeedRow {
        FeedRow {
            feed: source.name.clone(),
            kind: source.kind.to_string(),
            url: shown_url(&source.url).into_owned(),
            last_read: read.and_then(|r| r.ok_at),
            products: read.filter(|r| r.ok_at.is_some()).map(|r| r.products),
            skipped: read.filter(|r| r.ok_at.is_some()).map(|r| r.skipped),
            last_error: read.and_then(|r| r.error.clone()),
        }
    }
}

pub fn feeds_table(rows: &[FeedRow], now: DateTime<Utc>, width: Option<u16>) -> Table {
    let mut t = Table::new(width);
    t.set_header([
        "feed",
        "kind",
        "url",
        "last read",
        "products",
        "skipped",
        "last error",
    ]);
    let count = |n: Option<usize>| n.map_or("-".to_string(), thousands);
    for r in rows {
        t.add_row([
            r.feed.clone(),
            r.kind.clone(),
            r.url.clone(),
            r.last_read.map_or("never".to_string(), |at| ago(now - at)),
            count(r.products),
            count(r.skipped),
            r.last_error.clone().unwrap_or_else(|| "-".into()),
        ]);
    }
    t
}

pub fn feeds_csv(rows: &[FeedRow]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "feed",
        "kind",
        "url",
        "last_read",
        "products",
        "skipped",
        "last_error",
    ])?;
    let opt = |n: Option<usize>| n.map(|n| n.to_string()).unwrap_or_default();
    for r in rows {
        w.write_record([
            r.feed.as_str(),
            &r.kind,
            &r.url,
            &r.last_read.map(|t| t.to_rfc3339()).unwrap_or_default(),
            &opt(r.products),
            &opt(r.skipped),
            r.last_error.as_deref().unwrap_or(""),
        ])?;
    }
    csv_text(w)
}

/// A product of `feeds show`, every model field, in the documented order.
#[derive(Debug, Serialize)]
pub struct ProductView<'a> {
    pub feed: &'a str,
    pub id: &'a str,
    pub gtin: Option<&'a str>,
    pub name: &'a str,
    pub brand: Option<&'a str>,
    pub categories: &'a [String],
    pub price: Option<String>,
    pub currency: Option<&'a str>,
    pub regular_price: Option<String>,
    pub availability: Option<&'static str>,
    pub url: Option<&'a str>,
    pub contains: Vec<&'a str>,
    pub free_from: Vec<&'a str>,
    pub allergens: Option<Vec<&'a str>>,
    pub traces: Option<Vec<&'a str>>,
    pub labels: Vec<&'a str>,
    /// Only when known (docs/feeds.md, "Sizes").
    #[serde(skip_serializing_if = "Option::is_none")]
    pub size: Option<Size>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unit_price: Option<UnitPrice>,
    /// Per-store stock, price and pickup, from the feed's local inventory.
    #[serde(skip_serializing_if = "<[StoreOffer]>::is_empty")]
    pub stores: &'a [StoreOffer],
}

impl<'a> ProductView<'a> {
    pub fn of(p: &'a Product) -> ProductView<'a> {
        let set =
            |s: &'a std::collections::BTreeSet<String>| s.iter().map(String::as_str).collect();
        ProductView {
            feed: &p.feed,
            id: &p.id,
            gtin: p.gtin.as_deref(),
            name: &p.name,
            brand: p.brand.as_deref(),
            categories: &p.categories,
            price: p.price.map(money),
            currency: p.currency.as_deref(),
            regular_price: p.regular_price.map(money),
            availability: p.availability.map(|a| a.as_str()),
            url: p.url.as_deref(),
            contains: set(&p.contains),
            free_from: set(&p.free_from),
            allergens: p.allergens.as_ref().map(set),
            traces: p.traces.as_ref().map(set),
            labels: set(&p.labels),
            size: p.size,
            unit_price: p.unit_price,
            stores: &p.stores,
        }
    }
}

/// `feeds show --format json`.
#[derive(Debug, Serialize)]
pub struct FeedShow<'a> {
    pub feed: &'a str,
    pub products: Vec<ProductView<'a>>,
    pub skipped: usize,
    pub warnings: &'a [String],
}

pub fn products_table(products: &[Product], width: Option<u16>) -> Table {
    let mut t = Table::new(width);
    // The per-store column only where a local inventory speaks of a product.
    let with_stores = products.iter().any(|p| !p.stores.is_empty());
    let mut header = vec![
        "id",
        "name",
        "brand",
        "price",
        "was",
        "stock",
        "gtin",
        "categories",
    ];
    if with_stores {
        header.push("stores");
    }
    t.set_header(header);
    for p in products {
        let mut row = vec![
            p.id.clone(),
            p.name.clone(),
            p.brand.clone().unwrap_or_else(|| "-".into()),
            price_cell(p),
            p.regular_price.map_or("-".into(), money),
            p.availability
                .map_or("-".to_string(), |a| a.as_str().replace('_', " ")),
            p.gtin.clone().unwrap_or_else(|| "-".into()),
            categories_cell(&p.categories),
        ];
        if with_stores {
            row.push(stores_cell(&p.stores));
        }
        t.add_row(row);
    }
    t
}

/// One line per store: `1234: in stock, 72.50, pickup same_day`.
fn stores_cell(offers: &[StoreOffer]) -> String {
    if offers.is_empty() {
        return "-".into();
    }
    offers
        .iter()
        .map(|o| {
            let mut line = format!(
                "{}: {}",
                o.store,
                o.availability
                    .map_or("-".to_string(), |a| a.as_str().replace('_', " "))
            );
            if let Some(price) = o.price {
                line.push_str(&format!(", {}", money(price)));
            }
            if let Some(pickup) = o.pickup.as_ref().filter(|_| o.has_pickup()) {
                line.push_str(", pickup");
                if let Some(sla) = &pickup.sla {
                    line.push_str(&format!(" {sla}"));
                }
            }
            line
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The first three categories, and how many more: a shop's tags can run to
/// dozens, which the JSON and CSV give in full.
fn categories_cell(categories: &[String]) -> String {
    const SHOWN: usize = 3;
    match categories.len() {
        0 => "-".into(),
        n if n <= SHOWN => categories.join(", "),
        n => format!("{}, +{} more", categories[..SHOWN].join(", "), n - SHOWN),
    }
}

pub fn products_csv(products: &[Product]) -> Result<String, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "feed",
        "id",
        "gtin",
        "name",
        "brand",
        "categories",
        "price",
        "currency",
        "regular_price",
        "availability",
        "url",
        "contains",
        "free_from",
        "allergens",
        "traces",
        "labels",
    ])?;
    let join = |s: &std::collections::BTreeSet<String>| {
        s.iter().map(String::as_str).collect::<Vec<_>>().join(";")
    };
    for p in products {
        w.write_record([
            p.feed.as_str(),
            &p.id,
            p.gtin.as_deref().unwrap_or(""),
            &p.name,
            p.brand.as_deref().unwrap_or(""),
            &p.categories.join(";"),
            &p.price.map(money).unwrap_or_default(),
            p.currency.as_deref().unwrap_or(""),
            &p.regular_price.map(money).unwrap_or_default(),
            p.availability.map_or("", |a| a.as_str()),
            p.url.as_deref().unwrap_or(""),
            &join(&p.contains),
            &join(&p.free_from),
            &p.allergens.as_ref().map(join).unwrap_or_default(),
            &p.traces.as_ref().map(join).unwrap_or_default(),
            &join(&p.labels),
        ])?;
    }
    csv_text(w)
}

fn csv_text(w: csv::Writer<Vec<u8>>) -> Result<String, csv::Error> {
    let bytes = w.into_inner().map_err(|e| e.into_error())?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// `1204` -> `1,204`.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
