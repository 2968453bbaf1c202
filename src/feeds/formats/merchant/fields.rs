//! What a merchant item's attributes are, and how they become a [`Product`]:
//! the attribute names, the prices with their currencies, the sale dates and
//! the categories.

use std::borrow::Cow;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, NaiveDateTime, TimeDelta, Utc};
use rust_decimal::Decimal;

use crate::feeds::FeedSource;
use crate::model::{parse_measure_with_base, Availability, MeasureError, Product, Size};

/// The attributes basket maps. XML elements and TSV columns both name them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Field {
    Id,
    Title,
    Brand,
    Gtin,
    Upc,
    Ean,
    ProductType,
    GoogleCategory,
    Price,
    SalePrice,
    SaleDates,
    Availability,
    Link,
    /// The legacy Google Base currency, given apart from a bare `g:price`.
    Currency,
    /// `750 ml`: how much the product is, for its unit price.
    UnitPricingMeasure,
    /// `100 ml`: what Google shows the unit price per; only checked here.
    UnitPricingBaseMeasure,
    /// RSS `<title>` / Atom `<title>`, used when there is no `g:title`.
    PlainTitle,
    /// RSS `<link>` / Atom `<link href>`, used when there is no `g:link`.
    PlainLink,
    /// RSS `<guid>` / Atom `<id>`: the item's id when there is no `g:id` (the
    /// legacy Google Base feeds had none).
    Guid,
    /// The local inventory attributes (`kind = "merchant-local"`).
    StoreCode,
    Quantity,
    PickupMethod,
    PickupSla,
}

impl Field {
    /// A Google attribute by its name (an element's local name, or a TSV column).
    pub(super) fn google(name: &[u8]) -> Option<Field> {
        Some(match name {
            // Local inventory feeds may name the item `item_id` (or `itemid`).
            b"id" | b"item_id" | b"itemid" => Field::Id,
            b"title" => Field::Title,
            b"brand" => Field::Brand,
            b"gtin" => Field::Gtin,
            b"upc" => Field::Upc,
            b"ean" => Field::Ean,
            b"product_type" => Field::ProductType,
            b"google_product_category" => Field::GoogleCategory,
            b"price" => Field::Price,
            b"sale_price" => Field::SalePrice,
            b"sale_price_effective_date" => Field::SaleDates,
            b"availability" => Field::Availability,
            b"link" => Field::Link,
            b"currency" => Field::Currency,
            b"unit_pricing_measure" => Field::UnitPricingMeasure,
            b"unit_pricing_base_measure" => Field::UnitPricingBaseMeasure,
            b"store_code" => Field::StoreCode,
            b"quantity" => Field::Quantity,
            b"pickup_method" => Field::PickupMethod,
            b"pickup_sla" => Field::PickupSla,
            _ => return None,
        })
    }

    /// An RSS or Atom element of the item itself.
    pub(super) fn plain(name: &[u8]) -> Option<Field> {
        Some(match name {
            b"title" => Field::PlainTitle,
            b"link" => Field::PlainLink,
            b"guid" | b"id" => Field::Guid,
            _ => return None,
        })
    }

    /// The name problems use, as the feed's author wrote it.
    pub(super) fn name(self) -> &'static str {
        match self {
            Field::Id => "id",
            Field::Title => "title",
            Field::Brand => "brand",
            Field::Gtin => "gtin",
            Field::Upc => "upc",
            Field::Ean => "ean",
            Field::ProductType => "product_type",
            Field::GoogleCategory => "google_product_category",
            Field::Price => "price",
            Field::SalePrice => "sale_price",
            Field::SaleDates => "sale_price_effective_date",
            Field::Availability => "availability",
            Field::Link => "link",
            Field::Currency => "currency",
            Field::UnitPricingMeasure => "unit_pricing_measure",
            Field::UnitPricingBaseMeasure => "unit_pricing_base_measure",
            Field::PlainTitle => "<title>",
            Field::PlainLink => "<link>",
            Field::Guid => "<guid>",
            Field::StoreCode => "store_code",
            Field::Quantity => "quantity",
            Field::PickupMethod => "pickup_method",
            Field::PickupSla => "pickup_sla",
        }
    }
}

