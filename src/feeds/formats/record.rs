//! One record in the model's own field names -> one [`Product`].
//!
//! JSON and CSV feeds share these rules (docs/feeds.md, kinds `json` and `csv`), so both
//! go through [`product_from_record`], which reads fields through [`Record`]: a
//! JSON object, or a CSV row read in place (no map built per row, which was half
//! the cost of reading a large CSV feed). A record that breaks a rule comes back
//! as the reason it was skipped, without its position; the caller adds
//! `record 4: ` or `line 4: `.

use std::collections::BTreeSet;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::model::{parse_measure, Availability, Product, Size};

use crate::feeds::FeedSource;

/// One field of a record, as the feed gave it.
pub(crate) enum Field<'a> {
    Text(&'a str),
    /// Anything else a JSON record can hold (numbers, lists, objects...).
    Json(&'a Value),
}

/// A record whose fields are looked up by the model's names.
pub(crate) trait Record {
    /// The field, or `None` when it is absent or `null` (unknown).
    fn field(&self, name: &str) -> Option<Field<'_>>;

    /// Whether any of its text may hold a control character: `false` only
    /// when that is known for the whole record at once (a CSV row's bytes are
    /// checked in one pass), which spares checking its product field by field.
    fn may_hold_controls(&self) -> bool {
        true
    }
}

impl Record for Map<String, Value> {
    fn field(&self, name: &str) -> Option<Field<'_>> {
        match self.get(name)? {
            Value::Null => None,
            Value::String(s) => Some(Field::Text(s)),
            other => Some(Field::Json(other)),
        }
    }
}

/// Maps one record. `Err` is the reason to skip it, e.g. `price "abc" is not a number`.
pub(crate) fn product_from_record(
    source: &FeedSource,
    record: &impl Record,
) -> Result<Product, String> {
    let gtin = text(record, "gtin")?;
    let id = match text(record, "id")? {
        Some(id) => id,
        // The barcode identifies the product within a feed as well as an id does.
        None => gtin.clone().ok_or("no id or gtin")?,
    };
    let name = text(record, "name")?.ok_or("no name")?;
    let currency = text(record, "currency")?
        .or_else(|| source.currency.clone())
        .map(|c| c.trim().to_ascii_uppercase());
    // A price in a made-up currency cannot be compared, summed or budgeted;
    // `zorkmids` used to become the currency `ZORKMIDS`.
    if let Some(code) = currency
        .as_deref()
        .filter(|c| !super::price::is_iso_code(c))
    {
        let given = text(record, "currency")?.unwrap_or_else(|| code.to_string());
        return Err(format!(
            "currency {} is not an ISO 4217 code",
            quoted(&given)
        ));
    }
    let availability = text(record, "availability")?
        .as_deref()
        .and_then(Availability::parse);
    let mut product = Product {
        feed: source.name.clone(),
        id,
        gtin,
        name,
        brand: text(record, "brand")?,
        url: text(record, "url")?,
        categories: categories(record)?,
        price: price(record, "price")?,
        currency,
        regular_price: price(record, "regular_price")?,
        availability,
        contains: tags(record, "contains")?.unwrap_or_default(),
        free_from: tags(record, "free_from")?.unwrap_or_default(),
        allergens: tags(record, "allergens")?,
        traces: tags(record, "traces")?,
        labels: tags(record, "labels")?.unwrap_or_default(),
        size: size(record)?,
        unit_price: None,
        stores: Vec::new(),
        matched_store: None,
    };
    if record.may_hold_controls() {
        product.make_printable();
    }
    product.settle_size();
    Ok(product)
}

/// A text field, trimmed; absent, `null` and `""` are all "not given". Numbers are
/// accepted for ids and barcodes, which some exporters write unquoted.
fn text(record: &impl Record, field: &str) -> Result<Option<String>, String> {
    match record.field(field) {
        None => Ok(None),
        Some(Field::Text(s)) => {
            let s = s.trim();
            Ok((!s.is_empty()).then(|| s.to_string()))
        }
        Some(Field::Json(Value::Number(n))) => Ok(Some(n.to_string())),
        Some(Field::Json(other)) => Err(format!("{field} {} is not text", shown(other))),
    }
}

