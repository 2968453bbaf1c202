//! `kind = "woocommerce"`: one page of a WooCommerce shop's Store API
//! (`/wp-json/wc/store/v1/products`) turned into products, one per product
//! (a list answer gives a variable product's price range, not each
//! variation's price). The page loop is in `feeds::paged`.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::feeds::{FeedError, FeedReport, FeedSource};
use crate::model::{Availability, Product};

use super::shop::{decimal_of, described, plain_text, valid_gtin, PageRead};

/// Products per page: the Store API's largest.
pub const PER_PAGE: usize = 100;

/// The label a variable product carries: its price is the lowest of its
/// variations' (the list answer has no per-variation prices), and `feeds show`
/// says so.
pub const LOWEST_VARIATION_LABEL: &str = "lowest-variation-price";

/// The URL of page `page` (1-based).
pub(crate) fn page_url(base: &str, page: u32) -> String {
    format!(
        "{}/wp-json/wc/store/v1/products?per_page={PER_PAGE}&page={page}",
        base.trim_end_matches('/')
    )
}

pub(crate) fn parse_page(
    source: &FeedSource,
    document: Value,
    report: &mut FeedReport,
    sink: &mut dyn FnMut(Product),
) -> Result<PageRead, FeedError> {
    let Value::Array(products) = document else {
        return Err(FeedError::Shape(format!(
            "the answer is {}, not a list of WooCommerce products",
            described(&document)
        )));
    };
    let count = products.len();
    for (i, product) in products.iter().enumerate() {
        match read_product(source, product) {
            Ok(p) => {
                report.kept();
                sink(p);
            }
            Err(why) => report.skip(format!("product {}: {why}", i + 1)),
        }
    }
    Ok(PageRead { items: count })
}

fn read_product(source: &FeedSource, product: &Value) -> Result<Product, String> {
    let Value::Object(p) = product else {
        return Err(format!("{} is not an object", described(product)));
    };
    let id = match p.get("id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        _ => return Err("no id".into()),
    };
    let name = text(p, "name")
        .map(|n| plain_text(&n))
        .filter(|n| !n.trim().is_empty())
        .ok_or_else(|| format!("id {id}: no name"))?;
    let prices = match p.get("prices") {
        Some(Value::Object(prices)) => prices,
        _ => return Err(format!("id {id}: no prices")),
    };
    let unit = prices
        .get("currency_minor_unit")
        .and_then(Value::as_u64)
        .filter(|u| *u <= 8)
        .unwrap_or(2) as u32;
    let minor = |v: &Value| decimal_of(v).map(|d| d / Decimal::from(10u64.pow(unit)));
    let variable = p.get("type").and_then(Value::as_str) == Some("variable");
    // A variable product's list answer prices the cheapest variation in
    // `price_range` (when the shop sets one); its plain `price` is often the same.
    let range_min = prices
        .get("price_range")
        .and_then(|r| r.get("min_amount"))
        .filter(|v| !v.is_null());
    let raw_price = match (variable, range_min) {
        (true, Some(min)) => min,
        _ => prices.get("price").unwrap_or(&Value::Null),
    };
    let price = minor(raw_price)
        .ok_or_else(|| format!("id {id}: price {} is not a number", described(raw_price)))?;
    let regular_price = prices
        .get("regular_price")
        .and_then(minor)
        .filter(|r| *r > price);
    let mut categories = names(p.get("categories"));
    // Some shops file products under tags only (categories `[]`).
    categories.extend(names(p.get("tags")));
    let mut product = Product {
        feed: source.name.clone(),
        gtin: text(p, "sku").filter(|s| valid_gtin(s)),
        id,
        name,
        brand: names(p.get("brands")).into_iter().next(),
        url: text(p, "permalink"),
        categories,
        price: Some(price),
        currency: text(prices, "currency_code")
            .map(|c| c.to_ascii_uppercase())
            .or_else(|| source.currency.clone()),
        regular_price,
        availability: p.get("is_in_stock").and_then(Value::as_bool).map(|s| {
            if s {
                Availability::InStock
            } else if p.get("is_on_backorder").and_then(Value::as_bool) == Some(true) {
                Availability::Backorder
            } else {
                Availability::OutOfStock
            }
        }),
        ..Product::default()
    };
    if variable {
        product.labels.insert(LOWEST_VARIATION_LABEL.to_string());
    }
    product.make_printable();
    product.settle_size();
    Ok(product)
}

/// The `name`s of a list of `{id, name, ...}` objects, entities decoded.
fn names(list: Option<&Value>) -> Vec<String> {
    let Some(Value::Array(items)) = list else {
        return Vec::new();
    };
    items
        .iter()
        .filter_map(|c| c.get("name").and_then(Value::as_str))
        .map(plain_text)
        .map(|n| n.trim().to_string())
        .filter(|n| !n.is_empty())
        .collect()
}

fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        _ => None,
    }
}
