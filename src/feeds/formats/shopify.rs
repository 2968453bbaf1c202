//! `kind = "shopify"`: one page of a Shopify shop's `/products.json`, or one
//! product's `/products/<handle>.js` answer, turned into products: one per
//! *variant*, since a size or a colour is what a shopper buys (docs/feeds.md,
//! kind `shopify`). The page loop is in `feeds::paged`; this file sees one
//! page's bytes and fetches nothing.

use rust_decimal::Decimal;
use serde_json::{Map, Value};

use crate::feeds::{FeedError, FeedReport, FeedSource};
use crate::model::{Availability, Product, Size};

use super::shop::{decimal_of, described, valid_gtin, PageRead};

/// The URL a feed asks for page `page` (1-based): the shop's product list, or
/// a single product's `.js` answer when the feed's URL is a product's
/// (`https://shop.example/products/boot`), which has one page only.
pub(crate) fn page_url(base: &str, page: u32) -> Option<String> {
    let base = base.trim_end_matches('/');
    if let Some(product) = product_url(base) {
        return (page == 1).then(|| format!("{product}.js"));
    }
    Some(format!("{base}/products.json?limit=250&page={page}"))
}

/// `https://shop.example/products/boot` (query and fragment dropped) when the
/// URL names one product, else `None`.
pub fn product_url(url: &str) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let mut segments = parsed.path_segments()?.filter(|s| !s.is_empty());
    let handle = loop {
        match segments.next()? {
            "products" => break segments.next()?,
            _ => continue,
        }
    };
    let handle = handle.strip_suffix(".js").unwrap_or(handle);
    let handle = handle.strip_suffix(".json").unwrap_or(handle);
    if handle.is_empty() || handle.contains('.') {
        return None;
    }
    let mut out = parsed.clone();
    out.set_query(None);
    out.set_fragment(None);
    let path = parsed.path();
    let cut = path.find("/products/")? + "/products/".len();
    out.set_path(&format!("{}{handle}", &path[..cut]));
    Some(out.to_string())
}

/// The shop's base URL (for product links): what comes before `/products/`.
fn shop_base(url: &str) -> &str {
    let url = url.trim_end_matches('/');
    match url.find("/products/") {
        Some(i) => &url[..i],
        None => url,
    }
}

/// Reads one page: `{"products": [...]}`, or a bare product object (the `.js`
/// answer, whose prices are integer cents).
pub(crate) fn parse_page(
    source: &FeedSource,
    document: Value,
    report: &mut FeedReport,
    sink: &mut dyn FnMut(Product),
) -> Result<PageRead, FeedError> {
    let base = shop_base(&source.url);
    match document {
        Value::Object(mut top) => match top.remove("products") {
            Some(Value::Array(products)) => {
                let count = products.len();
                for (i, product) in products.into_iter().enumerate() {
                    read_product(source, base, i + 1, product, Money::Decimal, report, sink);
                }
                Ok(PageRead { items: count })
            }
            Some(other) => Err(FeedError::Shape(format!(
                "\"products\" is {}, not a list",
                described(&other)
            ))),
            None if top.contains_key("variants") => {
                read_product(
                    source,
                    base,
                    1,
                    Value::Object(top),
                    Money::Cents,
                    report,
                    sink,
                );
                Ok(PageRead { items: 1 })
            }
            None => Err(FeedError::Shape(
                "no \"products\" list: not a Shopify products.json answer".into(),
            )),
        },
        other => Err(FeedError::Shape(format!(
            "the answer is {}, not a Shopify products.json object",
            described(&other)
        ))),
    }
}

/// How a page writes its prices: `/products.json` as decimal text (`"91.00"`),
/// the `.js` answer as integer cents (`1595`).
#[derive(Clone, Copy)]
enum Money {
    Decimal,
    Cents,
}

/// One product's variants into `sink`; each bad variant skipped and counted.
fn read_product(
    source: &FeedSource,
    base: &str,
    n: usize,
    product: Value,
    money: Money,
    report: &mut FeedReport,
    sink: &mut dyn FnMut(Product),
) {
    let Value::Object(product) = product else {
        report.skip(format!(
            "product {n}: {} is not an object",
            described(&product)
        ));
        return;
    };
    let title = text(&product, "title").unwrap_or_default();
    let label = if title.is_empty() {
        format!("product {n}")
    } else {
        format!("product {n} ({title:?})")
    };
    let variants = match product.get("variants") {
        Some(Value::Array(v)) if !v.is_empty() => v,
        _ => {
            report.skip(format!("{label}: no variants"));
            return;
        }
    };
    if title.is_empty() {
        report.skip(format!("{label}: no title"));
        return;
    }
    let shared = Shared::of(&product, base);
    for (i, variant) in variants.iter().enumerate() {
        match read_variant(source, &shared, &title, variant, money) {
            Ok(p) => {
                report.kept();
                sink(p);
            }
            Err(why) => report.skip(format!("{label}, variant {}: {why}", i + 1)),
        }
    }
}

