//! The formats of product feeds (JSON, CSV, Google Merchant, a product page),
//! and the prices and records they share. Each turns bytes into [`Product`]s
//! and a [`FeedReport`]; none of them fetches anything.

use crate::model::Product;

use super::{FeedError, FeedKind, FeedReport, FeedSource};

pub(super) mod blocked;
pub(super) mod csv;
pub(super) mod json;
pub mod merchant;
pub(super) mod page;
mod page_unit_price;
pub mod price;
mod record;
pub(super) mod shop;
pub(super) mod shopify;
pub(super) mod woocommerce;

pub use shopify::product_url as shopify_product_url;
pub use woocommerce::LOWEST_VARIATION_LABEL as WOO_LOWEST_VARIATION_LABEL;

/// A feed's products and what parsing it found.
#[derive(Debug)]
pub struct FetchedFeed {
    pub source: FeedSource,
    pub products: Vec<Product>,
    pub report: FeedReport,
    /// How the fetch went wrong but was saved by the cache (or that it was served
    /// offline), without the feed's name: `HTTP 503 Service Unavailable, used the
    /// cached copy from 2 hours ago`.
    pub warning: Option<String>,
}

/// Parses a feed's bytes by its kind, as of the wall clock now. Kinds not written
/// yet are an error, so a rules file that names one gets a clear warning instead of
/// an empty feed.
#[cfg(test)]
pub fn parse_products(source: &FeedSource, bytes: &[u8]) -> Result<FetchedFeed, FeedError> {
    parse_products_at(source, bytes, chrono::Utc::now())
}

/// [`parse_products`] as of `now`: a merchant feed's sale prices hold only within
/// their effective dates, and a run (or a test) fixes its own "now".
pub fn parse_products_at(
    source: &FeedSource,
    bytes: &[u8],
    now: chrono::DateTime<chrono::Utc>,
) -> Result<FetchedFeed, FeedError> {
    let (products, report) = match source.kind {
        FeedKind::Json => json::parse(source, bytes)?,
        FeedKind::Csv => csv::parse(source, bytes)?,
        FeedKind::Merchant => {
            let mut products = Vec::new();
            let report = merchant::parse(source, bytes, now, &mut |p| products.push(p))?;
            (products, report)
        }
        FeedKind::Page => return page::parse(source, bytes),
        FeedKind::Shopify(_) | FeedKind::WooCommerce(_) => {
            let mut products = Vec::new();
            let mut report = FeedReport::new(&source.name);
            shop::parse_shop_page(source, bytes, &mut report, &mut |p| products.push(p))?;
            (products, report)
        }
        kind @ FeedKind::OpenFoodFacts => return Err(FeedError::FactsOnly(kind)),
        kind @ FeedKind::OpenPrices => return Err(FeedError::HistoryOnly(kind)),
        kind @ FeedKind::MerchantLocal => return Err(FeedError::LocalOnly(kind)),
    };
    Ok(FetchedFeed {
        source: source.clone(),
        products,
        report,
        warning: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn source(kind: FeedKind) -> FeedSource {
        FeedSource {
            name: "grocer".into(),
            kind,
            url: String::new(),
            currency: None,
            rate_limit: None,
            of: None,
        }
    }

    #[test]
    fn parse_products_dispatches_by_kind() {
        let feed = parse_products(&source(FeedKind::Json), br#"[{"id":"1","name":"Tea"}]"#)
            .expect("valid json");
        assert_eq!(feed.products.len(), 1);
        assert_eq!(feed.products[0].feed, "grocer");
        let feed = parse_products(&source(FeedKind::Csv), b"id,name\n1,Tea\n").expect("valid csv");
        assert_eq!(feed.products[0].name, "Tea");
    }
}