/// One item's attributes as text, before any of them is checked.
#[derive(Debug, Default)]
pub(super) struct RawItem {
    id: Option<String>,
    title: Option<String>,
    brand: Option<String>,
    gtin: Option<String>,
    upc: Option<String>,
    ean: Option<String>,
    /// `g:product_type` may be given more than once; every path counts.
    product_types: Vec<String>,
    google_categories: Vec<String>,
    price: Option<String>,
    sale_price: Option<String>,
    sale_dates: Option<String>,
    availability: Option<String>,
    link: Option<String>,
    currency: Option<String>,
    unit_pricing_measure: Option<String>,
    unit_pricing_base_measure: Option<String>,
    plain_title: Option<String>,
    plain_link: Option<String>,
    guid: Option<String>,
    pub(super) store_code: Option<String>,
    pub(super) quantity: Option<String>,
    pub(super) pickup_method: Option<String>,
    pub(super) pickup_sla: Option<String>,
}

impl RawItem {
    /// Stores a value, trimmed; blank values are "not given". For single-valued
    /// attributes the first one wins, as a repeated `g:price` would otherwise
    /// silently change the price.
    pub(super) fn set(&mut self, field: Field, value: &str) {
        let value = value.trim();
        if value.is_empty() {
            return;
        }
        let slot = match field {
            Field::ProductType => return self.product_types.push(value.to_string()),
            Field::GoogleCategory => return self.google_categories.push(value.to_string()),
            Field::Id => &mut self.id,
            Field::Title => &mut self.title,
            Field::Brand => &mut self.brand,
            Field::Gtin => &mut self.gtin,
            Field::Upc => &mut self.upc,
            Field::Ean => &mut self.ean,
            Field::Price => &mut self.price,
            Field::SalePrice => &mut self.sale_price,
            Field::SaleDates => &mut self.sale_dates,
            Field::Availability => &mut self.availability,
            Field::Link => &mut self.link,
            Field::Currency => &mut self.currency,
            Field::UnitPricingMeasure => &mut self.unit_pricing_measure,
            Field::UnitPricingBaseMeasure => &mut self.unit_pricing_base_measure,
            Field::PlainTitle => &mut self.plain_title,
            Field::PlainLink => &mut self.plain_link,
            Field::Guid => &mut self.guid,
            Field::StoreCode => &mut self.store_code,
            Field::Quantity => &mut self.quantity,
            Field::PickupMethod => &mut self.pickup_method,
            Field::PickupSla => &mut self.pickup_sla,
        };
        if slot.is_none() {
            *slot = Some(value.to_string());
        }
    }

    /// The item's id and barcode, for a local inventory row's join.
    pub(super) fn take_ids(&mut self) -> (Option<String>, Option<String>) {
        let gtin = self.gtin.take().or(self.upc.take()).or(self.ean.take());
        (self.id.take().or(self.guid.take()), gtin)
    }

    pub(super) fn price_texts(&self) -> (Option<&str>, Option<&str>) {
        (self.price.as_deref(), self.sale_price.as_deref())
    }

    pub(super) fn availability_text(&self) -> Option<&str> {
        self.availability.as_deref()
    }

    /// The id problems name the item by, when it has one.
    pub(super) fn shown_id(&self) -> Option<&str> {
        self.id.as_deref().or(self.guid.as_deref())
    }
}

/// Checks an item's attributes and maps them to a product. `Err` is the reason
/// to skip it, without its position; the `Some` beside a product, what it
/// was kept without (a unit pricing measure that gives no size).
pub(super) fn to_product(
    source: &FeedSource,
    raw: RawItem,
    now: DateTime<Utc>,
) -> Result<(Product, Option<String>), String> {
    let gtin = raw.gtin.or(raw.upc).or(raw.ean);
    // The barcode identifies the product within a feed as well as an id does
    // (the same rule as the json and csv kinds).
    let id = raw
        .id
        .or(raw.guid)
        .or_else(|| gtin.clone())
        .ok_or("no id")?;
    let name = raw.title.or(raw.plain_title).ok_or("no title")?;

    let regular = raw
        .price
        .as_deref()
        .map(|p| parse_money("price", p))
        .transpose()?;
    let sale = raw
        .sale_price
        .as_deref()
        .map(|p| parse_money("sale_price", p))
        .transpose()?;
    let named = |m: &Option<Money>| m.as_ref().and_then(|m| m.currency.clone());
    let currency = match (named(&regular), named(&sale)) {
        (Some(r), Some(s)) if r != s => {
            return Err(format!("sale_price is in {s} but price is in {r}"));
        }
        (Some(c), _) | (None, Some(c)) => Some(c),
        (None, None) => raw
            .currency
            .or_else(|| source.currency.clone())
            .map(|c| c.trim().to_ascii_uppercase()),
    };
    let sale_on = match (&sale, raw.sale_dates.as_deref()) {
        (None, _) => false,
        (Some(_), None) => true,
        (Some(_), Some(range)) => sale_in_effect(range, now)?,
    };
    let (price, regular_price) = match (regular, sale) {
        (regular, Some(sale)) if sale_on => (Some(sale.amount), regular.map(|r| r.amount)),
        (regular, _) => (regular.map(|r| r.amount), None),
    };

    let mut product = Product {
        feed: source.name.clone(),
        id,
        gtin,
        name,
        brand: raw.brand,
        url: raw.link.or(raw.plain_link),
        categories: categories(&raw.product_types, &raw.google_categories),
        price,
        currency,
        regular_price,
        availability: raw.availability.as_deref().and_then(Availability::parse),
        ..Product::default()
    };
    // A measure that gives no size loses the product its unit price, not
    // its place: the name is read instead, and the report says why.
    let measure = unit_pricing(
        raw.unit_pricing_measure.as_deref(),
        raw.unit_pricing_base_measure.as_deref(),
    );
    let kept_without = match measure {
        Ok(size) => {
            product.size = size;
            None
        }
        Err(problem) => Some(problem),
    };
    product.make_printable();
    product.settle_size();
    Ok((product, kept_without))
}