/// A price as an exact decimal. JSON numbers go through their shortest textual form
/// (`0.1` stays `0.1`), never through float arithmetic.
fn price(record: &impl Record, field: &str) -> Result<Option<Decimal>, String> {
    let number;
    let raw = match record.field(field) {
        None => return Ok(None),
        Some(Field::Text(s)) if s.trim().is_empty() => return Ok(None),
        Some(Field::Text(s)) => s.trim(),
        Some(Field::Json(Value::Number(n))) => {
            number = n.to_string();
            number.as_str()
        }
        Some(Field::Json(other)) => {
            return Err(format!("{field} {} is not a number", shown(other)))
        }
    };
    let value = Decimal::from_str(raw)
        .or_else(|_| Decimal::from_scientific(raw))
        .map_err(|_| format!("{field} {} is not a number", quoted(raw)))?;
    if value.is_sign_negative() && !value.is_zero() {
        return Err(format!("{field} {} is negative", quoted(raw)));
    }
    if value > Decimal::from(MAX_PRICE) {
        return Err(format!(
            "{field} {} is too large to be a price",
            quoted(raw)
        ));
    }
    Ok(Some(value))
}

/// `size`: `"400 g"`, `"1.5 l"`, `"6 ct"`, or basket's own JSON form
/// `{"amount": "400", "unit": "g"}` (docs/feeds.md, "Sizes").
fn size(record: &impl Record) -> Result<Option<Size>, String> {
    let joined;
    let raw = match record.field("size") {
        None => return Ok(None),
        Some(Field::Text(s)) if s.trim().is_empty() => return Ok(None),
        Some(Field::Text(s)) => s,
        Some(Field::Json(Value::Object(o))) => {
            let part = |k: &str| match o.get(k) {
                Some(Value::String(s)) => s.clone(),
                Some(Value::Number(n)) => n.to_string(),
                _ => String::new(),
            };
            joined = format!("{} {}", part("amount"), part("unit"));
            joined.as_str()
        }
        Some(Field::Json(other)) => return Err(format!("size {} is not a size", shown(other))),
    };
    parse_measure(raw)
        .map(Some)
        .map_err(|e| format!("size {} {e}", quoted(raw.trim())))
}

/// No shelf price comes near this. Capping prices where they enter keeps every sum
/// and product made of them (price x quantity, basket totals, discounts) far inside
/// `Decimal`'s range, whose overflow is a panic.
const MAX_PRICE: u64 = 1_000_000_000_000;

/// Categories: a path (`Food > Snacks > Chocolate`), a `;` list, or a JSON list,
/// kept as given apart from trimming; matching folds them later.
fn categories(record: &impl Record) -> Result<Vec<String>, String> {
    let keep = |c: &str| {
        let c = c.trim();
        (!c.is_empty()).then(|| c.to_string())
    };
    match record.field("categories") {
        None => Ok(Vec::new()),
        Some(Field::Text(s)) => {
            let sep = if s.contains('>') { '>' } else { ';' };
            Ok(s.split(sep).filter_map(keep).collect())
        }
        Some(Field::Json(Value::Array(items))) => Ok(list_items(items, "categories")?
            .into_iter()
            .filter_map(keep)
            .collect()),
        Some(Field::Json(other)) => Err(format!("categories {} is not a list", shown(other))),
    }
}

/// A set of traits, allergens or labels: a JSON list or a `;`-separated string,
/// lowercased and trimmed, without an `en:` prefix. `None` when the field is absent
/// or `null` (unknown); an empty list is `Some(empty)` (known: none).
fn tags(record: &impl Record, field: &str) -> Result<Option<BTreeSet<String>>, String> {
    let items = match record.field(field) {
        None => return Ok(None),
        // An empty string is "not given", like an empty CSV cell.
        Some(Field::Text(s)) if s.trim().is_empty() => return Ok(None),
        Some(Field::Text(s)) => s.split(';').collect(),
        Some(Field::Json(Value::Array(items))) => list_items(items, field)?,
        Some(Field::Json(other)) => return Err(format!("{field} {} is not a list", shown(other))),
    };
    Ok(Some(
        items
            .iter()
            .map(|t| normalize_tag(t))
            .filter(|t| !t.is_empty())
            .collect(),
    ))
}

fn list_items<'v>(items: &'v [Value], field: &str) -> Result<Vec<&'v str>, String> {
    items
        .iter()
        .map(|item| match item {
            Value::String(s) => Ok(s.as_str()),
            other => Err(format!(
                "{field} has {} where text was expected",
                shown(other)
            )),
        })
        .collect()
}

/// `" EN:Palm-Oil "` -> `palm-oil`.
fn normalize_tag(raw: &str) -> String {
    let lower = raw.trim().to_lowercase();
    match lower.strip_prefix("en:") {
        Some(rest) => rest.trim().to_string(),
        None => lower,
    }
}

/// A value as it appears in the feed, for problem messages (strings quoted).
fn shown(value: &Value) -> String {
    let text = value.to_string();
    truncate(&text)
}

fn quoted(raw: &str) -> String {
    truncate(&Value::String(raw.to_string()).to_string())
}

