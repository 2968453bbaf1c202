//! How much of something a product is (`400 g`, `1.5 l`, `6` items), and what
//! that makes its price per kilo, litre or item (docs/feeds.md, "Sizes").
//!
//! A size comes from the feed when it says (Merchant `unit_pricing_measure`, a
//! page's `referenceQuantity`, a `size` field, Shopify `grams`), else from the
//! product's name read as a person would ([`Size::from_name`]). A name that
//! gives no size leaves it unknown: `Size 42`, `SPF 30`, `iPhone 15` are no
//! sizes. The name is read for every product of a feed, so that reading
//! scans bytes, never allocates and returns at once when there is no digit.

use std::fmt;

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// The unit a size is given in. Pounds and ounces are read into grams.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SizeUnit {
    G,
    Kg,
    Ml,
    Cl,
    L,
    /// A number of items (`6 pack`).
    Count,
}

impl SizeUnit {
    pub fn as_str(self) -> &'static str {
        match self {
            SizeUnit::G => "g",
            SizeUnit::Kg => "kg",
            SizeUnit::Ml => "ml",
            SizeUnit::Cl => "cl",
            SizeUnit::L => "l",
            SizeUnit::Count => "count",
        }
    }

    /// What its unit price is per, and how many of that one of this is.
    fn base(self) -> (UnitBase, Decimal) {
        match self {
            SizeUnit::G => (UnitBase::Kg, Decimal::new(1, 3)),
            SizeUnit::Kg => (UnitBase::Kg, Decimal::ONE),
            SizeUnit::Ml => (UnitBase::L, Decimal::new(1, 3)),
            SizeUnit::Cl => (UnitBase::L, Decimal::new(1, 2)),
            SizeUnit::L => (UnitBase::L, Decimal::ONE),
            SizeUnit::Count => (UnitBase::Item, Decimal::ONE),
        }
    }
}

/// An amount and its unit: `400 g`. The amount is always above zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Size {
    #[serde(with = "rust_decimal::serde::str")]
    pub amount: Decimal,
    pub unit: SizeUnit,
}

impl Size {
    /// `None` for an amount of zero or less: no size, rather than a unit
    /// price divided by zero.
    pub fn new(amount: Decimal, unit: SizeUnit) -> Option<Size> {
        (amount > Decimal::ZERO).then(|| Size {
            amount: amount.normalize(),
            unit,
        })
    }

    /// A weight in grams, as Shopify gives a variant's `grams`; `None` for 0,
    /// which Shopify writes when the weight was never entered.
    pub fn grams(grams: u64) -> Option<Size> {
        Size::new(Decimal::from(grams), SizeUnit::G)
    }

    /// The size a product's name gives, read as a person would: `400g`,
    /// `1.5L`, `2 x 85g` (170 g), `12 x 330 ml`, `6 pack`, `1 lb`. The first
    /// weight or volume wins; a count of items (`6 pack`) beside one
    /// multiplies it, alone it is the size.
    pub fn from_name(name: &str) -> Option<Size> {
        if !name.bytes().any(|b| b.is_ascii_digit()) {
            return None;
        }
        name_reader::read(name.as_bytes())
    }

    /// In how many kilos, litres or items this size is.
    fn in_base(self) -> (UnitBase, Decimal) {
        let (base, factor) = self.unit.base();
        (base, self.amount * factor)
    }

    /// The price per kilo, litre or item of `price` for this size.
    pub fn unit_price(self, price: Decimal) -> Option<UnitPrice> {
        let (per, quantity) = self.in_base();
        let amount = price.checked_div(quantity)?;
        Some(UnitPrice { amount, per })
    }
}

impl fmt::Display for Size {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.unit {
            SizeUnit::Count => write!(f, "{} items", self.amount),
            unit => write!(f, "{} {}", self.amount, unit.as_str()),
        }
    }
}

/// What a unit price is per.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnitBase {
    Kg,
    L,
    Item,
}

impl UnitBase {
    pub fn as_str(self) -> &'static str {
        match self {
            UnitBase::Kg => "kg",
            UnitBase::L => "l",
            UnitBase::Item => "item",
        }
    }
}

/// A price per kilo, litre or item, in the product's currency. Kept exact;
/// shown and written with two decimals (`8.80`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct UnitPrice {
    #[serde(
        serialize_with = "two_decimals",
        deserialize_with = "rust_decimal::serde::str::deserialize"
    )]
    pub amount: Decimal,
    pub per: UnitBase,
}