/// The size `g:unit_pricing_measure` gives, checked against
/// `g:unit_pricing_base_measure` (both must measure the same thing).
fn unit_pricing(measure: Option<&str>, base: Option<&str>) -> Result<Option<Size>, String> {
    let Some(measure) = measure else {
        return Ok(None);
    };
    parse_measure_with_base(measure, base)
        .map(Some)
        .map_err(|e| match e {
            MeasureError::OtherDimension => format!(
                "unit_pricing_measure {} is not measured like unit_pricing_base_measure {}",
                quoted(measure),
                quoted(base.unwrap_or_default())
            ),
            e => format!("unit_pricing_measure {} {e}", quoted(measure)),
        })
}

/// The levels of every `product_type` path, then of every `google_product_category`
/// given as a path; Google's numeric category ids name nothing a rule could match.
pub(super) fn categories(product_types: &[String], google: &[String]) -> Vec<String> {
    let paths = product_types.iter().chain(
        google
            .iter()
            .filter(|c| !c.bytes().all(|b| b.is_ascii_digit())),
    );
    let mut levels: Vec<String> = Vec::new();
    for path in paths {
        for level in path.split('>').map(str::trim).filter(|l| !l.is_empty()) {
            if !levels.iter().any(|l| l == level) {
                levels.push(level.to_string());
            }
        }
    }
    levels
}

#[derive(Debug, Clone, PartialEq)]
pub(super) struct Money {
    pub(super) amount: Decimal,
    pub(super) currency: Option<String>,
}

/// `"15.00 GBP"`, `"15 GBP"`, `"1,299.00 USD"`, `"GBP 15.00"`, `"15.00GBP"`, or a
/// bare amount (`"2995"`, the legacy form with a separate `g:currency`).
pub(super) fn parse_money(field: &str, raw: &str) -> Result<Money, String> {
    let not_a_number = || format!("{field} {} is not a number", quoted(raw));
    let tokens: Vec<&str> = raw.split_whitespace().collect();
    let (amount, currency) = match tokens.as_slice() {
        [one] => match parse_amount(one) {
            Some(amount) => (amount, None),
            None => {
                // `15.00USD`: the code written against the amount.
                let split = one.len().saturating_sub(3);
                match (one.get(..split), one.get(split..)) {
                    (Some(a), Some(c)) if is_currency_code(c) && !a.is_empty() => {
                        (parse_amount(a).ok_or_else(not_a_number)?, Some(c))
                    }
                    _ => return Err(not_a_number()),
                }
            }
        },
        [a, c] if is_currency_code(c) => (parse_amount(a).ok_or_else(not_a_number)?, Some(*c)),
        [c, a] if is_currency_code(c) => (parse_amount(a).ok_or_else(not_a_number)?, Some(*c)),
        [a, _] if parse_amount(a).is_some() => {
            return Err(format!(
                "{field} {} has no ISO 4217 currency code",
                quoted(raw)
            ))
        }
        _ => return Err(not_a_number()),
    };
    Ok(Money {
        amount,
        currency: currency.map(str::to_ascii_uppercase),
    })
}