/// Keeps problem messages one short line even when a field holds a whole document.
fn truncate(text: &str) -> String {
    const MAX: usize = 40;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let mut cut: String = text.chars().take(MAX).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::FeedKind;
    use serde_json::json;

    fn source() -> FeedSource {
        FeedSource {
            name: "grocer".into(),
            kind: FeedKind::Json,
            url: String::new(),
            currency: Some("gbp".into()),
            rate_limit: None,
            of: None,
        }
    }

    fn map(v: Value) -> Map<String, Value> {
        match v {
            Value::Object(m) => m,
            _ => panic!("test record must be an object"),
        }
    }

    #[test]
    fn maps_every_field() {
        let p = product_from_record(
            &source(),
            &map(json!({
                "id": "sku-1", "gtin": "05449000011527", "name": " Dark chocolate ",
                "brand": "Acme", "url": "https://shop.example/1",
                "categories": "Food > Snacks > Chocolate",
                "price": "1.99", "regular_price": 2.5, "currency": "eur",
                "availability": "in stock",
                "contains": ["EN:Palm-Oil"], "free_from": "gluten; en:nuts",
                "allergens": ["en:milk"], "labels": ["Organic", " fair-trade "],
                "unknown": {"ignored": true}
            })),
        )
        .expect("valid record");
        assert_eq!(p.feed, "grocer");
        assert_eq!(p.id, "sku-1");
        assert_eq!(p.gtin.as_deref(), Some("05449000011527"));
        assert_eq!(p.name, "Dark chocolate");
        assert_eq!(p.categories, ["Food", "Snacks", "Chocolate"]);
        assert_eq!(p.price, Some(Decimal::new(199, 2)));
        assert_eq!(p.regular_price, Some(Decimal::new(25, 1)));
        assert_eq!(p.currency.as_deref(), Some("EUR"));
        assert_eq!(p.availability, Some(Availability::InStock));
        assert!(p.contains.contains("palm-oil"));
        assert_eq!(p.free_from.iter().collect::<Vec<_>>(), ["gluten", "nuts"]);
        assert_eq!(p.allergens, Some(BTreeSet::from(["milk".to_string()])));
        assert_eq!(p.traces, None);
        assert!(p.labels.contains("organic") && p.labels.contains("fair-trade"));
    }

    #[test]
    fn currency_falls_back_to_the_feed_and_is_uppercased() {
        let p =
            product_from_record(&source(), &map(json!({"id": "1", "name": "Tea"}))).expect("valid");
        assert_eq!(p.currency.as_deref(), Some("GBP"));
    }

    #[test]
    fn gtin_stands_in_for_a_missing_id() {
        let p = product_from_record(
            &source(),
            &map(json!({"gtin": 5449000011527u64, "name": "Fanta"})),
        )
        .expect("valid");
        assert_eq!(p.id, "5449000011527");
        let err = product_from_record(&source(), &map(json!({"name": "Fanta"})));
        assert_eq!(err, Err("no id or gtin".to_string()));
        let err = product_from_record(&source(), &map(json!({"id": "1"})));
        assert_eq!(err, Err("no name".to_string()));
    }

    #[test]
    fn prices_are_exact_and_checked() {
        let get = |v: Value| price(&map(json!({ "price": v })), "price");
        assert_eq!(
            get(json!("14.50")).map(|p| p.map(|d| d.to_string())),
            Ok(Some("14.50".into()))
        );
        assert_eq!(get(json!(0.1)), Ok(Some(Decimal::new(1, 1))));
        assert_eq!(get(json!(3)), Ok(Some(Decimal::new(3, 0))));
        assert_eq!(get(json!(1e-7)), Ok(Some(Decimal::new(1, 7))));
        assert_eq!(
            get(json!("abc")),
            Err("price \"abc\" is not a number".into())
        );
        assert_eq!(
            get(json!("-1.00")),
            Err("price \"-1.00\" is negative".into())
        );
        assert_eq!(get(json!(true)), Err("price true is not a number".into()));
        assert_eq!(
            get(json!("79228162514264337593543950335")),
            Err("price \"79228162514264337593543950335\" is too large to be a price".into())
        );
        assert_eq!(
            get(json!("1e13")),
            Err("price \"1e13\" is too large to be a price".into())
        );
        assert_eq!(
            get(json!(1_000_000_000_000u64)),
            Ok(Some(Decimal::from(MAX_PRICE)))
        );
        assert_eq!(get(json!("")), Ok(None));
    }

    #[test]
    fn categories_accept_paths_lists_and_semicolons() {
        let get = |v: Value| categories(&map(json!({ "categories": v })));
        assert_eq!(
            get(json!(["en:chocolates", " Snacks "])),
            Ok(vec!["en:chocolates".into(), "Snacks".into()])
        );
        assert_eq!(get(json!("a; b")), Ok(vec!["a".into(), "b".into()]));
        assert!(get(json!(5)).is_err());
    }
}
