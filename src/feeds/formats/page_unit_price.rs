//! A product page's unit price (schema.org `UnitPriceSpecification` with a
//! `referenceQuantity`), read back into the product's size: a page that says
//! 8.80 per 1 KGM of a product at 3.52 sells 0.4 kg. Apart from page.rs, which
//! finds the offer's price; this only adds the size.

use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::model::{parse_measure, Size};

/// How deep the JSON-LD is searched: offers sit two or three levels down.
const MAX_DEPTH: usize = 8;

/// The size the first unit price specification with a reference quantity
/// gives, for a product priced `price`.
pub(super) fn size_from_json_ld(products: &[Map<String, Value>], price: Decimal) -> Option<Size> {
    products
        .iter()
        .find_map(|p| find_spec(p, 0))
        .and_then(|(spec_price, reference)| {
            let amount = reference
                .amount
                .checked_mul(price)?
                .checked_div(spec_price)?;
            Size::new(amount.round_dp(6), reference.unit)
        })
}

fn find_spec(map: &Map<String, Value>, depth: usize) -> Option<(Decimal, Size)> {
    if depth > MAX_DEPTH {
        return None;
    }
    if let Some(found) = spec(map) {
        return Some(found);
    }
    map.values().find_map(|v| match v {
        Value::Object(m) => find_spec(m, depth + 1),
        Value::Array(items) => items
            .iter()
            .filter_map(Value::as_object)
            .find_map(|m| find_spec(m, depth + 1)),
        _ => None,
    })
}

/// `{"price": 8.80, "referenceQuantity": {"value": 1, "unitCode": "KGM"}}`.
fn spec(map: &Map<String, Value>) -> Option<(Decimal, Size)> {
    let reference = key(map, "referenceQuantity")?.as_object()?;
    let price = number(key(map, "price")?)?;
    let value = key(reference, "value")
        .and_then(number)
        .unwrap_or(Decimal::ONE);
    let unit = key(reference, "unitCode").or_else(|| key(reference, "unitText"))?;
    let size = parse_measure(&format!("{value} {}", unit.as_str()?)).ok()?;
    (price > Decimal::ZERO).then_some((price, size))
}

fn key<'a>(map: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(name))
        .map(|(_, v)| v)
}

fn number(v: &Value) -> Option<Decimal> {
    match v {
        Value::Number(n) => Decimal::from_str(&n.to_string()).ok(),
        Value::String(s) => Decimal::from_str(s.trim()).ok(),
        _ => None,
    }
}