/// What every variant of a product shares.
struct Shared {
    vendor: Option<String>,
    categories: Vec<String>,
    /// `{base}/products/{handle}`.
    link: Option<String>,
}

impl Shared {
    fn of(product: &Map<String, Value>, base: &str) -> Shared {
        let mut categories = Vec::new();
        // `/products.json` says `product_type`; the `.js` answer says `type`.
        if let Some(kind) = text(product, "product_type").or_else(|| text(product, "type")) {
            categories.push(kind);
        }
        match product.get("tags") {
            Some(Value::Array(tags)) => categories.extend(
                tags.iter()
                    .filter_map(Value::as_str)
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from),
            ),
            // The `.js` answer lists tags; some themes give one comma-separated string.
            Some(Value::String(tags)) => categories.extend(
                tags.split(',')
                    .map(str::trim)
                    .filter(|t| !t.is_empty())
                    .map(String::from),
            ),
            _ => {}
        }
        Shared {
            vendor: text(product, "vendor"),
            categories,
            link: text(product, "handle").map(|h| format!("{base}/products/{h}")),
        }
    }
}

fn read_variant(
    source: &FeedSource,
    shared: &Shared,
    title: &str,
    variant: &Value,
    money: Money,
) -> Result<Product, String> {
    let Value::Object(v) = variant else {
        return Err(format!("{} is not an object", described(variant)));
    };
    let id = match v.get("id") {
        Some(Value::Number(n)) => n.to_string(),
        Some(Value::String(s)) if !s.trim().is_empty() => s.trim().to_string(),
        _ => return Err("no id".into()),
    };
    let price = amount(v.get("price"), money)
        .map_err(|shown| format!("price {shown} is not a number"))?
        .ok_or("no price")?;
    // A compare-at price that is not higher is no sale: some shops copy the
    // price into it.
    let regular_price = amount(v.get("compare_at_price"), money)
        .ok()
        .flatten()
        .filter(|r| *r > price);
    let name = match text(v, "title") {
        Some(t) if t != "Default Title" => format!("{title} - {t}"),
        _ => title.to_string(),
    };
    let availability = v.get("available").and_then(Value::as_bool).map(|a| {
        if a {
            Availability::InStock
        } else {
            Availability::OutOfStock
        }
    });
    let mut product = Product {
        feed: source.name.clone(),
        id: id.clone(),
        gtin: text(v, "barcode").filter(|b| valid_gtin(b)),
        name,
        brand: shared.vendor.clone(),
        url: shared.link.as_ref().map(|l| format!("{l}?variant={id}")),
        categories: shared.categories.clone(),
        price: Some(price),
        currency: source.currency.clone(),
        regular_price,
        availability,
        // Shopify's weight of the variant; 0 means the shop never set it.
        size: v
            .get("grams")
            .and_then(Value::as_u64)
            .filter(|g| *g > 0)
            .and_then(Size::grams),
        ..Product::default()
    };
    product.make_printable();
    product.settle_size();
    Ok(product)
}

/// A price field: `Ok(None)` when absent or `null`... except that `price` must
/// be there, which the caller checks; `Err` holds the value as shown.
fn amount(value: Option<&Value>, money: Money) -> Result<Option<Decimal>, String> {
    let Some(value) = value.filter(|v| !v.is_null()) else {
        return Ok(None);
    };
    let amount = decimal_of(value).ok_or_else(|| described(value))?;
    Ok(Some(match money {
        Money::Decimal => amount,
        Money::Cents => amount / Decimal::ONE_HUNDRED,
    }))
}

/// A text field, trimmed; empty is absent.
fn text(object: &Map<String, Value>, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(s) if !s.trim().is_empty() => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_urls_for_a_shop_and_for_one_product() {
        assert_eq!(
            page_url("https://shop.example/", 2).as_deref(),
            Some("https://shop.example/products.json?limit=250&page=2")
        );
        assert_eq!(
            page_url("https://shop.example/products/boot?variant=1", 1).as_deref(),
            Some("https://shop.example/products/boot.js")
        );
        assert_eq!(page_url("https://shop.example/products/boot", 2), None);
        assert_eq!(
            product_url("https://shop.example/collections/x/products/boot.js").as_deref(),
            Some("https://shop.example/collections/x/products/boot")
        );
        assert_eq!(product_url("https://shop.example/products.json"), None);
    }
}
