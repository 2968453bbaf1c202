//! What a URL is, for `basket feeds add` and `basket watch`: each kind basket
//! reads is tried in turn (a Merchant feed, a Shopify shop, a WooCommerce
//! shop, a product page, basket's own JSON or CSV), through the same fetching
//! and parsing a check uses, until one yields products. What did not fit says
//! why, so a URL that fits nothing is explained kind by kind.

use crate::model::Product;

use super::{fetch_bodies, FeedError, FeedKind, FeedReport, FeedSource, Fetcher};

/// A feed read from start to end, keeping its first products.
#[derive(Debug)]
pub struct Sample {
    pub source: FeedSource,
    /// The first `keep` products, in feed order.
    pub products: Vec<Product>,
    /// Every product read (past `keep` too).
    pub count: usize,
    pub report: FeedReport,
    /// The fetch's and the parse's warnings, without the feed's name.
    pub warnings: Vec<String>,
}

/// Fetches and reads `source` whole, keeping its first `keep` products and
/// counting the rest (the others are dropped as they pass: memory stays
/// that of `keep` products).
pub fn sample(
    fetcher: &Fetcher,
    source: &FeedSource,
    now: chrono::DateTime<chrono::Utc>,
    keep: usize,
) -> Result<Sample, FeedError> {
    let body = fetch_bodies(fetcher, std::slice::from_ref(source))
        .pop()
        .unwrap_or(Err(FeedError::Panicked))?;
    let mut products = Vec::new();
    let mut count = 0;
    let report = body.parse(now, &mut |p| {
        count += 1;
        if products.len() < keep {
            products.push(p);
        }
    })?;
    let mut warnings: Vec<String> = body.warning.into_iter().collect();
    if let Some(w) = report.warning() {
        // The report's own words start with `feed 'NAME': `.
        let prefix = format!("feed '{}': ", source.name);
        warnings.push(w.strip_prefix(&prefix).unwrap_or(&w).to_string());
    }
    Ok(Sample {
        source: source.clone(),
        products,
        count,
        report,
        warnings,
    })
}

/// The kinds `feeds add` tries, in the order it tries them.
pub const PROBED: [&str; 6] = ["merchant", "shopify", "woocommerce", "page", "json", "csv"];

/// A kind that did not fit, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tried {
    pub kind: FeedKind,
    pub why: String,
}

/// The kind in words: `Shopify shop`.
pub fn describe(kind: FeedKind) -> &'static str {
    match kind {
        FeedKind::Merchant => "Google Merchant feed",
        FeedKind::MerchantLocal => "Google Merchant local inventory feed",
        FeedKind::Shopify(_) => "Shopify shop",
        FeedKind::WooCommerce(_) => "WooCommerce shop",
        FeedKind::Page => "product page",
        FeedKind::Json => "JSON feed (basket's fields)",
        FeedKind::Csv => "CSV feed (basket's fields)",
        FeedKind::OpenFoodFacts => "Open Food Facts",
        FeedKind::OpenPrices => "Open Prices",
    }
}

/// Tries each kind (or only `only`) on `url`; the first that yields a product
/// wins. `currency` is what the rules file's settings give records without one.
pub fn probe(
    fetcher: &Fetcher,
    name: &str,
    url: &str,
    only: Option<FeedKind>,
    currency: Option<String>,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<Sample, Vec<Tried>> {
    let http = url.starts_with("http://") || url.starts_with("https://");
    let kinds: Vec<FeedKind> = match only {
        Some(kind) => vec![kind],
        None => PROBED.iter().filter_map(|k| FeedKind::parse(k)).collect(),
    };
    let mut tried = Vec::new();
    for kind in kinds {
        let shop = kind.pages().is_some();
        if shop && !http {
            tried.push(Tried {
                kind,
                why: "not an http(s) URL".into(),
            });
            continue;
        }
        let source = FeedSource {
            name: name.to_string(),
            kind,
            url: table_url(kind, url),
            currency: currency.clone(),
            rate_limit: None,
            of: None,
        };
        match sample(fetcher, &source, now, 3) {
            Ok(found) if found.count > 0 => return Ok(found),
            Ok(_) => tried.push(Tried {
                kind,
                why: "no products in it".into(),
            }),
            Err(e) => tried.push(Tried {
                kind,
                why: e.to_string(),
            }),
        }
    }
    Err(tried)
}

/// The URL the feed's table keeps for `kind`: a shop's base URL (what was
/// given, without the API's path or a query), or the URL as given.
pub fn table_url(kind: FeedKind, url: &str) -> String {
    let cut = |marker: &str| {
        let base = url.split(['?', '#']).next().unwrap_or(url);
        let base = match base.find(marker) {
            Some(i) => &base[..i],
            None => base,
        };
        base.trim_end_matches('/').to_string()
    };
    match kind {
        FeedKind::Shopify(_) => {
            super::formats::shopify_product_url(url).unwrap_or_else(|| cut("/products.json"))
        }
        FeedKind::WooCommerce(_) => cut("/wp-json"),
        _ => url.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::feeds::Pages;

    #[test]
    fn shop_urls_lose_the_api_path_and_the_query() {
        let shopify = FeedKind::Shopify(Pages::default());
        assert_eq!(
            table_url(shopify, "https://shop.example/products.json?limit=2"),
            "https://shop.example"
        );
        assert_eq!(
            table_url(shopify, "https://shop.example/products/boot?variant=3"),
            "https://shop.example/products/boot"
        );
        let woo = FeedKind::WooCommerce(Pages::default());
        assert_eq!(
            table_url(
                woo,
                "https://wp.example/shop/wp-json/wc/store/v1/products?page=2"
            ),
            "https://wp.example/shop"
        );
        assert_eq!(
            table_url(FeedKind::Json, "https://x/a.json?k=1"),
            "https://x/a.json?k=1"
        );
    }
}