pub(super) fn is_currency_code(s: &str) -> bool {
    s.len() == 3 && s.bytes().all(|b| b.is_ascii_alphabetic())
}

/// An amount as an exact decimal. The decimal separator is the last `.` or `,`
/// when both appear (`1,299.00`, `1.299,00`); a lone `,` followed by exactly three
/// digits is a thousands separator (`1,299`), otherwise a decimal comma (`12,50`);
/// repeated separators of one kind group thousands (`1.299.000`). Groups after the
/// first must have three digits, so `1,2,3` is not read as 123.
pub(super) fn parse_amount(raw: &str) -> Option<Decimal> {
    if !raw
        .bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b',')
    {
        return None;
    }
    let dots = raw.matches('.').count();
    let commas = raw.matches(',').count();
    let decimal = match (raw.rfind('.'), raw.rfind(',')) {
        (Some(d), Some(c)) => Some(if d > c { '.' } else { ',' }),
        (Some(_), None) => (dots == 1).then_some('.'),
        (None, Some(c)) => (commas == 1 && raw.len() - c - 1 != 3).then_some(','),
        (None, None) => None,
    };
    let (int, frac) = match decimal {
        Some(sep) => {
            let (int, frac) = raw.rsplit_once(sep)?;
            if frac.is_empty() || !frac.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            (int, frac)
        }
        None => (raw, ""),
    };
    let group = match decimal {
        Some('.') => ',',
        Some(_) => '.',
        None if dots > 0 => '.',
        None => ',',
    };
    let mut digits = String::with_capacity(int.len() + frac.len() + 1);
    for (i, part) in int.split(group).enumerate() {
        let grouped = int.contains(group);
        let size_ok = match (grouped, i) {
            (false, _) => true,
            (true, 0) => (1..=3).contains(&part.len()),
            (true, _) => part.len() == 3,
        };
        if !size_ok || !part.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits.push_str(part);
    }
    if digits.is_empty() && frac.is_empty() {
        return None;
    }
    if digits.is_empty() {
        digits.push('0');
    }
    if !frac.is_empty() {
        digits.push('.');
        digits.push_str(frac);
    }
    Decimal::from_str(&digits).ok()
}

/// Whether `now` falls in a `start/end` range such as
/// `2011-03-01T13:00-0800/2011-03-11T15:30-0800` (start and end included).
pub(super) fn sale_in_effect(range: &str, now: DateTime<Utc>) -> Result<bool, String> {
    let bad = || {
        format!(
            "sale_price_effective_date {} is not a start/end range of ISO 8601 times",
            quoted(range)
        )
    };
    let (start, end) = range.split_once('/').ok_or_else(bad)?;
    let start = parse_instant(start, false).ok_or_else(bad)?;
    let end = parse_instant(end, true).ok_or_else(bad)?;
    Ok(start <= now && now <= end)
}

/// An ISO 8601 time as feeds write it: with or without seconds, fractions, a
/// `Z` or a `-0800`/`-08:00` offset. A time without an offset is read as UTC; a
/// bare date is its whole day (its start, or for an `end`, its last moment).
pub(super) fn parse_instant(raw: &str, end: bool) -> Option<DateTime<Utc>> {
    let raw = raw.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(raw) {
        return Some(t.with_timezone(&Utc));
    }
    let zoned = match raw.strip_suffix(['Z', 'z']) {
        Some(rest) => Cow::Owned(format!("{rest}+0000")),
        None => Cow::Borrowed(raw),
    };
    for format in [
        "%Y-%m-%dT%H:%M%z",
        "%Y-%m-%dT%H:%M:%S%z",
        "%Y-%m-%dT%H:%M:%S%.f%z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(&zoned, format) {
            return Some(t.with_timezone(&Utc));
        }
    }
    for format in [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%dT%H:%M:%S%.f",
    ] {
        if let Ok(t) = NaiveDateTime::parse_from_str(raw, format) {
            return Some(t.and_utc());
        }
    }
    let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok()?;
    let start = day.and_hms_opt(0, 0, 0)?.and_utc();
    if end {
        Some(start + TimeDelta::days(1) - TimeDelta::nanoseconds(1))
    } else {
        Some(start)
    }
}

/// A value as the feed gave it, quoted and cut short for a one-line problem.
pub(super) fn quoted(raw: &str) -> String {
    format!("\"{}\"", truncate(raw))
}

pub(super) fn truncate(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX).collect();
    cut.push('…');
    cut
}