impl UnitPrice {
    /// The amount per `per` (a rule's `per = "100g"`), when it measures the
    /// same thing: `None` for a price per litre asked per kilo.
    pub fn per(self, per: UnitPer) -> Option<Decimal> {
        let (base, divisor) = per.base();
        (base == self.per).then(|| self.amount / divisor)
    }
}

fn two_decimals<S: serde::Serializer>(amount: &Decimal, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&super::money(amount.round_dp(2)))
}

/// What a rule's `unit_price` is per: `kg`, `100g`, `l`, `100ml` or `item`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnitPer {
    Kg,
    Hundred,
    L,
    HundredMl,
    Item,
}

impl UnitPer {
    pub const ALL: [UnitPer; 5] = [
        UnitPer::Kg,
        UnitPer::Hundred,
        UnitPer::L,
        UnitPer::HundredMl,
        UnitPer::Item,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            UnitPer::Kg => "kg",
            UnitPer::Hundred => "100g",
            UnitPer::L => "l",
            UnitPer::HundredMl => "100ml",
            UnitPer::Item => "item",
        }
    }

    pub fn parse(s: &str) -> Option<UnitPer> {
        UnitPer::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// The base it is a part of, and how many of it make one base.
    fn base(self) -> (UnitBase, Decimal) {
        match self {
            UnitPer::Kg => (UnitBase::Kg, Decimal::ONE),
            UnitPer::Hundred => (UnitBase::Kg, Decimal::TEN),
            UnitPer::L => (UnitBase::L, Decimal::ONE),
            UnitPer::HundredMl => (UnitBase::L, Decimal::TEN),
            UnitPer::Item => (UnitBase::Item, Decimal::ONE),
        }
    }
}

/// Why a feed's measure (`750 bananas`, `0 g`) gives no size.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MeasureError {
    NotAMeasure,
    UnknownUnit(String),
    Zero,
    /// The base measure measures another thing (`750 ml` per `1 kg`).
    OtherDimension,
}

impl fmt::Display for MeasureError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MeasureError::NotAMeasure => f.write_str("is not an amount and a unit"),
            MeasureError::UnknownUnit(u) => write!(
                f,
                "has the unknown unit '{u}' (use g, kg, oz, lb, ml, cl, l, floz or ct)"
            ),
            MeasureError::Zero => f.write_str("is zero"),
            MeasureError::OtherDimension => {
                f.write_str("measures another thing than its base measure")
            }
        }
    }
}

/// A feed's measure, an amount and a unit (`750 ml`, `1kg`, `12 ct`): the
/// units Merchant's `unit_pricing_measure` and schema.org's unit codes use.
pub fn parse_measure(raw: &str) -> Result<Size, MeasureError> {
    let raw = raw.trim();
    let split = raw
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == ','))
        .unwrap_or(raw.len());
    let (number, unit) = raw.split_at(split);
    let amount = name_reader::number(number.as_bytes()).ok_or(MeasureError::NotAMeasure)?;
    let unit = unit.trim();
    if unit.is_empty() {
        return Err(MeasureError::NotAMeasure);
    }
    let (unit, factor) = name_reader::unit(unit.as_bytes())
        .or_else(|| measure_unit_code(unit))
        .ok_or_else(|| MeasureError::UnknownUnit(unit.to_string()))?;
    Size::new(amount * factor, unit).ok_or(MeasureError::Zero)
}

/// schema.org's UN/CEFACT codes for the units it can be given in (`GRM`, `KGM`, `LTR`...).
fn measure_unit_code(code: &str) -> Option<(SizeUnit, Decimal)> {
    Some(match code.to_ascii_uppercase().as_str() {
        "GRM" => (SizeUnit::G, Decimal::ONE),
        "KGM" => (SizeUnit::Kg, Decimal::ONE),
        "MLT" => (SizeUnit::Ml, Decimal::ONE),
        "CLT" => (SizeUnit::Cl, Decimal::ONE),
        "LTR" => (SizeUnit::L, Decimal::ONE),
        "C62" | "H87" | "EA" => (SizeUnit::Count, Decimal::ONE),
        _ => return None,
    })
}

/// A measure with its base measure (Merchant's `unit_pricing_measure` and
/// `unit_pricing_base_measure`): the size, once both measure the same thing.
pub fn parse_measure_with_base(measure: &str, base: Option<&str>) -> Result<Size, MeasureError> {
    let size = parse_measure(measure)?;
    if let Some(base) = base {
        let base = parse_measure(base)?;
        if size.unit.base().0 != base.unit.base().0 {
            return Err(MeasureError::OtherDimension);
        }
    }
    Ok(size)
}

mod name_reader;

#[cfg(test)]
mod tests;
